using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Types.Hashes;

/// <summary>One field of a hash and its value (references into the hash: read them under the store lock).</summary>
public readonly struct HashEntry(byte[] field, byte[] value)
{
    public byte[] Field { get; } = field;
    public byte[] Value { get; } = value;
}

/// <summary>
/// A Redis hash: binary-safe fields with binary-safe values.
///
/// Why: the fields and values live in a <see cref="MemberTable"/> (see its essay: insertion-ordered slots plus a
/// member-to-slot dictionary probed by span), which gives allocation-free lookups, a SCAN cursor that survives
/// rehashing and compaction, and uniform random picks for HRANDFIELD. Iteration order is insertion order, which is
/// also what Redis's listpack encoding shows for small hashes.
///
/// Encoding: Redis keeps a hash as a "listpack" while it has at most 128 fields (hash-max-listpack-entries) and no
/// field or value longer than 64 bytes (hash-max-listpack-value), and converts it to a "hashtable" for good once
/// either limit is crossed. We store every hash the same way but report the encoding with the same one-way rule, so
/// OBJECT ENCODING and the small-hash SCAN behaviour (whole hash in one call) match Redis.
///
/// Shared state rule: owned by one database entry; read or changed only under the store lock.
/// </summary>
public sealed class HashValue : TableValue
{
    /// <summary>hash-max-listpack-entries.</summary>
    public const int MaxListpackEntries = 128;

    /// <summary>hash-max-listpack-value.</summary>
    public const int MaxListpackValue = 64;

    private bool _hashtable;

    public HashValue() : this(new MemberTable(withValues: true)) { }

    private HashValue(MemberTable table) : base(table) { }

    public override ValueKind Kind => ValueKind.Hash;

    public override string Encoding => _hashtable ? "hashtable" : "listpack";

    /// <summary>True while Redis would still use its compact (listpack) encoding.</summary>
    public bool IsCompact => !_hashtable;

    /// <summary>Replays one of this type's operation records (HashOps.Apply).</summary>
    internal override bool Apply(OpArgs op) => HashOps.Apply(this, op);

    /// <summary>Sets <paramref name="field"/> to <paramref name="value"/>; true if the field is new.</summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        bool added = Table.Add(field, out int slot);
        Table.SetValueAt(slot, value);
        NoteWrite(field.Length, value.Length);
        return added;
    }

    /// <summary>The value of <paramref name="field"/>; false if absent.</summary>
    public bool TryGet(ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        int slot = Table.Find(field);
        value = slot < 0 ? default : Table.ValueAt(slot);
        return slot >= 0;
    }

    /// <summary>A uniformly random entry; the hash must not be empty.</summary>
    public HashEntry RandomEntry()
    {
        int slot = Table.RandomSlot();
        return new HashEntry(Table.MemberAt(slot), Table.ValueAt(slot));
    }

    private void NoteWrite(int fieldLength, int valueLength)
    {
        if (!_hashtable && (Table.Count > MaxListpackEntries || fieldLength > MaxListpackValue || valueLength > MaxListpackValue))
            _hashtable = true;
    }

    /// <summary>Iterates the entries in insertion order. Do not change the hash while iterating.</summary>
    public Enumerator GetEnumerator() => new(Table);

    /// <summary>Allocation-free enumerator over the live slots.</summary>
    public struct Enumerator
    {
        private LiveSlots _slots;

        internal Enumerator(MemberTable table) => _slots = new LiveSlots(table);

        public readonly HashEntry Current => new(_slots.Table.MemberAt(_slots.Slot), _slots.Table.ValueAt(_slots.Slot));

        public bool MoveNext() => _slots.MoveNext();
    }

    public override object DeepCopy() => new HashValue(Table.Clone()) { _hashtable = _hashtable };

    /// <summary>Decodes a payload written by <see cref="Serialize"/>; null for an unknown version or bad payload.</summary>
    public static HashValue? Read(byte version, ReadOnlySpan<byte> payload)
    {
        if (version != 1) return null;
        MemberTable? table = MemberTable.Read(payload, withValues: true);
        if (table is null) return null;
        var hash = new HashValue(table);
        // Recompute the encoding as Redis does on load.
        for (int i = 0; i < table.HighWater && !hash._hashtable; i++)
            if (table.IsLive(i)) hash.NoteWrite(table.MemberAt(i).Length, table.ValueAt(i).Length);
        return hash;
    }
}

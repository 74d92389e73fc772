using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Types.Sets;

/// <summary>
/// A Redis set: binary-safe members without duplicates.
///
/// Why: the members live in a <see cref="MemberTable"/> without values (see its essay): allocation-free membership
/// tests from the argument span, a SCAN cursor that survives every change, and uniform O(1) random picks for SPOP and
/// SRANDMEMBER. Iteration order is insertion order.
///
/// Encoding: reported with Redis's one-way conversions, so OBJECT ENCODING and the small-set SSCAN behaviour (the
/// whole set in one call) match Redis:
///
///   intset    ──(a non-integer member, set still small)──▶  listpack  ──(> 128 members or a member > 64 B)──▶  hashtable
///      └──────────────(> 512 members, or a non-integer that does not fit a listpack)──────────────────────────▶
///
/// "intset" while every member is a canonical 64-bit integer and there are at most 512 (set-max-intset-entries);
/// "listpack" while at most 128 members (set-max-listpack-entries) of at most 64 bytes (set-max-listpack-value).
/// Unlike Redis's intset we do not keep integers sorted: SMEMBERS answers in insertion order for every encoding.
///
/// Shared state rule: owned by one database entry; read or changed only under the store lock.
/// </summary>
public sealed class SetValue : TableValue, IReadableSet
{
    /// <summary>set-max-intset-entries.</summary>
    public const int MaxIntsetEntries = 512;

    /// <summary>set-max-listpack-entries.</summary>
    public const int MaxListpackEntries = 128;

    /// <summary>set-max-listpack-value.</summary>
    public const int MaxListpackValue = 64;

    private enum Enc : byte { IntSet, ListPack, HashTable }

    private Enc _encoding;

    public SetValue() : this(new MemberTable(withValues: false)) { }

    private SetValue(MemberTable table) : base(table) { }

    public override ValueKind Kind => ValueKind.Set;

    public override string Encoding => _encoding switch
    {
        Enc.IntSet => "intset",
        Enc.ListPack => "listpack",
        _ => "hashtable",
    };

    /// <summary>True while Redis would still use a compact encoding (intset or listpack).</summary>
    public bool IsCompact => _encoding != Enc.HashTable;

    /// <summary>Replays one of this type's operation records (SetOps.Apply).</summary>
    internal override bool Apply(OpArgs op) => SetOps.Apply(this, op);

    /// <summary>Adds <paramref name="member"/>; true if it is new.</summary>
    public bool Add(ReadOnlySpan<byte> member)
    {
        if (Table.Find(member) >= 0) return false;
        NoteAdd(member);
        Table.AddOwned(member.ToArray());
        return true;
    }

    /// <summary>Adds a member known to be absent, taking ownership of the array.</summary>
    internal void AddOwned(byte[] member)
    {
        NoteAdd(member);
        Table.AddOwned(member);
    }

    /// <summary>Appends every member to <paramref name="into"/> (ZUNION/ZINTER read plain sets as scores of 1).</summary>
    public void CopyMembersTo(List<byte[]> into)
    {
        for (int slot = 0; slot < Table.HighWater; slot++)
            if (Table.IsLive(slot)) into.Add(Table.MemberAt(slot));
    }

    /// <summary>A uniformly random member; the set must not be empty.</summary>
    public byte[] RandomMember() => Table.MemberAt(Table.RandomSlot());

    /// <summary>Moves the encoding along Redis's one-way path for a member about to be added.</summary>
    private void NoteAdd(ReadOnlySpan<byte> member)
    {
        int after = Table.Count + 1;
        switch (_encoding)
        {
            case Enc.IntSet:
                if (Numbers.ParseInteger(member, out _))
                {
                    if (after > MaxIntsetEntries) _encoding = Enc.HashTable;
                }
                else _encoding = after <= MaxListpackEntries && member.Length <= MaxListpackValue ? Enc.ListPack : Enc.HashTable;
                break;
            case Enc.ListPack:
                if (after > MaxListpackEntries || member.Length > MaxListpackValue) _encoding = Enc.HashTable;
                break;
        }
    }

    /// <summary>Iterates the members in insertion order. Do not change the set while iterating.</summary>
    public Enumerator GetEnumerator() => new(Table);

    /// <summary>Allocation-free enumerator over the live slots.</summary>
    public struct Enumerator
    {
        private LiveSlots _slots;

        internal Enumerator(MemberTable table) => _slots = new LiveSlots(table);

        public readonly byte[] Current => _slots.Table.MemberAt(_slots.Slot);

        public bool MoveNext() => _slots.MoveNext();
    }

    public override object DeepCopy() => new SetValue(Table.Clone()) { _encoding = _encoding };

    /// <summary>Decodes a payload written by <see cref="Serialize"/>; null for an unknown version or bad payload.</summary>
    public static SetValue? Read(byte version, ReadOnlySpan<byte> payload)
    {
        if (version != 1) return null;
        MemberTable? table = MemberTable.Read(payload, withValues: false);
        if (table is null) return null;
        // Replay the members through the encoding rules, as Redis picks the encoding on load.
        var set = new SetValue();
        for (int i = 0; i < table.HighWater; i++)
            if (table.IsLive(i)) set.AddOwned(table.MemberAt(i));
        return set;
    }
}

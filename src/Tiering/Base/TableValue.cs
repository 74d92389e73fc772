using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Base;

/// <summary>
/// A value kept in a <see cref="MemberTable"/>: a hash (members with values) or a set (members alone). What the two
/// share lives here once: the table, its footprint and count, membership and removal, the serialized form (the
/// table's own) and the walk over live slots; each type adds its encoding rules and its own view of an entry.
///
/// Shared state rule: owned by one database entry; read or changed only under the store lock.
/// </summary>
public abstract class TableValue : ValueObject, IRemovableMembers
{
    /// <summary>The members (and values), in insertion order with holes.</summary>
    internal readonly MemberTable Table;

    private protected TableValue(MemberTable table) => Table = table;

    public override long SizeBytes => 32 + Table.SizeBytes;

    public override long Count => Table.Count;

    public override byte FormatVersion => 1;

    /// <summary>True if <paramref name="member"/> (a set member, a hash field) is present.</summary>
    public bool Contains(ReadOnlySpan<byte> member) => Table.Find(member) >= 0;

    /// <summary>Removes <paramref name="member"/>; false if absent.</summary>
    public bool Remove(ReadOnlySpan<byte> member) => Table.Remove(member);

    public override void Serialize(IBufferWriter<byte> output) => Table.Serialize(output);

    /// <summary>Walks the live slots of a table in insertion order, allocating nothing (the types' enumerators wrap it).</summary>
    internal struct LiveSlots(MemberTable table)
    {
        /// <summary>The table walked.</summary>
        public readonly MemberTable Table = table;

        /// <summary>The current slot (valid after <see cref="MoveNext"/> returned true).</summary>
        public int Slot { get; private set; } = -1;

        public bool MoveNext()
        {
            while (++Slot < Table.HighWater)
                if (Table.IsLive(Slot)) return true;
            return false;
        }
    }
}

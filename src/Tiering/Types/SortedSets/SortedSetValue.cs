using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Types.SortedSets;

// Why a skip list plus a hash map plus a slot table
// -------------------------------------------------
// A sorted set is asked two kinds of questions: by member ("what is m's score", ZSCORE, ZADD's update check) and by
// order ("what is at rank r", "which members score between a and b"). Redis answers the first with a dict and the
// second with a skip list; this type does the same. The map goes from member bytes to the skip list node (which
// holds the score), so ZSCORE is one hash lookup and a score update finds its node without a search. Lookups take a
// span (the command argument) through the map's alternate lookup, so they allocate nothing.
//
// ZSCAN needs a cursor that survives inserts and deletes between calls and still returns every member present for
// the whole iteration. Ranks cannot serve (a delete shifts every later rank), so each node owns a SLOT in a table
// that never moves a live node: a delete frees its slot, an insert reuses a free slot or appends. A cursor is a
// slot number and a scan walks slots upwards, the same argument KeyOps makes for SCAN over the key index.
//
//   map:    "alice" -> node A      slots: [0]=A [1]=free [2]=C [3]=B ...   skip list: A(1.0) -> B(2.5) -> C(7.0)
//
// Encoding: Redis keeps small sorted sets (<= 128 members of <= 64 bytes) in a listpack and converts to a skip list
// once either limit is crossed, never converting back in place. Both representations answer identically, so this
// type always uses the skip list and only reports the name Redis would show (the flag is sticky, like Redis).
//
// Serialized payload (FormatVersion 1), members in (score, member) order:
//   varint count | { varint length | member bytes | score as IEEE-754 double, 8 bytes LE } * count

/// <summary>A sorted set value (ZADD and friends).</summary>
public sealed class SortedSetValue : ValueObject, IRemovableMembers
{
    /// <summary>Redis's zset-max-listpack-entries default.</summary>
    public const int ListpackMaxEntries = 128;

    /// <summary>Redis's zset-max-listpack-value default.</summary>
    public const int ListpackMaxValue = 64;

    private const long BaseBytes = 64 + 80 + 48 + 24 + 16 * SkipList.MaxLevel + 64;
    private const long PerMemberBytes = 48 + 24 + MemoryOf.ArrayOverhead + 32;
    private const long PerLevelBytes = 16;

    private readonly Dictionary<byte[], SkipListNode> _map;
    private readonly Dictionary<byte[], SkipListNode>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly SkipList _list = new();
    private SkipListNode?[] _slots = [];
    private int[] _free = [];
    private int _freeCount;
    private int _slotHigh;
    private long _bytes = BaseBytes;
    private bool _skiplistEncoded;

    public SortedSetValue()
    {
        _map = new Dictionary<byte[], SkipListNode>(MemberComparer.Instance);
        _lookup = _map.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public override ValueKind Kind => ValueKind.ZSet;

    public override long SizeBytes => _bytes;

    public override long Count => _list.Count;

    public override string Encoding => _skiplistEncoded ? "skiplist" : "listpack";

    public override byte FormatVersion => 1;

    /// <summary>Replays one of this type's operation records (SortedSetOps.Apply).</summary>
    internal override bool Apply(OpArgs op) => SortedSetOps.Apply(this, op);

    /// <summary>The members in (score, member) order.</summary>
    public SkipList List => _list;

    /// <summary>The node of <paramref name="member"/>, or null.</summary>
    public SkipListNode? Find(ReadOnlySpan<byte> member) => _lookup.TryGetValue(member, out SkipListNode? n) ? n : null;

    /// <summary>The score of <paramref name="member"/>.</summary>
    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        if (_lookup.TryGetValue(member, out SkipListNode? n)) { score = n.Score; return true; }
        score = 0;
        return false;
    }

    /// <summary>Adds a member known to be absent (the bytes are copied). Returns its node.</summary>
    public SkipListNode Insert(ReadOnlySpan<byte> member, double score) => InsertOwned(member.ToArray(), score);

    /// <summary>Adds a member known to be absent, taking ownership of the array.</summary>
    public SkipListNode InsertOwned(byte[] member, double score)
    {
        SkipListNode node = _list.Insert(score, member);
        _map.Add(member, node);
        node.Slot = TakeSlot(node);
        _bytes += PerMemberBytes + member.Length + PerLevelBytes * node.Levels.Length;
        if (_list.Count > ListpackMaxEntries || member.Length > ListpackMaxValue) _skiplistEncoded = true;
        return node;
    }

    /// <summary>Sets the score of a member of this set.</summary>
    public void SetScore(SkipListNode node, double score)
    {
        if (node.Score != score) _list.UpdateScore(node, score);
    }

    /// <summary>Removes <paramref name="member"/>; false if absent.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (!_lookup.TryGetValue(member, out SkipListNode? node)) return false;
        RemoveNode(node);
        return true;
    }

    /// <summary>Removes a node of this set (safe while walking: the node keeps its forward links).</summary>
    public void RemoveNode(SkipListNode node)
    {
        _list.Delete(node.Score, node.Member);
        _map.Remove(node.Member);
        _slots[node.Slot] = null;
        if (_freeCount == _free.Length) Array.Resize(ref _free, Math.Max(8, _free.Length * 2));
        _free[_freeCount++] = node.Slot;
        _bytes -= PerMemberBytes + node.Member.Length + PerLevelBytes * node.Levels.Length;
    }

    private int TakeSlot(SkipListNode node)
    {
        int slot;
        if (_freeCount > 0) slot = _free[--_freeCount];
        else
        {
            if (_slotHigh == _slots.Length)
            {
                int grown = Math.Max(8, _slots.Length * 2);
                _bytes += 8L * (grown - _slots.Length);
                Array.Resize(ref _slots, grown);
            }
            slot = _slotHigh++;
        }
        _slots[slot] = node;
        return slot;
    }

    /// <summary>Slots in use or freed so far (the ZSCAN cursor range).</summary>
    internal int SlotHighWater => _slotHigh;

    /// <summary>The node in slot <paramref name="slot"/>, or null for a free slot.</summary>
    internal SkipListNode? SlotAt(int slot) => _slots[slot];

    public override object DeepCopy()
    {
        var copy = new SortedSetValue();
        for (SkipListNode? n = _list.First; n != null; n = n.Next) copy.InsertOwned(n.Member, n.Score);
        copy._skiplistEncoded |= _skiplistEncoded;
        return copy;
    }

    public override void Serialize(IBufferWriter<byte> output)
    {
        Varint.Write(output, (ulong)_list.Count);
        for (SkipListNode? n = _list.First; n != null; n = n.Next)
        {
            Varint.WriteBytes(output, n.Member);
            Span<byte> s = output.GetSpan(8);
            BinaryPrimitives.WriteDoubleLittleEndian(s, n.Score);
            output.Advance(8);
        }
    }

    /// <summary>Decodes a payload written by <see cref="Serialize"/>; null for an unknown version or bad bytes.</summary>
    public static SortedSetValue? Read(byte version, ReadOnlySpan<byte> payload)
    {
        if (version != 1) return null;
        int pos = 0;
        if (!Varint.TryRead(payload, ref pos, out ulong count) || count > (ulong)payload.Length) return null;
        var set = new SortedSetValue();
        for (ulong i = 0; i < count; i++)
        {
            if (!Varint.TryReadBytes(payload, ref pos, out ReadOnlySpan<byte> member)) return null;
            if (payload.Length - pos < 8) return null;
            double score = BinaryPrimitives.ReadDoubleLittleEndian(payload[pos..]);
            pos += 8;
            if (double.IsNaN(score) || set.Find(member) != null) return null;
            set.Insert(member, score);
        }
        return pos == payload.Length ? set : null;
    }

    /// <summary>Byte-content equality for member arrays, with a span alternate so lookups need no array.</summary>
    private sealed class MemberComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly MemberComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode([DisallowNull] byte[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> s) => (int)XxHash3.HashToUInt64(s);
    }
}

using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Types.SortedSets;

// Why a skip list with spans
// --------------------------
// A sorted set must answer "what is at rank r", "what is the rank of m" and "where does score s start" in O(log N),
// and must also accept inserts and deletes in O(log N). A balanced tree can do it with subtree sizes; a skip list
// does it with less code and no rebalancing, which is the design Redis chose (zskiplist): each node gets a random
// number of levels (P = 1/4, at most 32), every level is a sorted singly linked list, and every forward link also
// records its SPAN: how many level-0 steps it jumps. Summing spans while descending gives a node's rank for free,
// and walking down by spans finds the node at a rank.
//
//   level 2  HEAD ----------------(3)---------------> C ---------------(2)--------------> null
//   level 1  HEAD ------(1)------> A ------(2)------> C ------(1)------> D ---(1)--> E -> null
//   level 0  HEAD --(1)--> A --(1)--> B --(1)--> C --(1)--> D --(1)--> E -> null
//                          <--backward-- (level 0 is doubly linked, for reverse iteration)
//
// Order is (score, member bytes compared as unsigned memcmp, shorter first on a common prefix): the same member can
// never appear twice (the owning SortedSetValue keeps a member -> node map to guarantee it and to find a member's
// score in O(1)); equal scores are ordered by member, which is what BYLEX ranges rely on.
//
// Nodes are objects (one per member, plus its level array): simple, and the per-member overhead is accounted by the
// owner. Each node also carries a stable SLOT number, an index into the owner's slot table, used as the ZSCAN
// cursor (see SortedSetValue).

/// <summary>One member of a <see cref="SkipList"/>.</summary>
public sealed class SkipListNode
{
    internal SkipListNode(int levels, double score, byte[]? member)
    {
        Levels = new SkipListLevel[levels];
        Score = score;
        Member = member!;
    }

    /// <summary>The member bytes (owned by the sorted set; never mutated).</summary>
    public byte[] Member { get; internal set; }

    /// <summary>The score (never NaN).</summary>
    public double Score { get; internal set; }

    /// <summary>The previous node at level 0 (null for the first).</summary>
    public SkipListNode? Backward { get; internal set; }

    /// <summary>The next node at level 0 (null for the last).</summary>
    public SkipListNode? Next => Levels[0].Forward;

    internal SkipListLevel[] Levels;

    /// <summary>Index in the owner's slot table (the ZSCAN cursor position).</summary>
    internal int Slot;
}

/// <summary>One forward link of a node and the number of level-0 steps it jumps.</summary>
internal struct SkipListLevel
{
    public SkipListNode? Forward;
    public long Span;
}

/// <summary>A range of a skip list's order: by score (<see cref="ScoreRange"/>) or by member (<see cref="LexRange"/>).</summary>
public interface ISkipListRange
{
    /// <summary>True if no node can be in the range.</summary>
    bool IsEmpty { get; }

    /// <summary>The node is not below the range's start.</summary>
    bool AboveMin(SkipListNode node);

    /// <summary>The node is not above the range's end.</summary>
    bool BelowMax(SkipListNode node);
}

/// <summary>A score range with inclusive or exclusive ends (ZRANGEBYSCORE's "(" prefix).</summary>
public readonly record struct ScoreRange(double Min, double Max, bool MinExclusive = false, bool MaxExclusive = false) : ISkipListRange
{
    public bool AboveMin(SkipListNode node) => AboveMin(node.Score);
    public bool BelowMax(SkipListNode node) => BelowMax(node.Score);
    public bool AboveMin(double s) => MinExclusive ? s > Min : s >= Min;
    public bool BelowMax(double s) => MaxExclusive ? s < Max : s <= Max;
    public bool Contains(double s) => AboveMin(s) && BelowMax(s);

    /// <summary>True if no score can satisfy the range.</summary>
    public bool IsEmpty => Min > Max || (Min == Max && (MinExclusive || MaxExclusive));
}

/// <summary>The kind of one end of a lex range.</summary>
public enum LexBoundKind : byte
{
    /// <summary>"-": below every member.</summary>
    NegativeInfinity,
    /// <summary>"+": above every member.</summary>
    PositiveInfinity,
    /// <summary>"[value".</summary>
    Inclusive,
    /// <summary>"(value".</summary>
    Exclusive,
}

/// <summary>One end of a lex range.</summary>
public readonly record struct LexBound(LexBoundKind Kind, byte[] Value)
{
    public static readonly LexBound Min = new(LexBoundKind.NegativeInfinity, []);
    public static readonly LexBound Max = new(LexBoundKind.PositiveInfinity, []);
}

/// <summary>A lex range (ZRANGEBYLEX): meaningful when all scores are equal, as in Redis.</summary>
public readonly record struct LexRange(LexBound Min, LexBound Max) : ISkipListRange
{
    public bool AboveMin(SkipListNode node) => AboveMin(node.Member);
    public bool BelowMax(SkipListNode node) => BelowMax(node.Member);

    public bool AboveMin(ReadOnlySpan<byte> m) => Min.Kind switch
    {
        LexBoundKind.NegativeInfinity => true,
        LexBoundKind.PositiveInfinity => false,
        LexBoundKind.Inclusive => m.SequenceCompareTo(Min.Value) >= 0,
        _ => m.SequenceCompareTo(Min.Value) > 0,
    };

    public bool BelowMax(ReadOnlySpan<byte> m) => Max.Kind switch
    {
        LexBoundKind.NegativeInfinity => false,
        LexBoundKind.PositiveInfinity => true,
        LexBoundKind.Inclusive => m.SequenceCompareTo(Max.Value) <= 0,
        _ => m.SequenceCompareTo(Max.Value) < 0,
    };

    /// <summary>True if no member can satisfy the range.</summary>
    public bool IsEmpty
    {
        get
        {
            if (Min.Kind == LexBoundKind.PositiveInfinity || Max.Kind == LexBoundKind.NegativeInfinity) return true;
            if (Min.Kind == LexBoundKind.NegativeInfinity || Max.Kind == LexBoundKind.PositiveInfinity) return false;
            int c = Min.Value.AsSpan().SequenceCompareTo(Max.Value);
            return c > 0 || (c == 0 && (Min.Kind == LexBoundKind.Exclusive || Max.Kind == LexBoundKind.Exclusive));
        }
    }
}

/// <summary>
/// A skip list of (score, member) ordered by score then member bytes, with spans for O(log N) rank operations.
/// Not thread-safe: used under the store lock like every value.
/// </summary>
public sealed class SkipList
{
    /// <summary>Most levels a node can have (enough for 2^64 elements at P = 1/4).</summary>
    public const int MaxLevel = 32;

    private readonly SkipListNode _head = new(MaxLevel, 0, null);
    private SkipListNode? _tail;
    private int _level = 1;
    private long _length;
    private readonly Random _random;

    public SkipList(Random? random = null) => _random = random ?? Random.Shared;

    /// <summary>Number of nodes.</summary>
    public long Count => _length;

    /// <summary>The lowest (score, member) node, or null.</summary>
    public SkipListNode? First => _head.Levels[0].Forward;

    /// <summary>The highest node, or null.</summary>
    public SkipListNode? Last => _tail;

    /// <summary>The (score, member) order: score first, then unsigned bytewise member order.</summary>
    public static int Compare(double s1, ReadOnlySpan<byte> m1, double s2, ReadOnlySpan<byte> m2)
        => s1 < s2 ? -1 : s1 > s2 ? 1 : m1.SequenceCompareTo(m2);

    private static bool Before(SkipListNode n, double score, ReadOnlySpan<byte> member)
        => n.Score < score || (n.Score == score && n.Member.AsSpan().SequenceCompareTo(member) < 0);

    private int RandomLevel()
    {
        int level = 1;
        while (level < MaxLevel && (_random.Next() & 0xFFFF) < 0xFFFF / 4) level++;
        return level;
    }

    /// <summary>Inserts a member known to be absent; returns its node.</summary>
    public SkipListNode Insert(double score, byte[] member)
    {
        var node = new SkipListNode(RandomLevel(), score, member);
        Link(node);
        return node;
    }

    /// <summary>Links a node (its level count fixed by its level array) at its (score, member) position.</summary>
    private void Link(SkipListNode node)
    {
        double score = node.Score;
        ReadOnlySpan<byte> member = node.Member;
        Span<long> rank = stackalloc long[MaxLevel];
        SkipListNode[] update = UpdateBuffer();
        SkipListNode x = _head;
        for (int i = _level - 1; i >= 0; i--)
        {
            rank[i] = i == _level - 1 ? 0 : rank[i + 1];
            while (x.Levels[i].Forward is { } f && Before(f, score, member))
            {
                rank[i] += x.Levels[i].Span;
                x = f;
            }
            update[i] = x;
        }
        int level = node.Levels.Length;
        if (level > _level)
        {
            for (int i = _level; i < level; i++)
            {
                rank[i] = 0;
                update[i] = _head;
                update[i].Levels[i].Span = _length;
            }
            _level = level;
        }
        for (int i = 0; i < level; i++)
        {
            ref SkipListLevel u = ref update[i].Levels[i];
            node.Levels[i].Forward = u.Forward;
            u.Forward = node;
            node.Levels[i].Span = u.Span - (rank[0] - rank[i]);
            u.Span = rank[0] - rank[i] + 1;
        }
        for (int i = level; i < _level; i++) update[i].Levels[i].Span++;
        node.Backward = update[0] == _head ? null : update[0];
        if (node.Levels[0].Forward is { } next) next.Backward = node;
        else _tail = node;
        _length++;
        Array.Clear(update, 0, _level);
    }

    [ThreadStatic] private static SkipListNode[]? t_update;

    private static SkipListNode[] UpdateBuffer() => t_update ??= new SkipListNode[MaxLevel];

    /// <summary>Removes the node with this exact score and member; returns it, or null if absent.</summary>
    public SkipListNode? Delete(double score, ReadOnlySpan<byte> member)
    {
        SkipListNode[] update = UpdateBuffer();
        SkipListNode x = _head;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && Before(f, score, member)) x = f;
            update[i] = x;
        }
        SkipListNode? target = x.Levels[0].Forward;
        SkipListNode? result = null;
        if (target != null && target.Score == score && target.Member.AsSpan().SequenceEqual(member))
        {
            Unlink(target, update);
            result = target;
        }
        Array.Clear(update, 0, _level);
        return result;
    }

    private void Unlink(SkipListNode x, SkipListNode[] update)
    {
        for (int i = 0; i < _level; i++)
        {
            ref SkipListLevel u = ref update[i].Levels[i];
            if (u.Forward == x)
            {
                u.Span += x.Levels[i].Span - 1;
                u.Forward = x.Levels[i].Forward;
            }
            else u.Span--;
        }
        if (x.Levels[0].Forward is { } next) next.Backward = x.Backward;
        else _tail = x.Backward;
        while (_level > 1 && _head.Levels[_level - 1].Forward == null) _level--;
        _length--;
    }

    /// <summary>
    /// Changes the score of <paramref name="node"/> (which must belong to this list). Stays in place when the order
    /// does not change, as Redis's zslUpdateScore does; otherwise the node is unlinked and reinserted. The
    /// same node object is relinked, so references held by the owner stay valid.
    /// </summary>
    public void UpdateScore(SkipListNode node, double newScore)
    {
        SkipListNode? prev = node.Backward;
        SkipListNode? next = node.Levels[0].Forward;
        if ((prev == null || Compare(prev.Score, prev.Member, newScore, node.Member) < 0)
            && (next == null || Compare(next.Score, next.Member, newScore, node.Member) > 0))
        {
            node.Score = newScore;
            return;
        }
        Delete(node.Score, node.Member);
        node.Score = newScore;
        node.Backward = null;
        Link(node);
    }

    /// <summary>1-based rank of (score, member), 0 if absent.</summary>
    public long Rank(double score, ReadOnlySpan<byte> member)
    {
        long rank = 0;
        SkipListNode x = _head;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && Compare(f.Score, f.Member, score, member) <= 0)
            {
                rank += x.Levels[i].Span;
                x = f;
            }
            if (x != _head && x.Score == score && x.Member.AsSpan().SequenceEqual(member)) return rank;
        }
        return 0;
    }

    /// <summary>The node at 1-based <paramref name="rank"/>, or null when out of range.</summary>
    public SkipListNode? ByRank(long rank)
    {
        if (rank < 1 || rank > _length) return null;
        long traversed = 0;
        SkipListNode x = _head;
        for (int i = _level - 1; i >= 0; i--)
        {
            while (x.Levels[i].Forward is { } f && traversed + x.Levels[i].Span <= rank)
            {
                traversed += x.Levels[i].Span;
                x = f;
            }
            if (traversed == rank) return x;
        }
        return null;
    }

    /// <summary>The first node in <paramref name="range"/> (by score or by member), or null.</summary>
    public SkipListNode? FirstInRange<TRange>(in TRange range) where TRange : struct, ISkipListRange
    {
        if (range.IsEmpty || _tail == null || !range.AboveMin(_tail) || !range.BelowMax(First!)) return null;
        SkipListNode x = _head;
        for (int i = _level - 1; i >= 0; i--)
            while (x.Levels[i].Forward is { } f && !range.AboveMin(f)) x = f;
        SkipListNode? n = x.Levels[0].Forward;
        return n != null && range.BelowMax(n) ? n : null;
    }

    /// <summary>The last node in <paramref name="range"/> (by score or by member), or null.</summary>
    public SkipListNode? LastInRange<TRange>(in TRange range) where TRange : struct, ISkipListRange
    {
        if (range.IsEmpty || _tail == null || !range.AboveMin(_tail) || !range.BelowMax(First!)) return null;
        SkipListNode x = _head;
        for (int i = _level - 1; i >= 0; i--)
            while (x.Levels[i].Forward is { } f && range.BelowMax(f)) x = f;
        return x != _head && range.AboveMin(x) ? x : null;
    }

    /// <summary>1-based rank of a node known to be in the list (O(log N)).</summary>
    public long RankOf(SkipListNode node) => Rank(node.Score, node.Member);

    /// <summary>Removes every node (the list stays usable).</summary>
    public void Clear()
    {
        for (int i = 0; i < MaxLevel; i++) _head.Levels[i] = default;
        _tail = null;
        _level = 1;
        _length = 0;
    }

    /// <summary>Checks every structural invariant (tests): order, spans, backward links, length.</summary>
    internal void Validate()
    {
        long n = 0;
        SkipListNode? prev = null;
        for (SkipListNode? x = First; x != null; x = x.Next)
        {
            if (x.Backward != prev) throw new InvalidOperationException("backward link");
            if (prev != null && Compare(prev.Score, prev.Member, x.Score, x.Member) >= 0) throw new InvalidOperationException("order");
            prev = x;
            n++;
        }
        if (n != _length || _tail != prev) throw new InvalidOperationException("length/tail");
        for (int i = 0; i < _level; i++)
        {
            long pos = 0;
            SkipListNode x = _head;
            while (x.Levels[i].Forward is { } f)
            {
                pos += x.Levels[i].Span;
                if (Rank(f.Score, f.Member) != pos) throw new InvalidOperationException("span at level " + i);
                x = f;
            }
        }
    }
}

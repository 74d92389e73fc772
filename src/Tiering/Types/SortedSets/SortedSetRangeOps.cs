using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Types.Sets;

namespace Tiered.Tiering.Types.SortedSets;

// Why this file looks the way it does
// -----------------------------------
// The range side of sorted sets: ZRANGE in its three flavours (by rank, by score, by lex; forward or REV; LIMIT),
// the range deletes, ZRANGESTORE and the set algebra (ZUNION, ZINTER, ZDIFF and their STORE forms). One RangeSpec
// describes a range for all of them, so ZRANGE, ZREVRANGEBYSCORE and ZREMRANGEBYLEX share one walker.
//
// Cost: a range starts with an O(log N) descent (by rank through the spans, by score or lex through the levels)
// and then walks level 0, so it is O(log N + M) plus LIMIT's offset, which is walked like Redis walks it.
//
// Stores follow Redis: the destination is overwritten whatever it held (its TTL goes too), and an empty result
// deletes it. The algebra reads every source first (a WRONGTYPE source fails the command before anything is
// written), so a destination that is also a source is safe. Plain sets take part with score 1 per member
// (IReadableSet). Weighted scores follow Redis's NaN rule: inf * 0 and inf + -inf become 0.

/// <summary>What a range is over.</summary>
public enum RangeBy : byte
{
    /// <summary>0-based ranks, negative from the end.</summary>
    Rank,
    /// <summary>Scores.</summary>
    Score,
    /// <summary>Members, bytewise (meaningful when all scores are equal).</summary>
    Lex,
}

/// <summary>A ZRANGE-family range: kind, bounds, direction and LIMIT.</summary>
public struct RangeSpec
{
    public RangeBy By;
    /// <summary>From the high end (REV); bounds stay min/max (the command swaps ZRANGE REV's max-first arguments).</summary>
    public bool Reverse;
    /// <summary>Rank bounds (inclusive, negative from the end).</summary>
    public long Start, Stop;
    public ScoreRange Scores;
    public LexRange Lex;
    /// <summary>LIMIT offset (members skipped first).</summary>
    public long Offset;
    /// <summary>LIMIT count; negative: no limit.</summary>
    public long Limit;

    public static RangeSpec ByRank(long start, long stop, bool reverse = false)
        => new() { By = RangeBy.Rank, Start = start, Stop = stop, Reverse = reverse, Limit = -1 };

    public static RangeSpec ByScore(in ScoreRange range, bool reverse = false, long offset = 0, long limit = -1)
        => new() { By = RangeBy.Score, Scores = range, Reverse = reverse, Offset = offset, Limit = limit };

    public static RangeSpec ByLex(in LexRange range, bool reverse = false, long offset = 0, long limit = -1)
        => new() { By = RangeBy.Lex, Lex = range, Reverse = reverse, Offset = offset, Limit = limit };
}

/// <summary>How ZUNION/ZINTER combine the scores of a member found in several inputs.</summary>
public enum Aggregate : byte
{
    Sum,
    Min,
    Max,
}

/// <summary>Sorted set range, range-delete, store and algebra operations. The caller holds the store lock.</summary>
public static class SortedSetRangeOps
{
    /// <summary>ZRANGE family: appends the members of <paramref name="spec"/> in reply order. Ok (nothing for a missing key) or WrongType.</summary>
    public static Status Range(Database db, ReadOnlySpan<byte> key, in RangeSpec spec, List<ScoredMember> into)
    {
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s == Status.NotFound) return Status.Ok;
        if (s != Status.Ok) return s;
        Collect(z!, spec, into);
        return Status.Ok;
    }

    /// <summary>
    /// ZRANGESTORE: stores the range of <paramref name="src"/> at <paramref name="dst"/> (overwritten; deleted when the
    /// result is empty). Ok with the stored count, or WrongType (source of another type; nothing written).
    /// </summary>
    public static Status RangeStore(Database db, ReadOnlySpan<byte> dst, ReadOnlySpan<byte> src, in RangeSpec spec, out long stored)
    {
        stored = 0;
        Status s = db.ReadObject(src, ValueKind.ZSet, out SortedSetValue? z);
        if (s == Status.WrongType) return s;
        var result = new SortedSetValue();
        if (s == Status.Ok)
        {
            List<ScoredMember> items = new();
            Collect(z!, spec, items);
            foreach (ScoredMember m in items) result.InsertOwned(m.Member, m.Score);
        }
        stored = result.Count;
        Store(db, dst, result);
        return Status.Ok;
    }

    /// <summary>ZREMRANGEBYRANK / BYSCORE / BYLEX (spec's direction and LIMIT are ignored). Ok, NotFound or WrongType.</summary>
    public static Status RemoveRange(Database db, ReadOnlySpan<byte> key, in RangeSpec spec, out long removed)
    {
        removed = 0;
        Status s = db.WriteObject<SortedSetValue>(key, ValueKind.ZSet, null, out SortedSetValue? z, out _);
        if (s != Status.Ok) return s;
        SkipList list = z!.List;
        SkipListNode? x;
        long take = long.MaxValue;
        switch (spec.By)
        {
            case RangeBy.Rank:
                if (!ClampRanks(list.Count, spec.Start, spec.Stop, out long start, out long stop)) { x = null; break; }
                x = list.ByRank(start + 1);
                take = stop - start + 1;
                break;
            case RangeBy.Score:
                x = list.FirstInRange(spec.Scores);
                break;
            default:
                x = list.FirstInRange(spec.Lex);
                break;
        }
        while (x != null && take > 0)
        {
            if (spec.By == RangeBy.Score && !spec.Scores.BelowMax(x.Score)) break;
            if (spec.By == RangeBy.Lex && !spec.Lex.BelowMax(x.Member)) break;
            SkipListNode? next = x.Next;
            z.RemoveNode(x);
            removed++;
            take--;
            x = next;
        }
        db.Updated(key, z);
        return Status.Ok;
    }

    /// <summary>Normalizes ZRANGE rank bounds (negative from the end, clamped). False when the range is empty.</summary>
    public static bool ClampRanks(long length, long start, long stop, out long first, out long last)
    {
        if (start < 0) start += length;
        if (stop < 0) stop += length;
        if (start < 0) start = 0;
        first = start;
        last = stop >= length ? length - 1 : stop;
        return start <= last && start < length;
    }

    private static void Collect(SortedSetValue z, in RangeSpec spec, List<ScoredMember> into)
    {
        SkipList list = z.List;
        if (spec.By == RangeBy.Rank)
        {
            if (!ClampRanks(list.Count, spec.Start, spec.Stop, out long start, out long stop)) return;
            long n = stop - start + 1;
            SkipListNode? x = spec.Reverse ? list.ByRank(list.Count - start) : list.ByRank(start + 1);
            for (; x != null && n > 0; n--, x = spec.Reverse ? x.Backward : x.Next) into.Add(new ScoredMember(x.Member, x.Score));
            return;
        }
        if (spec.Offset < 0) return;
        SkipListNode? node = spec.By == RangeBy.Score
            ? (spec.Reverse ? list.LastInRange(spec.Scores) : list.FirstInRange(spec.Scores))
            : (spec.Reverse ? list.LastInRange(spec.Lex) : list.FirstInRange(spec.Lex));
        for (long skip = spec.Offset; node != null && skip > 0; skip--) node = spec.Reverse ? node.Backward : node.Next;
        long limit = spec.Limit;
        while (node != null && limit != 0)
        {
            bool inside = spec.By == RangeBy.Score
                ? (spec.Reverse ? spec.Scores.AboveMin(node.Score) : spec.Scores.BelowMax(node.Score))
                : (spec.Reverse ? spec.Lex.AboveMin(node.Member) : spec.Lex.BelowMax(node.Member));
            if (!inside) break;
            into.Add(new ScoredMember(node.Member, node.Score));
            if (limit > 0) limit--;
            node = spec.Reverse ? node.Backward : node.Next;
        }
    }

    /// <summary>Replaces <paramref name="dst"/> with <paramref name="value"/>, or deletes it when empty. True when a key was there.</summary>
    internal static bool Store(Database db, ReadOnlySpan<byte> dst, SortedSetValue value) => db.StoreResult(dst, ValueKind.ZSet, value);

    /// <summary>
    /// ZUNION / ZINTER / ZDIFF: appends the result in (score, member) order. <paramref name="weights"/> is empty or one
    /// per key (ignored for Diff). Ok or WrongType (a source of another type than sorted set or set).
    /// </summary>
    public static Status Combine<T>(Database db, SetAlgebra op, T keys, ReadOnlySpan<double> weights, Aggregate aggregate,
        List<ScoredMember> into) where T : IByteStrings
    {
        Status s = Compute(db, op, keys, weights, aggregate, out SortedSetValue? result);
        if (s != Status.Ok) return s;
        for (SkipListNode? x = result!.List.First; x != null; x = x.Next) into.Add(new ScoredMember(x.Member, x.Score));
        return Status.Ok;
    }

    /// <summary>ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE: stores the result at <paramref name="dst"/>. Ok with the count, or WrongType.</summary>
    public static Status CombineStore<T>(Database db, ReadOnlySpan<byte> dst, SetAlgebra op, T keys, ReadOnlySpan<double> weights,
        Aggregate aggregate, out long stored) where T : IByteStrings
    {
        stored = 0;
        Status s = Compute(db, op, keys, weights, aggregate, out SortedSetValue? result);
        if (s != Status.Ok) return s;
        stored = result!.Count;
        Store(db, dst, result);
        return Status.Ok;
    }

    /// <summary>One input of the algebra: a sorted set, a plain set, or nothing (missing key).</summary>
    private readonly struct Source(SortedSetValue? zset, IReadableSet? set, double weight)
    {
        public readonly SortedSetValue? ZSet = zset;
        public readonly IReadableSet? Set = set;
        public readonly double Weight = weight;

        public long Count => ZSet?.Count ?? Set?.Count ?? 0;

        public bool TryScore(ReadOnlySpan<byte> member, out double score)
        {
            if (ZSet != null) return ZSet.TryGetScore(member, out score);
            score = 1;
            return Set != null && Set.Contains(member);
        }
    }

    private static Status Compute<T>(Database db, SetAlgebra op, T keys, ReadOnlySpan<double> weights, Aggregate aggregate,
        out SortedSetValue? result) where T : IByteStrings
    {
        result = null;
        Status s = ReadSources(db, op, keys, weights, out Source[] sources);
        if (s != Status.Ok) return s;
        var r = new SortedSetValue();
        result = r;
        switch (op)
        {
            case SetAlgebra.Union:
                foreach (Source src in sources)
                    ForEach(src, (member, score) =>
                    {
                        double v = Weighted(score, src.Weight);
                        SkipListNode? node = r.Find(member);
                        if (node is null) r.InsertOwned(member, v);
                        else r.SetScore(node, Combine(aggregate, node.Score, v));
                    });
                break;
            case SetAlgebra.Intersection:
                int smallest = Smallest(sources);
                if (sources[smallest].Count == 0) break;
                ForEach(sources[smallest], (member, score) =>
                {
                    double acc = Weighted(score, sources[smallest].Weight);
                    for (int i = 0; i < sources.Length; i++)
                    {
                        if (i == smallest) continue;
                        if (!sources[i].TryScore(member, out double other)) return;
                        // Redis aggregates in key order; the smallest input's score joins the others the same way.
                        acc = Combine(aggregate, acc, Weighted(other, sources[i].Weight));
                    }
                    r.InsertOwned(member, acc);
                });
                break;
            default:
                ForEach(sources[0], (member, score) =>
                {
                    for (int i = 1; i < sources.Length; i++)
                        if (sources[i].TryScore(member, out _)) return;
                    r.InsertOwned(member, score);
                });
                break;
        }
        return Status.Ok;
    }

    /// <summary>
    /// ZINTERCARD: the size of the intersection of the sorted sets and sets at <paramref name="keys"/> (a missing key
    /// is empty), counting no further than <paramref name="limit"/> (0: no limit). Ok or WrongType (every key is
    /// checked first, as Redis does).
    /// </summary>
    public static Status InterCard<T>(Database db, in T keys, long limit, out long count) where T : IByteStrings
    {
        count = 0;
        Status s = ReadSources(db, SetAlgebra.Intersection, keys, default, out Source[] sources);
        if (s != Status.Ok) return s;
        int smallest = Smallest(sources);
        long max = limit == 0 ? long.MaxValue : limit, found = 0;
        if (sources[smallest].Count > 0)
            ForEach(sources[smallest], (member, _) =>
            {
                if (found == max) return;
                for (int i = 0; i < sources.Length; i++)
                    if (i != smallest && !sources[i].TryScore(member, out _)) return;
                found++;
            });
        count = found;
        return Status.Ok;
    }

    /// <summary>The inputs at <paramref name="keys"/> with their weights (1 when none are given, and for a difference).</summary>
    private static Status ReadSources<T>(Database db, SetAlgebra op, T keys, ReadOnlySpan<double> weights, out Source[] sources)
        where T : IByteStrings
    {
        sources = new Source[keys.Count];
        for (int i = 0; i < sources.Length; i++)
        {
            double w = op != SetAlgebra.Difference && weights.Length > i ? weights[i] : 1;
            int e = db.LookupRead(keys.Get(i));
            if (e < 0) { sources[i] = new Source(null, null, w); continue; }
            Slot entry = db.At(e);
            if (entry.Kind == ValueKind.ZSet) sources[i] = new Source((SortedSetValue)entry.Value!, null, w);
            else if (entry.Kind == ValueKind.Set && entry.Value is IReadableSet set) sources[i] = new Source(null, set, w);
            else return Status.WrongType;
        }
        return Status.Ok;
    }

    /// <summary>The index of the input with the fewest members (an intersection walks it and probes the others).</summary>
    private static int Smallest(Source[] sources)
    {
        int smallest = 0;
        for (int i = 1; i < sources.Length; i++)
            if (sources[i].Count < sources[smallest].Count) smallest = i;
        return smallest;
    }

    private static void ForEach(in Source src, Action<byte[], double> action)
    {
        if (src.ZSet != null)
        {
            // Walk a snapshot of the nodes' successors: the action never changes the source (it writes the result).
            for (SkipListNode? x = src.ZSet.List.First; x != null; x = x.Next) action(x.Member, x.Score);
        }
        else if (src.Set != null)
        {
            var members = new List<byte[]>((int)Math.Min(src.Set.Count, 1 << 20));
            src.Set.CopyMembersTo(members);
            foreach (byte[] m in members) action(m, 1);
        }
    }

    private static double Weighted(double score, double weight)
    {
        double v = score * weight;
        return double.IsNaN(v) ? 0 : v;
    }

    private static double Combine(Aggregate aggregate, double a, double b)
    {
        switch (aggregate)
        {
            case Aggregate.Min: return Math.Min(a, b);
            case Aggregate.Max: return Math.Max(a, b);
            default:
                double sum = a + b;
                return double.IsNaN(sum) ? 0 : sum;
        }
    }
}

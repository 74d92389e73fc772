using Tiered.Tiering.Engine;

namespace Tiered.Tiering.Types.SortedSets;

// Why this file looks the way it does
// -----------------------------------
// Sorted set operations, one public static method per command behaviour, run by a caller that holds Store.Lock and
// answering with a Status plus plain values; the command layer parses arguments and speaks RESP. Members arrive as
// spans over the command's arguments (IByteStrings, a struct over the argument list, so no per-call array), and
// results leave as ScoredMember references into the set (member arrays are never mutated once stored, so the writer
// may read them after the call while the lock is still held). Ranges, range deletes, stores and the set algebra
// (ZUNION/ZINTER/ZDIFF) live in SortedSetRangeOps.cs.
//
// Redis rules kept here: scores are never NaN (an increment that produces NaN is refused and changes nothing); ZADD
// with XX never creates the key; an emptied set is deleted (Database.Updated); ZSCAN returns a small ("listpack")
// set whole with cursor 0, and walks a large one by stable slot numbers (see SortedSetValue).

/// <summary>A member and its score, as returned by range and pop operations.</summary>
public readonly record struct ScoredMember(byte[] Member, double Score);

/// <summary>Sorted set operations (the SORTED SET command family). The caller holds the store lock.</summary>
public static class SortedSetOps
{
    /// <summary>Slots a ZSCAN call may visit per requested element, so a sparse slot table still gives bounded pages.</summary>
    private const int ScanSlotsPerCount = 10;

    private static SortedSetValue NewSet() => new();

    /// <summary>
    /// ZADD without INCR: applies each (score, member) pair under <paramref name="flags"/>. <paramref name="added"/>
    /// counts new members, <paramref name="changed"/> new members plus members whose score changed (CH).
    /// Ok or WrongType. With XX a missing key is not created.
    /// </summary>
    public static Status Add<T>(Database db, ReadOnlySpan<byte> key, UpdateCondition flags, ReadOnlySpan<double> scores, T members,
        out long added, out long changed) where T : IByteStrings
    {
        added = changed = 0;
        Func<SortedSetValue>? create = (flags & UpdateCondition.Xx) != 0 ? null : NewSet;
        Status s = db.WriteObject(key, ValueKind.ZSet, create, out SortedSetValue? z, out _, out OpLog log);
        if (s == Status.NotFound) return Status.Ok;
        if (s != Status.Ok) return s;
        for (int i = 0; i < members.Count; i++)
        {
            ReadOnlySpan<byte> m = members.Get(i);
            double score = scores[i];
            SkipListNode? node = z!.Find(m);
            if (node is null)
            {
                if ((flags & UpdateCondition.Xx) != 0) continue;
                z.Insert(m, score);
                added++;
            }
            else
            {
                if ((flags & UpdateCondition.Nx) != 0 || !Allowed(flags, node.Score, score) || node.Score == score) continue;
                z.SetScore(node, score);
            }
            if (log.Active && changed == 0) log.Begin(OpCode.ZSetAdd);
            if (log.Active)
            {
                log.Arg(score);
                log.Arg(m);
            }
            changed++;
        }
        if (log.Active && changed > 0) log.End();
        db.Updated(key, z!);
        return Status.Ok;
    }

    /// <summary>Replays one operation record on <paramref name="z"/> (recovery). False when it does not fit.</summary>
    internal static bool Apply(SortedSetValue z, OpArgs op)
    {
        switch (op.Code)
        {
            case OpCode.ZSetAdd when op.Count % 2 == 0:
                for (int i = 0; i < op.Count; i += 2)
                {
                    double score = op.Double(i);
                    ReadOnlySpan<byte> member = op.Get(i + 1);
                    SkipListNode? node = z.Find(member);
                    if (node is null) z.Insert(member, score);
                    else if (node.Score != score) z.SetScore(node, score);
                }
                return true;
            case OpCode.ZSetRemove:
                return op.RemoveEachFrom(z);
            default:
                return false;
        }
    }

    private static bool Allowed(UpdateCondition flags, double current, double proposed)
        => ((flags & UpdateCondition.Gt) == 0 || proposed > current) && ((flags & UpdateCondition.Lt) == 0 || proposed < current);

    /// <summary>
    /// ZINCRBY, or ZADD ... INCR under <paramref name="flags"/>: adds <paramref name="increment"/> to the member's
    /// score (0 if absent). Ok with <paramref name="score"/>; ConditionNotMet when NX/XX/GT/LT prevented it (ZADD
    /// replies nil); NanOrInfinity when the sum is NaN (nothing changes); WrongType.
    /// </summary>
    public static Status Incr(Database db, ReadOnlySpan<byte> key, UpdateCondition flags, double increment, ReadOnlySpan<byte> member,
        out double score) => Incr(db, key, flags, increment, member, out score, out _);

    /// <summary>
    /// <see cref="Incr(Database, ReadOnlySpan{byte}, UpdateCondition, double, ReadOnlySpan{byte}, out double)"/>, with
    /// <paramref name="changed"/> true when the member was added or its score moved (Redis publishes "zincr" only then).
    /// </summary>
    public static Status Incr(Database db, ReadOnlySpan<byte> key, UpdateCondition flags, double increment, ReadOnlySpan<byte> member,
        out double score, out bool changed)
    {
        score = 0;
        changed = false;
        Func<SortedSetValue>? create = (flags & UpdateCondition.Xx) != 0 ? null : NewSet;
        Status s = db.WriteObject(key, ValueKind.ZSet, create, out SortedSetValue? z, out _, out OpLog log);
        if (s == Status.NotFound) return Status.ConditionNotMet;
        if (s != Status.Ok) return s;
        SkipListNode? node = z!.Find(member);
        Status result = Status.Ok;
        if (node is null)
        {
            if ((flags & UpdateCondition.Xx) != 0) result = Status.ConditionNotMet;
            else if (double.IsNaN(increment)) result = Status.NanOrInfinity;
            else { z.Insert(member, score = increment); changed = true; }
        }
        else
        {
            double sum = node.Score + increment;
            if ((flags & UpdateCondition.Nx) != 0) result = Status.ConditionNotMet;
            else if (double.IsNaN(sum)) result = Status.NanOrInfinity;
            else if (!Allowed(flags, node.Score, sum)) result = Status.ConditionNotMet;
            else
            {
                changed = sum != node.Score;
                z.SetScore(node, score = sum);
            }
        }
        if (result == Status.Ok) log.WriteIfActive(OpCode.ZSetAdd, score, member);   // the resulting score, not the increment
        db.Updated(key, z); // deletes a set created above and left empty by a refused increment
        return result;
    }

    /// <summary>ZREM: removes the members; <paramref name="removed"/> counts those that existed. Ok, NotFound or WrongType.</summary>
    public static Status Remove<T>(Database db, ReadOnlySpan<byte> key, T members, out long removed) where T : IByteStrings
        => db.RemoveMembers<SortedSetValue, T>(key, ValueKind.ZSet, members, OpCode.ZSetRemove, out removed);

    /// <summary>ZSCORE: Ok with the score, NotFound (key or member missing) or WrongType.</summary>
    public static Status Score(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> member, out double score)
    {
        score = 0;
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s != Status.Ok) return s;
        return z!.TryGetScore(member, out score) ? Status.Ok : Status.NotFound;
    }

    /// <summary>
    /// ZMSCORE: fills <paramref name="scores"/> (one per member) with each score, NaN for a missing member (scores are
    /// never NaN). Ok (also for a missing key: all NaN) or WrongType.
    /// </summary>
    public static Status MScore<T>(Database db, ReadOnlySpan<byte> key, T members, Span<double> scores) where T : IByteStrings
    {
        scores.Fill(double.NaN);
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s == Status.NotFound) return Status.Ok;
        if (s != Status.Ok) return s;
        for (int i = 0; i < members.Count; i++)
            if (z!.TryGetScore(members.Get(i), out double v)) scores[i] = v;
        return Status.Ok;
    }

    /// <summary>ZCARD: the number of members (0 for a missing key). Ok or WrongType.</summary>
    public static Status Card(Database db, ReadOnlySpan<byte> key, out long count)
    {
        count = 0;
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s == Status.NotFound) return Status.Ok;
        if (s == Status.Ok) count = z!.Count;
        return s;
    }

    /// <summary>
    /// ZCOUNT (a <see cref="ScoreRange"/>) and ZLEXCOUNT (a <see cref="LexRange"/>): members in <paramref name="range"/>,
    /// in O(log N). Ok or WrongType.
    /// </summary>
    public static Status Count<TRange>(Database db, ReadOnlySpan<byte> key, in TRange range, out long count) where TRange : struct, ISkipListRange
    {
        count = 0;
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s == Status.NotFound) return Status.Ok;
        if (s != Status.Ok) return s;
        SkipListNode? first = z!.List.FirstInRange(range);
        if (first != null) count = z.List.RankOf(z.List.LastInRange(range)!) - z.List.RankOf(first) + 1;
        return Status.Ok;
    }

    /// <summary>
    /// ZRANK / ZREVRANK: the 0-based rank of <paramref name="member"/> (from the highest score when
    /// <paramref name="reverse"/>). Ok, NotFound (key or member missing) or WrongType.
    /// </summary>
    public static Status Rank(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> member, bool reverse, out long rank)
    {
        rank = 0;
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s != Status.Ok) return s;
        SkipListNode? node = z!.Find(member);
        if (node is null) return Status.NotFound;
        long r = z.List.RankOf(node);
        rank = reverse ? z.Count - r : r - 1;
        return Status.Ok;
    }

    /// <summary>
    /// ZPOPMIN / ZPOPMAX: removes up to <paramref name="count"/> members from the low (or high) end and appends them
    /// to <paramref name="into"/> in pop order. Ok (nothing for a missing key) or WrongType.
    /// </summary>
    public static Status Pop(Database db, ReadOnlySpan<byte> key, bool max, long count, List<ScoredMember> into)
    {
        Status s = db.WriteObject<SortedSetValue>(key, ValueKind.ZSet, null, out SortedSetValue? z, out _, out OpLog log);
        if (s == Status.NotFound) return Status.Ok;
        if (s != Status.Ok) return s;
        long popped = 0;
        for (; popped < count && z!.Count > 0; popped++)
        {
            SkipListNode node = max ? z.List.Last! : z.List.First!;
            into.Add(new ScoredMember(node.Member, node.Score));
            if (log.Active && popped == 0) log.Begin(OpCode.ZSetRemove);
            if (log.Active) log.Arg(node.Member);
            z.RemoveNode(node);
        }
        if (log.Active && popped > 0) log.End();
        db.Updated(key, z!);
        return Status.Ok;
    }

    /// <summary>
    /// ZRANDMEMBER: appends <paramref name="count"/> random members to <paramref name="into"/>; with
    /// <paramref name="distinct"/> each member at most once (so at most the set's size), otherwise with repetition.
    /// Ok (nothing for a missing key) or WrongType.
    /// </summary>
    public static Status RandomMembers(Database db, ReadOnlySpan<byte> key, long count, bool distinct, List<ScoredMember> into)
    {
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s == Status.NotFound) return Status.Ok;
        if (s != Status.Ok) return s;
        SkipList list = z!.List;
        long n = list.Count;
        if (!distinct)
        {
            for (long i = 0; i < count; i++) Add(into, list.ByRank(Random.Shared.NextInt64(n) + 1)!);
            return Status.Ok;
        }
        if (count >= n)
        {
            for (SkipListNode? x = list.First; x != null; x = x.Next) Add(into, x);
            return Status.Ok;
        }
        // Floyd's sampling: count distinct ranks in O(count) picks, each found in O(log N).
        var picked = new HashSet<long>();
        for (long j = n - count; j < n; j++)
        {
            long t = Random.Shared.NextInt64(j + 1);
            long rank = picked.Add(t) ? t : j;
            if (rank == j) picked.Add(j);
            Add(into, list.ByRank(rank + 1)!);
        }
        return Status.Ok;
    }

    private static void Add(List<ScoredMember> into, SkipListNode node) => into.Add(new ScoredMember(node.Member, node.Score));

    /// <summary>
    /// ZSCAN: appends members whose bytes match <paramref name="pattern"/> (empty: all) to <paramref name="into"/>
    /// and returns the next cursor (0 when done). A small set is returned whole, like Redis's listpack scan.
    /// Ok, NotFound (cursor 0, nothing appended) or WrongType.
    /// </summary>
    public static Status Scan(Database db, ReadOnlySpan<byte> key, ulong cursor, long count, ReadOnlySpan<byte> pattern,
        List<ScoredMember> into, out ulong next)
    {
        next = 0;
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s != Status.Ok) return s;
        bool all = pattern.IsEmpty || (pattern.Length == 1 && pattern[0] == '*');
        if (z!.Encoding == "listpack")
        {
            for (SkipListNode? x = z.List.First; x != null; x = x.Next)
                if (all || Glob.Match(pattern, x.Member)) Add(into, x);
            return Status.Ok;
        }
        int high = z.SlotHighWater;
        if (cursor >= (ulong)high) return Status.Ok;
        long budget = count > long.MaxValue / ScanSlotsPerCount ? long.MaxValue : count * ScanSlotsPerCount;
        long visited = 0, returned = 0;
        int slot = (int)cursor;
        for (; slot < high && returned < count && visited < budget; slot++, visited++)
        {
            SkipListNode? x = z.SlotAt(slot);
            if (x is null) continue;
            returned++;
            if (all || Glob.Match(pattern, x.Member)) Add(into, x);
        }
        next = slot >= high ? 0 : (ulong)slot;
        return Status.Ok;
    }
}

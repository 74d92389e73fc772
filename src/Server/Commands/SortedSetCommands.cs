using Tiered.Server.Admin;
using Tiered.Tiering.Types.SortedSets;

namespace Tiered.Server.Commands;

/// <summary>
/// Sorted set commands, part one: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK ZPOPMIN
/// ZPOPMAX ZRANDMEMBER ZSCAN. The range, store and algebra commands are in <see cref="SortedSetRangeCommands"/>.
/// Thin adapters: parse and validate in Redis's order (so the first error reported is Redis's), make one
/// <see cref="SortedSetOps"/> call, write the reply. Scores go out through <see cref="RespWriter.Double"/>
/// (a RESP3 double, a bulk string in RESP2); WITHSCORES replies are [member, score] pairs in RESP3, as in Redis 7.
/// </summary>
public static class SortedSetCommands
{
    internal const string Group = "sorted-set";

    // Results are collected here while the lock is held, then written; one list per thread, reused.
    [ThreadStatic] private static List<ScoredMember>? t_items;

    [Command("zrank")] private static void ZRank(CommandContext c) => ZRank(c, reverse: false);
    [Command("zrevrank")] private static void ZRevRank(CommandContext c) => ZRank(c, reverse: true);
    [Command("zpopmin")] private static void ZPopMin(CommandContext c) => ZPop(c, max: false);
    [Command("zpopmax")] private static void ZPopMax(CommandContext c) => ZPop(c, max: true);

    internal static List<ScoredMember> RentItems()
    {
        List<ScoredMember> l = t_items ?? new List<ScoredMember>();
        t_items = null;
        return l;
    }

    internal static void ReturnItems(List<ScoredMember> l)
    {
        l.Clear();
        if (l.Capacity <= 4096) t_items = l;
    }

    /// <summary>Members, or with scores: [member, score] pairs in RESP3, a flat member/score array in RESP2.</summary>
    internal static void WriteItems(CommandContext c, List<ScoredMember> items, bool withScores)
    {
        RespWriter w = c.Writer;
        if (!withScores)
        {
            w.Array(items.Count);
            foreach (ScoredMember m in items) w.Bulk(m.Member);
        }
        else if (w.Protocol == 3)
        {
            w.Array(items.Count);
            foreach (ScoredMember m in items) { w.Array(2); w.Bulk(m.Member); w.Double(m.Score); }
        }
        else
        {
            w.Array(items.Count * 2L);
            foreach (ScoredMember m in items) { w.Bulk(m.Member); w.Double(m.Score); }
        }
    }

    [Command("zadd")] private static void ZAdd(CommandContext c)
    {
        UpdateCondition flags = UpdateCondition.None;
        bool ch = false, incr = false;
        int i = 2;
        for (; i < c.Count; i++)
        {
            if (c.Is(i, "NX"u8)) flags |= UpdateCondition.Nx;
            else if (c.Is(i, "XX"u8)) flags |= UpdateCondition.Xx;
            else if (c.Is(i, "GT"u8)) flags |= UpdateCondition.Gt;
            else if (c.Is(i, "LT"u8)) flags |= UpdateCondition.Lt;
            else if (c.Is(i, "CH"u8)) ch = true;
            else if (c.Is(i, "INCR"u8)) incr = true;
            else break;
        }
        int elements = c.Count - i;
        if (elements == 0 || elements % 2 != 0) { c.SyntaxError(); return; }
        elements /= 2;
        bool nx = (flags & UpdateCondition.Nx) != 0, gt = (flags & UpdateCondition.Gt) != 0, lt = (flags & UpdateCondition.Lt) != 0;
        if (nx && (flags & UpdateCondition.Xx) != 0) { c.Writer.Error("ERR XX and NX options at the same time are not compatible"u8); return; }
        if ((gt && nx) || (lt && nx) || (gt && lt)) { c.Writer.Error("ERR GT, LT, and/or NX options at the same time are not compatible"u8); return; }
        if (incr && elements > 1) { c.Writer.Error("ERR INCR option supports a single increment-element pair"u8); return; }
        Span<double> scores = elements <= 64 ? stackalloc double[elements] : new double[elements];
        for (int k = 0; k < elements; k++)
            if (!ParseScore(c, i + 2 * k, out scores[k])) return;
        if (incr)
        {
            Status si = SortedSetOps.Incr(c.Db, c[1], flags, scores[0], c[i + 1], out double score, out bool moved);
            if (si == Status.Ok && moved) c.Notify(KeyspaceEventFlags.Zset, "zincr"u8);
            if (si == Status.Ok) c.Writer.Double(score);
            else if (si == Status.ConditionNotMet) c.Writer.Null();
            else ReplyError(c, si);
            return;
        }
        Status s = SortedSetOps.Add(c.Db, c[1], flags, scores, new ArgStrings(c, i + 1, elements, 2), out long added, out long changed);
        if (s == Status.Ok && changed > 0) c.Notify(KeyspaceEventFlags.Zset, "zadd"u8);
        if (s == Status.Ok) c.Writer.Integer(ch ? changed : added);
        else ReplyError(c, s);
    }

    /// <summary>
    /// Parses a ZADD/ZINCRBY score as Redis does: like a float, but a number that overflows to infinity is refused
    /// (only the words inf/+inf/-inf give an infinite score). Replies Redis's error on failure.
    /// </summary>
    internal static bool ParseScore(CommandContext c, int i, out double value)
    {
        if (Numbers.ParseFloat(c[i], out value)) return true;
        c.Writer.Error("ERR value is not a valid float"u8);
        return false;
    }

    /// <summary>Engine status to error reply, with the sorted-set wording for a NaN result.</summary>
    internal static void ReplyError(CommandContext c, Status s)
    {
        if (s == Status.NanOrInfinity) c.Writer.Error("ERR resulting score is not a number (NaN)"u8);
        else c.Error(s);
    }

    [Command("zincrby")] private static void ZIncrBy(CommandContext c)
    {
        if (!ParseScore(c, 2, out double incr)) return;
        Status s = SortedSetOps.Incr(c.Db, c[1], UpdateCondition.None, incr, c[3], out double score, out bool changed);
        if (s == Status.Ok && changed) c.Notify(KeyspaceEventFlags.Zset, "zincr"u8);
        if (s == Status.Ok) c.Writer.Double(score);
        else ReplyError(c, s);
    }

    [Command("zrem")] private static void ZRem(CommandContext c)
    {
        Status s = SortedSetOps.Remove(c.Db, c[1], new ArgStrings(c, 2, c.Count - 2, 1), out long removed);
        if (removed > 0) c.NotifyRemoved(KeyspaceEventFlags.Zset, "zrem"u8);
        if (s == Status.Ok || s == Status.NotFound) c.Writer.Integer(removed);
        else c.Error(s);
    }

    [Command("zscore")] private static void ZScore(CommandContext c)
    {
        Status s = SortedSetOps.Score(c.Db, c[1], c[2], out double score);
        if (s == Status.Ok) c.Writer.Double(score);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    [Command("zmscore")] private static void ZMScore(CommandContext c)
    {
        int n = c.Count - 2;
        Span<double> scores = n <= 64 ? stackalloc double[n] : new double[n];
        Status s = SortedSetOps.MScore(c.Db, c[1], new ArgStrings(c, 2, n, 1), scores);
        if (s != Status.Ok) { c.Error(s); return; }
        c.Writer.Array(n);
        foreach (double v in scores)
        {
            if (double.IsNaN(v)) c.Writer.Null();
            else c.Writer.Double(v);
        }
    }

    [Command("zcard")] private static void ZCard(CommandContext c)
        => c.Integer(SortedSetOps.Card(c.Db, c[1], out long count), count);

    [Command("zcount")] private static void ZCount(CommandContext c)
    {
        if (SortedSetRangeCommands.ParseScoreRange(c, 2, 3, out ScoreRange range)) c.Integer(SortedSetOps.Count(c.Db, c[1], range, out long n), n);
    }

    [Command("zlexcount")] private static void ZLexCount(CommandContext c)
    {
        if (SortedSetRangeCommands.ParseLexRange(c, 2, 3, out LexRange range)) c.Integer(SortedSetOps.Count(c.Db, c[1], range, out long n), n);
    }

    private static void ZRank(CommandContext c, bool reverse)
    {
        Status s = SortedSetOps.Rank(c.Db, c[1], c[2], reverse, out long rank);
        if (s == Status.Ok) c.Writer.Integer(rank);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    private static void ZPop(CommandContext c, bool max)
    {
        if (c.Count > 3) { c.SyntaxError(); return; }
        long count = 1;
        bool hasCount = c.Count == 3;
        if (hasCount)
        {
            if (!c.TryLong(2, out count) || count < 0) { c.Writer.Error("ERR value is out of range, must be positive"u8); return; }
        }
        List<ScoredMember> items = RentItems();
        Status s = SortedSetOps.Pop(c.Db, c[1], max, count, items);
        if (items.Count > 0) NotifyPop(c, max, c[1]);
        if (s != Status.Ok) c.Error(s);
        else if (hasCount) WriteItems(c, items, withScores: true);
        else
        {
            // Without a count the reply is one flat [member, score] array, also in RESP3.
            c.Writer.Array(items.Count * 2L);
            foreach (ScoredMember m in items) { c.Writer.Bulk(m.Member); c.Writer.Double(m.Score); }
        }
        ReturnItems(items);
    }

    /// <summary>The events of a pop from <paramref name="key"/>: "zpopmin" or "zpopmax", and "del" when it emptied the set.</summary>
    internal static void NotifyPop(CommandContext c, bool max, ReadOnlySpan<byte> key)
        => c.NotifyRemoved(KeyspaceEventFlags.Zset, max ? "zpopmax"u8 : "zpopmin"u8, key);

    [Command("zrandmember")] private static void ZRandMember(CommandContext c)
    {
        if (c.Count > 4 || (c.Count == 4 && !c.Is(3, "WITHSCORES"u8))) { c.SyntaxError(); return; }
        List<ScoredMember> items = RentItems();
        if (c.Count == 2)
        {
            Status s1 = SortedSetOps.RandomMembers(c.Db, c[1], 1, distinct: true, items);
            if (s1 != Status.Ok) c.Error(s1);
            else if (items.Count == 0) c.Writer.Null();
            else c.Writer.Bulk(items[0].Member);
            ReturnItems(items);
            return;
        }
        bool withScores = c.Count == 4;
        if (!c.Long(2, out long count)) { ReturnItems(items); return; }
        if (count < -long.MaxValue / 2 || count > long.MaxValue / 2)
        {
            c.Writer.Error("ERR value is out of range"u8);
            ReturnItems(items);
            return;
        }
        Status s = SortedSetOps.RandomMembers(c.Db, c[1], Math.Abs(count), distinct: count >= 0, items);
        if (s != Status.Ok) c.Error(s);
        else WriteItems(c, items, withScores);
        ReturnItems(items);
    }

    [Command("zscan")] private static void ZScan(CommandContext c)
    {
        if (!ScanArgs.TryParseCursor(c, 2, out ulong cursor)) return;
        ScanArgs args = ScanArgs.Parse(c, 3);
        List<ScoredMember> items = RentItems();
        Status s = SortedSetOps.Scan(c.Db, c[1], cursor, args.Count, args.Pattern(c), items, out ulong next);
        if (s == Status.WrongType) c.Error(s);
        else if (s == Status.NotFound || !args.ReplyError(c))
        {
            // Scores are bulk strings in both protocols, as Redis's SCAN family replies.
            Span<byte> tmp = stackalloc byte[40];
            ScanArgs.BeginReply(c, next, items.Count * 2L);
            foreach (ScoredMember m in items)
            {
                c.Writer.Bulk(m.Member);
                c.Writer.Bulk(tmp[..RespWriter.FormatDouble(m.Score, tmp)]);
            }
        }
        ReturnItems(items);
    }
}

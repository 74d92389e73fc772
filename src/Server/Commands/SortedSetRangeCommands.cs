using Tiered.Server.Admin;
using Tiered.Tiering.Types.Sets;
using Tiered.Tiering.Types.SortedSets;

namespace Tiered.Server.Commands;

/// <summary>
/// Sorted set commands, part two: ZRANGE ZRANGESTORE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
/// ZREVRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE
/// ZDIFFSTORE. All ZRANGE forms share one parser, as in Redis: the legacy commands are ZRANGE with the range kind
/// and direction fixed, so an option that would change them is a syntax error there.
/// </summary>
public static class SortedSetRangeCommands
{
    private const string Group = SortedSetCommands.Group;

    private enum RangeKind : byte { Auto, Rank, Score, Lex }

    [Command("zrange")] private static void ZRange(CommandContext c) => ZRange(c, store: false, RangeKind.Auto, reverse: null);
    [Command("zrangestore")] private static void ZRangeStore(CommandContext c) => ZRange(c, store: true, RangeKind.Auto, reverse: null);
    [Command("zrevrange")] private static void ZRevRange(CommandContext c) => ZRange(c, store: false, RangeKind.Rank, reverse: true);
    [Command("zrangebyscore")] private static void ZRangeByScore(CommandContext c) => ZRange(c, store: false, RangeKind.Score, reverse: false);
    [Command("zrevrangebyscore")] private static void ZRevRangeByScore(CommandContext c) => ZRange(c, store: false, RangeKind.Score, reverse: true);
    [Command("zrangebylex")] private static void ZRangeByLex(CommandContext c) => ZRange(c, store: false, RangeKind.Lex, reverse: false);
    [Command("zrevrangebylex")] private static void ZRevRangeByLex(CommandContext c) => ZRange(c, store: false, RangeKind.Lex, reverse: true);
    [Command("zremrangebyrank")] private static void ZRemRangeByRank(CommandContext c) => ZRemRange(c, RangeKind.Rank);
    [Command("zremrangebyscore")] private static void ZRemRangeByScore(CommandContext c) => ZRemRange(c, RangeKind.Score);
    [Command("zremrangebylex")] private static void ZRemRangeByLex(CommandContext c) => ZRemRange(c, RangeKind.Lex);
    [Command("zunion")] private static void ZUnion(CommandContext c) => Algebra(c, SetAlgebra.Union, store: false);
    [Command("zinter")] private static void ZInter(CommandContext c) => Algebra(c, SetAlgebra.Intersection, store: false);
    [Command("zdiff")] private static void ZDiff(CommandContext c) => Algebra(c, SetAlgebra.Difference, store: false);
    [Command("zunionstore")] private static void ZUnionStore(CommandContext c) => Algebra(c, SetAlgebra.Union, store: true);
    [Command("zinterstore")] private static void ZInterStore(CommandContext c) => Algebra(c, SetAlgebra.Intersection, store: true);
    [Command("zdiffstore")] private static void ZDiffStore(CommandContext c) => Algebra(c, SetAlgebra.Difference, store: true);

    /// <summary>Parses a ZRANGEBYSCORE bound: a float, "(" for exclusive, "-inf"/"+inf".</summary>
    private static bool ParseScoreBound(ReadOnlySpan<byte> s, out double value, out bool exclusive)
    {
        exclusive = s.Length > 0 && s[0] == '(';
        return CommandContext.ParseDouble(exclusive ? s[1..] : s, out value);
    }

    /// <summary>Parses a score range from arguments <paramref name="minArg"/> and <paramref name="maxArg"/>, replying Redis's error.</summary>
    internal static bool ParseScoreRange(CommandContext c, int minArg, int maxArg, out ScoreRange range)
    {
        range = default;
        if (!ParseScoreBound(c[minArg], out double min, out bool minEx) || !ParseScoreBound(c[maxArg], out double max, out bool maxEx))
        {
            c.Writer.Error("ERR min or max is not a float"u8);
            return false;
        }
        range = new ScoreRange(min, max, minEx, maxEx);
        return true;
    }

    private static bool ParseLexBound(ReadOnlySpan<byte> s, out LexBound bound)
    {
        bound = default;
        if (s.Length == 0) return false;
        switch (s[0])
        {
            case (byte)'+' when s.Length == 1: bound = LexBound.Max; return true;
            case (byte)'-' when s.Length == 1: bound = LexBound.Min; return true;
            case (byte)'[': bound = new LexBound(LexBoundKind.Inclusive, s[1..].ToArray()); return true;
            case (byte)'(': bound = new LexBound(LexBoundKind.Exclusive, s[1..].ToArray()); return true;
            default: return false;
        }
    }

    /// <summary>Parses a lex range ("[a", "(a", "-", "+"), replying Redis's error.</summary>
    internal static bool ParseLexRange(CommandContext c, int minArg, int maxArg, out LexRange range)
    {
        range = default;
        if (!ParseLexBound(c[minArg], out LexBound min) || !ParseLexBound(c[maxArg], out LexBound max))
        {
            c.Writer.Error("ERR min or max not valid string range item"u8);
            return false;
        }
        range = new LexRange(min, max);
        return true;
    }

    /// <summary>
    /// Every ZRANGE form. <paramref name="kind"/> and <paramref name="reverse"/> are fixed by the legacy commands
    /// (Auto / null: chosen by BYSCORE, BYLEX and REV options).
    /// </summary>
    private static void ZRange(CommandContext c, bool store, RangeKind kind, bool? reverse)
    {
        int keyArg = store ? 2 : 1;
        int minArg = keyArg + 1, maxArg = keyArg + 2;
        bool withScores = false;
        long offset = 0, limit = -1;
        for (int j = keyArg + 3; j < c.Count; j++)
        {
            int left = c.Count - j - 1;
            if (!store && c.Is(j, "WITHSCORES"u8)) withScores = true;
            else if (c.Is(j, "LIMIT"u8) && left >= 2)
            {
                if (!c.Long(j + 1, out offset) || !c.Long(j + 2, out limit)) return;
                j += 2;
            }
            else if (reverse is null && c.Is(j, "REV"u8)) reverse = true;
            else if (kind == RangeKind.Auto && c.Is(j, "BYSCORE"u8)) kind = RangeKind.Score;
            else if (kind == RangeKind.Auto && c.Is(j, "BYLEX"u8)) kind = RangeKind.Lex;
            else { c.SyntaxError(); return; }
        }
        bool rev = reverse ?? false;
        if (kind == RangeKind.Auto) kind = RangeKind.Rank;
        if ((offset != 0 || limit != -1) && kind == RangeKind.Rank)
        {
            c.Writer.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"u8);
            return;
        }
        if (withScores && kind == RangeKind.Lex)
        {
            c.Writer.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"u8);
            return;
        }
        // With REV the score and lex forms take max first.
        if (rev && kind != RangeKind.Rank) (minArg, maxArg) = (maxArg, minArg);
        RangeSpec spec;
        switch (kind)
        {
            case RangeKind.Rank:
                if (!c.Long(minArg, out long start) || !c.Long(maxArg, out long stop)) return;
                spec = RangeSpec.ByRank(start, stop, rev);
                break;
            case RangeKind.Score:
                if (!ParseScoreRange(c, minArg, maxArg, out ScoreRange scores)) return;
                spec = RangeSpec.ByScore(scores, rev, offset, limit);
                break;
            default:
                if (!ParseLexRange(c, minArg, maxArg, out LexRange lex)) return;
                spec = RangeSpec.ByLex(lex, rev, offset, limit);
                break;
        }
        if (store)
        {
            bool existed = c.ExistsForEvents(c[1]);
            Status ss = SortedSetRangeOps.RangeStore(c.Db, c[1], c[2], spec, out long stored);
            if (ss == Status.Ok) c.NotifyStored(KeyspaceEventFlags.Zset, "zrangestore"u8, c[1], stored > 0, existed);
            if (ss == Status.Ok) c.Writer.Integer(stored);
            else c.Error(ss);
            return;
        }
        List<ScoredMember> items = SortedSetCommands.RentItems();
        Status s = SortedSetRangeOps.Range(c.Db, c[keyArg], spec, items);
        if (s == Status.Ok) SortedSetCommands.WriteItems(c, items, withScores);
        else c.Error(s);
        SortedSetCommands.ReturnItems(items);
    }

    private static void ZRemRange(CommandContext c, RangeKind kind)
    {
        RangeSpec spec;
        switch (kind)
        {
            case RangeKind.Rank:
                if (!c.Long(2, out long start) || !c.Long(3, out long stop)) return;
                spec = RangeSpec.ByRank(start, stop);
                break;
            case RangeKind.Score:
                if (!ParseScoreRange(c, 2, 3, out ScoreRange scores)) return;
                spec = RangeSpec.ByScore(scores);
                break;
            default:
                if (!ParseLexRange(c, 2, 3, out LexRange lex)) return;
                spec = RangeSpec.ByLex(lex);
                break;
        }
        Status s = SortedSetRangeOps.RemoveRange(c.Db, c[1], spec, out long removed);
        if (removed > 0) c.NotifyRemoved(KeyspaceEventFlags.Zset, c.Command.NameBytes);
        if (s == Status.Ok || s == Status.NotFound) c.Writer.Integer(removed);
        else c.Error(s);
    }

    [Command("zintercard")] private static void ZInterCard(CommandContext c)
    {
        if (!ParseNumKeys(c, 1, out int n)) return;
        long limit = 0;
        for (int j = 2 + n; j < c.Count; j += 2)
        {
            if (!c.Is(j, "LIMIT"u8) || j + 1 == c.Count) { c.SyntaxError(); return; }
            if (!c.TryLong(j + 1, out limit) || limit < 0) { c.Writer.Error("ERR LIMIT can't be negative"u8); return; }
        }
        c.Integer(SortedSetRangeOps.InterCard(c.Db, new ArgStrings(c, 2, n), limit, out long count), count);
    }

    /// <summary>The numkeys argument of the sorted set algebra, with Redis's errors (zunionInterDiffGenericCommand).</summary>
    private static bool ParseNumKeys(CommandContext c, int numArg, out int n)
    {
        n = 0;
        if (!c.Long(numArg, out long numKeys)) return false;
        if (numKeys < 1)
        {
            c.Writer.Error($"ERR at least 1 input key is needed for '{c.Command.Name}' command");
            return false;
        }
        if (numKeys > c.Count - numArg - 1) { c.SyntaxError(); return false; }
        n = (int)numKeys;
        return true;
    }

    private static void Algebra(CommandContext c, SetAlgebra op, bool store)
    {
        int numArg = store ? 2 : 1;
        if (!ParseNumKeys(c, numArg, out int n)) return;
        Span<double> weights = n <= 64 ? stackalloc double[n] : new double[n];
        weights.Fill(1);
        Aggregate aggregate = Aggregate.Sum;
        bool withScores = false;
        for (int j = numArg + 1 + n; j < c.Count; j++)
        {
            int remaining = c.Count - j;
            if (op != SetAlgebra.Difference && remaining >= n + 1 && c.Is(j, "WEIGHTS"u8))
            {
                j++;
                for (int k = 0; k < n; k++, j++)
                {
                    if (!Numbers.ParseFloat(c[j], out weights[k]))
                    {
                        c.Writer.Error("ERR weight value is not a float"u8);
                        return;
                    }
                }
                j--;
            }
            else if (op != SetAlgebra.Difference && remaining >= 2 && c.Is(j, "AGGREGATE"u8))
            {
                j++;
                if (c.Is(j, "SUM"u8)) aggregate = Aggregate.Sum;
                else if (c.Is(j, "MIN"u8)) aggregate = Aggregate.Min;
                else if (c.Is(j, "MAX"u8)) aggregate = Aggregate.Max;
                else { c.SyntaxError(); return; }
            }
            else if (!store && c.Is(j, "WITHSCORES"u8)) withScores = true;
            else { c.SyntaxError(); return; }
        }
        var keys = new ArgStrings(c, numArg + 1, n);
        if (store)
        {
            bool existed = c.ExistsForEvents(c[1]);
            Status ss = SortedSetRangeOps.CombineStore(c.Db, c[1], op, keys, weights, aggregate, out long stored);
            if (ss == Status.Ok) c.NotifyStored(KeyspaceEventFlags.Zset, c.Command.NameBytes, c[1], stored > 0, existed);
            if (ss == Status.Ok) c.Writer.Integer(stored);
            else c.Error(ss);
            return;
        }
        List<ScoredMember> items = SortedSetCommands.RentItems();
        Status s = SortedSetRangeOps.Combine(c.Db, op, keys, weights, aggregate, items);
        if (s == Status.Ok) SortedSetCommands.WriteItems(c, items, withScores);
        else c.Error(s);
        SortedSetCommands.ReturnItems(items);
    }
}

using Tiered.Tiering.Types.SortedSets;

namespace Tiered.Server.Commands;

// Why this file looks the way it does
// -----------------------------------
// The blocking sorted set commands (BZPOPMIN BZPOPMAX BZMPOP) are ZPOPMIN / ZPOPMAX over several keys plus the handler
// contract of Session/Blocking.cs: try to pop from the keys in the order given; if none holds a sorted set, either write the
// timeout reply (deadline passed, or inside EXEC) or park the client on the keys with CommandContext.BlockOn and write
// nothing. A ZADD (or any write) to one of those keys re-runs the command from its bytes, so it simply tries again.
//
//   BZPOPMIN z1 z2 0 -> both missing -> BlockOn(z1..z2, forever)
//   ZADD z2 1 a      -> AfterWrite touches z2 -> re-run -> *3 z2 a 1
//
// SortedSetOps.Pop answers Ok with nothing popped for a missing key (Redis never keeps an empty sorted set), so "no
// member popped" is the blocking condition here. A key of another type met before a sorted set is WRONGTYPE, as in
// Redis. Replies follow Redis 7.0: BZPOPMIN/BZPOPMAX [key, member, score] (score a RESP3 double), BZMPOP
// [key, [[member, score], ...]], and a null array (RESP3 null) at the timeout. ZMPOP is BZMPOP without the timeout
// argument and without blocking, so it lives here too.

/// <summary>Blocking sorted set commands: BZPOPMIN BZPOPMAX BZMPOP, and ZMPOP. See the comment at the top of this file.</summary>
public static class BlockingSortedSetCommands
{
    [Command("bzpopmin")] private static void BZPopMin(CommandContext c) => BZPop(c, max: false);
    [Command("bzpopmax")] private static void BZPopMax(CommandContext c) => BZPop(c, max: true);
    [Command("zmpop")] private static void ZMPop(CommandContext c) => MPop(c, 1, -1);

    private static void BZPop(CommandContext c, bool max)
    {
        if (!c.BlockTimeout(c.Count - 1, out long ms)) return;
        int lastKey = c.Count - 2;
        List<ScoredMember> items = SortedSetCommands.RentItems();
        for (int i = 1; i <= lastKey; i++)
        {
            Status s = SortedSetOps.Pop(c.Db, c[i], max, 1, items);
            if (s != Status.Ok) { SortedSetCommands.ReturnItems(items); c.Error(s); return; }
            if (items.Count == 0) continue;
            SortedSetCommands.NotifyPop(c, max, c[i]);
            RespWriter w = c.Writer;
            w.Array(3);
            w.Bulk(c[i]);
            w.Bulk(items[0].Member);
            w.Double(items[0].Score);
            SortedSetCommands.ReturnItems(items);
            return;
        }
        SortedSetCommands.ReturnItems(items);
        if (c.TimedOut) c.Writer.NullArray();
        else c.BlockOn(1, lastKey, ms);
    }

    [Command("bzmpop")] private static void BZMPop(CommandContext c)
    {
        if (c.BlockTimeout(1, out long ms)) MPop(c, 2, ms);
    }

    /// <summary>
    /// ZMPOP (numkeys at 1, <paramref name="blockMs"/> -1: never blocks) and BZMPOP (numkeys at 2, after the timeout):
    /// pops from the first of the keys that is not empty.
    /// </summary>
    private static void MPop(CommandContext c, int numKeysArg, long blockMs)
    {
        if (!c.TryLong(numKeysArg, out long numKeys) || numKeys < 1)
        {
            c.Writer.Error("ERR numkeys should be greater than 0"u8);
            return;
        }
        int firstKey = numKeysArg + 1;
        if (numKeys > c.Count - firstKey - 1) { c.SyntaxError(); return; }
        int whereArg = firstKey + (int)numKeys;
        bool max = c.Is(whereArg, "MAX"u8);
        if (!max && !c.Is(whereArg, "MIN"u8)) { c.SyntaxError(); return; }
        long count = -1;
        for (int j = whereArg + 1; j < c.Count; j++)
        {
            if (count == -1 && j + 1 < c.Count && c.Is(j, "COUNT"u8))
            {
                if (!c.TryLong(++j, out count) || count < 1)
                {
                    c.Writer.Error("ERR count should be greater than 0"u8);
                    return;
                }
            }
            else { c.SyntaxError(); return; }
        }
        if (count == -1) count = 1;
        List<ScoredMember> items = SortedSetCommands.RentItems();
        for (int i = firstKey; i < whereArg; i++)
        {
            Status s = SortedSetOps.Pop(c.Db, c[i], max, count, items);
            if (s != Status.Ok) { SortedSetCommands.ReturnItems(items); c.Error(s); return; }
            if (items.Count == 0) continue;
            SortedSetCommands.NotifyPop(c, max, c[i]);
            RespWriter w = c.Writer;
            w.Array(2);
            w.Bulk(c[i]);
            w.Array(items.Count);
            foreach (ScoredMember m in items) { w.Array(2); w.Bulk(m.Member); w.Double(m.Score); }
            SortedSetCommands.ReturnItems(items);
            return;
        }
        SortedSetCommands.ReturnItems(items);
        if (blockMs < 0 || c.TimedOut) c.Writer.NullArray();
        else c.BlockOn(firstKey, whereArg - 1, blockMs);
    }
}

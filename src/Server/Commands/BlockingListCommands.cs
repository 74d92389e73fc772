using Tiered.Tiering.Types.Lists;

namespace Tiered.Server.Commands;

// Why this file looks the way it does
// -----------------------------------
// The blocking list commands (BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP) are the non-blocking ones (LPOP, LMOVE, LMPOP)
// plus the handler contract of Session/Blocking.cs: try to serve with the very same ListOps call; if it answers NotFound
// (nothing to take, nothing changed) either write the timeout reply (deadline passed, or inside EXEC) or park the
// client on the keys with CommandContext.BlockOn and write nothing. A push to one of those keys re-runs the command
// from its bytes, so it simply tries again.
//
//   BLPOP k1 k2 5 -> k1 missing, k2 missing -> BlockOn(k1..k2, 5 s)
//   LPUSH k2 x    -> AfterWrite touches k2 -> re-run BLPOP -> k1 missing, k2 has x -> *2 k2 x
//
// Argument order and error precedence follow Redis 7.0: BLPOP/BRPOP/BLMPOP parse the timeout first, BLMOVE parses its
// LEFT|RIGHT words first. Keys are examined in the order given; a key of another type met before a list is WRONGTYPE.
// Timeout replies are Redis's: a null array (RESP3 null) — also for BLMOVE/BRPOPLPUSH at the deadline — except that
// BLMOVE/BRPOPLPUSH inside MULTI reply a null bulk, as Redis does.

/// <summary>Blocking list commands: BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP. See the comment at the top of this file.</summary>
public static class BlockingListCommands
{
    // Elements popped by BLMPOP are collected here under the lock, then written; one per thread.
    [ThreadStatic] private static List<byte[]>? t_elements;

    [Command("blpop")] private static void BLPop(CommandContext c) => BPop(c, left: true);
    [Command("brpop")] private static void BRPop(CommandContext c) => BPop(c, left: false);

    private static void BPop(CommandContext c, bool left)
    {
        if (!c.BlockTimeout(c.Count - 1, out long ms)) return;
        int lastKey = c.Count - 2;
        for (int i = 1; i <= lastKey; i++)
        {
            Status s = ListOps.TryPop(c.Db, c[i], left, out byte[]? element);
            if (s == Status.NotFound) continue;
            if (s != Status.Ok) { c.Error(s); return; }
            ListCommands.NotifyPop(c, left, c[i]);
            c.Writer.Array(2);
            c.Writer.Bulk(c[i]);
            c.Writer.Bulk(element);
            return;
        }
        if (c.TimedOut) c.Writer.NullArray();
        else c.BlockOn(1, lastKey, ms);
    }

    [Command("brpoplpush")] private static void BRPopLPush(CommandContext c)
    {
        if (!c.BlockTimeout(3, out long ms)) return;
        Move(c, fromLeft: false, toLeft: true, ms);
    }

    [Command("blmove")] private static void BLMove(CommandContext c)
    {
        if (!ListCommands.Side(c, 3, out bool fromLeft) || !ListCommands.Side(c, 4, out bool toLeft)) return;
        if (!c.BlockTimeout(5, out long ms)) return;
        Move(c, fromLeft, toLeft, ms);
    }

    private static void Move(CommandContext c, bool fromLeft, bool toLeft, long ms)
    {
        Status s = ListOps.TryMove(c.Db, c[1], c[2], fromLeft, toLeft, out byte[]? element);
        if (s == Status.Ok) ListCommands.NotifyMove(c, fromLeft, toLeft);
        if (s == Status.Ok) c.Writer.Bulk(element);
        else if (s != Status.NotFound) c.Error(s);
        else if (c.Client.InExec) c.Writer.Null();
        else if (c.TimedOut) c.Writer.NullArray();
        else c.BlockOn(1, 1, ms);
    }

    [Command("blmpop")] private static void BLMPop(CommandContext c)
    {
        if (!c.BlockTimeout(1, out long ms)) return;
        if (!ListCommands.ParseMultiPop(c, 2, out int numKeys, out bool left, out long count)) return;
        List<byte[]> popped = t_elements ??= [];
        Status s = ListOps.TryMultiPop(c.Db, new ArgStrings(c, 3, numKeys), left, count, popped, out int keyIndex);
        if (s == Status.Ok)
        {
            ListCommands.NotifyPop(c, left, c[3 + keyIndex]);
            c.Writer.Array(2);
            c.Writer.Bulk(c[3 + keyIndex]);
            c.Writer.Array(popped.Count);
            foreach (byte[] e in popped) c.Writer.Bulk(e);
            popped.Clear();
        }
        else if (s != Status.NotFound) { popped.Clear(); c.Error(s); }
        else if (c.TimedOut) c.Writer.NullArray();
        else c.BlockOn(3, 2 + (int)numKeys, ms);
    }

}

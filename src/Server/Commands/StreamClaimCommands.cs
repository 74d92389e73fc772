using Tiered.Tiering.Types.Streams;

namespace Tiered.Server.Commands;

// Why this file looks the way it does
// -----------------------------------
// The pending-entries commands: XPENDING (summary and extended form), XCLAIM and XAUTOCLAIM, the tools a consumer
// group uses to recover messages a dead consumer was holding:
//
//   XREADGROUP GROUP g alice ... >     -> PEL: 1-0 alice, 2-0 alice         (alice dies)
//   XPENDING s g IDLE 60000 - + 10     -> [[1-0 alice idle 61000 1] [2-0 alice 61000 1]]
//   XAUTOCLAIM s g bob 60000 0-0       -> [0-0, [entries 1-0 2-0], []]      PEL: 1-0 bob, 2-0 bob (count 2)
//   XACK s g 1-0 2-0                   -> 2                                 PEL empty
//
// Arguments are parsed in Redis 7.0's order, which differs per command on purpose: XPENDING and XAUTOCLAIM parse
// everything before looking the key up; XCLAIM looks the group up first and then parses its IDs "all or nothing"
// (the first argument that is not an ID starts the options). The engine work is one StreamOps call each; the replies
// are written from the IDs it returns. A claimed entry is replied as [id, fields] unless JUSTID; entries deleted from
// the stream are dropped from the PEL (Redis 7) and, for XAUTOCLAIM, listed in the third element of the reply.

/// <summary>XPENDING XCLAIM XAUTOCLAIM. Registered by <see cref="StreamCommands.Register"/>. See the comment at the top.</summary>
public static class StreamClaimCommands
{
    [ThreadStatic] private static List<StreamId>? t_claimed;
    [ThreadStatic] private static List<StreamId>? t_deleted;
    [ThreadStatic] private static List<PendingEntry>? t_pending;

    private static void NoGroup(CommandContext c)
        => c.Writer.Error($"NOGROUP No such key '{c.Str(1)}' or consumer group '{c.Str(2)}'");

    // ---- XPENDING ----

    [Command("xpending")] private static void XPending(CommandContext c)
    {
        if (c.Count != 3 && (c.Count < 6 || c.Count > 9)) { c.SyntaxError(); return; }
        if (c.Count == 3) { XPendingSummary(c); return; }
        int i = 3;
        long minIdle = 0;
        if (c.Is(3, "IDLE"u8))
        {
            if (!c.Long(4, out minIdle)) return;
            if (c.Count < 8) { c.SyntaxError(); return; }
            i = 5;
        }
        if (!c.Long(i + 2, out long count)) return;
        if (count < 0) count = 0;
        if (!StreamCommands.ParseIntervalId(c, i, 0, out StreamId start, out bool startEx)) return;
        if (startEx && !start.TryIncrement(out start)) { c.Writer.Error("ERR invalid start ID for the interval"u8); return; }
        if (!StreamCommands.ParseIntervalId(c, i + 1, ulong.MaxValue, out StreamId end, out bool endEx)) return;
        if (endEx && !end.TryDecrement(out end)) { c.Writer.Error("ERR invalid end ID for the interval"u8); return; }
        bool byConsumer = i + 3 < c.Count;
        List<PendingEntry> rows = t_pending ??= [];
        Status s = StreamOps.Pending(c.Db, c[1], c[2], start, end, count, minIdle, byConsumer, byConsumer ? c[i + 3] : default, rows);
        if (s == Status.WrongType) { rows.Clear(); c.Error(s); return; }
        if (s == Status.NotFound) { NoGroup(c); return; }
        long now = c.Store.Clock.NowMs;
        RespWriter w = c.Writer;
        w.Array(rows.Count);
        foreach (PendingEntry e in rows)
        {
            w.Array(4);
            StreamCommands.WriteId(w, e.Id);
            w.Bulk(e.Consumer.Name);
            w.Integer(Math.Max(0, now - e.DeliveryTimeMs));
            w.Integer(e.DeliveryCount);
        }
        rows.Clear();
    }

    private static void XPendingSummary(CommandContext c)
    {
        Status s = StreamOps.ReadGroup(c.Db, c[1], c[2], out StreamGroup? g);
        if (s == Status.WrongType) { c.Error(s); return; }
        if (s == Status.NotFound) { NoGroup(c); return; }
        RespWriter w = c.Writer;
        w.Array(4);
        w.Integer(g!.PendingCount);
        if (g.PendingCount == 0)
        {
            w.Null();
            w.Null();
            w.NullArray();
            return;
        }
        StreamCommands.WriteId(w, g.MinPending!.Id);
        StreamCommands.WriteId(w, g.MaxPending!.Id);
        int withPending = 0;
        foreach (StreamConsumer con in g.ConsumerList)
            if (con.PendingCount > 0) withPending++;
        w.Array(withPending);
        foreach (StreamConsumer con in g.ConsumerList)
        {
            if (con.PendingCount == 0) continue;
            w.Array(2);
            w.Bulk(con.Name);
            w.BulkInteger(con.PendingCount);
        }
    }

    // ---- XCLAIM ----

    [Command("xclaim")] private static void XClaim(CommandContext c)
    {
        Status probe = StreamOps.ReadGroup(c.Db, c[1], c[2], out _);
        if (probe == Status.WrongType) { c.Error(probe); return; }
        if (probe == Status.NotFound) { NoGroup(c); return; }
        if (!c.TryLong(4, out long minIdle)) { c.Writer.Error("ERR Invalid min-idle-time argument for XCLAIM"u8); return; }
        if (minIdle < 0) minIdle = 0;
        int j = 5;
        while (j < c.Count && StreamCommands.ParseId(c[j], 0, strict: true, allowSeqAuto: false, out _, out _)) j++;
        int idCount = j - 5;
        long now = c.Store.Clock.NowMs;
        long deliveryTime = -1, retryCount = -1;
        bool force = false, justId = false;
        StreamId lastId = StreamId.Min;
        for (; j < c.Count; j++)
        {
            bool more = j + 1 < c.Count;
            if (c.Is(j, "FORCE"u8)) force = true;
            else if (c.Is(j, "JUSTID"u8)) justId = true;
            else if (c.Is(j, "IDLE"u8) && more)
            {
                if (!c.TryLong(++j, out long idle)) { c.Writer.Error("ERR Invalid IDLE option argument for XCLAIM"u8); return; }
                deliveryTime = now - idle;
            }
            else if (c.Is(j, "TIME"u8) && more)
            {
                if (!c.TryLong(++j, out deliveryTime)) { c.Writer.Error("ERR Invalid TIME option argument for XCLAIM"u8); return; }
            }
            else if (c.Is(j, "RETRYCOUNT"u8) && more)
            {
                if (!c.TryLong(++j, out retryCount)) { c.Writer.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM"u8); return; }
            }
            else if (c.Is(j, "LASTID"u8) && more)
            {
                if (!StreamCommands.ParseId(c[++j], 0, strict: true, allowSeqAuto: false, out lastId, out _)) { c.Writer.Error(StreamCommands.InvalidId); return; }
            }
            else
            {
                c.Writer.Error($"ERR Unrecognized XCLAIM option '{CommandContext.Truncate(c.Str(j), 128)}'");
                return;
            }
        }
        // IDLE gives now - idle, which may be negative; the engine treats a negative or future time as now.
        if (deliveryTime == -1) deliveryTime = now;
        var ids = new StreamId[idCount];
        for (int k = 0; k < idCount; k++) StreamCommands.ParseId(c[5 + k], 0, strict: true, allowSeqAuto: false, out ids[k], out _);
        List<StreamId> claimed = t_claimed ??= [];
        var options = new StreamClaim(minIdle, deliveryTime, retryCount, force, justId, lastId);
        bool creates = StreamGroupCommands.ConsumerMissing(c, c[1], c[2], c[3]);
        Status s = StreamOps.Claim(c.Db, c[1], c[2], c[3], ids, options, claimed, out StreamValue? stream);
        if (creates && claimed.Count > 0) StreamGroupCommands.NotifyConsumerCreated(c, c[1]);
        if (s != Status.Ok) { claimed.Clear(); if (s == Status.NotFound) NoGroup(c); else c.Error(s); return; }
        WriteClaimed(c.Writer, stream!, claimed, justId);
        claimed.Clear();
    }

    /// <summary>The claimed entries: IDs (JUSTID) or [id, fields] each.</summary>
    private static void WriteClaimed(RespWriter w, StreamValue stream, List<StreamId> claimed, bool justId)
    {
        w.Array(claimed.Count);
        foreach (StreamId id in claimed)
        {
            if (justId) { StreamCommands.WriteId(w, id); continue; }
            int i = stream.LowerBound(id);
            StreamCommands.WriteEntry(w, stream.At(i));
        }
    }

    // ---- XAUTOCLAIM ----

    [Command("xautoclaim")] private static void XAutoClaim(CommandContext c)
    {
        if (!c.TryLong(4, out long minIdle)) { c.Writer.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM"u8); return; }
        if (minIdle < 0) minIdle = 0;
        if (!StreamCommands.ParseIntervalId(c, 5, 0, out StreamId start, out bool startEx)) return;
        if (startEx && !start.TryIncrement(out start)) { c.Writer.Error("ERR invalid start ID for the interval"u8); return; }
        long count = 100;
        bool justId = false;
        for (int j = 6; j < c.Count; j++)
        {
            if (c.Is(j, "COUNT"u8) && j + 1 < c.Count)
            {
                if (!c.TryLong(++j, out count) || count < 1 || count > long.MaxValue / 16) { c.Writer.Error("ERR COUNT must be > 0"u8); return; }
            }
            else if (c.Is(j, "JUSTID"u8)) justId = true;
            else { c.SyntaxError(); return; }
        }
        List<StreamId> claimed = t_claimed ??= [];
        List<StreamId> deleted = t_deleted ??= [];
        bool creates = StreamGroupCommands.ConsumerMissing(c, c[1], c[2], c[3]);
        Status s = StreamOps.AutoClaim(c.Db, c[1], c[2], c[3], minIdle, start, count, justId, claimed, deleted, out StreamId next, out StreamValue? stream);
        if (creates && claimed.Count > 0) StreamGroupCommands.NotifyConsumerCreated(c, c[1]);
        if (s != Status.Ok)
        {
            claimed.Clear();
            deleted.Clear();
            if (s == Status.NotFound) NoGroup(c); else c.Error(s);
            return;
        }
        RespWriter w = c.Writer;
        w.Array(3);
        StreamCommands.WriteId(w, next);
        WriteClaimed(w, stream!, claimed, justId);
        w.Array(deleted.Count);
        foreach (StreamId id in deleted) StreamCommands.WriteId(w, id);
        claimed.Clear();
        deleted.Clear();
    }
}

using Tiered.Server.Admin;
using Tiered.Tiering.Types.Streams;

namespace Tiered.Server.Commands;

/// <summary>
/// Stream consumer-group commands: XGROUP CREATE/DESTROY/SETID/CREATECONSUMER/DELCONSUMER, XREADGROUP (with BLOCK),
/// XACK. Registered by <see cref="StreamCommands.Register"/>. As everywhere, arguments are checked in Redis's order,
/// then one <see cref="StreamOps"/> call per key does the work. XPENDING, XCLAIM and XAUTOCLAIM are in
/// <see cref="StreamClaimCommands"/>.
///
/// XGROUP is a container without the Write flag, so the dispatcher does not report its writes: its subcommands call
/// <see cref="CommandContext.KeyModified"/> themselves (watchers of the key, and XREADGROUP clients blocked on it,
/// which must learn that their group was destroyed).
///
/// XREADGROUP BLOCK (Session/Blocking.cs): with only "&gt;" IDs and nothing new, the command parks on its keys. A re-run
/// that finds the stream gone keeps waiting (Redis 7.0 does not unblock on DEL); one that finds the stream but not
/// the group replies Redis's "-NOGROUP the consumer group this client was blocked on no longer exists".
/// </summary>
public static class StreamGroupCommands
{
    [Command("xgroup|create")] private static void XGroupCreate(CommandContext c)
    {
        bool mkStream = false;
        long entriesRead = -1;
        for (int i = 5; i < c.Count; i++)
        {
            if (c.Is(i, "MKSTREAM"u8)) mkStream = true;
            else if (c.Is(i, "ENTRIESREAD"u8) && i + 1 < c.Count)
            {
                if (!c.Long(++i, out entriesRead)) return;
                if (entriesRead < 0 && entriesRead != -1) { c.Writer.Error("ERR value for ENTRIESREAD must be positive or -1"u8); return; }
            }
            else { c.SyntaxError(); return; }
        }
        bool fromLast = c[4].Length == 1 && c[4][0] == '$';
        StreamId id = default;
        Status probe = StreamOps.Read(c.Db, c[2], out _);
        if (probe == Status.WrongType) { c.Error(probe); return; }
        if (probe == Status.NotFound && !mkStream) { RequiresKey(c); return; }
        if (!fromLast && !StreamCommands.ParseId(c[4], 0, strict: true, allowSeqAuto: false, out id, out _)) { c.Writer.Error(StreamCommands.InvalidId); return; }
        Status s = StreamOps.CreateGroup(c.Db, c[2], c[3], fromLast, id, mkStream, entriesRead);
        if (s == Status.Ok) { c.Writer.Ok(); c.KeyModified(c[2]); c.Notify(KeyspaceEventFlags.Stream, "xgroup-create"u8, c[2]); }
        else if (s == Status.ConditionNotMet) c.Writer.Error("BUSYGROUP Consumer Group name already exists"u8);
        else if (s == Status.NotFound) RequiresKey(c);
        else c.Error(s);
    }

    [Command("xgroup|destroy")] private static void XGroupDestroy(CommandContext c)
    {
        Status s = StreamOps.DestroyGroup(c.Db, c[2], c[3], out bool destroyed);
        if (s == Status.Ok)
        {
            c.Writer.Integer(destroyed ? 1 : 0);
            if (destroyed) c.KeyModified(c[2]);   // blocked XREADGROUP clients of that group must learn it is gone
            if (destroyed) c.Notify(KeyspaceEventFlags.Stream, "xgroup-destroy"u8, c[2]);
        }
        else if (s == Status.NotFound) RequiresKey(c);
        else c.Error(s);
    }

    /// <summary>
    /// The checks XGROUP SETID/CREATECONSUMER/DELCONSUMER share, in Redis's order: WRONGTYPE, the key must exist, the
    /// group must exist. Replies and returns false on failure.
    /// </summary>
    private static bool GroupExists(CommandContext c)
    {
        Status s = StreamOps.Read(c.Db, c[2], out StreamValue? stream);
        if (s == Status.WrongType) { c.Error(s); return false; }
        if (s == Status.NotFound) { RequiresKey(c); return false; }
        if (stream!.FindGroup(c[3]) is null)
        {
            c.Writer.Error($"NOGROUP No such consumer group '{c.Str(3)}' for key name '{c.Str(2)}'");
            return false;
        }
        return true;
    }

    /// <summary>Redis's addReplySubcommandSyntaxError for XGROUP.</summary>
    private static void SubcommandSyntaxError(CommandContext c)
        => c.Writer.Error($"ERR unknown subcommand or wrong number of arguments for '{CommandContext.Truncate(c.Str(1), 128)}'. Try XGROUP HELP.");

    [Command("xgroup|setid")] private static void XGroupSetId(CommandContext c)
    {
        if (c.Count != 5 && c.Count != 7) { SubcommandSyntaxError(c); return; }
        if (!GroupExists(c)) return;
        bool toLast = c[4].Length == 1 && c[4][0] == '$';
        StreamId id = default;
        if (!toLast && !StreamCommands.ParseId(c[4], 0, strict: false, allowSeqAuto: false, out id, out _)) { c.Writer.Error(StreamCommands.InvalidId); return; }
        long entriesRead = -1;
        if (c.Count == 7)
        {
            if (!c.Is(5, "ENTRIESREAD"u8)) { SubcommandSyntaxError(c); return; }
            if (!c.Long(6, out entriesRead)) return;
            if (entriesRead < 0 && entriesRead != -1) { c.Writer.Error("ERR value for ENTRIESREAD must be positive or -1"u8); return; }
        }
        Status s = StreamOps.SetGroupId(c.Db, c[2], c[3], toLast, id, entriesRead);
        if (s != Status.Ok) { c.Error(s); return; }
        c.Writer.Ok();
        c.KeyModified(c[2]);
        c.Notify(KeyspaceEventFlags.Stream, "xgroup-setid"u8, c[2]);
    }

    [Command("xgroup|createconsumer")] private static void XGroupCreateConsumer(CommandContext c)
    {
        if (!GroupExists(c)) return;
        Status s = StreamOps.CreateConsumer(c.Db, c[2], c[3], c[4], out bool created);
        if (s != Status.Ok) { c.Error(s); return; }
        c.Writer.Integer(created ? 1 : 0);
        if (created) c.KeyModified(c[2]);
        if (created) NotifyConsumerCreated(c, c[2]);
    }

    [Command("xgroup|delconsumer")] private static void XGroupDelConsumer(CommandContext c)
    {
        if (!GroupExists(c)) return;
        Status s = StreamOps.DeleteConsumer(c.Db, c[2], c[3], c[4], out long pending);
        if (s != Status.Ok) { c.Error(s); return; }
        c.Writer.Integer(pending);
        c.KeyModified(c[2]);
        c.Notify(KeyspaceEventFlags.Stream, "xgroup-delconsumer"u8, c[2]);
    }

    /// <summary>The event of a consumer created by XGROUP CREATECONSUMER, or on the way by XREADGROUP, XCLAIM and XAUTOCLAIM.</summary>
    internal static void NotifyConsumerCreated(CommandContext c, ReadOnlySpan<byte> key)
        => c.Notify(KeyspaceEventFlags.Stream, "xgroup-createconsumer"u8, key);

    /// <summary>
    /// Whether the group at <paramref name="key"/> lacks <paramref name="consumer"/>, so that this command creates it;
    /// asked only when stream events are published.
    /// </summary>
    internal static bool ConsumerMissing(CommandContext c, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, ReadOnlySpan<byte> consumer)
        => c.Server.Notifications.Enabled(KeyspaceEventFlags.Stream)
           && StreamOps.ReadGroup(c.Db, key, group, out StreamGroup? g) == Status.Ok && g!.FindConsumer(consumer) < 0;

    private static void RequiresKey(CommandContext c)
        => c.Writer.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."u8);

    // ---- XREADGROUP ----

    [Command("xreadgroup")] private static void XReadGroup(CommandContext c)
    {
        if (!StreamCommands.ReadOptions.TryParse(c, group: true, out StreamCommands.ReadOptions o)) return;
        (long count, long blockMs, int streamsArg, int groupArg, bool noAck) = (o.Count, o.BlockMs, o.StreamsArg, o.GroupArg, o.NoAck);
        if (groupArg == 0) { c.Writer.Error("ERR Missing GROUP option for XREADGROUP"u8); return; }
        ReadOnlySpan<byte> group = c[groupArg], consumer = c[groupArg + 1];
        int n = (c.Count - streamsArg) / 2;
        bool rerun = c.IsBlockRerun;
        var after = new StreamId[n];
        var fresh = new bool[n];
        for (int k = 0; k < n; k++)
        {
            Status s = StreamOps.OpenGroup(c.Db, c[streamsArg + k], group, out _, out _);
            if (s == Status.WrongType) { c.Error(s); return; }
            if (s == Status.NotFound)
            {
                if (!rerun)
                {
                    c.Writer.Error($"NOGROUP No such key '{c.Str(streamsArg + k)}' or consumer group '{c.Str(groupArg)}' in XREADGROUP with GROUP option");
                    return;
                }
                // Blocked, then the group went away: Redis 7.0's error. A deleted stream just keeps the client waiting.
                if (StreamOps.Read(c.Db, c[streamsArg + k], out _) == Status.Ok)
                {
                    c.Writer.Error("NOGROUP the consumer group this client was blocked on no longer exists"u8);
                    return;
                }
            }
            ReadOnlySpan<byte> idArg = c[streamsArg + n + k];
            if (idArg.Length == 1 && idArg[0] == '$')
            {
                c.Writer.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."u8);
                return;
            }
            if (idArg.Length == 1 && idArg[0] == '>') { fresh[k] = true; continue; }
            if (!StreamCommands.ParseId(idArg, 0, strict: true, allowSeqAuto: false, out after[k], out _)) { c.Writer.Error(StreamCommands.InvalidId); return; }
        }
        long limit = count == 0 ? long.MaxValue : count;
        var streams = new StreamValue?[n];
        var from = new int[n];
        var got = new int[n];
        var history = new List<PendingEntry>?[n];
        int replied = 0;
        for (int k = 0; k < n; k++)
        {
            if (ConsumerMissing(c, c[streamsArg + k], group, consumer)) NotifyConsumerCreated(c, c[streamsArg + k]);
            if (fresh[k])
            {
                StreamOps.ReadGroupNew(c.Db, c[streamsArg + k], group, consumer, limit, noAck, out streams[k], out from[k], out got[k]);
                if (got[k] > 0) replied++;
            }
            else
            {
                history[k] = [];
                StreamOps.ReadGroupHistory(c.Db, c[streamsArg + k], group, consumer, after[k], limit, history[k]!, out streams[k]);
                replied++;
            }
        }
        if (replied == 0)
        {
            if (blockMs < 0 || c.TimedOut) c.Writer.NullArray();
            else c.BlockOn(streamsArg, streamsArg + n - 1, blockMs);
            return;
        }
        RespWriter w = c.Writer;
        bool resp3 = w.Protocol == 3;
        if (resp3) w.Map(replied);
        else w.Array(replied);
        for (int k = 0; k < n; k++)
        {
            if (history[k] is null && got[k] == 0) continue;
            if (!resp3) w.Array(2);
            w.Bulk(c[streamsArg + k]);
            if (history[k] is { } list)
            {
                w.Array(list.Count);
                foreach (PendingEntry e in list) WriteHistoryEntry(w, streams[k]!, e.Id);
            }
            else
            {
                w.Array(got[k]);
                for (int j = 0; j < got[k]; j++) StreamCommands.WriteEntry(w, streams[k]!.At(from[k] + j));
            }
        }
    }

    /// <summary>A pending entry in history mode: [id, fields], or [id, nil] when the entry was deleted meanwhile.</summary>
    private static void WriteHistoryEntry(RespWriter w, StreamValue stream, StreamId id)
    {
        int i = stream.LowerBound(id);
        if (i < stream.Length && stream.At(i).Id == id) { StreamCommands.WriteEntry(w, stream.At(i)); return; }
        w.Array(2);
        StreamCommands.WriteId(w, id);
        w.NullArray();
    }

    // ---- XACK ----

    [Command("xack")] private static void XAck(CommandContext c)
    {
        int n = c.Count - 3;
        var ids = new StreamId[n];
        for (int i = 0; i < n; i++)
            if (!StreamCommands.ParseId(c[i + 3], 0, strict: true, allowSeqAuto: false, out ids[i], out _)) { c.Writer.Error(StreamCommands.InvalidId); return; }
        Status s = StreamOps.Ack(c.Db, c[1], c[2], ids, out long acked);
        c.IntegerUnlessWrongType(s, acked);
    }
}

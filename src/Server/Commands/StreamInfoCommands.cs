using Tiered.Tiering.Types.Streams;

namespace Tiered.Server.Commands;

/// <summary>
/// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP, with Redis 7.0's fields and order.
/// Registered by <see cref="StreamCommands.Register"/>. Every reply is a map (RESP3) or a flat field/value array
/// (RESP2) built while walking the <see cref="StreamValue"/> under the lock. Lag and entries-read follow Redis 7's
/// bookkeeping (<see cref="StreamValue.Lag"/>): nil when they cannot be known after an XDEL.
/// </summary>
public static class StreamInfoCommands
{
    /// <summary>The stream for an XINFO subcommand; replies "no such key" or WRONGTYPE and returns null otherwise.</summary>
    private static StreamValue? Open(CommandContext c)
    {
        Status s = StreamOps.Read(c.Db, c[2], out StreamValue? stream);
        if (s == Status.Ok) return stream;
        c.Error(s);
        return null;
    }

    [Command("xinfo|stream")] private static void XInfoStream(CommandContext c)
    {
        StreamValue? stream = Open(c);
        if (stream is null) return;
        long count = 10;
        bool full = c.Count > 3;
        if (full)
        {
            if (c.Count != 4 && c.Count != 6 || !c.Is(3, "FULL"u8) || c.Count == 6 && !c.Is(4, "COUNT"u8))
            {
                SyntaxError(c);
                return;
            }
            if (c.Count == 6)
            {
                if (!c.Long(5, out count)) return;
                if (count < 0) count = 10;
            }
        }
        RespWriter w = c.Writer;
        long keys = (stream.Length + StreamValue.NodeMaxEntries - 1) / StreamValue.NodeMaxEntries;
        w.Map(full ? 9 : 10);
        w.Bulk("length"u8); w.Integer(stream.Length);
        w.Bulk("radix-tree-keys"u8); w.Integer(keys);
        w.Bulk("radix-tree-nodes"u8); w.Integer(keys + 1);
        w.Bulk("last-generated-id"u8); StreamCommands.WriteId(w, stream.LastId);
        w.Bulk("max-deleted-entry-id"u8); StreamCommands.WriteId(w, stream.MaxDeletedId);
        w.Bulk("entries-added"u8); w.Integer((long)stream.EntriesAdded);
        w.Bulk("recorded-first-entry-id"u8); StreamCommands.WriteId(w, stream.FirstId);
        if (!full)
        {
            w.Bulk("groups"u8); w.Integer(stream.GroupCount);
            w.Bulk("first-entry"u8);
            if (stream.Length == 0) w.Null(); else StreamCommands.WriteEntry(w, stream.At(0));
            w.Bulk("last-entry"u8);
            if (stream.Length == 0) w.Null(); else StreamCommands.WriteEntry(w, stream.At((int)stream.Length - 1));
            return;
        }
        long limit = count == 0 ? long.MaxValue : count;
        long n = Math.Min(stream.Length, limit);
        w.Bulk("entries"u8);
        w.Array(n);
        for (int i = 0; i < n; i++) StreamCommands.WriteEntry(w, stream.At(i));
        w.Bulk("groups"u8);
        w.Array(stream.GroupCount);
        foreach (StreamGroup g in stream.Groups) WriteFullGroup(w, stream, g, limit);
    }

    /// <summary>One group of XINFO STREAM FULL: its PEL and its consumers with their own pending entries.</summary>
    private static void WriteFullGroup(RespWriter w, StreamValue stream, StreamGroup g, long limit)
    {
        w.Map(7);
        w.Bulk("name"u8); w.Bulk(g.Name);
        w.Bulk("last-delivered-id"u8); StreamCommands.WriteId(w, g.LastDeliveredId);
        WriteEntriesReadAndLag(w, stream, g);
        w.Bulk("pel-count"u8); w.Integer(g.PendingCount);
        w.Bulk("pending"u8);
        w.Array(Math.Min(g.PendingCount, limit));
        long written = 0;
        foreach (PendingEntry e in g.PendingEntries)
        {
            if (written++ == limit) break;
            w.Array(4);
            StreamCommands.WriteId(w, e.Id);
            w.Bulk(e.Consumer.Name);
            w.Integer(e.DeliveryTimeMs);
            w.Integer(e.DeliveryCount);
        }
        w.Bulk("consumers"u8);
        w.Array(g.ConsumerList.Count);
        foreach (StreamConsumer con in g.ConsumerList)
        {
            w.Map(4);
            w.Bulk("name"u8); w.Bulk(con.Name);
            w.Bulk("seen-time"u8); w.Integer(con.SeenTimeMs);
            w.Bulk("pel-count"u8); w.Integer(con.PendingCount);
            w.Bulk("pending"u8);
            w.Array(Math.Min(con.PendingCount, limit));
            long mine = 0;
            if (con.PendingCount == 0) continue;
            foreach (PendingEntry e in g.PendingEntries)
            {
                if (mine == limit || mine == con.PendingCount) break;
                if (!ReferenceEquals(e.Consumer, con)) continue;
                mine++;
                w.Array(3);
                StreamCommands.WriteId(w, e.Id);
                w.Integer(e.DeliveryTimeMs);
                w.Integer(e.DeliveryCount);
            }
        }
    }

    private static void WriteEntriesReadAndLag(RespWriter w, StreamValue stream, StreamGroup g)
    {
        w.Bulk("entries-read"u8);
        if (g.EntriesRead >= 0) w.Integer(g.EntriesRead); else w.Null();
        w.Bulk("lag"u8);
        long lag = stream.Lag(g);
        if (lag >= 0) w.Integer(lag); else w.Null();
    }

    [Command("xinfo|groups")] private static void XInfoGroups(CommandContext c)
    {
        StreamValue? stream = Open(c);
        if (stream is null) return;
        RespWriter w = c.Writer;
        w.Array(stream.GroupCount);
        foreach (StreamGroup g in stream.Groups)
        {
            w.Map(6);
            w.Bulk("name"u8); w.Bulk(g.Name);
            w.Bulk("consumers"u8); w.Integer(g.ConsumerList.Count);
            w.Bulk("pending"u8); w.Integer(g.PendingCount);
            w.Bulk("last-delivered-id"u8); StreamCommands.WriteId(w, g.LastDeliveredId);
            WriteEntriesReadAndLag(w, stream, g);
        }
    }

    [Command("xinfo|consumers")] private static void XInfoConsumers(CommandContext c)
    {
        StreamValue? stream = Open(c);
        if (stream is null) return;
        StreamGroup? g = stream.FindGroup(c[3]);
        if (g is null)
        {
            c.Writer.Error($"NOGROUP No such consumer group '{c.Str(3)}' for key name '{c.Str(2)}'");
            return;
        }
        long now = c.Store.Clock.NowMs;
        RespWriter w = c.Writer;
        w.Array(g.ConsumerList.Count);
        foreach (StreamConsumer con in g.ConsumerList)
        {
            w.Map(3);
            w.Bulk("name"u8); w.Bulk(con.Name);
            w.Bulk("pending"u8); w.Integer(con.PendingCount);
            w.Bulk("idle"u8); w.Integer(Math.Max(0, now - con.SeenTimeMs));
        }
    }

    /// <summary>Redis's addReplySubcommandSyntaxError for XINFO.</summary>
    private static void SyntaxError(CommandContext c)
        => c.Writer.Error($"ERR unknown subcommand or wrong number of arguments for '{CommandContext.Truncate(c.Str(1), 128)}'. Try XINFO HELP.");
}

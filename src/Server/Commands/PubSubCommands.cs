using Tiered.Server.Network;
using Tiered.Server.Session;

namespace Tiered.Server.Commands;

/// <summary>
/// Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH, their shard-channel forms SSUBSCRIBE
/// SUNSUBSCRIBE SPUBLISH, and PUBSUB (the registry is Session/PubSub.cs).
/// Subscribe and unsubscribe confirmations are push frames (<c>&gt;3</c> in RESP3, <c>*3</c> in RESP2), one per
/// channel, each with the client's subscription count after it: channels plus patterns, or shard channels alone
/// (Redis 7.0 counts the two apart).
/// </summary>
public static class PubSubCommands
{
    [Command("subscribe")] private static void Subscribe(CommandContext c) => Subscribe(c, ChannelKind.Channel);
    [Command("psubscribe")] private static void PSubscribe(CommandContext c) => Subscribe(c, ChannelKind.Pattern);
    [Command("unsubscribe")] private static void Unsubscribe(CommandContext c) => Unsubscribe(c, ChannelKind.Channel);
    [Command("punsubscribe")] private static void PUnsubscribe(CommandContext c) => Unsubscribe(c, ChannelKind.Pattern);
    [Command("sunsubscribe")] private static void SUnsubscribe(CommandContext c) => Unsubscribe(c, ChannelKind.Shard);

    [Command("ssubscribe")] private static void SSubscribe(CommandContext c)
    {
        // Redis refuses it to a client that may not block: inside EXEC (scripts never get here: noscript).
        if (c.Client.InExec) { c.Writer.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"u8); return; }
        Subscribe(c, ChannelKind.Shard);
    }

    /// <summary>
    /// In RESP2, a client with subscriptions may only run these; anything else gets Redis's error. Returns true
    /// (after writing the error) when the command is refused. Unknown commands and arity errors are left to the
    /// dispatcher, which reports them first as Redis does.
    /// </summary>
    internal static bool RefuseInSubscribedMode(CommandTable table, CommandContext c)
    {
        CommandDef? cmd = table.Find(c.Args[0]);
        if (cmd is null || !cmd.ArityOk(c.Count)) return false;
        if (cmd.Subcommands.Length > 0)
        {
            // Redis names the subcommand ('client|id') and reports an unknown one or its arity first.
            cmd = Commands.Subcommands.Find(cmd, c[1]);
            if (cmd is null || !cmd.ArityOk(c.Count)) return false;
        }
        switch (cmd.Name)
        {
            case "subscribe" or "unsubscribe" or "psubscribe" or "punsubscribe" or "ssubscribe" or "sunsubscribe"
                or "ping" or "quit" or "reset":
                return false;
        }
        c.Writer.Error($"ERR Can't execute '{cmd.FullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
        return true;
    }

    private static Connection Conn(CommandContext c)
        => c.Connection ?? throw new InvalidOperationException("pub/sub needs a connection");

    private static ReadOnlySpan<byte> SubscribeKind(ChannelKind kind) => kind switch
    {
        ChannelKind.Channel => "subscribe"u8,
        ChannelKind.Pattern => "psubscribe"u8,
        _ => "ssubscribe"u8,
    };

    private static ReadOnlySpan<byte> UnsubscribeKind(ChannelKind kind) => kind switch
    {
        ChannelKind.Channel => "unsubscribe"u8,
        ChannelKind.Pattern => "punsubscribe"u8,
        _ => "sunsubscribe"u8,
    };

    private static void Subscribe(CommandContext c, ChannelKind kind)
    {
        Conn(c).EnablePush();
        for (int i = 1; i < c.Count; i++)
        {
            c.Server.PubSub.Subscribe(c.Client, c[i], kind);
            Confirm(c, SubscribeKind(kind), c[i], kind);
        }
        c.Client.RefreshMode();
    }

    private static void Unsubscribe(CommandContext c, ChannelKind kind)
    {
        Conn(c);   // pub/sub needs a connection
        ReadOnlySpan<byte> reply = UnsubscribeKind(kind);
        if (c.Count == 1)
        {
            HashSet<byte[]>? mine = c.Client.Subs?.Of(kind);
            if (mine is null || mine.Count == 0)
            {
                c.Writer.Push(3);
                c.Writer.Bulk(reply);
                c.Writer.Null();
                c.Writer.Integer(c.Client.Subs?.CountFor(kind) ?? 0);
            }
            else
            {
                foreach (byte[] name in mine.ToArray())
                {
                    c.Server.PubSub.Unsubscribe(c.Client, name, kind);
                    Confirm(c, reply, name, kind);
                }
            }
        }
        else
        {
            for (int i = 1; i < c.Count; i++)
            {
                c.Server.PubSub.Unsubscribe(c.Client, c[i], kind);
                Confirm(c, reply, c[i], kind);
            }
        }
        c.Client.RefreshMode();
    }

    /// <summary>RESET and disconnect: leave every channel and pattern without replies.</summary>
    internal static void UnsubscribeAll(CommandContext c)
    {
        c.Server.PubSub.RemoveAll(c.Client);
        c.Client.RefreshMode();
    }

    private static void Confirm(CommandContext c, ReadOnlySpan<byte> reply, ReadOnlySpan<byte> name, ChannelKind kind)
    {
        c.Writer.Push(3);
        c.Writer.Bulk(reply);
        c.Writer.Bulk(name);
        c.Writer.Integer(c.Client.Subs?.CountFor(kind) ?? 0);
    }

    /// <summary>PUBLISH: delivered here, and sent to the replicas, whose subscribers get it too (as in Redis).</summary>
    [Command("publish")] private static void Publish(CommandContext c)
    {
        c.Writer.Integer(c.Server.PubSub.Publish(c[1], c[2]));
        if (!c.Client.IsPrimary) c.Server.Replicas.Propagate(c.Args);
    }

    [Command("spublish")] private static void SPublish(CommandContext c) => c.Writer.Integer(c.Server.PubSub.PublishShard(c[1], c[2]));

    [Command("pubsub|channels")] private static void Channels(CommandContext c) => Channels(c, ChannelKind.Channel);
    [Command("pubsub|shardchannels")] private static void ShardChannels(CommandContext c) => Channels(c, ChannelKind.Shard);
    [Command("pubsub|numsub")] private static void NumSub(CommandContext c) => NumSub(c, ChannelKind.Channel);
    [Command("pubsub|shardnumsub")] private static void ShardNumSub(CommandContext c) => NumSub(c, ChannelKind.Shard);

    private static void Channels(CommandContext c, ChannelKind kind)
    {
        if (c.Count > 3)
        {
            // Redis's addReplySubcommandSyntaxError: the arity (-2) passed, the subcommand's own check did not.
            c.Writer.Error($"ERR unknown subcommand or wrong number of arguments for '{CommandContext.Truncate(c.Str(1), 128)}'. Try PUBSUB HELP.");
            return;
        }
        List<byte[]> list = c.Server.PubSub.Channels(c.Count == 3 ? c[2] : default, all: c.Count == 2, kind);
        c.Writer.Array(list.Count);
        foreach (byte[] ch in list) c.Writer.Bulk(ch);
    }

    private static void NumSub(CommandContext c, ChannelKind kind)
    {
        c.Writer.Array((c.Count - 2) * 2);
        for (int i = 2; i < c.Count; i++)
        {
            c.Writer.Bulk(c[i]);
            c.Writer.Integer(c.Server.PubSub.Subscribers(c[i], kind));
        }
    }

    [Command("pubsub|numpat")] private static void NumPat(CommandContext c) => c.Writer.Integer(c.Server.PubSub.PatternCount);
}

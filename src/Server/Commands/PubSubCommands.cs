using Tiered.Server.Network;
using Tiered.Server.Session;

namespace Tiered.Server.Commands;

/// <summary>
/// Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB (the registry is Session/PubSub.cs).
/// Subscribe and unsubscribe confirmations are push frames (<c>&gt;3</c> in RESP3, <c>*3</c> in RESP2), one per
/// channel, each with the client's subscription count after it.
/// </summary>
public static class PubSubCommands
{
    [Command("subscribe")] private static void Subscribe(CommandContext c) => Subscribe(c, pattern: false);
    [Command("psubscribe")] private static void PSubscribe(CommandContext c) => Subscribe(c, pattern: true);
    [Command("unsubscribe")] private static void Unsubscribe(CommandContext c) => Unsubscribe(c, pattern: false);
    [Command("punsubscribe")] private static void PUnsubscribe(CommandContext c) => Unsubscribe(c, pattern: true);

    /// <summary>
    /// In RESP2, a client with subscriptions may only run these; anything else gets Redis's error. Returns true
    /// (after writing the error) when the command is refused. Unknown commands and arity errors are left to the
    /// dispatcher, which reports them first as Redis does.
    /// </summary>
    internal static bool RefuseInSubscribedMode(CommandTable table, CommandContext c)
    {
        CommandDef? cmd = table.Find(c.Args[0]);
        if (cmd is null || !cmd.ArityOk(c.Count)) return false;
        switch (cmd.Name)
        {
            case "subscribe" or "unsubscribe" or "psubscribe" or "punsubscribe" or "ssubscribe" or "sunsubscribe"
                or "ping" or "quit" or "reset":
                return false;
        }
        c.Writer.Error($"ERR Can't execute '{cmd.Name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
        return true;
    }

    private static Connection Conn(CommandContext c)
        => c.Connection ?? throw new InvalidOperationException("pub/sub needs a connection");

    private static void Subscribe(CommandContext c, bool pattern)
    {
        Conn(c).EnablePush();
        for (int i = 1; i < c.Count; i++)
        {
            c.Server.PubSub.Subscribe(c.Client, c[i], pattern);
            Confirm(c, pattern ? "psubscribe"u8 : "subscribe"u8, c[i]);
        }
        c.Client.RefreshMode();
    }

    private static void Unsubscribe(CommandContext c, bool pattern)
    {
        Conn(c);   // pub/sub needs a connection
        ReadOnlySpan<byte> kind = pattern ? "punsubscribe"u8 : "unsubscribe"u8;
        if (c.Count == 1)
        {
            Subscriptions? subs = c.Client.Subs;
            HashSet<byte[]>? mine = subs is null ? null : pattern ? subs.Patterns : subs.Channels;
            if (mine is null || mine.Count == 0)
            {
                c.Writer.Push(3);
                c.Writer.Bulk(kind);
                c.Writer.Null();
                c.Writer.Integer(c.Client.SubscriptionCount);
            }
            else
            {
                foreach (byte[] name in mine.ToArray())
                {
                    c.Server.PubSub.Unsubscribe(c.Client, name, pattern);
                    Confirm(c, kind, name);
                }
            }
        }
        else
        {
            for (int i = 1; i < c.Count; i++)
            {
                c.Server.PubSub.Unsubscribe(c.Client, c[i], pattern);
                Confirm(c, kind, c[i]);
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

    private static void Confirm(CommandContext c, ReadOnlySpan<byte> kind, ReadOnlySpan<byte> name)
    {
        c.Writer.Push(3);
        c.Writer.Bulk(kind);
        c.Writer.Bulk(name);
        c.Writer.Integer(c.Client.SubscriptionCount);
    }

    [Command("publish")] private static void Publish(CommandContext c) => c.Writer.Integer(c.Server.PubSub.Publish(c[1], c[2]));

    [Command("pubsub|channels")] private static void Channels(CommandContext c)
    {
        if (c.Count > 3) { c.WrongArity(); return; }
        List<byte[]> list = c.Server.PubSub.Channels(c.Count == 3 ? c[2] : default, all: c.Count == 2);
        c.Writer.Array(list.Count);
        foreach (byte[] ch in list) c.Writer.Bulk(ch);
    }

    [Command("pubsub|numsub")] private static void NumSub(CommandContext c)
    {
        c.Writer.Array((c.Count - 2) * 2);
        for (int i = 2; i < c.Count; i++)
        {
            c.Writer.Bulk(c[i]);
            c.Writer.Integer(c.Server.PubSub.Subscribers(c[i]));
        }
    }

    [Command("pubsub|numpat")] private static void NumPat(CommandContext c) => c.Writer.Integer(c.Server.PubSub.PatternCount);
}

using Tiered.Server.Network;

namespace Tiered.Server.Session;

/// <summary>
/// Pub/sub: channel -> subscribers and pattern -> subscribers, plus each client's own sets.
///
/// Why this shape: PUBLISH must find a channel's subscribers in O(1) and test every pattern (Redis does the same
/// O(patterns) scan); a client that leaves must drop out of the channels it joined without scanning all channels,
/// hence the per-client sets.
///
///   channels: { "news" -> [client 3, client 8] }      patterns: { "n*" -> [client 8] }
///   client 8's session.Subs: channels { "news" }, patterns { "n*" }
///
/// Delivering a message writes into the receiving client's connection outbox (Network/Connection.cs, Deliver), formatted in that
/// client's protocol: RESP2 <c>*3 $7 message channel payload</c> (<c>*4 pmessage pattern channel payload</c>),
/// RESP3 the same as a <c>&gt;</c> push frame. The outbox is flushed by a thread-pool work item, serialised with
/// the connection's own replies; see Connection's push path.
///
/// Shared state rule: used only under the store lock (commands run under it; a leaving connection takes it).
/// </summary>
public sealed class PubSubRegistry
{
    private readonly Dictionary<byte[], List<ClientSession>> _channels = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], List<ClientSession>> _patterns = new(ByteKeyComparer.Instance);

    /// <summary>Channels with at least one subscriber.</summary>
    public int ChannelCount => _channels.Count;

    /// <summary>Patterns with at least one subscriber (PUBSUB NUMPAT).</summary>
    public int PatternCount => _patterns.Count;

    /// <summary>Subscribes; false if already subscribed.</summary>
    internal bool Subscribe(ClientSession client, ReadOnlySpan<byte> name, bool pattern)
    {
        Subscriptions subs = client.Subs ??= new Subscriptions();
        HashSet<byte[]> mine = pattern ? subs.Patterns : subs.Channels;
        var lookup = mine.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.Contains(name)) return false;
        byte[] key = name.ToArray();
        mine.Add(key);
        Dictionary<byte[], List<ClientSession>> all = pattern ? _patterns : _channels;
        if (!all.TryGetValue(key, out List<ClientSession>? list)) all.Add(key, list = new List<ClientSession>(2));
        list.Add(client);
        return true;
    }

    /// <summary>Unsubscribes; false if not subscribed.</summary>
    internal bool Unsubscribe(ClientSession client, ReadOnlySpan<byte> name, bool pattern)
    {
        Subscriptions? subs = client.Subs;
        if (subs is null) return false;
        HashSet<byte[]> mine = pattern ? subs.Patterns : subs.Channels;
        if (!mine.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(name)) return false;
        Dictionary<byte[], List<ClientSession>> all = pattern ? _patterns : _channels;
        var lookup = all.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(name, out List<ClientSession>? list))
        {
            list.Remove(client);
            if (list.Count == 0) lookup.Remove(name);
        }
        return true;
    }

    /// <summary>A leaving connection: drops every subscription without replies.</summary>
    internal void RemoveAll(ClientSession client)
    {
        Subscriptions? subs = client.Subs;
        if (subs is null) return;
        foreach (byte[] ch in subs.Channels.ToArray()) Unsubscribe(client, ch, pattern: false);
        foreach (byte[] p in subs.Patterns.ToArray()) Unsubscribe(client, p, pattern: true);
    }

    /// <summary>PUBLISH: delivers to channel and pattern subscribers; returns how many received it.</summary>
    internal int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        int receivers = 0;
        if (_channels.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out List<ClientSession>? subs))
        {
            foreach (ClientSession c in subs) c.Connection!.Deliver(default, channel, message, hasPattern: false, c.Protocol);
            receivers += subs.Count;
        }
        if (_patterns.Count != 0)
        {
            foreach (var kv in _patterns)
            {
                if (!Glob.Match(kv.Key, channel)) continue;
                foreach (ClientSession c in kv.Value) c.Connection!.Deliver(kv.Key, channel, message, hasPattern: true, c.Protocol);
                receivers += kv.Value.Count;
            }
        }
        return receivers;
    }

    /// <summary>Active channels matching <paramref name="pattern"/> (all when null), for PUBSUB CHANNELS.</summary>
    internal List<byte[]> Channels(ReadOnlySpan<byte> pattern, bool all)
    {
        var list = new List<byte[]>();
        foreach (byte[] ch in _channels.Keys)
            if (all || Glob.Match(pattern, ch)) list.Add(ch);
        return list;
    }

    /// <summary>Subscribers of one channel (PUBSUB NUMSUB).</summary>
    internal int Subscribers(ReadOnlySpan<byte> channel)
        => _channels.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out List<ClientSession>? l) ? l.Count : 0;
}

/// <summary>One client's channels and patterns.</summary>
internal sealed class Subscriptions
{
    public readonly HashSet<byte[]> Channels = new(ByteKeyComparer.Instance);
    public readonly HashSet<byte[]> Patterns = new(ByteKeyComparer.Instance);
    public int Count => Channels.Count + Patterns.Count;
}

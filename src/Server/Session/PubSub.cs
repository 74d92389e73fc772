using Tiered.Server.Network;

namespace Tiered.Server.Session;

/// <summary>The three pub/sub namespaces: classic channels, patterns over them, and shard channels (Redis 7.0).</summary>
public enum ChannelKind { Channel, Pattern, Shard }

/// <summary>
/// Pub/sub: channel -> subscribers, pattern -> subscribers and shard channel -> subscribers, plus each client's own sets.
///
/// Why this shape: PUBLISH must find a channel's subscribers in O(1) and test every pattern (Redis does the same
/// O(patterns) scan); a client that leaves must drop out of the channels it joined without scanning all channels,
/// hence the per-client sets. Shard channels (SSUBSCRIBE/SPUBLISH) are a namespace of their own, as in Redis: SPUBLISH
/// reaches only SSUBSCRIBE clients, never patterns, and PUBLISH never reaches them.
///
///   channels: { "news" -> [client 3, client 8] }      patterns: { "n*" -> [client 8] }      shard: { "news" -> [client 5] }
///   client 8's session.Subs: channels { "news" }, patterns { "n*" }, shard { }
///
/// Delivering a message writes into the receiving client's connection outbox (Network/Connection.cs, Deliver), formatted in that
/// client's protocol: RESP2 <c>*3 $7 message channel payload</c> (<c>*4 pmessage pattern channel payload</c>,
/// <c>*3 $8 smessage channel payload</c>), RESP3 the same as a <c>&gt;</c> push frame. The outbox is flushed by a
/// thread-pool work item, serialised with the connection's own replies; see Connection's push path.
///
/// Shared state rule: used only under the store lock (commands run under it; a leaving connection takes it).
/// </summary>
public sealed class PubSubRegistry
{
    // Indexed by ChannelKind.
    private readonly Dictionary<byte[], List<ClientSession>>[] _all =
        [new(ByteKeyComparer.Instance), new(ByteKeyComparer.Instance), new(ByteKeyComparer.Instance)];

    /// <summary>Channels with at least one subscriber.</summary>
    public int ChannelCount => _all[(int)ChannelKind.Channel].Count;

    /// <summary>Patterns with at least one subscriber (PUBSUB NUMPAT).</summary>
    public int PatternCount => _all[(int)ChannelKind.Pattern].Count;

    /// <summary>Shard channels with at least one subscriber (INFO pubsubshard_channels).</summary>
    public int ShardChannelCount => _all[(int)ChannelKind.Shard].Count;

    /// <summary>Subscribes; false if already subscribed.</summary>
    internal bool Subscribe(ClientSession client, ReadOnlySpan<byte> name, ChannelKind kind)
    {
        HashSet<byte[]> mine = (client.Subs ??= new Subscriptions()).Of(kind);
        var lookup = mine.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.Contains(name)) return false;
        byte[] key = name.ToArray();
        mine.Add(key);
        Dictionary<byte[], List<ClientSession>> all = _all[(int)kind];
        if (!all.TryGetValue(key, out List<ClientSession>? list)) all.Add(key, list = new List<ClientSession>(2));
        list.Add(client);
        return true;
    }

    /// <summary>Unsubscribes; false if not subscribed.</summary>
    internal bool Unsubscribe(ClientSession client, ReadOnlySpan<byte> name, ChannelKind kind)
    {
        Subscriptions? subs = client.Subs;
        if (subs is null) return false;
        if (!subs.Of(kind).GetAlternateLookup<ReadOnlySpan<byte>>().Remove(name)) return false;
        var lookup = _all[(int)kind].GetAlternateLookup<ReadOnlySpan<byte>>();
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
        for (var kind = ChannelKind.Channel; kind <= ChannelKind.Shard; kind++)
            foreach (byte[] name in subs.Of(kind).ToArray()) Unsubscribe(client, name, kind);
    }

    /// <summary>PUBLISH: delivers to channel and pattern subscribers; returns how many received it.</summary>
    internal int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        int receivers = 0;
        if (_all[(int)ChannelKind.Channel].GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out List<ClientSession>? subs))
        {
            foreach (ClientSession c in subs) c.Connection!.Deliver("message"u8, default, channel, message, hasPattern: false, c.Protocol);
            receivers += subs.Count;
        }
        Dictionary<byte[], List<ClientSession>> patterns = _all[(int)ChannelKind.Pattern];
        if (patterns.Count != 0)
        {
            foreach (var kv in patterns)
            {
                if (!Glob.Match(kv.Key, channel)) continue;
                foreach (ClientSession c in kv.Value) c.Connection!.Deliver("pmessage"u8, kv.Key, channel, message, hasPattern: true, c.Protocol);
                receivers += kv.Value.Count;
            }
        }
        return receivers;
    }

    /// <summary>SPUBLISH: delivers to the shard channel's subscribers only; returns how many received it.</summary>
    internal int PublishShard(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        if (!_all[(int)ChannelKind.Shard].GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out List<ClientSession>? subs))
            return 0;
        foreach (ClientSession c in subs) c.Connection!.Deliver("smessage"u8, default, channel, message, hasPattern: false, c.Protocol);
        return subs.Count;
    }

    /// <summary>Active channels (or shard channels) matching <paramref name="pattern"/> (all when <paramref name="all"/>), for PUBSUB CHANNELS / SHARDCHANNELS.</summary>
    internal List<byte[]> Channels(ReadOnlySpan<byte> pattern, bool all, ChannelKind kind)
    {
        var list = new List<byte[]>();
        foreach (byte[] ch in _all[(int)kind].Keys)
            if (all || Glob.Match(pattern, ch)) list.Add(ch);
        return list;
    }

    /// <summary>Subscribers of one channel or shard channel (PUBSUB NUMSUB / SHARDNUMSUB).</summary>
    internal int Subscribers(ReadOnlySpan<byte> channel, ChannelKind kind)
        => _all[(int)kind].GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(channel, out List<ClientSession>? l) ? l.Count : 0;
}

/// <summary>One client's channels, patterns and shard channels.</summary>
internal sealed class Subscriptions
{
    public readonly HashSet<byte[]> Channels = new(ByteKeyComparer.Instance);
    public readonly HashSet<byte[]> Patterns = new(ByteKeyComparer.Instance);
    public readonly HashSet<byte[]> ShardChannels = new(ByteKeyComparer.Instance);

    public HashSet<byte[]> Of(ChannelKind kind) => kind switch
    {
        ChannelKind.Channel => Channels,
        ChannelKind.Pattern => Patterns,
        _ => ShardChannels,
    };

    /// <summary>
    /// The count a (un)subscribe confirmation carries: Redis 7.0 counts channels and patterns together, and shard
    /// channels apart (SSUBSCRIBE's count ignores SUBSCRIBE's and the other way round).
    /// </summary>
    public int CountFor(ChannelKind kind) => kind == ChannelKind.Shard ? ShardChannels.Count : Channels.Count + Patterns.Count;

    /// <summary>All subscriptions: RESP2 subscribed mode, CLIENT LIST's P flag and type=pubsub while above zero.</summary>
    public int Total => Channels.Count + Patterns.Count + ShardChannels.Count;
}

using Tiered.Server.Protocol;

namespace Tiered.Server.Session;

/// <summary>
/// Client-side caching (CLIENT TRACKING): the server remembers which keys each tracking client may hold in its local
/// cache and tells it when one changes, so the client drops its copy.
///
/// Why two modes, as Redis has them. In the default mode a client is sent invalidations only for keys it read (a
/// read-only command's keys are remembered after the command), so the server pays memory per (key, client) and
/// nothing for keys nobody cached. In BCAST mode it remembers nothing per key: a client subscribes to prefixes
/// and hears of every write under them, cheap for the server and chatty for the client. OPTIN/OPTOUT let the client
/// choose, with CLIENT CACHING, which reads count. A key is forgotten once its invalidation is sent (the client
/// drops its copy; it must read again to cache again), which keeps the table the size of what is cached now.
///
///   keys:     { "user:1" -> {client 7, client 9}, "cart:3" -> {client 9} }     (default mode)
///   prefixes: [ "obj:" -> {client 12} ]                                         (BCAST)
///   pending:  the BCAST keys of the command running now, sent together when it ends (MSET obj:1 obj:2 -> one push)
///
/// Keys are names without a database, as in Redis: a write to "k" in db 1 invalidates "k" cached from db 0.
/// Invalidations go to the client, or to the client it REDIRECTs to: RESP3 <c>&gt;2 invalidate [keys]</c>, or a
/// RESP2 <c>message</c> on <c>__redis__:invalidate</c> for a redirect target in subscribed mode; FLUSHDB and FLUSHALL
/// send a null instead of keys. A client's invalidation caused by its own command is written after that command's
/// reply (Redis 7 does the same), unless NOLOOP says not to send it at all. The table holds client ids, not
/// sessions: a client that left is skipped when found, and its entries go with the key's next invalidation.
///
/// Shared state rule: used only under the store lock (commands run under it; a leaving connection takes it).
/// </summary>
public sealed class TrackingTable(ClientRegistry clients)
{
    private static ReadOnlySpan<byte> InvalidateChannel => "__redis__:invalidate"u8;

    private readonly Dictionary<byte[], HashSet<long>> _keys = new(ByteKeyComparer.Instance);
    private readonly List<BroadcastPrefix> _prefixes = [];
    private readonly RespWriter _frame = new();
    private readonly List<byte[]> _one = [null!];
    private int _pendingPrefixes;

    /// <summary>Clients with tracking on (INFO tracking_clients).</summary>
    public int Clients { get; private set; }

    /// <summary>Keys in the table (INFO tracking_total_keys).</summary>
    public int Keys => _keys.Count;

    /// <summary>(key, client) pairs in the table (INFO tracking_total_items).</summary>
    public long Items { get; private set; }

    /// <summary>BCAST prefixes (INFO tracking_total_prefixes).</summary>
    public int Prefixes => _prefixes.Count;

    /// <summary>Non-zero while any client tracks: the dispatcher then reports every write's keys here.</summary>
    public int Count => Clients;

    /// <summary>CLIENT TRACKING on: the client's options replace its earlier ones (prefixes add up in BCAST, as in Redis).</summary>
    internal void Enable(ClientSession client, TrackingOptions options, List<byte[]> prefixes)
    {
        if (client.Tracking is null) Clients++;
        TrackingState state = client.Tracking ??= new TrackingState();
        state.Options = options;
        foreach (byte[] p in prefixes)
        {
            if (state.Prefixes.Exists(q => q.AsSpan().SequenceEqual(p))) continue;
            state.Prefixes.Add(p);
            BroadcastPrefix? bp = _prefixes.Find(b => b.Prefix.AsSpan().SequenceEqual(p));
            if (bp is null) _prefixes.Add(bp = new BroadcastPrefix(p));
            bp.Clients.Add(client);
        }
        if ((options.Flags & TrackingFlags.Bcast) != 0 && prefixes.Count == 0 && state.Prefixes.Count == 0)
        {
            state.Prefixes.Add([]);   // BCAST without PREFIX: every key
            BroadcastPrefix? all = _prefixes.Find(b => b.Prefix.Length == 0);
            if (all is null) _prefixes.Add(all = new BroadcastPrefix([]));
            all.Clients.Add(client);
        }
    }

    /// <summary>CLIENT TRACKING off, or a leaving client: drops its prefixes (its keys go lazily).</summary>
    internal void Disable(ClientSession client)
    {
        if (client.Tracking is not { } state) return;
        foreach (byte[] p in state.Prefixes)
        {
            int i = _prefixes.FindIndex(b => b.Prefix.AsSpan().SequenceEqual(p));
            if (i < 0) continue;
            _prefixes[i].Clients.Remove(client);
            if (_prefixes[i].Clients.Count == 0) _prefixes.RemoveAt(i);
        }
        client.Tracking = null;
        Clients--;
    }

    /// <summary>
    /// After a read-only command of a tracking client: remembers <paramref name="key"/> for it, unless it is in BCAST
    /// mode or OPTIN/OPTOUT and CLIENT CACHING say this command does not count.
    /// </summary>
    internal void Remember(ClientSession client, ReadOnlySpan<byte> key)
    {
        var lookup = _keys.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(key, out HashSet<long>? ids))
        {
            ids = new HashSet<long>(2);
            _keys.Add(key.ToArray(), ids);
        }
        if (ids.Add(client.Id)) Items++;
    }

    /// <summary>Whether this command's reads are cached by <paramref name="client"/> (OPTIN needs CACHING yes; OPTOUT, CACHING no, skips).</summary>
    internal static bool Caches(ClientSession client)
    {
        if (client.Tracking is not { } t || (t.Options.Flags & TrackingFlags.Bcast) != 0) return false;
        if ((t.Options.Flags & TrackingFlags.OptIn) != 0) return t.CachingThisCommand == true;
        if ((t.Options.Flags & TrackingFlags.OptOut) != 0) return t.CachingThisCommand != false;
        return true;
    }

    /// <summary>
    /// <paramref name="key"/> was written (or expired, or evicted) by <paramref name="writer"/> (null: the engine):
    /// invalidates it for every client that cached it, and queues it for the BCAST prefixes it falls under.
    /// </summary>
    internal void Invalidate(ReadOnlySpan<byte> key, ClientSession? writer)
    {
        var lookup = _keys.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.Remove(key, out byte[]? stored, out HashSet<long>? ids))
        {
            Items -= ids.Count;
            _one[0] = stored;
            foreach (long id in ids)
                if (clients.Find(id) is { Tracking: not null } c && !SkipLoop(c, writer)) Send(c, _one, flush: false, writer);
        }
        foreach (BroadcastPrefix bp in _prefixes)
        {
            if (!key.StartsWith(bp.Prefix)) continue;
            if (bp.Pending.Count == 0) _pendingPrefixes++;
            bp.Pending.Add((key.ToArray(), writer?.Id ?? 0));
        }
        if (writer is null && _pendingPrefixes != 0) FlushBroadcast(null);   // the engine's expiry outside a command
    }

    /// <summary>FLUSHDB / FLUSHALL: every tracking client is told to drop everything (a null invalidation), and the table empties.</summary>
    internal void InvalidateAll(ClientSession? writer)
    {
        _keys.Clear();
        Items = 0;
        foreach (ClientSession c in clients.Sessions())
            if (c.Tracking != null) Send(c, null, flush: true, writer);
    }

    /// <summary>
    /// At the end of <paramref name="writer"/>'s command: sends each BCAST prefix's queued keys as one message per
    /// client, and writes <paramref name="writer"/>'s own invalidations after its reply.
    /// </summary>
    internal void EndCommand(ClientSession writer, RespWriter reply)
    {
        if (_pendingPrefixes != 0) FlushBroadcast(writer);
        if (writer.Tracking is { SelfPending.Length: > 0 } self)
        {
            reply.Raw(self.SelfPending.Pending.Span);
            self.SelfPending.Clear();
        }
    }

    /// <summary>Sends each BCAST prefix's queued keys, one message per client (without its own writes under NOLOOP).</summary>
    private void FlushBroadcast(ClientSession? writer)
    {
        _pendingPrefixes = 0;
        foreach (BroadcastPrefix bp in _prefixes)
        {
            if (bp.Pending.Count == 0) continue;
            foreach (ClientSession c in bp.Clients)
            {
                List<byte[]> keys = [];
                foreach ((byte[] key, long by) in bp.Pending)
                    if (!(by == c.Id && (c.Tracking!.Options.Flags & TrackingFlags.NoLoop) != 0)) keys.Add(key);
                if (keys.Count > 0) Send(c, keys, flush: false, writer);
            }
            bp.Pending.Clear();
        }
    }

    private static bool SkipLoop(ClientSession c, ClientSession? writer)
        => writer != null && c == writer && (c.Tracking!.Options.Flags & TrackingFlags.NoLoop) != 0;

    /// <summary>Sends one invalidation of <paramref name="keys"/> (null with <paramref name="flush"/>) to where <paramref name="c"/>'s go.</summary>
    private void Send(ClientSession c, List<byte[]>? keys, bool flush, ClientSession? writer)
    {
        TrackingState t = c.Tracking!;
        ClientSession target = c;
        RespWriter w;
        if (t.Options.RedirectId != 0)
        {
            if (clients.Find(t.Options.RedirectId) is not { } r)
            {
                if (c.Protocol != 3) return;
                w = Begin(c, writer);
                w.Push(2);
                w.Bulk("tracking-redir-broken"u8);
                w.Integer(t.Options.RedirectId);
                End(c, w);
                return;
            }
            target = r;
        }
        if (target.Protocol == 2 && (target == c || target.SubscriptionCount == 0)) return;   // RESP2 hears only through a subscribed redirect
        w = Begin(target, writer);
        if (w.Protocol == 3)
        {
            w.Push(2);
            w.Bulk("invalidate"u8);
        }
        else
        {
            w.Array(3);
            w.Bulk("message"u8);
            w.Bulk(InvalidateChannel);
        }
        if (flush || keys is null) w.Raw("_\r\n"u8);   // Redis sends RESP3's null also to a RESP2 target
        else
        {
            w.Array(keys.Count);
            foreach (byte[] k in keys) w.Bulk(k);
        }
        End(target, w);
    }

    /// <summary>Where a frame for <paramref name="target"/> is written: after the reply for the client whose command caused it, else a scratch frame for its connection.</summary>
    private RespWriter Begin(ClientSession target, ClientSession? writer)
    {
        RespWriter w = target == writer && target.Tracking is { } t ? t.SelfPending : _frame;
        w.Protocol = target.Protocol;
        return w;
    }

    private void End(ClientSession target, RespWriter w)
    {
        if (w != _frame) return;
        target.Connection?.DeliverFrame(_frame.Pending.Span);
        _frame.Clear();
    }

    private sealed class BroadcastPrefix(byte[] prefix)
    {
        public readonly byte[] Prefix = prefix;
        public readonly List<ClientSession> Clients = [];
        public readonly List<(byte[] Key, long By)> Pending = [];
    }
}

/// <summary>CLIENT TRACKING's mode flags.</summary>
[Flags]
public enum TrackingFlags
{
    None = 0,
    Bcast = 1 << 0,
    OptIn = 1 << 1,
    OptOut = 1 << 2,
    NoLoop = 1 << 3,
}

/// <summary>What CLIENT TRACKING on was given: the mode and the client the invalidations go to (0: itself).</summary>
public readonly record struct TrackingOptions(TrackingFlags Flags, long RedirectId);

/// <summary>One tracking client's state, on its session.</summary>
internal sealed class TrackingState
{
    public TrackingOptions Options;

    /// <summary>Its BCAST prefixes ("" for every key).</summary>
    public readonly List<byte[]> Prefixes = [];

    /// <summary>CLIENT CACHING yes/no for the next command (null: not given); reset after each other command.</summary>
    public bool? CachingThisCommand;

    /// <summary>True for the command right after CLIENT CACHING, which the dispatcher must not reset.</summary>
    public bool CachingJustSet;

    /// <summary>Invalidations caused by the client's own command, written after its reply.</summary>
    public readonly RespWriter SelfPending = new();
}

using System.Globalization;
using Tiered.Server.Admin;
using Tiered.Server.Protocol;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Replication;

namespace Tiered.Server.Session;

// Why this file exists
// --------------------
// A primary's side of replication: the replicas attached to it, the stream it sends them, and the backlog that lets
// a replica which lost its link for a moment continue where it was (PSYNC replid offset -> +CONTINUE).
//
//   a client's write ──> Journal.EndCommand ──> CommandFeed (Tiering/Replication: records -> commands)
//                                                    │ argv lists
//                                                    v
//                        OnCommands: RESP framing ──> backlog (ring of repl-backlog-size bytes) ──> offset += bytes
//                                                    └──> every online replica's connection (its outbox, as a pub/sub
//                                                         message is queued), in the order the writes happened
//
//   backlog:  [ first byte offset ............................ offset )   histlen = offset - first, at most its size
//
// The stream starts when the first replica attaches: the feed is hung on the journal then, so a primary without
// replicas pays nothing. The journal is the stream, so serving replicas needs appendonly yes.
//
// Shared state rule: everything here runs under the store lock (PSYNC, REPLCONF ACK, a disconnect, and every write
// command's end); INFO and ROLE read it under the lock too.

/// <summary>The replicas of this primary and the stream they receive (see the comment at the top).</summary>
public sealed class ReplicaRegistry
{
    private readonly Store _store;
    private readonly ReplicationState _state;
    private readonly List<ClientSession> _replicas = [];
    private readonly RespWriter _frame = new();
    private CommandFeed? _feed;
    private byte[] _backlog = [];
    private long _first = 1;   // the offset of the backlog's oldest byte (Redis starts at offset + 1)
    private long _length;      // bytes of the backlog in use

    private readonly ReplicationOptions _options;

    public ReplicaRegistry(Store store, ReplicationState state, ReplicationOptions options)
    {
        _store = store;
        _state = state;
        _options = options;
    }

    /// <summary>The backlog's size: repl-backlog-size when it was made (a later change applies to a new backlog).</summary>
    public long BacklogSize => BacklogActive ? _backlog.Length : _options.BacklogSize;

    /// <summary>
    /// Online replicas whose last ACK is at most min-replicas-max-lag seconds old (Redis's good replicas, which
    /// min-replicas-to-write counts).
    /// </summary>
    public int GoodReplicas(long nowMs)
    {
        int good = 0;
        foreach (ClientSession r in _replicas)
            if (r.Replica is { Online: true } p && (nowMs - p.AckMs) / 1000 <= _options.MinReplicasMaxLag) good++;
        return good;
    }

    /// <summary>Whether a backlog exists (once a replica attached).</summary>
    public bool BacklogActive => _backlog.Length > 0;

    public long BacklogFirstByte => BacklogActive ? _first : 0;

    public long BacklogHistory => _length;

    public IReadOnlyList<ClientSession> Replicas => _replicas;

    /// <summary>False when the stream cannot be produced (no write log).</summary>
    public bool CanServe => _store.Journal is not null;

    /// <summary>
    /// A replica attached by PSYNC/SYNC, its snapshot already queued: from now on it receives the stream. The first
    /// replica starts the feed (and the backlog).
    /// </summary>
    public void Attach(ClientSession replica)
    {
        if (_feed is null)
        {
            _feed = new CommandFeed(_store, OnCommands);
            _store.Journal!.Observer = _feed;
            _backlog = new byte[Math.Max(16 * 1024, _options.BacklogSize)];
            _first = _state.Offset + 1;
            _length = 0;
        }
        _feed.ForgetSelectedDb();   // the snapshot says nothing of a database: the next command SELECTs
        if (!_replicas.Contains(replica)) _replicas.Add(replica);
    }

    /// <summary>A replica that went away (WAIT's clients count again without it).</summary>
    public void Detach(ClientSession replica)
    {
        _replicas.Remove(replica);
        Acked();
    }

    private readonly List<BlockedWait> _waiting = [];
    private static readonly byte[] s_getAck = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"u8.ToArray();

    /// <summary>Replicas whose last ACK reached <paramref name="offset"/> (WAIT's count).</summary>
    public int AckedAtLeast(long offset)
    {
        int n = 0;
        foreach (ClientSession r in _replicas)
            if (r.Replica is { Online: true } p && p.AckOffset >= offset) n++;
        return n;
    }

    /// <summary>Asks every replica for an ACK now: REPLCONF GETACK * in the stream (it counts in the offset, as in Redis).</summary>
    public void RequestAcks()
    {
        if (_replicas.Count == 0) return;
        Send(s_getAck);
    }

    private static readonly byte[] s_ping = "*1\r\n$4\r\nPING\r\n"u8.ToArray();
    private long _lastPingMs;

    /// <summary>repl-ping-replica-period (Redis's 10 s): a PING in the stream, so a replica's link never looks dead.</summary>
    public void PingIfIdle(long nowMs)
    {
        if (_replicas.Count == 0 || nowMs - _lastPingMs < 10_000) return;
        _lastPingMs = nowMs;
        Send(s_ping);
    }

    /// <summary>A WAIT blocked until more replicas acknowledge: woken by the next ACK to count again.</summary>
    internal void WaitForAcks(BlockedWait wait) => _waiting.Add(wait);

    /// <summary>An ACK arrived (or a replica left): every blocked WAIT counts again.</summary>
    public void Acked()
    {
        if (_waiting.Count == 0) return;
        foreach (BlockedWait w in _waiting) w.Signal.TrySetResult();
        _waiting.Clear();
    }

    /// <summary>
    /// The stream from <paramref name="offset"/> (a replica's PSYNC offset: the first byte it lacks) to now, or null
    /// when the backlog no longer holds it.
    /// </summary>
    public byte[]? From(long offset)
    {
        if (!BacklogActive || offset < _first || offset > _first + _length) return null;
        var tail = new byte[_first + _length - offset];
        int at = (int)((offset - 1) % _backlog.Length);   // the byte at offset o sits at (o - 1) % size
        int first = Math.Min(tail.Length, _backlog.Length - at);
        _backlog.AsSpan(at, first).CopyTo(tail);
        _backlog.AsSpan(0, tail.Length - first).CopyTo(tail.AsSpan(first));
        return tail;
    }

    private void OnCommands(IReadOnlyList<byte[][]> commands)
    {
        _frame.Clear();
        foreach (byte[][] argv in commands)
        {
            _frame.Array(argv.Length);
            foreach (byte[] a in argv) _frame.Bulk(a);
        }
        Send(_frame.Pending.Span);
    }

    /// <summary>
    /// A command that changes what the log does not hold (FUNCTION LOAD/DELETE/FLUSH/RESTORE, PUBLISH), sent to the
    /// replicas as it was run, as Redis propagates it. Nothing when no replica ever attached.
    /// </summary>
    public void Propagate(ArgList args)
    {
        if (!BacklogActive) return;
        _frame.Clear();
        _frame.Array(args.Count);
        for (int i = 0; i < args.Count; i++) _frame.Bulk(args[i]);
        Send(_frame.Pending.Span);
    }

    /// <summary>Stream bytes: into the backlog and the offset, and to every replica (held back for one still waiting for its first ACK).</summary>
    private void Send(ReadOnlySpan<byte> bytes)
    {
        Append(bytes);
        foreach (ClientSession r in _replicas)
        {
            if (r.Replica!.HeldStream is { } held) held.Write(bytes);
            else r.Connection?.DeliverFrame(bytes);
        }
    }

    /// <summary>
    /// A replica's first REPLCONF ACK after a snapshot sent between EOF marks: only now may the stream follow the
    /// mark (the replica finds the mark as the last bytes it read; Redis's primary waits for this ACK too).
    /// </summary>
    public static void FirstAck(ClientSession replica)
    {
        if (replica.Replica?.HeldStream is not { } held) return;
        replica.Replica.HeldStream = null;
        if (held.Length > 0) replica.Connection?.DeliverFrame(held.GetBuffer().AsSpan(0, (int)held.Length));
    }

    /// <summary>Adds stream bytes to the backlog ring (the byte at offset o goes to (o - 1) % size) and the offset.</summary>
    private void Append(ReadOnlySpan<byte> bytes)
    {
        long offset = _state.Offset;
        ReadOnlySpan<byte> kept = bytes.Length > _backlog.Length ? bytes[^_backlog.Length..] : bytes;   // older bytes would be overwritten
        int at = (int)((offset + bytes.Length - kept.Length) % _backlog.Length);
        int first = Math.Min(kept.Length, _backlog.Length - at);
        kept[..first].CopyTo(_backlog.AsSpan(at));
        kept[first..].CopyTo(_backlog);
        offset += bytes.Length;
        _state.Offset = offset;
        _length = Math.Min(_length + bytes.Length, _backlog.Length);
        _first = offset - _length + 1;
    }

    /// <summary>The replica's IP, from its connection's address (INFO's ip=, ROLE).</summary>
    public static string Ip(ClientSession replica)
    {
        string a = replica.RemoteAddress;
        int colon = a.LastIndexOf(':');
        return colon < 0 ? a : a[..colon];
    }

    /// <summary>INFO replication's slaveN line of one replica.</summary>
    public static string Describe(ClientSession replica, long nowMs)
    {
        ReplicaPeer p = replica.Replica!;
        return string.Create(CultureInfo.InvariantCulture,
            $"ip={Ip(replica)},port={p.ListeningPort},state={(p.Online ? "online" : "wait_bgsave")},offset={p.AckOffset},lag={(p.AckMs == 0 ? 0 : (nowMs - p.AckMs) / 1000)}");
    }
}

/// <summary>
/// What a primary knows of one replica connection (REPLCONF listening-port, its ACKs). Changed by that connection's
/// commands under the store lock.
/// </summary>
public sealed class ReplicaPeer
{
    /// <summary>The port the replica listens on (REPLCONF listening-port; INFO's port=).</summary>
    public int ListeningPort { get; set; }

    /// <summary>The offset of its last REPLCONF ACK.</summary>
    public long AckOffset { get; set; }

    /// <summary>Unix ms of its last ACK.</summary>
    public long AckMs { get; set; }

    /// <summary>True once its snapshot was queued and it receives the stream.</summary>
    public bool Online { get; set; }

    /// <summary>REPLCONF capa eof: it takes a snapshot between $EOF:&lt;mark&gt; and the mark (diskless).</summary>
    public bool CapaEof { get; set; }

    /// <summary>The stream kept back until its first ACK after a diskless snapshot (see ReplicaRegistry.FirstAck); null: sent at once.</summary>
    public MemoryStream? HeldStream { get; set; }

    /// <summary>REPLCONF rdb-only 1 (redis-cli --rdb): it wants the snapshot, not the stream.</summary>
    public bool RdbOnly { get; set; }
}

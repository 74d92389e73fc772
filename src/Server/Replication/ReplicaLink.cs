using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tiered.Server.Admin;
using Tiered.Server.Commands;
using Tiered.Server.Protocol;
using Tiered.Server.Session;
using Tiered.Tiering.Rdb;

namespace Tiered.Server.Replication;

// Why this file exists
// --------------------
// REPLICAOF host port makes this server a replica of a Redis primary (redis-server, or another server speaking its
// replication protocol): the way a dataset migrates from Redis to Tiered without downtime, and later the way Tiered
// replicas follow a Tiered primary. The link is one task with one socket, and goes through Redis 7.0's replica
// states, as ROLE names them:
//
//   connect ──> connecting ──> handshake ─────────────────────────────> sync ──────────────> connected
//               TCP connect    PING, AUTH (masterauth), REPLCONF         +FULLRESYNC id off   the command stream:
//                              listening-port, REPLCONF capa eof         $<len> or $EOF:<mark>  each command run as the
//                              capa psync2, PSYNC ? -1                   the snapshot (RDB),    primary ran it, replies
//                                                                        loaded as it arrives   dropped; REPLCONF ACK
//                                                                        (Tiering/Rdb/RdbLoader) <offset> every second
//      ^                                                                                           │
//      └────────────────────── link lost: wait a second, connect again (a full sync) ─────────────┘
//
// The snapshot replaces the dataset: it is flushed first, and clients get -LOADING while it loads (Redis's replica
// without async loading). A diskless primary (repl-diskless-sync yes, Redis 7.0's default) sends the RDB between
// "$EOF:<40 random bytes>" and the same 40 bytes, and starts the command stream only after the replica's first
// REPLCONF ACK, so the mark is the last thing before that ACK; a disk-based primary announces the length.
//
// Stream commands run through the same dispatcher as clients' commands, on a session flagged IsPrimary: its writes
// pass replica-read-only and CLIENT PAUSE, its cold keys are read synchronously (as a script's are), and its replies
// are dropped except REPLCONF GETACK's, which is answered with the offset before the GETACK itself. The offset is the
// primary's offset at the snapshot plus the bytes of every stream command applied, PINGs included, as Redis counts it.
// After a dropped link the next connection asks to continue (PSYNC <the primary's ID> <offset + 1>); a primary whose
// backlog still holds those bytes answers +CONTINUE and resends only them, else it sends a new snapshot.

/// <summary>A replica's link to its primary (see the comment at the top). Start with the constructor, stop with DisposeAsync.</summary>
public sealed class ReplicaLink : IAsyncDisposable
{
    private const int ReadChunk = 64 * 1024;
    private const int EofMarkLength = 40;

    private readonly ServerCore _server;
    private readonly string _host;
    private readonly int _port;
    private readonly ReplicationState _state;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly object _send = new();   // the ACK timer and the stream both write to the socket
    private Socket? _socket;
    private bool _synced;   // a full sync completed: a later connection may ask to continue (the link's task only)

    // The receive buffer: bytes [_start, _end) are unread. Only the link's task touches it.
    private byte[] _buf = new byte[ReadChunk];
    private int _start, _end;

    public ReplicaLink(ServerCore server, string host, int port)
    {
        _server = server;
        _host = host;
        _port = port;
        _state = server.Replication;
        _state.Link = ReplicaLinkState.Connect;
        _run = Task.Run(RunAsync);
    }

    /// <summary>Stops the link (REPLICAOF NO ONE, another REPLICAOF, shutdown) and waits for its task.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        lock (_send) _socket?.Dispose();
        try { await _run.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await SessionAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                _state.LastError = ex.Message;
                _server.Logger.LogWarning("Replication link to {Host}:{Port} lost: {Error}", _host, _port, ex.Message);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                break;
            }
            finally
            {
                lock (_send)
                {
                    _socket?.Dispose();
                    _socket = null;
                }
                if (_server.Loading && _state.Link == ReplicaLinkState.Sync) _server.Loading = false;
                if (_state.Link == ReplicaLinkState.Connected || _state.LinkDownSinceMs == 0) _state.LinkDownSinceMs = NowMs();
                if (!_stop.IsCancellationRequested) _state.Link = ReplicaLinkState.Connect;
                _start = _end = 0;
            }
            try { await Task.Delay(1000, _stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
    }

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>One connection: handshake, full sync, then the stream until the link drops.</summary>
    private async Task SessionAsync(CancellationToken ct)
    {
        _state.Link = ReplicaLinkState.Connecting;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        lock (_send) _socket = socket;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(_host, _port, timeout.Token).ConfigureAwait(false);
        }
        _state.Link = ReplicaLinkState.Handshake;
        long offset = await HandshakeAsync(ct).ConfigureAwait(false);
        if (offset >= 0)
        {
            _state.Link = ReplicaLinkState.Sync;
            await LoadSnapshotAsync(ct).ConfigureAwait(false);
            _state.Offset = offset;
            _synced = true;
        }
        _state.Link = ReplicaLinkState.Connected;
        _state.LinkDownSinceMs = 0;
        _server.Logger.LogInformation("MASTER <-> REPLICA sync: Finished with success ({Host}:{Port}, offset {Offset})", _host, _port, offset);
        SendAck();   // a diskless primary starts the stream on the first ACK
        using var acks = new Timer(_ => AckOrTimeOut(), null, 1000, 1000);
        await StreamAsync(ct).ConfigureAwait(false);
    }

    // ---- handshake ----

    /// <summary>PING, AUTH, REPLCONF, PSYNC; returns the offset +FULLRESYNC gave, or -1 for +CONTINUE (no snapshot comes).</summary>
    private async Task<long> HandshakeAsync(CancellationToken ct)
    {
        Send("PING");
        string pong = await ReadLineAsync(ct).ConfigureAwait(false);
        if (pong.StartsWith('-') && !pong.StartsWith("-NOAUTH", StringComparison.Ordinal))
            throw new IOException("Error reply to PING from master: '" + pong + "'");
        ReplicationOptions options = _server.Options.Replication;
        if (options.MasterAuth is { } password)
        {
            if (options.MasterUser is { } user) Send("AUTH", user, password);
            else Send("AUTH", password);
            string auth = await ReadLineAsync(ct).ConfigureAwait(false);
            if (auth.StartsWith('-')) throw new IOException("Unable to AUTH to MASTER: " + auth);
        }
        else if (pong.StartsWith("-NOAUTH", StringComparison.Ordinal))
            throw new IOException("Master requires authentication (masterauth is not set)");
        Send("REPLCONF", "listening-port", _server.BoundPort.ToString(CultureInfo.InvariantCulture));
        await ReadLineAsync(ct).ConfigureAwait(false);   // an older primary may refuse it: not fatal, as in Redis
        Send("REPLCONF", "capa", "eof", "capa", "psync2");
        await ReadLineAsync(ct).ConfigureAwait(false);
        // After a dropped link: ask to continue where this replica was (the primary answers +CONTINUE when its
        // backlog still holds the bytes after our offset), else for everything.
        if (_synced && _state.PrimaryReplId is { } knownId)
            Send("PSYNC", knownId, (_state.Offset + 1).ToString(CultureInfo.InvariantCulture));
        else Send("PSYNC", "?", "-1");
        string reply;
        do reply = await ReadLineAsync(ct).ConfigureAwait(false);
        while (reply.Length == 0);   // newlines: the primary keeps the link alive while it prepares
        string[] parts = reply.Split(' ');
        if (parts[0] == "+CONTINUE")
        {
            if (parts.Length > 1) _state.PrimaryReplId = parts[1];   // the primary's new ID after a failover, same history
            _server.Logger.LogInformation("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization (offset {Offset})", _state.Offset);
            return -1;
        }
        if (parts.Length != 3 || parts[0] != "+FULLRESYNC" || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
            throw new IOException("Unexpected reply to PSYNC from master: " + reply);
        _state.PrimaryReplId = parts[1];
        return offset;
    }

    // ---- the snapshot ----

    /// <summary>Receives the RDB ($len or $EOF:mark) and loads it into the flushed dataset.</summary>
    private async Task LoadSnapshotAsync(CancellationToken ct)
    {
        string header;
        do header = await ReadLineAsync(ct).ConfigureAwait(false);
        while (header.Length == 0);
        byte[]? mark = null;
        long length = -1;
        if (header.StartsWith("$EOF:", StringComparison.Ordinal) && header.Length == 5 + EofMarkLength)
            mark = System.Text.Encoding.ASCII.GetBytes(header[5..]);
        else if (header.StartsWith('$') && long.TryParse(header.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out length)) { }
        else throw new IOException("Bad protocol from MASTER, the first byte is not '$' (we received '" + header + "')");

        _state.SyncTotalBytes = mark is null ? length : -1;
        _state.SyncReadBytes = 0;
        _server.Loading = true;
        try
        {
            lock (_server.Store.Lock)
            {
                _server.Store.FlushAll();
                _server.Scripts.Functions.Flush();
            }
            var loader = new RdbLoader(_server.Store);
            if (mark is null) await LoadLengthAsync(loader, length, ct).ConfigureAwait(false);
            else await LoadUntilMarkAsync(loader, mark, ct).ConfigureAwait(false);
            lock (_server.Store.Lock)
            {
                foreach (byte[] code in loader.Functions)
                    if (_server.Scripts.Functions.Load(code, replace: true, out string? error) is null)
                        _server.Logger.LogWarning("A function library of the primary's snapshot did not load: {Error}", error);
            }
            _server.Logger.LogInformation("MASTER <-> REPLICA sync: Loaded {Keys} keys", loader.KeysLoaded);
        }
        finally
        {
            _server.Loading = false;
        }
    }

    private async Task LoadLengthAsync(RdbLoader loader, long length, CancellationToken ct)
    {
        long left = length;
        while (left > 0)
        {
            if (_end == _start) await FillAsync(ct).ConfigureAwait(false);
            int n = (int)Math.Min(left, _end - _start);
            Feed(loader, _buf.AsSpan(_start, n));
            _start += n;
            left -= n;
        }
        if (!loader.Done) throw new IOException("The primary's snapshot ended before its EOF");
    }

    /// <summary>
    /// Feeds everything but the last 40 bytes received; once the loader has read the RDB's EOF, those 40 bytes must
    /// be the mark (nothing follows it until this replica's first ACK).
    /// </summary>
    private async Task LoadUntilMarkAsync(RdbLoader loader, byte[] mark, CancellationToken ct)
    {
        while (true)
        {
            int held = _end - _start;
            if (held > EofMarkLength)
            {
                int n = held - EofMarkLength;
                Feed(loader, _buf.AsSpan(_start, n));
                _start += n;
            }
            if (loader.Done && _end - _start == EofMarkLength)
            {
                if (!_buf.AsSpan(_start, EofMarkLength).SequenceEqual(mark)) throw new IOException("The primary's snapshot is not followed by its EOF mark");
                _start = _end;
                return;
            }
            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    private void Feed(RdbLoader loader, ReadOnlySpan<byte> chunk)
    {
        _state.SyncReadBytes += chunk.Length;
        if (!loader.Feed(chunk)) throw new IOException("Failed trying to load the MASTER synchronization DB from socket: " + loader.Error);
    }

    // ---- the command stream ----

    private async Task StreamAsync(CancellationToken ct)
    {
        var args = new ArgList();
        var reply = new RespWriter();
        var session = new ClientSession(0, _host + ":" + _port.ToString(CultureInfo.InvariantCulture), "", _server.Store.Clock.NowMs, static () => { })
        {
            Authenticated = true,
            IsPrimary = true,
        };
        var context = new CommandContext(_server, session, args, reply);
        byte[] scratch = [];
        while (true)
        {
            if (_end > _start)
            {
                lock (_server.Store.Lock)
                {
                    if (ct.IsCancellationRequested) return;   // REPLICAOF moved on (under this lock): apply nothing more
                    _server.Store.BeginBatch();
                    while (_end > _start)
                    {
                        ParseStatus st = RespParser.Parse(_buf, _start, _end - _start, args, long.MaxValue, authenticated: true,
                            ref scratch, out int consumed, out _, out string? error);
                        if (st == ParseStatus.Incomplete) break;
                        if (st == ParseStatus.Error) throw new IOException("Protocol error from the primary: " + error);
                        _start += consumed;
                        if (st == ParseStatus.Complete)
                        {
                            if (IsGetAck(args)) SendAck();
                            _server.Dispatcher.Execute(context);
                            reply.Clear();
                        }
                        _state.Advance(consumed);
                    }
                }
            }
            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    private static bool IsGetAck(ArgList a)
        => a.Count == 3 && System.Text.Ascii.EqualsIgnoreCase(a[0], "REPLCONF"u8) && System.Text.Ascii.EqualsIgnoreCase(a[1], "GETACK"u8);

    // ---- the socket ----

    /// <summary>Every second: REPLCONF ACK, or, after repl-timeout (60 s) without a byte from the primary, drop the link.</summary>
    private void AckOrTimeOut()
    {
        if (NowMs() - _state.LastIoMs > 60_000)
        {
            _server.Logger.LogWarning("MASTER timeout: no data nor PING received from {Host}:{Port}", _host, _port);
            lock (_send) _socket?.Dispose();   // the read fails and the link reconnects
            return;
        }
        SendAck();
    }

    private void SendAck() => Send("REPLCONF", "ACK", _state.Offset.ToString(CultureInfo.InvariantCulture));

    private void Send(params string[] args)
    {
        var w = new System.Text.StringBuilder();
        w.Append('*').Append(args.Length).Append("\r\n");
        foreach (string a in args) w.Append('$').Append(System.Text.Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(w.ToString());
        lock (_send)
        {
            try { _socket?.Send(bytes); }
            catch (SocketException) { }   // the link is going down: the read side notices
            catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Reads more bytes into the buffer (compacting or growing it); throws when the primary closed the link.</summary>
    private async Task FillAsync(CancellationToken ct)
    {
        if (_start > 0 && _start == _end) _start = _end = 0;
        if (_buf.Length - _end < ReadChunk / 4)
        {
            int used = _end - _start;
            byte[] target = used + ReadChunk > _buf.Length ? new byte[Math.Max(_buf.Length * 2, used + ReadChunk)] : _buf;
            Buffer.BlockCopy(_buf, _start, target, 0, used);
            _buf = target;
            _start = 0;
            _end = used;
        }
        int n = await _socket!.ReceiveAsync(_buf.AsMemory(_end), SocketFlags.None, ct).ConfigureAwait(false);
        if (n == 0) throw new IOException("Connection closed by the primary");
        _end += n;
        _state.LastIoMs = NowMs();
    }

    /// <summary>One reply line of the handshake, without its CRLF (an empty string for a keep-alive newline).</summary>
    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            int nl = Array.IndexOf(_buf, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                int len = nl - _start;
                if (len > 0 && _buf[nl - 1] == '\r') len--;
                string line = System.Text.Encoding.UTF8.GetString(_buf, _start, len);
                _start = nl + 1;
                return line;
            }
            if (_end - _start > 64 * 1024) throw new IOException("A handshake line from the primary is too long");
            await FillAsync(ct).ConfigureAwait(false);
        }
    }
}

using Microsoft.Extensions.Logging;
using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Tiered.Server.Network.Transport;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Hot;

namespace Tiered.Server.Network;

/// <summary>
/// One client connection: receive, parse, run, reply, in a single loop.
///
/// Why one loop and not a reader task plus a writer task: every hop between tasks is a thread-pool dispatch, and on
/// two cores those hops cost more than the commands. The loop receives into the input <see cref="Pipe"/>'s buffer,
/// parses every whole command in it, runs them as one batch under the store lock (one lock round trip for a
/// pipeline of hundreds of commands), and sends all the replies with one send.
///
///   socket --recv--> [ Pipe segments: | cmd | cmd | cmd | half a cmd ] --parse--> ArgList --run--> RespWriter --send--> socket
///                                     ^ consumed up to here after the batch; the half waits for the next recv
///
/// A command that straddles two pipe segments is copied whole into a scratch array; nothing else is copied.
///
/// What runs the commands is the connection's <see cref="IConnectionHandler"/> (Commands/ClientHandler.cs, which
/// holds the client's session): the loop hands it each parsed command, once per command, and it answers whether to
/// go on, wait for cold reads, wait while blocked or close. The network knows nothing of sessions or commands.
///
/// Shared state rule: a connection's fields are touched only by its own loop, except <see cref="Kill"/> (any thread),
/// the push path's outbox (under its own lock, see below) and the handler's session (see ClientSession's rule).
///
/// The push path (pub/sub). A PUBLISH on another connection must write to this socket. It writes the message into
/// this connection's outbox under a small lock (<c>_outboxLock</c>) and, unless a flush is already under way, queues
/// a flush work item on the thread pool. At any time at most one flusher owns the socket's send side: the
/// <c>_flushing</c> flag, taken and given back under the outbox lock, is the connection's send lock, so frames
/// never interleave. Once a connection has subscribed (<c>_pushMode</c>), the loop no longer sends its replies
/// itself: at the end of each batch, still under the store lock, it appends them to the outbox and flushes it (or
/// leaves that to the flusher already running). Appending under the store lock keeps replies and messages in the
/// order their commands ran (PUBLISH runs under the store lock too).
///
/// Why connections that never subscribed pay nothing: <c>_pushMode</c> is set only by the connection's own loop,
/// while running its own SUBSCRIBE, and never cleared. Before it is set the connection is in no registry, so no
/// other thread can push to it and the loop may send directly with no lock; the loop's previous send has completed
/// before it runs the batch that sets the flag. From then on every send goes through the outbox.
///
/// Blocking commands (Session/Blocking.cs): a command that called BlockOn is left unconsumed in the input buffer; the loop
/// sends the replies before it, then waits for a wake-up, the deadline or the socket, and runs it again.
/// </summary>
public sealed class Connection
{
    private const int ReceiveSize = 16 * 1024;
    private const int MaxBatchReplyBytes = 1 << 20;

    private readonly ClientSocket _socket;
    private readonly Store _store;
    private readonly EngineOptions _engine;
    private readonly IConnectionLimits _limits;
    private readonly ITrafficCounters _traffic;
    private readonly ILogger _logger;
    private readonly IConnectionHandler _handler;
    private readonly Pipe _input;
    private readonly ArgList _args = new();
    private readonly KeyPrefetch _prefetch = new();
    private readonly RespWriter _writer = new();
    private byte[] _scratch = [];
    private int _needed;   // don't re-parse until this many bytes are buffered (large bulk arriving)
    private int _killed;
    private RunResult _stopped;   // why the last batch stopped early: Wait or Blocked (else Done)
    private bool _closing;        // close once the replies are sent (the handler said Close, or a protocol error)

    // Push path (see the class comment). The outbox writers exist only once the connection has subscribed.
    private const int PubSubOutboxLimit = 32 * 1024 * 1024;   // Redis's pubsub client-output-buffer-limit hard limit

    /// <summary>
    /// Queued pushed bytes above which the client is closed: Redis's pub/sub hard limit by default; a replica's is
    /// raised by PSYNC to hold its snapshot and the stream behind it. Set under the store lock.
    /// </summary>
    public long OutboxLimit { get; set; } = PubSubOutboxLimit;
    private static readonly Action<Connection> s_flush = c => _ = c.FlushOutboxAsync();
    private readonly object _outboxLock = new();
    private bool _pushMode;
    private RespWriter? _outbox;
    private RespWriter? _outboxSpare;
    private bool _flushing;     // a flusher owns the send side (under _outboxLock)
    private bool _outboxDead;   // the socket failed or the connection ended (under _outboxLock)
    private bool _loopFlush;    // the loop claimed the flush of the replies it moved to the outbox

    // Blocking: a receive started while blocked that the next loop iteration must complete.
    private Task<int>? _pendingReceive;

    /// <param name="handlerFor">Makes the handler that runs this connection's commands (called once, at the end).</param>
    public Connection(ClientSocket transport, long id, Store store, EngineOptions engine, IConnectionLimits limits,
        ITrafficCounters traffic, ILogger logger, Func<Connection, IConnectionHandler> handlerFor)
    {
        Socket socket = transport.Socket;
        _socket = transport;
        _store = store;
        _engine = engine;
        _limits = limits;
        _traffic = traffic;
        _logger = logger;
        Id = id;
        Fd = transport.Fd;
        RemoteAddress = socket.RemoteEndPoint?.ToString() ?? "?";
        LocalAddress = socket.LocalEndPoint?.ToString() ?? "?";
        _input = new Pipe(new PipeOptions(
            pool: MemoryPool<byte>.Shared,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0,
            resumeWriterThreshold: 0,
            minimumSegmentSize: ReceiveSize,
            useSynchronizationContext: false));
        _handler = handlerFor(this);
    }

    /// <summary>The client's id (CLIENT ID).</summary>
    public long Id { get; }

    public string RemoteAddress { get; }
    public string LocalAddress { get; }

    /// <summary>The arguments of the command being run (the parser fills them, the handler reads them).</summary>
    public ArgList Args => _args;

    /// <summary>Where the commands write their replies.</summary>
    public RespWriter Writer => _writer;

    /// <summary>Bytes of input buffered but not yet parsed (CLIENT LIST qbuf).</summary>
    public long QueryBufferBytes { get; private set; }

    /// <summary>True when this connection's cold reads may complete inline on the device's I/O thread (see ClientSocket).</summary>
    internal bool InlineIoCompletions => _socket.ResumesOnItsOwnThread;

    /// <summary>The socket's file descriptor, as CLIENT LIST shows it (read once; stable for the connection's life).</summary>
    public long Fd { get; }

    /// <summary>Closes the socket; the loop notices and ends. Safe from any thread, more than once.</summary>
    public void Kill()
    {
        if (Interlocked.Exchange(ref _killed, 1) != 0) return;
        _socket.Shutdown();
    }

    /// <summary>Runs the connection until the client leaves, is killed or breaks the protocol.</summary>
    public async Task RunAsync()
    {
        PipeWriter inWriter = _input.Writer;
        PipeReader inReader = _input.Reader;
        bool resume = false;
        try
        {
            while (true)
            {
                if (!resume)
                {
                    int n;
                    if (_pendingReceive is { } pendingReceive)
                    {
                        _pendingReceive = null;
                        n = await pendingReceive.ConfigureAwait(false);
                    }
                    else
                    {
                        Memory<byte> mem = inWriter.GetMemory(ReceiveSize);
                        n = await _socket.ReceiveAsync(mem).ConfigureAwait(false);
                    }
                    if (n == 0) break;
                    inWriter.Advance(n);
                    _traffic.AddInputBytes(n);
                    ValueTask<FlushResult> flush = inWriter.FlushAsync();
                    if (!flush.IsCompleted) await flush.ConfigureAwait(false);
                }
                resume = false;

                if (!inReader.TryRead(out ReadResult rr)) continue;
                ReadOnlySequence<byte> buffer = rr.Buffer;
                bool keepGoing = true;
                while (keepGoing)
                {
                    long before = buffer.Length;
                    SequencePosition consumed = ProcessBatch(ref buffer, out bool more);
                    buffer = buffer.Slice(consumed);
                    long durableUntil = _handler.TakeDurableUntil();
                    if (durableUntil > 0) await WaitDurableAsync(durableUntil).ConfigureAwait(false);
                    if (_writer.Length > 0) await SendAsync().ConfigureAwait(false);
                    else if (_loopFlush)
                    {
                        _loopFlush = false;
                        await FlushOutboxAsync().ConfigureAwait(false);
                    }
                    if (_closing) return;
                    keepGoing = more && buffer.Length < before;
                }
                QueryBufferBytes = buffer.Length;
                if (buffer.Length > _limits.ClientQueryBufferLimit)
                {
                    _logger.LogWarning("Closing client {Addr}: query buffer of {Bytes} bytes exceeds client-query-buffer-limit",
                        RemoteAddress, buffer.Length);
                    return;
                }
                if (_stopped == RunResult.Wait)
                {
                    // Cold keys are being read (or DRAM waits for demotion): examined nothing, so the command's
                    // bytes come back at once, and run it again when the wait is over. The lock is not held here.
                    inReader.AdvanceTo(buffer.Start);
                    await _socket.ResumeAfter(_handler.TakePendingIo()).ConfigureAwait(false);
                    resume = true;
                }
                else if (_stopped == RunResult.Blocked)
                {
                    // Examined: nothing, so the next TryRead hands the blocked command's bytes back at once.
                    inReader.AdvanceTo(buffer.Start);
                    if (!await WaitWhileBlockedAsync(inWriter, buffer.Length).ConfigureAwait(false)) return;
                    resume = true;   // run the blocked command again from the same bytes
                }
                else inReader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Connection {Id} failed", Id);
        }
        finally
        {
            Kill();
            _socket.Close();   // before the pipe's memory goes back: a receive still pending from a blocked wait ends here
            await inWriter.CompleteAsync().ConfigureAwait(false);
            await inReader.CompleteAsync().ConfigureAwait(false);
            lock (_outboxLock) _outboxDead = true;
            _writer.Dispose();
            _handler.Closed();   // drops out of the pub/sub, WATCH and blocking registries and of the client list
        }
    }

    /// <summary>appendfsync always: holds this batch's replies until the log is durable past its writes.</summary>
    private async ValueTask WaitDurableAsync(long until)
    {
        if (_store.Journal is { } journal) await journal.WhenDurable(until).ConfigureAwait(false);
    }

    private async ValueTask SendAsync()
    {
        await SendAllAsync(_writer.Pending).ConfigureAwait(false);
        _writer.Clear();
    }

    /// <summary>Sends every byte of <paramref name="pending"/> (a send may take part of it) and counts them.</summary>
    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> pending)
    {
        _traffic.AddOutputBytes(pending.Length);
        while (!pending.IsEmpty)
        {
            int sent = await _socket.SendAsync(pending).ConfigureAwait(false);
            pending = pending[sent..];
        }
    }

    /// <summary>
    /// Parses and runs the whole commands at the start of <paramref name="buffer"/> under one lock acquisition.
    /// Returns the position after the last command consumed. <paramref name="more"/> is true when the batch
    /// stopped early (reply buffer full) and whole commands may remain.
    /// </summary>
    private SequencePosition ProcessBatch(ref ReadOnlySequence<byte> buffer, out bool more)
    {
        more = false;
        _stopped = RunResult.Done;
        if (buffer.Length < _needed) return buffer.Start;
        _needed = 0;
        long consumedTotal = 0;
        bool locked = false;
        var store = _store;
        try
        {
            ReadOnlySequence<byte> rest = buffer;
            while (!rest.IsEmpty)
            {
                ReadOnlyMemory<byte> first = rest.First;
                if (!MemoryMarshal.TryGetArray(first, out ArraySegment<byte> seg))
                    throw new InvalidOperationException("pipe memory is not array-backed");
                byte[] array = seg.Array!;
                int off = seg.Offset;
                int len = seg.Count;
                int pos = 0;
                int prefetchedTo = 0;   // the commands before this position of the segment had their keys prefetched
                bool straddle = false;
                while (pos < len)
                {
                    ParseStatus st = RespParser.Parse(array, off + pos, len - pos, _args, _engine.ProtoMaxBulkLen,
                        _handler.Authenticated, ref _scratch, out int used, out int needed, out string? error);
                    if (st == ParseStatus.Incomplete)
                    {
                        if (rest.Length > len - pos) straddle = true;   // the rest of the command is in the next segment
                        else _needed = needed > 0 ? needed : 0;
                        break;
                    }
                    if (st == ParseStatus.Error)
                    {
                        ProtocolError(error!);
                        return buffer.End;
                    }
                    pos += used;
                    if (st == ParseStatus.Empty) continue;
                    if (!locked)
                    {
                        if (!EnterStoreLock()) continue;   // answered without the lock: a script is busy
                        locked = true;
                        store.BeginBatch();
                    }
                    if (pos - used >= prefetchedTo) prefetchedTo = PrefetchKeys(array, off + pos - used, off + len) - off;
                    RunResult r = _handler.Run();
                    if (r == RunResult.Wait)
                    {
                        _stopped = r;
                        ReadAhead(array, off + pos, off + len);
                        return buffer.GetPosition(consumedTotal + pos - used);   // run again after the wait
                    }
                    if (r == RunResult.Blocked)
                    {
                        // Blocked: leave the command unconsumed, to be run again.
                        _stopped = r;
                        return buffer.GetPosition(consumedTotal + pos - used);
                    }
                    if (r == RunResult.Close) _closing = true;
                    if (_closing || _writer.Length > MaxBatchReplyBytes)
                    {
                        more = !_closing;
                        return buffer.GetPosition(consumedTotal + pos);
                    }
                }
                consumedTotal += pos;
                rest = rest.Slice(pos);
                if (!straddle)
                {
                    // A segment used up exactly goes on into the next one (only seen after a blocked wait, when
                    // bytes received meanwhile sit in a later segment); a partial command waits for more bytes.
                    if (pos < len) break;
                    continue;
                }

                // A command crosses into the next segment: copy just that command into scratch and run it there.
                if (!ParseStraddling(rest, out int straddleUsed, ref locked)) return buffer.GetPosition(consumedTotal);
                consumedTotal += straddleUsed;
                rest = rest.Slice(straddleUsed);
                if (_closing) return buffer.End;
            }
            return buffer.GetPosition(consumedTotal);
        }
        finally
        {
            _handler.EndBatch();   // unless a command waits for cold reads, read-aheads unused are dropped
            if (_pushMode) _loopFlush |= MoveRepliesToOutbox();
            if (locked) store.Lock.Exit();
        }
    }

    /// <summary>
    /// When more than one whole command waits at <paramref name="from"/>, has the engine prefetch their keys
    /// (Tiering/Hot/KeyPrefetch.cs) before the first of them runs. Returns the offset up to which it looked.
    /// Called holding the store lock.
    /// </summary>
    private int PrefetchKeys(byte[] array, int from, int end)
    {
        if (!KeyPrefetch.Supported) return end;
        Span<int> starts = stackalloc int[KeyPrefetch.Capacity];
        Span<int> lengths = stackalloc int[KeyPrefetch.Capacity];
        int to = RespParser.SkimKeys(array, from, end, starts, lengths, out int n);
        if (n < 2) return to;
        for (int k = 0; k < n; k++) _prefetch.Add(new ReadOnlySpan<byte>(array, starts[k], lengths[k]));
        _handler.Db.Prefetch(_prefetch);
        return to;
    }

    /// <summary>
    /// A command is waiting for cold reads: starts the reads of the cold keys of the pipelined commands after it too
    /// (up to <see cref="KeyPrefetch.Capacity"/> of them, the first key of each), into the same read set, so a pipeline
    /// of cold GETs costs one round of device reads (submitted together by the network loop's batch), not one round
    /// per command. Called holding the store lock; a key read ahead that turns out hot or unused is only a wasted read.
    /// </summary>
    private void ReadAhead(byte[] array, int from, int end)
    {
        if (_store.Cold is null || _handler.ColdReads is not { } set) return;
        Database db = _handler.Db;
        Span<int> starts = stackalloc int[KeyPrefetch.Capacity];
        Span<int> lengths = stackalloc int[KeyPrefetch.Capacity];
        RespParser.SkimKeys(array, from, end, starts, lengths, out int n);
        for (int k = 0; k < n; k++) db.PrefetchCold(new ReadOnlySpan<byte>(array, starts[k], lengths[k]), set);
    }

    private bool ParseStraddling(ReadOnlySequence<byte> rest, out int used, ref bool locked)
    {
        used = 0;
        int take = (int)Math.Min(rest.Length, RespParser.InlineMax * 2);
        while (true)
        {
            byte[] copy = EnsureStraddleBuffer(take);
            rest.Slice(0, take).CopyTo(copy);
            ParseStatus st = RespParser.Parse(copy, 0, take, _args, _engine.ProtoMaxBulkLen,
                _handler.Authenticated, ref _scratch, out used, out int needed, out string? error);
            switch (st)
            {
                case ParseStatus.Error:
                    ProtocolError(error!);
                    used = (int)rest.Length;
                    return true;
                case ParseStatus.Empty:
                    return true;
                case ParseStatus.Complete:
                    if (!locked)
                    {
                        if (!EnterStoreLock()) return true;
                        locked = true;
                        _store.BeginBatch();
                    }
                    RunResult r = _handler.Run();
                    if (r is RunResult.Wait or RunResult.Blocked) { _stopped = r; used = 0; return false; }
                    if (r == RunResult.Close) _closing = true;
                    return true;
                default:
                    // Only the first `take` bytes were looked at. When more are buffered and the command may end
                    // inside them, look further: at least up to `needed`, and at least twice as far (a command of
                    // many small arguments reports only a small lower bound, or none when cut inside a header).
                    if (needed <= rest.Length && take < rest.Length)
                    {
                        take = (int)Math.Min(rest.Length, Math.Max(needed, 2L * take));
                        continue;
                    }
                    _needed = Math.Max(needed, 0);
                    return false;
            }
        }
    }

    /// <summary>
    /// Takes the store lock for the command just parsed. While the lock is held by a long script, the handler may answer
    /// the command without it (-BUSY, SCRIPT KILL): then false, and the command is done. Uncontended, one TryEnter.
    /// </summary>
    private bool EnterStoreLock()
    {
        if (_store.Lock.TryEnter()) return true;
        while (!_store.Lock.TryEnter(10))
            if (_handler.TryAnswerUnlocked()) return false;
        return true;
    }

    private byte[] _straddle = [];

    private byte[] EnsureStraddleBuffer(int size)
    {
        if (_straddle.Length < size || _straddle.Length > 4 * 1024 * 1024 && size < 64 * 1024)
            _straddle = new byte[Math.Max(size, 4096)];
        return _straddle;
    }

    // ---- Push path (pub/sub) ----

    /// <summary>Switches the connection to sending through the outbox; called by its own SUBSCRIBE, under the store lock.</summary>
    internal void EnablePush()
    {
        if (_pushMode) return;
        lock (_outboxLock)
        {
            _outbox = new RespWriter();
            _outboxSpare = new RespWriter();
        }
        _pushMode = true;
    }

    /// <summary>
    /// Queues a pub/sub message for this client (called by PUBLISH on any connection, under the store lock), in
    /// the client's protocol: [kind, channel, payload] (message, smessage) or [pmessage, pattern, channel, payload].
    /// </summary>
    public void Deliver(ReadOnlySpan<byte> kind, ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message,
        bool hasPattern, int protocol)
    {
        bool schedule, overLimit = false;
        lock (_outboxLock)
        {
            if (_outboxDead || _outbox is null) return;
            RespWriter w = _outbox;
            w.Protocol = protocol;
            w.Push(hasPattern ? 4 : 3);
            w.Bulk(kind);
            if (hasPattern) w.Bulk(pattern);
            w.Bulk(channel);
            w.Bulk(message);
            if (w.Length > OutboxLimit) overLimit = _outboxDead = true;
            schedule = !_flushing && !overLimit;
            if (schedule) _flushing = true;
        }
        Queued(overLimit, schedule);
    }

    /// <summary>Queues one complete RESP frame (a client-tracking invalidation) as <see cref="Deliver"/> queues a message.</summary>
    public void DeliverFrame(ReadOnlySpan<byte> frame)
    {
        bool schedule, overLimit = false;
        lock (_outboxLock)
        {
            if (_outboxDead || _outbox is null) return;
            _outbox.Raw(frame);
            if (_outbox.Length > OutboxLimit) overLimit = _outboxDead = true;
            schedule = !_flushing && !overLimit;
            if (schedule) _flushing = true;
        }
        Queued(overLimit, schedule);
    }

    private void Queued(bool overLimit, bool schedule)
    {
        if (overLimit)
        {
            _logger.LogWarning("Closing pub/sub client {Addr}: output buffer over {Bytes} bytes", RemoteAddress, OutboxLimit);
            Kill();
        }
        else if (schedule) ThreadPool.UnsafeQueueUserWorkItem(s_flush, this, preferLocal: false);
    }

    /// <summary>Moves the batch's replies behind the queued messages; true if the loop must flush them itself.</summary>
    private bool MoveRepliesToOutbox()
    {
        lock (_outboxLock)
        {
            if (_writer.Length == 0 || _outboxDead) return false;
            _outbox!.Raw(_writer.Pending.Span);
            _writer.Clear();
            if (_flushing) return false;
            _flushing = true;
            return true;
        }
    }

    /// <summary>The single flusher: sends the outbox until it is empty, then gives up the send side.</summary>
    private async Task FlushOutboxAsync()
    {
        try
        {
            while (true)
            {
                RespWriter sending;
                lock (_outboxLock)
                {
                    if (_outboxDead || _outbox!.Length == 0) { _flushing = false; return; }
                    sending = _outbox;
                    _outbox = _outboxSpare;
                    _outboxSpare = sending;
                }
                await SendAllAsync(sending.Pending).ConfigureAwait(false);
                sending.Clear();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            lock (_outboxLock) _outboxDead = true;
            Kill();
        }
    }

    // ---- Blocking (Session/Blocking.cs) ----

    /// <summary>
    /// Waits until the blocked command is woken or its deadline passes, receiving meanwhile so a closed or killed
    /// connection ends the wait. Returns false when the connection must close.
    /// </summary>
    private async Task<bool> WaitWhileBlockedAsync(PipeWriter inWriter, long buffered)
    {
        Task woken = _handler.WhenWoken(out long deadlineMs);
        using var cts = new CancellationTokenSource();
        long remaining = deadlineMs == long.MaxValue ? -1 : Math.Max(0, deadlineMs - Environment.TickCount64);
        Task timer = Task.Delay(remaining < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(remaining), cts.Token);
        bool timedOut;
        try
        {
            while (true)
            {
                _pendingReceive ??= _socket.ReceiveAsync(inWriter.GetMemory(ReceiveSize)).AsTask();
                Task done = await Task.WhenAny(_pendingReceive, woken, timer).ConfigureAwait(false);
                if (done != _pendingReceive)
                {
                    timedOut = !woken.IsCompleted;
                    break;
                }
                int n = await _pendingReceive.ConfigureAwait(false);   // throws once the socket is closed (CLIENT KILL)
                _pendingReceive = null;
                if (n == 0) return false;
                inWriter.Advance(n);
                _traffic.AddInputBytes(n);
                await inWriter.FlushAsync().ConfigureAwait(false);
                buffered += n;
                QueryBufferBytes = buffered;
                if (buffered > _limits.ClientQueryBufferLimit) return false;
            }
        }
        finally
        {
            cts.Cancel();
        }
        _handler.EndBlock(timedOut);
        return true;
    }

    private void ProtocolError(string error)
    {
        _writer.Error("ERR " + error);
        _logger.LogInformation("Protocol error ({Error}) from client {Addr}", error, RemoteAddress);
        _closing = true;
    }
}

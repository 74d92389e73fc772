using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Tiered.Server.Commands;
using Tiered.Server.Protocol;

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
/// Shared state rule: a connection's fields are touched only by its own loop, except <see cref="Kill"/> (any thread)
/// and the <see cref="ClientSession"/> (see its rule).
/// </summary>
public sealed class Connection
{
    private const int ReceiveSize = 16 * 1024;
    private const int MaxBatchReplyBytes = 1 << 20;

    private readonly Socket _socket;
    private readonly TieredServer _server;
    private readonly Pipe _input;
    private readonly ArgList _args = new();
    private readonly RespWriter _writer = new();
    private readonly CommandContext _ctx;
    private readonly CommandDispatcher _dispatcher;
    private byte[] _scratch = [];
    private int _needed;   // don't re-parse until this many bytes are buffered (large bulk arriving)
    private int _killed;

    public Connection(Socket socket, TieredServer server, long id)
    {
        _socket = socket;
        _server = server;
        Fd = (long)socket.Handle;
        _input = new Pipe(new PipeOptions(
            pool: MemoryPool<byte>.Shared,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0,
            resumeWriterThreshold: 0,
            minimumSegmentSize: ReceiveSize,
            useSynchronizationContext: false));
        Session = new ClientSession(id, socket.RemoteEndPoint?.ToString() ?? "?", socket.LocalEndPoint?.ToString() ?? "?",
            server.Store.Clock.NowMs, Kill)
        {
            Authenticated = server.Options.RequirePass is null,
        };
        _ctx = new CommandContext(server, Session, _args, _writer);
        _dispatcher = server.Dispatcher;
    }

    public ClientSession Session { get; }

    /// <summary>The socket's file descriptor, as CLIENT LIST shows it (read once; stable for the connection's life).</summary>
    public long Fd { get; }

    /// <summary>Closes the socket; the loop notices and ends. Safe from any thread, more than once.</summary>
    public void Kill()
    {
        if (Interlocked.Exchange(ref _killed, 1) != 0) return;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Dispose();
    }

    /// <summary>Runs the connection until the client leaves, is killed or breaks the protocol.</summary>
    public async Task RunAsync()
    {
        PipeWriter inWriter = _input.Writer;
        PipeReader inReader = _input.Reader;
        try
        {
            while (true)
            {
                Memory<byte> mem = inWriter.GetMemory(ReceiveSize);
                int n = await _socket.ReceiveAsync(mem, SocketFlags.None).ConfigureAwait(false);
                if (n == 0) break;
                inWriter.Advance(n);
                _server.Stats.AddInputBytes(n);
                ValueTask<FlushResult> flush = inWriter.FlushAsync();
                if (!flush.IsCompleted) await flush.ConfigureAwait(false);

                if (!inReader.TryRead(out ReadResult rr)) continue;
                ReadOnlySequence<byte> buffer = rr.Buffer;
                bool keepGoing = true;
                while (keepGoing)
                {
                    long before = buffer.Length;
                    SequencePosition consumed = ProcessBatch(ref buffer, out bool more);
                    buffer = buffer.Slice(consumed);
                    if (_writer.Length > 0) await SendAsync().ConfigureAwait(false);
                    if (Session.CloseAfterReply) return;
                    keepGoing = more && buffer.Length < before;
                }
                Session.QueryBufferBytes = buffer.Length;
                if (buffer.Length > _server.Options.ClientQueryBufferLimit)
                {
                    _server.Logger.LogWarning("Closing client {Addr}: query buffer of {Bytes} bytes exceeds client-query-buffer-limit",
                        Session.RemoteAddress, buffer.Length);
                    return;
                }
                inReader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (Exception ex)
        {
            _server.Logger.LogError(ex, "Connection {Id} failed", Session.Id);
        }
        finally
        {
            await inWriter.CompleteAsync().ConfigureAwait(false);
            await inReader.CompleteAsync().ConfigureAwait(false);
            Kill();
            _writer.Dispose();
            _server.Clients.Remove(this);
        }
    }

    private async ValueTask SendAsync()
    {
        ReadOnlyMemory<byte> pending = _writer.Pending;
        _server.Stats.AddOutputBytes(pending.Length);
        while (!pending.IsEmpty)
        {
            int sent = await _socket.SendAsync(pending, SocketFlags.None).ConfigureAwait(false);
            pending = pending[sent..];
        }
        _writer.Clear();
    }

    /// <summary>
    /// Parses and runs the whole commands at the start of <paramref name="buffer"/> under one lock acquisition.
    /// Returns the position after the last command consumed. <paramref name="more"/> is true when the batch
    /// stopped early (reply buffer full) and whole commands may remain.
    /// </summary>
    private SequencePosition ProcessBatch(ref ReadOnlySequence<byte> buffer, out bool more)
    {
        more = false;
        if (buffer.Length < _needed) return buffer.Start;
        _needed = 0;
        long consumedTotal = 0;
        bool locked = false;
        var store = _server.Store;
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
                bool straddle = false;
                while (pos < len)
                {
                    ParseStatus st = RespParser.Parse(array, off + pos, len - pos, _args, _server.Engine.ProtoMaxBulkLen,
                        Session.Authenticated, ref _scratch, out int used, out int needed, out string? error);
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
                    if (!locked) { store.Lock.Enter(); locked = true; store.BeginBatch(); }
                    _dispatcher.Execute(_ctx);
                    if (Session.CloseAfterReply || _writer.Length > MaxBatchReplyBytes)
                    {
                        more = !Session.CloseAfterReply;
                        return buffer.GetPosition(consumedTotal + pos);
                    }
                }
                consumedTotal += pos;
                rest = rest.Slice(pos);
                if (!straddle) break;

                // A command crosses into the next segment: copy just that command into scratch and run it there.
                if (!ParseStraddling(rest, out int straddleUsed, ref locked)) return buffer.GetPosition(consumedTotal);
                consumedTotal += straddleUsed;
                rest = rest.Slice(straddleUsed);
                if (Session.CloseAfterReply) return buffer.End;
            }
            return buffer.GetPosition(consumedTotal);
        }
        finally
        {
            if (locked) store.Lock.Exit();
            Session.LastInteractionMs = store.Clock.NowMs;
        }
    }

    private bool ParseStraddling(ReadOnlySequence<byte> rest, out int used, ref bool locked)
    {
        used = 0;
        int take = (int)Math.Min(rest.Length, RespParser.InlineMax * 2);
        while (true)
        {
            byte[] copy = EnsureStraddleBuffer(take);
            rest.Slice(0, take).CopyTo(copy);
            ParseStatus st = RespParser.Parse(copy, 0, take, _args, _server.Engine.ProtoMaxBulkLen,
                Session.Authenticated, ref _scratch, out used, out int needed, out string? error);
            switch (st)
            {
                case ParseStatus.Error:
                    ProtocolError(error!);
                    used = (int)rest.Length;
                    return true;
                case ParseStatus.Empty:
                    return true;
                case ParseStatus.Complete:
                    if (!locked) { _server.Store.Lock.Enter(); locked = true; _server.Store.BeginBatch(); }
                    _dispatcher.Execute(_ctx);
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

    private byte[] _straddle = [];

    private byte[] EnsureStraddleBuffer(int size)
    {
        if (_straddle.Length < size || _straddle.Length > 4 * 1024 * 1024 && size < 64 * 1024)
            _straddle = new byte[Math.Max(size, 4096)];
        return _straddle;
    }

    private void ProtocolError(string error)
    {
        _writer.Error("ERR " + error);
        _server.Logger.LogInformation("Protocol error ({Error}) from client {Addr}", error, Session.RemoteAddress);
        Session.CloseAfterReply = true;
    }
}

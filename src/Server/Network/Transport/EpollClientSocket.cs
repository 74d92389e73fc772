// A client socket driven by our own epoll loop (EpollLoop.cs), so that a request costs one read, not two.
//
// Why not .NET's socket operations. Socket.ReceiveAsync always tries the read first and waits for epoll only when
// it fails with EAGAIN. A connection at pipeline 1 calls it right after sending a reply, when nothing can have
// arrived yet: every request then costs a read that fails, then epoll, then the read that succeeds (measured: two
// recvfrom per SET against Redis's one read; at -P 1 that put us at 0.92-0.94x redis-server). Here the socket is
// registered once, edge-triggered, and the transport remembers what the kernel told it:
//
//   "ready" = an EPOLLIN edge came while no receive was waiting, or the last read filled the whole buffer
//             (so more may be queued).
//
//   ReceiveAsync:   ready? -- yes --> read now (clears ready unless the buffer filled) --> done, no wait
//                     | no                          | EAGAIN (the edge was for bytes already read)
//                     v                             v
//                   park the buffer <----------------
//   EPOLLIN edge:   a buffer is parked? -- yes --> read into it on the epoll thread, complete the receive inline
//                     | no
//                     v
//                   ready = true
//
// A short read means the kernel's queue was empty at that moment, and any byte that arrives later raises a new
// edge, so clearing "ready" after it never strands data. The end of the stream is different: its edge (EPOLLRDHUP,
// EPOLLHUP, EPOLLERR) comes once, often together with the last bytes, so once seen the socket stays ready for good
// and the read after the last bytes returns 0 (or the error) without waiting. Sends go out at once; only a send that fails with EAGAIN
// parks its bytes, and the EPOLLOUT edge that follows (the kernel raises one when space frees after EAGAIN)
// finishes it on the epoll thread.
//
// Completions run the connection's continuation on the epoll thread, as .NET's inline completions did: no hop to
// the thread pool per request.

using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Tiered.Server.Network.Transport;

/// <summary>A client socket whose readiness comes from an <see cref="EpollLoop"/> (see the file's header).</summary>
/// <remarks>
/// Shared state rule: every field below <c>_gate</c> is read and written only under <c>_gate</c>, by the caller of
/// <see cref="ReceiveAsync"/>/<see cref="SendAsync"/> and by the epoll thread's <see cref="OnEvents"/>. Every read and
/// write of the descriptor happens under <c>_gate</c> with <c>_closed</c> false, so <see cref="Close"/> (which sets it
/// under the gate before the descriptor is closed) can never race a system call on a reused descriptor. Completions
/// are signalled after the gate is released, because they run the continuation.
/// </remarks>
public sealed unsafe class EpollClientSocket : ClientSocket
{
    private readonly EpollLoop _loop;
    private readonly int _fd;
    private readonly Completion _rx = new();
    private readonly Completion _tx = new();
    private readonly Completion _resume = new();
    private readonly Action _postResume;
    private ValueTask _awaited;   // what ResumeAfter waits for (the connection's loop sets it; RunPosted reads it after)

    private readonly object _gate = new();
    private bool _ready = true;          // read without waiting (see the header); true at first: bytes may predate the registration
    private bool _hangup;                // the peer's end or an error was reported: reads never wait again
    private bool _rxParked;
    private Memory<byte> _rxBuffer;
    private bool _txParked;
    private ReadOnlyMemory<byte> _txData;
    private bool _closed;

    internal EpollClientSocket(Socket socket, EpollLoop loop) : base(socket)
    {
        _loop = loop;
        _fd = (int)Fd;
        _postResume = () => _loop.Post(this);
        socket.Blocking = false;
        if ((Native.fcntl(_fd, Native.F_GETFL, 0) & Native.O_NONBLOCK) == 0)
            throw new InvalidOperationException("the socket did not become non-blocking");
        loop.Add(this);
    }

    /// <summary>The descriptor the loop registers.</summary>
    internal int Descriptor => _fd;

    /// <summary>The loop's registration token (slot and generation), set by <see cref="EpollLoop.Add"/>.</summary>
    internal ulong Token { get; set; }

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        lock (_gate)
        {
            if (_closed) return new ValueTask<int>(0);
            if (_ready)
            {
                nint n = Read(buffer.Span, out int errno);
                if (n >= 0)
                {
                    _ready = _hangup || n == buffer.Length;
                    return new ValueTask<int>((int)n);
                }
                if (errno != Native.EAGAIN) return ValueTask.FromException<int>(Error(errno));
                _ready = false;
            }
            _rxBuffer = buffer;
            _rxParked = true;
            return new ValueTask<int>(_rx, _rx.Version);
        }
    }

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data)
    {
        lock (_gate)
        {
            if (_closed) return ValueTask.FromException<int>(new ObjectDisposedException(nameof(EpollClientSocket)));
            nint n = Send(data.Span, out int errno);
            if (n > 0) return new ValueTask<int>((int)n);
            if (errno != Native.EAGAIN) return ValueTask.FromException<int>(Error(errno));
            _txData = data;
            _txParked = true;
            return new ValueTask<int>(_tx, _tx.Version);
        }
    }

    public override bool ResumesOnItsOwnThread => true;

    /// <summary>
    /// Completes after <paramref name="wait"/>, on this socket's epoll thread: the wait's completion (on the AIO reaper
    /// or an I/O thread, for a cold read) only posts the socket to its loop, and the loop consumes the wait. No
    /// thread-pool hop, and the connection's command runs on the thread that runs its other commands. Allocates
    /// nothing: the cold read set's wait and this socket's resume are both reusable sources.
    /// </summary>
    public override ValueTask ResumeAfter(ValueTask wait)
    {
        if (wait.IsCompleted) return wait;
        _awaited = wait;
        wait.GetAwaiter().UnsafeOnCompleted(_postResume);
        return new ValueTask(_resume, _resume.Version);
    }

    /// <summary>The loop's thread, after <see cref="EpollLoop.Post"/>: resumes what <see cref="ResumeAfter"/> waits for.</summary>
    internal void RunPosted()
    {
        ValueTask wait = _awaited;
        _awaited = default;
        Exception? error = null;
        try
        {
            wait.GetAwaiter().GetResult();   // consumes it (a reusable source may be reset after this)
        }
        catch (Exception e)
        {
            error = e;
        }
        _resume.Complete(0, error);
    }

    /// <summary>What epoll reported for this socket; on the epoll thread.</summary>
    internal void OnEvents(uint events)
    {
        int rxResult = 0, txResult = 0;
        Exception? rxError = null, txError = null;
        bool rxDone = false, txDone = false;
        lock (_gate)
        {
            if (_closed) return;
            if ((events & (Native.EPOLLRDHUP | Native.EPOLLHUP | Native.EPOLLERR)) != 0) _hangup = true;
            if ((events & (Native.EPOLLIN | Native.EPOLLRDHUP | Native.EPOLLHUP | Native.EPOLLERR)) != 0)
            {
                if (!_rxParked) _ready = true;
                else
                {
                    nint n = Read(_rxBuffer.Span, out int errno);
                    if (n >= 0)
                    {
                        _ready = _hangup || n == _rxBuffer.Length;
                        rxResult = (int)n;
                        rxDone = true;
                    }
                    else if (errno != Native.EAGAIN)
                    {
                        rxError = Error(errno);
                        rxDone = true;
                    }
                    if (rxDone) { _rxParked = false; _rxBuffer = default; }
                }
            }
            if (_txParked && (events & (Native.EPOLLOUT | Native.EPOLLHUP | Native.EPOLLERR)) != 0)
            {
                nint n = Send(_txData.Span, out int errno);
                if (n > 0) { txResult = (int)n; txDone = true; }
                else if (errno != Native.EAGAIN) { txError = Error(errno); txDone = true; }
                if (txDone) { _txParked = false; _txData = default; }
            }
        }
        if (rxDone) _rx.Complete(rxResult, rxError);
        if (txDone) _tx.Complete(txResult, txError);
    }

    /// <summary>Ends what is parked: the loop is stopping (server shutdown), so no edge will come.</summary>
    internal void Abort()
    {
        bool rx, tx;
        lock (_gate)
        {
            rx = _rxParked;
            tx = _txParked;
            _rxParked = _txParked = false;
            _rxBuffer = default;
            _txData = default;
            _closed = true;
        }
        if (rx) _rx.Complete(0, null);
        if (tx) _tx.Complete(0, new ObjectDisposedException(nameof(EpollClientSocket)));
    }

    public override void Close()
    {
        Abort();
        _loop.Remove(this);
        base.Close();
    }

    private nint Read(Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = Native.read(_fd, p, buffer.Length);
                if (n >= 0) { errno = 0; return n; }
                errno = Native.Errno;
                if (errno != Native.EINTR) return -1;
            }
        }
    }

    private nint Send(ReadOnlySpan<byte> data, out int errno)
    {
        fixed (byte* p = data)
        {
            while (true)
            {
                nint n = Native.send(_fd, p, data.Length, Native.MSG_NOSIGNAL | Native.MSG_DONTWAIT);
                if (n >= 0) { errno = 0; return n; }
                errno = Native.Errno;
                if (errno != Native.EINTR) return -1;
            }
        }
    }

    private static SocketException Error(int errno) => new((int)(errno switch
    {
        Native.ECONNRESET => SocketError.ConnectionReset,
        Native.EPIPE => SocketError.Shutdown,
        _ => SocketError.SocketError,
    }));

    /// <summary>One pending operation's completion: reset when its result is taken, so it serves the next one.</summary>
    private sealed class Completion : IValueTaskSource<int>, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<int> _core = new() { RunContinuationsAsynchronously = false };

        public short Version => _core.Version;

        public void Complete(int result, Exception? error)
        {
            if (error is null) _core.SetResult(result);
            else _core.SetException(error);
        }

        public int GetResult(short token)
        {
            try { return _core.GetResult(token); }
            finally { _core.Reset(); }
        }

        void IValueTaskSource.GetResult(short token) => GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }
}

namespace Tiered.Server.Network.Transport;

/// <summary>
/// One epoll instance and the thread that waits on it, running each ready socket's completion inline (see
/// EpollClientSocket.cs for the state each socket keeps). Sockets are registered once, edge-triggered, for input and
/// output; the 64-bit event token is a slot number in the low half and the slot's generation in the high half, so an
/// event still queued for a socket that has since closed, its slot reused, is recognised and dropped.
/// </summary>
/// <remarks>
/// Shared state rule: <c>_slots</c>, <c>_generations</c> and <c>_free</c> change only under <c>_slotLock</c>
/// (<see cref="Add"/>, <see cref="Remove"/>: any thread); the epoll thread reads <c>_slots</c> without the lock, which
/// is safe because a socket's slot is written before its descriptor is added to epoll (so before any event for it),
/// and an array replaced on growth keeps every live entry. A stale read finds a null or a socket whose token differs.
/// </remarks>
internal sealed unsafe class EpollLoop : IDisposable
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly int _epfd;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly object _slotLock = new();
    private EpollClientSocket?[] _slots = new EpollClientSocket?[64];
    private uint[] _generations = new uint[64];
    private readonly Stack<int> _free = new();
    private int _used;
    private volatile bool _stopping;

    // Resumptions posted from other threads (Post): any thread enqueues, only the loop's thread dequeues. _wakePosted
    // is 1 from the eventfd write that a post made until the loop, about to drain the queue, sets it back to 0; a post
    // that finds it 1 needs no write of its own, because the drain that follows will see its entry.
    private readonly System.Collections.Concurrent.ConcurrentQueue<EpollClientSocket> _posted = new();
    private int _wakePosted;

    private readonly IEventBatch? _batch;

    /// <param name="name">The thread's name.</param>
    /// <param name="batch">Begun before the loop runs what one epoll_wait reported and ended after (may be null).</param>
    public EpollLoop(string name, IEventBatch? batch = null)
    {
        _batch = batch;
        _epfd = Native.epoll_create1(Native.EPOLL_CLOEXEC);
        if (_epfd < 0) throw new InvalidOperationException($"epoll_create1 failed: errno {Native.Errno}");
        _wakeFd = Native.eventfd(0, Native.EFD_CLOEXEC | Native.EFD_NONBLOCK);
        if (_wakeFd < 0)
        {
            Native.close(_epfd);
            throw new InvalidOperationException($"eventfd failed: errno {Native.Errno}");
        }
        var ev = new Native.EpollEvent { Events = Native.EPOLLIN, Data = WakeToken };
        if (Native.epoll_ctl(_epfd, Native.EPOLL_CTL_ADD, _wakeFd, &ev) != 0)
            throw new InvalidOperationException($"epoll_ctl failed: errno {Native.Errno}");
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Sockets registered now (tests check that closed connections let go of theirs).</summary>
    public int Count
    {
        get { lock (_slotLock) return _used - _free.Count; }
    }

    public void Add(EpollClientSocket socket)
    {
        ulong token;
        lock (_slotLock)
        {
            int slot;
            if (_free.Count > 0) slot = _free.Pop();
            else
            {
                if (_used == _slots.Length)
                {
                    Array.Resize(ref _generations, _used * 2);
                    var grown = new EpollClientSocket?[_used * 2];
                    Array.Copy(_slots, grown, _used);
                    Volatile.Write(ref _slots, grown);
                }
                slot = _used++;
            }
            uint gen = ++_generations[slot];
            token = (ulong)gen << 32 | (uint)slot;
            socket.Token = token;
            Volatile.Write(ref _slots[slot], socket);
        }
        var ev = new Native.EpollEvent
        {
            Events = Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP | Native.EPOLLET,
            Data = token,
        };
        if (Native.epoll_ctl(_epfd, Native.EPOLL_CTL_ADD, socket.Descriptor, &ev) != 0)
        {
            int errno = Native.Errno;
            Release(socket);
            throw new InvalidOperationException($"epoll_ctl(ADD) failed: errno {errno}");
        }
    }

    /// <summary>
    /// Runs <paramref name="socket"/>'s <see cref="EpollClientSocket.RunPosted"/> on the loop's thread soon (any
    /// thread): how work that finished elsewhere (a cold read on an I/O thread) resumes the connection on the thread
    /// that runs its other commands, instead of on a pool thread that would contend with it for the store lock.
    /// </summary>
    public void Post(EpollClientSocket socket)
    {
        _posted.Enqueue(socket);
        if (_stopping)
        {
            // The loop's thread is gone or going (Dispose drains once it has stopped): resume here, so the connection
            // sees its socket closed and ends. TryDequeue hands each entry to one drainer only.
            DrainPosted();
            return;
        }
        if (Interlocked.Exchange(ref _wakePosted, 1) == 0)
        {
            ulong one = 1;
            Native.write(_wakeFd, (byte*)&one, sizeof(ulong));
        }
    }

    private void RunPosted()
    {
        ulong count;
        Native.read(_wakeFd, (byte*)&count, sizeof(ulong));   // clears the eventfd (level-triggered); EAGAIN if already 0
        Volatile.Write(ref _wakePosted, 0);
        DrainPosted();
    }

    private void DrainPosted()
    {
        while (_posted.TryDequeue(out EpollClientSocket? s)) s.RunPosted();
    }

    /// <summary>Unregisters a socket before its descriptor is closed.</summary>
    public void Remove(EpollClientSocket socket)
    {
        if (!_stopping) Native.epoll_ctl(_epfd, Native.EPOLL_CTL_DEL, socket.Descriptor, null);
        Release(socket);
    }

    private void Release(EpollClientSocket socket)
    {
        lock (_slotLock)
        {
            int slot = (int)(uint)socket.Token;
            if (slot < _used && ReferenceEquals(_slots[slot], socket))
            {
                _slots[slot] = null;
                _free.Push(slot);
            }
        }
    }

    private void Run()
    {
        var events = (Native.EpollEvent*)NativeMemory.Alloc(MaxEvents, (nuint)sizeof(Native.EpollEvent));
        try
        {
            while (!_stopping)
            {
                int n = Native.epoll_wait(_epfd, events, MaxEvents, -1);
                if (n < 0)
                {
                    if (_stopping) break;   // Dispose closed the descriptor (it ran on this thread, e.g. SHUTDOWN)
                    if (Native.Errno == Native.EINTR) continue;
                    throw new InvalidOperationException($"epoll_wait failed: errno {Native.Errno}");
                }
                _batch?.Begin();
                try
                {
                    RunEvents(events, n);
                }
                finally
                {
                    _batch?.End();
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    /// <summary>Runs the sockets (and posted resumptions) one epoll_wait reported, inside the loop's batch.</summary>
    private void RunEvents(Native.EpollEvent* events, int n)
    {
        for (int i = 0; i < n && !_stopping; i++)
        {
            ulong token = events[i].Data;
            if (token == WakeToken)
            {
                if (!_stopping) RunPosted();
                continue;
            }
                    EpollClientSocket?[] slots = Volatile.Read(ref _slots);
                    int slot = (int)(uint)token;
                    EpollClientSocket? s = slot < slots.Length ? Volatile.Read(ref slots[slot]) : null;
                    if (s is not null && s.Token == token) s.OnEvents(events[i].Events);
                }
    }

    /// <summary>Stops the thread, then ends every socket's parked operation (nothing would ever complete it).</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        ulong one = 1;
        Native.write(_wakeFd, (byte*)&one, sizeof(ulong));
        if (Thread.CurrentThread != _thread) _thread.Join();
        List<EpollClientSocket> live = [];
        lock (_slotLock)
            foreach (EpollClientSocket? s in _slots)
                if (s is not null) live.Add(s);
        foreach (EpollClientSocket s in live) s.Abort();
        DrainPosted();   // resumptions posted before _stopping was seen, which the thread did not get to
        Native.close(_wakeFd);
        Native.close(_epfd);
    }
}

/// <summary>
/// Work an epoll loop brackets around each round of ready sockets, so what their commands start in that round can be
/// sent on together (the server gathers the round's SSD reads into one submission). Runs on the loop's thread.
/// </summary>
public interface IEventBatch
{
    void Begin();

    void End();
}

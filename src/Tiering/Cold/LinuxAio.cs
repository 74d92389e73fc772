// Cold reads without a thread per read: Linux native AIO (io_setup, io_submit, io_getevents) on the O_DIRECT
// segment files.
//
// Why. A blocking pread holds its thread for the whole device latency, so reads in flight needed threads in flight:
// 64 ssd-io threads, a futex wake to hand each read to one of them and a context switch each way. On this machine
// kind the disk is a virtio device, and each pread also rings the device's doorbell on its own (a VM exit: the
// profile's iowrite16 and pvm_irq_enable). fio, 4 KB O_DIRECT random reads, 64 in flight, measured here:
//
//   psync, 64 threads                                   77,646 reads/s   ~1.5 cores
//   libaio, one io_submit per read                      71,042 reads/s   ~1 core
//   libaio, io_submit of up to 16, reaped 8 at a time  261,048 reads/s   0.64 core
//
// The device was never the limit; one doorbell and one system call per read were. So reads are submitted many per
// io_submit (the block layer plugs the batch and rings once) and reaped many per io_getevents, by one thread.
//
//   network thread(s)                         kernel                       reaper thread ("ssd-aio")
//   DeviceReadBatch.Begin()
//     device.ReadAsync -> TrySubmit: fill an iocb slot, queue it (thread's batch)
//     device.ReadAsync -> TrySubmit: ...
//   DeviceReadBatch.End() -> io_submit(n iocbs) --> disk --> completion ring --> io_getevents(1..128)
//                                                                                 per event: zero a short tail,
//                                                                                 release the file, free the slot,
//                                                                                 run FASTER's callback inline
//
// A read submitted outside a batch (compaction, recovery, a thread that did not begin one) is submitted at once,
// alone. A thread that must block on a read it queued calls DeviceReadBatch.Flush first (ValueLog.Read does).
//
// Why AIO and not io_uring. Both were measured (io_uring batched: 273,892 reads/s, the same within noise); AIO needs
// no shared rings in managed memory, only three system calls with fixed structures, and with O_DIRECT it never
// blocks in io_submit. On a buffered file io_submit would block like pread, so the device uses AIO only with
// O_DIRECT, and falls back to its threads when io_setup fails (a kernel without AIO, aio-max-nr exhausted).
//
// Stopping. The device stops only once nothing is pending; io_destroy then wakes the reaper blocked in io_getevents,
// which returns EINVAL for a destroyed context.

using FASTER.core;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Cold;

/// <summary>Something an in-flight read holds and gives back when it completes (a segment file's reference).</summary>
internal interface IHeld
{
    void Release();
}

/// <summary>
/// One Linux AIO context with a fixed number of read slots and one reaper thread (see the file's header).
/// </summary>
/// <remarks>
/// Shared state rule: the free-slot stack is guarded by <c>_gate</c>; a slot's fields are written by the submitting
/// thread before its iocb reaches the kernel and read by the reaper after its event arrives, and the slot returns to the
/// stack only after that (the system calls order the two). The batch of a thread is thread-static (DeviceReadBatch).
/// </remarks>
internal sealed unsafe class LinuxAio : IDisposable
{
    private const int IocbSize = 64, EventSize = 32, MaxEvents = 128;
    private const ushort CmdPRead = 0;

    private readonly ulong _ctx;
    private readonly byte* _iocbs;                 // Depth iocbs, 64 B each, native
    private readonly Slot[] _slots;
    private readonly Stack<int> _free;             // guarded by _gate
    private readonly object _gate = new();
    private readonly Thread _reaper;
    private readonly Action<string>? _log;
    private volatile bool _stopping;

    private struct Slot
    {
        public DeviceIOCompletionCallback? Callback;
        public object? Context;
        public IHeld? Held;
        public IntPtr Buffer;
        public uint Length;
    }

    private readonly Action _completed;            // after each read's callback returned (the device's pending count)

    /// <summary>True on the reaper thread (a completion callback that disposes the device must not wait for itself).</summary>
    public bool OnReaperThread => Thread.CurrentThread == _reaper;

    /// <summary>Reads this context can have in flight at once.</summary>
    public int Depth => _slots.Length;

    /// <summary>Reads submitted since start (each in some io_submit).</summary>
    public long Submitted => Interlocked.Read(ref _submitted);

    /// <summary>io_submit calls since start: Submitted / SubmitCalls is the mean batch.</summary>
    public long SubmitCalls => Interlocked.Read(ref _submitCalls);

    private long _submitted, _submitCalls;

    private LinuxAio(ulong ctx, int depth, Action completed, Action<string>? log)
    {
        _ctx = ctx;
        _completed = completed;
        _log = log;
        _iocbs = (byte*)NativeMemory.AlignedAlloc((nuint)(depth * IocbSize), 64);
        NativeMemory.Clear(_iocbs, (nuint)(depth * IocbSize));
        _slots = new Slot[depth];
        _free = new Stack<int>(depth);
        for (int i = depth - 1; i >= 0; i--) _free.Push(i);
        _reaper = new Thread(Reap) { IsBackground = true, Name = "ssd-aio" };
        _reaper.Start();
    }

    /// <summary>
    /// A context for <paramref name="depth"/> reads, or null (with the reason logged) where the kernel has none.
    /// <paramref name="completed"/> runs on the reaper thread after each read's callback has returned.
    /// </summary>
    public static LinuxAio? TryCreate(int depth, Action completed, Action<string>? log)
    {
        if (!Sys.Supported)
        {
            log?.Invoke("ssd: native AIO needs Linux on x86-64 or arm64; reads use the I/O threads");
            return null;
        }
        ulong ctx = 0;
        if (Sys.IoSetup(depth, &ctx) != 0)
        {
            log?.Invoke($"ssd: io_setup({depth}) failed (errno {Marshal.GetLastPInvokeError()}); reads use the I/O threads");
            return null;
        }
        return new LinuxAio(ctx, depth, completed, log);
    }

    /// <summary>
    /// Queues a read of <paramref name="length"/> bytes at <paramref name="offset"/> of <paramref name="fd"/> into
    /// <paramref name="buffer"/>: into the calling thread's batch if it began one, else submitted now. False when every
    /// slot is in flight (the caller reads another way). On success <paramref name="held"/> is released and
    /// <paramref name="callback"/> runs on the reaper thread once the read is done (a short read is zero-filled).
    /// </summary>
    public bool TrySubmit(int fd, IntPtr buffer, uint length, long offset, DeviceIOCompletionCallback callback, object context, IHeld held)
    {
        int slot;
        lock (_gate)
        {
            if (_stopping || !_free.TryPop(out slot)) return false;
        }
        _slots[slot] = new Slot { Callback = callback, Context = context, Held = held, Buffer = buffer, Length = length };
        byte* cb = _iocbs + (long)slot * IocbSize;
        *(ulong*)cb = (ulong)slot;                   // aio_data: the slot
        *(ushort*)(cb + 16) = CmdPRead;              // aio_lio_opcode
        *(uint*)(cb + 20) = (uint)fd;                // aio_fildes
        *(ulong*)(cb + 24) = (ulong)buffer;          // aio_buf
        *(ulong*)(cb + 32) = length;                 // aio_nbytes
        *(long*)(cb + 40) = offset;                  // aio_offset
        if (!DeviceReadBatch.Add(this, (IntPtr)cb)) Submit((IntPtr*)&cb, 1);
        return true;
    }

    /// <summary>Submits <paramref name="count"/> iocbs in one io_submit; any the kernel refuses complete with its errno.</summary>
    internal void Submit(IntPtr* iocbs, int count)
    {
        int done = 0;
        while (done < count)
        {
            // Counted before the kernel sees them, so a completion (on the reaper) never runs ahead of its count.
            int asked = count - done;
            Interlocked.Increment(ref _submitCalls);
            Interlocked.Add(ref _submitted, asked);
            long n = Sys.IoSubmit(_ctx, asked, iocbs + done);
            if (n > 0)
            {
                if (n < asked) Interlocked.Add(ref _submitted, n - asked);
                done += (int)n;
                continue;
            }
            Interlocked.Add(ref _submitted, -asked);
            int errno = n == 0 ? (int)LinuxFile.EIO : Marshal.GetLastPInvokeError();
            if (errno == (int)LinuxFile.EINTR) continue;
            // Refused (EAGAIN: the kernel's AIO limits; EINVAL/EBADF: a bad request): fail the first one and go on.
            Complete((int)*(ulong*)(byte*)iocbs[done], -errno);
            done++;
        }
    }

    private void Reap()
    {
        byte* events = (byte*)NativeMemory.Alloc(MaxEvents * EventSize);
        try
        {
            while (true)
            {
                long n = Sys.IoGetEvents(_ctx, 1, MaxEvents, events, null);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == (int)LinuxFile.EINTR) continue;
                    if (!_stopping) _log?.Invoke($"ssd: io_getevents failed (errno {errno}); the AIO reaper stops");
                    return;
                }
                // Reads the callbacks start (a reader's next read, a command's next key) go out in one io_submit.
                DeviceReadBatch.Begin();
                try
                {
                    for (int i = 0; i < n; i++)
                    {
                        byte* e = events + i * EventSize;
                        Complete((int)*(ulong*)e, *(long*)(e + 16));
                    }
                }
                finally
                {
                    DeviceReadBatch.End();
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    /// <summary>Ends the read in <paramref name="slot"/> with <paramref name="result"/> (bytes read, or minus the errno).</summary>
    private void Complete(int slot, long result)
    {
        Slot s = _slots[slot];
        _slots[slot] = default;
        uint error = result < 0 ? (uint)-result : 0;
        uint bytes = result < 0 ? 0 : (uint)result;
        // Past the end of the file: zeros, not whatever the buffer held before (as the thread path does).
        if (error == 0 && bytes < s.Length) NativeMemory.Clear((byte*)s.Buffer + bytes, s.Length - bytes);
        s.Held?.Release();
        lock (_gate) _free.Push(slot);
        try
        {
            s.Callback!(error, bytes, s.Context!);
        }
        catch (Exception ex)
        {
            _log?.Invoke($"ssd: exception in AIO read completion callback: {ex}");
        }
        finally
        {
            _completed();
        }
    }

    /// <summary>Destroys the context (waking the reaper) and frees the slots. Call only when no read is in flight.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
        }
        Sys.IoDestroy(_ctx);
        if (Thread.CurrentThread != _reaper) _reaper.Join();
        NativeMemory.AlignedFree(_iocbs);
    }

    /// <summary>The AIO system calls, through libc's syscall(2) (glibc has no wrappers for them).</summary>
    private static class Sys
    {
        private static readonly (long Setup, long Destroy, long Submit, long GetEvents) Numbers =
            RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => (206, 207, 209, 208),
                Architecture.Arm64 => (0, 1, 2, 4),
                _ => (-1, -1, -1, -1),
            };

        public static bool Supported => OperatingSystem.IsLinux() && Numbers.Setup >= 0;

        public static long IoSetup(int nr, ulong* ctx) => Call(Numbers.Setup, nr, (long)ctx, 0, 0, 0);

        public static long IoDestroy(ulong ctx) => Call(Numbers.Destroy, (long)ctx, 0, 0, 0, 0);

        public static long IoSubmit(ulong ctx, long nr, IntPtr* iocbs) => Call(Numbers.Submit, (long)ctx, nr, (long)iocbs, 0, 0);

        public static long IoGetEvents(ulong ctx, long min, long max, byte* events, void* timeout)
            => Call(Numbers.GetEvents, (long)ctx, min, max, (long)events, (long)timeout);

        [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
        private static extern long Call(long number, long a, long b, long c, long d, long e);
    }
}

/// <summary>
/// Lets a thread gather the SSD reads it starts and submit them together (one io_submit per device for the batch):
/// the server's network loop begins a batch before it runs the clients one epoll_wait reported and ends it after.
/// Reads started outside a batch are submitted at once. Thread-static: each thread has its own batch.
/// </summary>
public static unsafe class DeviceReadBatch
{
    private const int MaxBatch = 64;

    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static IntPtr[]? t_iocbs;
    [ThreadStatic] private static LinuxAio?[]? t_owners;
    [ThreadStatic] private static int t_count;

    /// <summary>Begins (or nests in) this thread's batch.</summary>
    public static void Begin() => t_depth++;

    /// <summary>Ends this thread's batch: the outermost End submits what it gathered.</summary>
    public static void End()
    {
        if (t_depth > 0 && --t_depth == 0) Flush();
    }

    /// <summary>Submits what this thread gathered so far; a thread about to block on one of its reads calls this first.</summary>
    public static void Flush()
    {
        int n = t_count;
        if (n == 0) return;
        t_count = 0;
        IntPtr[] iocbs = t_iocbs!;
        LinuxAio?[] owners = t_owners!;
        fixed (IntPtr* p = iocbs)
        {
            int start = 0;
            for (int i = 1; i <= n; i++)
            {
                if (i < n && ReferenceEquals(owners[i], owners[start])) continue;
                owners[start]!.Submit(p + start, i - start);   // a run of reads for one device
                start = i;
            }
        }
        Array.Clear(owners, 0, n);
    }

    /// <summary>Adds a prepared iocb to this thread's batch; false when the thread has no batch (submit it now).</summary>
    internal static bool Add(LinuxAio owner, IntPtr iocb)
    {
        if (t_depth == 0) return false;
        t_iocbs ??= new IntPtr[MaxBatch];
        t_owners ??= new LinuxAio?[MaxBatch];
        if (t_count == MaxBatch) Flush();
        t_iocbs[t_count] = iocb;
        t_owners[t_count++] = owner;
        return true;
    }
}

// The SSD device of the cold tier: FASTER's IDevice over segment files opened with O_DIRECT.
//
// Why O_DIRECT. FASTER's stock Linux device asks .NET for unbuffered I/O and .NET drops the request, so the
// log is read and written through the kernel page cache. "Cold" reads then run at DRAM speed and cost DRAM:
// the page cache grows by the whole log, outside the process and outside any budget we enforce. A cold tier
// only exists if its bytes live on the SSD alone, so every segment file here is opened with O_DIRECT and
// every read is a real disk read (p50 ~38 us at one read in flight on this machine kind, ~82K reads/s at
// best with many in flight).
//
// Why a dedicated pool of I/O threads. pread/pwrite on an O_DIRECT file block the calling thread for the
// whole device latency. FASTER calls ReadAsync/WriteAsync on the threads that serve clients and expects a
// callback later, so the syscalls must run elsewhere. The .NET thread pool is the wrong place: its
// hill-climbing adds threads slowly when they block, so 64 reads in flight would queue behind a handful of
// threads (measured: raising the pool minimum to 64 threads gave 1.3-1.5x), and blocked pool threads starve
// the server's own async work. Here a fixed set of threads (DeviceOptions.IoThreads, 64 by default) waits on
// one queue; each takes a request, makes the blocking call and invokes FASTER's callback with 0 or the errno.
// The thread count is therefore the device queue depth.
//
// What alignment is required. O_DIRECT transfers must start at a file offset, from a memory address, and
// span a length that are all multiples of the device's logical block size (the "sector"). The device learns
// the required alignment from statx(STATX_DIOALIGN) on a probe file and reports it as SectorSize; FASTER
// sizes and aligns every buffer and address by SectorSize, so requests arrive aligned. A request that is not
// aligned is not sent to the kernel: it completes with EINVAL through the callback.
//
// Durability. FASTER treats a write as durable when its callback fires (its commit protocol builds on this),
// so segment files are opened with O_DSYNC as well: each pwrite returns only once its data (and a grown file
// size) is on stable storage, as a write followed by fdatasync would, in one syscall and with a FUA write
// where the disk supports it (fio here, 48 KB appends: 2,072 writes/s with O_DSYNC, 1,759 with fdatasync).
// O_DIRECT alone does not empty the disk's volatile write cache nor persist a grown file size. Growing the file
// in each such write would also cost a filesystem journal commit, so the Prewriter keeps the segment files written
// with zeros ahead of the log (DeviceOptions.PrewriteBytes; see Prewriter.cs).
//
// Reads of a record go to a Linux AIO context instead of the threads when the files are O_DIRECT (LinuxAio.cs:
// submitted many per io_submit, reaped many per io_getevents, by one thread); the threads then serve only writes,
// large reads (scans) and reads beyond the context's depth. Without AIO the threads serve everything, as above.
//
// If the filesystem refuses O_DIRECT (open fails with EINVAL), the device opens files without it, reports
// the fact through the optional log callback and DirectIo == false, unless DeviceOptions.RequireDirectIo is
// set, in which case the constructor throws.

using System.Collections.Concurrent;
using FASTER.core;

namespace Tiered.Tiering.Cold;

/// <summary>
/// FASTER <see cref="IDevice"/> over segment files (<c>FileName.0</c>, <c>FileName.1</c>...) opened with O_DIRECT,
/// served by a dedicated pool of blocking I/O threads. Linux only.
/// </summary>
/// <remarks>
/// Shared state and who may touch it:
/// <list type="bullet">
/// <item><c>queue</c> and <c>idleThreads</c> are guarded by <c>gate</c>: any thread enqueues (FASTER's callers, via
/// ReadAsync/WriteAsync/RemoveSegmentAsync) and pulses one idle I/O thread; only I/O threads dequeue. Every enqueued
/// request gets exactly one callback, from an I/O thread. A plain monitor rather than SemaphoreSlim: idle I/O threads
/// sleep without spinning, which matters with 64 of them on 2 cores.</item>
/// <item><c>segments</c> (the fd table): read lock-free by the I/O threads; entries are added and removed only
/// under <c>tableLock</c> (open on first use, RemoveSegment, Reset, Dispose). Callers never touch it.</item>
/// <item>A <see cref="SegmentFile"/> is reference-counted: the table holds one reference and each I/O in progress
/// holds one. Whoever drops the last reference closes the fd, so an fd is never closed (and its number never
/// reused) while a pread/pwrite on it is running.</item>
/// <item><c>pending</c> counts submitted requests whose callback has not returned; <c>disposed</c> is set once.
/// A submission increments <c>pending</c> before it checks <c>disposed</c>, and Dispose sets <c>disposed</c>
/// before it waits for <c>pending</c> to reach zero, so no request is enqueued after the threads stop.</item>
/// </list>
/// </remarks>
public sealed class DirectFileDevice : StorageDeviceBase
{
    private const uint ErrCanceled = 125; // ECANCELED: submitted after Dispose.

    /// <summary>
    /// Large reads (a compaction or recovery scan reads whole 4 MB pages) are issued as sequential preads of this size.
    /// One 4 MB O_DIRECT read is one request to the disk, and the kernel's default scheduler (mq-deadline) serves reads
    /// before writes: a commit's write queued behind a page read waited for all of it. In 256 KB steps, a commit waits
    /// for at most one step (measured, appendfsync always, 50 clients, compaction running: a commit's device write took
    /// 1.8 ms on average with whole-page reads, 1.3 ms in steps).
    /// </summary>
    private const nuint ReadChunk = 256 * 1024;

    private readonly Action<string>? log;
    private readonly Func<string, int, int> open;
    private readonly int openFlags;
    private readonly ConcurrentDictionary<int, SegmentFile> segments = new();
    private readonly object tableLock = new();
    private readonly object gate = new();
    private readonly long prewriteBytes;
    private Prewriter? prewriter;                    // set in Initialize, before the first write
    private readonly Queue<IoRequest> queue = new(); // guarded by gate
    private int idleThreads;                         // I/O threads in Monitor.Wait; guarded by gate
    private readonly Thread[] threads;
    private int pending;
    private volatile bool disposed;
    private volatile bool stopping;
    private int misalignedReported;
    private LightEpoch? ownedEpoch;
    private readonly LinuxAio? aio;                  // null: every read goes to the threads

    [ThreadStatic] private static DirectFileDevice? ioThreadOwner;

    /// <summary>
    /// Called on the I/O thread after each write's callback has returned (FASTER has then recorded the write, e.g.
    /// moved its FlushedUntilAddress). Set once, before the first write; must be short and must not block.
    /// </summary>
    public Action? WriteCompleted { get; set; }

    /// <summary>Whether segment files are opened with O_DIRECT (false after a fallback or with ssd-direct-io no).</summary>
    public bool DirectIo { get; }

    /// <summary>Number of I/O threads (the most requests in flight on the disk).</summary>
    public int IoThreads => threads.Length;

    /// <summary>Requests submitted whose callback has not yet returned.</summary>
    public int Pending => Volatile.Read(ref pending);

    /// <summary>
    /// Creates the device; segment files are <paramref name="fileName"/> + "." + segment id. The directory is created
    /// if missing. The segment size comes from FASTER through <see cref="Initialize"/>.
    /// </summary>
    /// <param name="fileName">Base path of the segment files.</param>
    /// <param name="options">Thread count and O_DIRECT policy; defaults when null.</param>
    /// <param name="log">Receives notable events (O_DIRECT fallback, misaligned requests, callback exceptions).</param>
    public DirectFileDevice(string fileName, DeviceOptions? options = null, Action<string>? log = null)
        : this(fileName, options ?? new DeviceOptions(), log, LinuxFile.Open)
    {
    }

    /// <summary>For tests: <paramref name="open"/> replaces open(2) and returns an fd or minus the errno.</summary>
    internal DirectFileDevice(string fileName, DeviceOptions options, Action<string>? log, Func<string, int, int> open)
        : this(Path.GetFullPath(fileName), options, log, open, Probe(Path.GetFullPath(fileName), options, log, open))
    {
    }

    private DirectFileDevice(string fileName, DeviceOptions options, Action<string>? log, Func<string, int, int> open, ProbeResult probe)
        : base(fileName, probe.SectorSize, Devices.CAPACITY_UNSPECIFIED)
    {
        this.log = log;
        this.open = open;
        DirectIo = probe.Direct;
        prewriteBytes = options.PrewriteBytes;
        openFlags = LinuxFile.ORdwr | LinuxFile.OCreat | LinuxFile.OCloexec | LinuxFile.ODsync | (probe.Direct ? LinuxFile.ODirect : 0);
        FindExistingSegments();

        // AIO only over O_DIRECT: on a buffered file io_submit would block like pread.
        if (probe.Direct && options.AsyncReads)
            aio = LinuxAio.TryCreate(options.AsyncReadDepth, () => Interlocked.Decrement(ref pending), log);
        int threadCount = aio is null ? options.IoThreads : Math.Min(options.IoThreads, DeviceOptions.ThreadsBesideAio);
        threads = new Thread[Math.Max(1, threadCount)];
        for (int i = 0; i < threads.Length; i++)
        {
            threads[i] = new Thread(RunIoThread) { IsBackground = true, Name = $"ssd-io-{i}" };
            threads[i].Start();
        }
    }

    /// <inheritdoc/>
    public override void Initialize(long segmentSize, LightEpoch? epoch = null, bool omitSegmentIdFromFilename = false)
    {
        // Standalone use (tests, tools) passes no epoch; truncation in the base class needs one.
        epoch ??= ownedEpoch ??= new LightEpoch();
        base.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);
        if (prewriteBytes > 0 && segmentSize > 0)
            prewriter ??= new Prewriter(prewriteBytes, segmentSize, WriteZeros, log);
    }

    /// <inheritdoc/>
    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength,
        DeviceIOCompletionCallback callback, object context)
    {
        if (aio is not null && readLength <= ReadChunk && TrySubmitAio(segmentId, sourceAddress, destinationAddress, readLength, callback, context))
            return;
        Submit(new IoRequest(IoKind.Read, segmentId, sourceAddress, destinationAddress, readLength, callback, context));
    }

    /// <summary>Reads submitted to native AIO, and the io_submit calls that carried them (INFO; their ratio is the batch).</summary>
    public (long Reads, long SubmitCalls) AsyncReadStats => aio is null ? (0, 0) : (aio.Submitted, aio.SubmitCalls);

    /// <summary>Whether reads of a record go to native AIO (false: the I/O threads serve them).</summary>
    public bool AsyncReads => aio is not null;

    /// <summary>
    /// Hands a read to the AIO context. False, having changed nothing, when the thread path must take it: the device
    /// is stopping, the request is misaligned or its file cannot be opened (the thread path reports the error), or
    /// every AIO slot is in flight.
    /// </summary>
    private bool TrySubmitAio(int segment, ulong offset, IntPtr buffer, uint length, DeviceIOCompletionCallback callback, object context)
    {
        uint mask = SectorSize - 1;
        if (((ulong)buffer & mask | offset & mask | length & mask) != 0) return false;
        Interlocked.Increment(ref pending);
        if (disposed)
        {
            Interlocked.Decrement(ref pending);
            return false;
        }
        var (file, _) = AcquireSegment(segment);
        if (file is not null && aio!.TrySubmit(file.Fd, buffer, length, (long)offset, callback, context, file)) return true;
        file?.Release();
        Interlocked.Decrement(ref pending);
        return false;
    }

    /// <inheritdoc/>
    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite,
        DeviceIOCompletionCallback callback, object context)
    {
        HandleCapacity(segmentId);
        Utility.MonotonicUpdate(ref endSegment, segmentId, out _);
        if (prewriter is { } p)
        {
            long start = segmentId * segmentSize + (long)destinationAddress;
            p.Submitted(start, start + numBytesToWrite);
        }
        Submit(new IoRequest(IoKind.Write, segmentId, destinationAddress, sourceAddress, numBytesToWrite, callback, context));
    }

    /// <summary>Deletes the segment's file on an I/O thread, then calls <paramref name="callback"/> there.</summary>
    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
    {
        if (!Submit(new IoRequest(IoKind.Remove, segment, 0, 0, 0, null, null, callback, result)))
        {
            RemoveSegment(segment);
            callback(result);
        }
    }

    /// <summary>
    /// Closes the segment's fd (once I/Os in progress on it finish) and deletes its file, on the calling thread.
    /// A missing file is not an error.
    /// </summary>
    public override void RemoveSegment(int segment)
    {
        DropHandle(segment);
        string path = GetSegmentFilename(FileName, segment);
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.Invoke($"ssd: cannot delete segment file {path}: {e.Message}");
        }
    }

    /// <summary>Always true: completions are pushed by the I/O threads, there is nothing to poll.</summary>
    public override bool TryComplete() => true;

    /// <inheritdoc/>
    public override bool Throttle() => Volatile.Read(ref pending) > ThrottleLimit;

    /// <inheritdoc/>
    public override long GetFileSize(int segment)
    {
        if (segmentSize > 0) return segmentSize;
        var info = new FileInfo(GetSegmentFilename(FileName, segment));
        return info.Exists ? info.Length : 0;
    }

    /// <summary>Closes every fd (files stay); they are reopened on next use.</summary>
    public override void Reset()
    {
        lock (tableLock)
        {
            foreach (int id in segments.Keys) DropHandle(id);
        }
    }

    /// <summary>
    /// Waits for submitted requests to complete, stops the I/O threads and closes every fd. Requests submitted
    /// afterwards complete at once with ECANCELED.
    /// </summary>
    public override void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Interlocked.MemoryBarrier();
        if (ioThreadOwner == this || aio?.OnReaperThread == true)
        {
            // Called from a completion callback: this thread's own request is still pending; finish elsewhere.
            new Thread(Shutdown) { IsBackground = true, Name = "ssd-io-shutdown" }.Start();
            return;
        }
        Shutdown();
    }

    /// <summary>The fd of an open segment, or -1; for tests that inspect /proc/self/fdinfo.</summary>
    internal int FileDescriptorOf(int segment) => segments.TryGetValue(segment, out var f) ? f.Fd : -1;

    private void Shutdown()
    {
        prewriter?.Dispose();   // after its current chunk, which releases any log write waiting for it
        var wait = new SpinWait();
        while (Volatile.Read(ref pending) > 0) wait.SpinOnce(sleep1Threshold: 20);
        lock (gate)
        {
            stopping = true;
            Monitor.PulseAll(gate);
        }
        foreach (var t in threads)
        {
            if (t != Thread.CurrentThread) t.Join();
        }
        aio?.Dispose();   // nothing is pending: no read holds a slot
        lock (tableLock)
        {
            foreach (int id in segments.Keys) DropHandle(id);
        }
        ownedEpoch?.Dispose();
    }

    private bool Submit(in IoRequest request)
    {
        Interlocked.Increment(ref pending);
        if (disposed)
        {
            Interlocked.Decrement(ref pending);
            if (request.Kind == IoKind.Remove) return false;
            request.Callback!(ErrCanceled, 0, request.Context!);
            return true;
        }
        lock (gate)
        {
            queue.Enqueue(request);
            if (idleThreads > 0) Monitor.Pulse(gate);
        }
        return true;
    }

    private void RunIoThread()
    {
        ioThreadOwner = this;
        while (true)
        {
            IoRequest request;
            lock (gate)
            {
                while (!queue.TryDequeue(out request))
                {
                    if (stopping) return;
                    idleThreads++;
                    Monitor.Wait(gate);
                    idleThreads--;
                }
            }
            Execute(in request);
        }
    }

    private void Execute(in IoRequest r)
    {
        try
        {
            switch (r.Kind)
            {
                case IoKind.Remove:
                    RemoveSegment(r.Segment);
                    r.RemoveCallback!(r.RemoveResult!);
                    break;
                default:
                    if (r.Kind == IoKind.Write && prewriter is { } p)
                    {
                        long start = r.Segment * segmentSize + (long)r.Offset;
                        p.BeforeWrite(start, start + r.Length);
                    }
                    var (error, bytes) = Transfer(in r);
                    r.Callback!(error, bytes, r.Context!);
                    if (r.Kind == IoKind.Write && error == 0) WriteCompleted?.Invoke();
                    break;
            }
        }
        catch (Exception e)
        {
            // A callback threw. Nothing above this frame can handle it; report it and keep the thread alive.
            log?.Invoke($"ssd: exception in I/O completion callback: {e}");
        }
        finally
        {
            Interlocked.Decrement(ref pending);
        }
    }

    private unsafe (uint Error, uint Bytes) Transfer(in IoRequest r)
    {
        uint mask = SectorSize - 1;
        if (DirectIo && ((ulong)r.Buffer & mask | r.Offset & mask | r.Length & mask) != 0)
        {
            if (Interlocked.Exchange(ref misalignedReported, 1) == 0)
                log?.Invoke($"ssd: misaligned {r.Kind} (offset {r.Offset}, length {r.Length}, buffer 0x{r.Buffer:x}) for sector size {SectorSize}; failing it with EINVAL");
            return (LinuxFile.EINVAL, 0);
        }

        var (file, openError) = AcquireSegment(r.Segment);
        if (file is null) return (openError, 0);
        try
        {
            byte* buffer = (byte*)r.Buffer;
            long offset = (long)r.Offset;
            nuint done = 0, length = r.Length;
            while (done < length)
            {
                nint n = r.Kind == IoKind.Read
                    ? LinuxFile.PRead(file.Fd, buffer + done, Math.Min(length - done, ReadChunk), offset + (long)done)
                    : LinuxFile.PWrite(file.Fd, buffer + done, length - done, offset + (long)done);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LinuxFile.EINTR) continue;
                    return ((uint)errno, (uint)done);
                }
                if (n == 0) break; // read: end of file; write: cannot happen for length > 0
                done += (nuint)n;
                // After a short O_DIRECT read ending off a sector boundary the next pread would be misaligned: that is EOF.
                if (r.Kind == IoKind.Read && DirectIo && done < length && (done & mask) != 0) break;
            }
            if (r.Kind == IoKind.Read)
            {
                // Past the end of the file: zeros, not whatever the buffer held before.
                if (done < length) NativeMemory.Clear(buffer + done, length - done);
                return (0, (uint)done);
            }
            // O_DSYNC: the data is on stable storage once pwrite has returned.
            return done < length ? (LinuxFile.EIO, (uint)done) : (0, (uint)done);
        }
        finally
        {
            file.Release();
        }
    }

    /// <summary>The prewriter's zero writes: a blocking write on the calling thread, through the segment's fd.</summary>
    private uint WriteZeros(int segment, long offset, int length, IntPtr zeros)
        => Transfer(new IoRequest(IoKind.Write, segment, (ulong)offset, zeros, (uint)length, null, null)).Error;

    private (SegmentFile? File, uint Error) AcquireSegment(int segment)
    {
        if (segments.TryGetValue(segment, out var file) && file.TryAcquire()) return (file, 0);
        lock (tableLock)
        {
            if (disposed && stopping) return (null, ErrCanceled);
            if (segments.TryGetValue(segment, out file) && file.TryAcquire()) return (file, 0);
            string path = GetSegmentFilename(FileName, segment);
            int fd = open(path, openFlags);
            if (fd < 0)
            {
                log?.Invoke($"ssd: cannot open {path}: errno {-fd}");
                return (null, (uint)-fd);
            }
            file = new SegmentFile(fd);
            file.TryAcquire();
            segments[segment] = file;
            return (file, 0);
        }
    }

    private void DropHandle(int segment)
    {
        lock (tableLock)
        {
            if (segments.TryRemove(segment, out var file)) file.Release();
        }
    }

    private void FindExistingSegments()
    {
        string? dir = Path.GetDirectoryName(FileName);
        if (dir is null || !Directory.Exists(dir)) return;
        string prefix = Path.GetFileName(FileName) + ".";
        int min = int.MaxValue, max = -1;
        foreach (string path in Directory.EnumerateFiles(dir, prefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(path).AsSpan(prefix.Length), System.Globalization.NumberStyles.None, null, out int id))
            {
                min = Math.Min(min, id);
                max = Math.Max(max, id);
            }
        }
        if (max < 0) return;
        startSegment = min;
        endSegment = max;
    }

    private readonly record struct ProbeResult(uint SectorSize, bool Direct);

    /// <summary>
    /// Decides O_DIRECT and the sector size before the base constructor needs it: opens a probe file next to the
    /// segments with O_DIRECT and asks statx for the alignment direct I/O needs.
    /// </summary>
    private static ProbeResult Probe(string fileName, DeviceOptions options, Action<string>? log, Func<string, int, int> open)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("DirectFileDevice needs Linux (open/pread/pwrite with O_DIRECT).");
        string dir = Path.GetDirectoryName(fileName) ?? throw new ArgumentException("no directory in " + fileName, nameof(fileName));
        Directory.CreateDirectory(dir);
        if (!options.DirectIo)
        {
            log?.Invoke($"ssd: O_DIRECT disabled by configuration; {fileName}.* go through the page cache");
            return new ProbeResult(512, false);
        }

        string probe = $"{fileName}.dio-probe";
        int fd = open(probe, LinuxFile.ORdwr | LinuxFile.OCreat | LinuxFile.OCloexec | LinuxFile.ODirect);
        if (fd == -(int)LinuxFile.EINVAL)
        {
            File.Delete(probe);
            if (options.RequireDirectIo)
                throw new IOException($"The filesystem of {dir} refuses O_DIRECT and ssd-require-direct-io is set.");
            log?.Invoke($"ssd: the filesystem of {dir} refuses O_DIRECT; falling back to buffered I/O (reads will be served from the page cache)");
            return new ProbeResult(512, false);
        }
        if (fd < 0) throw new IOException($"Cannot create {probe}: errno {-fd}");
        try
        {
            uint align = LinuxFile.DirectIoAlignment(fd);
            // Unknown alignment: 4096 is a multiple of every logical block size in use.
            uint sector = align == 0 ? 4096 : Math.Max(512, align);
            return new ProbeResult(sector, true);
        }
        finally
        {
            LinuxFile.Close(fd);
            File.Delete(probe);
        }
    }

    private enum IoKind : byte { Read, Write, Remove }

    /// <summary>One queued request; a struct so the queue allocates nothing per I/O.</summary>
    private readonly record struct IoRequest(
        IoKind Kind, int Segment, ulong Offset, IntPtr Buffer, uint Length,
        DeviceIOCompletionCallback? Callback, object? Context,
        AsyncCallback? RemoveCallback = null, IAsyncResult? RemoveResult = null);

    /// <summary>An open segment fd with a reference count; the last <see cref="Release"/> closes it.</summary>
    private sealed class SegmentFile(int fd) : IHeld
    {
        private int refs = 1; // the fd table's reference

        public int Fd { get; } = fd;

        public bool TryAcquire()
        {
            int r;
            do
            {
                r = Volatile.Read(ref refs);
                if (r == 0) return false;
            } while (Interlocked.CompareExchange(ref refs, r + 1, r) != r);
            return true;
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref refs) == 0) LinuxFile.Close(Fd);
        }
    }
}

/// <summary>The few libc calls the device needs (Linux, 64-bit).</summary>
internal static unsafe partial class LinuxFile
{
    public const int ORdwr = 0x2, OCreat = 0x40, OCloexec = 0x80000;

    /// <summary>O_DSYNC (010000 on x86-64 and arm64): each write returns once its data is on stable storage.</summary>
    public const int ODsync = 0x1000;

    /// <summary>O_DIRECT: 040000 on x86-64, 0200000 on arm/arm64.</summary>
    public static readonly int ODirect =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x10000 : 0x4000;

    public const uint EINTR = 4, EIO = 5, EINVAL = 22, ENOSPC = 28;

    private const int AtEmptyPath = 0x1000;
    private const uint StatxDioAlign = 0x2000;

    /// <summary>open(2) with mode 0644; returns the fd or minus the errno.</summary>
    public static int Open(string path, int flags)
    {
        int fd = OpenNative(path, flags, 0x1A4);
        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    /// <summary>The alignment O_DIRECT needs for offsets and buffers (statx STATX_DIOALIGN), or 0 if unknown.</summary>
    public static uint DirectIoAlignment(int fd)
    {
        byte* buf = stackalloc byte[256];
        NativeMemory.Clear(buf, 256);
        if (StatX(fd, "", AtEmptyPath, StatxDioAlign, buf) != 0) return 0;
        uint mask = *(uint*)buf;
        if ((mask & StatxDioAlign) == 0) return 0;
        uint memAlign = *(uint*)(buf + 152), offsetAlign = *(uint*)(buf + 156);
        return Math.Max(memAlign, offsetAlign);
    }

    public static void Close(int fd) => CloseNative(fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenNative(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    public static partial nint PRead(int fd, void* buf, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    public static partial nint PWrite(int fd, void* buf, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseNative(int fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int dirfd, string path, int flags, uint mask, byte* statxBuf);
}

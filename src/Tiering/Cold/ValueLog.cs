// The engine's log on the SSD: cold values (value log) and acknowledged writes (write log) in one FasterLog.
//
// Why FasterLog. It gives exactly what the design needs (docs/design-tiering-and-durability.md): appends from one
// writer at a time into an in-memory ring of pages that is flushed sequentially, a commit that makes everything
// appended so far durable (group commit: one commit covers every writer waiting at that moment), random reads of a
// committed record by address, scans for recovery and compaction, truncation of the head in whole segment files,
// and recovery of its committed state on reopen. It runs over our O_DIRECT DirectFileDevice, so a cold read is a
// real SSD read and never lands in the page cache.
//
// How a record sits in the log. FasterLog frames each entry with a 4-byte length and pads it to 4 bytes; the entry
// is one LogRecord (its own header, key, value and CRC; see LogRecord.cs):
//
//   logical address A (returned by Append)                                     next entry
//   |                                                                          |
//   v                                                                          v
//   +-------------+----------------------------------------------+-----------+
//   | len (4 B)   | LogRecord: magic type flags db exp kl vl      | pad 0..3  |
//   | FasterLog   |            key value crc     (len bytes)      |           |
//   +-------------+----------------------------------------------+-----------+
//
// Why the length travels with the address, and why reads bypass FasterLog.ReadAsync. Append returns the record's
// exact size and the index keeps it next to the address (5 B + 3 B), so a cold read knows the byte range
// [A, A + 4 + length) before it starts and is exactly one device read of that range rounded out to sectors
// (FasterLog's page p lives at device offset p * page size, so a logical address is a device address).
// FasterLog.ReadAsync would do the same read, but around it a SemaphoreSlim, an epoch enter/exit and two async
// hops per read; at 64 reads in flight on 2 cores that CPU is what limits the rate, so ValueLog issues the device
// read itself into a RecordRead: a caller-owned, reusable read with its own sector-aligned pinned buffer, completed
// from the device callback (the cold tier keeps a pool of them per connection, so a cold read allocates nothing);
// ReadAsync wraps one in a task for the rare paths.
//
// What FasterLog's epoch did for its reads, a two-slot reader count does here: a read registers in the current
// slot, then checks the begin address; TruncateUntil moves the begin address, switches slots and waits for the old
// slot to drain before the commit that deletes segment files. So no read is in flight on a segment being deleted,
// and a read that arrives later sees the new begin address and fails cleanly.
//
// Why no intermediate buffer on append. Append pins the caller's key and value and hands FasterLog an
// ILogEnqueueEntry that writes the record straight into the log page (LogRecord.Write, CRC included): no per-call
// allocation and one copy. Arguments are validated before FasterLog allocates the slot, because an exception after
// allocation would leave a hole of garbage in the log.
//
// Reads verify. Every record read is checked with LogRecord.TryRead (magic, lengths, CRC) and must have exactly the
// length the caller expects; anything else is a ColdReadException, never wrong bytes handed to the engine.
//
// Threads. Append and Commit are meant to be called under the caller's lock (the store's), which fixes the order of
// records; a small private lock also guards the reusable append entry, so a second appender cannot corrupt a
// record. ReadAsync, Read and Scan may run on any thread concurrently with them and with each other (FasterLog's
// epoch protection keeps segments alive while a read is in flight). TruncateUntil blocks for one commit, so the
// compactor should call it on its own thread, outside the store lock.
//
// Commits. FasterLog runs in fast-commit mode: a commit is a small record inside the log, flushed with the tail in
// one device write (O_DSYNC, see DirectFileDevice), and recovery scans forward from the last commit metadata file
// to the last commit record. So the metadata file (log-commits/) is rewritten only every CommitFileEvery commits,
// and whenever truncation moves the begin address. A commit is durable once FlushedUntil has passed the end of its
// commit record (BeginCommit's commitEnd): with a DirectFileDevice, Flushed says so on the I/O thread that completed
// the write. FasterLog's own completion (BeginCommit's onDurable, CommittedUntil) comes later, from a thread-pool
// task it starts for each flush.

using FASTER.core;
using System.Reflection;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Cold;

/// <summary>Why a cold read failed.</summary>
public enum ColdReadFailure
{
    /// <summary>The bytes read are not a valid record of the expected length (CRC, magic or length mismatch).</summary>
    Corrupt,
    /// <summary>The address is below the log's begin (truncated) or not yet committed.</summary>
    OutOfRange,
    /// <summary>The device reported an error.</summary>
    IoError,
}

/// <summary>A record could not be read back from the value log.</summary>
public sealed class ColdReadException(long address, ColdReadFailure failure, string message) : IOException(message)
{
    /// <summary>Logical address of the record.</summary>
    public long Address { get; } = address;

    /// <summary>What went wrong.</summary>
    public ColdReadFailure Failure { get; } = failure;
}

/// <summary>Receives one record of a <see cref="ValueLog.Scan"/>; return false to stop the scan.</summary>
/// <param name="address">The record's logical address.</param>
/// <param name="length">Its size (what <see cref="ValueLog.ReadAsync"/> needs).</param>
/// <param name="record">The checked record; its spans are only valid during the call.</param>
public delegate bool RecordVisitor(long address, int length, LogRecord.RecordView record);

/// <summary>How a scan ended.</summary>
/// <param name="EndAddress">Address after the last record visited (where a following scan would resume).</param>
/// <param name="Records">Records passed to the visitor.</param>
/// <param name="InvalidAddress">Address of the first invalid (torn or corrupt) record, which ended the scan; -1 if none.</param>
public readonly record struct ScanResult(long EndAddress, long Records, long InvalidAddress)
{
    /// <summary>Whether the scan met an invalid record.</summary>
    public bool FoundInvalid => InvalidAddress >= 0;
}

/// <summary>
/// The log of <see cref="LogRecord"/>s on the SSD: FasterLog over a <see cref="DirectFileDevice"/> (or a given device).
/// See the top of this file for the layout and the threading rules.
/// </summary>
public sealed class ValueLog : IDisposable
{
    /// <summary>FasterLog's per-entry length header.</summary>
    private const int EntryHeaderSize = 4;

    private static readonly FieldInfo? CommitTcsField =
        typeof(FasterLog).GetField("commitTcs", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>The commit metadata file is rewritten every this many commits (see the constructor).</summary>
    internal const int CommitFileEvery = 256;

    private readonly FasterLog log;
    private readonly DeviceLogCommitCheckpointManager commits;
    private readonly IDevice device;
    private readonly bool ownsDevice;
    private readonly PendingRecord pending = new();
    private readonly uint sectorSize;
    private readonly object truncateLock = new();
    private readonly long[] readers = new long[16]; // slots 0 and 8: two cache lines apart
    private long readerGeneration;
    private volatile bool disposed;

    private static readonly DeviceIOCompletionCallback ReadCompleted = OnReadCompleted;

    /// <summary>
    /// Opens the log in <see cref="ValueLogOptions.Directory"/>, recovering its last commit if there is one (records
    /// committed before stay readable at their addresses). With no <paramref name="device"/>, creates a
    /// <see cref="DirectFileDevice"/> on <c>Directory/values.log</c> and disposes it with the log; a given device is
    /// not disposed.
    /// </summary>
    public ValueLog(ValueLogOptions options, IDevice? device = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        System.IO.Directory.CreateDirectory(options.Directory);
        Directory = options.Directory;
        ownsDevice = device is null;
        this.device = device ?? new DirectFileDevice(Path.Combine(options.Directory, "values.log"), options.Device, options.Log);
        if (this.device is DirectFileDevice direct) direct.WriteCompleted = () => Flushed?.Invoke();
        commits = new DeviceLogCommitCheckpointManager(new LocalStorageNamedDeviceFactory(),
            new DefaultCheckpointNamingScheme(options.Directory), removeOutdated: true, fastCommitThrottleFreq: CommitFileEvery);
        try
        {
            log = new FasterLog(new FasterLogSettings
            {
                LogDevice = this.device,
                PageSizeBits = options.PageSizeBits,
                MemorySizeBits = options.MemorySizeBits,
                SegmentSizeBits = options.SegmentSizeBits,
                LogCommitDir = options.Directory,
                // Fast commit writes each commit's metadata into the log itself, so the commit file is only a starting
                // point for recovery's forward scan. Writing it on every commit (a new O_SYNC file each time, after the
                // log flush) doubled the latency appendfsync always waits for; `commits` writes it every
                // CommitFileEvery commits, and always when truncation moves the log's begin address.
                FastCommitMode = true,
                LogCommitManager = commits,
                TryRecoverLatest = true,
            });
        }
        catch
        {
            commits.Dispose();
            if (ownsDevice) this.device.Dispose();
            throw;
        }
        MaxRecordSize = (1 << options.PageSizeBits) - EntryHeaderSize;
        sectorSize = Math.Max(512u, this.device.SectorSize);
        if ((sectorSize & (sectorSize - 1)) != 0 || (1L << options.PageSizeBits) % sectorSize != 0)
        {
            Dispose();
            throw new ArgumentException($"Device sector size {sectorSize} must be a power of two dividing the page size.");
        }
    }

    /// <summary>The device the log writes to.</summary>
    public IDevice Device => device;

    /// <summary>The log's directory (segment files, commit metadata).</summary>
    public string Directory { get; }

    /// <summary>Largest record <see cref="Append"/> accepts (one log page minus FasterLog's header).</summary>
    public int MaxRecordSize { get; }

    /// <summary>Records below this address are durable and readable.</summary>
    public long CommittedUntil => log.CommittedUntilAddress;

    /// <summary>
    /// The log is on stable storage below this address (device writes are synchronous, O_DSYNC). A commit is durable
    /// once this passes its commit record's end; <see cref="CommittedUntil"/> follows later.
    /// </summary>
    public long FlushedUntil => log.FlushedUntilAddress;

    /// <summary>
    /// Raised on the I/O thread after each device write FASTER has recorded (<see cref="FlushedUntil"/> may have
    /// moved), before FasterLog's commit callbacks. Only with a <see cref="DirectFileDevice"/>; with other devices it
    /// never fires, and <see cref="BeginCommit(Action, out long)"/>'s callback is the only signal. Handlers must be short.
    /// </summary>
    public event Action? Flushed;

    /// <summary>Address the next record will get.</summary>
    public long TailAddress => log.TailAddress;

    /// <summary>Oldest readable address (moved by <see cref="TruncateUntil"/>).</summary>
    public long BeginAddress => log.BeginAddress;

    /// <summary>Logical size of the log: <see cref="TailAddress"/> - <see cref="BeginAddress"/>.</summary>
    public long SizeBytes => TailAddress - BeginAddress;

    /// <summary>Reads sent through native AIO and the io_submit calls that carried them; (0, 0) when reads use threads.</summary>
    public (long Reads, long SubmitCalls) AsyncReadStats => device is DirectFileDevice d ? d.AsyncReadStats : (0, 0);

    /// <summary>
    /// Appends one record (not yet durable nor readable: see <see cref="CommitAsync"/>) and returns its address;
    /// <paramref name="length"/> is its exact size, what <see cref="ReadAsync"/> needs to fetch it in one device read.
    /// May wait while the in-memory pages are all being flushed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown type, db outside 0..65535, negative expiry.</exception>
    /// <exception cref="ArgumentException">The record is larger than <see cref="MaxRecordSize"/>.</exception>
    public unsafe long Append(RecordType type, byte flags, int db, long expireAt, ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> value, out int length)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (type is < RecordType.Put or > RecordType.CheckpointMark) throw new ArgumentOutOfRangeException(nameof(type));
        if ((uint)db > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(db));
        ArgumentOutOfRangeException.ThrowIfNegative(expireAt);
        long size = (long)LogRecord.Overhead + key.Length + value.Length;
        if (size > MaxRecordSize)
            throw new ArgumentException($"A record of {size} bytes does not fit in a log page (at most {MaxRecordSize}).", nameof(value));
        length = (int)size;

        fixed (byte* k = key, v = value)
        {
            lock (pending)
            {
                pending.Set(type, flags, db, expireAt, k, key.Length, v, value.Length);
                try
                {
                    return log.Enqueue(pending);
                }
                finally
                {
                    pending.Clear();
                }
            }
        }
    }

    /// <summary>
    /// Appends a PUT of <paramref name="value"/>, split over as many records as it needs (one when it fits; see
    /// LogRecord.cs for the parts) and returns the first record's address; <paramref name="stored"/> is the log bytes
    /// of all of them. A value of more than one record can only be read back by a scan (recovery, compaction), never by
    /// <see cref="ReadAsync"/>: such a value stays hot. The parts follow one another in the log: no other append can
    /// come between them.
    /// </summary>
    /// <exception cref="ArgumentException">The key alone does not fit in a record, or <paramref name="flags"/> has a part bit.</exception>
    public long AppendPut(byte flags, int db, long expireAt, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out int stored)
    {
        if ((flags & LogRecord.PartMask) != 0) throw new ArgumentException("Part bits are set by AppendPut.", nameof(flags));
        int room = MaxRecordSize - LogRecord.Overhead - key.Length;
        if (value.Length <= room) return Append(RecordType.Put, flags, db, expireAt, key, value, out stored);
        if (room < 1024) throw new ArgumentException($"A key of {key.Length} bytes leaves no room for a value in a log page.", nameof(key));
        byte end = (byte)(flags & LogRecord.FlagEnd), common = (byte)(flags & ~LogRecord.FlagEnd);
        long first = 0, total = 0;
        // Held across the parts (Append takes it again for each): an appender outside the store lock (demotion's
        // batch) cannot put a record between them.
        lock (pending)
        {
            for (int offset = 0; offset < value.Length; offset += room)
            {
                int n = Math.Min(room, value.Length - offset);
                bool last = offset + n == value.Length;
                byte f = (byte)(common | (offset > 0 ? LogRecord.FlagContinued : 0) | (last ? end : LogRecord.FlagMore));
                long address = Append(RecordType.Put, f, db, expireAt, key, value.Slice(offset, n), out int length);
                if (offset == 0) first = address;
                total += length;
            }
        }
        stored = checked((int)total);
        return first;
    }

    /// <summary>Makes every record appended so far durable and readable; completes when the commit is on disk.</summary>
    public ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return log.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Starts a commit of everything appended so far and returns at once (group commit: call it under the lock that
    /// serializes appends, so the commit ends on a record boundary the caller chose); <see cref="WaitForCommitAsync"/>
    /// waits for it.
    /// </summary>
    public void BeginCommit()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        log.Commit(spinWait: false);
    }

    /// <summary>
    /// <see cref="BeginCommit()"/> that calls <paramref name="onDurable"/> once the commit is on disk, from FasterLog's
    /// commit task on the thread pool; the commit is already durable as soon as <see cref="FlushedUntil"/> reaches
    /// <paramref name="commitEnd"/> (see <see cref="Flushed"/>). The callback must be short and must not take locks held
    /// around this call. Returns false if there was nothing to commit (no callback then). A failed commit never calls
    /// it; <see cref="WaitForCommitAsync"/> throws instead.
    /// </summary>
    public bool BeginCommit(Action onDurable, out long commitEnd)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return log.CommitStrongly(out commitEnd, out _, spinWait: false, cookie: null, proposedCommitNum: -1, callback: onDurable);
    }

    /// <summary>
    /// Commits the log at a command boundary: the commit is started under <paramref name="appendLock"/>, the lock every
    /// appender holds (so it never splits a command's or a transaction's records), and awaited outside it.
    /// </summary>
    public async Task CommitAtBoundaryAsync(Lock appendLock, CancellationToken ct = default)
    {
        long target;
        lock (appendLock)
        {
            target = TailAddress;
            BeginCommit();
        }
        await WaitForCommitAsync(target, ct).ConfigureAwait(false);
    }

    /// <summary>Completes when the log is durable at least up to <paramref name="address"/>.</summary>
    public async ValueTask WaitForCommitAsync(long address, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        while (log.CommittedUntilAddress < address)
            await log.WaitForCommitAsync(address, token: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Synchronous <see cref="CommitAsync"/>: blocks the calling thread until the commit is on disk.</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        log.Commit(spinWait: true);
    }

    /// <summary>
    /// Starts reading the record at <paramref name="address"/> of <paramref name="length"/> bytes (as returned by
    /// <see cref="Append"/>) into <paramref name="read"/> with one device read; its owner's
    /// <see cref="IRecordReadOwner.OnRecordRead"/> runs when it is done (on the device's completion thread, or inline
    /// here when the read cannot start), with <see cref="RecordRead.Record"/> holding exactly the record's bytes, checked,
    /// or <see cref="RecordRead.Error"/> saying why not. The owner must keep it until then and not start it again before.
    /// </summary>
    public void StartRead(RecordRead read, long address, int length)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        read.Begin(address, length);
        if (length < LogRecord.Overhead || length > MaxRecordSize)
        {
            read.Finish(new ColdReadException(address, ColdReadFailure.Corrupt, $"cold read at {address}: impossible record length {length}"));
            return;
        }
        int slot = EnterRead();
        if (address < log.BeginAddress || address >= log.CommittedUntilAddress)
        {
            ExitRead(slot);
            read.Finish(OutOfRange(address));
            return;
        }
        long start = address & ~(long)(sectorSize - 1);
        long end = (address + EntryHeaderSize + length + sectorSize - 1) & ~(long)(sectorSize - 1);
        IntPtr buffer = read.Prepare(this, slot, (int)(address - start + EntryHeaderSize), (int)(end - start), (int)sectorSize);
        try
        {
            device.ReadAsync((ulong)start, buffer, (uint)(end - start), ReadCompleted, read);
        }
        catch (Exception e)
        {
            ExitRead(slot);
            read.Finish(new ColdReadException(address, ColdReadFailure.IoError, $"cold read at {address}: {e.Message}"));
        }
    }

    /// <summary>
    /// <see cref="StartRead"/> as a task of the record's bytes (a copy), for paths where an allocation per read does
    /// not matter. With <paramref name="inlineContinuation"/> the caller's continuation runs on the device thread that
    /// completed the read (only for continuations that are short and never block); otherwise on the thread pool.
    /// </summary>
    /// <exception cref="ColdReadException">Not committed, truncated, device error, or not a valid record of that length.</exception>
    public ValueTask<byte[]> ReadAsync(long address, int length, bool inlineContinuation = false)
    {
        var task = new TaskRead(inlineContinuation);
        StartRead(task.Read, address, length);
        return new ValueTask<byte[]>(task.Task);
    }

    private static void OnReadCompleted(uint errorCode, uint numBytes, object context)
    {
        var read = (RecordRead)context;
        read.Log!.ExitRead(read.ReaderSlot);
        long address = read.Address;
        if (errorCode != 0)
        {
            read.Finish(new ColdReadException(address, ColdReadFailure.IoError, $"cold read at {address}: device error {errorCode}"));
            return;
        }
        ReadOnlySpan<byte> entry = read.Entry;
        int entryLength = BinaryPrimitives.ReadInt32LittleEndian(entry);
        if (entryLength != read.Length)
        {
            read.Finish(new ColdReadException(address, ColdReadFailure.Corrupt, $"cold read at {address}: entry is {entryLength} bytes, expected {read.Length}"));
            return;
        }
        if (!LogRecord.TryRead(entry.Slice(EntryHeaderSize, read.Length), out _))
        {
            read.Finish(new ColdReadException(address, ColdReadFailure.Corrupt, $"cold read at {address}: record fails its checks (CRC, magic or lengths)"));
            return;
        }
        read.Finish(null);
    }

    /// <summary>Registers a read in the current reader slot; returns the slot for <see cref="ExitRead"/>.</summary>
    private int EnterRead()
    {
        while (true)
        {
            int slot = (int)(Volatile.Read(ref readerGeneration) & 1) * 8;
            Interlocked.Increment(ref readers[slot]);
            // Re-check: if TruncateUntil switched slots meanwhile it may not wait for this one; register again.
            if ((int)(Volatile.Read(ref readerGeneration) & 1) * 8 == slot) return slot;
            Interlocked.Decrement(ref readers[slot]);
        }
    }

    private void ExitRead(int slot) => Interlocked.Decrement(ref readers[slot]);

    /// <summary>Synchronous <see cref="ReadAsync"/>: blocks the calling thread for the device read. For rare paths.</summary>
    public byte[] Read(long address, int length)
    {
        var task = ReadAsync(address, length);
        DeviceReadBatch.Flush();   // a read gathered in this thread's batch would otherwise never be submitted
        return task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Visits the committed records whose addresses lie in [<paramref name="from"/>, <paramref name="to"/>) in log order
    /// (clamped to [<see cref="BeginAddress"/>, <see cref="CommittedUntil"/>)). The first invalid record ends the scan
    /// and its address is reported. <paramref name="from"/> must be a record's address (or the begin address). The
    /// visitor runs on the calling thread outside FasterLog's epoch, so it may append, commit or read.
    /// </summary>
    public unsafe ScanResult Scan(long from, long to, RecordVisitor visitor)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(visitor);
        from = Math.Max(from, log.BeginAddress);
        to = Math.Min(to, log.CommittedUntilAddress);
        if (from >= to) return new ScanResult(from, 0, -1);

        long records = 0, end = from, invalid = -1;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            using var iterator = log.Scan(from, to, recover: false);
            while (true)
            {
                int length;
                long address, next;
                try
                {
                    if (!iterator.UnsafeGetNext(out byte* entry, out length, out address, out next)) break;
                    try
                    {
                        if (length > buffer.Length)
                        {
                            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                            buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
                        }
                        if (length >= 0) new ReadOnlySpan<byte>(entry, length).CopyTo(buffer);
                    }
                    finally
                    {
                        iterator.UnsafeRelease();
                    }
                }
                catch (FasterException)
                {
                    // FasterLog refuses the entry header (impossible length, uninitialized page): a torn log.
                    invalid = end;
                    break;
                }
                if (length < 0 || !LogRecord.TryRead(buffer.AsSpan(0, length), out var view))
                {
                    invalid = address;
                    break;
                }
                records++;
                end = next;
                if (!visitor(address, length, view)) break;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return new ScanResult(end, records, invalid);
    }

    /// <summary>
    /// Makes addresses below <paramref name="address"/> unreadable and commits that, which deletes the segment files
    /// wholly below it (asynchronously, once no read uses them). <paramref name="address"/> must be a record's
    /// address or <see cref="CommittedUntil"/>; moving backwards is a no-op. Commits pending appends too.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The address is beyond <see cref="CommittedUntil"/>.</exception>
    public void TruncateUntil(long address)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (address > log.CommittedUntilAddress)
            throw new ArgumentOutOfRangeException(nameof(address), address, $"beyond the committed end {log.CommittedUntilAddress}");
        lock (truncateLock)
        {
            if (address <= log.BeginAddress) return;
            log.TruncateUntil(address);
            // Reads registered before this point may still be on their way to segments below the new begin: wait
            // for them before the commit that deletes those segments. Reads registering later see the new begin.
            int old = (int)(Interlocked.Increment(ref readerGeneration) - 1 & 1) * 8;
            var wait = new SpinWait();
            while (Volatile.Read(ref readers[old]) != 0) wait.SpinOnce(sleep1Threshold: 20);
            log.Commit(spinWait: true);
        }
    }

    /// <summary>
    /// Closes the log without committing (records appended since the last commit are lost, as in a crash) and disposes
    /// the device if the log created it. Reads still in flight must have completed.
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        log.Dispose();
        // FasterLog faults its pending commit task with "Log has been disposed"; nobody awaits it, so observe it here
        // rather than let it surface as an UnobservedTaskException.
        if (CommitTcsField?.GetValue(log) is TaskCompletionSource<LinkedCommitInfo> tcs) _ = tcs.Task.Exception;
        commits.Dispose();
        if (ownsDevice) device.Dispose();
    }

    private ColdReadException OutOfRange(long address)
        => new(address, ColdReadFailure.OutOfRange,
            $"cold read at {address}: outside the readable log [{log.BeginAddress}, {log.CommittedUntilAddress})");

    /// <summary>A <see cref="RecordRead"/> whose completion sets a task to a copy of the record.</summary>
    private sealed class TaskRead : TaskCompletionSource<byte[]>, IRecordReadOwner
    {
        public TaskRead(bool inline) : base(inline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously)
            => Read = new RecordRead(this);

        public RecordRead Read { get; }

        public void OnRecordRead(RecordRead read)
        {
            if (read.Error is { } e) TrySetException(e);
            else TrySetResult(read.Record.ToArray());
        }
    }

    /// <summary>
    /// The record being appended, written by FasterLog straight into its page. Points at the caller's pinned key and
    /// value only for the duration of one Append (under the lock).
    /// </summary>
    private sealed unsafe class PendingRecord : ILogEnqueueEntry
    {
        private RecordType type;
        private byte flags;
        private int db;
        private long expireAt;
        private byte* key;
        private int keyLength;
        private byte* value;
        private int valueLength;

        public int SerializedLength => LogRecord.Overhead + keyLength + valueLength;

        public void Set(RecordType type, byte flags, int db, long expireAt, byte* key, int keyLength, byte* value, int valueLength)
        {
            this.type = type;
            this.flags = flags;
            this.db = db;
            this.expireAt = expireAt;
            this.key = key;
            this.keyLength = keyLength;
            this.value = value;
            this.valueLength = valueLength;
        }

        public void Clear() => Set(0, 0, 0, 0, null, 0, null, 0);

        public void SerializeTo(Span<byte> dest)
            => LogRecord.Write(dest, type, flags, db, expireAt, new ReadOnlySpan<byte>(key, keyLength), new ReadOnlySpan<byte>(value, valueLength));
    }
}

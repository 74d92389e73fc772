// The journal: every acknowledged write becomes a record in the same log that holds the cold values.
//
// Why state records for strings and effects for collections. Redis's AOF logs commands and must rewrite the
// non-deterministic ones (SPOP, EXPIRE with relative times, INCRBYFLOAT, XADD *, blocking pops...). Here a string
// write is logged as the key's resulting state: a PUT of its value (kind in the flags byte, absolute expiry in the
// header), or a DEL when it is gone; the PUT is at once the key's copy in the value log, so the hot entry becomes
// clean (HotItem.Record = the PUT's address) and demoting it later costs no I/O. A write to a collection that
// already has a PUT in the log is logged as its effect instead, an OP record (OpRecord.cs) of the size of the
// command's arguments, normalized so replay decides nothing (the ID XADD chose, the members SPOP took, the score
// ZINCRBY reached); the collection keeps its chain (the PUT plus its OPs: ValueObject.LogBase) until a newer PUT
// replaces it (a write with no OP form, a demotion's snapshot, a compaction's fold).
//
// A command's records are gathered while it runs and appended together at its end, in the order they happened,
// the last one marked LogRecord.FlagEnd (a replica applies whole commands); the db number of each is taken when it
// is made, so a SWAPDB inside an EXEC orders correctly with the records around it.
//
//   command (under the store lock)        EndCommand (same lock hold)                     commit policy
//   SET k v / HSET h f v / DEL x   --->   PUT k v' | PUT h {..} | DEL x appended  --->   always: the reply waits
//   (Database marks each key it              (records of one command, or one EXEC,         for the commit covering it
//    changes: Journal.Touch)                  are appended together)                       everysec: commit each 1 s
//                                                                                          no: commit each 30 s
//   FLUSHDB/FLUSHALL/SWAPDB append FLUSH / SWAPDB records at once.
//
// Group commit: commits are started under the store lock (so a commit never splits a command's or a transaction's
// records) by one committer thread, one commit in flight at a time; everyone waiting for durability when a commit
// starts is released by that commit, straight from the I/O thread that completed its write. With `always`, fifty
// clients writing at once share one device write instead of fifty. A commit is one O_DSYNC write of the log's tail
// with a commit record in it (FasterLog fast-commit mode); FasterLog's commit metadata file is rewritten only every
// ValueLog.CommitFileEvery commits, and recovery scans forward from it to the last commit record.
//
// Records of a key are appended in the order its writes happen (all under the store lock), and demotion never
// appends a value of a key the journal logs (with a journal every hot entry is clean after its command), so replay
// in log order rebuilds exactly the newest state.

using Tiered.Tiering.Cold;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;

namespace Tiered.Tiering.Durability;

/// <summary>Logs the keys each command changed and commits the log by the appendfsync policy (see the file's header).</summary>
/// <remarks>
/// Shared state rule: <see cref="Touch"/>, <see cref="EndCommand"/>, <see cref="Flush"/>, <see cref="SwapDb"/> and
/// <see cref="AppendedUntil"/> are used under the store lock. <see cref="WhenDurable"/> may be called from
/// any thread; its waiters are guarded by their own monitor. Commits are started by the committer thread (and by
/// <see cref="CommitOnceAsync"/>) under the store lock; the count of commits in flight is guarded by
/// <c>_slots</c>, which the completion callback takes on an I/O thread (it never takes the store lock).
/// </remarks>
public sealed class Journal : IDisposable
{
    private readonly DramState _store;
    private readonly ValueLog _log;
    private readonly DurabilityOptions _options;
    private readonly List<(IKeyspace Db, byte[] Key)> _touched = [];
    private readonly List<CommandRecord> _records = [];
    private byte[] _cmd = ArrayPool<byte>.Shared.Rent(4096);
    private int _cmdUsed;
    private readonly List<(long Address, TaskCompletionSource Done)> _waiters = [];
    private readonly SemaphoreSlim _kick = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private Thread? _loop;

    internal Journal(DramState store, ValueLog log, DurabilityOptions options)
    {
        _store = store;
        _log = log;
        _options = options;
        _log.Flushed += OnFlushed;
    }

    /// <summary>The log address after the last record appended (under the lock).</summary>
    public long AppendedUntil { get; private set; }

    /// <summary>
    /// The log is durable up to here: the end of the last commit seen on disk, by the device's write completion or by
    /// FasterLog's commit task, whichever came first.
    /// </summary>
    public long CommittedUntil => Math.Max(Volatile.Read(ref _durableUntil), _log.CommittedUntil);

    /// <summary>Writes that could not be logged (a key nearly as large as a log page); they are lost on a crash.</summary>
    public long UnloggedWrites { get; private set; }

    /// <summary>Records appended since start.</summary>
    public long Records { get; private set; }

    /// <summary>Of those, operation records (a collection write logged as its effect; INFO log_op_records).</summary>
    public long OpRecords { get; private set; }

    /// <summary>Log bytes of the records appended since start (INFO log_bytes_written): what client writes cost the log.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Group commits completed (each one device flush; INFO log_commits).</summary>
    public long Commits => Volatile.Read(ref _commits);

    /// <summary>Total time from starting commits to their being durable, in microseconds (INFO log_commit_usec).</summary>
    public long CommitMicros => Volatile.Read(ref _commitMicros);

    // The commit in flight: at most one (see CommitLoop), described by the _flight fields. All guarded by _slots (the
    // committer waits on it for the commit to finish); _inFlight and _flightEnd are also read without it, as a cheap
    // first check, by OnFlushed on the I/O threads.
    private readonly object _slots = new();
    private int _inFlight;          // 1 while a commit is in flight, else 0
    private long _flightSeq;        // number of the last commit started
    private long _flightEnd;        // its commit record's end: durable once the log's FlushedUntil reaches it
    private long _flightTarget;     // AppendedUntil when it started: what it makes durable
    private long _flightStarted;    // Stopwatch timestamp of its start
    private long _durableUntil;     // written under _slots, read anywhere (CommittedUntil)
    private long _commits;
    private long _commitMicros;

    /// <summary>Unix ms of the last completed commit (INFO rdb_last_save_time, LASTSAVE).</summary>
    public long LastCommitMs { get; private set; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Whether the last commit succeeded (INFO aof_last_write_status).</summary>
    public bool LastCommitOk { get; private set; } = true;

    public FsyncPolicy Policy => _options.Policy;

    /// <summary>Starts the committer loop.</summary>
    public void Start()
    {
        if (_loop is not null) return;
        _loop = new Thread(CommitLoop) { IsBackground = true, Name = "journal-commit" };
        _loop.Start();
    }

    /// <summary>A command is changing <paramref name="key"/> of <paramref name="db"/> (under the lock): its resulting state is logged at the command's end.</summary>
    internal void Touch(IKeyspace db, byte[] key)
    {
        foreach ((IKeyspace d, byte[] k) in _touched)
            if (ReferenceEquals(k, key) && ReferenceEquals(d, db)) return;
        _touched.Add((db, key));
    }

    /// <summary>
    /// After a command (or a whole EXEC), under the lock: appends the command's records in the order they happened
    /// (its operations, FLUSH and SWAPDB records), then the resulting state of every key it touched, and marks the last
    /// record <see cref="LogRecord.FlagEnd"/>. Returns true if anything was appended (the caller's reply must then wait
    /// for durability under <c>always</c>).
    /// </summary>
    public bool EndCommand()
    {
        if (_touched.Count == 0 && _records.Count == 0) return false;
        foreach ((IKeyspace db, byte[] key) in _touched) LogKey(db, key);
        _touched.Clear();
        int n = _records.Count;
        for (int k = 0; k < n; k++)
        {
            CommandRecord p = _records[k];
            byte flags = k == n - 1 ? (byte)(p.Flags | LogRecord.FlagEnd) : p.Flags;
            long address = Append(p.Type, flags, p.DbId, p.ExpireAt, _cmd.AsSpan(p.KeyOffset, p.KeyLength),
                _cmd.AsSpan(p.ValueOffset, p.ValueLength), out int stored);
            Observer?.Record(p.Type, flags, p.DbId, p.ExpireAt, _cmd.AsSpan(p.KeyOffset, p.KeyLength), _cmd.AsSpan(p.ValueOffset, p.ValueLength));
            if (p.Type == RecordType.Op) OpRecords++;
            if (p.Db is { } db && db.Index.IsLive(p.Entry) && !db.Index.IsCold(p.Entry))
            {
                // The key's PUT: the hot entry is clean, its record is this one.
                ref HotItem h = ref db.Index.HotOf(p.Entry);
                _store.EndChain(h.Value);
                h.Record = address;
                db.Index.SetRecordSize(p.Entry, stored, p.Logical);
                _store.TierStats.KeepRecord(stored);
            }
        }
        _records.Clear();
        _cmdUsed = 0;
        if (n > 0) Observer?.EndCommand();
        return n > 0;
    }

    /// <summary>Sees each command's records after they are appended (the replication feed); set and read under the store lock.</summary>
    public IRecordObserver? Observer { get; set; }

    private void LogKey(IKeyspace db, byte[] key)
    {
        KeyIndex index = db.Index;
        ulong hash = KeyIndex.Hash(key);
        int i = index.Find(key, hash);
        while (i >= 0 && index.IsCold(i)) i = index.FindAfter(i, key, hash);   // cold: another key with this hash
        if (i < 0)
        {
            AddRecord(RecordType.Del, 0, db.Id, 0, key, default);
            return;
        }
        ref HotItem h = ref index.HotOf(i);
        if (h.Record != 0) return;   // unchanged (a write command that changed nothing)
        ref Entry e = ref index.EntryAt(i);
        int n = StoredValue.Encode(e.Kind, h.Value!, ref _buffer, out int logical);
        if (LogRecord.Overhead + key.Length + 1024 > _log.MaxRecordSize)
        {
            UnloggedWrites++;   // a key of megabytes: no record can hold it (a larger value is split into parts)
            return;
        }
        AddRecord(RecordType.Put, (byte)e.Kind, db.Id, index.ExpireAt(i), key, _buffer.AsSpan(0, n), db, i, logical);
    }

    /// <summary>FLUSHDB (<paramref name="db"/>) or FLUSHALL (-1), under the lock.</summary>
    internal void Flush(int db) => AddRecord(RecordType.Flush, 0, db < 0 ? ushort.MaxValue : db, 0, default, default);

    /// <summary>SWAPDB a b, under the lock.</summary>
    internal void SwapDb(int a, int b)
    {
        Span<byte> other = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(other, (ushort)b);
        AddRecord(RecordType.SwapDb, 0, a, 0, default, other);
    }

    // ---- operation records (see OpRecord.cs), built in the command buffer while the command runs ----

    private int _opKeyOffset, _opKeyLength, _opValueOffset, _opDb;
    private byte _opKind;

    /// <summary>Starts an OP record of <paramref name="key"/> (a hot collection of <paramref name="kind"/>); under the lock.</summary>
    internal void BeginOp(IKeyspace db, byte[] key, ValueKind kind, OpCode op)
    {
        EnsureCommandRoom(key.Length + 1);
        _opKeyOffset = _cmdUsed;
        _opKeyLength = key.Length;
        key.CopyTo(_cmd.AsSpan(_cmdUsed));
        _cmdUsed += key.Length;
        _opValueOffset = _cmdUsed;
        _cmd[_cmdUsed++] = (byte)op;
        _opDb = db.Id;
        _opKind = (byte)kind;
    }

    /// <summary>One argument of the OP record begun last.</summary>
    internal void OpArg(ReadOnlySpan<byte> arg)
    {
        EnsureCommandRoom(arg.Length + Varint.MaxLength);
        _cmdUsed += Varint.Write(_cmd.AsSpan(_cmdUsed), (ulong)arg.Length);
        arg.CopyTo(_cmd.AsSpan(_cmdUsed));
        _cmdUsed += arg.Length;
    }

    /// <summary>Ends the OP record begun last; returns its size in the log.</summary>
    internal int EndOp()
    {
        int valueLength = _cmdUsed - _opValueOffset;
        _records.Add(new CommandRecord(RecordType.Op, _opKind, _opDb, 0, _opKeyOffset, _opKeyLength, _opValueOffset, valueLength, null, -1, 0));
        return LogRecord.Size(_opKeyLength, valueLength);
    }

    private void AddRecord(RecordType type, byte flags, int db, long expireAt, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value,
        IKeyspace? owner = null, int entry = -1, int logical = 0)
    {
        EnsureCommandRoom(key.Length + value.Length);
        int keyOffset = _cmdUsed;
        key.CopyTo(_cmd.AsSpan(_cmdUsed));
        _cmdUsed += key.Length;
        int valueOffset = _cmdUsed;
        value.CopyTo(_cmd.AsSpan(_cmdUsed));
        _cmdUsed += value.Length;
        _records.Add(new CommandRecord(type, flags, db, expireAt, keyOffset, key.Length, valueOffset, value.Length, owner, entry, logical));
    }

    private void EnsureCommandRoom(int bytes)
    {
        if (_cmdUsed + bytes <= _cmd.Length) return;
        byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(_cmd.Length * 2, _cmdUsed + bytes));
        _cmd.AsSpan(0, _cmdUsed).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_cmd);
        _cmd = grown;
    }

    private long Append(RecordType type, byte flags, int db, long expireAt, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out int length)
    {
        long address = type == RecordType.Put
            ? _log.AppendPut(flags, db, expireAt, key, value, out length)
            : _log.Append(type, flags, db, expireAt, key, value, out length);
        // A value split into parts ends where the log's tail now is (its parts fill whole pages, not length bytes).
        AppendedUntil = length > _log.MaxRecordSize ? _log.TailAddress : address + length;
        Records++;
        BytesWritten += length;
        _store.TierStats.SsdWriteItems++;
        _store.TierStats.SsdWriteBytes += length;
        return address;
    }

    /// <summary>
    /// A record of the command in progress, its key and value in <c>_cmd</c>. <see cref="Db"/> and <see cref="Entry"/>
    /// name the hot entry a PUT is the copy of (null and -1 for other records); the db number is taken when the record
    /// is made, so a SWAPDB later in the same EXEC does not change where an earlier record applies.
    /// </summary>
    private readonly record struct CommandRecord(RecordType Type, byte Flags, int DbId, long ExpireAt, int KeyOffset, int KeyLength,
        int ValueOffset, int ValueLength, IKeyspace? Db, int Entry, int Logical);

    /// <summary>
    /// Completes when the log is durable up to <paramref name="address"/> (appendfsync always: a reply waits on it).
    /// Any thread.
    /// </summary>
    public Task WhenDurable(long address)
    {
        if (CommittedUntil >= address) return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters) _waiters.Add((address, done));
        // With a commit in flight its completion starts the next one (OnFlushed, or ReleaseDurable's kick); waking the
        // committer now would only cost a context switch. _inFlight drops to 0 before that completion reads the
        // waiters, so a waiter added too late for it sees 0 here and kicks.
        if (Volatile.Read(ref _inFlight) == 0) Kick();
        return done.Task;
    }

    /// <summary>Asks the committer for a commit now (SAVE, BGSAVE, shutdown).</summary>
    public void Kick()
    {
        if (_kick.CurrentCount == 0)
        {
            try { _kick.Release(); } catch (SemaphoreFullException) { } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>
    /// The committer thread: waits for a kick (or the policy's interval), then for a free commit slot, and starts a
    /// group commit of everything appended so far.
    /// </summary>
    /// <remarks>
    /// Why a dedicated thread, and why the commit completes on the device's I/O thread. A commit's device write
    /// completes on an I/O thread, which calls <see cref="OnFlushed"/> at once: it frees the slot, starts the next
    /// commit itself if clients are waiting, and then completes the waiters; this thread starts the first commit after
    /// an idle spell (a kick) and the interval commits of everysec and no. Awaiting FasterLog's commit
    /// task instead put the next commit's start behind the thread-pool work of every released connection (measured:
    /// the log sat idle 0.76 ms between commits whose writes took about 1 ms, 50 clients on 2 cores), and FasterLog's
    /// commit callback runs as a thread-pool task as well (0.15-0.4 ms after the write, measured under that load).
    /// One commit in flight: two were measured too (Tiered.CrashTest throughput, 50 clients) and did no better than the
    /// run-to-run spread on this machine, at twice the commits.
    /// </remarks>
    private void CommitLoop()
    {
        CancellationToken ct = _stop.Token;
        int interval = Policy switch { FsyncPolicy.Always => Timeout.Infinite, FsyncPolicy.No => 30_000, _ => 1000 };
        while (!ct.IsCancellationRequested)
        {
            try
            {
                _kick.Wait(interval, ct);
                WaitForSlot(ct);
                long target = StartCommit(out bool begun, out bool busy);
                if (!begun && !busy)
                {
                    // Nothing new for us to commit: a commit someone else started (demotion, compaction, SAVE) covers
                    // the tail, and it does not call us back. Wait for it and release the clients it covers, or they
                    // would wait for a kick that no new write may ever send.
                    if (target > _log.CommittedUntil) _log.WaitForCommitAsync(target, ct).AsTask().GetAwaiter().GetResult();
                    ReleaseDurable();
                }
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (Exception)
            {
                LastCommitOk = false;
                lock (_slots) _inFlight = 0;   // the failed commit never calls back
                ct.WaitHandle.WaitOne(100);
            }
        }
    }

    /// <summary>Blocks while a commit is in flight; throws if the log failed a commit.</summary>
    private void WaitForSlot(CancellationToken ct)
    {
        Task? failure = null;
        lock (_slots)
        {
            while (_inFlight != 0)
            {
                if (Monitor.Wait(_slots, 20)) continue;
                ct.ThrowIfCancellationRequested();
                // Slow: a failed commit never calls back; FasterLog's commit task carries the failure.
                failure ??= _log.WaitForCommitAsync(AppendedUntil, ct).AsTask();
                if (!failure.IsCompleted) continue;
                failure.GetAwaiter().GetResult();   // throws if the commit failed
                _inFlight = 0;                      // durable past everything appended: nothing is in flight
            }
        }
    }

    /// <summary>Starts a commit of everything appended so far, at a command boundary (under the store lock). Returns its end.</summary>
    private long StartCommit(out bool begun, out bool busy)
    {
        long result = StartCommitLocked(out begun, out busy);
        if (begun) OnFlushed();   // its write may have completed before _flightEnd was set
        return result;
    }

    private long StartCommitLocked(out bool begun, out bool busy)
    {
        begun = busy = false;
        lock (_store.Lock)
        {
            long target = AppendedUntil;
            if (target <= CommittedUntil) return target;
            long seq;
            lock (_slots)
            {
                if (_inFlight != 0)
                {
                    busy = true;   // started meanwhile by an I/O thread (OnFlushed); its completion starts the next
                    return target;
                }
                seq = ++_flightSeq;
                _inFlight++;
                _flightTarget = target;
                _flightEnd = long.MaxValue;   // not known until BeginCommit returns
                _flightStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            begun = _log.BeginCommit(() => OnCommitCallback(seq), out long end);
            lock (_slots)
            {
                if (_flightSeq == seq && _inFlight > 0)
                {
                    if (begun) Volatile.Write(ref _flightEnd, end);
                    else _inFlight--;   // an earlier commit already covers the tail
                }
            }
            return target;
        }
    }

    /// <summary>
    /// After each device write (on the I/O thread): if the log is now on disk past the commit record in flight, that
    /// commit is durable. This comes before FasterLog's own callback, which it runs as a thread-pool task.
    /// </summary>
    /// <remarks>
    /// If clients are still waiting, this thread starts the next commit itself: the committer thread, woken instead,
    /// took 0.75-1.2 ms to get a core and the store lock (measured, 50 clients on 2 busy cores), longer than the
    /// device write.
    /// </remarks>
    private void OnFlushed()
    {
        if (Volatile.Read(ref _inFlight) == 0 || _log.FlushedUntil < Volatile.Read(ref _flightEnd)) return;
        long seq;
        lock (_slots)
        {
            if (_inFlight == 0 || _log.FlushedUntil < _flightEnd) return;
            seq = _flightSeq;
        }
        if (!FinishCommit(seq)) return;
        // The next commit first, then wake the clients: its device write is under way before the pool runs them.
        if (HasWaitersBeyond(CommittedUntil))
        {
            try
            {
                StartCommit(out bool begun, out bool busy);
                if (!begun && !busy) Kick();   // a commit someone else started covers the tail: the committer waits for it
            }
            catch (Exception)
            {
                Kick();   // the committer retries and handles the failure
            }
        }
        ReleaseDurable();
    }

    /// <summary>FasterLog's completion of commit <paramref name="seq"/> (a thread-pool task; usually after <see cref="OnFlushed"/>).</summary>
    private void OnCommitCallback(long seq)
    {
        if (FinishCommit(seq)) ReleaseDurable();
    }

    /// <summary>
    /// Commit <paramref name="seq"/> is on disk: frees its slot and moves <see cref="CommittedUntil"/>. Returns false if
    /// it was already finished (by the other of <see cref="OnFlushed"/> and <see cref="OnCommitCallback"/>).
    /// </summary>
    private bool FinishCommit(long seq)
    {
        long started;
        lock (_slots)
        {
            if (_inFlight == 0 || _flightSeq != seq) return false;
            _inFlight--;
            started = _flightStarted;
            if (_flightTarget > _durableUntil) Volatile.Write(ref _durableUntil, _flightTarget);
            Monitor.Pulse(_slots);
        }
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _commitMicros, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        LastCommitMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        LastCommitOk = true;
        return true;
    }

    private bool HasWaitersBeyond(long address)
    {
        lock (_waiters)
        {
            foreach ((long a, _) in _waiters)
                if (a > address) return true;
            return false;
        }
    }

    /// <summary>One group commit, waited for (SAVE-like callers, shutdown and tests). Any thread but the committer's.</summary>
    public async Task CommitOnceAsync(CancellationToken ct = default)
    {
        while (true)
        {
            long target = StartCommit(out _, out bool busy);
            if (busy)
            {
                // A commit is in flight and covers less than the tail: wait for it, then start ours.
                long inFlight;
                lock (_slots) inFlight = _flightTarget;
                await _log.WaitForCommitAsync(inFlight, ct).ConfigureAwait(false);
                continue;
            }
            await _log.WaitForCommitAsync(target, ct).ConfigureAwait(false);
            ReleaseDurable();
            return;
        }
    }

    /// <summary>
    /// Completes the waiters the log now covers. If some remain and no commit is in flight, kicks the committer (with
    /// one in flight, its completion starts the next). Any thread; short.
    /// </summary>
    private void ReleaseDurable()
    {
        long durable = CommittedUntil;
        lock (_waiters)
        {
            for (int k = _waiters.Count - 1; k >= 0; k--)
            {
                if (_waiters[k].Address > durable) continue;
                _waiters[k].Done.TrySetResult();
                _waiters.RemoveAt(k);
            }
            if (_waiters.Count > 0 && Volatile.Read(ref _inFlight) == 0) Kick();
        }
    }

    /// <summary>Stops the committer after a last commit of everything appended (a clean shutdown loses nothing).</summary>
    public void Dispose()
    {
        try { CommitOnceAsync().GetAwaiter().GetResult(); } catch (Exception) { LastCommitOk = false; }
        _log.Flushed -= OnFlushed;
        _stop.Cancel();
        _loop?.Join(TimeSpan.FromSeconds(5));
        lock (_waiters)
        {
            foreach ((_, TaskCompletionSource done) in _waiters) done.TrySetResult();
            _waiters.Clear();
        }
        _stop.Dispose();
        _kick.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        ArrayPool<byte>.Shared.Return(_cmd);
    }
}

// The journal: every acknowledged write becomes a record in the same log that holds the cold values.
//
// Why state records and not commands. Redis's AOF logs commands and must rewrite the non-deterministic ones (SPOP,
// EXPIRE with relative times, INCRBYFLOAT, XADD *, blocking pops...) before logging them. Here, after each command,
// every key it wrote is logged by its resulting state: a PUT of its whole value (kind in the flags byte, absolute
// expiry in the header) or a DEL when it is gone. Replay is then trivially deterministic and idempotent, and the PUT
// is at once the key's copy in the value log: the hot entry becomes clean (HotItem.Record = the PUT's address), so
// demoting it later costs no I/O. The price is a full value per write, which is what a string SET costs anyway and is
// more than a delta for a large collection (a delta record, OP, is the planned refinement).
//
//   command (under the store lock)        EndCommand (same lock hold)                     commit policy
//   SET k v / HSET h f v / DEL x   --->   PUT k v' | PUT h {..} | DEL x appended  --->   always: the reply waits
//   (Database marks each key it              (records of one command, or one EXEC,         for the commit covering it
//    changes: Journal.Touch)                  are appended together)                       everysec: commit each 1 s
//                                                                                          no: commit each 30 s
//   FLUSHDB/FLUSHALL/SWAPDB append FLUSH / SWAPDB records at once.
//
// Group commit: commits are started under the store lock (so a commit never splits a command's or a transaction's
// records) by one committer loop; everyone waiting for durability when a commit starts is released by that commit.
// With `always`, fifty clients writing at once share one device flush instead of fifty.
//
// Records of a key are appended in the order its writes happen (all under the store lock), and demotion never
// appends a value of a key the journal logs (with a journal every hot entry is clean after its command), so replay
// in log order rebuilds exactly the newest state.

using System.Buffers;
using System.Buffers.Binary;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Durability;

/// <summary>Logs the keys each command changed and commits the log by the appendfsync policy (see the file's header).</summary>
/// <remarks>
/// Shared state rule: <see cref="Touch"/>, <see cref="EndCommand"/>, <see cref="Flush"/>, <see cref="SwapDb"/> and
/// <see cref="AppendedUntil"/> are used under <see cref="Store.Lock"/>. <see cref="WhenDurable"/> may be called from
/// any thread; its waiters are guarded by their own monitor.
/// </remarks>
public sealed class Journal : IDisposable
{
    private readonly Store _store;
    private readonly ValueLog _log;
    private readonly DurabilityOptions _options;
    private readonly List<(Database Db, byte[] Key)> _touched = [];
    private readonly List<(long Address, TaskCompletionSource Done)> _waiters = [];
    private readonly SemaphoreSlim _kick = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private Task? _loop;

    internal Journal(Store store, ValueLog log, DurabilityOptions options)
    {
        _store = store;
        _log = log;
        _options = options;
    }

    /// <summary>The log address after the last record appended (under the lock).</summary>
    public long AppendedUntil { get; private set; }

    /// <summary>The log is durable up to here.</summary>
    public long CommittedUntil => _log.CommittedUntil;

    /// <summary>Writes that could not be logged (a value larger than a log page); they are lost on a crash.</summary>
    public long UnloggedWrites { get; private set; }

    /// <summary>Records appended since start.</summary>
    public long Records { get; private set; }

    /// <summary>Unix ms of the last completed commit (INFO rdb_last_save_time, LASTSAVE).</summary>
    public long LastCommitMs { get; private set; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Whether the last commit succeeded (INFO aof_last_write_status).</summary>
    public bool LastCommitOk { get; private set; } = true;

    public FsyncPolicy Policy => _options.Policy;

    /// <summary>Starts the committer loop.</summary>
    public void Start() => _loop ??= Task.Run(CommitLoopAsync);

    /// <summary>A command is changing <paramref name="key"/> of <paramref name="db"/> (under the lock).</summary>
    internal void Touch(Database db, byte[] key)
    {
        foreach ((Database d, byte[] k) in _touched)
            if (ReferenceEquals(k, key) && ReferenceEquals(d, db)) return;
        _touched.Add((db, key));
    }

    /// <summary>
    /// After a command (or a whole EXEC), under the lock: appends the resulting state of every key it touched.
    /// Returns true if anything was appended (the caller's reply must then wait for durability under <c>always</c>).
    /// </summary>
    public bool EndCommand()
    {
        if (_touched.Count == 0) return false;
        foreach ((Database db, byte[] key) in _touched) LogKey(db, key);
        _touched.Clear();
        return true;
    }

    private void LogKey(Database db, byte[] key)
    {
        KeyIndex index = db.Index;
        ulong hash = KeyIndex.Hash(key);
        int i = index.Find(key, hash);
        while (i >= 0 && index.IsCold(i)) i = index.FindAfter(i, key, hash);   // cold: another key with this hash
        if (i < 0)
        {
            Append(RecordType.Del, 0, db.Id, 0, key, default, out _);
            return;
        }
        ref HotItem h = ref index.HotOf(i);
        if (h.Record != 0) return;   // unchanged (a write command that changed nothing)
        ref Entry e = ref index.EntryAt(i);
        int n = StoredValue.Encode(e.Kind, h.Value!, ref _buffer, out int logical);
        if (LogRecord.Overhead + key.Length + n > _log.MaxRecordSize)
        {
            UnloggedWrites++;
            return;
        }
        h.Record = Append(RecordType.Put, (byte)e.Kind, db.Id, e.ExpireAt, key, _buffer.AsSpan(0, n), out int stored);
        e.Stored = stored;
        e.Logical = logical;
        _store.TierStats.KeepRecord(stored);
    }

    /// <summary>FLUSHDB (<paramref name="db"/>) or FLUSHALL (-1), under the lock.</summary>
    internal void Flush(int db) => Append(RecordType.Flush, 0, db < 0 ? ushort.MaxValue : db, 0, default, default, out _);

    /// <summary>SWAPDB a b, under the lock.</summary>
    internal void SwapDb(int a, int b)
    {
        Span<byte> other = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(other, (ushort)b);
        Append(RecordType.SwapDb, 0, a, 0, default, other, out _);
    }

    private long Append(RecordType type, byte flags, int db, long expireAt, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out int length)
    {
        long address = _log.Append(type, flags, db, expireAt, key, value, out length);
        AppendedUntil = address + length;
        Records++;
        _store.TierStats.SsdWriteItems++;
        _store.TierStats.SsdWriteBytes += length;
        return address;
    }

    /// <summary>
    /// Completes when the log is durable up to <paramref name="address"/> (appendfsync always: a reply waits on it).
    /// Any thread.
    /// </summary>
    public Task WhenDurable(long address)
    {
        if (_log.CommittedUntil >= address) return Task.CompletedTask;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters) _waiters.Add((address, done));
        Kick();
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

    private async Task CommitLoopAsync()
    {
        CancellationToken ct = _stop.Token;
        int interval = Policy switch { FsyncPolicy.Always => Timeout.Infinite, FsyncPolicy.No => 30_000, _ => 1000 };
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _kick.WaitAsync(interval, ct).ConfigureAwait(false);
                await CommitOnceAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { break; }
            catch (Exception)
            {
                LastCommitOk = false;
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One group commit: starts it under the store lock at a command boundary, waits, releases the waiters it covers.</summary>
    public async Task CommitOnceAsync(CancellationToken ct = default)
    {
        long target;
        lock (_store.Lock)
        {
            target = AppendedUntil;
            if (target > _log.CommittedUntil) _log.BeginCommit();
        }
        if (target > _log.CommittedUntil) await _log.WaitForCommitAsync(target, ct).ConfigureAwait(false);
        LastCommitMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        LastCommitOk = true;
        long durable = _log.CommittedUntil;
        lock (_waiters)
        {
            for (int k = _waiters.Count - 1; k >= 0; k--)
            {
                if (_waiters[k].Address > durable) continue;
                _waiters[k].Done.TrySetResult();
                _waiters.RemoveAt(k);
            }
            if (_waiters.Count > 0) Kick();   // appended after this commit started: the next one covers them
        }
    }

    /// <summary>Stops the committer after a last commit of everything appended (a clean shutdown loses nothing).</summary>
    public void Dispose()
    {
        try { CommitOnceAsync().GetAwaiter().GetResult(); } catch (Exception) { LastCommitOk = false; }
        _stop.Cancel();
        try { _loop?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        lock (_waiters)
        {
            foreach ((_, TaskCompletionSource done) in _waiters) done.TrySetResult();
            _waiters.Clear();
        }
        _stop.Dispose();
        _kick.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}

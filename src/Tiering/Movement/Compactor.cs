using Tiered.Tiering.Cold;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;

// Compaction: keeping the SSD log within a small multiple of its live data.
//
// Why it is needed. Records are never changed in place: overwriting, deleting or promoting-then-writing a cold key
// leaves its old record behind as garbage. Left alone, the log grows with every write.
//
// Why this shape (and not FasterKV's compaction). FasterKV's compaction looks each record up in its own index with
// random reads (measured 18-33 s for 1.7 GB here). Our index is in DRAM and every record carries its full key, so
// liveness is a DRAM lookup: a record is live iff some index entry points at its address (a cold entry's Location,
// or a clean hot entry's Record). Compaction scans the oldest segment sequentially, copies the live records to the
// tail, and truncates the head:
//
//   head                                                                 tail
//   | r1 r2(dead) r3 r4(dead) | ...  newer segments ...                  | r1' r3'
//   '------ one chunk -------'                                            copies
//
//   1. (log gate held, no store lock) scan the chunk; for each record take the store lock briefly to ask "live?";
//      append live ones (same key, value and the entry's current expiry) to the tail
//   2. commit the copies
//   3. (store lock) repoint every cold entry that still points at the old address (a clean hot entry took its copy
//      in step 1: nothing reads a hot entry's record before its commit); one changed meanwhile keeps its new state
//      (the copy is garbage); then (lock released) truncate the log before the chunk's end
//
// Nothing points below the new head after step 3: new pointers only ever go to the tail, and every entry that
// pointed into the chunk was live at its scan and is repointed or has moved on by itself.
//
// Chains of operation records (Base/OpRecord.cs). A hot collection written through OP records is its newest
// PUT plus the OPs after it; neither may be dropped while the chain lasts, and copying them would put the PUT after
// its own OPs. So a record in the chunk whose key is such a collection, with its chain starting in the chunk, folds
// the chain instead: the collection's current value is appended as one new PUT (under the lock, like a copy) and the
// chain's records become garbage. A value larger than one record is written as consecutive parts (LogRecord.cs); it
// is always hot, so a live one (its first part's address is its entry's record) is re-encoded from DRAM and
// appended whole, like a fold, and its old parts are garbage.
//
// Trigger: the log is larger than tier-compact-start (200%) of the bytes of live records and larger than
// CompactMinBytes. Passes run until it is not.
//
// Why a pass cleans only the oldest eighth of the log (at most a segment). Copying is the cost: every live record in
// the chunk is written again. The oldest records are the likeliest to have been overwritten since, so the oldest
// slice of the log holds the least live data; cleaning the whole log at once copies the log's average live share
// (2/3 at a 150% trigger, half at 200%) instead. Measured, 50 clients overwriting 100,000 keys of 1 KB for 20 s with appendfsync
// always (Tiered.LoadGen run --reads 0): passes of a whole segment (here the whole log) copied 215,544 records in 3
// passes for 200,015 client writes (108 %); passes of an eighth copied 82,929 in 13 passes for 236,157 (35 %).
// Truncation (one commit) runs after the store lock is released: nothing points into the chunk by then, and reads
// already on their way to it are waited for by ValueLog.TruncateUntil.


namespace Tiered.Tiering.Movement;

/// <summary>Copies live records forward and frees the log's head (see the file's header).</summary>
/// <remarks>
/// Shared state rule: passes run on the compactor's own task, one at a time, holding the store's log gate (shared with the demoter);
/// they touch the index only under the store lock.
/// </remarks>
public sealed class Compactor : IDisposable
{
    private readonly DramState _store;
    private readonly SemaphoreSlim _logGate;
    private readonly ColdTier? _cold;
    private readonly ValueLog _log;
    private readonly TierOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Moved> _moved = [];
    private byte[] _buffer = new byte[4096];
    private long _chunkEnd;   // the pass's chunk is [BeginAddress, _chunkEnd)
    private int _written;   // records this pass appended for entries it already repointed (folds, hot copies): they need its commit
    private Task? _loop;

    internal Compactor(DramState store, ValueLog log, TierOptions options, SemaphoreSlim logGate, ColdTier? cold)
    {
        _store = store;
        _log = log;
        _options = options;
        _logGate = logGate;
        _cold = cold;
    }

    /// <summary>Ranges of the log recovery found damaged and skips (a pass steps over them). Set by recovery, under the lock.</summary>
    internal List<(long From, long To)> Skips { get; set; } = [];

    /// <summary>Starts the background loop (checks the trigger every 200 ms).</summary>
    public void Start() => _loop ??= Task.Run(LoopAsync);

    /// <summary>True when the log has grown past its trigger.</summary>
    public bool Needed()
    {
        long size = _log.SizeBytes;
        long live;
        lock (_store.Lock) live = _store.TierStats.LiveRecordBytes;
        return size > _options.CompactMinBytes && size * 100 > live * _options.CompactStartPercent;
    }

    private async Task LoopAsync()
    {
        CancellationToken ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
                while (!ct.IsCancellationRequested && Needed() && await CompactOnceAsync(ct, PassBytes(_log.SizeBytes)).ConfigureAwait(false)) { }
            }
            catch (OperationCanceledException) { break; }
            catch (IOException)
            {
                if (_cold is { } cold) cold.SsdFull = true;   // the disk refused a write: stop demoting
            }
        }
    }

    /// <summary>Bytes a background pass cleans for a log of <paramref name="logBytes"/>: its oldest eighth, 4 MB to one segment.</summary>
    internal long PassBytes(long logBytes) => Math.Clamp(logBytes / 8, 4L << 20, 1L << _options.Log.SegmentSizeBits);

    /// <summary>One pass over the log's oldest <paramref name="maxBytes"/> (0: one segment). True when the head moved.</summary>
    public async Task<bool> CompactOnceAsync(CancellationToken ct = default, long maxBytes = 0)
    {
        await _logGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ValueLog log = _log;
            long from = log.BeginAddress;
            long chunk = maxBytes > 0 ? maxBytes : 1L << _options.Log.SegmentSizeBits;
            long to = Math.Min(from + chunk, log.CommittedUntil);
            lock (_store.Lock)
            {
                foreach ((long skipFrom, long skipTo) in Skips)
                {
                    if (from >= skipFrom && from < skipTo)
                    {
                        log.TruncateUntil(Math.Min(skipTo, log.CommittedUntil));   // a damaged range recovery skipped
                        return true;
                    }
                    if (skipFrom > from) to = Math.Min(to, skipFrom);
                }
            }
            if (to <= from) return false;
            // The scan reads the chunk with blocking device reads: on its own thread, not a pool thread that
            // client connections need (2 cores give the pool 2 threads to start with).
            _chunkEnd = to;
            ScanResult scan = await Task.Factory.StartNew(() => log.Scan(from, to, CopyIfLive), ct,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            long end = scan.EndAddress;
            if (_moved.Count > 0 || _written > 0) await _log.CommitAtBoundaryAsync(_store.Lock, ct).ConfigureAwait(false);
            lock (_store.Lock)
            {
                Repoint();
                if (end > from)
                {
                    _store.TierStats.Compactions++;
                    _store.TierStats.CompactedBytes += end - from;
                }
            }
            if (end <= from) return false;
            log.TruncateUntil(end);   // blocks for a commit: not under the store lock
            return true;
        }
        finally
        {
            _moved.Clear();
            _written = 0;
            _logGate.Release();
        }
    }

    private bool CopyIfLive(long address, int length, LogRecord.RecordView record)
    {
        if (record.Type is not (RecordType.Put or RecordType.Op)) return true;   // DEL/FLUSH/SWAPDB: nothing older is left
        ulong hash = KeyIndex.Hash(record.Key);
        // Only collections are written through OP records; a string's record (most of a cache's log) never starts a
        // chain, so it skips the chain lookup (measured: 14% of the server's CPU under SET -P 16 when every record
        // asked every database).
        bool mayChain = (ValueKind)(record.Flags & LogRecord.KindMask) is not (ValueKind.String or ValueKind.None);
        // The liveness check and the copy's append happen under one lock hold: a journal record of this key written
        // after the check is appended after the copy, so replaying the log in order never ends on the older value.
        lock (_store.Lock)
        {
            if (mayChain && FoldChain(hash, record.Key, record.Db)) return true;
            if (record.Type != RecordType.Put || !Find(hash, address, record.Db, out IKeyspace? db, out int i)) return true;
            if ((record.Flags & LogRecord.FlagMore) != 0)
            {
                // The first part of a value split over records: always hot (never demoted), so DRAM has it whole.
                System.Diagnostics.Debug.Assert(!db!.Index.IsCold(i));
                _store.TierStats.DropRecord(db!.Index.StoredOf(i));
                Snapshot(db, i, record.Key);
                _store.TierStats.CompactedRecords++;
                return true;
            }
            ref Entry e = ref db!.Index.EntryAt(i);
            byte flags = (byte)((record.Flags & LogRecord.KindMask) | LogRecord.FlagInternal | LogRecord.FlagEnd);
            long copy = _log.Append(RecordType.Put, flags, db.Id, db.Index.ExpireAt(i), record.Key, record.Value, out int stored);
            _store.TierStats.SsdWriteItems++;
            _store.TierStats.SsdWriteBytes += stored;
            if (e.Location < 0)
            {
                // A clean hot entry takes its copy at once: nothing reads a hot entry's record before the commit (the
                // demoter waits for a record's commit before making it cold), and the old one stays until truncation.
                db.Index.HotOf(i).Record = copy;
                db.Index.SetStored(i, stored);
                _store.TierStats.CompactedRecords++;
                _written++;
            }
            else _moved.Add(new Moved(db, i, hash, address, copy, stored));
        }
        return true;
    }

    /// <summary>
    /// Under the lock: if <paramref name="key"/> is a hot collection whose chain of operation records starts inside the
    /// chunk being cleaned, writes its current value as a new PUT at the tail (so truncating the chunk loses nothing of
    /// it) and makes that PUT its clean copy. The chain's older records are then garbage like any overwritten record.
    /// </summary>
    private bool FoldChain(ulong hash, ReadOnlySpan<byte> key, int recordDb)
    {
        IKeyspace[] dbs = _store.Keyspaces;
        for (int probe = 0; probe < dbs.Length; probe++)
        {
            IKeyspace d = dbs[Probe(probe, recordDb, dbs.Length)];
            KeyIndex index = d.Index;
            int i = index.Find(key, hash);
            while (i >= 0 && index.IsCold(i)) i = index.FindAfter(i, key, hash);
            if (i < 0) continue;
            ref HotItem h = ref index.HotOf(i);
            if (h.Value is not ValueObject { LogBase: > 0 } obj || obj.LogBase >= _chunkEnd) continue;
            _store.EndChain(obj);
            Snapshot(d, i, key);
            _store.TierStats.FoldedChains++;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Under the lock: appends hot entry <paramref name="i"/>'s current value as one PUT (in parts if it is larger than
    /// a record) and makes it the entry's clean copy. The caller has released the entry's old record or chain.
    /// </summary>
    private void Snapshot(IKeyspace d, int i, ReadOnlySpan<byte> key)
    {
        ref HotItem h = ref d.Index.HotOf(i);
        ref Entry e = ref d.Index.EntryAt(i);
        int n = StoredValue.Encode(e.Kind, h.Value!, ref _buffer, out int logical);
        byte flags = (byte)((byte)e.Kind | LogRecord.FlagInternal | LogRecord.FlagEnd);
        long address = _log.AppendPut(flags, d.Id, d.Index.ExpireAt(i), key, _buffer.AsSpan(0, n), out int stored);
        _store.TierStats.SsdWriteItems++;
        _store.TierStats.SsdWriteBytes += stored;
        h.Record = address;
        d.Index.SetRecordSize(i, stored, logical);
        _store.TierStats.KeepRecord(stored);
        _written++;
    }

    /// <summary>
    /// Under the lock, after the copies' commit: cold entries that still point at a moved record's old address point
    /// at its copy (a promotion meanwhile made one hot: its clean copy moves too). The entry is checked in its slot:
    /// slots do not move, a database keeps its keys through SWAPDB, and a slot reused by another key fails the check.
    /// </summary>
    private void Repoint()
    {
        foreach (Moved m in _moved)
        {
            KeyIndex index = m.Db.Index;
            if (!index.PointsAt(m.Slot, m.Hash, m.From)) continue;
            ref Entry e = ref index.EntryAt(m.Slot);
            if (e.Location > 0) e.Location = m.To;
            else index.HotOf(m.Slot).Record = m.To;
            index.SetStored(m.Slot, m.Stored);
            _store.TierStats.CompactedRecords++;
        }
    }

    /// <summary>
    /// The entry whose record is at <paramref name="address"/>, in any database (a record's db number may be stale
    /// after SWAPDB; addresses are unique). Under the lock.
    /// </summary>
    private bool Find(ulong hash, long address, int recordDb, out IKeyspace? db, out int index)
    {
        IKeyspace[] dbs = _store.Keyspaces;
        for (int n = 0; n < dbs.Length; n++)
        {
            IKeyspace d = dbs[Probe(n, recordDb, dbs.Length)];
            int i = d.Index.FindByRecord(hash, address);
            if (i >= 0)
            {
                db = d;
                index = i;
                return true;
            }
        }
        db = null;
        index = -1;
        return false;
    }

    /// <summary>
    /// The n-th database to search for a record written in <paramref name="recordDb"/>: that one first (where the key
    /// almost always still is), then the others in order (a SWAPDB since may have moved it).
    /// </summary>
    private static int Probe(int n, int recordDb, int count)
    {
        if ((uint)recordDb >= (uint)count) return n;
        return n == 0 ? recordDb : n <= recordDb ? n - 1 : n;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }

    private readonly record struct Moved(IKeyspace Db, int Slot, ulong Hash, long From, long To, int Stored);
}

// Demotion: keeping hot bytes within maxmemory by moving the coldest values to the SSD log.
//
// Why in the background, between watermarks. A write that finds DRAM full must not wait for an SSD write. The
// demoter starts when hot bytes pass tier-demote-start (95% of maxmemory) and brings them down to tier-demote-target
// (90%), so there is normally room for writes; only when clients write faster than the SSD takes data and hot
// bytes pass maxmemory + tier-hard-limit do writes wait for a round (back-pressure: the budget is a promise).
//
// One round:
//
//   lock   pick victims with the eviction pool (lowest LFU, or LRU for the *-lru policies)
//          clean victim (its record in the log is its value) -> cold at once, no I/O
//          dirty victim -> copied; Record = -1 (in flight)
//   unlock serialize (ValueFormat) + LZ4 (ValueCodec) + append a PUT record (without a journal)
//   lock   a collection with a chain of journal operation records: append its PUT now, if Record is still -1
//   unlock await the log commit (durable and readable)
//   lock   each in-flight victim still holding the same key with Record == -1 -> cold at the new address;
//          one written meanwhile (Record reset to 0 by the write) stays hot: its new record is garbage for compaction
//
// So no write is lost to a race: the only state change made after the unlocked wait is conditional on the entry
// being exactly as it was serialized.

using Tiered.Compression;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;

namespace Tiered.Tiering.Movement;

/// <summary>Moves hot values to the SSD log when hot bytes exceed their budget (see the file's header).</summary>
/// <remarks>
/// Shared state rule: rounds run on the demoter's own thread, one at a time; they touch the index only under
/// the store lock. <see cref="Kick"/> and <see cref="WhenRoundDone"/> may be called from any thread.
/// Why a thread of its own and not a task: a kick comes with most promotions, and waking a task through
/// SemaphoreSlim.WaitAsync with a timeout allocated a timer, a task node and a cancellation registration each time;
/// a thread parked on an event allocates nothing per wake-up (benchmarks/cold-get-allocations.sh measures the server's
/// bytes per cold hit).
/// </remarks>
public sealed class Demoter : IDisposable
{
    private const int VictimsPerPick = 32;

    private readonly DramState _store;
    private readonly ColdTier _tier;
    private readonly Evictor _evictor;
    private readonly SemaphoreSlim _logGate;   // shared with the compactor: one of them appends and commits at a time
    private readonly AutoResetEvent _wake = new(false);
    // 1 while a wake-up is pending: Kick sets the event only on 0 -> 1; the loop clears it when it wakes.
    private int _kicked;
    // 1 once WhenRoundDone handed out _round's task: only then does the loop complete and replace it after a round.
    private int _roundWatched;
    private readonly CancellationTokenSource _stop = new();
    private readonly VictimRef[] _victims = new VictimRef[VictimsPerPick];
    private readonly List<Demotion> _batch = [];
    private int _chained;
    private TaskCompletionSource _round = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _loop;

    /// <summary>Tests only: runs outside the lock between two holds of a round's picking (writers race there).</summary>
    internal Action? BetweenPickHolds;

    internal Demoter(DramState store, ColdTier tier, Evictor evictor, SemaphoreSlim logGate)
    {
        _store = store;
        _tier = tier;
        _evictor = evictor;
        _logGate = logGate;
    }

    /// <summary>The journal, once recovery started it (null without durability); set under the lock.</summary>
    internal Journal? Journal { get; set; }

    /// <summary>Starts the background loop.</summary>
    public void Start()
    {
        if (_loop != null) return;
        _loop = new Thread(Loop) { IsBackground = true, Name = "tiered-demoter" };
        _loop.Start();
    }

    /// <summary>Calls of <see cref="Kick"/> since start (tests: who asks for rounds, and how often).</summary>
    internal long Kicks => Volatile.Read(ref _kicks);

    private long _kicks;

    /// <summary>Asks for a round soon (cheap; any thread).</summary>
    public void Kick()
    {
        Interlocked.Increment(ref _kicks);
        if (Volatile.Read(ref _kicked) == 0 && Interlocked.Exchange(ref _kicked, 1) == 0)
        {
            try { _wake.Set(); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Completes when the next demotion round ends (writers over the hard limit wait on it).</summary>
    public Task WhenRoundDone()
    {
        Task t = Volatile.Read(ref _round).Task;
        Volatile.Write(ref _roundWatched, 1);   // after the read: a round that ends from here on completes t
        Kick();
        return t;
    }

    /// <summary>True when hot bytes are over the level at which demotion starts (and the SSD has room).</summary>
    internal bool Needed(int percent)
    {
        long max = _store.Memory.MaxMemory;
        return max > 0 && !_tier.SsdFull && _store.UsedMemory > max / 100 * percent;
    }

    private void Loop()
    {
        CancellationToken ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                _wake.WaitOne(100);
                Volatile.Write(ref _kicked, 0);
                while (!ct.IsCancellationRequested && RoundAsync(ct).GetAwaiter().GetResult()) { }
            }
            catch (OperationCanceledException) { break; }
            catch (IOException)
            {
                _tier.SsdFull = true;   // the disk refused a write: stop demoting; maxmemory-policy takes over
            }
            catch (Exception e) when (ct.IsCancellationRequested || e is ObjectDisposedException)
            {
                break;   // stopping: the store is being disposed under the round
            }
            finally
            {
                if (Interlocked.Exchange(ref _roundWatched, 0) == 1)
                    Interlocked.Exchange(ref _round, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
    }

    /// <summary>One round; true when it made progress and hot bytes are still above the target.</summary>
    internal async Task<bool> RoundAsync(CancellationToken ct = default)
    {
        await _logGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            long toFree;
            lock (_store.Lock)
            {
                _store.Clock.Refresh();
                if (!Needed(_tier.Options.DemoteTargetPercent)) return false;
                long max = _store.Memory.MaxMemory;
                // At least a batch's worth per round (or an eighth of the budget): a commit costs about the same for
                // 100 KB as for 4 MB, so small rounds would make demotion slower than the writers it must keep up with.
                toFree = Math.Max(_store.UsedMemory - max / 100 * _tier.Options.DemoteTargetPercent,
                    Math.Min(_tier.Options.DemoteBatchBytes, max / 8));
            }
            var pick = new PickState(toFree);
            bool more = true;
            while (more)
            {
                lock (_store.Lock) more = Pick(ref pick);
                if (more) BetweenPickHolds?.Invoke();
            }
            int demotedNow = pick.DemotedNow;
            if (_batch.Count > 0)
            {
                AppendBatch();
                if (_chained > 0)
                    lock (_store.Lock) AppendChained();
                await _tier.Log.CommitAtBoundaryAsync(_store.Lock, ct).ConfigureAwait(false);
                InstallAll();
            }
            return demotedNow + _batch.Count > 0;
        }
        finally
        {
            foreach (Demotion f in _batch)
                if (f.Encoded is { } b) ArrayPool<byte>.Shared.Return(b);
            _batch.Clear();
            _chained = 0;
            // No array of the index is referenced outside the lock now (the batch is cleared, the gate held): the
            // arrays this round's demotions freed may be handed out again (Hot/ArrayRecycler.cs).
            lock (_store.Lock)
            {
                _tier.Recycler.Capacity = _tier.RecyclerCapacity();
                _tier.Recycler.Release(_store.Clock.Seconds);
            }
            _logGate.Release();
        }
    }

    /// <summary>How far one round's picking got: it runs in several short holds of the store lock.</summary>
    private struct PickState(long toFree)
    {
        public readonly long ToFree = toFree;
        public long Freed;
        public int Selections;
        public int DemotedNow;
    }

    /// <summary>
    /// Victim selections per hold of the store lock. A round frees at least a batch (4 MB: about 3,700 values of 1 KB);
    /// picked in one hold that kept every command waiting 6.4 ms (median; 17 ms at most) in a Zipf run with 100 MB of
    /// DRAM, which was most of the tiered p99. Four selections of 32 victims hold it for a fraction of a millisecond.
    /// </summary>
    private const int SelectionsPerHold = 4;

    /// <summary>Most victim selections in one round.</summary>
    private const int SelectionsPerRound = 256;

    /// <summary>
    /// Under the lock: picks victims for at most <see cref="SelectionsPerHold"/> selections; true when the round should
    /// pick more (not enough freed yet, the batch not full, victims left). Clean victims go cold at once; dirty ones are
    /// marked in flight (Record = -1) and queued for <see cref="AppendBatch"/>. Between holds writers run: a victim
    /// written meanwhile has Record 0 again and is not installed (see <see cref="Install"/>). Objects are serialized
    /// here, under the lock (a writer could change them while they are walked); strings are encoded outside it.
    /// </summary>
    private bool Pick(ref PickState st)
    {
        EvictionPolicy policy = DemotionPolicy(_evictor.Policy);
        long freed = st.Freed;
        int now = 0;
        bool exhausted = false;
        for (int hold = 0; hold < SelectionsPerHold && freed < st.ToFree && st.Selections < SelectionsPerRound; hold++, st.Selections++)
        {
            int n = _evictor.SelectVictims(policy, _victims);
            if (n == 0)
            {
                exhausted = true;
                break;
            }
            for (int k = 0; k < n; k++)
            {
                VictimRef v = _victims[k];
                if (!v.IsCurrent) continue;
                IKeyspace db = v.Keyspace;
                ref HotItem h = ref db.Index.HotOf(v.Slot);
                if (h.Record < 0) continue;   // already in this batch
                ref Entry e = ref db.Index.EntryAt(v.Slot);
                if (h.Record > 0 && !FitsOneRecord(db.Index.StoredOf(v.Slot))) continue;
                freed += MemoryOf.HotEntry(h.Key!.Length) + MemoryOf.Value(h.Value);
                if (h.Record > 0)
                {
                    if (h.Record >= _tier.Log.CommittedUntil)
                    {
                        // Journaled but not yet committed (readable only after the commit): goes cold after this
                        // round's commit, if it is still that record's value then.
                        _batch.Add(new Demotion(db, v.Slot, h.Key!, e.Kind, h.Value!, db.Index.ExpireAt(v.Slot), db.Id)
                            { Address = h.Record, Stored = db.Index.StoredOf(v.Slot), Logical = db.Index.LogicalOf(v.Slot), Journaled = true });
                        continue;
                    }
                    db.Demote(v.Slot, h.Record, db.Index.StoredOf(v.Slot), db.Index.LogicalOf(v.Slot));
                    _store.TierStats.Demotions++;
                    now++;
                    continue;
                }
                if (Journal != null)
                {
                    // Dirty despite the journal: a collection written through operation records (a snapshot is
                    // written for it, under the lock: see AppendChained), or a value too large for a record (stays hot).
                    if (h.Value is not ValueObject { LogBase: > 0 } chained) continue;
                    h.Record = -1;
                    _batch.Add(new Demotion(db, v.Slot, h.Key!, e.Kind, chained.DeepCopy(), db.Index.ExpireAt(v.Slot), db.Id) { Chained = true });
                    continue;
                }
                // Objects are copied here, under the lock (a writer could change them while they are walked); strings
                // are encoded outside it.
                object value = e.Kind == ValueKind.String ? h.Value! : ((ValueObject)h.Value!).DeepCopy();
                h.Record = -1;
                _batch.Add(new Demotion(db, v.Slot, h.Key!, e.Kind, value, db.Index.ExpireAt(v.Slot), db.Id));
            }
        }
        Array.Clear(_victims);
        st.Freed = freed;
        st.DemotedNow += now;
        return !exhausted && freed < st.ToFree && st.Selections < SelectionsPerRound;
    }

    /// <summary>
    /// Outside the store lock (the log gate held): encodes and appends the batch's records. A string may be changed
    /// in place meanwhile by a writer; such an entry's Record is no longer -1, so its (possibly torn) record is never
    /// installed.
    /// </summary>
    private void AppendBatch()
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            for (int k = 0; k < _batch.Count; k++)
            {
                Demotion f = _batch[k];
                if (f.Journaled) continue;
                if (f.Chained)
                {
                    // Encoded here, appended under the lock by AppendChained.
                    byte[] own = ArrayPool<byte>.Shared.Rent(4096);
                    int length = StoredValue.Encode(f.Kind, f.Value, ref own, out int chainedLogical);
                    _batch[k] = f with { Encoded = own, EncodedLength = length, Logical = chainedLogical };
                    _chained++;
                    continue;
                }
                int n = StoredValue.Encode(f.Kind, f.Value, ref buffer, out int logical);
                if (n > MaxValue(f.Key.Length)) continue;   // larger than a log page: stays hot (see TierOptions)
                long address = _tier.Log.Append(RecordType.Put, (byte)f.Kind, f.DbId, f.ExpireAt, f.Key, buffer.AsSpan(0, n), out int stored);
                _batch[k] = f with { Address = address, Stored = stored, Logical = logical };
                Interlocked.Increment(ref _store.TierStats.SsdWriteItems);
                Interlocked.Add(ref _store.TierStats.SsdWriteBytes, stored);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Under the lock: appends the snapshots of the chained collections in the batch whose entries are still as they
    /// were copied. Under the lock, because the journal appends a collection's operation records under it too: the
    /// snapshot then stands in the log after every operation it contains and before every later one, so replay in
    /// log order applies each operation exactly once on the right state. One changed since it was copied is skipped
    /// (it stays hot, its chain intact).
    /// </summary>
    private void AppendChained()
    {
        for (int k = 0; k < _batch.Count; k++)
        {
            Demotion f = _batch[k];
            if (!f.Chained || f.Encoded is null || f.EncodedLength > MaxValue(f.Key.Length)) continue;
            if (!EvictionPool.IsSameHotKey(f.Db.Index, f.Slot, f.Key) || f.Db.Index.HotOf(f.Slot).Record != -1) continue;
            byte flags = (byte)((byte)f.Kind | LogRecord.FlagInternal | LogRecord.FlagEnd);
            long address = _tier.Log.Append(RecordType.Put, flags, f.Db.Id, f.ExpireAt, f.Key,
                f.Encoded.AsSpan(0, f.EncodedLength), out int stored);
            _batch[k] = f with { Address = address, Stored = stored };
            _store.TierStats.SsdWriteItems++;
            _store.TierStats.SsdWriteBytes += stored;
        }
    }

    /// <summary>
    /// Whether a clean value whose record is <paramref name="stored"/> bytes may go cold: not when it was logged in parts
    /// (larger than one record, LogRecord.cs), because a cold read is one device read of one record. It stays hot.
    /// </summary>
    private bool FitsOneRecord(int stored) => stored <= _tier.Log.MaxRecordSize;

    /// <summary>Largest encoded value a record with a key of <paramref name="keyLength"/> bytes may carry (one log page).</summary>
    private int MaxValue(int keyLength) => _tier.Log.MaxRecordSize - LogRecord.Overhead - keyLength;

    /// <summary>Batch entries installed per hold of the store lock.</summary>
    private const int InstallsPerHold = 256;

    /// <summary>
    /// After the commit, in holds of the store lock of <see cref="InstallsPerHold"/> entries: entries still exactly as
    /// serialized go cold; the others stay hot. Newest first: a victim written between two holds of the picking and
    /// picked again is in the batch twice, and only its later copy may go cold (the earlier one then finds it cold, or
    /// written again, and skips it).
    /// </summary>
    private void InstallAll()
    {
        for (int end = _batch.Count; end > 0; end -= InstallsPerHold)
            lock (_store.Lock) Install(Math.Max(0, end - InstallsPerHold), end);
    }

    /// <summary>Under the lock: <see cref="InstallAll"/> for batch entries [<paramref name="from"/>, <paramref name="to"/>), newest first.</summary>
    private void Install(int from, int to)
    {
        for (int k = to - 1; k >= from; k--)
        {
            Demotion f = _batch[k];
            if (!EvictionPool.IsSameHotKey(f.Db.Index, f.Slot, f.Key)) continue;
            ref HotItem h = ref f.Db.Index.HotOf(f.Slot);
            if (h.Record != (f.Journaled ? f.Address : -1)) continue;   // written since it was picked: stays hot
            if (f.Address == 0)
            {
                h.Record = 0;   // too large to demote: stays hot
                continue;
            }
            f.Db.Demote(f.Slot, f.Address, f.Stored, f.Logical);
            _store.TierStats.Demotions++;
        }
    }

    /// <summary>
    /// Frees DRAM at once (under the lock) by making clean hot victims cold, which needs no I/O. Used when a write
    /// finds hot bytes over the hard limit. Returns the bytes freed.
    /// </summary>
    internal long DemoteCleanNow(long wanted)
    {
        long freed = 0;
        EvictionPolicy policy = DemotionPolicy(_evictor.Policy);
        for (int rounds = 0; freed < wanted && rounds < 8; rounds++)
        {
            int n = _evictor.SelectVictims(policy, _victims);
            if (n == 0) break;
            for (int k = 0; k < n; k++)
            {
                VictimRef v = _victims[k];
                if (!v.IsCurrent) continue;
                ref HotItem h = ref v.Keyspace.Index.HotOf(v.Slot);
                if (h.Record <= 0 || h.Record >= _tier.Log.CommittedUntil) continue;   // dirty, or not yet readable
                if (!FitsOneRecord(v.Keyspace.Index.StoredOf(v.Slot))) continue;
                freed += MemoryOf.HotEntry(h.Key!.Length) + MemoryOf.Value(h.Value);
                v.Keyspace.Demote(v.Slot, h.Record, v.Keyspace.Index.StoredOf(v.Slot), v.Keyspace.Index.LogicalOf(v.Slot));
                _store.TierStats.Demotions++;
            }
        }
        Array.Clear(_victims);
        return freed;
    }

    /// <summary>
    /// Which keys demotion picks: by LRU under the *-lru policies, else by LFU. Demotion considers every key (a
    /// volatile-* policy limits what may be deleted, not what may move to SSD).
    /// </summary>
    private static EvictionPolicy DemotionPolicy(EvictionPolicy configured)
        => configured is EvictionPolicy.AllKeysLru or EvictionPolicy.VolatileLru ? EvictionPolicy.AllKeysLru : EvictionPolicy.AllKeysLfu;

    public void Dispose()
    {
        _stop.Cancel();
        _wake.Set();
        _loop?.Join(TimeSpan.FromSeconds(5));
        Volatile.Read(ref _round).TrySetResult();   // a writer waiting for a round is not left waiting
        _stop.Dispose();
        _wake.Dispose();
    }

    /// <summary>A dirty victim on its way to the log: what was picked under the lock, then where its record went.</summary>
    private readonly record struct Demotion(IKeyspace Db, int Slot, byte[] Key, ValueKind Kind, object Value, long ExpireAt, int DbId)
    {
        public long Address { get; init; }
        public int Stored { get; init; }
        public int Logical { get; init; }

        /// <summary>The journal wrote its record already; the round only waits for the commit.</summary>
        public bool Journaled { get; init; }

        /// <summary>A collection with a chain of operation records: its snapshot is appended under the lock.</summary>
        public bool Chained { get; init; }

        /// <summary>A chained snapshot's encoded value (pooled) and its length.</summary>
        public byte[]? Encoded { get; init; }

        public int EncodedLength { get; init; }
    }
}

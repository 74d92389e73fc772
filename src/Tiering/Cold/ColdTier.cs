// The SSD tier as the rest of the engine sees it: cold reads, the admission decision, and the background movers.
//
// How a cold key is read without blocking the network thread. Every operation finds its key through
// Database.Lookup, which only ever hands out hot entries: a cold entry with the key's hash is turned hot by Load,
// from its log record. Where that record comes from decides the cost:
//
//   1. the server, before running a command, asks Prefetch for every key the command names (under the lock):
//      each cold candidate of the key's hash whose record is not yet in the connection's ColdReadSet gets an
//      async device read (native AIO, LinuxAio.cs: the reads a network round starts go in one io_submit). If any
//      read started, the server also starts the reads of the cold keys of the commands pipelined after it (into the
//      same set), releases the lock, awaits them all, and runs the command again from the same bytes;
//   2. on that second run Load finds the record in the set (BeginCommand handed it over): no I/O under the lock.
//      A record used is dropped at the command's end; one read ahead waits for its command, and what is left when
//      the connection has run everything it received is dropped then (ColdReadSet.ForgetAll);
//   3. a key the command did not declare (SCAN, KEYS, a key computed by the command) is read synchronously, under
//      the lock (counted in tier_sync_reads): correct, only slower.
//
// The key of a cold entry is not in DRAM, so Load compares the record's key with the key looked up: a different
// key with the same 48-bit index hash stays cold and the lookup walks on.
//
// Admission (TinyLFU-style). A key read from the log is served, then at the end of the command either stays hot
// (admitted) or goes back to cold at no cost (its record is still its clean copy). It stays hot if DRAM has room,
// if the command wrote it (DRAM is then its only copy), or if its LFU counter beats the coldest sampled hot key's:
// one pass over every key (a backup job, SCAN + GET) reads each key once, which does not raise its counter above
// the hot set's, so the hot set survives it.
//
// A cold GET that would not be admitted is not promoted at all. GET and MGET only read a string and reply at once,
// so they ask TryServeString first: with the record in the set and admission saying no up front (the same rule,
// on the LFU counter this access gives the entry), the value is decompressed into a scratch buffer, copied into the
// reply, and the entry stays as it was. The whole read then allocates nothing: the record came into a pooled,
// pinned RecordRead, the wait for it is the set's reusable IValueTaskSource, and no key or value object is made.
//
//     GET k ──> Prefetch ──> io_submit ─ ─ ─> reaper: set done ──> connection posted to its epoll thread
//                                                                     │
//     re-run: record in set ── admit? ─ no ──> decode into scratch ──> reply        (entry stays cold)
//                                 └──── yes ─> Load: promote ───────> reply        (entry now hot)
//
// One authoritative place. A key's index entry says where its value is: in DRAM (hot) or in one log record
// (cold). Records are immutable; a write makes the hot entry dirty (HotItem.Record = 0); demotion and compaction
// install their result under the lock only if the entry still is what they read (see Demoter and Compactor), so a
// write racing them is never lost. A re-run after an async read sees the newest state.

using System.Threading.Tasks.Sources;
using Tiered.Compression;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;

namespace Tiered.Tiering.Cold;

/// <summary>
/// The SSD tier of a store: its value log, cold reads, admission, demotion and compaction.
/// </summary>
/// <remarks>
/// Shared state rule: everything but <see cref="ColdReadSet"/> completions is used under the store lock.
/// The log belongs to the store (Engine/Store.cs); the demoter and compactor take turns on it (the store's log gate)
/// for their rounds. Log reads run from any thread.
/// </remarks>
public sealed class ColdTier
{
    private readonly DramState _store;
    private readonly EvictionPool _sampler = new();   // samples hot keys for the admission bar
    /// <summary>The largest string served cold without promotion (<see cref="TryServeString"/>): its scratch buffer is kept.</summary>
    private const int MaxServedBytes = 1 << 20;

    private readonly List<Promoted> _promoted = [];
    private readonly List<long> _admitted = [];   // records TryServeString admitted in this command
    private ColdReadSet? _prefetched;
    private byte[] _scratch = [];   // the value TryServeString hands out, until its next call
    private byte[] _loadScratch = [];   // a string being promoted by Load, on its way into its own array
    private bool _ssdFull;

    internal ColdTier(DramState store, ValueLog log, TierOptions options)
    {
        _store = store;
        Log = log;
        Options = options;
        Recycler = new ArrayRecycler(RecyclerCapacity());
    }

    /// <summary>
    /// What the recycler may hold: what one demotion round frees at least (a batch, at most an eighth of maxmemory),
    /// the arrays the promotions until the next round need (CONFIG SET maxmemory changes it at the next release).
    /// </summary>
    internal long RecyclerCapacity() => Math.Min(Options.DemoteBatchBytes, Math.Max(0, _store.Memory.MaxMemory) / 8);

    /// <summary>The store's log (cold values and the journal's records).</summary>
    internal ValueLog Log { get; }

    /// <summary>Cold reads sent through native AIO, and the io_submit calls that carried them (INFO tier_ssd_aio_*).</summary>
    public (long Reads, long SubmitCalls) AsyncReadStats => Log.AsyncReadStats;

    internal TierOptions Options { get; }

    /// <summary>Asks the demoter for a round soon (set by the store: the demoter is above the cold tier).</summary>
    internal Action WakeDemoter { get; set; } = static () => { };

    /// <summary>The arrays demotions free, for the promotions that follow (under the lock).</summary>
    internal ArrayRecycler Recycler { get; }

    /// <summary>Bytes of the arrays held for reuse (tier_recycled_bytes; a 64-bit read, any thread).</summary>
    public long RecycledBytes => Recycler.Bytes;

    /// <summary>Bytes of the log on SSD (tier_ssd_log_bytes).</summary>
    public long LogBytes => Log.SizeBytes;

    /// <summary>True when the log reached ssd-max-size or the disk refused a write: demotion stops.</summary>
    public bool SsdFull
    {
        get => _ssdFull || Options.SsdMaxSize > 0 && Log.SizeBytes >= Options.SsdMaxSize;
        internal set => _ssdFull = value;
    }

    // ---- cold reads ----

    /// <summary>
    /// Starts async reads of the records a lookup of <paramref name="key"/> in <paramref name="db"/> may need (its
    /// hash's cold candidates) that <paramref name="set"/> does not hold yet. Call with the lock held, before running
    /// a command. Returns true if a read was started: release the lock, await <see cref="ColdReadSet.WhenDone"/>,
    /// and run the command again.
    /// </summary>
    internal bool Prefetch(IKeyspace db, ReadOnlySpan<byte> key, ColdReadSet set)
    {
        KeyIndex index = db.Index;
        if (index.ColdCount == 0) return false;
        Span<int> candidates = stackalloc int[4];
        int n = index.ColdCandidates(KeyIndex.Hash(key), candidates);
        if (n > candidates.Length) return false;   // a pathological chain: leave it to the synchronous path
        bool started = false;
        for (int k = 0; k < n; k++)
        {
            ref Entry e = ref index.EntryAt(candidates[k]);
            if (set.Holds(e.Location, out bool inFlight))
            {
                started |= inFlight;   // read ahead for this command and not back yet: wait for it rather than read again
                continue;
            }
            set.Start(this, e.Location, index.StoredOf(candidates[k]));
            started = true;
        }
        return started;
    }

    /// <summary>Hands the records of <paramref name="set"/> to the command about to run (under the lock).</summary>
    public void BeginCommand(ColdReadSet? set) => _prefetched = set;

    /// <summary>
    /// After each command (under the lock): decides for each key read from the log during the command whether it
    /// stays hot, and forgets the prefetched records.
    /// </summary>
    public void EndCommand()
    {
        if (_promoted.Count > 0) DecideAdmissions();
        else _admitted.Clear();
        if (_prefetched is { } set)
        {
            set.Clear();
            _prefetched = null;
        }
    }

    /// <summary>
    /// Makes cold entry <paramref name="i"/> hot if its record holds <paramref name="key"/>; false (entry unchanged)
    /// when the record is another key's with the same hash.
    /// </summary>
    internal bool Load(IKeyspace db, int i, ReadOnlySpan<byte> key)
    {
        ref Entry e = ref db.Index.EntryAt(i);
        long address = e.Location;
        LogRecord.RecordView view = Parse(RecordOf(address, db.Index.StoredOf(i)), address);
        if (!view.Key.SequenceEqual(key)) return false;
        object value;
        if (e.Kind == ValueKind.String)
        {
            // Into an array a demotion freed, when one of this length is free: a promotion then allocates nothing.
            ReadOnlySpan<byte> s = StoredValue.DecodeString(view.Value, ref _loadScratch, address);
            byte[] copy = Recycler.Rent(s.Length, _store.Clock.Seconds, ref _store.TierStats.RecycledArrays);
            s.CopyTo(copy);
            value = copy;
        }
        else value = StoredValue.Decode(view.Value, e.Kind, address);
        byte[] keyCopy = Recycler.Rent(view.Key.Length, _store.Clock.Seconds, ref _store.TierStats.RecycledArrays);
        view.Key.CopyTo(keyCopy);
        db.Promote(i, keyCopy, value);
        _promoted.Add(new Promoted(db, i, db.Index.HotOf(i).Key!, address));
        return true;
    }

    /// <summary>
    /// A read-only command's way to cold string entry <paramref name="i"/> (GET, MGET): when the entry's record is
    /// among the records read for this command, holds <paramref name="key"/>, has not expired, and admission would
    /// not keep the key in DRAM with the LFU counter <paramref name="lfu"/> (the entry's, touched for this access),
    /// the value is decoded into a scratch buffer and handed out without promoting the key: nothing is allocated, and
    /// the entry stays cold with its record. <paramref name="value"/> is valid until the next call.
    /// </summary>
    internal ColdServe TryServeString(IKeyspace db, int i, ReadOnlySpan<byte> key, byte lfu, out ReadOnlySpan<byte> value)
    {
        value = default;
        KeyIndex index = db.Index;
        ref Entry e = ref index.EntryAt(i);
        if (e.Kind != ValueKind.String || index.LogicalOf(i) > MaxServedBytes
            || _prefetched is not { } set || !set.TryTake(e.Location, out ReadOnlySpan<byte> record))
            return ColdServe.NotServed;
        LogRecord.RecordView view = Parse(record, e.Location);
        if (!view.Key.SequenceEqual(key)) return ColdServe.OtherKey;
        long exp = index.ExpireAt(i);
        int coldestHotLfu = -1;
        if (exp != 0 && exp <= _store.Clock.NowMs) return ColdServe.NotServed;
        if (Admits(db, lfu, ref coldestHotLfu))
        {
            _admitted.Add(e.Location);   // decided: the load that follows promotes it for good (the sample is not redrawn)
            return ColdServe.NotServed;
        }
        value = StoredValue.DecodeString(view.Value, ref _scratch, e.Location);
        _store.TierStats.RejectedPromotions++;
        return ColdServe.Served;
    }

    /// <summary>
    /// The key and value of cold entry <paramref name="i"/>, read from its record and decoded (synchronously; the entry
    /// stays cold and nothing is counted as an access): DEBUG DIGEST and DEBUG OBJECT look at values without moving them.
    /// With <paramref name="readAhead"/>, the record is taken from that set when a read started there has brought it
    /// (an RDB snapshot reads a window of cold entries at once: RdbFileWriter.cs).
    /// </summary>
    internal object ReadValue(IKeyspace db, int i, out byte[] key, ColdReadSet? readAhead = null)
    {
        ref Entry e = ref db.Index.EntryAt(i);
        ReadOnlySpan<byte> record = readAhead != null && readAhead.TryTake(e.Location, out ReadOnlySpan<byte> r) ? r
            : RecordOf(e.Location, db.Index.StoredOf(i));
        LogRecord.RecordView view = Parse(record, e.Location);
        key = view.Key.ToArray();
        return e.Kind == ValueKind.String ? StoredValue.DecodeString(view.Value, ref _loadScratch, e.Location).ToArray()
            : StoredValue.Decode(view.Value, e.Kind, e.Location);
    }

    /// <summary>
    /// Whether cold entry <paramref name="i"/>'s record holds <paramref name="key"/> (not another key with the same hash):
    /// the record is taken from those read for this command or read now; the entry stays cold (MEMORY USAGE).
    /// </summary>
    internal bool HoldsKey(IKeyspace db, int i, ReadOnlySpan<byte> key)
    {
        ref Entry e = ref db.Index.EntryAt(i);
        return Parse(RecordOf(e.Location, db.Index.StoredOf(i)), e.Location).Key.SequenceEqual(key);
    }

    /// <summary>The key of cold entry <paramref name="i"/>, read from its record (synchronously; the entry stays cold).</summary>
    internal byte[] ReadKey(IKeyspace db, int i)
    {
        ref Entry e = ref db.Index.EntryAt(i);
        return Parse(RecordOf(e.Location, db.Index.StoredOf(i)), e.Location).Key.ToArray();
    }

    /// <summary>The record at <paramref name="address"/>: from the records read for this command, or read now (synchronously).</summary>
    private ReadOnlySpan<byte> RecordOf(long address, int length)
        => _prefetched is { } set && set.TryTake(address, out ReadOnlySpan<byte> record) ? record : ReadSync(address, length);

    private byte[] ReadSync(long address, int length)
    {
        byte[] record = Log.Read(address, length);
        _store.TierStats.SyncReads++;
        CountRead(record.Length);
        return record;
    }

    internal void CountRead(int bytes)
    {
        Interlocked.Increment(ref _store.TierStats.SsdReadItems);
        Interlocked.Add(ref _store.TierStats.SsdReadBytes, bytes);
    }

    private static LogRecord.RecordView Parse(ReadOnlySpan<byte> record, long address)
    {
        if (!LogRecord.TryRead(record, out LogRecord.RecordView view) || view.Type != RecordType.Put)
            throw new ColdReadException(address, ColdReadFailure.Corrupt, $"the log record at address {address} is damaged");
        return view;
    }

    // ---- admission ----

    private void DecideAdmissions()
    {
        int coldestHotLfu = -1;
        foreach (Promoted p in _promoted)
        {
            KeyIndex index = p.Db.Index;
            if (!EvictionPool.IsSameHotKey(index, p.Slot, p.Key)) continue;   // deleted or renamed meanwhile
            ref Entry e = ref index.EntryAt(p.Slot);
            // Written: DRAM holds its only copy.
            if (index.HotOf(p.Slot).Record != p.Address || _admitted.Contains(p.Address) || Admits(p.Db, e.Lfu, ref coldestHotLfu))
            {
                _store.TierStats.Promotions++;
                continue;
            }
            p.Db.Demote(p.Slot, p.Address, index.StoredOf(p.Slot), index.LogicalOf(p.Slot));
            _store.TierStats.RejectedPromotions++;
        }
        _promoted.Clear();
        _admitted.Clear();
    }

    /// <summary>
    /// Whether a clean key just read from the log, with LFU counter <paramref name="lfu"/>, stays in DRAM: there is
    /// room, or it beats the coldest sampled hot key of <paramref name="db"/> (sampled once per
    /// <paramref name="coldestHotLfu"/>, -1 until then; the demoter is kicked when DRAM is over the start level).
    /// </summary>
    private bool Admits(IKeyspace db, byte lfu, ref int coldestHotLfu)
    {
        long max = _store.Memory.MaxMemory;
        if (!Options.Admission || max <= 0) return true;
        // "Room" is DRAM below where a demotion round leaves it (target minus one round's minimum), not below where
        // rounds start: the demoter keeps hot bytes under the start level, so a key admitted "because there is room"
        // there always pushes another one out, and a scan would get past the filter entirely.
        long room = max / 100 * Options.DemoteTargetPercent - Math.Min(Options.DemoteBatchBytes, max / 8);
        if (_store.UsedMemory <= room) return true;
        if (coldestHotLfu < 0) coldestHotLfu = ColdestHotLfu(db);
        if (lfu <= coldestHotLfu) return false;
        // Kicked only once the key pushes DRAM past the level where rounds start: every admission woke the demoter
        // before (1,200 wake-ups a second in a uniform cold-GET run, each taking the store lock to find nothing to
        // do, and preempting the network thread on a busy machine).
        if (_store.UsedMemory > max / 100 * Options.DemoteStartPercent) WakeDemoter();
        return true;
    }

    /// <summary>
    /// The bar of <see cref="Admits"/>: the coldest LFU counter among sampled hot keys of <paramref name="db"/>, sampled
    /// at most once per millisecond of the store's clock. Sampling on every cold GET cost 3.5 % of the server's samples
    /// in a uniform cold-GET run (EvictionPool.Sample and ColdestLfu: random probes of the entry array, a cache miss
    /// each); the coldest hot key's counter moves far slower than that.
    /// </summary>
    private int ColdestHotLfu(IKeyspace db)
    {
        long now = _store.Clock.NowMs;
        if (!ReferenceEquals(db, _coldestDb) || now != _coldestAt)
        {
            _coldestLfu = _sampler.ColdestLfu(db, new ScoreContext(EvictionPolicy.AllKeysLfu, _store.Clock, _store.Memory.LfuDecayTime), _store.Memory.MaxMemorySamples);
            _coldestDb = db;
            _coldestAt = now;
        }
        return _coldestLfu;
    }

    private IKeyspace? _coldestDb;   // the database, clock millisecond and result of the last admission sample
    private long _coldestAt;
    private int _coldestLfu;

    private readonly record struct Promoted(IKeyspace Db, int Slot, byte[] Key, long Address);
}

/// <summary>What <see cref="ColdTier.TryServeString"/> did.</summary>
internal enum ColdServe : byte
{
    /// <summary>Not served from the record: the lookup loads (promotes) the key as usual.</summary>
    NotServed,
    /// <summary>The record holds another key with the same hash: the lookup walks on.</summary>
    OtherKey,
    /// <summary>Served from the record; the key stays cold.</summary>
    Served,
}

/// <summary>The records one connection's command needs, read asynchronously before the command runs again.</summary>
/// <remarks>
/// Nothing here allocates once warm: the reads are <see cref="RecordRead"/>s kept in a pool of this set's own, and
/// <see cref="WhenDone"/> is a reusable wait (this object as its <see cref="IValueTaskSource"/>). It is armed (reset)
/// by WhenDone, not by a read's start: reads started after a wait was handed out (read-aheads) may find it already
/// completed, and a reset then would change the version under the waiter's token. A wait handed out is consumed
/// before its connection asks for the next one, so arming in WhenDone never resets under a waiter.
/// Shared state rule: <see cref="Start"/>, <see cref="Holds"/>, <see cref="TryTake"/>, <see cref="Clear"/> and
/// <see cref="ForgetAll"/> run under the store lock; read completions (any thread) change the list under this
/// object's own monitor. A record handed out by <see cref="TryTake"/> stays valid until <see cref="Clear"/>.
/// </remarks>
public sealed class ColdReadSet : IRecordReadOwner, IValueTaskSource
{
    private enum State : byte { InFlight, Read, Failed }

    // Each record read, and whether a command has used it: a used one is dropped when that command ends; an unused one
    // (read ahead for a later command of the pipeline, or a hash-sharing key's) stays until ForgetAll.
    private struct Held
    {
        public RecordRead Read;
        public State State;
        public bool Used;
    }

    private readonly List<Held> _records = [];
    private readonly Stack<RecordRead> _free = new();
    private ManualResetValueTaskSourceCore<bool> _done;
    private bool _armed;   // a wait handed out by WhenDone is not completed yet
    private int _inFlight;
    private ColdTier? _tier;

    /// <param name="inlineCompletions">
    /// False (the default): <see cref="WhenDone"/>'s continuations run on the thread pool. True: they run synchronously
    /// on the thread that finished the last read, for a waiter that only hands the work on from there (the server
    /// posts the connection back to its network thread) and never runs a command or waits on that thread.
    /// </param>
    public ColdReadSet(bool inlineCompletions = false)
    {
        _done.RunContinuationsAsynchronously = !inlineCompletions;
    }

    /// <summary>True when a read of <paramref name="address"/> is done or under way (<paramref name="inFlight"/>: under way).</summary>
    internal bool Holds(long address, out bool inFlight)
    {
        lock (this)
        {
            int k = IndexOf(address);
            inFlight = k >= 0 && _records[k].State == State.InFlight;
            return k >= 0;
        }
    }

    /// <summary>The record read from <paramref name="address"/> (valid until <see cref="Clear"/>); false when not read, or the read failed.</summary>
    internal bool TryTake(long address, out ReadOnlySpan<byte> record)
    {
        lock (this)
        {
            int k = IndexOf(address);
            if (k >= 0 && _records[k].State == State.Read)
            {
                Held h = _records[k];
                h.Used = true;
                _records[k] = h;
                record = h.Read.Record;
                return true;
            }
        }
        record = default;
        return false;
    }

    internal void Start(ColdTier tier, long address, int length)
    {
        RecordRead read;
        lock (this)
        {
            _tier = tier;
            read = _free.Count > 0 ? _free.Pop() : new RecordRead(this);
            read.Begin(address, length);   // its address is what Holds and TryTake match, from now on
            _records.Add(new Held { Read = read, State = State.InFlight });
            _inFlight++;
        }
        tier.Log.StartRead(read, address, length);
    }

    void IRecordReadOwner.OnRecordRead(RecordRead read)
    {
        // A failed read (compaction moved the record and freed its segment, or the device failed): the re-run finds
        // the entry's new address and reads again, or reads synchronously and reports the error to the client.
        if (read.Error is null) _tier!.CountRead(read.Length);
        bool last;
        lock (this)
        {
            for (int k = 0; k < _records.Count; k++)
                if (ReferenceEquals(_records[k].Read, read))
                {
                    Held h = _records[k];
                    h.State = read.Error is null ? State.Read : State.Failed;
                    _records[k] = h;
                    break;
                }
            last = --_inFlight == 0 && _armed;
            if (last) _armed = false;
        }
        if (last) _done.SetResult(true);
    }

    /// <summary>Completes when every read started so far has finished (where its continuations run: see the constructor).</summary>
    public ValueTask WhenDone()
    {
        lock (this)
        {
            if (_inFlight == 0) return ValueTask.CompletedTask;
            if (!_armed)
            {
                _done.Reset();
                _armed = true;
            }
            return new ValueTask(this, _done.Version);
        }
    }

    /// <summary>Records held (read, or being read).</summary>
    public int Count
    {
        get { lock (this) return _records.Count; }
    }

    /// <summary>Forgets the records the command that just ran used (under the store lock, after it).</summary>
    internal void Clear() => Drop(usedOnly: true);

    /// <summary>
    /// Forgets every record read, used or not (the server calls it when a connection has run all it received, so
    /// records read ahead for commands that never came do not stay). Reads still in flight finish into the next round.
    /// </summary>
    public void ForgetAll() => Drop(usedOnly: false);

    private void Drop(bool usedOnly)
    {
        lock (this)
        {
            int kept = 0;
            for (int k = 0; k < _records.Count; k++)
            {
                Held h = _records[k];
                if (h.State != State.InFlight && (h.Used || !usedOnly)) _free.Push(h.Read);
                else _records[kept++] = h;
            }
            _records.RemoveRange(kept, _records.Count - kept);
        }
    }

    private int IndexOf(long address)
    {
        for (int k = 0; k < _records.Count; k++)
            if (_records[k].Read.Address == address) return k;
        return -1;
    }

    void IValueTaskSource.GetResult(short token) => _done.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _done.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _done.OnCompleted(continuation, state, token, flags);
}

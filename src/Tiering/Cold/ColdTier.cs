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
// key with the same 64-bit hash stays cold and the lookup walks on.
//
// Admission (TinyLFU-style). A key read from the log is served, then at the end of the command either stays hot
// (admitted) or goes back to cold at no cost (its record is still its clean copy). It stays hot if DRAM has room,
// if the command wrote it (DRAM is then its only copy), or if its LFU counter beats the coldest sampled hot key's:
// one pass over every key (a backup job, SCAN + GET) reads each key once, which does not raise its counter above
// the hot set's, so the hot set survives it.
//
// One authoritative place. A key's index entry says where its value is: in DRAM (hot) or in one log record
// (cold). Records are immutable; a write makes the hot entry dirty (HotItem.Record = 0); demotion and compaction
// install their result under the lock only if the entry still is what they read (see Demoter and Compactor), so a
// write racing them is never lost. A re-run after an async read sees the newest state.

using System.Buffers;
using Tiered.Compression;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Movement;
using Tiered.Tiering.Values;

namespace Tiered.Tiering.Cold;

/// <summary>
/// The SSD tier of a <see cref="Store"/>: its value log, cold reads, admission, demotion and compaction.
/// </summary>
/// <remarks>
/// Shared state rule: everything but <see cref="ColdReadSet"/> completions is used under <see cref="Store.Lock"/>.
/// The log belongs to the store (<see cref="Store.Log"/>); the demoter and compactor take <see cref="Store.LogGate"/>
/// for their rounds. Log reads run from any thread.
/// </remarks>
public sealed class ColdTier : IDisposable
{
    private readonly Store _store;
    private readonly List<Promoted> _promoted = [];
    private ColdReadSet? _prefetched;
    private bool _ssdFull;

    internal ColdTier(Store store, ValueLog log)
    {
        _store = store;
        Log = log;
        Options = store.Options.Tier;
        Demoter = new Demoter(store, this);
    }

    /// <summary>The store's log (cold values and the journal's records).</summary>
    internal ValueLog Log { get; }

    /// <summary>Cold reads sent through native AIO, and the io_submit calls that carried them (INFO tier_ssd_aio_*).</summary>
    public (long Reads, long SubmitCalls) AsyncReadStats => Log.AsyncReadStats;

    internal TierOptions Options { get; }

    /// <summary>Moves hot values to the log when DRAM is over budget.</summary>
    public Demoter Demoter { get; }

    /// <summary>Bytes of the log on SSD (tier_ssd_log_bytes).</summary>
    public long LogBytes => Log.SizeBytes;

    /// <summary>True when the log reached ssd-max-size or the disk refused a write: demotion stops.</summary>
    public bool SsdFull
    {
        get => _ssdFull || Options.SsdMaxSize > 0 && Log.SizeBytes >= Options.SsdMaxSize;
        internal set => _ssdFull = value;
    }

    /// <summary>Starts the background demoter.</summary>
    public void Start() => Demoter.Start();

    // ---- cold reads ----

    /// <summary>
    /// Starts async reads of the records a lookup of <paramref name="key"/> in <paramref name="db"/> may need (its
    /// hash's cold candidates) that <paramref name="set"/> does not hold yet. Call with the lock held, before running
    /// a command. Returns true if a read was started: release the lock, await <see cref="ColdReadSet.WhenDone"/>,
    /// and run the command again.
    /// </summary>
    public bool Prefetch(Database db, ReadOnlySpan<byte> key, ColdReadSet set)
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
            set.Start(this, e.Location, e.Stored);
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
    internal bool Load(Database db, int i, ReadOnlySpan<byte> key)
    {
        ref Entry e = ref db.Index.EntryAt(i);
        long address = e.Location;
        byte[] record = _prefetched?.Take(address) ?? ReadSync(address, e.Stored);
        LogRecord.RecordView view = Parse(record, address);
        if (!view.Key.SequenceEqual(key)) return false;
        object value = StoredValue.Decode(view.Value, e.Kind, address);
        db.Promote(i, view.Key.ToArray(), value);
        _promoted.Add(new Promoted(db, i, db.Index.HotOf(i).Key!, address));
        return true;
    }

    /// <summary>The key of cold entry <paramref name="i"/>, read from its record (synchronously; the entry stays cold).</summary>
    internal byte[] ReadKey(Database db, int i)
    {
        ref Entry e = ref db.Index.EntryAt(i);
        byte[] record = _prefetched?.Take(e.Location) ?? ReadSync(e.Location, e.Stored);
        return Parse(record, e.Location).Key.ToArray();
    }

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

    private static LogRecord.RecordView Parse(byte[] record, long address)
    {
        if (!LogRecord.TryRead(record, out LogRecord.RecordView view) || view.Type != RecordType.Put)
            throw new ColdReadException(address, ColdReadFailure.Corrupt, $"the log record at address {address} is damaged");
        return view;
    }

    // ---- admission ----

    private void DecideAdmissions()
    {
        long max = _store.Options.MaxMemory;
        // "Room" is DRAM below where a demotion round leaves it (target minus one round's minimum), not below where
        // rounds start: the demoter keeps hot bytes under the start level, so a key admitted "because there is room"
        // there always pushes another one out, and a scan would get past the filter entirely.
        long room = max / 100 * Options.DemoteTargetPercent - Math.Min(Options.DemoteBatchBytes, max / 8);
        int coldestHotLfu = -1;
        foreach (Promoted p in _promoted)
        {
            KeyIndex index = p.Db.Index;
            if (!EvictionPool.IsSameHotKey(index, p.Slot, p.Key)) continue;   // deleted or renamed meanwhile
            if (index.HotOf(p.Slot).Record != p.Address
                || !Options.Admission || max <= 0
                || _store.UsedMemory <= room)
            {
                _store.TierStats.Promotions++;   // written (DRAM holds its only copy), or there is room
                continue;
            }
            if (coldestHotLfu < 0) coldestHotLfu = _store.Evictor.ColdestHotLfu(p.Db);
            ref Entry e = ref index.EntryAt(p.Slot);
            if (e.Lfu > coldestHotLfu)
            {
                _store.TierStats.Promotions++;
                Demoter.Kick();
                continue;
            }
            p.Db.Demote(p.Slot, p.Address, e.Stored, e.Logical);
            _store.TierStats.RejectedPromotions++;
        }
        _promoted.Clear();
    }

    public void Dispose() => Demoter.Dispose();

    private readonly record struct Promoted(Database Db, int Slot, byte[] Key, long Address);
}

/// <summary>The records one connection's command needs, read asynchronously before the command runs again.</summary>
/// <remarks>
/// Shared state rule: <see cref="Start"/>, <see cref="Holds"/>, <see cref="Take"/> and <see cref="Clear"/> run under the
/// store lock; read completions (any thread) add under this object's own monitor.
/// </remarks>
public sealed class ColdReadSet
{
    // Each record read, and whether a command has used it: a used one is dropped when that command ends; an unused one
    // (read ahead for a later command of the pipeline, or a hash-sharing key's) stays until ForgetAll.
    private readonly List<(long Address, byte[]? Record, bool Used)> _records = [];
    private readonly TaskCreationOptions _completion;
    private int _inFlight;
    private TaskCompletionSource? _done;

    /// <param name="inlineCompletions">
    /// False (the default): <see cref="WhenDone"/>'s continuations run on the thread pool. True: they run synchronously
    /// on the device I/O thread that finished the last read, for a waiter that only hands the work on from there (the
    /// server posts the connection back to its network thread) and never runs a command or waits on that thread.
    /// </param>
    public ColdReadSet(bool inlineCompletions = false)
        => _completion = inlineCompletions ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously;

    /// <summary>True when a read of <paramref name="address"/> is done or under way (<paramref name="inFlight"/>: under way).</summary>
    internal bool Holds(long address, out bool inFlight)
    {
        inFlight = false;
        lock (this)
            foreach ((long a, byte[]? r, _) in _records)
                if (a == address)
                {
                    // A failed read also has no record; it is not in flight once _inFlight is 0.
                    inFlight = r is null && _inFlight > 0;
                    return true;
                }
        return false;
    }

    /// <summary>The record read from <paramref name="address"/>, or null (not read, or the read failed).</summary>
    internal byte[]? Take(long address)
    {
        lock (this)
            for (int k = 0; k < _records.Count; k++)
                if (_records[k].Address == address)
                {
                    byte[]? r = _records[k].Record;
                    if (r is not null) _records[k] = (address, r, true);
                    return r;
                }
        return null;
    }

    internal void Start(ColdTier tier, long address, int length)
    {
        lock (this)
        {
            _records.Add((address, null, false));
            if (_inFlight++ == 0) _done = new TaskCompletionSource(_completion);
        }
        _ = ReadAsync(tier, address, length);
    }

    private async Task ReadAsync(ColdTier tier, long address, int length)
    {
        byte[]? record = null;
        try
        {
            record = await tier.Log.ReadAsync(address, length, inlineContinuation: true).ConfigureAwait(false);
            tier.CountRead(record.Length);
        }
        catch (Exception)
        {
            // Compaction moved the record and freed its segment, or the device failed: the re-run finds the entry's
            // new address and reads again, or reads synchronously and reports the error to the client.
        }
        TaskCompletionSource? done = null;
        lock (this)
        {
            for (int k = 0; k < _records.Count; k++)
                if (_records[k].Address == address && _records[k].Record is null) { _records[k] = (address, record, false); break; }
            if (--_inFlight == 0) done = _done;
        }
        done?.TrySetResult();
    }

    /// <summary>Completes when every read started so far has finished (where its continuations run: see the constructor).</summary>
    public Task WhenDone()
    {
        lock (this) return _inFlight == 0 ? Task.CompletedTask : _done!.Task;
    }

    /// <summary>Records held (read, or being read).</summary>
    public int Count
    {
        get { lock (this) return _records.Count; }
    }

    /// <summary>Forgets the records the command that just ran used (under the store lock, after it).</summary>
    internal void Clear()
    {
        lock (this) _records.RemoveAll(static r => r.Used);
    }

    /// <summary>
    /// Forgets every record read, used or not (the server calls it when a connection has run all it received, so
    /// records read ahead for commands that never came do not stay). Reads still in flight finish into the next round.
    /// </summary>
    public void ForgetAll()
    {
        lock (this)
        {
            if (_inFlight == 0) _records.Clear();
            else _records.RemoveAll(static r => r.Record is not null);
        }
    }
}

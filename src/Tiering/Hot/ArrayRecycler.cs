// Recycled arrays: promotions that allocate nothing.
//
// Why. With DRAM full, every key read from the SSD and admitted to DRAM pushes another one out: the demoter drops a
// key's array and its value's array, and the promotion allocates two new ones of the same kind. Those arrays lived
// long enough to reach the GC's oldest generation, so the churn is a steady stream of gen2 garbage: in a uniform
// cold-GET run (1,000,000 keys of 1 KB, 64 MB of DRAM) 8 % of cold GETs were promotions, and the server paused 83 ms
// in 14 s for 9 gen0 and 2 gen2 collections that an all-DRAM run of the same load did not have: the tail of the
// tiered p99. benchmarks/cold-get-allocations.sh measured 100 B allocated per cold GET, 94 of them promotions' arrays;
// with this recycler, 0.01 B (and no GC collection during a uniform run). The arrays a demotion frees are exactly what the next promotions need, so they
// are handed from one to the other instead of to the GC.
//
// Exact lengths. A key's or string's length is its array's length throughout the engine, so only an array of the
// same length can be reused. Keys built by one scheme (user:00012345) and fixed-size values (sessions, counters,
// records of one schema) reuse almost every array; values of scattered lengths fall back to the GC as before.
//
//   demotion (Database.Demote, under the lock)        demoter round ends (lock and LogGate held, its batch cleared)
//        key[], value[] --Retire--> retired --------Release--------> free: length -> stack of arrays
//                                                                                  16  -> [k][k][k]...
//                                                                                1024  -> [v][v][v]...
//   promotion (ColdTier.Load, under the lock)  <-----------Rent(length)--------------'  (none: new byte[length])
//
// Why a retired list and not straight to the free stacks. The demoter's round holds its victims' key and value arrays
// outside the store lock (it encodes them into the log and waits for the commit without the lock). No path demotes
// an entry whose demotion is in flight today (its Record is -1: only the round itself installs it), so immediate reuse
// would be safe now; but a reused array that such a reference still reads would put another key's bytes in a record,
// silently. So arrays wait in the retired list until the round is over: it holds the log gate (no other round or
// compaction pass runs), takes the lock (no command runs) and has cleared its batch, and only then hands them out.
// Lists of key references inside one command (KEYS, SCAN, the journal's touched keys, the command's promotions) end
// within one hold of the lock, before any release. The eviction pool keeps key arrays beyond that, only to check that
// a slot still holds the key it sampled: a reused array in the same slot then passes that check, and the slot is
// re-scored before it is chosen, so the worst case is one sample of a key that was not the one drawn.
//
// Bounds. Retired and free arrays together are at most Capacity bytes (what one demotion round frees at least: a
// batch, at most an eighth of maxmemory); an array retired beyond it goes to the GC, which would hold the same
// garbage until its next collection of the oldest generation. They are DRAM the process holds beyond the hot
// keys' budget, reported as tier_recycled_bytes, like an allocator's free lists beside Redis's used_memory. A length
// no promotion asked for in the last StaleSeconds is dropped at the next release, so the free stacks follow the
// lengths in use. (By time, not by rounds: rounds come in bursts, several before the next promotion.)

namespace Tiered.Tiering.Hot;

/// <summary>Hands the key and value arrays demotions free to the promotions that follow (see the file's header).</summary>
/// <remarks>
/// Shared state rule: every member is used only with <see cref="DramState.Lock"/> held. <see cref="Release"/> also needs
/// the store's log gate and no array of this store referenced outside the lock: the demoter calls it at the end
/// of its round, after clearing its batch.
/// </remarks>
internal sealed class ArrayRecycler
{
    /// <summary>Longest array recycled: larger values are rare enough that the GC's large object heap serves them.</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>A length not rented for this long is dropped at the next release.</summary>
    public const uint StaleSeconds = 10;

    /// <summary>Most distinct lengths kept at once.</summary>
    private const int MaxLengths = 256;

    private sealed class FreeStack
    {
        public byte[][] Items = new byte[8][];
        public int Count;
        public uint LastWanted;   // clock seconds of the last Rent of this length (or of its creation)
    }

    private readonly Dictionary<int, FreeStack> _free = [];
    private byte[][] _retired = new byte[64][];
    private int _retiredCount;
    private readonly List<int> _stale = [];

    /// <param name="capacity">Most bytes of retired and free arrays together; 0 turns recycling off.</param>
    public ArrayRecycler(long capacity) => Capacity = capacity;

    /// <summary>Most bytes of retired and free arrays together; lowering it takes effect at the next release.</summary>
    public long Capacity { get; set; }

    /// <summary>Bytes of the arrays waiting in the retired list and the free stacks (INFO tier_recycled_bytes).</summary>
    public long Bytes { get; private set; }

    /// <summary>
    /// An array of exactly <paramref name="length"/> bytes, recycled when one is free (then <paramref name="reused"/>
    /// is incremented: the caller's statistics counter); its contents are stale.
    /// </summary>
    public byte[] Rent(int length, uint nowSeconds, ref long reused)
    {
        if (_free.TryGetValue(length, out FreeStack? s))
        {
            s.LastWanted = nowSeconds;
            if (s.Count > 0)
            {
                byte[] a = s.Items[--s.Count];
                s.Items[s.Count] = null!;
                Bytes -= length;
                reused++;
                return a;
            }
        }
        return length == 0 ? [] : new byte[length];
    }

    /// <summary>
    /// Takes an array DRAM no longer references through the index (a demoted key's or string's). It is handed out
    /// again only after the next <see cref="Release"/>.
    /// </summary>
    public void Retire(byte[] array)
    {
        int n = array.Length;
        if (n == 0 || n > MaxLength || Bytes + n > Capacity) return;
        if (_retiredCount == _retired.Length) Array.Resize(ref _retired, _retired.Length * 2);
        _retired[_retiredCount++] = array;
        Bytes += n;
    }

    /// <summary>
    /// Makes the retired arrays available to <see cref="Rent"/>, and drops the lengths no one rented in the last
    /// <see cref="StaleSeconds"/> (see the remarks for when this may run).
    /// </summary>
    public void Release(uint nowSeconds)
    {
        foreach ((int length, FreeStack s) in _free)
            if (nowSeconds - s.LastWanted > StaleSeconds) _stale.Add(length);
        foreach (int length in _stale)
        {
            FreeStack s = _free[length];
            Bytes -= (long)s.Count * length;
            _free.Remove(length);
        }
        _stale.Clear();
        for (int k = 0; k < _retiredCount; k++)
        {
            byte[] a = _retired[k];
            _retired[k] = null!;
            if (Bytes > Capacity)
            {
                Bytes -= a.Length;   // the capacity was lowered: this one goes to the GC
                continue;
            }
            if (!_free.TryGetValue(a.Length, out FreeStack? s))
            {
                if (_free.Count >= MaxLengths)
                {
                    Bytes -= a.Length;
                    continue;
                }
                s = new FreeStack { LastWanted = nowSeconds };
                _free.Add(a.Length, s);
            }
            if (s.Count == s.Items.Length) Array.Resize(ref s.Items, s.Items.Length * 2);
            s.Items[s.Count++] = a;
        }
        _retiredCount = 0;
    }
}

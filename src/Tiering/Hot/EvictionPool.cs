namespace Tiered.Tiering.Hot;

/// <summary>
/// Redis's approximated eviction: sample a few random keys, score them by the policy, keep the best candidates seen
/// so far in a small sorted pool, and evict from the top of the pool.
///
/// Why not exact LRU/LFU: an exact LRU needs every key on a linked list that every read re-links (two references,
/// 16 bytes a key, plus scattered writes and GC write barriers on the hottest path of the server); an exact LFU needs
/// a heap or frequency buckets reorganised on every access. Redis instead keeps 24 bits of access data per key (here
/// <see cref="Entry.AccessSec"/>, <see cref="Entry.Lfu"/> and <see cref="Entry.LfuStamp"/>, inside the 48-byte slot the
/// lookup touches anyway), so a read costs nothing extra, and pays only when memory must be freed.
///
/// Why sampling works: the victim of one round is the best of <c>maxmemory-samples</c> random keys. With N samples the
/// chance that the victim is among the worst fraction q of all keys is 1 - (1 - q)^N: for N = 5 it lands in the worst
/// 20% two times out of three and in the worst 50% 97% of the time. That alone is mediocre. The pool makes it good:
/// candidates survive between rounds, so the victim is the best of every key seen over the last several rounds
/// (16 kept + N new per database per round), not of N alone. Redis measured this (the "LRU simulation" graphs of
/// antirez's 3.0 work): with the pool, 5 samples come close to true LRU and 10 are almost indistinguishable from it.
/// A key read often gets a low score and is pushed out of the pool by colder ones before it reaches the top.
///
/// Cost per evicted key: N random slot reads per database, an insertion into a 16-element sorted array (a few
/// shifts), and one re-score of the chosen key. No allocation: the pool is fixed arrays, samples go to a stack span.
///
/// Imperfections, and what is done about them: a score is computed when a key is sampled and may be stale when the
/// key reaches the top (it may have been read since); Redis evicts it anyway, this pool re-scores the best entry
/// before handing it out and re-inserts it if it is no longer the best. Pooled keys may have been deleted or replaced:
/// each pool slot keeps the key array it saw, and a slot whose entry no longer holds that same array is skipped.
/// Random probes into an index with many free slots (after mass deletion) or with few TTL keys (volatile-*) may miss:
/// probes are bounded, and when all miss a linear walk from a random slot finds the next candidates.
///
///   pool (sorted by score, ascending; higher score = better victim)
///
///    index:   0      1      2     ...     13     14     15
///          [  3  ][  7  ][  7  ] ... [ 248 ][ 250 ][ 250 ]
///             ^                                        ^
///             dropped when a better candidate arrives  popped by the next eviction
///             and the pool is full
///
///   each slot:  score (u64) | database | entry slot | key array (identity check)
///
///   scores:  *-lfu  255 - decayed LFU counter      *-lru  seconds since last access
///            volatile-ttl  ulong.MaxValue - expiry (nearest expiry scores highest)
///
/// The random policies do not use the pool (the victim is simply a random key, as in Redis).
///
/// Shared state rule: used only with the store lock held.
/// </summary>
internal sealed class EvictionPool
{
    /// <summary>Pool capacity (Redis's EVPOOL_SIZE).</summary>
    public const int Size = 16;

    /// <summary>Random probes per wanted sample before falling back to a linear walk.</summary>
    private const int ProbesPerSample = 8;

    /// <summary>Largest sample count honoured (the maxmemory-samples setting allows up to 64).</summary>
    public const int MaxSamples = 64;

    private struct PoolSlot
    {
        public ulong Score;
        public IKeyspace? Db;
        public int Slot;
        public byte[]? Key;
    }

    private readonly PoolSlot[] _slots = new PoolSlot[Size];
    private int _count;
    private ulong _rng;

    public EvictionPool(ulong seed = 0x9E3779B97F4A7C15UL) => _rng = seed | 1;

    /// <summary>Candidates currently held.</summary>
    public int Count => _count;

    /// <summary>Forgets every candidate (scores of another policy are not comparable).</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        _count = 0;
    }

    /// <summary>
    /// Samples up to <paramref name="samples"/> candidates of <paramref name="db"/> (keys with a TTL only, for the
    /// volatile policies), scores them and keeps the best in the pool. Returns the number of keys sampled.
    /// </summary>
    public int Populate(IKeyspace db, in ScoreContext ctx, int samples)
    {
        Span<int> picked = stackalloc int[Math.Clamp(samples, 1, MaxSamples)];
        int n = Sample(db, ctx.VolatileOnly, picked);
        KeyIndex index = db.Index;
        for (int i = 0; i < n; i++)
        {
            Slot e = index.At(picked[i]);
            Insert(Score(index, picked[i], ctx), db, picked[i], e.Key!);
        }
        return n;
    }

    /// <summary>
    /// Removes and returns the best candidate that still exists, re-scoring it first: a candidate whose current score
    /// is below the next one's goes back into the pool. False when the pool holds no existing candidate.
    /// </summary>
    public bool TryPopBest(in ScoreContext ctx, out VictimRef victim)
    {
        while (_count > 0)
        {
            PoolSlot top = _slots[--_count];
            _slots[_count] = default;
            IKeyspace db = top.Db!;
            KeyIndex index = db.Index;
            if (!IsSameHotKey(index, top.Slot, top.Key!)) continue;
            Slot e = index.At(top.Slot);
            if (ctx.VolatileOnly && !e.Entry.HasExpiry) continue;
            ulong fresh = Score(index, top.Slot, ctx);
            if (fresh != top.Score && _count > 0 && fresh < _slots[_count - 1].Score)
            {
                Insert(fresh, db, top.Slot, top.Key!);
                continue;
            }
            victim = new VictimRef(db, top.Slot, top.Key!);
            return true;
        }
        victim = default;
        return false;
    }

    /// <summary>The lowest decayed LFU counter among <paramref name="samples"/> sampled hot keys; 255 when there are none.</summary>
    public int ColdestLfu(IKeyspace db, in ScoreContext ctx, int samples)
    {
        Span<int> picked = stackalloc int[Math.Clamp(samples, 1, MaxSamples)];
        int n = Sample(db, volatileOnly: false, picked);
        int min = 255;
        for (int i = 0; i < n; i++)
        {
            ref Entry e = ref db.Index.EntryAt(picked[i]);
            min = Math.Min(min, Lfu.Decay(e.Lfu, e.LfuStamp, ctx.NowMinutes, ctx.DecayMinutes));
        }
        return min;
    }

    /// <summary>One random candidate slot of <paramref name="db"/>, or -1 when it has none (the *-random policies).</summary>
    public int RandomCandidate(IKeyspace db, bool volatileOnly)
    {
        Span<int> one = stackalloc int[1];
        return Sample(db, volatileOnly, one) == 1 ? one[0] : -1;
    }

    /// <summary>The eviction score of an entry under the context's policy: higher means evict sooner.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Score(KeyIndex index, int i, in ScoreContext ctx)
    {
        Slot e = index.At(i);
        switch (ctx.Policy)
        {
            case EvictionPolicy.AllKeysLfu:
            case EvictionPolicy.VolatileLfu:
                return 255u - Lfu.Decay(e.Lfu, e.LfuStamp, ctx.NowMinutes, ctx.DecayMinutes);
            case EvictionPolicy.AllKeysLru:
            case EvictionPolicy.VolatileLru:
                return ctx.NowSeconds >= e.AccessSec ? ctx.NowSeconds - e.AccessSec : 0;
            case EvictionPolicy.VolatileTtl:
                return ulong.MaxValue - (ulong)index.ExpireAt(i);
            default:
                return 0;
        }
    }

    /// <summary>Adds a candidate in score order, unless the pool is full of better ones or already holds it.</summary>
    private void Insert(ulong score, IKeyspace db, int slot, byte[] key)
    {
        PoolSlot[] s = _slots;
        for (int k = 0; k < _count; k++)
            if (s[k].Slot == slot && ReferenceEquals(s[k].Key, key) && ReferenceEquals(s[k].Db, db)) return;
        int pos = 0;
        while (pos < _count && s[pos].Score < score) pos++;
        if (_count < Size)
        {
            Array.Copy(s, pos, s, pos + 1, _count - pos);
            _count++;
        }
        else
        {
            if (pos == 0) return; // no better than the worst kept
            // Drop the worst (index 0) and make room just below the first better-or-equal candidate.
            Array.Copy(s, 1, s, 0, pos - 1);
            pos--;
        }
        s[pos] = new PoolSlot { Score = score, Db = db, Slot = slot, Key = key };
    }

    /// <summary>
    /// Fills <paramref name="slots"/> with live hot candidate entries of <paramref name="db"/> (duplicates possible):
    /// only hot keys hold DRAM, so the probes go to the hot items, not the entries (in a tiered store most entries are
    /// cold). Independent random probes first, because neighbouring items were filled at about the same time and
    /// would share their age; a linear walk from a random item when every probe missed.
    /// </summary>
    private int Sample(IKeyspace db, bool volatileOnly, Span<int> slots)
    {
        KeyIndex index = db.Index;
        int hw = index.HotHighWater;
        int candidates = volatileOnly ? db.Index.VolatileCount : index.HotCount;
        if (hw == 0 || candidates == 0) return 0;
        int want = Math.Min(slots.Length, candidates);
        int found = 0;
        int probes = slots.Length * ProbesPerSample;
        for (int p = 0; p < probes && found < want; p++)
        {
            int owner = Candidate(index, NextInt(hw), volatileOnly);
            if (owner >= 0) slots[found++] = owner;
        }
        if (found > 0) return found;
        int start = NextInt(hw);
        for (int step = 0; step < hw && found < want; step++)
        {
            int h = start + step;
            if (h >= hw) h -= hw;
            int owner = Candidate(index, h, volatileOnly);
            if (owner >= 0) slots[found++] = owner;
        }
        return found;
    }

    /// <summary>The entry owning hot item <paramref name="h"/> if it is a candidate, else -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Candidate(KeyIndex index, int h, bool volatileOnly)
    {
        ref HotItem item = ref index.HotItemAt(h);
        if (item.Key is null) return -1;
        if (volatileOnly && !index.EntryAt(item.Owner).HasExpiry) return -1;
        return item.Owner;
    }

    /// <summary>True while entry <paramref name="slot"/> is live, hot and holds the very key array <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsSameHotKey(KeyIndex index, int slot, byte[] key)
        => slot < index.HighWater && index.IsLive(slot) && !index.IsCold(slot) && ReferenceEquals(index.HotOf(slot).Key, key);

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) from a xorshift generator.</summary>
    private int NextInt(int bound)
    {
        ulong x = _rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        _rng = x;
        return (int)(((x >> 33) * (ulong)(uint)bound) >> 31);
    }
}

/// <summary>The maxmemory-policy values.</summary>
public enum EvictionPolicy : byte
{
    NoEviction,
    AllKeysLfu,
    AllKeysLru,
    AllKeysRandom,
    VolatileLfu,
    VolatileLru,
    VolatileRandom,
    VolatileTtl,
}

/// <summary>Parsing and properties of <see cref="EvictionPolicy"/>.</summary>
public static class EvictionPolicies
{
    /// <summary>Parses a maxmemory-policy name in Redis's spelling; unknown names mean noeviction.</summary>
    public static EvictionPolicy Parse(string name) => name.ToLowerInvariant() switch
    {
        "allkeys-lfu" => EvictionPolicy.AllKeysLfu,
        "allkeys-lru" => EvictionPolicy.AllKeysLru,
        "allkeys-random" => EvictionPolicy.AllKeysRandom,
        "volatile-lfu" => EvictionPolicy.VolatileLfu,
        "volatile-lru" => EvictionPolicy.VolatileLru,
        "volatile-random" => EvictionPolicy.VolatileRandom,
        "volatile-ttl" => EvictionPolicy.VolatileTtl,
        _ => EvictionPolicy.NoEviction,
    };

    /// <summary>True for the policies that consider only keys with a TTL.</summary>
    public static bool IsVolatile(EvictionPolicy p) => p is EvictionPolicy.VolatileLfu or EvictionPolicy.VolatileLru
        or EvictionPolicy.VolatileRandom or EvictionPolicy.VolatileTtl;

    /// <summary>True for the policies that pick a random key instead of scoring.</summary>
    public static bool IsRandom(EvictionPolicy p) => p is EvictionPolicy.AllKeysRandom or EvictionPolicy.VolatileRandom;
}

/// <summary>What the scores of one eviction round are computed against: the policy and "now".</summary>
internal readonly struct ScoreContext
{
    public ScoreContext(EvictionPolicy policy, Clock clock, int decayMinutes)
    {
        Policy = policy;
        VolatileOnly = EvictionPolicies.IsVolatile(policy);
        NowSeconds = clock.Seconds;
        NowMinutes = clock.Minutes16;
        DecayMinutes = decayMinutes;
    }

    public EvictionPolicy Policy { get; }
    public bool VolatileOnly { get; }
    public uint NowSeconds { get; }
    public ushort NowMinutes { get; }
    public int DecayMinutes { get; }
}

using Tiered.Tiering.Base;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;

namespace Tiered.Tiering.Movement;

/// <summary>
/// Keeps the hot tier within <c>maxmemory</c>: before a command that may add data, frees memory by removing the keys
/// the <c>maxmemory-policy</c> ranks lowest, or reports <see cref="Status.OutOfMemory"/> so the command is refused.
///
/// Why victim selection is separate from eviction: "which keys are coldest" is the question both of eviction (in
/// memory-only mode the victims are deleted) and of demotion (in tiered mode the same victims will be serialized to
/// the SSD log and keep a cold index entry instead of being deleted). <see cref="SelectVictims(Span{VictimRef})"/>
/// answers it without changing anything; <see cref="Evict"/> is the memory-only action on its answer.
///
/// The budget compares <see cref="Store.UsedMemory"/> (the engine's estimate of key and value bytes; see the
/// maxmemory setting) with <see cref="EngineOptions.MaxMemory"/>, as Redis compares used_memory minus the buffers it
/// does not count. It is enforced before each denyoom command, so like Redis the dataset may exceed the limit by what
/// the last command added, until the next such command.
///
/// Shared state rule: every member must be called with <see cref="Store.Lock"/> held.
/// </summary>
public sealed class Evictor
{
    /// <summary>Draws per database before a random policy gives up finding a key not yet chosen in this batch.</summary>
    private const int RandomDraws = 16;

    private readonly Store _store;
    private readonly EvictionPool _pool = new();
    private readonly VictimRef[] _one = new VictimRef[1];
    private string? _policyText;
    private EvictionPolicy _policy;
    private EvictionPolicy _poolPolicy;
    private int _nextDb;

    internal Evictor(Store store) => _store = store;

    /// <summary>The configured policy (parsed once per change of the setting).</summary>
    public EvictionPolicy Policy
    {
        get
        {
            string text = _store.Options.MaxMemoryPolicy;
            if (!ReferenceEquals(text, _policyText))
            {
                _policy = EvictionPolicies.Parse(text);
                _policyText = text;
            }
            return _policy;
        }
    }

    /// <summary>
    /// Ok when used memory is within maxmemory (0 means no limit), evicting keys by the policy as needed to get there.
    /// OutOfMemory when over the limit and the policy is noeviction or no key may be evicted (for example a volatile
    /// policy and no key with a TTL); nothing is evicted then beyond what could be.
    /// </summary>
    public Status EnsureMemory()
    {
        long max = _store.Options.MaxMemory;
        if (max <= 0) return Status.Ok;
        if (_store.Cold is { SsdFull: false } cold) return MakeRoomOnSsd(cold, max);
        if (_store.UsedMemory <= max) return Status.Ok;
        EvictionPolicy policy = Policy;
        if (policy == EvictionPolicy.NoEviction) return Status.OutOfMemory;
        Span<VictimRef> one = _one;
        while (_store.UsedMemory > max)
        {
            if (SelectVictims(policy, one) == 0) return Status.OutOfMemory;
            Evict(one);
        }
        one[0] = default;
        return Status.Ok;
    }

    /// <summary>
    /// Tiered mode: nothing is deleted to make room, values move to the SSD. Above the demotion start level the
    /// demoter is asked for a round (in the background); above maxmemory clean hot values (already in the log) go
    /// cold at once; above the hard limit the command waits for a demotion round (Busy).
    /// </summary>
    private Status MakeRoomOnSsd(Cold.ColdTier cold, long max)
    {
        Cold.TierOptions o = cold.Options;
        if (_store.UsedMemory <= max / 100 * o.DemoteStartPercent) return Status.Ok;
        cold.Demoter.Kick();
        if (_store.UsedMemory <= max) return Status.Ok;
        cold.Demoter.DemoteCleanNow(_store.UsedMemory - max);
        if (_store.UsedMemory <= max + max / 100 * o.HardLimitPercent) return Status.Ok;
        _store.TierStats.DemotionStalls++;
        return Status.Busy;
    }

    /// <summary>
    /// The lowest decayed LFU counter among <c>maxmemory-samples</c> sampled hot keys of <paramref name="db"/> (255
    /// when it has none): the bar a cold key must clear to be admitted back to DRAM.
    /// </summary>
    public int ColdestHotLfu(Database db)
    {
        var ctx = new ScoreContext(EvictionPolicy.AllKeysLfu, _store.Clock, _store.Options.LfuDecayTime);
        return _pool.ColdestLfu(db, ctx, _store.Options.MaxMemorySamples);
    }

    /// <summary>Chooses up to <c>output.Length</c> victims by the configured policy; see <see cref="SelectVictims(EvictionPolicy, Span{VictimRef})"/>.</summary>
    public int SelectVictims(Span<VictimRef> output) => SelectVictims(Policy, output);

    /// <summary>
    /// Chooses up to <c>output.Length</c> distinct live keys that <paramref name="policy"/> ranks as the best to remove
    /// from DRAM, best first, without changing them. Returns how many were found: fewer when the store has fewer
    /// candidates, 0 under noeviction. The references stay valid until the next change to the keyspace.
    /// </summary>
    public int SelectVictims(EvictionPolicy policy, Span<VictimRef> output)
    {
        if (policy == EvictionPolicy.NoEviction) return 0;
        if (policy != _poolPolicy)
        {
            _pool.Clear();
            _poolPolicy = policy;
        }
        return EvictionPolicies.IsRandom(policy) ? SelectRandom(policy, output) : SelectFromPool(policy, output);
    }

    /// <summary>
    /// Deletes the victims that still hold the key they were chosen for, counting each in INFO evicted_keys.
    /// Returns the number deleted.
    /// </summary>
    public int Evict(ReadOnlySpan<VictimRef> victims)
    {
        int n = 0;
        foreach (VictimRef v in victims)
        {
            if (!v.IsCurrent) continue;
            v.Database.Delete(v.Slot);
            n++;
        }
        _store.Stats.EvictedKeys += n;
        return n;
    }

    private int SelectFromPool(EvictionPolicy policy, Span<VictimRef> output)
    {
        var ctx = new ScoreContext(policy, _store.Clock, _store.Options.LfuDecayTime);
        int samples = _store.Options.MaxMemorySamples;
        Database[] dbs = _store.Databases;
        int n = 0;
        while (n < output.Length)
        {
            // Like Redis, sample every database each round, so the choice is global and not per database.
            foreach (Database db in dbs) _pool.Populate(db, ctx, samples);
            if (!_pool.TryPopBest(ctx, out VictimRef v)) break;
            output[n++] = v;
        }
        return n;
    }

    private int SelectRandom(EvictionPolicy policy, Span<VictimRef> output)
    {
        bool volatileOnly = policy == EvictionPolicy.VolatileRandom;
        Database[] dbs = _store.Databases;
        int n = 0;
        while (n < output.Length)
        {
            bool found = false;
            // Round-robin over the databases (Redis's next_db), so one large database does not shield the others.
            for (int tried = 0; tried < dbs.Length && !found; tried++)
            {
                Database db = dbs[_nextDb];
                _nextDb = _nextDb + 1 == dbs.Length ? 0 : _nextDb + 1;
                // A few draws per database, in case one repeats a key already chosen for this batch.
                for (int draw = 0; draw < RandomDraws && !found; draw++)
                {
                    int slot = _pool.RandomCandidate(db, volatileOnly);
                    if (slot < 0) break;
                    var v = new VictimRef(db, slot, db.Index.HotOf(slot).Key!);
                    if (Contains(output[..n], v)) continue;
                    output[n++] = v;
                    found = true;
                }
            }
            if (!found) break;
        }
        return n;
    }

    private static bool Contains(ReadOnlySpan<VictimRef> chosen, in VictimRef v)
    {
        foreach (VictimRef c in chosen)
            if (c.Slot == v.Slot && ReferenceEquals(c.Database, v.Database)) return true;
        return false;
    }
}

/// <summary>
/// A key chosen by <see cref="Evictor.SelectVictims(Span{VictimRef})"/>: its database, its index slot and the key
/// array it held when chosen (so a later action can tell whether the slot still holds that key).
/// </summary>
public readonly struct VictimRef
{
    private readonly byte[] _key;

    internal VictimRef(Database database, int slot, byte[] key)
    {
        Database = database;
        Slot = slot;
        _key = key;
    }

    /// <summary>The database holding the key.</summary>
    public Database Database { get; }

    /// <summary>The key's entry index in its database.</summary>
    internal int Slot { get; }

    /// <summary>The key's bytes.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>True while the slot still holds the very key that was chosen.</summary>
    internal bool IsCurrent
    {
        get
        {
            if (Database is null) return false;
            return EvictionPool.IsSameHotKey(Database.Index, Slot, _key);
        }
    }
}

using Tiered.Tiering.Cold;
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
/// The budget compares <see cref="DramState.UsedMemory"/> (the engine's estimate of key and value bytes; see the
/// maxmemory setting) with <see cref="MemoryOptions.MaxMemory"/>, as Redis compares used_memory minus the buffers it
/// does not count. It is enforced before each denyoom command, so like Redis the dataset may exceed the limit by what
/// the last command added, until the next such command.
///
/// Shared state rule: every member must be called with the store lock held.
/// </summary>
public sealed class Evictor
{
    /// <summary>Draws per database before a random policy gives up finding a key not yet chosen in this batch.</summary>
    private const int RandomDraws = 16;

    private readonly DramState _store;
    private ColdTier? _cold;     // tiered mode: room is made by demotion, not deletion
    private Demoter? _demoter;
    private readonly EvictionPool _pool = new();
    private readonly VictimRef[] _one = new VictimRef[1];
    private string? _policyText;
    private EvictionPolicy _policy;
    private EvictionPolicy _poolPolicy;
    private int _nextDb;

    internal Evictor(DramState store) => _store = store;

    /// <summary>Tiered mode: memory is made by moving values to <paramref name="cold"/>, through <paramref name="demoter"/>.</summary>
    internal void UseColdTier(ColdTier cold, Demoter demoter)
    {
        _cold = cold;
        _demoter = demoter;
    }

    /// <summary>The configured policy (parsed once per change of the setting).</summary>
    public EvictionPolicy Policy
    {
        get
        {
            string text = _store.Memory.MaxMemoryPolicy;
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
        long max = _store.Memory.MaxMemory;
        if (max <= 0) return Status.Ok;
        if (_cold is { SsdFull: false } cold) return MakeRoomOnSsd(cold, _demoter!, max);
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
    private Status MakeRoomOnSsd(ColdTier cold, Demoter demoter, long max)
    {
        TierOptions o = cold.Options;
        if (_store.UsedMemory <= max / 100 * o.DemoteStartPercent) return Status.Ok;
        demoter.Kick();
        if (_store.UsedMemory <= max) return Status.Ok;
        demoter.DemoteCleanNow(_store.UsedMemory - max);
        if (_store.UsedMemory <= max + max / 100 * o.HardLimitPercent) return Status.Ok;
        _store.TierStats.DemotionStalls++;
        return Status.Busy;
    }

    /// <summary>Chooses up to <c>output.Length</c> victims by the configured policy; see <see cref="SelectVictims(EvictionPolicy, Span{VictimRef})"/>.</summary>
    internal int SelectVictims(Span<VictimRef> output) => SelectVictims(Policy, output);

    /// <summary>
    /// Chooses up to <c>output.Length</c> distinct live keys that <paramref name="policy"/> ranks as the best to remove
    /// from DRAM, best first, without changing them. Returns how many were found: fewer when the store has fewer
    /// candidates, 0 under noeviction. The references stay valid until the next change to the keyspace.
    /// </summary>
    internal int SelectVictims(EvictionPolicy policy, Span<VictimRef> output)
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
    internal int Evict(ReadOnlySpan<VictimRef> victims)
    {
        int n = 0;
        IKeyspaceNotifier? notifier = _store.Notifier is { } w && w.Wants(EngineEvent.Evicted) ? w : null;
        foreach (VictimRef v in victims)
        {
            if (!v.IsCurrent) continue;
            byte[]? key = notifier is null ? null : v.Keyspace.Index.HotOf(v.Slot).Key;   // victims are hot: no SSD tier here
            v.Keyspace.Delete(v.Slot);
            n++;
            if (key != null) notifier!.Notify(EngineEvent.Evicted, v.Keyspace.Id, key);
        }
        _store.Stats.EvictedKeys += n;
        return n;
    }

    private int SelectFromPool(EvictionPolicy policy, Span<VictimRef> output)
    {
        var ctx = new ScoreContext(policy, _store.Clock, _store.Memory.LfuDecayTime);
        int samples = _store.Memory.MaxMemorySamples;
        IKeyspace[] dbs = _store.Keyspaces;
        int n = 0;
        while (n < output.Length)
        {
            // Like Redis, sample every database each round, so the choice is global and not per database.
            foreach (IKeyspace db in dbs) _pool.Populate(db, ctx, samples);
            if (!_pool.TryPopBest(ctx, out VictimRef v)) break;
            output[n++] = v;
        }
        return n;
    }

    private int SelectRandom(EvictionPolicy policy, Span<VictimRef> output)
    {
        bool volatileOnly = policy == EvictionPolicy.VolatileRandom;
        IKeyspace[] dbs = _store.Keyspaces;
        int n = 0;
        while (n < output.Length)
        {
            bool found = false;
            // Round-robin over the databases (Redis's next_db), so one large database does not shield the others.
            for (int tried = 0; tried < dbs.Length && !found; tried++)
            {
                IKeyspace db = dbs[_nextDb];
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
            if (c.Slot == v.Slot && ReferenceEquals(c.Keyspace, v.Keyspace)) return true;
        return false;
    }
}

namespace Tiered.Tiering.Metrics;

/// <summary>
/// Engine counters for INFO stats. Changed only under the store lock; INFO reads them under the lock too.
/// </summary>
public sealed class EngineStats
{
    /// <summary>Reads that found their key (INFO keyspace_hits).</summary>
    public long KeyspaceHits;
    /// <summary>Reads that did not (INFO keyspace_misses).</summary>
    public long KeyspaceMisses;
    /// <summary>Keys deleted because their TTL passed (INFO expired_keys).</summary>
    public long ExpiredKeys;
    /// <summary>Keys removed by the eviction policy (INFO evicted_keys).</summary>
    public long EvictedKeys;

    /// <summary>CONFIG RESETSTAT.</summary>
    public void Reset()
    {
        KeyspaceHits = 0;
        KeyspaceMisses = 0;
        ExpiredKeys = 0;
        EvictedKeys = 0;
    }
}

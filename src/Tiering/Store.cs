using Tiered.Tiering.Cold;
using Tiered.Tiering.Metrics;
using Tiered.Tiering.Movement;

namespace Tiered.Tiering;

/// <summary>
/// The storage engine: the databases, the clock, the statistics and the one lock that serialises commands.
///
/// Why one lock: Redis's semantics (MULTI/EXEC, RENAME, MSET and every read-modify-write are atomic) come for free
/// when commands run one at a time, and on a 2-core machine a lock taken once per network batch (not per command)
/// costs a few nanoseconds per request. Slow work (SSD reads, compression of demoted batches) is done outside it.
///
/// Shared state rule: <see cref="Databases"/>, <see cref="UsedMemory"/>, <see cref="Stats"/> and everything reachable
/// from a <see cref="Database"/> may be read or changed only while holding <see cref="Lock"/>. The server takes
/// the lock, refreshes the clock (<see cref="BeginBatch"/>), runs a batch of commands and releases it.
/// </summary>
public sealed class Store : IDisposable
{
    /// <summary>Serialises all access to the engine's state.</summary>
    public readonly Lock Lock = new();

    public Store(EngineOptions options)
    {
        Options = options;
        Databases = new Database[options.Databases];
        for (int i = 0; i < Databases.Length; i++) Databases[i] = new Database(this, i);
        Evictor = new Evictor(this);
        if (options.SsdPath is { } ssd)
        {
            if (options.MaxMemory <= 0) options.MaxMemory = EngineOptions.DefaultTieredBudget();
            Cold = OpenCold(ssd);
        }
        Meter = new TierMeter(this);
    }

    /// <summary>The tiering metrics as a System.Diagnostics.Metrics meter.</summary>
    public TierMeter Meter { get; }

    /// <summary>
    /// Opens the SSD tier in <c>ssd-path/values</c>. Until durability lands (issue 4) the tier starts empty: the
    /// directory's old log is removed first, so a restart never serves values the index no longer knows about.
    /// </summary>
    private ColdTier OpenCold(string ssdPath)
    {
        string dir = Path.Combine(ssdPath, "values");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        ValueLogOptions logOptions = Options.Tier.Log;
        logOptions.Directory = dir;
        _device = Options.Tier.DeviceFactory?.Invoke();   // tests: a slow in-memory device; null: O_DIRECT files
        return new ColdTier(this, new ValueLog(logOptions, _device));
    }

    /// <summary>A device from <see cref="TierOptions.DeviceFactory"/>, which the log does not own: disposed with the store.</summary>
    private FASTER.core.IDevice? _device;

    /// <summary>The SSD tier; null for a pure in-memory store (no ssd-path).</summary>
    public ColdTier? Cold { get; }

    /// <summary>Tiering counters (INFO # Tiering); zeros without an SSD tier but for hits and misses.</summary>
    public TierStats TierStats { get; } = new();

    public EngineOptions Options { get; }

    public Clock Clock { get; } = new();

    public EngineStats Stats { get; } = new();

    /// <summary>The logical databases; SWAPDB exchanges two slots.</summary>
    public Database[] Databases { get; }

    /// <summary>Estimated bytes of all keys and values held in DRAM (INFO used_memory_dataset).</summary>
    public long UsedMemory { get; internal set; }

    /// <summary>Chooses keys to remove from DRAM under the maxmemory policy, and evicts them.</summary>
    public Evictor Evictor { get; }

    /// <summary>
    /// Call with the lock held before a command that may add data: Ok when <see cref="UsedMemory"/> is within
    /// maxmemory (evicting by the policy as needed), OutOfMemory when the write must be refused.
    /// </summary>
    public Status EnsureMemory() => Evictor.EnsureMemory();

    /// <summary>Call with the lock held before running commands: fixes "now" for the batch.</summary>
    public void BeginBatch() => Clock.Refresh();

    /// <summary>Stops the background movers and closes the SSD log.</summary>
    public void Dispose()
    {
        Meter.Dispose();
        Cold?.Dispose();
        _device?.Dispose();
    }

    /// <summary>Hot keys over all databases.</summary>
    public long HotKeys()
    {
        long n = 0;
        foreach (Database db in Databases) n += db.Index.HotCount;
        return n;
    }

    /// <summary>DRAM bytes of the key indexes (entries, hot items, buckets).</summary>
    public long IndexBytes()
    {
        long n = 0;
        foreach (Database db in Databases) n += db.Index.ArrayBytes;
        return n;
    }

    /// <summary>Total keys over all databases.</summary>
    public long TotalKeys()
    {
        long n = 0;
        foreach (Database db in Databases) n += db.Count;
        return n;
    }

    /// <summary>Drops every key of every database.</summary>
    public void FlushAll()
    {
        foreach (Database db in Databases) db.Clear();
    }

    /// <summary>Exchanges two databases, so clients connected to one see the other's data (SWAPDB).</summary>
    public void SwapDatabases(int a, int b)
    {
        if (a == b) return;
        (Databases[a], Databases[b]) = (Databases[b], Databases[a]);
        Databases[a].Id = a;
        Databases[b].Id = b;
    }

    /// <summary>
    /// One active expiry cycle, called <c>hz</c> times a second with the lock held: sweeps each database's slots
    /// from where the last cycle stopped, deleting expired keys, within <paramref name="slotsPerDb"/> slots.
    /// Returns the number of keys deleted.
    /// </summary>
    public int ActiveExpireCycle(int slotsPerDb)
    {
        Clock.Refresh();
        int deleted = 0;
        foreach (Database db in Databases) deleted += db.ExpireStep(slotsPerDb);
        return deleted;
    }
}

/// <summary>
/// Engine counters for INFO stats. Changed only under <see cref="Store.Lock"/>; INFO reads them under the lock too.
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

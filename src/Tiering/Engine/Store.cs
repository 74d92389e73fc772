using Tiered.Tiering.Cold;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;
using Tiered.Tiering.Movement;

namespace Tiered.Tiering.Engine;

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
public sealed class Store : DramState, IDisposable
{
    public Store(EngineOptions options) : base(options.Memory)
    {
        Options = options;
        Databases = new Database[options.Databases];
        for (int i = 0; i < Databases.Length; i++) Databases[i] = new Database(this, i);
        Keyspaces = Databases;
        Evictor = new Evictor(this);
        if (options.SsdPath != null && options.Memory.MaxMemory <= 0) options.Memory.MaxMemory = EngineOptions.DefaultTieredBudget();
        string? logDir = options.SsdPath ?? (options.Durability.Enabled ? options.Durability.Dir : null);
        if (logDir != null)
        {
            Log = OpenLog(Path.Combine(logDir, "values"), keep: options.Durability.Enabled);
            if (options.SsdPath != null)
            {
                Cold = new ColdTier(this, Log, options.Tier);
                Demoter = new Demoter(this, Cold, Evictor, LogGate);
                Cold.WakeDemoter = Demoter.Kick;
                Evictor.UseColdTier(Cold, Demoter);
            }
            Compactor = new Compactor(this, Log, options.Tier, LogGate, Cold);
        }
        Metrics = TierMetrics.Declare(this);
        Meter = new MetricMeter(TierMetrics.MeterName, Metrics);
    }

    /// <summary>
    /// Opens the log in <paramref name="dir"/>. Without durability the log only holds cold values, which mean nothing
    /// without the index that pointed at them: a log left from an earlier run is removed first.
    /// </summary>
    private ValueLog OpenLog(string dir, bool keep)
    {
        if (!keep && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        ValueLogOptions logOptions = Options.Tier.Log;
        logOptions.Directory = dir;
        _device = Options.Tier.DeviceFactory?.Invoke();   // tests: a slow in-memory device; null: O_DIRECT files
        return new ValueLog(logOptions, _device);
    }

    /// <summary>A device from <see cref="TierOptions.DeviceFactory"/>, which the log does not own: disposed with the store.</summary>
    private FASTER.core.IDevice? _device;

    /// <summary>The tiering metrics, each declared once: INFO's # Tiering section and the meter are made from it.</summary>
    public MetricSet Metrics { get; }

    /// <summary>The tiering metrics as the System.Diagnostics.Metrics meter <c>Tiered.Tiering</c>.</summary>
    public MetricMeter Meter { get; }

    /// <summary>
    /// The log on disk: cold values and, with durability, every write. Null for an in-memory store that persists
    /// nothing.
    /// </summary>
    public ValueLog? Log { get; }

    /// <summary>Serializes the rounds of the demoter and the compactor (each appends to and commits the log).</summary>
    internal SemaphoreSlim LogGate { get; } = new(1, 1);

    /// <summary>The SSD tier; null for a pure in-memory store (no ssd-path).</summary>
    public ColdTier? Cold { get; }

    /// <summary>Moves hot values to the log when DRAM is over budget; null for a pure in-memory store.</summary>
    public Demoter? Demoter { get; }

    /// <summary>Copies live records forward and frees the log's head; null without a log.</summary>
    public Compactor? Compactor { get; }

    /// <summary>Logs every write (appendonly); null until <see cref="Recover"/> ran, and without durability.</summary>
    public Journal? Journal { get; private set; }

    /// <summary>
    /// With durability: rebuilds the index from the log (see <see cref="Recovery"/>), then starts journaling. Call
    /// once, before serving, from any thread (it takes the lock per record, so the server can answer -LOADING
    /// meanwhile). <paramref name="log"/> receives progress and warnings.
    /// </summary>
    public RecoveryResult Recover(Action<string>? log = null)
    {
        RecoveryResult result = default;
        if (Log != null && Options.Durability.Enabled)
        {
            result = new Recovery(this, Log, Path.Combine(Log.Directory, "recovery-skips"), log).Run();
            Journal = new Journal(this, Log, Options.Durability);
            if (Demoter != null) Demoter.Journal = Journal;
        }
        return result;
    }

    /// <summary>Starts the background work: the journal's committer, the demoter, the compactor.</summary>
    public void Start()
    {
        Journal?.Start();
        Demoter?.Start();
        Compactor?.Start();
    }

    /// <summary>
    /// Commits the log at a command boundary: the commit is started under the lock (so it never splits a command's
    /// or a transaction's journal records) and awaited outside it.
    /// </summary>
    internal Task CommitLogAsync(CancellationToken ct = default) => Log!.CommitAtBoundaryAsync(Lock, ct);

    /// <summary>
    /// After each command (or a whole EXEC), under the lock: logs the keys it changed and decides the admission of the
    /// cold keys it read. Returns true when journal records were appended (with appendfsync always the reply must
    /// wait for <see cref="Durability.Journal.WhenDurable"/> of <see cref="Durability.Journal.AppendedUntil"/>).
    /// </summary>
    public bool EndCommand()
    {
        Cold?.EndCommand();
        return Journal?.EndCommand() ?? false;
    }

    public EngineOptions Options { get; }

    /// <summary>The logical databases; SWAPDB exchanges two slots.</summary>
    public Database[] Databases { get; }

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
        Demoter?.Dispose();
        Compactor?.Dispose();
        Journal?.Dispose();
        Log?.Dispose();
        _device?.Dispose();
        LogGate.Dispose();
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
        foreach (Database db in Databases) db.Clear(journal: false);
        Journal?.Flush(-1);
    }

    /// <summary>Exchanges two databases, so clients connected to one see the other's data (SWAPDB).</summary>
    public void SwapDatabases(int a, int b)
    {
        if (a == b) return;
        Journal?.SwapDb(a, b);
        (Databases[a], Databases[b]) = (Databases[b], Databases[a]);
        Databases[a].Id = a;
        Databases[b].Id = b;
    }

    /// <summary>
    /// Whether <see cref="ActiveExpireCycle"/> deletes expired keys (DEBUG SET-ACTIVE-EXPIRE 0 turns it off; lazy expiry
    /// on access still applies). Changed and read with <see cref="Lock"/> held.
    /// </summary>
    public bool ActiveExpireEnabled { get; set; } = true;

    /// <summary>
    /// One active expiry cycle, called <c>hz</c> times a second with the lock held: sweeps each database's slots
    /// from where the last cycle stopped, deleting expired keys, within <paramref name="slotsPerDb"/> slots.
    /// Returns the number of keys deleted.
    /// </summary>
    public int ActiveExpireCycle(int slotsPerDb)
    {
        if (!ActiveExpireEnabled) return 0;
        Clock.Refresh();
        int deleted = 0;
        foreach (Database db in Databases) deleted += db.ExpireStep(slotsPerDb);
        return deleted;
    }
}

using Tiered.Tiering.Base;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Durability;

namespace Tiered.Tiering.Engine;

/// <summary>
/// Settings of the storage engine. Defaults live here, in code; each setting's description says what it changes.
/// </summary>
public sealed class EngineOptions
{
    /// <summary>Number of logical databases (SELECT 0..N-1).</summary>
    public int Databases { get; set; } = 16;

    /// <summary>
    /// Hot-tier memory budget in bytes; 0 means no limit. What is counted (<see cref="Store.UsedMemory"/>, INFO
    /// used_memory_dataset): per key, its index slot and bucket share (52 B), the key bytes with their array header,
    /// and the value's estimated size (string bytes plus array header; a collection's own <c>SizeBytes</c>). Not
    /// counted: spare index capacity left by doubling, client buffers, the command table and the .NET runtime and
    /// GC headroom, so the process uses more than this (INFO used_memory is the whole managed heap). Checked before
    /// each command that may add data (denyoom): over the limit, keys are evicted by <see cref="MaxMemoryPolicy"/>
    /// or the command is refused with -OOM.
    /// </summary>
    /// <remarks>With an SSD tier (<see cref="SsdPath"/>) and no budget given, the budget defaults to
    /// <see cref="DefaultTieredBudget"/>: a tiered store without a DRAM budget would never use its SSD.</remarks>
    public long MaxMemory { get; set; }

    /// <summary>The hot-tier budget used with an SSD tier when none is given: a quarter of the memory available to
    /// the process (physical memory or the container limit), at least 64 MB.</summary>
    public static long DefaultTieredBudget()
        => Math.Max(64L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>What happens when the budget is reached: noeviction, allkeys-lfu, allkeys-lru, allkeys-random, volatile-lfu, volatile-lru, volatile-random, volatile-ttl.</summary>
    public string MaxMemoryPolicy { get; set; } = "noeviction";

    /// <summary>Keys sampled per eviction round.</summary>
    public int MaxMemorySamples { get; set; } = 5;

    /// <summary>LFU counter logarithm factor: higher means more hits to saturate the 8-bit counter.</summary>
    public int LfuLogFactor { get; set; } = 10;

    /// <summary>Minutes without access for the LFU counter to drop by one.</summary>
    public int LfuDecayTime { get; set; } = 1;

    /// <summary>Background task frequency (active expiry cycles per second).</summary>
    public int Hz { get; set; } = 10;

    /// <summary>Largest string value in bytes; writes that would exceed it fail (Redis's proto-max-bulk-len).</summary>
    public long ProtoMaxBulkLen { get; set; } = 512L * 1024 * 1024;

    /// <summary>Directory of the SSD tier; null for a pure in-memory server.</summary>
    public string? SsdPath { get; set; }

    /// <summary>Settings of the SSD tier (demotion, admission, compaction, device).</summary>
    public Cold.TierOptions Tier { get; } = new();

    /// <summary>Settings of durability (appendonly, appendfsync, dir).</summary>
    public Durability.DurabilityOptions Durability { get; } = new();

    /// <summary>The settings above in Redis's spelling.</summary>
    public IEnumerable<Setting> Settings()
    {
        yield return new("databases", "Number of logical databases.", () => SettingParse.Int(Databases),
            SettingParse.IntSetter(v => Databases = (int)v, 1, 10_000), Mutable: false);
        yield return new("maxmemory", "Hot-tier (DRAM) budget in bytes, e.g. 64mb; 0 means unlimited. Counts the estimated bytes of keys, values and their index slots (INFO used_memory_dataset), not runtime or client buffers.", () => SettingParse.Int(MaxMemory),
            SettingParse.SizeSetter(v => MaxMemory = v));
        yield return new("maxmemory-policy", "Eviction policy when the budget is reached.", () => MaxMemoryPolicy,
            SettingParse.EnumSetter(["noeviction", "allkeys-lfu", "allkeys-lru", "allkeys-random", "volatile-lfu", "volatile-lru", "volatile-random", "volatile-ttl"], v => MaxMemoryPolicy = v));
        yield return new("maxmemory-samples", "Keys sampled per eviction round.", () => SettingParse.Int(MaxMemorySamples),
            SettingParse.IntSetter(v => MaxMemorySamples = (int)v, 1, 64));
        yield return new("lfu-log-factor", "LFU counter logarithm factor.", () => SettingParse.Int(LfuLogFactor),
            SettingParse.IntSetter(v => LfuLogFactor = (int)v, 0, int.MaxValue));
        yield return new("lfu-decay-time", "Minutes for the LFU counter to decay by one.", () => SettingParse.Int(LfuDecayTime),
            SettingParse.IntSetter(v => LfuDecayTime = (int)v, 0, int.MaxValue));
        yield return new("hz", "Background cycles per second (active expiry).", () => SettingParse.Int(Hz),
            SettingParse.IntSetter(v => Hz = (int)v, 1, 500));
        yield return new("proto-max-bulk-len", "Largest bulk string a client may send and largest string value.", () => SettingParse.Int(ProtoMaxBulkLen),
            SettingParse.SizeSetter(v => ProtoMaxBulkLen = v, 1024 * 1024));
        yield return new("ssd-path", "Directory of the SSD tier; empty for in-memory only.", () => SsdPath ?? "",
            s => { SsdPath = string.IsNullOrWhiteSpace(s) ? null : s; return null; }, Mutable: false);
        foreach (Setting s in Tier.Settings()) yield return s;
        foreach (Setting s in Durability.Settings()) yield return s;
    }
}

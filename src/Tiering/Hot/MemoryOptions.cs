namespace Tiered.Tiering.Hot;

/// <summary>
/// Settings of the hot tier: its DRAM budget, what happens when it is reached, and the LFU counter every key carries.
/// Defaults live here, in code; each setting's description says what it changes. Read live (CONFIG SET applies at
/// the next command).
/// </summary>
public sealed class MemoryOptions
{
    /// <summary>
    /// Hot-tier memory budget in bytes; 0 means no limit. What is counted (<see cref="DramState.UsedMemory"/>, INFO
    /// used_memory_dataset): per key, its index slot and bucket share (52 B), the key bytes with their array header,
    /// and the value's estimated size (string bytes plus array header; a collection's own <c>SizeBytes</c>). Not
    /// counted: spare index capacity left by doubling, client buffers, the command table and the .NET runtime and
    /// GC headroom, so the process uses more than this (INFO used_memory is the whole managed heap). Checked before
    /// each command that may add data (denyoom): over the limit, keys are evicted by <see cref="MaxMemoryPolicy"/>
    /// or the command is refused with -OOM.
    /// </summary>
    /// <remarks>With an SSD tier (ssd-path) and no budget given, the budget defaults to
    /// EngineOptions.DefaultTieredBudget: a tiered store without a DRAM budget would never use its SSD.</remarks>
    public long MaxMemory { get; set; }

    /// <summary>What happens when the budget is reached: noeviction, allkeys-lfu, allkeys-lru, allkeys-random, volatile-lfu, volatile-lru, volatile-random, volatile-ttl.</summary>
    public string MaxMemoryPolicy { get; set; } = "noeviction";

    /// <summary>Keys sampled per eviction round.</summary>
    public int MaxMemorySamples { get; set; } = 5;

    /// <summary>LFU counter logarithm factor: higher means more hits to saturate the 8-bit counter.</summary>
    public int LfuLogFactor { get; set; } = 10;

    /// <summary>Minutes without access for the LFU counter to drop by one.</summary>
    public int LfuDecayTime { get; set; } = 1;

    /// <summary>The settings above in Redis's spelling.</summary>
    public IEnumerable<Setting> Settings()
    {
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
    }
}

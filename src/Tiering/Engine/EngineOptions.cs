using Tiered.Tiering.Cold;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Engine;

/// <summary>
/// Settings of the storage engine. Defaults live here, in code; each setting's description says what it changes.
/// </summary>
public sealed class EngineOptions
{
    /// <summary>Number of logical databases (SELECT 0..N-1).</summary>
    public int Databases { get; set; } = 16;

    /// <summary>The hot-tier budget used with an SSD tier when none is given: a quarter of the memory available to
    /// the process (physical memory or the container limit), at least 64 MB.</summary>
    public static long DefaultTieredBudget()
        => Math.Max(64L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>Settings of the hot tier's budget and eviction (maxmemory, its policy, the LFU counter).</summary>
    public MemoryOptions Memory { get; } = new();

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
        foreach (Setting s in Memory.Settings()) yield return s;
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

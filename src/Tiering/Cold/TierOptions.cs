namespace Tiered.Tiering.Cold;

/// <summary>
/// Settings of the tiering machinery (demotion, admission, compaction, SSD budget). Defaults live here, in code;
/// each setting's description says what it changes. The SSD directory itself is the engine's ssd-path (EngineOptions.SsdPath).
/// </summary>
public sealed class TierOptions
{
    /// <summary>Largest size of the SSD log in bytes; 0 means as much as the disk holds. When reached, demotion stops
    /// and maxmemory-policy applies to the whole store (evict or refuse writes with -OOM).</summary>
    public long SsdMaxSize { get; set; }

    /// <summary>Demotion starts when hot bytes exceed this fraction of maxmemory, in percent.</summary>
    public int DemoteStartPercent { get; set; } = 95;

    /// <summary>A demotion round stops when hot bytes are down to this fraction of maxmemory, in percent.</summary>
    public int DemoteTargetPercent { get; set; } = 90;

    /// <summary>
    /// Writes wait for a demotion round (instead of running) when hot bytes exceed maxmemory by this percentage:
    /// the back-pressure that keeps the budget honest when clients write faster than the SSD takes data.
    /// </summary>
    public int HardLimitPercent { get; set; } = 5;

    /// <summary>Most bytes of values one demotion round serializes before committing them to the log.</summary>
    public int DemoteBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Admission filter: a cold key read while DRAM is full comes back to DRAM only if its LFU counter beats the
    /// coldest sampled hot key's (TinyLFU-style), so one pass over every key does not flush the hot set. "no" admits
    /// every key read.
    /// </summary>
    public bool Admission { get; set; } = true;

    /// <summary>
    /// Compaction starts when the log exceeds this many times the bytes of its live records, in percent. Lower keeps the
    /// SSD log smaller and costs more copying: with 1,000,000 keys of 100 B overwritten at random (SET -P 16, 6,000,000
    /// writes) 150 copied 3,193,686 records and 200 copied 1,115,554, and the last rounds ran at 250-280K against
    /// 310-330K SET/s. 200 is also what Redis allows its AOF (auto-aof-rewrite-percentage 100: a rewrite at twice the size).
    /// </summary>
    public int CompactStartPercent { get; set; } = 200;

    /// <summary>The log is not compacted below this size in bytes (small logs are not worth the I/O).</summary>
    public long CompactMinBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Settings of the log (page, buffer and segment sizes) and of its device (O_DIRECT, I/O threads).</summary>
    public ValueLogOptions Log { get; } = new();

    /// <summary>
    /// Tests only: makes the log's device (e.g. a <see cref="SlowMemoryDevice"/>) instead of the O_DIRECT files in
    /// ssd-path. The store disposes the device it got from here. Null (the default) means the real device.
    /// </summary>
    internal Func<FASTER.core.IDevice>? DeviceFactory { get; set; }

    /// <summary>The settings above in Redis's spelling, with the device's.</summary>
    public IEnumerable<Setting> Settings()
    {
        yield return new("ssd-max-size", "Largest SSD log in bytes (e.g. 100gb); 0 = the disk. When full, maxmemory-policy applies to the whole store.",
            () => SettingParse.Int(SsdMaxSize), SettingParse.SizeSetter(v => SsdMaxSize = v));
        yield return new("tier-demote-start", "Percent of maxmemory at which background demotion to SSD starts.",
            () => SettingParse.Int(DemoteStartPercent), SettingParse.IntSetter(v => DemoteStartPercent = (int)v, 10, 100));
        yield return new("tier-demote-target", "Percent of maxmemory a demotion round brings hot bytes down to.",
            () => SettingParse.Int(DemoteTargetPercent), SettingParse.IntSetter(v => DemoteTargetPercent = (int)v, 5, 100));
        yield return new("tier-hard-limit", "Percent over maxmemory at which writes wait for demotion.",
            () => SettingParse.Int(HardLimitPercent), SettingParse.IntSetter(v => HardLimitPercent = (int)v, 0, 100));
        yield return new("tier-admission", "Admit a cold key read back to DRAM only if its LFU beats the coldest hot key's.",
            () => SettingParse.Bool(Admission), SettingParse.BoolSetter(v => Admission = v));
        yield return new("tier-compact-start", "Compact when the SSD log exceeds this percent of its live bytes.",
            () => SettingParse.Int(CompactStartPercent), SettingParse.IntSetter(v => CompactStartPercent = (int)v, 110, 1000));
        yield return new("ssd-segment-size-bits", "log2 of one SSD log segment file (28 = 256 MB): compaction frees disk in these steps.",
            () => SettingParse.Int(Log.SegmentSizeBits), SettingParse.IntSetter(v => Log.SegmentSizeBits = (int)v, 22, 40), Mutable: false);
        foreach (Setting s in Log.Device.Settings()) yield return s;
    }
}

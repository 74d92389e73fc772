namespace Tiered.Tiering.Durability;

/// <summary>
/// Settings of durability (the write log and recovery). Defaults live here, in code; each setting's description says
/// what it changes. Redis's names and meanings.
/// </summary>
public sealed class DurabilityOptions
{
    /// <summary>Log every write and recover from the log at start (Redis's appendonly). Default yes.</summary>
    public bool AppendOnly { get; set; } = true;

    /// <summary>When a write is durable: always (before its reply), everysec (within about a second), no (within 30 s).</summary>
    public string AppendFsync { get; set; } = "everysec";

    /// <summary>
    /// Directory of the log. Empty: the server uses the ssd-path directory, else ./data (the engine alone, as in
    /// tests, logs nothing while this is empty).
    /// </summary>
    public string Dir { get; set; } = "";

    /// <summary>RDB snapshot schedule: only "" (no RDB files; the log is the only persistence).</summary>
    public string Save { get; private set; } = "";

    /// <summary>True when writes are logged: appendonly yes and a directory.</summary>
    public bool Enabled => AppendOnly && Dir.Length > 0;

    /// <summary>The fsync policy parsed.</summary>
    public FsyncPolicy Policy => AppendFsync switch
    {
        "always" => FsyncPolicy.Always,
        "no" => FsyncPolicy.No,
        _ => FsyncPolicy.EverySecond,
    };

    /// <summary>The settings above in Redis's spelling.</summary>
    public IEnumerable<Setting> Settings()
    {
        yield return new("appendonly", "Log every write to the SSD log and recover from it at start.", () => SettingParse.Bool(AppendOnly),
            SettingParse.BoolSetter(v => AppendOnly = v), Mutable: false);
        yield return new("appendfsync", "always: reply after the write is on disk (group commit); everysec: commit every second; no: every 30 s.",
            () => AppendFsync, SettingParse.EnumSetter(["always", "everysec", "no"], v => AppendFsync = v));
        yield return new("dir", "Directory of the write log (default: the ssd-path directory, else ./data).", () => Dir,
            s => { Dir = s.Trim().Trim('"'); return null; }, Mutable: false);
        yield return new("save", "RDB snapshots: not supported; the append-only log is the persistence.", () => Save,
            s => s.Trim().Trim('"').Length == 0 ? null : "RDB snapshots are not supported; the append-only log is the persistence",
            Mutable: false);
    }
}

/// <summary>appendfsync.</summary>
public enum FsyncPolicy : byte
{
    EverySecond,
    Always,
    No,
}

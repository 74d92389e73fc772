namespace Tiered.Server.Admin;

/// <summary>
/// The replication settings, in Redis's spelling (<see cref="Settings"/>): whom to replicate at start, how to
/// authenticate to the primary, and what a replica lets clients do. Defaults are Redis 7.0's.
/// </summary>
public sealed class ReplicationOptions
{
    /// <summary>replicaof "host port" from the config file or command line: replicate that primary from the start (null: none).</summary>
    public string? ReplicaOf { get; set; }

    /// <summary>masterauth: the password this replica sends with AUTH to its primary (null: none).</summary>
    public string? MasterAuth { get; set; }

    /// <summary>masteruser: the user AUTH names with masterauth (null: the default user).</summary>
    public string? MasterUser { get; set; }

    /// <summary>replica-read-only: a replica refuses clients' writes with -READONLY.</summary>
    public bool ReplicaReadOnly { get; set; } = true;

    /// <summary>replica-priority: reported in INFO; sentinel promotes lower first, 0 never.</summary>
    public int ReplicaPriority { get; set; } = 100;

    /// <summary>replica-serve-stale-data: with its link down, a replica still answers (no: -MASTERDOWN to commands without the stale flag).</summary>
    public bool ReplicaServeStaleData { get; set; } = true;

    /// <summary>min-replicas-to-write: a primary refuses writes (-NOREPLICAS) with fewer good replicas than this (0: off).</summary>
    public int MinReplicasToWrite { get; set; }

    /// <summary>min-replicas-max-lag: seconds since its last ACK within which a replica counts as good.</summary>
    public int MinReplicasMaxLag { get; set; } = 10;

    /// <summary>repl-backlog-size: stream bytes kept so a replica whose link dropped can continue (PSYNC).</summary>
    public long BacklogSize { get; set; } = 1024 * 1024;

    /// <summary>The settings above.</summary>
    public IEnumerable<Setting> Settings()
    {
        foreach (string name in (string[])["replicaof", "slaveof"])
            yield return new(name, "Replicate this primary (\"host port\") from the start; REPLICAOF changes it at run time.", () => "",
                v => { ReplicaOf = v.Length == 0 ? null : v; return v.Length == 0 || Parse(v, out _, out _) ? null : "Invalid master port"; }, Mutable: false);
        yield return new("masterauth", "Password sent to the primary with AUTH.", () => MasterAuth ?? "",
            v => { MasterAuth = v.Length == 0 ? null : v; return null; });
        yield return new("masteruser", "User named to the primary with AUTH (with masterauth).", () => MasterUser ?? "",
            v => { MasterUser = v.Length == 0 ? null : v; return null; });
        foreach (string name in (string[])["replica-read-only", "slave-read-only"])
            yield return new(name, "A replica refuses clients' writes with -READONLY.", () => SettingParse.Bool(ReplicaReadOnly),
                SettingParse.BoolSetter(v => ReplicaReadOnly = v));
        foreach (string name in (string[])["replica-serve-stale-data", "slave-serve-stale-data"])
            yield return new(name, "With its link down a replica still answers (no: -MASTERDOWN).", () => SettingParse.Bool(ReplicaServeStaleData),
                SettingParse.BoolSetter(v => ReplicaServeStaleData = v));
        foreach (string name in (string[])["min-replicas-to-write", "min-slaves-to-write"])
            yield return new(name, "A primary refuses writes with fewer good replicas than this (0: off).", () => SettingParse.Int(MinReplicasToWrite),
                SettingParse.IntSetter(v => MinReplicasToWrite = (int)v, 0, int.MaxValue));
        foreach (string name in (string[])["min-replicas-max-lag", "min-slaves-max-lag"])
            yield return new(name, "Seconds since its last ACK within which a replica counts as good.", () => SettingParse.Int(MinReplicasMaxLag),
                SettingParse.IntSetter(v => MinReplicasMaxLag = (int)v, 0, int.MaxValue));
        yield return new("repl-backlog-size", "Stream bytes kept so a replica whose link dropped can continue.", () => SettingParse.Int(BacklogSize),
            SettingParse.SizeSetter(v => BacklogSize = v, 16 * 1024));
        foreach (string name in (string[])["replica-priority", "slave-priority"])
            yield return new(name, "Sentinel promotes replicas of lower priority first; 0 never.", () => SettingParse.Int(ReplicaPriority),
                SettingParse.IntSetter(v => ReplicaPriority = (int)v, 0, int.MaxValue));
    }

    /// <summary>Splits "host port".</summary>
    public static bool Parse(string value, out string host, out int port)
    {
        string[] parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        host = parts.Length == 2 ? parts[0] : "";
        port = 0;
        return parts.Length == 2 && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
            && port is > 0 and < 65536;
    }
}

using Tiered.Tiering;

namespace Tiered.Server.Persistence;

/// <summary>
/// Settings of persistence. Nothing is persisted yet: the settings exist so tools that read them (redis-benchmark
/// reads <c>save</c> and <c>appendonly</c> at start) see Redis's answer for a server that does not save, and so a
/// config file that asks for persistence fails loudly instead of being ignored.
///
/// Shared state rule: the values cannot change (the setters accept only the defaults), so any thread may read them.
/// </summary>
public sealed class PersistenceOptions
{
    /// <summary>RDB snapshot schedule; always empty (no snapshots).</summary>
    public string Save { get; private set; } = "";

    /// <summary>Whether the append-only log is on; always false for now.</summary>
    public bool AppendOnly { get; private set; }

    /// <summary>The settings above in Redis's spelling.</summary>
    public IEnumerable<Setting> Settings()
    {
        yield return new("save", "RDB snapshots: not supported; persistence comes with the append-only log.", () => Save,
            s => s.Trim().Trim('"').Length == 0 ? null : "RDB snapshots are not supported; persistence comes with the append-only log",
            Mutable: false);
        yield return new("appendonly", "Append-only log: not yet implemented.", () => SettingParse.Bool(AppendOnly),
            s => !SettingParse.TryParseBool(s, out bool v) ? "argument must be 'yes' or 'no'"
                : v ? "the append-only log is not implemented yet" : null,
            Mutable: false);
    }
}

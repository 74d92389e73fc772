namespace Tiered.Server.Admin;

/// <summary>
/// All settings of all components, by name, for the command line, the config file, environment variables and
/// CONFIG GET/SET. Components own their settings (see <see cref="ServerOptions.Settings"/> and
/// <see cref="EngineOptions.Settings"/>); this class only collects them.
/// </summary>
public sealed class ConfigRegistry
{
    private readonly SortedDictionary<string, Setting> _settings = new(StringComparer.OrdinalIgnoreCase);

    public ConfigRegistry(ServerOptions server, EngineOptions engine)
    {
        foreach (Setting s in server.Settings()) _settings.Add(s.Name, s);
        foreach (Setting s in engine.Settings()) _settings.Add(s.Name, s);
    }

    public IEnumerable<Setting> All => _settings.Values;

    public Setting? Find(string name) => _settings.TryGetValue(name, out Setting? s) ? s : null;

    /// <summary>Applies a value at startup (immutable settings allowed). Returns null or the error.</summary>
    public string? Apply(string name, string value)
    {
        Setting? s = Find(name);
        if (s is null) return $"Bad directive or wrong number of arguments: unknown setting '{name}'";
        return s.Set(value);
    }
}

using System.Globalization;

namespace Tiered.LoadGen.Cli;

/// <summary>
/// A small "--name value" / "--name=value" / "--flag" option reader shared by the subcommands, with the parsers
/// for durations (30s, 500ms, 2m), counts with k/m suffixes (100k) and ratios. Errors are <see cref="UsageException"/>.
/// </summary>
public sealed class ArgReader
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public ArgReader(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new UsageException($"unexpected argument '{a}'");
            string name = a[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (!flags.Contains(name))
            {
                if (i + 1 >= list.Count)
                    throw new UsageException($"option --{name} needs a value");
                value = list[++i];
            }
            _options[name] = value;
        }
    }

    public bool Has(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    public string? Get(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out string? v) ? v : null;
    }

    public string GetString(string name, string fallback) => Get(name) ?? fallback;

    public bool Flag(string name)
    {
        string? v = Get(name);
        if (!_options.ContainsKey(name))
            return false;
        return v is null || v is "1" or "true" or "yes";
    }

    public T Parse<T>(string name, T fallback, Func<string, T> parser)
    {
        string? v = Get(name);
        if (v is null)
            return fallback;
        try
        {
            return parser(v);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--{name}: {e.Message}");
        }
    }

    /// <summary>Throws when an option was given that no one asked about (a typo).</summary>
    public void RejectUnknown()
    {
        string? unknown = _options.Keys.FirstOrDefault(k => !_used.Contains(k));
        if (unknown is not null)
            throw new UsageException($"unknown option --{unknown}");
    }

    public static TimeSpan ParseDuration(string s)
    {
        s = s.Trim().ToLowerInvariant();
        (string num, double scale) = s switch
        {
            _ when s.EndsWith("ms", StringComparison.Ordinal) => (s[..^2], 0.001),
            _ when s.EndsWith('s') => (s[..^1], 1.0),
            _ when s.EndsWith('m') => (s[..^1], 60.0),
            _ when s.EndsWith('h') => (s[..^1], 3600.0),
            _ => (s, 1.0),
        };
        if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || v < 0 || double.IsInfinity(v))
            throw new FormatException($"bad duration '{s}' (examples: 30s, 500ms, 2m)");
        return TimeSpan.FromSeconds(v * scale);
    }

    public static double ParseNumber(string s)
    {
        s = s.Trim().ToLowerInvariant();
        double scale = 1;
        if (s.EndsWith('k')) { scale = 1e3; s = s[..^1]; }
        else if (s.EndsWith('m')) { scale = 1e6; s = s[..^1]; }
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || double.IsNaN(v) || double.IsInfinity(v))
            throw new FormatException($"bad number '{s}'");
        return v * scale;
    }

    public static long ParseCount(string s)
    {
        double v = ParseNumber(s);
        if (v != Math.Floor(v) || v < 0 || v > long.MaxValue / 2)
            throw new FormatException($"bad count '{s}'");
        return (long)v;
    }
}

/// <summary>A command-line mistake: reported with the usage text and exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

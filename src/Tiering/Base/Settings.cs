namespace Tiered.Tiering.Base;

/// <summary>
/// One configuration setting, in Redis's spelling (<c>maxmemory</c>, <c>maxmemory-policy</c>...). Each component's
/// options class declares its own settings next to the properties they change, so adding a setting touches one
/// file; the server collects them for the command line, the config file, environment variables and CONFIG GET/SET.
/// </summary>
/// <param name="Name">Lower-case name as in redis.conf.</param>
/// <param name="Description">What the setting changes.</param>
/// <param name="Get">The current value, formatted as CONFIG GET shows it.</param>
/// <param name="Set">Parses and applies a value; returns null on success or the error text.</param>
/// <param name="Mutable">Whether CONFIG SET may change it while the server runs.</param>
public sealed record Setting(string Name, string Description, Func<string> Get, Func<string, string?> Set, bool Mutable = true);

/// <summary>Parsers for setting values, with Redis's rules.</summary>
public static class SettingParse
{
    /// <summary>
    /// Parses a memory size like Redis's memtoll: a bare number of bytes, or a number followed by
    /// k/kb/m/mb/g/gb (case-insensitive; k = 1000, kb = 1024, and so on).
    /// </summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        string s = text.Trim().ToLowerInvariant();
        long mul = 1;
        string[] units = ["gb", "mb", "kb", "g", "m", "k", "b"];
        long[] muls = [1L << 30, 1L << 20, 1L << 10, 1_000_000_000, 1_000_000, 1000, 1];
        for (int i = 0; i < units.Length; i++)
        {
            if (s.EndsWith(units[i], StringComparison.Ordinal))
            {
                mul = muls[i];
                s = s[..^units[i].Length];
                break;
            }
        }
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long n)) return false;
        if (n > long.MaxValue / mul) return false;
        bytes = n * mul;
        return true;
    }

    /// <summary>Parses yes/no.</summary>
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "yes": value = true; return true;
            case "no": value = false; return true;
            default: value = false; return false;
        }
    }

    public static string Bool(bool v) => v ? "yes" : "no";

    public static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A setter for a size in bytes with a lower bound.</summary>
    public static Func<string, string?> SizeSetter(Action<long> apply, long min = 0) => s =>
    {
        if (!TryParseSize(s, out long v) || v < min) return "argument must be a memory value";
        apply(v);
        return null;
    };

    /// <summary>A setter for an integer in [min, max].</summary>
    public static Func<string, string?> IntSetter(Action<long> apply, long min, long max) => s =>
    {
        if (!long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return "argument couldn't be parsed into an integer";
        if (v < min || v > max) return $"argument must be between {min} and {max} inclusive";
        apply(v);
        return null;
    };

    /// <summary>A setter for yes/no.</summary>
    public static Func<string, string?> BoolSetter(Action<bool> apply) => s =>
    {
        if (!TryParseBool(s, out bool v)) return "argument must be 'yes' or 'no'";
        apply(v);
        return null;
    };

    /// <summary>A setter for one of a fixed set of words.</summary>
    public static Func<string, string?> EnumSetter(string[] allowed, Action<string> apply) => s =>
    {
        string v = s.Trim().ToLowerInvariant();
        if (Array.IndexOf(allowed, v) < 0) return "argument(s) must be one of the following: " + string.Join(", ", allowed);
        apply(v);
        return null;
    };
}

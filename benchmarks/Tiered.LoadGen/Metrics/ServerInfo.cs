using System.Globalization;

namespace Tiered.LoadGen.Metrics;

/// <summary>
/// Parses INFO text ("field:value" lines, "# Section" headers) and computes the before/after delta of the counters
/// the load generator reports. Fields a server does not have (redis-server has no tier_* fields) are simply omitted.
/// </summary>
public static class ServerInfo
{
    /// <summary>Counters reported as deltas when both snapshots have them, in report order.</summary>
    public static readonly string[] DeltaFields =
    [
        "keyspace_hits", "keyspace_misses",
        "tier_hot_hits", "tier_cold_hits", "tier_misses", "tier_promotions", "tier_demotions",
        "tier_ssd_read_bytes", "tier_ssd_write_bytes",
    ];

    public static Dictionary<string, string> Parse(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
                continue;
            int colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            fields[line[..colon]] = line[(colon + 1)..];
        }
        return fields;
    }

    /// <summary>after - before for each of <see cref="DeltaFields"/> present and numeric in both.</summary>
    public static Dictionary<string, double> Delta(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        var delta = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string f in DeltaFields)
        {
            if (before.TryGetValue(f, out string? b) && after.TryGetValue(f, out string? a)
                && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out double bv)
                && double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out double av))
            {
                delta[f] = av - bv;
            }
        }
        return delta;
    }

    /// <summary>tier_hot_hits / (tier_hot_hits + tier_cold_hits + tier_misses) from a delta; null without tier fields or traffic.</summary>
    public static double? HotHitRatio(IReadOnlyDictionary<string, double> delta)
    {
        if (!delta.TryGetValue("tier_hot_hits", out double hot))
            return null;
        double total = hot + delta.GetValueOrDefault("tier_cold_hits") + delta.GetValueOrDefault("tier_misses");
        return total > 0 ? hot / total : null;
    }
}

namespace Tiered.LoadGen.Keys;

/// <summary>
/// The parsed <c>--dist</c> option: uniform, zipf:S, hotspot:OPS/KEYS (or OPS:KEYS) or sequential. It is a plain description
/// (serialised into results as its <see cref="Spec"/>); <see cref="CreateSampler"/> makes the per-connection sampler.
/// </summary>
public sealed record KeyDistribution
{
    public enum DistributionKind { Uniform, Zipf, Hotspot, Sequential }

    public required DistributionKind Kind { get; init; }

    /// <summary>Zipf exponent s (weight of rank k is 1/k^s).</summary>
    public double ZipfExponent { get; init; }

    /// <summary>Hotspot: fraction of operations that go to the hot keys (0.9 for "90/10").</summary>
    public double HotOpsFraction { get; init; }

    /// <summary>Hotspot: fraction of the key space that is hot (0.1 for "90/10").</summary>
    public double HotKeysFraction { get; init; }

    public static KeyDistribution Uniform { get; } = new() { Kind = DistributionKind.Uniform };

    /// <summary>The canonical option text, e.g. "zipf:0.99".</summary>
    public string Spec => Kind switch
    {
        DistributionKind.Zipf => FormattableString.Invariant($"zipf:{ZipfExponent}"),
        DistributionKind.Hotspot => FormattableString.Invariant($"hotspot:{HotOpsFraction * 100}/{HotKeysFraction * 100}"),
        DistributionKind.Sequential => "sequential",
        _ => "uniform",
    };

    public override string ToString() => Spec;

    public static KeyDistribution Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "uniform")
            return Uniform;
        if (t == "sequential")
            return new KeyDistribution { Kind = DistributionKind.Sequential };
        if (t.StartsWith("zipf", StringComparison.Ordinal))
        {
            double s = 0.99;
            if (t.Length > 4)
            {
                if (t[4] != ':' || !double.TryParse(t.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture, out s) || s <= 0 || s > 10)
                    throw new FormatException($"bad zipf distribution '{text}': expected zipf:S with 0 < S <= 10");
            }
            return new KeyDistribution { Kind = DistributionKind.Zipf, ZipfExponent = s };
        }
        if (t.StartsWith("hotspot:", StringComparison.Ordinal))
        {
            string[] parts = t[8..].Split('/', ':');
            if (parts.Length == 2
                && double.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out double ops)
                && double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out double keys)
                && ops > 0 && ops <= 100 && keys > 0 && keys < 100)
            {
                return new KeyDistribution { Kind = DistributionKind.Hotspot, HotOpsFraction = ops / 100, HotKeysFraction = keys / 100 };
            }
            throw new FormatException($"bad hotspot distribution '{text}': expected hotspot:OPS/KEYS (or OPS:KEYS) in percent, e.g. hotspot:90/10");
        }
        throw new FormatException($"unknown distribution '{text}': use uniform, zipf:0.99, hotspot:90/10 or sequential");
    }

    /// <summary>
    /// A sampler for connection <paramref name="index"/> of <paramref name="count"/>. Random samplers are seeded from
    /// (seed, index); the sequential one walks index, index+count, ... so the connections together cover every key once.
    /// </summary>
    public KeySampler CreateSampler(long keyCount, ulong seed, int index, int count)
    {
        var rng = new SplitMix64(seed * 0x9E3779B97F4A7C15UL + (ulong)index + 1);
        return Kind switch
        {
            DistributionKind.Zipf => new ZipfSampler(keyCount, ZipfExponent, rng),
            DistributionKind.Hotspot => new HotspotSampler(keyCount, HotOpsFraction, HotKeysFraction, rng),
            DistributionKind.Sequential => new SequentialSampler(keyCount, index, count),
            _ => new UniformSampler(keyCount, rng),
        };
    }
}

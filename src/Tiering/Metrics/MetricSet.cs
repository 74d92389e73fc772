namespace Tiered.Tiering.Metrics;

/// <summary>Whether a metric only grows (a count of events since start) or goes up and down (a level).</summary>
public enum MetricKind : byte
{
    /// <summary>Monotonic: events since start (an observable counter in the meter).</summary>
    Counter,
    /// <summary>A level now (an observable gauge in the meter).</summary>
    Gauge,
}

/// <summary>
/// One metric, declared once with its name, kind, unit and description. INFO prints it as <c>name:value</c>; the
/// meter exports it under <see cref="InstrumentName"/> (the name with its first '_' a '.', e.g. <c>tier_hot_hits</c>
/// is <c>tier.hot_hits</c>). A metric is an integer, or a real printed with <see cref="Format"/>.
/// </summary>
/// <remarks>
/// Shared state rule: immutable. Its reader runs under the store lock for INFO and without it for the meter, so a
/// reader reads what a torn read cannot corrupt (one 64-bit field, or a value computed from such fields).
/// </remarks>
public sealed class Metric
{
    private readonly Func<long>? _integer;
    private readonly Func<double>? _real;

    internal Metric(string name, MetricKind kind, string description, string? unit, Func<long>? integer, Func<double>? real, string? format)
    {
        Name = name;
        Kind = kind;
        Description = description;
        Unit = unit;
        _integer = integer;
        _real = real;
        Format = format;
        int dot = name.IndexOf('_');
        InstrumentName = dot < 0 ? name : string.Concat(name.AsSpan(0, dot), ".", name.AsSpan(dot + 1));
    }

    /// <summary>The INFO field name.</summary>
    public string Name { get; }

    /// <summary>The meter's instrument name.</summary>
    public string InstrumentName { get; }

    public MetricKind Kind { get; }

    /// <summary>What it counts or measures, for dotnet-counters and the docs.</summary>
    public string Description { get; }

    /// <summary>UCUM unit ("By" for bytes), or null for a plain count or ratio.</summary>
    public string? Unit { get; }

    /// <summary>True for an integer metric (<see cref="ReadInteger"/>), false for a real (<see cref="ReadReal"/>).</summary>
    public bool IsInteger => _integer is not null;

    /// <summary>The .NET format INFO prints a real with ("F2", "F4").</summary>
    public string? Format { get; }

    public long ReadInteger() => _integer!();

    public double ReadReal() => _real!();
}

/// <summary>
/// A component's metrics, in the order INFO prints them: the one registry from which both its INFO section and its
/// System.Diagnostics.Metrics instruments (<see cref="MetricMeter"/>) are produced, so the two never disagree.
/// </summary>
public sealed class MetricSet(string section)
{
    private readonly List<Metric> _all = [];

    /// <summary>The INFO section's title (e.g. "Tiering").</summary>
    public string Section => section;

    /// <summary>Every metric, in declaration order.</summary>
    public IReadOnlyList<Metric> All => _all;

    /// <summary>Declares a monotonic integer.</summary>
    public MetricSet Counter(string name, Func<long> read, string description, string? unit = null)
        => Add(new Metric(name, MetricKind.Counter, description, unit, read, null, null));

    /// <summary>Declares an integer level.</summary>
    public MetricSet Gauge(string name, Func<long> read, string description, string? unit = null)
        => Add(new Metric(name, MetricKind.Gauge, description, unit, read, null, null));

    /// <summary>Declares a real level, printed in INFO with <paramref name="format"/>.</summary>
    public MetricSet Gauge(string name, Func<double> read, string format, string description)
        => Add(new Metric(name, MetricKind.Gauge, description, null, null, read, format));

    private MetricSet Add(Metric m)
    {
        _all.Add(m);
        return this;
    }
}

using System.Diagnostics.Metrics;

namespace Tiered.Tiering.Metrics;

/// <summary>
/// Exports a <see cref="MetricSet"/> through System.Diagnostics.Metrics, one observable instrument per metric, so
/// <c>dotnet-counters monitor -n tiered-server --counters Tiered.Tiering</c> shows the INFO fields live. Instruments
/// read their metric when a listener asks, without the store lock (see <see cref="Metric"/>'s rule).
/// </summary>
public sealed class MetricMeter : IDisposable
{
    private readonly Meter _meter;

    /// <summary>The meter itself (tests: to tell this store's instruments from another's of the same name).</summary>
    internal Meter Instance => _meter;

    public MetricMeter(string meterName, MetricSet set)
    {
        _meter = new Meter(meterName, "1.0");
        foreach (Metric m in set.All)
        {
            if (!m.IsInteger) _meter.CreateObservableGauge(m.InstrumentName, m.ReadReal, m.Unit, m.Description);
            else if (m.Kind == MetricKind.Counter) _meter.CreateObservableCounter(m.InstrumentName, m.ReadInteger, m.Unit, m.Description);
            else _meter.CreateObservableGauge(m.InstrumentName, m.ReadInteger, m.Unit, m.Description);
        }
    }

    public void Dispose() => _meter.Dispose();
}

using System.Diagnostics.Metrics;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Metrics;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests.Metrics;

public sealed class MetricRegistryTests
{
    [Fact]
    public void TheMeterExportsEveryDeclaredMetricWithItsKindUnitAndDescription()
    {
        using var store = new Store(new EngineOptions());
        var published = new Dictionary<string, Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, store.Meter.Instance)) published[instrument.Name] = instrument;
            },
        };
        listener.Start();
        Assert.Equal(store.Metrics.All.Count, published.Count);
        foreach (Metric m in store.Metrics.All)
        {
            Instrument i = published[m.InstrumentName];
            Assert.Equal(m.Description, i.Description);
            Assert.Equal(m.Unit, i.Unit);
            string kind = i.GetType().Name;
            Assert.StartsWith(m.Kind == MetricKind.Counter ? "ObservableCounter" : "ObservableGauge", kind);
        }
    }

    [Fact]
    public void AnInstrumentReportsWhatItsMetricReads()
    {
        using var store = new Store(new EngineOptions());
        lock (store.Lock)
        {
            StringOps.Set(store.Databases[0], "k"u8, "v"u8);
            StringOps.Get(store.Databases[0], "k"u8, out _);
            StringOps.Get(store.Databases[0], "missing"u8, out _);
        }
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, store.Meter.Instance)) l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => seen[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(1, seen["tier.hot_hits"]);
        Assert.Equal(1, seen["tier.misses"]);
        Assert.Equal(1, seen["tier.hot_keys"]);
        Assert.Equal(store.UsedMemory, seen["tier.hot_bytes"]);
        Assert.Equal(0, seen["tiering.enabled"]);
    }
}

using System.Diagnostics.Metrics;
using Tiered.Tiering.Metrics;

namespace Tiered.Tiering.Engine;

/// <summary>
/// Exports the tiering metrics through System.Diagnostics.Metrics, meter <c>Tiered.Tiering</c>, so
/// <c>dotnet-counters monitor -n tiered-server --counters Tiered.Tiering</c> shows them live. The instruments are the
/// INFO <c># Tiering</c> fields under the same names (dots for underscores); each is declared once, here, with its
/// description. Observable instruments read the counters when a listener asks, without the store lock: each value is
/// one 64-bit read, so a listener may see counters of slightly different instants, never a torn number.
/// </summary>
public sealed class TierMeter : IDisposable
{
    /// <summary>The meter's name (what dotnet-counters is told to watch).</summary>
    public const string Name = "Tiered.Tiering";

    private readonly Meter _meter = new(Name, "1.0");

    public TierMeter(Store store)
    {
        TierStats t = store.TierStats;
        Counter("tier.hot_hits", () => t.HotHits, "Lookups that found their key in DRAM.");
        Counter("tier.cold_hits", () => t.ColdHits, "Lookups that read their key from the SSD log.");
        Counter("tier.misses", () => t.Misses, "Lookups of keys that do not exist.");
        Counter("tier.promotions", () => t.Promotions, "Cold keys read and kept in DRAM.");
        Counter("tier.rejected_promotions", () => t.RejectedPromotions, "Cold keys read and left cold by the admission filter.");
        Counter("tier.demotions", () => t.Demotions, "Hot keys moved to the SSD log.");
        Counter("tier.recycled_arrays", () => t.RecycledArrays, "Key and value arrays of promotions taken from demoted keys instead of allocated.");
        Counter("tier.ssd_read_items", () => Volatile.Read(ref t.SsdReadItems), "Records read from the SSD log.");
        Counter("tier.ssd_read_bytes", () => Volatile.Read(ref t.SsdReadBytes), "Bytes read from the SSD log.", "By");
        Counter("tier.ssd_write_items", () => Volatile.Read(ref t.SsdWriteItems), "Records appended to the SSD log.");
        Counter("tier.ssd_write_bytes", () => Volatile.Read(ref t.SsdWriteBytes), "Bytes appended to the SSD log.", "By");
        Counter("tier.ssd_aio_reads", () => store.Cold?.AsyncReadStats.Reads ?? 0, "Cold reads submitted through native AIO.");
        Counter("tier.ssd_aio_submits", () => store.Cold?.AsyncReadStats.SubmitCalls ?? 0, "io_submit calls carrying cold reads (reads per call: the batch).");
        Counter("tier.compactions", () => t.Compactions, "Compaction passes completed.");
        Gauge("tier.cold_logical_bytes", () => t.ColdLogicalBytes, "Uncompressed bytes of the cold values.", "By");
        Gauge("tier.cold_stored_bytes", () => t.ColdStoredBytes, "Bytes of the log records holding cold values.", "By");
        Gauge("tier.hot_bytes", () => store.UsedMemory, "Estimated DRAM bytes of hot keys and values (the maxmemory budget).", "By");
        Gauge("tier.recycled_bytes", () => store.Cold?.RecycledBytes ?? 0, "DRAM bytes of demoted keys' arrays held for the next promotions (beside tier.hot_bytes).", "By");
        Gauge("tier.ssd_log_bytes", () => store.Cold?.LogBytes ?? 0, "Bytes of the SSD log.", "By");
        _meter.CreateObservableGauge("tier.hot_hit_ratio", () => t.HotHitRatio, description: "Hot hits over all hits.");
        _meter.CreateObservableGauge("tier.compression_ratio", () => t.CompressionRatio, description: "Logical over stored bytes of cold values.");
    }

    private void Counter(string name, Func<long> read, string description, string? unit = null)
        => _meter.CreateObservableCounter(name, read, unit, description);

    private void Gauge(string name, Func<long> read, string description, string? unit = null)
        => _meter.CreateObservableGauge(name, read, unit, description);

    public void Dispose() => _meter.Dispose();
}

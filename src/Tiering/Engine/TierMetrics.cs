using Tiered.Tiering.Metrics;

namespace Tiered.Tiering.Engine;

/// <summary>
/// The tiering metrics of a store, each declared once (name, kind, unit, description, how it is read), in the order
/// of INFO's <c># Tiering</c> section; the meter <c>Tiered.Tiering</c> exports the same set.
/// </summary>
internal static class TierMetrics
{
    /// <summary>The meter's name (what dotnet-counters is told to watch).</summary>
    public const string MeterName = "Tiered.Tiering";

    public static MetricSet Declare(Store store)
    {
        TierStats t = store.TierStats;
        return new MetricSet("Tiering")
            .Gauge("tiering_enabled", () => store.Cold is null ? 0 : 1, "1 with an SSD tier (ssd-path), else 0.")
            .Gauge("tier_hot_keys", store.HotKeys, "Keys whose value is in DRAM.")
            .Gauge("tier_cold_keys", () => store.TotalKeys() - store.HotKeys(), "Keys whose value is only in the SSD log.")
            .Gauge("tier_hot_bytes", () => store.UsedMemory, "Estimated DRAM bytes of hot keys and values (the maxmemory budget).", "By")
            .Gauge("tier_index_bytes", store.IndexBytes, "DRAM bytes of the key indexes (entries, hot items, buckets).", "By")
            .Gauge("tier_cold_logical_bytes", () => Volatile.Read(ref t.ColdLogicalBytes), "Uncompressed bytes of the cold values.", "By")
            .Gauge("tier_cold_stored_bytes", () => Volatile.Read(ref t.ColdStoredBytes), "Bytes of the log records holding cold values.", "By")
            .Gauge("tier_compression_ratio", () => t.CompressionRatio, "F2", "Logical over stored bytes of cold values.")
            .Counter("tier_hot_hits", () => Volatile.Read(ref t.HotHits), "Lookups that found their key in DRAM.")
            .Counter("tier_cold_hits", () => Volatile.Read(ref t.ColdHits), "Lookups that read their key from the SSD log.")
            .Counter("tier_misses", () => Volatile.Read(ref t.Misses), "Lookups of keys that do not exist.")
            .Gauge("tier_hot_hit_ratio", () => t.HotHitRatio, "F4", "Hot hits over all hits.")
            .Counter("tier_promotions", () => Volatile.Read(ref t.Promotions), "Cold keys read and kept in DRAM.")
            .Counter("tier_rejected_promotions", () => Volatile.Read(ref t.RejectedPromotions), "Cold keys read and left cold by the admission filter.")
            .Counter("tier_demotions", () => Volatile.Read(ref t.Demotions), "Hot keys moved to the SSD log.")
            .Counter("tier_recycled_arrays", () => Volatile.Read(ref t.RecycledArrays), "Key and value arrays of promotions taken from demoted keys instead of allocated.")
            .Gauge("tier_recycled_bytes", () => store.Cold?.RecycledBytes ?? 0, "DRAM bytes of demoted keys' arrays held for the next promotions (beside tier_hot_bytes).", "By")
            .Counter("tier_demotion_stalls", () => Volatile.Read(ref t.DemotionStalls), "Writes that waited for a demotion round (DRAM over the hard limit).")
            .Counter("tier_folded_chains", () => Volatile.Read(ref t.FoldedChains), "Chains of operation records compaction folded into one snapshot.")
            .Counter("tier_ssd_read_items", () => Volatile.Read(ref t.SsdReadItems), "Records read from the SSD log.")
            .Counter("tier_ssd_read_bytes", () => Volatile.Read(ref t.SsdReadBytes), "Bytes read from the SSD log.", "By")
            .Counter("tier_sync_reads", () => Volatile.Read(ref t.SyncReads), "Log reads made synchronously under the store lock (a key the command did not declare).")
            .Counter("tier_ssd_aio_reads", () => store.Cold?.AsyncReadStats.Reads ?? 0, "Cold reads submitted through native AIO.")
            .Counter("tier_ssd_aio_submits", () => store.Cold?.AsyncReadStats.SubmitCalls ?? 0, "io_submit calls carrying cold reads (reads per call: the batch).")
            .Counter("tier_ssd_write_items", () => Volatile.Read(ref t.SsdWriteItems), "Records appended to the SSD log.")
            .Counter("tier_ssd_write_bytes", () => Volatile.Read(ref t.SsdWriteBytes), "Bytes appended to the SSD log.", "By")
            .Gauge("tier_ssd_log_bytes", () => store.Cold?.LogBytes ?? 0, "Bytes of the SSD log.", "By")
            .Gauge("tier_ssd_live_bytes", () => Volatile.Read(ref t.LiveRecordBytes), "Bytes of log records some key still points at (cold keys and clean hot keys): what compaction keeps.", "By")
            .Gauge("tier_ssd_full", () => store.Cold is { SsdFull: true } ? 1 : 0, "1 when the log reached ssd-max-size or the disk refused a write: demotion stops.")
            .Counter("tier_compactions", () => Volatile.Read(ref t.Compactions), "Compaction passes completed.")
            .Counter("tier_compacted_records", () => Volatile.Read(ref t.CompactedRecords), "Live records copied forward by compaction.")
            .Counter("tier_compacted_bytes", () => Volatile.Read(ref t.CompactedBytes), "Bytes of log compaction freed at its head.", "By");
    }
}

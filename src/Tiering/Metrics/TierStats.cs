namespace Tiered.Tiering.Metrics;

/// <summary>
/// The tiering counters and gauges: what INFO's <c># Tiering</c> section and the <c>Tiered.Tiering</c> meter report.
///
/// Gauges (hot/cold key counts, cold bytes, live log bytes) follow the data and are never reset; counters (hits,
/// promotions, SSD traffic...) count events since start or the last CONFIG RESETSTAT.
///
/// Shared state rule: changed only under the store lock (DramState.Lock), except the <c>Ssd*</c> read counters, which the
/// I/O completion threads add to with <see cref="Interlocked"/>. Readers take the lock (INFO) or accept a torn
/// snapshot of independent 64-bit counters (the meter's observable callbacks).
/// </summary>
public sealed class TierStats
{
    // ---- gauges ----

    /// <summary>Uncompressed bytes of the values of cold keys (tier_cold_logical_bytes).</summary>
    public long ColdLogicalBytes;
    /// <summary>Bytes of the log records holding the values of cold keys (tier_cold_stored_bytes).</summary>
    public long ColdStoredBytes;
    /// <summary>Bytes of log records some key still points at (cold keys and clean hot keys): compaction's "live".</summary>
    public long LiveRecordBytes;

    // ---- counters (CONFIG RESETSTAT zeroes these) ----

    /// <summary>Lookups that found their key hot (tier_hot_hits).</summary>
    public long HotHits;
    /// <summary>Lookups that found their key cold and read it from the log (tier_cold_hits).</summary>
    public long ColdHits;
    /// <summary>Lookups of keys that do not exist (tier_misses).</summary>
    public long Misses;
    /// <summary>Cold keys read and admitted to DRAM (tier_promotions).</summary>
    public long Promotions;
    /// <summary>Cold keys read, served, and left cold by the admission filter (tier_rejected_promotions).</summary>
    public long RejectedPromotions;
    /// <summary>Hot keys made cold (tier_demotions).</summary>
    public long Demotions;
    /// <summary>Key and value arrays of promotions that demoted keys' arrays served, not the GC (tier_recycled_arrays).</summary>
    public long RecycledArrays;
    /// <summary>Records read from the log (tier_ssd_read_items).</summary>
    public long SsdReadItems;
    /// <summary>Bytes read from the log (tier_ssd_read_bytes).</summary>
    public long SsdReadBytes;
    /// <summary>Log reads made synchronously under the store lock (a key the command did not declare).</summary>
    public long SyncReads;
    /// <summary>Records appended to the log (tier_ssd_write_items).</summary>
    public long SsdWriteItems;
    /// <summary>Bytes appended to the log (tier_ssd_write_bytes).</summary>
    public long SsdWriteBytes;
    /// <summary>Compaction passes completed (tier_compactions).</summary>
    public long Compactions;
    /// <summary>Live records copied forward by compaction.</summary>
    public long CompactedRecords;
    /// <summary>Bytes freed at the head of the log by compaction.</summary>
    public long CompactedBytes;
    /// <summary>Writes that waited for a demotion round because DRAM was over its hard limit.</summary>
    public long DemotionStalls;
    /// <summary>Chains of operation records that compaction wrote again as one PUT (tier_folded_chains).</summary>
    public long FoldedChains;

    /// <summary>Hot hits over all lookups that found their key (0 when there were none).</summary>
    public double HotHitRatio
    {
        get
        {
            long hits = HotHits + ColdHits;
            return hits == 0 ? 0 : (double)HotHits / hits;
        }
    }

    /// <summary>Logical over stored bytes of the cold values (1 when there are none).</summary>
    public double CompressionRatio => ColdStoredBytes == 0 ? 1 : (double)ColdLogicalBytes / ColdStoredBytes;

    internal void ColdAdded(int stored, int logical)
    {
        ColdStoredBytes += stored;
        ColdLogicalBytes += logical;
        LiveRecordBytes += stored;
    }

    internal void ColdRemoved(int stored, int logical)
    {
        ColdStoredBytes -= stored;
        ColdLogicalBytes -= logical;
        LiveRecordBytes -= stored;
    }

    /// <summary>A hot key keeps (or gets) a record as its clean copy.</summary>
    internal void KeepRecord(long stored) => LiveRecordBytes += stored;

    /// <summary>A hot key's record stopped being its copy (written, or deleted).</summary>
    internal void DropRecord(long stored) => LiveRecordBytes -= stored;

    /// <summary>CONFIG RESETSTAT: zeroes the counters; the gauges stay.</summary>
    public void Reset()
    {
        HotHits = ColdHits = Misses = 0;
        Promotions = RejectedPromotions = Demotions = RecycledArrays = 0;
        Interlocked.Exchange(ref SsdReadItems, 0);
        Interlocked.Exchange(ref SsdReadBytes, 0);
        SyncReads = SsdWriteItems = SsdWriteBytes = 0;
        Compactions = CompactedRecords = CompactedBytes = DemotionStalls = FoldedChains = 0;
    }
}

using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;
using Tiered.Tiering.Movement;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests.Tiering;

/// <summary>The tier gauges follow the data exactly; counters count events and are reset by CONFIG RESETSTAT.</summary>
public class TierMetricsTests
{
    /// <summary>
    /// Recomputes the gauges from the index and compares: hot + cold keys = DBSIZE; cold stored/logical bytes are
    /// the sums over cold entries; live record bytes cover cold entries and clean hot ones.
    /// </summary>
    internal static void AssertGaugesAddUp(Store store)
    {
        lock (store.Lock)
        {
            long hot = 0, cold = 0, stored = 0, logical = 0, live = 0, total = 0;
            foreach (Database db in store.Databases)
            {
                KeyIndex index = db.Index;
                total += db.Count;
                for (int i = 0; i < index.HighWater; i++)
                {
                    if (!index.IsLive(i)) continue;
                    if (index.IsCold(i))
                    {
                        cold++;
                        stored += index.StoredOf(i);
                        logical += index.LogicalOf(i);
                        live += index.StoredOf(i);
                    }
                    else
                    {
                        hot++;
                        if (index.HotOf(i).Record > 0) live += index.StoredOf(i);
                    }
                }
            }
            TierStats t = store.TierStats;
            Assert.Equal(total, hot + cold);
            Assert.Equal(total, store.TotalKeys());
            Assert.Equal(hot, store.HotKeys());
            Assert.Equal(stored, t.ColdStoredBytes);
            Assert.Equal(logical, t.ColdLogicalBytes);
            Assert.Equal(live, t.LiveRecordBytes);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HotPlusColdKeysIsDbsizeAndTheBytesAddUp(bool slowDevice)
    {
        using var t = new TieredStore(maxMemory: 128 << 10, slowDevice: slowDevice);
        for (int i = 0; i < 1000; i++) t.Set("k" + i, TieredStoreTests.Value(i, 512));
        t.Demote();
        (long hot, long cold) = t.Keys();
        Assert.True(hot > 0 && cold > 0, $"want both tiers populated: hot {hot} cold {cold}");
        Assert.Equal(1000, hot + cold);
        Assert.Equal(1000, t.Read(db => KeyOps.Size(db)));
        AssertGaugesAddUp(t.Store);
        Assert.True(t.Store.TierStats.ColdLogicalBytes > t.Store.TierStats.ColdStoredBytes, "the values compress");

        // Every kind of change: reads (promotion/admission), overwrites, deletes, TTL expiry, compaction, a second db.
        for (int i = 0; i < 1000; i += 7) t.Get("k" + i);
        for (int i = 0; i < 1000; i += 11) t.Set("k" + i, TieredStoreTests.Value(i + 1, 300));
        for (int i = 0; i < 1000; i += 13) t.Write(db => KeyOps.Delete(db, System.Text.Encoding.UTF8.GetBytes("k" + i)));
        t.Write(db => KeyOps.Expire(db, "k1"u8, db.Store.Clock.NowMs + 10, UpdateCondition.None));
        lock (t.Store.Lock) StringOps.Set(t.Store.Databases[3], "other"u8, TieredStoreTests.Value(5), SetCondition.Always, 0, false);
        t.Demote();
        await t.Store.Compactor!.CompactOnceAsync(maxBytes: 1 << 30);
        t.Store.Clock.OffsetMs += 1000;
        Assert.Null(t.Get("k1"));
        AssertGaugesAddUp(t.Store);
        Assert.Equal(t.Store.TotalKeys(), t.Read(db => (long)db.Count) + 1);
    }

    [Fact]
    public void ColdBytesReturnToZeroAfterFlushAll()
    {
        using var t = new TieredStore(maxMemory: 64 << 10);
        for (int i = 0; i < 500; i++) t.Set("k" + i, TieredStoreTests.Value(i));
        t.Demote();
        for (int i = 0; i < 500; i += 5) t.Get("k" + i);   // some clean hot keys with records too
        TierStats s = t.Store.TierStats;
        Assert.True(s.ColdStoredBytes > 0 && s.ColdLogicalBytes > 0 && s.LiveRecordBytes > 0);
        t.Write(db => { KeyOps.FlushAll(db.Store); return 0; });
        Assert.Equal(0, s.ColdStoredBytes);
        Assert.Equal(0, s.ColdLogicalBytes);
        Assert.Equal(0, s.LiveRecordBytes);
        Assert.Equal(0, t.Store.UsedMemory);
        Assert.Equal((0L, 0L), t.Keys());
        Assert.Equal(1.0, s.CompressionRatio);
        // The tier still works after the flush.
        t.Set("again", TieredStoreTests.Value(1));
        t.Demote();
        Assert.Equal(TieredStoreTests.Value(1), t.Get("again"));
        AssertGaugesAddUp(t.Store);
    }

    [Fact]
    public void ABackgroundCompactionPassCleansTheLogsOldestEighthWithinFourMegabytesAndOneSegment()
    {
        using var t = new TieredStore(maxMemory: 64 << 10, o => o.Tier.Log.SegmentSizeBits = 28);
        Compactor c = t.Store.Compactor!;
        Assert.Equal(64L << 20, c.PassBytes(512L << 20));   // an eighth, not the 256 MB segment
        Assert.Equal(4L << 20, c.PassBytes(10L << 20));     // small logs: 4 MB at least
        Assert.Equal(256L << 20, c.PassBytes(10L << 30));   // large ones: one segment at most
    }

    [Fact]
    public async Task ResetZeroesCountersButNotGauges()
    {
        using var t = new TieredStore(maxMemory: 64 << 10);
        for (int i = 0; i < 300; i++) t.Set("k" + i, TieredStoreTests.Value(i));
        t.Demote();
        for (int i = 0; i < 300; i += 3) t.Get("k" + i);
        t.Get("missing");
        await t.Store.Compactor!.CompactOnceAsync(maxBytes: 1 << 30);
        TierStats s = t.Store.TierStats;
        Assert.True(s.HotHits > 0 && s.ColdHits > 0 && s.Misses > 0 && s.Demotions > 0 && s.Promotions + s.RejectedPromotions > 0);
        Assert.True(s.SsdReadItems > 0 && s.SsdReadBytes > 0 && s.SsdWriteItems > 0 && s.SsdWriteBytes > 0 && s.Compactions > 0);
        (long stored, long logical, long live) = (s.ColdStoredBytes, s.ColdLogicalBytes, s.LiveRecordBytes);
        (long hot, long cold) = t.Keys();
        Assert.True(stored > 0 && logical > 0 && live > 0);

        lock (t.Store.Lock) s.Reset();

        Assert.Equal(0, s.HotHits + s.ColdHits + s.Misses);
        Assert.Equal(0, s.Promotions + s.RejectedPromotions + s.Demotions + s.DemotionStalls);
        Assert.Equal(0, s.SsdReadItems + s.SsdReadBytes + s.SyncReads + s.SsdWriteItems + s.SsdWriteBytes);
        Assert.Equal(0, s.Compactions + s.CompactedRecords + s.CompactedBytes);
        Assert.Equal(0.0, s.HotHitRatio);
        Assert.Equal((stored, logical, live), (s.ColdStoredBytes, s.ColdLogicalBytes, s.LiveRecordBytes));
        Assert.Equal((hot, cold), t.Keys());
        AssertGaugesAddUp(t.Store);
    }
}

using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Movement;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests.Tiering;

/// <summary>
/// When the SSD log reaches ssd-max-size, demotion stops and maxmemory-policy applies to the whole store: refuse
/// writes with OOM (noeviction) or evict (allkeys-lfu). Nothing stored is lost otherwise.
/// </summary>
public class SsdFullTests
{
    private const long Budget = 64 << 10, SsdMax = 256 << 10;

    /// <summary>One SET as a denyoom command runs: the memory check (waiting for demotion on Busy), then the write.</summary>
    private static Status TrySet(TieredStore t, string key, byte[] value)
    {
        while (true)
        {
            lock (t.Store.Lock)
            {
                t.Store.BeginBatch();
                Status st = t.Store.EnsureMemory();
                if (st == Status.OutOfMemory) return st;
                if (st == Status.Ok)
                {
                    try { return StringOps.Set(t.Db, Encoding.UTF8.GetBytes(key), value, SetCondition.Always, 0, false); }
                    finally { t.Store.EndCommand(); }
                }
            }
            t.Demoter!.RoundAsync().GetAwaiter().GetResult();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NoEvictionRefusesWritesWhenSsdAndDramAreFull(bool slowDevice)
    {
        using var t = new TieredStore(Budget, o =>
        {
            o.Memory.MaxMemoryPolicy = "noeviction";
            o.Tier.SsdMaxSize = SsdMax;
        }, slowDevice);
        int written = 0;
        for (; written < 5000; written++)
            if (TrySet(t, "k" + written, TieredStoreTests.Value(written)) == Status.OutOfMemory) break;
        Assert.True(written < 5000, "writes were never refused");
        Assert.True(t.Cold.SsdFull, "the SSD tier should be full");
        Assert.True(written > 100, $"only {written} keys fit: the SSD tier was not used");
        Assert.Equal(Status.OutOfMemory, TrySet(t, "one-more", "x"u8.ToArray()));
        Assert.Equal(written, t.Read(db => db.Count));
        Assert.Equal(0, t.Store.Stats.EvictedKeys);
        for (int i = 0; i < written; i++) Assert.Equal(TieredStoreTests.Value(i), t.Get("k" + i));
        TierMetricsTests.AssertGaugesAddUp(t.Store);
        // Deleting frees DRAM: writes are accepted again.
        for (int i = 0; i < written; i++) t.Read(db => KeyOps.Delete(db, Encoding.UTF8.GetBytes("k" + i)));
        Assert.Equal(Status.Ok, TrySet(t, "after-delete", "x"u8.ToArray()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AllKeysLfuEvictsWhenSsdIsFullAndLosesNothingElse(bool slowDevice)
    {
        using var t = new TieredStore(Budget, o =>
        {
            o.Memory.MaxMemoryPolicy = "allkeys-lfu";
            o.Tier.SsdMaxSize = SsdMax;
        }, slowDevice);
        const int n = 3000;
        for (int i = 0; i < n; i++) Assert.Equal(Status.Ok, TrySet(t, "k" + i, TieredStoreTests.Value(i)));
        Assert.True(t.Cold.SsdFull, "the SSD tier should be full");
        long evicted = t.Store.Stats.EvictedKeys;
        Assert.True(evicted > 0, "nothing was evicted");
        Assert.True(t.Store.UsedMemory <= Budget + 2048, $"hot bytes {t.Store.UsedMemory} over budget");
        Assert.Equal(n - evicted, t.Read(db => db.Count));
        // Eviction took hot keys only: what the full SSD holds is still there (read back below, then promoted by
        // those reads, which evict again as the hot tier fills).
        long coldAfterFill = t.Keys().Cold;
        Assert.True(coldAfterFill > 100, $"the cold keys should still be there: {coldAfterFill} cold, {t.Keys().Hot} hot, {evicted} evicted");
        int present = 0;
        for (int i = 0; i < n; i++)
        {
            byte[]? v = t.Get("k" + i);
            if (v is null) continue;
            Assert.Equal(TieredStoreTests.Value(i), v);
            present++;
        }
        Assert.Equal(n - evicted, present);
        TierMetricsTests.AssertGaugesAddUp(t.Store);
    }
}

using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;
using Tiered.Tiering.Movement;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Lists;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests.Tiering;

public class TieredStoreTests
{
    /// <summary>A 1 KB value, half random bytes and half a repeated pattern (so LZ4 has honest work), unique per key.</summary>
    internal static byte[] Value(int i, int size = 1024)
    {
        var v = new byte[size];
        new Random(i).NextBytes(v.AsSpan(0, size / 2));
        for (int k = size / 2; k < size; k++) v[k] = (byte)('a' + (k + i) % 7);
        return v;
    }

    [Fact]
    public void AnSsdTierWithoutABudgetGetsTheDefaultBudget()
    {
        using var t = new TieredStore(maxMemory: 0);
        Assert.Equal(EngineOptions.DefaultTieredBudget(), t.Store.Options.Memory.MaxMemory);
        Assert.True(t.Store.Options.Memory.MaxMemory >= 64L << 20);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MovingAColdKeyTakesItsValueFromTheSsdToTheOtherDatabase(bool slowDevice)
    {
        using var t = new TieredStore(maxMemory: 1 << 20, slowDevice: slowDevice);
        for (int i = 0; i < 3000; i++) t.Set("key:" + i, Value(i));
        t.Demote();
        int cold = Enumerable.Range(0, 3000).First(i => ColdRaceTests.IsCold(t, "key:" + i));
        byte[] key = Encoding.UTF8.GetBytes("key:" + cold);
        Assert.Equal(Status.Ok, t.Write(db => KeyOps.Move(db, key, t.Store.Databases[1])));
        Assert.Null(t.Get("key:" + cold));
        byte[]? moved = t.Read(_ => StringOps.Get(t.Store.Databases[1], key, out ReadOnlySpan<byte> v) == Status.Ok ? v.ToArray() : null);
        Assert.Equal(Value(cold), moved);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DatasetTenTimesTheBudgetReadsBackExactly(bool slowDevice)
    {
        using var t = new TieredStore(maxMemory: 1 << 20, slowDevice: slowDevice);
        const int n = 10_000;   // ~10 MB logical against a 1 MB budget
        for (int i = 0; i < n; i++) t.Set("key:" + i, Value(i));
        t.Demote();
        (long hot, long cold) = t.Keys();
        Assert.Equal(n, hot + cold);
        Assert.True(cold > n * 8 / 10, $"expected most keys cold, got hot {hot} cold {cold}");
        Assert.True(t.Store.UsedMemory <= (1 << 20) * 105 / 100, $"hot bytes {t.Store.UsedMemory} over budget");
        for (int i = 0; i < n; i++) Assert.Equal(Value(i), t.Get("key:" + i));
        Assert.True(t.Store.TierStats.ColdHits > 0);
        Assert.True(t.Store.TierStats.CompressionRatio > 1.3, $"compression ratio {t.Store.TierStats.CompressionRatio}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ValuesTooLargeForTheEntrysSizeFieldsGoColdMoveInCompactionAndComeBackExact(bool slowDevice)
    {
        // Sizes around the entry's limits (32 KB stored, 64 KB logical): random bytes stay their size in LZ4, the
        // half-pattern values shrink, so stored and logical cross their limits at different sizes.
        int[] sizes = [32 * 1024 - 100, 32 * 1024 + 100, 60 * 1024, 70 * 1024, 300 * 1024, 1 << 20];
        using var t = new TieredStore(maxMemory: 256 << 10, slowDevice: slowDevice);
        var expected = new Dictionary<string, byte[]>();
        for (int r = 0; r < 4; r++)
            for (int s = 0; s < sizes.Length; s++)
            {
                byte[] v = r % 2 == 0 ? Value(r * 100 + s, sizes[s]) : Random(r * 100 + s, sizes[s]);
                expected["big:" + r + ":" + s] = v;
                t.Set("big:" + r + ":" + s, v);
            }
        for (int i = 0; i < 200; i++) t.Set("small:" + i, expected["small:" + i] = Value(i));
        t.Demote();
        Assert.True(t.Keys().Cold >= 4 * sizes.Length, $"expected the large values cold, got {t.Keys()}");
        Assert.True(ColdInSizeColumn(t) >= 2 * 4, "too few cold entries keep their sizes in the size column");
        TierMetricsTests.AssertGaugesAddUp(t.Store);

        foreach ((string k, byte[] v) in expected) t.Set(k + ":copy", v);   // more garbage before the next pass
        t.Demote();
        for (int pass = 0; pass < 8; pass++) await t.Store.Compactor!.CompactOnceAsync(maxBytes: 1 << 30);
        Assert.True(t.Store.TierStats.CompactedRecords > 0, "compaction moved no record");
        TierMetricsTests.AssertGaugesAddUp(t.Store);
        foreach ((string k, byte[] v) in expected)
        {
            Assert.Equal(v, t.Get(k));
            Assert.Equal(v, t.Get(k + ":copy"));
        }
        TierMetricsTests.AssertGaugesAddUp(t.Store);
        foreach (string k in expected.Keys) Assert.True(t.Write(db => KeyOps.Delete(db, Encoding.UTF8.GetBytes(k))));
        TierMetricsTests.AssertGaugesAddUp(t.Store);
    }

    private static int ColdInSizeColumn(TieredStore t) => t.Read(db =>
    {
        int n = 0;
        for (int i = 0; i < db.Index.HighWater; i++)
            if (db.Index.IsLive(i) && db.Index.IsCold(i) && db.Index.EntryAt(i).StoredField == Entry.LargeSize) n++;
        return n;
    });

    private static byte[] Random(int seed, int size)
    {
        var v = new byte[size];
        new Random(seed).NextBytes(v);
        return v;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OverwriteDeleteAndTtlOfColdKeysBehaveAsForHotKeys(bool slowDevice)
    {
        using var t = new TieredStore(maxMemory: 256 << 10, slowDevice: slowDevice);
        for (int i = 0; i < 2000; i++) t.Set("k" + i, Value(i));
        t.Demote();
        Assert.True(t.Keys().Cold > 1000);
        t.Set("k1", "new"u8.ToArray());
        Assert.Equal("new"u8.ToArray(), t.Get("k1"));
        Assert.True(t.Write(db => KeyOps.Delete(db, "k2"u8)));
        Assert.Null(t.Get("k2"));
        t.Write(db => KeyOps.Expire(db, "k3"u8, db.Store.Clock.NowMs + 100_000, UpdateCondition.None));
        t.Demote();
        Assert.True(t.Read(db => KeyOps.Ttl(db, "k3"u8, TtlForm.Milliseconds)) > 0);
        t.Store.Clock.OffsetMs += 200_000;
        Assert.Null(t.Get("k3"));
        Assert.Equal(1998, t.Read(db => db.Count));
        Assert.Equal(Value(4), t.Get("k4"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ColdKeysOfEveryTypeComeBackWhole(bool slowDevice)
    {
        using var t = new TieredStore(maxMemory: 64 << 10, slowDevice: slowDevice);
        t.Write(db => HashOps.Set(db, "h"u8, new Pairs("f1", "v1", "f2", "v2"), out _));
        t.Write(db => ListOps.Push(db, "l"u8, new ByteArrays(["a"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray()]), left: false, onlyIfExists: false, out _));
        for (int i = 0; i < 500; i++) t.Set("filler" + i, Value(i));
        t.Demote();
        Assert.True(t.Read(db => db.Index.IsCold(db.Index.Find("h"u8, KeyIndex.Hash("h"u8)))), "the hash should be cold");
        Assert.Equal(Status.WrongType, t.Read(db => StringOps.Get(db, "h"u8, out _)));
        Assert.Equal("v2"u8.ToArray(), t.Read(db => HashOps.Get(db, "h"u8, "f2"u8, out ReadOnlySpan<byte> v) == Status.Ok ? v.ToArray() : null));
        Assert.Equal(3, t.Read(db => ListOps.Length(db, "l"u8, out long n) == Status.Ok ? n : -1));
    }

    private readonly struct Pairs(params string[] items) : IKeyValuePairs
    {
        public int PairCount => items.Length / 2;
        public ReadOnlySpan<byte> Key(int i) => Encoding.UTF8.GetBytes(items[2 * i]);
        public ReadOnlySpan<byte> Value(int i) => Encoding.UTF8.GetBytes(items[2 * i + 1]);
    }
}

using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Movement;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class EvictionTests
{
    private const int ValueSize = 100;
    private static readonly byte[] Value = new byte[ValueSize];

    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string Key(int i) => "key:" + i.ToString("D6");

    private bool Exists(string key) => KeyOps.Exists(Db, B(key));

    /// <summary>Bytes one key of <see cref="Key"/> with a <see cref="ValueSize"/>-byte value is charged.</summary>
    private long PerKeyBytes()
    {
        var probe = new Store(new EngineOptions());
        long before = probe.UsedMemory;
        StringOps.Set(probe.Databases[0], B(Key(0)), Value);
        return probe.UsedMemory - before;
    }

    private void Configure(string policy, int keysThatFit)
    {
        _store.Options.Memory.MaxMemoryPolicy = policy;
        _store.Options.Memory.MaxMemory = PerKeyBytes() * keysThatFit;
    }

    private void AdvanceSeconds(int s)
    {
        _store.Clock.OffsetMs += s * 1000L;
        _store.Clock.Refresh();
    }

    /// <summary>Like the server: make room, then write; after the write's own eviction step the budget holds.</summary>
    private void Write(string key, long expireAt = 0)
    {
        Assert.Equal(Status.Ok, _store.EnsureMemory());
        StringOps.Set(Db, B(key), Value, expireAt: expireAt);
        Assert.Equal(Status.Ok, _store.EnsureMemory());
        Assert.True(_store.UsedMemory <= _store.Options.Memory.MaxMemory, $"used {_store.UsedMemory} > max {_store.Options.Memory.MaxMemory}");
    }

    private void ReadHotSet(int count)
    {
        for (int h = 0; h < count; h++) StringOps.Get(Db, B("hot:" + h), out _);
    }

    private int HotSurvivors(int count)
    {
        int n = 0;
        for (int h = 0; h < count; h++) if (Exists("hot:" + h)) n++;
        return n;
    }

    [Fact]
    public void AllKeysLfuKeepsAFrequentlyReadHotSetWhileTenTimesTheBudgetIsWritten()
    {
        Configure("allkeys-lfu", 1000);
        for (int h = 0; h < 100; h++) Write("hot:" + h);
        for (int i = 0; i < 10_000; i++)
        {
            Write(Key(i));
            if (i % 10 == 0) ReadHotSet(100);
        }
        Assert.True(HotSurvivors(100) >= 95, $"only {HotSurvivors(100)} of 100 hot keys survived");
        Assert.True(_store.Stats.EvictedKeys >= 9000, $"evicted {_store.Stats.EvictedKeys}");
        Assert.InRange(Db.Count, 900, 1010); // the hot keys are shorter, so a few more fit
    }

    [Fact]
    public void AllKeysLruKeepsRecentlyReadKeys()
    {
        Configure("allkeys-lru", 1000);
        for (int h = 0; h < 100; h++) Write("hot:" + h);
        for (int i = 0; i < 10_000; i++)
        {
            if (i % 100 == 0) AdvanceSeconds(1);
            Write(Key(i));
            if (i % 10 == 0) ReadHotSet(100);
        }
        Assert.True(HotSurvivors(100) >= 95, $"only {HotSurvivors(100)} of 100 hot keys survived");
        // The survivors among the cold keys are the recently written ones.
        int oldSurvivors = 0;
        for (int i = 0; i < 5000; i++) if (Exists(Key(i))) oldSurvivors++;
        Assert.True(oldSurvivors < 50, $"{oldSurvivors} keys of the oldest half survived");
    }

    [Fact]
    public void VolatileTtlEvictsTheNearestExpiringKeysFirstAndNeverKeysWithoutTtl()
    {
        Configure("volatile-ttl", 2000);
        _store.Options.Memory.MaxMemory *= 10; // room to load everything first
        long now = _store.Clock.NowMs;
        for (int i = 0; i < 1000; i++) Write("persistent:" + i);
        for (int i = 0; i < 1000; i++) Write(Key(i), expireAt: now + (i + 1) * 1000L);
        _store.Options.Memory.MaxMemory = PerKeyBytes() * 1500; // half of the TTL keys must go

        Assert.Equal(Status.Ok, _store.EnsureMemory());

        Assert.True(_store.UsedMemory <= _store.Options.Memory.MaxMemory);
        for (int i = 0; i < 1000; i++) Assert.True(Exists("persistent:" + i));
        int nearGone = 0, farKept = 0;
        for (int i = 0; i < 250; i++) if (!Exists(Key(i))) nearGone++;
        for (int i = 750; i < 1000; i++) if (Exists(Key(i))) farKept++;
        Assert.True(nearGone >= 225, $"only {nearGone} of the 250 nearest-expiring keys were evicted");
        Assert.True(farKept >= 245, $"only {farKept} of the 250 furthest-expiring keys survived");
    }

    [Theory]
    [InlineData("volatile-lru")]
    [InlineData("volatile-lfu")]
    [InlineData("volatile-random")]
    [InlineData("volatile-ttl")]
    public void VolatilePolicyWithoutTtlKeysIsOutOfMemoryAndDeletesNothing(string policy)
    {
        for (int i = 0; i < 100; i++) StringOps.Set(Db, B(Key(i)), Value);
        Configure(policy, 50);

        Assert.Equal(Status.OutOfMemory, _store.EnsureMemory());

        Assert.Equal(100, Db.Count);
        Assert.Equal(0, _store.Stats.EvictedKeys);
    }

    [Fact]
    public void VolatilePolicyEvictsTtlKeysUntilNoneIsLeftThenIsOutOfMemory()
    {
        for (int i = 0; i < 100; i++) StringOps.Set(Db, B(Key(i)), Value);
        for (int i = 0; i < 10; i++) StringOps.Set(Db, B("ttl:" + i), Value, expireAt: _store.Clock.NowMs + 60_000);
        Configure("volatile-lru", 50);

        Assert.Equal(Status.OutOfMemory, _store.EnsureMemory());

        Assert.Equal(0, Db.Expires);
        Assert.Equal(100, Db.Count);
        Assert.Equal(10, _store.Stats.EvictedKeys);
    }

    [Fact]
    public void NoEvictionIsOutOfMemoryOnceFullAndReadsStillWork()
    {
        Configure("noeviction", 100);
        int written = 0;
        while (_store.EnsureMemory() == Status.Ok)
        {
            StringOps.Set(Db, B(Key(written)), Value);
            written++;
            Assert.True(written <= 101, "never refused");
        }
        Assert.Equal(101, written); // the 100 that fit, plus the one that crossed the line, as in Redis
        Assert.Equal(Status.OutOfMemory, _store.EnsureMemory());
        Assert.Equal(Status.Ok, StringOps.Get(Db, B(Key(0)), out ReadOnlySpan<byte> v));
        Assert.Equal(ValueSize, v.Length);
        Assert.Equal(0, _store.Stats.EvictedKeys);
        Assert.Equal(101, Db.Count);

        // Deleting makes room again; so does raising the limit.
        KeyOps.Delete(Db, B(Key(0)));
        Assert.Equal(Status.Ok, _store.EnsureMemory());
        StringOps.Set(Db, B(Key(0)), Value);
        StringOps.Set(Db, B(Key(written)), Value);
        Assert.Equal(Status.OutOfMemory, _store.EnsureMemory());
        _store.Options.Memory.MaxMemory *= 2;
        Assert.Equal(Status.Ok, _store.EnsureMemory());
    }

    [Fact]
    public void AllKeysRandomEvictsSomethingAndReachesTheBudget()
    {
        for (int i = 0; i < 200; i++) StringOps.Set(Db, B(Key(i)), Value);
        Configure("allkeys-random", 100);

        Assert.Equal(Status.Ok, _store.EnsureMemory());

        Assert.True(_store.Stats.EvictedKeys >= 100, $"evicted {_store.Stats.EvictedKeys}");
        Assert.True(_store.UsedMemory <= _store.Options.Memory.MaxMemory);
        Assert.Equal(200 - _store.Stats.EvictedKeys, Db.Count);
    }

    [Fact]
    public void EvictionSamplesEveryDatabase()
    {
        for (int i = 0; i < 100; i++)
        {
            StringOps.Set(_store.Databases[0], B(Key(i)), Value);
            StringOps.Set(_store.Databases[3], B(Key(i)), Value);
        }
        Configure("allkeys-lru", 100);

        Assert.Equal(Status.Ok, _store.EnsureMemory());

        Assert.True(_store.Databases[0].Count < 100);
        Assert.True(_store.Databases[3].Count < 100);
        Assert.Equal(100, _store.Databases[0].Count + _store.Databases[3].Count);
    }

    [Fact]
    public void ZeroMaxMemoryMeansNoLimit()
    {
        _store.Options.Memory.MaxMemoryPolicy = "allkeys-lru";
        for (int i = 0; i < 100; i++) StringOps.Set(Db, B(Key(i)), Value);

        Assert.Equal(Status.Ok, _store.EnsureMemory());

        Assert.Equal(100, Db.Count);
        Assert.Equal(0, _store.Stats.EvictedKeys);
    }

    [Fact]
    public void SelectVictimsRanksColdKeysFirstAndChangesNothing()
    {
        for (int i = 0; i < 20; i++) StringOps.Set(Db, B(Key(i)), Value);
        // Raise the counters of every key but 3 and 7 well above the initial value.
        for (int round = 0; round < 200; round++)
            for (int i = 0; i < 20; i++)
                if (i != 3 && i != 7) StringOps.Get(Db, B(Key(i)), out _);
        _store.Options.Memory.MaxMemorySamples = 20;
        long used = _store.UsedMemory;

        var victims = new VictimRef[2];
        int n = _store.Evictor.SelectVictims(EvictionPolicy.AllKeysLfu, victims);

        Assert.Equal(2, n);
        string[] chosen = [Encoding.UTF8.GetString(victims[0].Key), Encoding.UTF8.GetString(victims[1].Key)];
        Array.Sort(chosen, StringComparer.Ordinal);
        Assert.Equal([Key(3), Key(7)], chosen);
        Assert.Equal(20, Db.Count);
        Assert.Equal(used, _store.UsedMemory);

        Assert.Equal(2, _store.Evictor.Evict(victims));
        Assert.False(Exists(Key(3)));
        Assert.False(Exists(Key(7)));
        Assert.Equal(2, _store.Stats.EvictedKeys);
    }

    [Fact]
    public void EvictSkipsAVictimWhoseKeyWasDeletedOrReplacedSinceSelection()
    {
        for (int i = 0; i < 5; i++) StringOps.Set(Db, B(Key(i)), Value);
        var victims = new VictimRef[3];
        Assert.Equal(3, _store.Evictor.SelectVictims(EvictionPolicy.AllKeysRandom, victims));
        string first = Encoding.UTF8.GetString(victims[0].Key);
        KeyOps.Delete(Db, B(first));
        StringOps.Set(Db, B("other"), Value); // reuses the freed slot

        Assert.Equal(2, _store.Evictor.Evict(victims));

        Assert.True(Exists("other"));
        Assert.Equal(3, Db.Count);
    }

    [Fact]
    public void SelectVictimsUnderNoEvictionChoosesNothing()
    {
        StringOps.Set(Db, B("k"), Value);
        var victims = new VictimRef[1];
        Assert.Equal(0, _store.Evictor.SelectVictims(EvictionPolicy.NoEviction, victims));
    }

    [Fact]
    public void PolicyNamesParseInRedisSpelling()
    {
        Assert.Equal(EvictionPolicy.AllKeysLfu, EvictionPolicies.Parse("allkeys-lfu"));
        Assert.Equal(EvictionPolicy.VolatileTtl, EvictionPolicies.Parse("VOLATILE-TTL"));
        Assert.Equal(EvictionPolicy.NoEviction, EvictionPolicies.Parse("noeviction"));
        Assert.True(EvictionPolicies.IsVolatile(EvictionPolicy.VolatileRandom));
        Assert.False(EvictionPolicies.IsVolatile(EvictionPolicy.AllKeysRandom));
    }

    [Fact]
    public void PoolKeepsTheSixteenBestCandidatesAndPopsTheBestFirst()
    {
        for (int i = 0; i < 40; i++) StringOps.Set(Db, B(Key(i)), Value, expireAt: _store.Clock.NowMs + (i + 1) * 1000L);
        var pool = new EvictionPool();
        var ctx = new ScoreContext(EvictionPolicy.VolatileTtl, _store.Clock, 1);
        for (int round = 0; round < 50; round++) pool.Populate(Db, ctx, 10);

        Assert.Equal(EvictionPool.Size, pool.Count);
        Assert.True(pool.TryPopBest(ctx, out VictimRef best));
        Assert.Equal(Key(0), Encoding.UTF8.GetString(best.Key));
        Assert.True(pool.TryPopBest(ctx, out VictimRef second));
        Assert.Equal(Key(1), Encoding.UTF8.GetString(second.Key));
    }
}

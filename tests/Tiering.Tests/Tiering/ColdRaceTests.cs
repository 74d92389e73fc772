using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;
using Tiered.Tiering.Movement;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests.Tiering;

/// <summary>
/// Writers racing demotion, promotion and compaction: a key is authoritative in exactly one place, so whatever the
/// interleaving, every key ends with exactly its last written value, deletes and renames stick, and TTLs survive.
/// </summary>
public class ColdRaceTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>The index entry of <paramref name="key"/> without reading or promoting it (-1 when absent).</summary>
    internal static int EntryOf(Database db, string key)
    {
        byte[] k = B(key);
        ulong hash = KeyIndex.Hash(k);
        for (int i = db.Index.Find(k, hash); i >= 0; i = db.Index.FindAfter(i, k, hash))
        {
            if (!db.Index.IsCold(i)) return i;
            if (db.Store.Cold!.ReadKey(db, i).AsSpan().SequenceEqual(k)) return i;
        }
        return -1;
    }

    internal static bool IsCold(TieredStore t, string key) => t.Read(db => EntryOf(db, key) is int i && i >= 0 && db.Index.IsCold(i));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WritersRacingDemotionPromotionAndCompactionLoseNoUpdate(bool slowDevice)
    {
        using var t = new TieredStore(maxMemory: 48 << 10, o => o.Tier.DemoteBatchBytes = 16 << 10, slowDevice);
        const int strings = 120, counters = 40, hashes = 30;
        var expectedString = new byte[strings][];
        var expectedCounter = new long[counters];
        var expectedHash = new Dictionary<string, string>[hashes];
        for (int i = 0; i < hashes; i++) expectedHash[i] = [];

        using var stop = new CancellationTokenSource();
        long demoteRounds = 0, compactions = 0;
        Task demoter = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await t.Demoter!.RoundAsync()) demoteRounds++;
                else await Task.Delay(1);
            }
        });
        Task compactor = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await t.Store.Compactor!.CompactOnceAsync(maxBytes: 8 << 10)) compactions++;
                await Task.Delay(1);
            }
        });
        // A reader promotes cold keys the way the server does (prefetch, release the lock, await, run again).
        Task reader = Task.Run(async () =>
        {
            var rnd = new Random(7);
            while (!stop.IsCancellationRequested)
                await GetLikeServerAsync(t, "s" + rnd.Next(strings));
        });

        var r = new Random(42);
        for (int n = 0; n < 6000; n++)
        {
            switch (r.Next(4))
            {
                case 0:
                {
                    int i = r.Next(strings);
                    byte[] v = TieredStoreTests.Value(n, 300 + r.Next(700));
                    t.Write(db => StringOps.Set(db, B("s" + i), v, SetCondition.Always, 0, false));
                    expectedString[i] = v;
                    break;
                }
                case 1:
                {
                    int i = r.Next(strings);
                    if (expectedString[i] is null) break;
                    byte[] tail = B("+" + n);
                    t.Write(db => StringOps.Append(db, B("s" + i), tail, out _));
                    expectedString[i] = [.. expectedString[i], .. tail];
                    break;
                }
                case 2:
                {
                    int i = r.Next(counters);
                    long d = r.Next(1, 10);
                    Assert.Equal(Status.Ok, t.Write(db => StringOps.IncrBy(db, B("c" + i), d, out _)));
                    expectedCounter[i] += d;
                    break;
                }
                default:
                {
                    int i = r.Next(hashes);
                    string f = "f" + r.Next(20), v = "v" + n + new string('x', r.Next(200));
                    t.Write(db => HashOps.Set(db, B("h" + i), new Pairs(f, v), out _));
                    expectedHash[i][f] = v;
                    break;
                }
            }
        }
        stop.Cancel();
        await Task.WhenAll(demoter, compactor, reader);

        Assert.True(t.Store.TierStats.Demotions > 0, "nothing was demoted: the race was not exercised");
        Assert.True(compactions > 0, "no compaction pass ran");
        Assert.True(t.Store.TierStats.CompactedRecords > 0, "compaction copied no live record: the race was not exercised");
        Assert.True(t.Store.TierStats.ColdHits > 0, "no cold read: promotion was not exercised");
        for (int i = 0; i < strings; i++)
        {
            if (expectedString[i] is null) continue;
            Assert.Equal(expectedString[i], t.Get("s" + i));
        }
        for (int i = 0; i < counters; i++)
            if (expectedCounter[i] != 0) Assert.Equal(B(expectedCounter[i].ToString()), t.Get("c" + i));
        for (int i = 0; i < hashes; i++)
        {
            if (expectedHash[i].Count == 0) continue;
            Assert.Equal(expectedHash[i].Count, t.Read(db => HashOps.Len(db, B("h" + i), out long len) == Status.Ok ? len : -1));
            foreach ((string f, string v) in expectedHash[i])
                Assert.Equal(B(v), t.Read(db => HashOps.Get(db, B("h" + i), B(f), out ReadOnlySpan<byte> got) == Status.Ok ? got.ToArray() : null));
        }
        TierMetricsTests.AssertGaugesAddUp(t.Store);
    }

    /// <summary>
    /// Promotions reuse the arrays demotions free (Hot/ArrayRecycler.cs) while writers overwrite and change strings in
    /// place and demotion runs beside them: every read of a key shows that key's own bytes, and every key ends with its
    /// last written value. Keys and values have one length each, so almost every promotion takes a recycled array.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PromotionsReusingDemotedArraysNeverShowAnotherKeysBytes(bool slowDevice)
    {
        const int keys = 400, length = 400;
        using var t = new TieredStore(maxMemory: 128 << 10, o => o.Tier.DemoteBatchBytes = 32 << 10, slowDevice);
        var expected = new byte[keys][];
        static string Key(int i) => "r" + i.ToString("D3");
        static byte[] Version(int i, int n)
        {
            byte[] v = new byte[length];
            v.AsSpan().Fill((byte)('a' + (i + n) % 26));
            B(Key(i) + ":" + n + ":").CopyTo(v, 0);
            return v;
        }
        for (int i = 0; i < keys; i++)
        {
            expected[i] = Version(i, 0);
            t.Set(Key(i), expected[i]);
        }
        t.Demote();

        using var stop = new CancellationTokenSource();
        Task demoter = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                if (!await t.Demoter!.RoundAsync()) await Task.Delay(1);
        });
        string? wrong = null;
        Task reader = Task.Run(async () =>
        {
            var rnd = new Random(3);
            while (!stop.IsCancellationRequested && wrong is null)
            {
                int i = rnd.Next(keys);
                byte[]? v = await GetLikeServerAsync(t, Key(i));
                if (v is null || v.Length != length || !v.AsSpan().StartsWith(B(Key(i) + ":")))
                    wrong = $"{Key(i)} read as {(v is null ? "nothing" : Encoding.ASCII.GetString(v, 0, 12))}";
            }
        });
        var r = new Random(11);
        for (int n = 1; n <= 8000 && wrong is null; n++)
        {
            int i = r.Next(keys);
            if (r.Next(3) == 0)
            {
                byte[] patch = B("#" + n + "#");   // in place: a recycled array shared by mistake would show it elsewhere
                t.Write(db => StringOps.SetRange(db, B(Key(i)), 200, patch, out _));
                patch.CopyTo(expected[i], 200);
            }
            else
            {
                expected[i] = Version(i, n);
                t.Set(Key(i), expected[i]);
            }
            if (n % 4 == 0) await GetLikeServerAsync(t, Key(r.Next(keys)));   // promotions from this side too
        }
        stop.Cancel();
        await Task.WhenAll(demoter, reader);

        Assert.Null(wrong);
        Assert.True(t.Store.TierStats.RecycledArrays > 100, $"only {t.Store.TierStats.RecycledArrays} arrays were reused: the recycling was not exercised");
        for (int i = 0; i < keys; i++) Assert.Equal(expected[i], t.Get(Key(i)));
        TierMetricsTests.AssertGaugesAddUp(t.Store);
    }

    /// <summary>Reads a string the way the server runs a command: prefetch under the lock, await outside it, run again.</summary>
    internal static async Task<byte[]?> GetLikeServerAsync(TieredStore t, string key)
    {
        byte[] k = B(key);
        var set = new ColdReadSet();
        while (true)
        {
            lock (t.Store.Lock)
            {
                t.Store.BeginBatch();
                if (!t.Db.PrefetchCold(k, set))
                {
                    t.Cold.BeginCommand(set);
                    try { return StringOps.Get(t.Db, k, out ReadOnlySpan<byte> v) == Status.Ok ? v.ToArray() : null; }
                    finally { t.Store.EndCommand(); }
                }
            }
            await set.WhenDone();
        }
    }

    /// <summary>Makes dirty hot keys, starts a demotion round on a slow device and waits until they are in flight.</summary>
    private static async Task<Task<bool>> DemotionInFlightAsync(TieredStore t, params string[] keys)
    {
        Task<bool> round = Task.Run(() => t.Demoter!.RoundAsync());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Now(t, db => keys.All(k => EntryOf(db, k) is int i && i >= 0 && !db.Index.IsCold(i) && db.Index.HotOf(i).Record == -1)))
        {
            Assert.False(round.IsCompleted, "the round ended before the keys were seen in flight");
            Assert.True(DateTime.UtcNow < deadline, "the keys never went in flight");
            await Task.Delay(1);
        }
        return round;
    }

    private static TieredStore SlowStore() => new(maxMemory: 1, o =>
        o.Tier.DeviceFactory = () => new SlowMemoryDevice(TimeSpan.FromMilliseconds(150), TimeSpan.FromMilliseconds(250)));

    private static void AddHot(TieredStore t, string key, string value)
        => Assert.Equal(Status.Ok, Now(t, db => StringOps.Set(db, B(key), B(value), SetCondition.Always, 0, false)));

    /// <summary>
    /// Runs an operation under the lock at once, without the memory check (at maxmemory 1 that check would wait for
    /// the demotion round the test wants to race with).
    /// </summary>
    private static T Now<T>(TieredStore t, Func<Database, T> op)
    {
        lock (t.Store.Lock)
        {
            t.Store.BeginBatch();
            try { return op(t.Db); }
            finally { t.Store.EndCommand(); }
        }
    }

    [Fact]
    public async Task KeyDeletedWhileItsDemotionIsInFlightStaysDeleted()
    {
        using var t = SlowStore();
        AddHot(t, "gone", "v1");
        AddHot(t, "kept", "v2");
        Task<bool> round = await DemotionInFlightAsync(t, "gone", "kept");
        Assert.True(Now(t, db => KeyOps.Delete(db, "gone"u8)));
        await round;
        Assert.Null(t.Get("gone"));
        Assert.Equal(1, t.Read(db => db.Count));
        Assert.True(IsCold(t, "kept"), "the untouched key should have gone cold");
        Assert.Equal(B("v2"), t.Get("kept"));
        TierMetricsTests.AssertGaugesAddUp(t.Store);
    }

    [Fact]
    public async Task KeyRenamedWhileItsDemotionIsInFlightStaysRenamed()
    {
        using var t = SlowStore();
        AddHot(t, "old", "value");
        Task<bool> round = await DemotionInFlightAsync(t, "old");
        Assert.Equal(Status.Ok, Now(t, db => KeyOps.Rename(db, "old"u8, "new"u8, onlyIfAbsent: false)));
        await round;
        Assert.Null(t.Get("old"));
        Assert.Equal(B("value"), t.Get("new"));
        Assert.Equal(1, t.Read(db => db.Count));
        // The renamed key is an ordinary dirty hot key: the next round can demote it, and it still reads back.
        t.Demote();
        Assert.True(IsCold(t, "new"));
        Assert.Equal(B("value"), t.Get("new"));
        TierMetricsTests.AssertGaugesAddUp(t.Store);
    }

    [Fact]
    public async Task KeysOverwrittenBetweenTheHoldsOfOneRoundsPickingGoColdWithTheirNewValue()
    {
        // Picking runs in short holds of the lock; a key picked (in flight) and then overwritten between two holds
        // is picked again, so the batch holds two copies of it: only the newer may go cold.
        using var t = new TieredStore(maxMemory: 1);
        const int n = 600;
        for (int i = 0; i < n; i++) AddHot(t, "k" + i, "old" + i);
        var overwritten = new HashSet<int>();
        t.Demoter!.BetweenPickHolds = () =>
        {
            if (overwritten.Count > 0) return;   // once, after the first hold
            for (int i = 0; i < n; i++)
                if (Now(t, db => EntryOf(db, "k" + i) is int e && e >= 0 && !db.Index.IsCold(e) && db.Index.HotOf(e).Record == -1))
                {
                    AddHot(t, "k" + i, "newer" + i);   // another length: a new array, not an in-place write
                    Now(t, db => db.Index.EntryAt(EntryOf(db, "k" + i)).Lfu = 0);   // the next hold's first victims
                    overwritten.Add(i);
                }
        };
        await t.Demoter!.RoundAsync();
        t.Demoter!.BetweenPickHolds = null;
        Assert.True(overwritten.Count > 0, "no key was in flight between two holds: the race was not exercised");
        int coldOverwritten = 0;
        for (int i = 0; i < n; i++)
            if (overwritten.Contains(i) && IsCold(t, "k" + i)) coldOverwritten++;
        Assert.True(coldOverwritten > 0, "no overwritten key was picked again and went cold: the duplicate was not exercised");
        for (int i = 0; i < n; i++)
            Assert.Equal(B((overwritten.Contains(i) ? "newer" : "old") + i), t.Get("k" + i));
        TierMetricsTests.AssertGaugesAddUp(t.Store);
    }

    [Fact]
    public async Task KeyOverwrittenWhileItsDemotionIsInFlightKeepsTheNewValue()
    {
        using var t = SlowStore();
        AddHot(t, "k", "old");
        Task<bool> round = await DemotionInFlightAsync(t, "k");
        Assert.Equal(Status.Ok, Now(t, db => StringOps.Set(db, "k"u8, "new"u8, SetCondition.Always, 0, false)));
        await round;
        Assert.False(IsCold(t, "k"), "a key written during its demotion must stay hot (its record is stale)");
        Assert.Equal(B("new"), t.Get("k"));
        t.Demote();
        Assert.True(IsCold(t, "k"));
        Assert.Equal(B("new"), t.Get("k"));
    }

    [Fact]
    public async Task ColdKeyDeletedWhileCompactionCopiesItStaysDeleted()
    {
        using var t = new TieredStore(maxMemory: 1, o =>
            o.Tier.DeviceFactory = () => new SlowMemoryDevice(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)));
        for (int i = 0; i < 20; i++) t.Set("k" + i, B("value" + i));
        t.Demote();
        Assert.True(IsCold(t, "k0"));
        // Wait until the copies are appended (the tail moved) and the pass is in its commit.
        long tail0 = t.Cold.Log.TailAddress;
        Task<bool> pass = Task.Run(() => t.Store.Compactor!.CompactOnceAsync(maxBytes: 1 << 20));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (t.Cold.Log.TailAddress == tail0 && !pass.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(1);
        }
        Assert.False(pass.IsCompleted, "the pass ended before the race could be set up");
        Assert.True(Now(t, db => KeyOps.Delete(db, "k3"u8)));
        Assert.Equal(Status.Ok, Now(t, db => StringOps.Set(db, "k4"u8, "rewritten"u8, SetCondition.Always, 0, false)));
        Assert.True(await pass);
        Assert.Null(t.Get("k3"));
        Assert.Equal(B("rewritten"), t.Get("k4"));
        for (int i = 0; i < 20; i++)
            if (i is not 3 and not 4) Assert.Equal(B("value" + i), t.Get("k" + i));
        Assert.Equal(19, t.Read(db => db.Count));
        TierMetricsTests.AssertGaugesAddUp(t.Store);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TtlsSurviveDemotionAndCompaction(bool slowDevice)
    {
        using var t = new TieredStore(maxMemory: 1, slowDevice: slowDevice);
        t.Set("plain", B("p"));
        t.Set("ttl", B("t"));
        t.Write(db => HashOps.Set(db, "hash"u8, new Pairs("f", "v"), out _));
        long at = t.Store.Clock.NowMs + 100_000;
        Assert.Equal(Status.Ok, t.Write(db => KeyOps.Expire(db, "ttl"u8, at, UpdateCondition.None)));
        Assert.Equal(Status.Ok, t.Write(db => KeyOps.Expire(db, "hash"u8, at + 5000, UpdateCondition.None)));
        t.Demote();
        Assert.True(IsCold(t, "ttl") && IsCold(t, "hash") && IsCold(t, "plain"));
        Assert.Equal(at, t.Read(db => KeyOps.Ttl(db, "ttl"u8, TtlForm.UnixMilliseconds)));
        t.Demote();
        // A TTL set on a cold key (the index holds it) survives compaction, which copies the record forward.
        Assert.Equal(Status.Ok, t.Write(db => KeyOps.Expire(db, "plain"u8, at + 10_000, UpdateCondition.None)));
        t.Demote();
        long compacted = t.Store.TierStats.CompactedRecords;
        Assert.True(await t.Store.Compactor!.CompactOnceAsync(maxBytes: 1 << 30));
        Assert.True(t.Store.TierStats.CompactedRecords > compacted, "compaction copied nothing");
        Assert.Equal(at, t.Read(db => KeyOps.Ttl(db, "ttl"u8, TtlForm.UnixMilliseconds)));
        Assert.Equal(at + 5000, t.Read(db => KeyOps.Ttl(db, "hash"u8, TtlForm.UnixMilliseconds)));
        Assert.Equal(at + 10_000, t.Read(db => KeyOps.Ttl(db, "plain"u8, TtlForm.UnixMilliseconds)));
        Assert.Equal(3, t.Read(db => db.Expires));
        Assert.Equal(B("t"), t.Get("ttl"));
        t.Store.Clock.OffsetMs += 102_000;
        Assert.Null(t.Get("ttl"));
        Assert.Equal(Status.Ok, t.Read(db => HashOps.Len(db, "hash"u8, out _)));
        t.Store.Clock.OffsetMs += 10_000;
        Assert.Equal(0, t.Read(db => { db.Store.ActiveExpireCycle(1000); return db.Count; }));
    }

    internal readonly struct Pairs(params string[] items) : IKeyValuePairs
    {
        public int PairCount => items.Length / 2;
        public ReadOnlySpan<byte> Key(int i) => Encoding.UTF8.GetBytes(items[2 * i]);
        public ReadOnlySpan<byte> Value(int i) => Encoding.UTF8.GetBytes(items[2 * i + 1]);
    }
}

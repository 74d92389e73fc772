using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Debugging;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Rdb;
using Tiered.Tiering.Tests.Tiering;
using Tiered.Tiering.Types.Blooms;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.HyperLogLogs;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Lists;
using Tiered.Tiering.Types.Sets;
using Tiered.Tiering.Types.SortedSets;
using Tiered.Tiering.Types.Streams;
using Tiered.Tiering.Types.Strings;
using Xunit.Abstractions;

namespace Tiered.Tiering.Tests.Rdb;

/// <summary>
/// RdbFileWriter: a store of every type and encoding (all hot, or all cold on the SSD) written as dump.rdb and loaded
/// by redis-server 7.0.15 at start, which must then hold every key with the engine's digest and TTL, the function
/// library, and none of the keys whose TTL had passed; redis-check-rdb must accept the file.
/// </summary>
public sealed class RdbFileWriterTests(ITestOutputHelper output)
{
    private const string Library = "#!lua name=writerlib\nredis.register_function('wf', function(keys, args) return 1 end)";
    private const string ExpiredKey = "expired:never-written";
    private const string CheckRdb = "/usr/bin/redis-check-rdb";

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private readonly struct Strings(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => B(items[i]);
    }

    private readonly struct Pairs(params string[] items) : IKeyValuePairs
    {
        public int PairCount => items.Length / 2;
        public ReadOnlySpan<byte> Key(int i) => B(items[2 * i]);
        public ReadOnlySpan<byte> Value(int i) => B(items[2 * i + 1]);
    }

    private static string[] Range(int n, Func<int, string> f)
    {
        var a = new string[n];
        for (int i = 0; i < n; i++) a[i] = f(i);
        return a;
    }

    private static void Ok(Status s) => Assert.Equal(Status.Ok, s);

    /// <summary>Every type and encoding in db 0, a few keys in db 5, TTLs, and one key about to expire.</summary>
    private static void Build(Store store)
    {
        lock (store.Lock)
        {
            store.BeginBatch();
            Database db = store.Databases[0];
            long now = store.Clock.NowMs;
            var rnd = new Random(11);
            Ok(StringOps.Set(db, B("str:int"), B("1234567")));
            Ok(StringOps.Set(db, B("str:negative"), B("-42")));
            Ok(StringOps.Set(db, B("str:short"), B("hello world")));
            Ok(StringOps.Set(db, B("str:long"), B(new string('r', 60) + "tail")));
            Ok(StringOps.Set(db, B("str:70k"), B(string.Concat(Enumerable.Repeat("0123456789abcdef", 70 * 64)))));   // LZF
            byte[] noise = new byte[70 * 1024];
            rnd.NextBytes(noise);
            Ok(StringOps.Set(db, B("str:70k-random"), noise));   // incompressible: larger than the writer's buffer
            Ok(ListOps.Push(db, B("list:small"), new Strings("a", "b", "3", "d"), left: false, onlyIfExists: false, out _));
            Ok(ListOps.Push(db, B("list:big"), new Strings(Range(5000, i => "element-" + i)), left: false, onlyIfExists: false, out _));
            Ok(SetOps.Add(db, B("set:intset"), new Strings("1", "2", "3", "-7", "100000"), out _));
            Ok(SetOps.Add(db, B("set:strings"), new Strings("x", "y", "z"), out _));
            Ok(SetOps.Add(db, B("set:bigints"), new Strings(Range(1000, i => i.ToString())), out _));
            Ok(SortedSetOps.Add(db, B("zset:small"), UpdateCondition.None, [1, 2.5, -3], new Strings("a", "b", "c"), out _, out _));
            double[] scores = new double[300];
            for (int i = 0; i < scores.Length; i++) scores[i] = i * 1.5;
            Ok(SortedSetOps.Add(db, B("zset:big"), UpdateCondition.None, scores, new Strings(Range(300, i => "m" + i)), out _, out _));
            Ok(SortedSetOps.Add(db, B("zset:inf"), UpdateCondition.None, [double.PositiveInfinity, double.NegativeInfinity],
                new Strings("top", "bottom"), out _, out _));
            Ok(HashOps.Set(db, B("hash:small"), new Pairs("f1", "v1", "f2", "2"), out _));
            Ok(HashOps.Set(db, B("hash:big"), new Pairs(Range(1200, i => i % 2 == 0 ? "field" + i / 2 : "value" + i / 2)), out _));
            Ok(HashOps.Set(db, B("hash:longvalue"), new Pairs("f", new string('h', 100)), out _));
            for (int i = 0; i < 250; i++)
                Ok(StreamOps.Add(db, B("stream"), false, StreamIdSpec.Star, new Strings("n", i.ToString(), "name", "item" + i), default, out _));
            Ok(StreamOps.CreateGroup(db, B("stream"), B("g1"), false, StreamId.Min, false, -1));
            Ok(StreamOps.ReadGroupNew(db, B("stream"), B("g1"), B("alice"), 5, false, out _, out _, out _));
            Ok(StreamOps.ReadGroupNew(db, B("stream"), B("g1"), B("bob"), 3, false, out _, out _, out _));
            Ok(StreamOps.CreateGroup(db, B("stream"), B("g2"), true, default, false, -1));
            Ok(HyperLogLogOps.Add(db, B("hll:sparse"), new Strings("a", "b", "c"), out _));
            Ok(HyperLogLogOps.Add(db, B("hll:dense"), new Strings(Range(5000, i => "e" + i)), out _));
            Ok(StringOps.Set(db, B("ttl:str"), B("v"), SetCondition.Always, now + 500_000));
            Ok(HashOps.Set(db, B("ttl:hash"), new Pairs("f", "v"), out _));
            Ok(KeyOps.Expire(db, B("ttl:hash"), now + 9_000_000, UpdateCondition.None));
            Ok(StringOps.Set(db, B(ExpiredKey), B("gone"), SetCondition.Always, now + 1));
            Database db5 = store.Databases[5];
            Ok(StringOps.Set(db5, B("db5:str"), B("five")));
            Ok(ListOps.Push(db5, B("db5:list"), new Strings("x", "y"), left: false, onlyIfExists: false, out _));
            Ok(StringOps.Set(db5, B("db5:ttl"), B("v"), SetCondition.Always, now + 1_000_000));
            Ok(StringOps.Set(db5, B("str:int"), B("same name, other db")));
            store.EndCommand();
        }
    }

    /// <summary>(db, key) to (digest, absolute expiry) of every key whose TTL has not passed, as the engine sees it.</summary>
    private static Dictionary<(int Db, string Key), (string Digest, long ExpireAt)> Expected(Store store)
    {
        var result = new Dictionary<(int, string), (string, long)>();
        lock (store.Lock)
        {
            long now = store.Clock.NowMs;
            foreach (Database db in store.Databases)
            {
                KeyIndex index = db.Index;
                for (int i = 0; i < index.HighWater; i++)
                {
                    if (!index.IsLive(i)) continue;
                    long exp = index.ExpireAt(i);
                    if (exp != 0 && exp <= now) continue;
                    byte[] key = db.KeyOf(i);
                    result[(db.Id, Encoding.UTF8.GetString(key))] = (Convert.ToHexStringLower(DebugOps.ValueDigest(db, key)), exp);
                }
            }
        }
        return result;
    }

    /// <summary>Lets the about-to-expire key's TTL pass (it stays in the index: nothing expires it actively here).</summary>
    private static void PassExpiry(Store store)
    {
        Thread.Sleep(10);
        lock (store.Lock)
        {
            store.Clock.Refresh();
            KeyIndex index = store.Databases[0].Index;
            int i = index.Find(B(ExpiredKey), KeyIndex.Hash(B(ExpiredKey)));
            Assert.True(i >= 0 && index.IsLive(i), "the expired key should still be in the index");
            Assert.True(index.ExpireAt(i) <= store.Clock.NowMs);
        }
    }

    private static byte[] WriteFile(Store store, string path)
    {
        using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
            lock (store.Lock)
            {
                store.Clock.Refresh();
                RdbFileWriter.Write(store, f, [B(Library)], [new("repl-stream-db", "0"), new("repl-id", new string('a', 40)), new("repl-offset", "0")]);
            }
        return File.ReadAllBytes(path);
    }

    private static object?[] Items(object? reply) => Assert.IsType<object?[]>(reply);

    /// <summary>Writes the store, starts redis-server on the file and compares what it loaded with the engine.</summary>
    private void CheckWithRedis(Store store)
    {
        PassExpiry(store);
        Dictionary<(int Db, string Key), (string Digest, long ExpireAt)> expected = Expected(store);
        string dir = Path.Combine(Path.GetTempPath(), "tiered-rdbw-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try { CheckWithRedis(store, dir, expected); }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);   // the server, if started, is gone by now
        }
    }

    private static void CheckWithRedis(Store store, string dir, Dictionary<(int Db, string Key), (string Digest, long ExpireAt)> expected)
    {
        byte[] file = WriteFile(store, Path.Combine(dir, "dump.rdb"));
        Assert.Equal(-1, file.AsSpan().IndexOf(B(ExpiredKey)));
        Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(file.Length - 8)), Crc64.Compute(file.AsSpan(0, file.Length - 8)));
        RunCheckRdb(Path.Combine(dir, "dump.rdb"));

        using var redis = new RedisProcess(dir, 7870);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int db = 0; db < store.Databases.Length; db++)
        {
            redis.Call("SELECT", db);
            Assert.Equal((long)expected.Count(e => e.Key.Db == db), redis.Call("DBSIZE"));
        }
        Assert.True(expected.Count(e => e.Key.Db == 5) >= 4);
        foreach (((int db, string key), (string digest, long expireAt)) in expected)
        {
            redis.Call("SELECT", db);
            Assert.Equal(digest, Items(redis.Call("DEBUG", "DIGEST-VALUE", key))[0]);
            long pttl = (long)redis.Call("PTTL", key)!;
            if (expireAt == 0) Assert.Equal(-1, pttl);
            else Assert.InRange(pttl, expireAt - now - 30_000, expireAt - now + 1_000);
        }
        redis.Call("SELECT", 0);
        Assert.Equal(0L, redis.Call("EXISTS", ExpiredKey));
        object?[] library = Items(Assert.Single(Items(redis.Call("FUNCTION", "LIST", "WITHCODE"))));
        Assert.Equal("writerlib", library[System.Array.IndexOf(library, "library_name") + 1]);
        Assert.Equal(Library, library[System.Array.IndexOf(library, "library_code") + 1]);

        // The whole dataset: equal once the engine drops its expired key, as the file did.
        lock (store.Lock) Assert.True(store.Databases[0].LookupWrite(B(ExpiredKey), KeyIndex.Hash(B(ExpiredKey))) < 0);
        Assert.Equal(Convert.ToHexStringLower(DebugOps.DatasetDigest(store)), redis.Call("DEBUG", "DIGEST"));
    }

    private static void RunCheckRdb(string path)
    {
        Assert.True(File.Exists(CheckRdb), CheckRdb + " is missing: it comes with redis-server 7.0.15, which this test needs.");
        var psi = new ProcessStartInfo(CheckRdb) { ArgumentList = { path }, RedirectStandardOutput = true, RedirectStandardError = true };
        using Process p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && stdout.Contains("RDB looks OK!"), stdout);
        Assert.Contains("[info] 0 already expired", stdout);
    }

    [Fact]
    public void AHotStoreOfEveryTypeLoadsIntoRedisWithEqualDigestsAndTtls()
    {
        using var store = new Store(new EngineOptions());
        Build(store);
        CheckWithRedis(store);
    }

    [Fact]
    public void AStoreWhoseEveryKeyIsColdLoadsIntoRedisWithEqualDigestsAndTtls()
    {
        using var t = new TieredStore(maxMemory: 256 << 20);
        Build(t.Store);
        long total = t.Read(_ => t.Store.TotalKeys());
        t.Store.Memory.MaxMemory = 1;
        t.Demote();
        Assert.Equal((0L, total), t.Keys());
        CheckWithRedis(t.Store);
        Assert.Equal(0L, t.Read(_ => t.Store.HotKeys()));   // the snapshot read cold values without promoting them
    }

    private static RdbLoader LoadWithTiered(byte[] file, Store into)
    {
        var loader = new RdbLoader(into);
        Assert.True(loader.Feed(file), loader.Error);
        Assert.True(loader.Finish());
        Assert.True(loader.Done);
        return loader;
    }

    private static string Aux(RdbLoader loader, string name) => Encoding.ASCII.GetString(loader.Aux[name]);

    [Fact]
    public void TieredsOwnLoaderReadsTheFileBackToTheSameDatasetBloomFiltersIncluded()
    {
        using var store = new Store(new EngineOptions());
        Build(store);
        lock (store.Lock) Ok(BloomOps.Add(store.Databases[5], B("db5:bloom"), new Strings("a", "b", "c"), new int[3]));   // redis-server has no such module
        PassExpiry(store);
        var ms = new MemoryStream();
        lock (store.Lock) RdbFileWriter.Write(store, ms, [B(Library)], [new("used-mem", "123"), new("repl-id", "r1"), new("repl-offset", "77")]);
        lock (store.Lock) store.Databases[0].LookupWrite(B(ExpiredKey), KeyIndex.Hash(B(ExpiredKey)));
        using var copy = new Store(new EngineOptions());
        RdbLoader loader = LoadWithTiered(ms.ToArray(), copy);
        Assert.Equal(RdbFileWriter.RedisVersion, Aux(loader, "redis-ver"));
        Assert.Equal("64", Aux(loader, "redis-bits"));
        Assert.InRange(long.Parse(Aux(loader, "ctime")), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal("123", Aux(loader, "used-mem"));   // what the caller gives wins over the default
        Assert.Equal("r1", Aux(loader, "repl-id"));
        Assert.Equal("77", Aux(loader, "repl-offset"));
        Assert.Equal("0", Aux(loader, "aof-base"));
        Assert.Equal(Library, Encoding.UTF8.GetString(Assert.Single(loader.Functions)));
        Assert.Equal(DebugOps.DatasetDigest(store), DebugOps.DatasetDigest(copy));
        Assert.Equal(store.TotalKeys(), copy.TotalKeys());
    }

    [Fact]
    public void AnEmptyStoreIsAValidFileWithNoDatabase()
    {
        using var store = new Store(new EngineOptions());
        string dir = Path.Combine(Path.GetTempPath(), "tiered-rdbw-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            byte[] file = WriteFile(store, Path.Combine(dir, "dump.rdb"));
            RunCheckRdb(Path.Combine(dir, "dump.rdb"));
            using var copy = new Store(new EngineOptions());
            Assert.Equal(0, LoadWithTiered(file, copy).KeysLoaded);
            using var redis = new RedisProcess(dir, 7870);
            Assert.Equal(0L, redis.Call("DBSIZE"));
            Assert.Single(Items(redis.Call("FUNCTION", "LIST")));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ColdKeysAreReadFromTheSsdInBatchesAndStayCold(bool slowDevice)
    {
        int keys = slowDevice ? 3000 : 20_000;   // the slow device makes demotion slow, not the snapshot
        using var t = new TieredStore(maxMemory: 256 << 20, slowDevice: slowDevice);
        lock (t.Store.Lock)
        {
            t.Store.BeginBatch();
            for (int i = 0; i < keys; i++) Ok(StringOps.Set(t.Db, B("key:" + i), B("value-" + i + new string('v', 100))));
            t.Store.EndCommand();
        }
        t.Store.Memory.MaxMemory = 1;
        t.Demote();
        Assert.Equal((0L, (long)keys), t.Keys());
        var ms = new MemoryStream();
        long syncReads = t.Store.TierStats.SyncReads;
        var sw = Stopwatch.StartNew();
        lock (t.Store.Lock) RdbFileWriter.Write(t.Store, ms, [], []);
        sw.Stop();
        output.WriteLine($"{keys} cold keys, {ms.Length} bytes in {sw.ElapsedMilliseconds} ms (slow device: {slowDevice})");
        Assert.Equal(syncReads, t.Store.TierStats.SyncReads);   // every record came through the window's async reads
        Assert.Equal(0L, t.Read(_ => t.Store.HotKeys()));
        using var copy = new Store(new EngineOptions());
        Assert.Equal(keys, LoadWithTiered(ms.ToArray(), copy).KeysLoaded);
        Assert.Equal(DebugOps.DatasetDigest(t.Store), DebugOps.DatasetDigest(copy));
    }

    /// <summary>Records the size of each write it is given.</summary>
    private sealed class CountingStream : Stream
    {
        public List<int> Writes { get; } = [];
        public long Total { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Total;
        public override long Position { get => Total; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes.Add(buffer.Length);
            Total += buffer.Length;
        }
    }

    [Fact]
    public void ALargeDatasetIsStreamedInBoundedWritesNotBuiltWhole()
    {
        const int keys = 100_000;
        using var store = new Store(new EngineOptions());
        lock (store.Lock)
        {
            store.BeginBatch();
            Database db = store.Databases[0];
            for (int i = 0; i < keys; i++) Ok(StringOps.Set(db, B("key:" + i), B("value-" + i + new string('v', 40))));
            store.EndCommand();
        }
        var counting = new CountingStream();
        for (int run = 0; run < 2; run++)   // the second run is timed warm
        {
            counting = new CountingStream();
            var sw = Stopwatch.StartNew();
            lock (store.Lock) RdbFileWriter.Write(store, counting, [], []);
            sw.Stop();
            output.WriteLine($"{keys} keys, {counting.Total} bytes in {sw.ElapsedMilliseconds} ms ({counting.Writes.Count} writes)");
        }
        Assert.True(counting.Total > 2_000_000);
        Assert.True(counting.Writes.Count > 50);
        Assert.True(counting.Writes.Max() < 128 * 1024, $"largest write {counting.Writes.Max()}");
    }
}

using System.Text;
using Tiered.Tiering.Debugging;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Rdb;
using Tiered.Tiering.Tests.Tiering;

namespace Tiered.Tiering.Tests.Rdb;

/// <summary>
/// One dump.rdb written by redis-server 7.0.15 (SAVE) over a dataset of every type and encoding, with what Redis says
/// about each key (DEBUG DIGEST-VALUE, PTTL, database) taken before the save.
/// </summary>
public sealed class RedisRdbFixture
{
    public const string Library = "#!lua name=rdblib\nredis.register_function('rdbf', function(keys, args) return 1 end)";

    public byte[] File { get; }

    /// <summary>(db, key) to (digest, pttl) as redis-server answered.</summary>
    public Dictionary<(int Db, string Key), (string Digest, long Pttl)> Expected { get; } = [];

    public RedisRdbFixture()
    {
        using var redis = new RedisProcess();
        Build(redis);
        foreach (int db in new[] { 0, 3 })
        {
            redis.Call("SELECT", db);
            foreach (object? k in (object?[])redis.Call("KEYS", "*")!)
            {
                string key = (string)k!;
                Expected[(db, key)] = ((string)((object?[])redis.Call("DEBUG", "DIGEST-VALUE", key)!)[0]!, (long)redis.Call("PTTL", key)!);
            }
        }
        // A key already expired when the file is written (active expiry off, never looked up): kept by a replica load.
        redis.Call("SELECT", 0);
        redis.Call("DEBUG", "SET-ACTIVE-EXPIRE", 0);
        redis.Call("SET", "expired", "v", "PX", 1);
        Thread.Sleep(20);
        redis.Call("SAVE");
        File = System.IO.File.ReadAllBytes(Path.Combine(redis.Dir, "dump.rdb"));
    }

    private static void Build(RedisProcess r)
    {
        var rnd = new Random(7);
        r.Call("SET", "str:int", 1234567);
        r.Call("SET", "str:embstr", "hello world");
        r.Call("SET", "str:raw", new string('r', 60) + "tail");
        r.Call("SET", "str:big", string.Concat(Enumerable.Repeat("0123456789abcdef", 20000)));   // LZF-compressed
        for (int i = 0; i < 40; i++) r.Call("SET", "str:filler" + i, new string((char)('a' + i % 26), 10_000) + i);   // LZF-compressed, many entries
        byte[] filler = new byte[20_000];
        for (int i = 0; i < 20; i++)
        {
            rnd.NextBytes(filler);
            r.Call("SET", "str:random" + i, filler);
        }
        byte[] noise = new byte[100_000];
        rnd.NextBytes(noise);
        r.Call("SET", "str:noise", noise);
        r.Call("RPUSH", "list:small", "a", "b", 3, "d");
        object[] big = ["list:big", .. Enumerable.Range(0, 5000).Select(i => (object)("element-" + i))];
        r.Call(["RPUSH", .. big]);
        r.Call("SADD", "set:intset", 1, 2, 3, -7, 100000);
        r.Call("SADD", "set:strings", "x", "y", "z");
        r.Call(["SADD", "set:bigints", .. Enumerable.Range(0, 1000).Select(i => (object)i)]);
        r.Call("ZADD", "zset:small", 1, "a", 2.5, "b", -3, "c");
        r.Call(["ZADD", "zset:big", .. Enumerable.Range(0, 300).SelectMany(i => new object[] { i * 1.5, "m" + i })]);
        r.Call("ZADD", "zset:inf", "+inf", "top", "-inf", "bottom");
        r.Call("HSET", "hash:small", "f1", "v1", "f2", 2);
        r.Call(["HSET", "hash:big", .. Enumerable.Range(0, 600).SelectMany(i => new object[] { "field" + i, "value" + i })]);
        r.Call("HSET", "hash:longvalue", "f", new string('h', 100));
        for (int i = 0; i < 250; i++) r.Call("XADD", "stream", "*", "n", i, "name", "item" + i);
        r.Call("XADD", "stream", "*", "other", "fields");
        r.Call("XGROUP", "CREATE", "stream", "g1", "0");
        r.Call("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 5, "STREAMS", "stream", ">");
        r.Call("XREADGROUP", "GROUP", "g1", "bob", "COUNT", 3, "STREAMS", "stream", ">");
        r.Call("XGROUP", "CREATE", "stream", "g2", "$");
        r.Call("XADD", "stream:empty", "MAXLEN", 0, "*", "f", "v");
        r.Call("SET", "ttl:str", "v", "PX", 500_000);
        r.Call("HSET", "ttl:hash", "f", "v");
        r.Call("EXPIRE", "ttl:hash", 9000);
        r.Call("FUNCTION", "LOAD", Library);
        r.Call("SELECT", 3);
        r.Call("SET", "db3:str", "three");
        r.Call("RPUSH", "db3:list", "x", "y");
        r.Call("SET", "db3:ttl", "v", "EX", 1000);
        r.Call("SET", "str:int", "same name, other db");
    }
}

public sealed class RdbLoaderTests(RedisRdbFixture rdb) : IClassFixture<RedisRdbFixture>
{
    private static Store NewStore() => new(new EngineOptions());

    private static RdbLoader Load(Store store, byte[] file, Func<int> chunk, bool replica = true)
    {
        var loader = new RdbLoader(store, replica);
        for (int at = 0; at < file.Length;)
        {
            int n = Math.Min(chunk(), file.Length - at);
            Assert.True(loader.Feed(file.AsSpan(at, n)), loader.Error);
            at += n;
        }
        return loader;
    }

    public static TheoryData<int> ChunkSizes => new() { 1, 7, 4096, int.MaxValue, -1 };

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void EveryKeyLoadsAsRedisHoldsIt(int size)
    {
        var rnd = new Random(size);
        using Store store = NewStore();
        RdbLoader loader = Load(store, rdb.File, () => size > 0 ? size : rnd.Next(1, 20_000));
        Assert.True(loader.Done);
        Assert.Null(loader.Error);
        Assert.True(loader.Finish());
        Assert.Equal(rdb.Expected.Count + 1, loader.KeysLoaded);   // + the expired key a replica keeps
        Assert.Equal(0, loader.ExpiredSkipped);
        Assert.Equal(10, loader.Version);
        Assert.Equal("7.0.15", Encoding.ASCII.GetString(loader.Aux["redis-ver"]));
        Assert.Equal(RedisRdbFixture.Library, Encoding.UTF8.GetString(Assert.Single(loader.Functions)));

        lock (store.Lock)
        {
            store.BeginBatch();
            long now = store.Clock.NowMs;
            Assert.Equal(rdb.Expected.Count(e => e.Key.Db == 0) + 1, store.Databases[0].Count);
            Assert.Equal(rdb.Expected.Count(e => e.Key.Db == 3), store.Databases[3].Count);
            Assert.True(store.Databases[0].Contains("expired"u8));
            foreach (((int db, string key), (string digest, long pttl)) in rdb.Expected)
            {
                Database d = store.Databases[db];
                byte[] k = Encoding.UTF8.GetBytes(key);
                Assert.Equal(digest, Convert.ToHexStringLower(DebugOps.ValueDigest(d, k)));
                int i = d.Index.Find(k, KeyIndex.Hash(k));
                long expireAt = d.Index.ExpireAt(i);
                if (pttl < 0) Assert.Equal(0, expireAt);
                else Assert.InRange(expireAt - now, pttl - 60_000, pttl);
            }
        }
    }

    [Fact]
    public void ConsumedBytesAreDroppedSoTheBufferHoldsAboutOneEntry()
    {
        using Store store = NewStore();
        var loader = new RdbLoader(store);
        int largest = 0;
        for (int at = 0; at < rdb.File.Length; at += 4096)
        {
            Assert.True(loader.Feed(rdb.File.AsSpan(at, Math.Min(4096, rdb.File.Length - at))));
            largest = Math.Max(largest, loader.BufferCapacity);
        }
        Assert.True(loader.Done);
        // The largest entry is str:noise (100,000 random bytes); the file is several times that.
        Assert.True(rdb.File.Length > 3 * 128 * 1024, $"file of {rdb.File.Length} bytes");
        Assert.InRange(largest, 100_000, 256 * 1024);
    }

    [Fact]
    public void AFileLargerThanMaxmemoryLoadsIntoTheSsdTier()
    {
        using var tiered = new TieredStore(maxMemory: 1024 * 1024);
        Store store = tiered.Store;
        store.Start();
        RdbLoader loader = Load(store, rdb.File, () => 4096);
        Assert.True(loader.Done, loader.Error);
        (long hot, long cold) = tiered.Keys();
        Assert.True(cold > 0, $"{hot} hot, {cold} cold");
        lock (store.Lock)
        {
            store.BeginBatch();
            foreach (((int db, string key), (string digest, _)) in rdb.Expected)
                Assert.Equal(digest, Convert.ToHexStringLower(DebugOps.ValueDigest(store.Databases[db], Encoding.UTF8.GetBytes(key))));
            store.EndCommand();
        }
    }

    [Fact]
    public void APrimaryLoadSkipsKeysAlreadyExpired()
    {
        using Store store = NewStore();
        RdbLoader loader = Load(store, rdb.File, () => 4096, replica: false);
        Assert.True(loader.Done);
        Assert.Equal(1, loader.ExpiredSkipped);
        Assert.Equal(rdb.Expected.Count, loader.KeysLoaded);
        lock (store.Lock) Assert.False(store.Databases[0].Contains("expired"u8));
    }

    [Fact]
    public void ATruncatedFileIsNotDoneUntilTheTransferEnds()
    {
        using Store store = NewStore();
        var loader = new RdbLoader(store);
        Assert.True(loader.Feed(rdb.File.AsSpan(0, rdb.File.Length - 5)));
        Assert.False(loader.Done);
        Assert.Null(loader.Error);
        Assert.True(loader.KeysLoaded > 0);   // complete entries were applied as they came
        Assert.False(loader.Finish());
        Assert.StartsWith("Short read", loader.Error);
    }

    [Fact]
    public void BytesAfterTheChecksumAreAnError()
    {
        using Store store = NewStore();
        var loader = new RdbLoader(store);
        Assert.True(loader.Feed(rdb.File));
        Assert.True(loader.Done);
        Assert.False(loader.Feed([0]));
        Assert.NotNull(loader.Error);

        using Store again = NewStore();
        var sameChunk = new RdbLoader(again);
        Assert.False(sameChunk.Feed([.. rdb.File, 0]));
        Assert.Equal("Unexpected bytes after the RDB file's checksum.", sameChunk.Error);
    }

    [Fact]
    public void AWrongChecksumIsRefused()
    {
        byte[] file = (byte[])rdb.File.Clone();
        file[^1] ^= 0x55;
        using Store store = NewStore();
        var loader = new RdbLoader(store);
        Assert.False(loader.Feed(file));
        Assert.False(loader.Done);
        Assert.StartsWith("Wrong RDB checksum expected", loader.Error);
    }

    [Fact]
    public void AZeroChecksumIsNotChecked()
    {
        byte[] file = (byte[])rdb.File.Clone();
        file.AsSpan(file.Length - 8).Clear();
        using Store store = NewStore();
        var loader = new RdbLoader(store);
        Assert.True(loader.Feed(file));
        Assert.True(loader.Done);
    }

    [Fact]
    public void ACorruptedByteAnywhereIsAnErrorNeverAnException()
    {
        var rnd = new Random(11);
        for (int trial = 0; trial < 60; trial++)
        {
            byte[] file = (byte[])rdb.File.Clone();
            int at = trial < 30 ? 9 + trial * (file.Length - 18) / 30 : rnd.Next(9, file.Length - 9);
            file[at] ^= (byte)rnd.Next(1, 256);
            using Store store = NewStore();
            var loader = new RdbLoader(store);
            bool ok = true;
            for (int i = 0; i < file.Length && ok; i += 4096) ok = loader.Feed(file.AsSpan(i, Math.Min(4096, file.Length - i)));
            ok = ok && loader.Finish();
            Assert.False(ok, $"a flipped byte at {at} loaded");
            Assert.False(loader.Done && loader.Error == null);
            Assert.NotNull(loader.Error);
        }
    }

    [Fact]
    public void TheHeaderIsChecked()
    {
        using Store store = NewStore();
        var wrong = new RdbLoader(store);
        Assert.False(wrong.Feed("RADIS0010"u8));
        Assert.Equal("Wrong signature trying to load DB from file", wrong.Error);
        var newer = new RdbLoader(store);
        Assert.False(newer.Feed("REDIS0011"u8));
        Assert.Equal("Can't handle RDB format version 11", newer.Error);
    }
}

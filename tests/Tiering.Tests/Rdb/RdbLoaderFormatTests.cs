using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Rdb;

namespace Tiered.Tiering.Tests.Rdb;

/// <summary>The RDB loader on files written here, byte by byte: the opcodes and forms a redis-server 7.0 SAVE does not produce.</summary>
public sealed class RdbLoaderFormatTests
{
    /// <summary>An RDB file: header of <paramref name="version"/>, the body <paramref name="write"/> writes, EOF and (version 5+) the CRC64.</summary>
    private static byte[] File(int version, Action<RdbWriter> write)
    {
        var w = new RdbWriter();
        w.Raw(Encoding.ASCII.GetBytes($"REDIS{version:D4}"));
        write(w);
        w.Byte(0xFF);
        if (version >= 5) w.UInt64(Crc64.Compute(w.Written));
        return w.ToArray();
    }

    private static void StringKey(RdbWriter w, string key, string value)
    {
        w.Byte((byte)RdbType.String);
        w.String(Encoding.UTF8.GetBytes(key));
        w.String(Encoding.UTF8.GetBytes(value));
    }

    private static RdbLoader Feed(Store store, byte[] file, bool byteByByte = true)
    {
        var loader = new RdbLoader(store);
        if (byteByByte)
        {
            for (int i = 0; i < file.Length; i++)
                if (!loader.Feed(file.AsSpan(i, 1))) break;
        }
        else loader.Feed(file);
        return loader;
    }

    [Fact]
    public void AnEmptyCollectionIsSkippedAsRedisSkipsIt()
    {
        using var store = new Store(new EngineOptions());
        RdbLoader loader = Feed(store, File(10, w =>
        {
            w.Byte((byte)RdbType.Set);
            w.String("empty"u8);
            w.Length(0);
            StringKey(w, "k", "v");
        }));
        Assert.True(loader.Done, loader.Error);
        Assert.Equal(1, loader.EmptySkipped);
        Assert.Equal(1, loader.KeysLoaded);
        lock (store.Lock) Assert.False(store.Databases[0].Contains("empty"u8));
    }

    [Fact]
    public void AnOldFileHasNoChecksumAndExpiresInSeconds()
    {
        using var store = new Store(new EngineOptions());
        long at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1000;
        RdbLoader loader = Feed(store, File(4, w =>
        {
            w.Byte(0xFE);
            w.Length(2);
            w.Byte(0xFD);
            w.Raw(BitConverter.GetBytes((int)at));
            StringKey(w, "old", "value");
        }));
        Assert.True(loader.Done, loader.Error);
        lock (store.Lock)
        {
            Database db = store.Databases[2];
            int i = db.Index.Find("old"u8, KeyIndex.Hash("old"u8));
            Assert.True(i >= 0);
            Assert.Equal(at * 1000, db.Index.ExpireAt(i));
        }
    }

    [Fact]
    public void IdleTimeAndFrequencyReachTheKey()
    {
        using var store = new Store(new EngineOptions());
        store.Clock.OffsetMs = 10_000_000;   // the engine has run for hours: an idle time of one hour fits after its start
        RdbLoader loader = Feed(store, File(10, w =>
        {
            w.Byte(0xF9);
            w.Byte(42);
            StringKey(w, "lfu", "v");
            w.Byte(0xF8);
            w.Length(3600);
            StringKey(w, "idle", "v");
        }));
        Assert.True(loader.Done, loader.Error);
        lock (store.Lock)
        {
            Database db = store.Databases[0];
            Assert.Equal(42, db.At(db.Index.Find("lfu"u8, KeyIndex.Hash("lfu"u8))).Lfu);
            uint access = db.At(db.Index.Find("idle"u8, KeyIndex.Hash("idle"u8))).AccessSec;
            Assert.InRange(store.Clock.Seconds - access, 3600u, 3610u);
        }
    }

    [Fact]
    public void ADuplicatedKeyIsRefused()
    {
        using var store = new Store(new EngineOptions());
        RdbLoader loader = Feed(store, File(10, w =>
        {
            StringKey(w, "k", "1");
            StringKey(w, "k", "2");
        }));
        Assert.False(loader.Done);
        Assert.Equal("Duplicated key found in RDB file", loader.Error);
    }

    [Fact]
    public void ADatabaseBeyondTheConfiguredOnesIsRefused()
    {
        using var store = new Store(new EngineOptions());
        RdbLoader loader = Feed(store, File(10, w =>
        {
            w.Byte(0xFE);
            w.Length((ulong)store.Databases.Length);
        }));
        Assert.StartsWith($"FATAL: Data file was created with a Redis server configured to handle more than {store.Databases.Length} databases", loader.Error);
    }

    [Fact]
    public void ThePreReleaseFunctionFormatAndModuleAuxDataAreRefused()
    {
        using var store = new Store(new EngineOptions());
        RdbLoader pre = Feed(store, File(10, w => w.Byte(0xF6)));
        Assert.Equal("Pre-release function format not supported.", pre.Error);
        RdbLoader aux = Feed(store, File(10, w =>
        {
            w.Byte(0xF7);
            w.Length(RdbModules.BloomModuleId);
        }));
        Assert.Equal("The RDB file contains AUX module data I can't load: no matching module 'Tiered-BF'", aux.Error);
    }

    [Fact]
    public void DamagedFramingIsAnErrorAtOnceNotAWait()
    {
        using var store = new Store(new EngineOptions());
        var badLength = new RdbLoader(store);
        Assert.False(badLength.Feed([.. "REDIS0010"u8, (byte)RdbType.String, 0x82]));
        Assert.StartsWith("Bad data format", badLength.Error);
        var badType = new RdbLoader(store);
        Assert.False(badType.Feed([.. "REDIS0010"u8, 30, 1, (byte)'k']));
        Assert.StartsWith("Bad data format", badType.Error);
    }

    [Fact]
    public void AValueLargerThanTheBufferIsAppliedWhenItsLastByteArrives()
    {
        using var store = new Store(new EngineOptions());
        byte[] big = new byte[3_000_000];
        new Random(3).NextBytes(big);
        byte[] file = File(10, w =>
        {
            w.Byte((byte)RdbType.String);
            w.String("big"u8);
            w.String(big);
        });
        var loader = new RdbLoader(store);
        Assert.True(loader.Feed(file.AsSpan(0, file.Length - 10)));
        Assert.Equal(0, loader.KeysLoaded);
        Assert.True(loader.Feed(file.AsSpan(file.Length - 10, 1)));
        Assert.Equal(1, loader.KeysLoaded);
        Assert.True(loader.BufferCapacity < 128 * 1024, $"{loader.BufferCapacity} bytes kept after the value was applied");
        Assert.True(loader.Feed(file.AsSpan(file.Length - 9)));
        Assert.True(loader.Done);
        lock (store.Lock)
        {
            Assert.Equal(Status.Ok, store.Databases[0].ReadString("big"u8, out byte[] value, out _));
            Assert.Equal(big, value);
        }
    }
}

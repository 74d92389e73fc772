using CommandFlags = Tiered.Server.Commands.CommandFlags;
using StackExchange.Redis;
using static Tiered.Server.Tests.Infrastructure.Replies;
using Tiered.Server.Commands;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Blooms;

namespace Tiered.Server.Tests;

public sealed class BloomCommandTests : ServerTestBase
{
    private const string Full = "-ERR non scaling filter is full\r\n";

    /// <summary>BF.INFO Size of the filter at <paramref name="key"/> in db 0 (read after the reply arrived).</summary>
    private long SizeOf(string key)
    {
        BloomOps.Get(Server.Server.Store.Databases[0], System.Text.Encoding.UTF8.GetBytes(key), out BloomValue? bf);
        return bf!.SizeBytes;
    }

    [Fact]
    public void ReserveValidatesLikeRedisBloom()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "BF.RESERVE", "bf", "0.01", "100");
        c.Roundtrip("-ERR item exists\r\n", "BF.RESERVE", "bf", "0.01", "100");
        c.Roundtrip("-ERR bad error rate\r\n", "BF.RESERVE", "x", "abc", "100");
        c.Roundtrip("-ERR (0 < error rate range < 1)\r\n", "BF.RESERVE", "x", "0", "100");
        c.Roundtrip("-ERR (0 < error rate range < 1)\r\n", "BF.RESERVE", "x", "1", "100");
        c.Roundtrip("-ERR bad capacity\r\n", "BF.RESERVE", "x", "0.01", "abc");
        c.Roundtrip("-ERR (capacity should be larger than 0)\r\n", "BF.RESERVE", "x", "0.01", "0");
        c.Roundtrip("-ERR bad expansion\r\n", "BF.RESERVE", "x", "0.01", "10", "EXPANSION", "x");
        c.Roundtrip("-ERR expansion should be greater or equal to 1\r\n", "BF.RESERVE", "x", "0.01", "10", "EXPANSION", "0");
        c.Roundtrip("-ERR Nonscaling filters cannot expand\r\n", "BF.RESERVE", "x", "0.01", "10", "EXPANSION", "2", "NONSCALING");
        c.Roundtrip("-ERR syntax error\r\n", "BF.RESERVE", "x", "0.01", "10", "FOO");
        c.Roundtrip("-ERR could not create filter\r\n", "BF.RESERVE", "x", "0.0000000001", "4294967294");
        c.Roundtrip("-ERR bad capacity\r\n", "BF.RESERVE", "x", "0.01", "4294967295");
        c.Roundtrip("-ERR wrong number of arguments for 'bf.reserve' command\r\n", "BF.RESERVE", "x", "0.01");
        c.Roundtrip(":0\r\n", "EXISTS", "x");
        c.Roundtrip("+MBbloom--\r\n", "TYPE", "bf");
    }

    [Fact]
    public void AddExistsAndCardReplyWithExactBytes()
    {
        using var c = Server.Raw();
        c.Roundtrip(":0\r\n", "BF.EXISTS", "bf", "a");
        c.Roundtrip(":0\r\n", "BF.CARD", "bf");
        c.Roundtrip(":1\r\n", "BF.ADD", "bf", "a");
        c.Roundtrip(":0\r\n", "BF.ADD", "bf", "a");
        c.Roundtrip(":1\r\n", "BF.EXISTS", "bf", "a");
        c.Roundtrip(":0\r\n", "BF.EXISTS", "bf", "b");
        c.Roundtrip("*3\r\n:0\r\n:1\r\n:1\r\n", "BF.MADD", "bf", "a", "b", "c");
        c.Roundtrip("*3\r\n:1\r\n:0\r\n:1\r\n", "BF.MEXISTS", "bf", "a", "zz", "c");
        c.Roundtrip("*1\r\n:0\r\n", "BF.MEXISTS", "missing", "a");
        c.Roundtrip(":3\r\n", "BF.CARD", "bf");
        c.Roundtrip("-ERR wrong number of arguments for 'bf.add' command\r\n", "BF.ADD", "bf");
        c.Roundtrip("-ERR wrong number of arguments for 'bf.madd' command\r\n", "BF.MADD", "bf");
        c.Roundtrip("-ERR wrong number of arguments for 'bf.exists' command\r\n", "BF.EXISTS", "bf", "a", "b");
        c.Roundtrip("-ERR wrong number of arguments for 'bf.card' command\r\n", "BF.CARD");
    }

    [Fact]
    public void InfoReportsRedisBloomFields()
    {
        using var c = Server.Raw();
        c.Roundtrip("*3\r\n:1\r\n:1\r\n:1\r\n", "BF.MADD", "bf", "a", "b", "c");
        long size = SizeOf("bf");
        c.Roundtrip($"*10\r\n+Capacity\r\n:100\r\n+Size\r\n:{size}\r\n+Number of filters\r\n:1\r\n+Number of items inserted\r\n:3\r\n+Expansion rate\r\n:2\r\n", "BF.INFO", "bf");
        c.Roundtrip("*1\r\n:100\r\n", "BF.INFO", "bf", "CAPACITY");
        c.Roundtrip("*1\r\n:3\r\n", "BF.INFO", "bf", "items");
        c.Roundtrip("*1\r\n:1\r\n", "BF.INFO", "bf", "FILTERS");
        c.Roundtrip("*1\r\n:2\r\n", "BF.INFO", "bf", "EXPANSION");
        c.Roundtrip($"*1\r\n:{size}\r\n", "BF.INFO", "bf", "SIZE");
        c.Roundtrip("-ERR Invalid information value\r\n", "BF.INFO", "bf", "FOO");
        c.Roundtrip("-ERR not found\r\n", "BF.INFO", "missing");
        c.Roundtrip("-ERR wrong number of arguments for 'bf.info' command\r\n", "BF.INFO", "bf", "CAPACITY", "x");
    }

    [Fact]
    public void FilterScalesWhenFullAndNonScalingRefuses()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "BF.RESERVE", "s", "0.01", "2", "EXPANSION", "3");
        c.Roundtrip("*3\r\n:1\r\n:1\r\n:1\r\n", "BF.MADD", "s", "a", "b", "c");
        c.Roundtrip("*1\r\n:2\r\n", "BF.INFO", "s", "FILTERS");
        c.Roundtrip("*1\r\n:8\r\n", "BF.INFO", "s", "CAPACITY");
        c.Roundtrip("+OK\r\n", "BF.RESERVE", "n", "0.01", "2", "NONSCALING");
        c.Roundtrip($"*3\r\n:1\r\n:1\r\n{Full}", "BF.MADD", "n", "a", "b", "c");
        c.Roundtrip(Full, "BF.ADD", "n", "d");
        c.Roundtrip(":1\r\n", "BF.EXISTS", "n", "a");
        c.Roundtrip("*1\r\n$-1\r\n", "BF.INFO", "n", "EXPANSION");
    }

    [Fact]
    public void BloomCommandsRefuseOtherTypesAndOthersRefuseBloom()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "s", "v");
        c.Roundtrip(WrongType, "BF.ADD", "s", "a");
        c.Roundtrip(WrongType, "BF.MADD", "s", "a");
        c.Roundtrip(WrongType, "BF.EXISTS", "s", "a");
        c.Roundtrip(WrongType, "BF.MEXISTS", "s", "a");
        c.Roundtrip(WrongType, "BF.INFO", "s");
        c.Roundtrip(WrongType, "BF.CARD", "s");
        c.Roundtrip(WrongType, "BF.RESERVE", "s", "0.01", "10");
        c.Roundtrip(":1\r\n", "BF.ADD", "bf", "a");
        c.Roundtrip(WrongType, "GET", "bf");
        c.Roundtrip("*1\r\n$2\r\nbf\r\n", "KEYS", "b*");
    }

    [Fact]
    public void Resp3UsesBooleansMapsAndNulls()
    {
        using var c = Server.Raw();
        c.Command("HELLO", "3");
        c.ReadReply();
        c.Roundtrip("#t\r\n", "BF.ADD", "bf", "a");
        c.Roundtrip("#f\r\n", "BF.ADD", "bf", "a");
        c.Roundtrip("#t\r\n", "BF.EXISTS", "bf", "a");
        c.Roundtrip("#f\r\n", "BF.EXISTS", "missing", "a");
        c.Roundtrip("*2\r\n#f\r\n#t\r\n", "BF.MADD", "bf", "a", "b");
        c.Roundtrip("*2\r\n#t\r\n#f\r\n", "BF.MEXISTS", "bf", "b", "zz");
        c.Roundtrip("+OK\r\n", "BF.RESERVE", "n", "0.001", "1000", "NONSCALING");
        long size = SizeOf("n");
        c.Roundtrip($"%5\r\n+Capacity\r\n:1000\r\n+Size\r\n:{size}\r\n+Number of filters\r\n:1\r\n+Number of items inserted\r\n:0\r\n+Expansion rate\r\n_\r\n", "BF.INFO", "n");
        c.Roundtrip(":2\r\n", "BF.CARD", "bf");
    }

    [Fact]
    public void CopyAndDeleteWorkOnBloomKeys()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "BF.ADD", "bf", "a");
        c.Roundtrip(":1\r\n", "COPY", "bf", "bf2");
        c.Roundtrip(":1\r\n", "BF.ADD", "bf2", "b");
        c.Roundtrip(":0\r\n", "BF.EXISTS", "bf", "b");
        c.Roundtrip(":1\r\n", "BF.EXISTS", "bf2", "a");
        c.Roundtrip(":2\r\n", "DEL", "bf", "bf2");
    }

    [Theory]
    [InlineData("bf.reserve", -4, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("bf.add", 3, CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast)]
    [InlineData("bf.madd", -3, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("bf.exists", 3, CommandFlags.ReadOnly | CommandFlags.Fast)]
    [InlineData("bf.mexists", -3, CommandFlags.ReadOnly)]
    [InlineData("bf.info", -2, CommandFlags.ReadOnly | CommandFlags.Fast)]
    [InlineData("bf.card", 2, CommandFlags.ReadOnly | CommandFlags.Fast)]
    public void BloomCommandsAreRegisteredWithArityFlagsAndKeys(string name, int arity, CommandFlags flags)
    {
        CommandDef def = Server.Server.Commands.Find(name)!;
        Assert.Equal((arity, 1, 1, 1, flags, "bf"), (def.Arity, def.FirstKey, def.LastKey, def.Step, def.Flags, def.Group));
        Assert.False(string.IsNullOrEmpty(def.Summary));
    }

    [Fact]
    public async Task StackExchangeRedisCanDriveBloomCommands()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        Assert.Equal("OK", (string?)await db.ExecuteAsync("BF.RESERVE", "f", "0.001", "500"));
        Assert.Equal(1, (long)await db.ExecuteAsync("BF.ADD", "f", "hello"));
        Assert.Equal(1, (long)await db.ExecuteAsync("BF.EXISTS", "f", "hello"));
        Assert.Equal(0, (long)await db.ExecuteAsync("BF.EXISTS", "f", "world"));
        RedisResult[] madd = (RedisResult[])(await db.ExecuteAsync("BF.MADD", "f", "a", "hello"))!;
        Assert.Equal(new long[] { 1, 0 }, madd.Select(r => (long)r).ToArray());
        Assert.Equal(2, (long)await db.ExecuteAsync("BF.CARD", "f"));
        Assert.Equal(RedisType.Unknown, await db.KeyTypeAsync("f"));
    }
}

using CommandFlags = Tiered.Server.Commands.CommandFlags;
using StackExchange.Redis;
using System.Text;
using static Tiered.Server.Tests.Infrastructure.Replies;
using Tiered.Server.Commands;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Types.HyperLogLogs;

namespace Tiered.Server.Tests;

public sealed class HyperLogLogCommandTests : ServerTestBase
{
    private const string NotHll = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";

    [Fact]
    public void PfAddAndPfCountReplyWithExactBytes()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "PFADD", "h", "1", "2", "3", "4", "5");
        c.Roundtrip(":5\r\n", "PFCOUNT", "h");
        c.Roundtrip(":1\r\n", "PFADD", "h", "6", "7", "8", "8", "9", "10");
        c.Roundtrip(":10\r\n", "PFCOUNT", "h");
        c.Roundtrip(":0\r\n", "PFADD", "h", "1", "10");
        c.Roundtrip(":0\r\n", "PFADD", "h");
        c.Roundtrip(":1\r\n", "PFADD", "empty");
        c.Roundtrip(":0\r\n", "PFCOUNT", "empty");
        c.Roundtrip(":0\r\n", "PFCOUNT", "missing");
        c.Roundtrip("+string\r\n", "TYPE", "h");
        c.Roundtrip("-ERR wrong number of arguments for 'pfadd' command\r\n", "PFADD");
        c.Roundtrip("-ERR wrong number of arguments for 'pfcount' command\r\n", "PFCOUNT");
        c.Roundtrip("-ERR wrong number of arguments for 'pfmerge' command\r\n", "PFMERGE");
    }

    [Fact]
    public void HllIsAStringWhoseBytesStartWithTheRedisHeader()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "PFADD", "h", "a");
        c.Command("GET", "h");
        string reply = c.ReadReply();
        Assert.StartsWith("$", reply);
        Assert.Contains("\r\nHYLL\u0001\0\0\0", reply);
        c.Roundtrip(":21\r\n", "STRLEN", "h"); // header + XZERO, VAL, XZERO
        c.Roundtrip(":1\r\n", "PFCOUNT", "h");
    }

    [Fact]
    public void PfMergeUnionsIntoTheDestination()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "PFADD", "a", "x", "y");
        c.Roundtrip(":1\r\n", "PFADD", "b", "y", "z");
        c.Roundtrip(":1\r\n", "PFADD", "d", "w");
        c.Roundtrip("+OK\r\n", "PFMERGE", "d", "a", "b", "missing");
        c.Roundtrip(":4\r\n", "PFCOUNT", "d");
        c.Roundtrip(":3\r\n", "PFCOUNT", "a", "b");
        c.Roundtrip(":2\r\n", "PFCOUNT", "a");
        c.Roundtrip("+OK\r\n", "PFMERGE", "new");
        c.Roundtrip(":0\r\n", "PFCOUNT", "new");
        c.Roundtrip("+string\r\n", "TYPE", "new");
    }

    [Fact]
    public void NonHllStringsAndOtherTypesGetRedisErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "s", "plain");
        c.Roundtrip(NotHll, "PFADD", "s", "x");
        c.Roundtrip(NotHll, "PFCOUNT", "s");
        c.Roundtrip(NotHll, "PFCOUNT", "missing", "s");
        c.Roundtrip(NotHll, "PFMERGE", "s", "missing");
        c.Roundtrip(NotHll, "PFMERGE", "d", "s");
        c.Roundtrip(":0\r\n", "EXISTS", "d");
        c.Roundtrip(":1\r\n", "BF.ADD", "bf", "x");
        c.Roundtrip(WrongType, "PFADD", "bf", "x");
        c.Roundtrip(WrongType, "PFCOUNT", "bf");
        c.Roundtrip(WrongType, "PFMERGE", "d", "bf");
    }

    [Fact]
    public void CorruptSparseHllIsReportedAsInvalidObject()
    {
        using var c = Server.Raw();
        byte[] hll = HyperLogLog.CreateEmpty();
        hll[16] = 0x70; // the XZERO run no longer covers every register
        HyperLogLog.InvalidateCache(hll);
        byte[] head = Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n$1\r\nh\r\n${hll.Length}\r\n");
        c.Send([.. head, .. hll, .. "\r\n"u8.ToArray()]);
        c.Expect("+OK\r\n");
        c.Roundtrip("-INVALIDOBJ Corrupted HLL object detected\r\n", "PFCOUNT", "h");
        c.Roundtrip("-INVALIDOBJ Corrupted HLL object detected\r\n", "PFADD", "h", "x");
    }

    [Fact]
    public void RepliesAreTheSameAfterHello3()
    {
        using var c = Server.Raw();
        c.Command("HELLO", "3");
        c.ReadReply();
        c.Roundtrip(":1\r\n", "PFADD", "h", "a", "b");
        c.Roundtrip(":2\r\n", "PFCOUNT", "h");
        c.Roundtrip("+OK\r\n", "PFMERGE", "h2", "h");
        c.Roundtrip(":2\r\n", "PFCOUNT", "h2");
        c.Roundtrip("+OK\r\n", "SET", "s", "x");
        c.Roundtrip(NotHll, "PFADD", "s", "a");
    }

    [Theory]
    [InlineData("pfadd", -2, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast)]
    [InlineData("pfcount", -2, 1, -1, 1, CommandFlags.ReadOnly)]
    [InlineData("pfmerge", -2, 1, -1, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    public void HyperLogLogCommandsAreRegisteredWithRedisArityFlagsAndKeys(string name, int arity, int first, int last, int step, CommandFlags flags)
    {
        CommandDef def = Server.Server.Commands.Find(name)!;
        Assert.Equal((arity, first, last, step, flags, "hyperloglog"), (def.Arity, def.FirstKey, def.LastKey, def.Step, def.Flags, def.Group));
        Assert.False(string.IsNullOrEmpty(def.Summary));
    }

    [Fact]
    public async Task StackExchangeRedisHyperLogLogWorks()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        var values = new RedisValue[2000];
        for (int i = 0; i < values.Length; i++) values[i] = "v" + i;
        Assert.True(await db.HyperLogLogAddAsync("h", values));
        long n = await db.HyperLogLogLengthAsync("h");
        Assert.InRange(n, 1940, 2060);
        Assert.True(await db.HyperLogLogAddAsync("g", ["v1", "other"]));
        await db.HyperLogLogMergeAsync("m", "h", "g");
        Assert.Equal(n + 1, await db.HyperLogLogLengthAsync("m"), 3.0);
        Assert.Equal(await db.HyperLogLogLengthAsync("m"), await db.HyperLogLogLengthAsync(["h", "g"]));
    }
}

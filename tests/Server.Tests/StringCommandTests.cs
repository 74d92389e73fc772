using CommandFlags = Tiered.Server.Commands.CommandFlags;
using StackExchange.Redis;
using static Tiered.Server.Tests.Infrastructure.Replies;
using Tiered.Server.Commands;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Engine;

namespace Tiered.Server.Tests;

public sealed class StringCommandTests : ServerTestBase
{
    /// <summary>Keys with a TTL in db 0 (read after the reply arrived, so the command has finished).</summary>
    private int Volatile => Server.Server.Store.Databases[0].Expires;

    [Fact]
    public void LcsAnswersAsRedisDoes()
    {
        // Replies and error texts as redis-server 7.0.15 gives them for the same commands.
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "MSET", "k1", "ohmytext", "k2", "mynewtext");
        c.Roundtrip(Bulk("mytext"), "LCS", "k1", "k2");
        c.Roundtrip(":6\r\n", "LCS", "k1", "k2", "LEN");
        c.Roundtrip(":6\r\n", "LCS", "k1", "k2", "LEN", "LEN");
        c.Roundtrip("*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
            "LCS", "k1", "k2", "IDX");
        c.Roundtrip("*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
            "LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN");
        c.Roundtrip("-ERR If you want both the length and indexes, please just use IDX.\r\n", "LCS", "k1", "k2", "IDX", "LEN");
        c.Roundtrip(Syntax, "LCS", "k1", "k2", "FOO");
        c.Roundtrip(Syntax, "LCS", "k1", "k2", "MINMATCHLEN");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "LCS", "k1", "k2", "MINMATCHLEN", "x");
        c.Roundtrip(Bulk(""), "LCS", "k1", "nokey");
        c.Roundtrip("*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n", "LCS", "nokey", "nokey2", "IDX");
        c.Roundtrip(":1\r\n", "RPUSH", "list", "x");
        c.Roundtrip("-ERR The specified keys must contain string values\r\n", "LCS", "k1", "list");
        c.Roundtrip("-ERR The specified keys must contain string values\r\n", "LCS", "list", "k1", "FOO");
        c.Command("HELLO", "3");
        c.ReadReply();
        c.Roundtrip("%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n",
            "LCS", "k1", "k2", "IDX", "MINMATCHLEN", "3");
    }

    [Fact]
    public void GetAndSetReplyWithExactBytes()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "GET", "k");
        c.Roundtrip(Ok, "SET", "k", "hello");
        c.Roundtrip(Bulk("hello"), "GET", "k");
        c.Roundtrip(Ok, "SET", "k", "");
        c.Roundtrip("$0\r\n\r\n", "GET", "k");
        c.Roundtrip("-ERR wrong number of arguments for 'get' command\r\n", "GET");
        c.Roundtrip("-ERR wrong number of arguments for 'set' command\r\n", "SET", "k");
    }

    [Fact]
    public void SetOptionsWorkInAnyOrderAndCase()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "k", "1", "px", "100000", "nx");
        Assert.Equal(1, Volatile);
        c.Roundtrip(Nil, "SET", "k", "2", "NX", "EX", "10");
        c.Roundtrip(Ok, "SET", "k", "3", "KeepTtl", "XX");
        Assert.Equal(1, Volatile);
        c.Roundtrip(Bulk("3"), "GET", "k");
        c.Roundtrip(Ok, "SET", "k", "4", "XX");
        Assert.Equal(0, Volatile);
        c.Roundtrip(Nil, "SET", "other", "x", "XX");
        c.Roundtrip(Nil, "GET", "other");
    }

    [Theory]
    [InlineData("NX", "XX")]
    [InlineData("XX", "NX")]
    [InlineData("EX", "10", "PX", "100")]
    [InlineData("PX", "10", "EXAT", "100")]
    [InlineData("KEEPTTL", "EX", "10")]
    [InlineData("EX", "10", "KEEPTTL")]
    [InlineData("EX")]
    [InlineData("PERSIST")]
    [InlineData("FOO")]
    public void SetWithConflictingOrUnknownOptionsIsASyntaxError(params string[] options)
    {
        using var c = Server.Raw();
        c.Roundtrip(Syntax, ["SET", "k", "v", .. options]);
        c.Roundtrip(Nil, "GET", "k");
    }

    [Theory]
    [InlineData("EX", "0")]
    [InlineData("PX", "-1")]
    [InlineData("EXAT", "0")]
    [InlineData("EX", "9223372036854775807")]
    [InlineData("PX", "9223372036854775807")]
    public void SetWithNonPositiveOrOverflowingExpireIsRefused(string unit, string time)
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR invalid expire time in 'set' command\r\n", "SET", "k", "v", unit, time);
        c.Roundtrip(NotInteger, "SET", "k", "v", unit, "soon");
        c.Roundtrip(Nil, "GET", "k");
    }

    [Fact]
    public void SetWithAnAbsoluteTimeInThePastLeavesNoKey()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "k", "v");
        c.Roundtrip(Ok, "SET", "k", "w", "EXAT", "1");
        c.Roundtrip(Nil, "GET", "k");
        c.Roundtrip(Ok, "SET", "k", "w", "PXAT", "1000");
        c.Roundtrip(Nil, "GET", "k");
    }

    [Fact]
    public void SetGetRepliesWithTheOldValueAndCombinesWithNx()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "SET", "k", "a", "GET");
        c.Roundtrip(Bulk("a"), "SET", "k", "b", "GET");
        c.Roundtrip(Bulk("b"), "SET", "k", "c", "NX", "GET");
        c.Roundtrip(Bulk("b"), "GET", "k");
        c.Roundtrip(Nil, "SET", "missing", "x", "XX", "GET");
        c.Roundtrip(Nil, "GET", "missing");
    }

    [Fact]
    public void SetNxRepliesOneOrZero()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "SETNX", "k", "a");
        c.Roundtrip(":0\r\n", "SETNX", "k", "b");
        c.Roundtrip(Bulk("a"), "GET", "k");
    }

    [Fact]
    public void SetExAndPSetExSetATtlAndNameThemselvesInErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SETEX", "k", "100", "v");
        c.Roundtrip(Ok, "PSETEX", "p", "100000", "v");
        Assert.Equal(2, Volatile);
        c.Roundtrip("-ERR invalid expire time in 'setex' command\r\n", "SETEX", "k", "0", "v");
        c.Roundtrip("-ERR invalid expire time in 'psetex' command\r\n", "PSETEX", "k", "-5", "v");
        c.Roundtrip(NotInteger, "SETEX", "k", "ten", "v");
        c.Roundtrip("-ERR wrong number of arguments for 'setex' command\r\n", "SETEX", "k", "10");
        c.Roundtrip(Bulk("v"), "GET", "k");
    }

    [Fact]
    public void GetSetReturnsOldValueAndClearsTtl()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "GETSET", "k", "a");
        c.Roundtrip(Ok, "SET", "k", "b", "EX", "100");
        c.Roundtrip(Bulk("b"), "GETSET", "k", "c");
        Assert.Equal(0, Volatile);
        c.Roundtrip(Bulk("c"), "GET", "k");
    }

    [Fact]
    public void GetDelReturnsTheValueOnce()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "k", "v");
        c.Roundtrip(Bulk("v"), "GETDEL", "k");
        c.Roundtrip(Nil, "GETDEL", "k");
        c.Roundtrip(Nil, "GET", "k");
    }

    [Fact]
    public void GetExChangesTheTtlAndValidatesOptions()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "k", "v");
        c.Roundtrip(Bulk("v"), "GETEX", "k", "EX", "100");
        Assert.Equal(1, Volatile);
        c.Roundtrip(Bulk("v"), "GETEX", "k");
        Assert.Equal(1, Volatile);
        c.Roundtrip(Bulk("v"), "GETEX", "k", "PERSIST");
        Assert.Equal(0, Volatile);
        c.Roundtrip(Syntax, "GETEX", "k", "EX", "10", "PERSIST");
        c.Roundtrip(Syntax, "GETEX", "k", "NX");
        c.Roundtrip(Syntax, "GETEX", "k", "KEEPTTL");
        c.Roundtrip("-ERR invalid expire time in 'getex' command\r\n", "GETEX", "k", "PX", "0");
        c.Roundtrip(Nil, "GETEX", "missing", "EX", "0");
        c.Roundtrip(Bulk("v"), "GETEX", "k", "PXAT", "1");
        c.Roundtrip(Nil, "GET", "k");
    }

    [Fact]
    public void MGetRepliesNilForMissingKeys()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "MSET", "a", "1", "b", "2");
        c.Roundtrip("*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n", "MGET", "a", "missing", "b");
    }

    [Fact]
    public void MGetUsesResp3NullsAfterHello3()
    {
        using var c = Server.Raw();
        c.Command("HELLO", "3");
        c.ReadReply();
        c.Roundtrip("*1\r\n_\r\n", "MGET", "missing");
    }

    [Fact]
    public void MSetWithAnOddNumberOfArgumentsIsAnArityError()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR wrong number of arguments for 'mset' command\r\n", "MSET", "a", "1", "b");
        c.Roundtrip("-ERR wrong number of arguments for 'msetnx' command\r\n", "MSETNX", "a", "1", "b");
        c.Roundtrip("-ERR wrong number of arguments for 'mset' command\r\n", "MSET", "a");
        c.Roundtrip("*2\r\n$-1\r\n$-1\r\n", "MGET", "a", "b");
    }

    [Fact]
    public void MSetNxIsAllOrNothing()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "MSETNX", "a", "1", "b", "2");
        c.Roundtrip(":0\r\n", "MSETNX", "b", "3", "c", "4");
        c.Roundtrip("*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n", "MGET", "a", "b", "c");
    }

    [Fact]
    public void AppendAndStrlenReportLengths()
    {
        using var c = Server.Raw();
        c.Roundtrip(":0\r\n", "STRLEN", "k");
        c.Roundtrip(":5\r\n", "APPEND", "k", "Hello");
        c.Roundtrip(":11\r\n", "APPEND", "k", " World");
        c.Roundtrip(":11\r\n", "STRLEN", "k");
        c.Roundtrip(Bulk("Hello World"), "GET", "k");
    }

    [Fact]
    public void IncrDecrFamilyRepliesIntegers()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "INCR", "n");
        c.Roundtrip(":11\r\n", "INCRBY", "n", "10");
        c.Roundtrip(":10\r\n", "DECR", "n");
        c.Roundtrip(":-5\r\n", "DECRBY", "n", "15");
        c.Roundtrip(Bulk("-5"), "GET", "n");
    }

    [Fact]
    public void IncrOnNonIntegerValueFailsWithRedisError()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "s", "abc");
        c.Roundtrip(NotInteger, "INCR", "s");
        c.Roundtrip(Ok, "SET", "s", " 1");
        c.Roundtrip(NotInteger, "DECR", "s");
        c.Roundtrip(NotInteger, "INCRBY", "n", "1.5");
        c.Roundtrip(Nil, "GET", "n");
    }

    [Fact]
    public void IncrByNearLongMaxValueFailsWithOverflowError()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "n", "9223372036854775806");
        c.Roundtrip(":9223372036854775807\r\n", "INCR", "n");
        c.Roundtrip("-ERR increment or decrement would overflow\r\n", "INCR", "n");
        c.Roundtrip("-ERR increment or decrement would overflow\r\n", "INCRBY", "n", "1");
        c.Roundtrip("-ERR decrement would overflow\r\n", "DECRBY", "n", "-9223372036854775808");
        c.Roundtrip(Bulk("9223372036854775807"), "GET", "n");
    }

    [Fact]
    public void IncrByFloatRepliesLikeRedis()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "f", "10.50");
        c.Roundtrip(Bulk("10.6"), "INCRBYFLOAT", "f", "0.1");
        c.Roundtrip(Bulk("5.6"), "INCRBYFLOAT", "f", "-5");
        c.Roundtrip(Ok, "SET", "f", "5.0e3");
        c.Roundtrip(Bulk("5200"), "INCRBYFLOAT", "f", "2.0e2");
        c.Roundtrip(Bulk("1.5"), "INCRBYFLOAT", "new", "1.5");
        c.Roundtrip("-ERR value is not a valid float\r\n", "INCRBYFLOAT", "f", "abc");
        c.Roundtrip("-ERR increment would produce NaN or Infinity\r\n", "INCRBYFLOAT", "f", "inf");
        c.Roundtrip(Bulk("5200"), "GET", "f");
    }

    [Fact]
    public void GetRangeAndSubstrHandleNegativeAndOutOfRangeIndexes()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "k", "This is a string");
        c.Roundtrip(Bulk("This"), "GETRANGE", "k", "0", "3");
        c.Roundtrip(Bulk("ing"), "GETRANGE", "k", "-3", "-1");
        c.Roundtrip(Bulk("This is a string"), "GETRANGE", "k", "0", "-1");
        c.Roundtrip(Bulk("string"), "SUBSTR", "k", "10", "100");
        c.Roundtrip("$0\r\n\r\n", "GETRANGE", "k", "-1", "-5");
        c.Roundtrip("$0\r\n\r\n", "GETRANGE", "missing", "0", "-1");
        c.Roundtrip(NotInteger, "GETRANGE", "k", "a", "1");
    }

    [Fact]
    public void SetRangePadsWithZerosAndChecksTheOffset()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "k", "Hello World");
        c.Roundtrip(":11\r\n", "SETRANGE", "k", "6", "Redis");
        c.Roundtrip(Bulk("Hello Redis"), "GET", "k");
        c.Roundtrip(":8\r\n", "SETRANGE", "p", "3", "Redis");
        c.Roundtrip(Bulk("\0\0\0Redis"), "GET", "p");
        c.Roundtrip(":0\r\n", "SETRANGE", "empty", "5", "");
        c.Roundtrip(Nil, "GET", "empty");
        c.Roundtrip("-ERR offset is out of range\r\n", "SETRANGE", "k", "-1", "x");
        c.Roundtrip("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "SETRANGE", "k", "536870911", "ab");
        c.Roundtrip(NotInteger, "SETRANGE", "k", "x", "ab");
    }

    [Fact]
    public async Task AppendBeyondProtoMaxBulkLenIsRefused()
    {
        await using var small = new TestServer((_, engine) => engine.ProtoMaxBulkLen = 1024);
        using var c = small.Raw();
        c.Roundtrip(":1023\r\n", "SETRANGE", "k", "1022", "a");
        c.Roundtrip("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "APPEND", "k", "bc");
        c.Roundtrip(":1024\r\n", "APPEND", "k", "b");
        c.Roundtrip("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", "SETRANGE", "k", "1024", "x");
    }

    [Theory]
    [InlineData("get", 2, 1, 1, 1, CommandFlags.ReadOnly | CommandFlags.Fast)]
    [InlineData("set", -3, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("mget", -2, 1, -1, 1, CommandFlags.ReadOnly | CommandFlags.Fast)]
    [InlineData("mset", -3, 1, -1, 2, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("msetnx", -3, 1, -1, 2, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("getex", -2, 1, 1, 1, CommandFlags.Write | CommandFlags.Fast)]
    [InlineData("incrbyfloat", 3, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast)]
    [InlineData("getrange", 4, 1, 1, 1, CommandFlags.ReadOnly)]
    [InlineData("substr", 4, 1, 1, 1, CommandFlags.ReadOnly)]
    [InlineData("setrange", 4, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    public void StringCommandsAreRegisteredWithRedisArityFlagsAndKeys(string name, int arity, int first, int last, int step, CommandFlags flags)
    {
        CommandDef def = Server.Server.Commands.Find(name)!;
        Assert.Equal((arity, first, last, step, flags, "string"), (def.Arity, def.FirstKey, def.LastKey, def.Step, def.Flags, def.Group));
        Assert.False(string.IsNullOrEmpty(def.Summary));
    }

    [Fact]
    public async Task StackExchangeRedisStringOperationsWork()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("a", "1", TimeSpan.FromSeconds(100)));
        Assert.False(await db.StringSetAsync("a", "2", when: When.NotExists));
        Assert.True(await db.StringSetAsync("a", "3", keepTtl: true, when: When.Exists));
        Assert.Equal(1, Volatile);
        Assert.Equal(4, await db.StringIncrementAsync("a"));
        Assert.Equal(2, await db.StringDecrementAsync("a", 2));
        Assert.Equal(3.5, await db.StringIncrementAsync("a", 1.5));
        Assert.Equal(7, await db.StringAppendAsync("b", "Hello W"));
        Assert.Equal("llo", (string?)await db.StringGetRangeAsync("b", 2, 4));
        Assert.Equal(7, (long)await db.StringSetRangeAsync("b", 0, "J"));
        RedisValue[] values = await db.StringGetAsync(["a", "b", "missing"]);
        Assert.Equal(new RedisValue[] { "3.5", "Jello W", RedisValue.Null }, values);
        Assert.Equal("Jello W", (string?)await db.StringGetDeleteAsync("b"));
        Assert.Equal(3, await db.StringLengthAsync("a"));
    }

    [Fact]
    public async Task StackExchangeRedisMultiSetAndGetSetExpiryWork()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync([new("x", "1"), new("y", "2")], When.NotExists));
        Assert.False(await db.StringSetAsync([new("y", "3"), new("z", "4")], When.NotExists));
        Assert.Equal("2", (string?)await db.StringGetSetExpiryAsync("y", TimeSpan.FromSeconds(50)));
        Assert.Equal(1, Volatile);
        Assert.Equal("2", (string?)await db.StringGetSetAsync("y", "5"));
        Assert.Equal(0, Volatile);
        Assert.Null((string?)await db.StringGetAsync("z"));
    }
}

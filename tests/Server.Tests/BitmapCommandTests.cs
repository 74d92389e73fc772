using StackExchange.Redis;
using Tiered.Server.Commands;
using Tiered.Server.Tests.Infrastructure;
using CommandFlags = Tiered.Server.Commands.CommandFlags;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

public sealed class BitmapCommandTests : ServerTestBase
{
    private const string BadOffset = "-ERR bit offset is not an integer or out of range\r\n";

    /// <summary>Stores the bytes 0xFF 0xF0 0x00 (the BITPOS example of the Redis docs) under <paramref name="key"/>.</summary>
    private static void StoreFfF000(RawClient c, string key)
        => c.Roundtrip("*3\r\n:0\r\n:0\r\n:0\r\n", "BITFIELD", key, "SET", "u8", "0", "255", "SET", "u8", "8", "240", "SET", "u8", "16", "0");

    [Fact]
    public void SetBitAndGetBitReplyWithExactBytes()
    {
        using var c = Server.Raw();
        c.Roundtrip(":0\r\n", "SETBIT", "k", "1", "1");
        c.Roundtrip(":1\r\n", "SETBIT", "k", "1", "1");
        c.Roundtrip(Bulk("@"), "GET", "k");
        c.Roundtrip(":0\r\n", "SETBIT", "k", "23", "0");
        c.Roundtrip(":3\r\n", "STRLEN", "k");
        c.Roundtrip(":1\r\n", "GETBIT", "k", "1");
        c.Roundtrip(":0\r\n", "GETBIT", "k", "2");
        c.Roundtrip(":0\r\n", "GETBIT", "k", "100000");
        c.Roundtrip(":0\r\n", "GETBIT", "missing", "0");
        c.Roundtrip(":0\r\n", "EXISTS", "missing");
    }

    [Fact]
    public void SetBitValidatesOffsetThenBit()
    {
        using var c = Server.Raw();
        c.Roundtrip(BadOffset, "SETBIT", "k", "-1", "1");
        c.Roundtrip(BadOffset, "SETBIT", "k", "4294967296", "1");
        c.Roundtrip(BadOffset, "SETBIT", "k", "x", "2");
        c.Roundtrip("-ERR bit is not an integer or out of range\r\n", "SETBIT", "k", "0", "2");
        c.Roundtrip("-ERR bit is not an integer or out of range\r\n", "SETBIT", "k", "0", "x");
        c.Roundtrip(BadOffset, "GETBIT", "k", "-1");
        c.Roundtrip("-ERR wrong number of arguments for 'setbit' command\r\n", "SETBIT", "k", "0");
        c.Roundtrip("-ERR wrong number of arguments for 'getbit' command\r\n", "GETBIT", "k");
        c.Roundtrip(":0\r\n", "EXISTS", "k");
    }

    [Fact]
    public void BitmapCommandsRefuseOtherTypes()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "BF.ADD", "bf", "x");
        c.Roundtrip(WrongType, "SETBIT", "bf", "0", "1");
        c.Roundtrip(WrongType, "GETBIT", "bf", "0");
        c.Roundtrip(WrongType, "BITCOUNT", "bf");
        c.Roundtrip(WrongType, "BITPOS", "bf", "1");
        c.Roundtrip(WrongType, "BITOP", "OR", "d", "bf");
        c.Roundtrip(WrongType, "BITFIELD", "bf", "GET", "u8", "0");
        c.Roundtrip(WrongType, "BITFIELD_RO", "bf", "GET", "u8", "0");
    }

    [Fact]
    public void BitCountSupportsByteAndBitRanges()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "k", "foobar");
        c.Roundtrip(":26\r\n", "BITCOUNT", "k");
        c.Roundtrip(":4\r\n", "BITCOUNT", "k", "0", "0");
        c.Roundtrip(":6\r\n", "BITCOUNT", "k", "1", "1");
        c.Roundtrip(":6\r\n", "BITCOUNT", "k", "1", "1", "byte");
        c.Roundtrip(":17\r\n", "BITCOUNT", "k", "5", "30", "BIT");
        c.Roundtrip(":10\r\n", "BITCOUNT", "k", "-3", "-1");
        c.Roundtrip(":0\r\n", "BITCOUNT", "k", "-1", "-3");
        c.Roundtrip(":0\r\n", "BITCOUNT", "missing");
        c.Roundtrip(":0\r\n", "BITCOUNT", "missing", "0", "5");
        c.Roundtrip(Syntax, "BITCOUNT", "k", "0");
        c.Roundtrip(Syntax, "BITCOUNT", "k", "0", "1", "WORD");
        c.Roundtrip(Syntax, "BITCOUNT", "k", "0", "1", "BIT", "x");
        c.Roundtrip(NotInteger, "BITCOUNT", "k", "a", "1");
        c.Roundtrip("-ERR wrong number of arguments for 'bitcount' command\r\n", "BITCOUNT");
    }

    [Fact]
    public void BitPosFollowsRedisEdgeRules()
    {
        using var c = Server.Raw();
        StoreFfF000(c, "k");
        c.Roundtrip(":12\r\n", "BITPOS", "k", "0");
        c.Roundtrip(":8\r\n", "BITPOS", "k", "1", "1");
        c.Roundtrip(":-1\r\n", "BITPOS", "k", "1", "2");
        c.Roundtrip(":-1\r\n", "BITPOS", "k", "1", "2", "-1", "BYTE");
        c.Roundtrip(":7\r\n", "BITPOS", "k", "1", "7", "15", "BIT");
        c.Roundtrip(":12\r\n", "BITPOS", "k", "0", "8", "-1", "bit");
        c.Roundtrip(":-1\r\n", "BITPOS", "missing", "1");
        c.Roundtrip(":0\r\n", "BITPOS", "missing", "0");
        c.Roundtrip("*1\r\n:0\r\n", "BITFIELD", "ones", "SET", "u8", "0", "255");
        c.Roundtrip(":8\r\n", "BITPOS", "ones", "0");
        c.Roundtrip(":8\r\n", "BITPOS", "ones", "0", "0");
        c.Roundtrip(":-1\r\n", "BITPOS", "ones", "0", "0", "-1");
        c.Roundtrip("-ERR The bit argument must be 1 or 0.\r\n", "BITPOS", "k", "2");
        c.Roundtrip(NotInteger, "BITPOS", "k", "x");
        c.Roundtrip(NotInteger, "BITPOS", "k", "1", "x");
        c.Roundtrip(Syntax, "BITPOS", "k", "1", "0", "1", "WORD");
        c.Roundtrip("-ERR wrong number of arguments for 'bitpos' command\r\n", "BITPOS", "k");
    }

    [Fact]
    public void BitOpStoresTheResultAndDeletesOnEmpty()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "abc");
        c.Roundtrip("+OK\r\n", "SET", "b", "a");
        c.Roundtrip("+OK\r\n", "SET", "d", "old", "EX", "100");
        c.Roundtrip(":3\r\n", "BITOP", "and", "d", "a", "b");
        c.Roundtrip(Bulk("a\0\0"), "GET", "d");
        c.Roundtrip(":-1\r\n", "TTL", "d");
        c.Roundtrip(":3\r\n", "BITOP", "OR", "d", "a", "b", "missing");
        c.Roundtrip(Bulk("abc"), "GET", "d");
        c.Roundtrip(":3\r\n", "BITOP", "XOR", "d", "a", "a");
        c.Roundtrip(Bulk("\0\0\0"), "GET", "d");
        c.Roundtrip(":0\r\n", "BITOP", "AND", "d", "missing");
        c.Roundtrip(":0\r\n", "EXISTS", "d");
        c.Roundtrip("-ERR BITOP NOT must be called with a single source key.\r\n", "BITOP", "NOT", "d", "a", "b");
        c.Roundtrip(Syntax, "BITOP", "NAND", "d", "a");
        c.Roundtrip("-ERR wrong number of arguments for 'bitop' command\r\n", "BITOP", "AND", "d");
        c.Roundtrip(":1\r\n", "BITOP", "NOT", "d", "b");
        c.Roundtrip(":1\r\n", "BITCOUNT", "d", "0", "0", "BIT");
        c.Roundtrip(":5\r\n", "BITCOUNT", "d");
    }

    [Fact]
    public void BitFieldRunsSubcommandsInOrderWithOverflowControl()
    {
        using var c = Server.Raw();
        c.Roundtrip("*2\r\n:1\r\n:0\r\n", "BITFIELD", "k", "INCRBY", "i5", "100", "1", "GET", "u4", "0");
        c.Roundtrip("*2\r\n:1\r\n:1\r\n", "BITFIELD", "m", "incrby", "u2", "100", "1", "OVERFLOW", "SAT", "incrby", "u2", "102", "1");
        c.Roundtrip("*2\r\n:2\r\n:2\r\n", "BITFIELD", "m", "incrby", "u2", "100", "1", "OVERFLOW", "SAT", "incrby", "u2", "102", "1");
        c.Roundtrip("*2\r\n:3\r\n:3\r\n", "BITFIELD", "m", "incrby", "u2", "100", "1", "OVERFLOW", "SAT", "incrby", "u2", "102", "1");
        c.Roundtrip("*2\r\n:0\r\n:3\r\n", "BITFIELD", "m", "incrby", "u2", "100", "1", "OVERFLOW", "SAT", "incrby", "u2", "102", "1");
        c.Roundtrip("*1\r\n$-1\r\n", "BITFIELD", "m", "OVERFLOW", "FAIL", "incrby", "u2", "102", "1");
        c.Roundtrip("*2\r\n:0\r\n:200\r\n", "BITFIELD", "h", "SET", "u8", "#1", "200", "GET", "u8", "8");
        c.Roundtrip("*2\r\n:0\r\n:-9223372036854775808\r\n", "BITFIELD", "w", "SET", "i64", "0", "-9223372036854775808", "GET", "i64", "0");
        c.Roundtrip("*0\r\n", "BITFIELD", "missing");
        c.Roundtrip(":0\r\n", "EXISTS", "missing");
        c.Roundtrip("*1\r\n:200\r\n", "BITFIELD_RO", "h", "GET", "u8", "#1");
    }

    [Fact]
    public void BitFieldReportsRedisErrors()
    {
        using var c = Server.Raw();
        const string badType = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";
        c.Roundtrip(badType, "BITFIELD", "k", "GET", "u64", "0");
        c.Roundtrip(badType, "BITFIELD", "k", "GET", "i65", "0");
        c.Roundtrip(badType, "BITFIELD", "k", "GET", "x8", "0");
        c.Roundtrip(badType, "BITFIELD", "k", "GET", "i0", "0");
        c.Roundtrip(BadOffset, "BITFIELD", "k", "GET", "i8", "-1");
        c.Roundtrip(BadOffset, "BITFIELD", "k", "GET", "i8", "#x");
        c.Roundtrip("-ERR Invalid OVERFLOW type specified\r\n", "BITFIELD", "k", "OVERFLOW", "BAD");
        c.Roundtrip(Syntax, "BITFIELD", "k", "FOO");
        c.Roundtrip(Syntax, "BITFIELD", "k", "GET", "i8");
        c.Roundtrip(NotInteger, "BITFIELD", "k", "SET", "i8", "0", "x");
        c.Roundtrip("-ERR BITFIELD_RO only supports the GET subcommand\r\n", "BITFIELD_RO", "k", "SET", "u8", "0", "1");
        c.Roundtrip("-ERR wrong number of arguments for 'bitfield' command\r\n", "BITFIELD");
        c.Roundtrip(":0\r\n", "EXISTS", "k");
    }

    [Fact]
    public void BitFieldFailUsesResp3NullAfterHello3()
    {
        using var c = Server.Raw();
        c.Command("HELLO", "3");
        c.ReadReply();
        c.Roundtrip("*2\r\n_\r\n:0\r\n", "BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "0", "4", "GET", "u2", "0");
        c.Roundtrip(":1\r\n", "STRLEN", "k");
        c.Roundtrip(":0\r\n", "SETBIT", "k", "0", "1");
        c.Roundtrip(":1\r\n", "BITCOUNT", "k");
        c.Roundtrip(":-1\r\n", "BITPOS", "k", "1", "1");
    }

    [Theory]
    [InlineData("setbit", 4, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("getbit", 3, 1, 1, 1, CommandFlags.ReadOnly | CommandFlags.Fast)]
    [InlineData("bitcount", -2, 1, 1, 1, CommandFlags.ReadOnly)]
    [InlineData("bitpos", -3, 1, 1, 1, CommandFlags.ReadOnly)]
    [InlineData("bitop", -4, 2, -1, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("bitfield", -2, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("bitfield_ro", -2, 1, 1, 1, CommandFlags.ReadOnly | CommandFlags.Fast)]
    public void BitmapCommandsAreRegisteredWithRedisArityFlagsAndKeys(string name, int arity, int first, int last, int step, CommandFlags flags)
    {
        CommandDef def = Server.Server.Commands.Find(name)!;
        Assert.Equal((arity, first, last, step, flags, "bitmap"), (def.Arity, def.FirstKey, def.LastKey, def.Step, def.Flags, def.Group));
        Assert.False(string.IsNullOrEmpty(def.Summary));
    }

    [Fact]
    public async Task StackExchangeRedisBitOperationsWork()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        Assert.False(await db.StringSetBitAsync("b", 10, true));
        Assert.True(await db.StringGetBitAsync("b", 10));
        Assert.Equal(1, await db.StringBitCountAsync("b"));
        Assert.Equal(10, await db.StringBitPositionAsync("b", true));
        await db.StringSetAsync("c", "\u007f");
        Assert.Equal(2, await db.StringBitOperationAsync(Bitwise.Or, "d", ["b", "c"]));
        Assert.Equal(8, await db.StringBitCountAsync("d"));
    }
}

using StackExchange.Redis;
using Tiered.Server.Commands;
using Tiered.Server.Tests.Infrastructure;
using CommandFlags = Tiered.Server.Commands.CommandFlags;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

public sealed class ListCommandTests : ServerTestBase
{
    [Fact]
    public void PushesReplyWithTheNewLengthAndKeepArgumentOrder()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(2), "RPUSH", "l", "a", "b");
        c.Roundtrip(Int(4), "LPUSH", "l", "x", "y");
        c.Roundtrip(Arr("y", "x", "a", "b"), "LRANGE", "l", "0", "-1");
        c.Roundtrip(Int(0), "LPUSHX", "missing", "a");
        c.Roundtrip(Int(0), "RPUSHX", "missing", "a", "b");
        c.Roundtrip(Int(0), "EXISTS", "missing");
        c.Roundtrip(Int(5), "RPUSHX", "l", "z");
        c.Roundtrip(Int(6), "LPUSHX", "l", "w");
        c.Roundtrip(Arr("w", "y", "x", "a", "b", "z"), "LRANGE", "l", "0", "-1");
        c.Roundtrip("+list\r\n", "TYPE", "l");
        c.Roundtrip(Arity("lpush"), "LPUSH", "l");
        c.Roundtrip(Arity("rpushx"), "RPUSHX", "l");
    }

    [Fact]
    public void PopWithoutCountRepliesABulkOrNil()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "LPOP", "l");
        c.Roundtrip(Int(3), "RPUSH", "l", "a", "b", "c");
        c.Roundtrip(Bulk("a"), "LPOP", "l");
        c.Roundtrip(Bulk("c"), "RPOP", "l");
        c.Roundtrip(Bulk("b"), "RPOP", "l");
        c.Roundtrip(Int(0), "EXISTS", "l");
        c.Roundtrip(Nil, "RPOP", "l");
        c.Roundtrip(Arity("lpop"), "LPOP");
        c.Roundtrip(Arity("lpop"), "LPOP", "l", "1", "2");
    }

    [Fact]
    public void PopWithCountFollowsRedis()
    {
        using var c = Server.Raw();
        c.Roundtrip(NilArray, "LPOP", "l", "2");
        c.Roundtrip(NilArray, "LPOP", "l", "0");
        c.Roundtrip(Int(3), "RPUSH", "l", "a", "b", "c");
        c.Roundtrip(Empty, "LPOP", "l", "0");
        c.Roundtrip(Arr("c", "b"), "RPOP", "l", "2");
        c.Roundtrip(Arr("a"), "LPOP", "l", "10");
        c.Roundtrip(Int(0), "EXISTS", "l");
        c.Roundtrip("-ERR value is out of range, must be positive\r\n", "LPOP", "l", "-1");
        c.Roundtrip(NotInteger, "RPOP", "l", "x");
    }

    [Fact]
    public void PopRepliesUseResp3NullsAfterHello3()
    {
        using var c = Resp3(Server.Raw());
        c.Roundtrip("_\r\n", "LPOP", "l");
        c.Roundtrip("_\r\n", "LPOP", "l", "3");
        c.Roundtrip("_\r\n", "LINDEX", "l", "0");
        c.Roundtrip("_\r\n", "LMOVE", "l", "d", "LEFT", "RIGHT");
        c.Roundtrip("_\r\n", "LMPOP", "1", "l", "LEFT");
        c.Roundtrip("_\r\n", "LPOS", "l", "a");
        c.Roundtrip(Int(2), "RPUSH", "l", "a", "b");
        c.Roundtrip(Arr("a", "b"), "LRANGE", "l", "0", "-1");
        c.Roundtrip("_\r\n", "LINDEX", "l", "5");
        c.Roundtrip("*2\r\n" + Bulk("l") + Arr("b", "a"), "LMPOP", "1", "l", "RIGHT", "COUNT", "5");
    }

    [Fact]
    public void EveryListCommandRefusesAStringKey()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "s", "v");
        c.Roundtrip(WrongType, "LPUSH", "s", "a");
        c.Roundtrip(WrongType, "RPUSHX", "s", "a");
        c.Roundtrip(WrongType, "LPOP", "s");
        c.Roundtrip(WrongType, "RPOP", "s", "0");
        c.Roundtrip(WrongType, "LLEN", "s");
        c.Roundtrip(WrongType, "LRANGE", "s", "0", "-1");
        c.Roundtrip(WrongType, "LINDEX", "s", "0");
        c.Roundtrip(WrongType, "LSET", "s", "0", "x");
        c.Roundtrip(WrongType, "LINSERT", "s", "BEFORE", "a", "b");
        c.Roundtrip(WrongType, "LREM", "s", "0", "a");
        c.Roundtrip(WrongType, "LTRIM", "s", "0", "1");
        c.Roundtrip(WrongType, "LPOS", "s", "a");
        c.Roundtrip(WrongType, "LMOVE", "s", "d", "LEFT", "LEFT");
        c.Roundtrip(WrongType, "RPOPLPUSH", "s", "d");
        c.Roundtrip(WrongType, "LMPOP", "2", "missing", "s", "LEFT");
        c.Roundtrip(Bulk("v"), "GET", "s");
    }

    [Fact]
    public void LenRangeAndIndexHandleMissingKeysAndNegativeIndexes()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(0), "LLEN", "l");
        c.Roundtrip(Empty, "LRANGE", "l", "0", "-1");
        c.Roundtrip(Nil, "LINDEX", "l", "0");
        c.Roundtrip(Int(5), "RPUSH", "l", "a", "b", "c", "d", "e");
        c.Roundtrip(Int(5), "LLEN", "l");
        c.Roundtrip(Arr("d", "e"), "LRANGE", "l", "-2", "-1");
        c.Roundtrip(Arr("a", "b"), "LRANGE", "l", "-100", "1");
        c.Roundtrip(Arr("e"), "LRANGE", "l", "4", "100");
        c.Roundtrip(Empty, "LRANGE", "l", "3", "2");
        c.Roundtrip(Empty, "LRANGE", "l", "5", "9");
        c.Roundtrip(Bulk("e"), "LINDEX", "l", "-1");
        c.Roundtrip(Bulk("a"), "LINDEX", "l", "-5");
        c.Roundtrip(Nil, "LINDEX", "l", "-6");
        c.Roundtrip(Nil, "LINDEX", "l", "5");
        c.Roundtrip(NotInteger, "LRANGE", "l", "0", "x");
        c.Roundtrip(NotInteger, "LINDEX", "l", "1.5");
        // LINDEX looks the key up before parsing the index, as Redis does.
        c.Roundtrip(Nil, "LINDEX", "missing", "x");
        c.Roundtrip(Arity("lrange"), "LRANGE", "l", "0");
        c.Roundtrip(Arity("llen"), "LLEN", "l", "x");
    }

    [Fact]
    public void LSetReportsMissingKeysAndOutOfRangeIndexes()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR no such key\r\n", "LSET", "l", "0", "x");
        c.Roundtrip("-ERR no such key\r\n", "LSET", "l", "x", "x");
        c.Roundtrip(Int(2), "RPUSH", "l", "a", "b");
        c.Roundtrip(Ok, "LSET", "l", "-1", "B");
        c.Roundtrip(Ok, "LSET", "l", "0", "A");
        c.Roundtrip("-ERR index out of range\r\n", "LSET", "l", "2", "x");
        c.Roundtrip("-ERR index out of range\r\n", "LSET", "l", "-3", "x");
        c.Roundtrip(NotInteger, "LSET", "l", "one", "x");
        c.Roundtrip(Arr("A", "B"), "LRANGE", "l", "0", "-1");
    }

    [Fact]
    public void LInsertRepliesLengthMinusOneOrZero()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(0), "LINSERT", "l", "BEFORE", "a", "x");
        c.Roundtrip(Int(0), "EXISTS", "l");
        c.Roundtrip(Int(2), "RPUSH", "l", "a", "b");
        c.Roundtrip(Int(3), "LINSERT", "l", "before", "b", "x");
        c.Roundtrip(Int(4), "LINSERT", "l", "AFTER", "b", "y");
        c.Roundtrip(Int(-1), "LINSERT", "l", "AFTER", "nope", "z");
        c.Roundtrip(Arr("a", "x", "b", "y"), "LRANGE", "l", "0", "-1");
        c.Roundtrip(Syntax, "LINSERT", "l", "MIDDLE", "a", "z");
        c.Roundtrip(Arity("linsert"), "LINSERT", "l", "BEFORE", "a");
    }

    [Fact]
    public void LRemRemovesFromTheRequestedEnd()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(0), "LREM", "l", "0", "x");
        c.Roundtrip(Int(6), "RPUSH", "l", "x", "a", "x", "b", "x", "x");
        c.Roundtrip(Int(2), "LREM", "l", "-2", "x");
        c.Roundtrip(Arr("x", "a", "x", "b"), "LRANGE", "l", "0", "-1");
        c.Roundtrip(Int(1), "LREM", "l", "1", "x");
        c.Roundtrip(Arr("a", "x", "b"), "LRANGE", "l", "0", "-1");
        c.Roundtrip(Int(0), "LREM", "l", "0", "nope");
        c.Roundtrip(Int(1), "LREM", "l", "0", "x");
        c.Roundtrip(NotInteger, "LREM", "l", "many", "x");
        c.Roundtrip(Int(1), "LREM", "l", "0", "a");
        c.Roundtrip(Int(1), "LREM", "l", "0", "b");
        c.Roundtrip(Int(0), "EXISTS", "l");
    }

    [Fact]
    public void LTrimKeepsARangeAndDeletesAnEmptiedList()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "LTRIM", "l", "0", "1");
        c.Roundtrip(Int(5), "RPUSH", "l", "a", "b", "c", "d", "e");
        c.Roundtrip(Ok, "LTRIM", "l", "1", "-2");
        c.Roundtrip(Arr("b", "c", "d"), "LRANGE", "l", "0", "-1");
        c.Roundtrip(NotInteger, "LTRIM", "l", "a", "1");
        c.Roundtrip(Ok, "LTRIM", "l", "5", "10");
        c.Roundtrip(Int(0), "EXISTS", "l");
    }

    [Fact]
    public void LPosFindsPositionsWithRankCountAndMaxLen()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "LPOS", "l", "x");
        c.Roundtrip(Empty, "LPOS", "l", "x", "COUNT", "0");
        c.Roundtrip(Int(8), "RPUSH", "l", "a", "x", "b", "x", "c", "d", "x", "e");
        c.Roundtrip(Int(1), "LPOS", "l", "x");
        c.Roundtrip(Int(3), "LPOS", "l", "x", "RANK", "2");
        c.Roundtrip(Int(6), "LPOS", "l", "x", "rank", "-1");
        c.Roundtrip(Nil, "LPOS", "l", "x", "RANK", "4");
        c.Roundtrip(Nil, "LPOS", "l", "nope");
        c.Roundtrip("*3\r\n:1\r\n:3\r\n:6\r\n", "LPOS", "l", "x", "COUNT", "0");
        c.Roundtrip("*2\r\n:6\r\n:3\r\n", "LPOS", "l", "x", "RANK", "-1", "COUNT", "2");
        c.Roundtrip("*1\r\n:1\r\n", "LPOS", "l", "x", "COUNT", "5", "MAXLEN", "2");
        c.Roundtrip(Empty, "LPOS", "l", "nope", "COUNT", "1");
        c.Roundtrip("-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n",
            "LPOS", "l", "x", "RANK", "0");
        c.Roundtrip("-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
            "LPOS", "l", "x", "RANK", "-9223372036854775808");
        c.Roundtrip(NotInteger, "LPOS", "l", "x", "RANK", "r");
        c.Roundtrip("-ERR COUNT can't be negative\r\n", "LPOS", "l", "x", "COUNT", "-1");
        c.Roundtrip("-ERR MAXLEN can't be negative\r\n", "LPOS", "l", "x", "MAXLEN", "-1");
        c.Roundtrip(Syntax, "LPOS", "l", "x", "COUNT");
        c.Roundtrip(Syntax, "LPOS", "l", "x", "FIRST", "1");
        c.Roundtrip(Arity("lpos"), "LPOS", "l");
    }

    [Fact]
    public void LMoveMovesBetweenListsAndRotatesOneList()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "LMOVE", "src", "dst", "LEFT", "RIGHT");
        c.Roundtrip(Int(3), "RPUSH", "src", "a", "b", "c");
        c.Roundtrip(Bulk("a"), "LMOVE", "src", "dst", "left", "right");
        c.Roundtrip(Bulk("c"), "LMOVE", "src", "dst", "RIGHT", "LEFT");
        c.Roundtrip(Arr("c", "a"), "LRANGE", "dst", "0", "-1");
        c.Roundtrip(Bulk("a"), "LMOVE", "dst", "dst", "RIGHT", "LEFT");
        c.Roundtrip(Arr("a", "c"), "LRANGE", "dst", "0", "-1");
        c.Roundtrip(Bulk("b"), "RPOPLPUSH", "src", "dst");
        c.Roundtrip(Int(0), "EXISTS", "src");
        c.Roundtrip(Arr("b", "a", "c"), "LRANGE", "dst", "0", "-1");
        c.Roundtrip(Bulk("c"), "RPOPLPUSH", "dst", "dst");
        c.Roundtrip(Arr("c", "b", "a"), "LRANGE", "dst", "0", "-1");
        c.Roundtrip(Syntax, "LMOVE", "dst", "x", "UP", "LEFT");
        c.Roundtrip(Syntax, "LMOVE", "dst", "x", "LEFT", "DOWN");
        c.Roundtrip(Ok, "SET", "s", "v");
        c.Roundtrip(WrongType, "LMOVE", "dst", "s", "LEFT", "LEFT");
        c.Roundtrip(Int(3), "LLEN", "dst");
        c.Roundtrip(Nil, "RPOPLPUSH", "missing", "s");
        c.Roundtrip(Arity("rpoplpush"), "RPOPLPUSH", "dst");
    }

    [Fact]
    public void LMPopPopsFromTheFirstNonEmptyKey()
    {
        using var c = Server.Raw();
        c.Roundtrip(NilArray, "LMPOP", "2", "a", "b", "LEFT");
        c.Roundtrip(Int(3), "RPUSH", "b", "1", "2", "3");
        c.Roundtrip("*2\r\n" + Bulk("b") + Arr("1"), "LMPOP", "2", "a", "b", "LEFT");
        c.Roundtrip("*2\r\n" + Bulk("b") + Arr("3", "2"), "LMPOP", "2", "a", "b", "RIGHT", "COUNT", "10");
        c.Roundtrip(Int(0), "EXISTS", "b");
        c.Roundtrip("-ERR numkeys should be greater than 0\r\n", "LMPOP", "0", "a", "LEFT");
        c.Roundtrip("-ERR numkeys should be greater than 0\r\n", "LMPOP", "x", "a", "LEFT");
        c.Roundtrip(Syntax, "LMPOP", "3", "a", "b", "LEFT");
        c.Roundtrip(Syntax, "LMPOP", "1", "a", "MIDDLE");
        c.Roundtrip(Syntax, "LMPOP", "1", "a", "LEFT", "COUNT");
        c.Roundtrip(Syntax, "LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1");
        c.Roundtrip("-ERR count should be greater than 0\r\n", "LMPOP", "1", "a", "LEFT", "COUNT", "0");
        c.Roundtrip("-ERR count should be greater than 0\r\n", "LMPOP", "1", "a", "LEFT", "COUNT", "x");
        c.Roundtrip(Arity("lmpop"), "LMPOP", "1", "a");
    }

    [Fact]
    public void ObjectEncodingSwitchesFromListpackToQuicklist()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(1), "RPUSH", "l", "a");
        c.Roundtrip(Bulk("listpack"), "OBJECT", "ENCODING", "l");
        c.Roundtrip(Int(2), "RPUSH", "l", new string('x', 65));
        c.Roundtrip(Bulk("quicklist"), "OBJECT", "ENCODING", "l");
    }

    [Theory]
    [InlineData("lpush", -3, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast)]
    [InlineData("rpushx", -3, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast)]
    [InlineData("lpop", -2, 1, 1, 1, CommandFlags.Write | CommandFlags.Fast)]
    [InlineData("llen", 2, 1, 1, 1, CommandFlags.ReadOnly | CommandFlags.Fast)]
    [InlineData("lrange", 4, 1, 1, 1, CommandFlags.ReadOnly)]
    [InlineData("lindex", 3, 1, 1, 1, CommandFlags.ReadOnly)]
    [InlineData("lset", 4, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("linsert", 5, 1, 1, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("lrem", 4, 1, 1, 1, CommandFlags.Write)]
    [InlineData("ltrim", 4, 1, 1, 1, CommandFlags.Write)]
    [InlineData("lpos", -3, 1, 1, 1, CommandFlags.ReadOnly)]
    [InlineData("lmove", 5, 1, 2, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("rpoplpush", 3, 1, 2, 1, CommandFlags.Write | CommandFlags.DenyOom)]
    [InlineData("lmpop", -4, 0, 0, 0, CommandFlags.Write)]
    public void ListCommandsAreRegisteredWithRedisArityFlagsAndKeys(string name, int arity, int first, int last, int step, CommandFlags flags)
    {
        CommandDef def = Server.Server.Commands.Find(name)!;
        Assert.Equal((arity, first, last, step, flags, "list"), (def.Arity, def.FirstKey, def.LastKey, def.Step, def.Flags, def.Group));
        Assert.False(string.IsNullOrEmpty(def.Summary));
        Assert.False(string.IsNullOrEmpty(def.Complexity));
    }

    [Fact]
    public async Task StackExchangeRedisListOperationsWork()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        Assert.Equal(3, await db.ListRightPushAsync("q", ["a", "b", "c"]));
        Assert.Equal(4, await db.ListLeftPushAsync("q", "z"));
        Assert.Equal(new RedisValue[] { "z", "a", "b", "c" }, await db.ListRangeAsync("q"));
        Assert.Equal("c", (string?)await db.ListGetByIndexAsync("q", -1));
        await db.ListSetByIndexAsync("q", 0, "Z");
        Assert.Equal(5, await db.ListInsertAfterAsync("q", "a", "a2"));
        Assert.Equal(1, await db.ListRemoveAsync("q", "a2"));
        Assert.Equal(2, await db.ListPositionAsync("q", "b"));
        Assert.Equal("Z", (string?)await db.ListLeftPopAsync("q"));
        Assert.Equal(new RedisValue[] { "c", "b" }, await db.ListRightPopAsync("q", 2));
        Assert.Equal("a", (string?)await db.ListMoveAsync("q", "q2", ListSide.Left, ListSide.Right));
        Assert.Equal(0, await db.ListLengthAsync("q"));
        Assert.Equal(1, await db.ListLengthAsync("q2"));
        Assert.True((await db.ListLeftPopAsync("q")).IsNull);
    }

    [Fact]
    public async Task StackExchangeRedisMultiPopAndTrimWork()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        await db.ListRightPushAsync("m2", ["1", "2", "3", "4"]);
        ListPopResult r = await db.ListLeftPopAsync(["m1", "m2"], 2);
        Assert.Equal("m2", (string?)r.Key);
        Assert.Equal(new RedisValue[] { "1", "2" }, r.Values);
        await db.ListTrimAsync("m2", 0, 0);
        Assert.Equal(new RedisValue[] { "3" }, await db.ListRangeAsync("m2"));
        Assert.True((await db.ListLeftPopAsync(["none"], 1)).IsNull);
    }
}

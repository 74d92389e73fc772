using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

public sealed class SetCommandTests : ServerTestBase
{
    /// <summary>The bulk strings of a flat reply, in order.</summary>
    private static List<string> Elements(string reply)
    {
        string[] lines = reply.Split("\r\n");
        var items = new List<string>();
        for (int i = 1; i < lines.Length; i++)
            if (lines[i].StartsWith('$') && i + 1 < lines.Length) items.Add(lines[++i]);
        return items;
    }

    [Fact]
    public void SAddSRemSCardSIsMemberReplyWithExactBytes()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(3), "SADD", "s", "a", "b", "a", "c");
        c.Roundtrip(Int(0), "SADD", "s", "a");
        c.Roundtrip(Int(3), "SCARD", "s");
        c.Roundtrip(Int(0), "SCARD", "missing");
        c.Roundtrip(Int(1), "SISMEMBER", "s", "a");
        c.Roundtrip(Int(0), "SISMEMBER", "s", "z");
        c.Roundtrip(Int(0), "SISMEMBER", "missing", "z");
        c.Roundtrip("*3\r\n:1\r\n:0\r\n:1\r\n", "SMISMEMBER", "s", "a", "z", "c");
        c.Roundtrip("*2\r\n:0\r\n:0\r\n", "SMISMEMBER", "missing", "a", "b");
        c.Roundtrip(Int(2), "SREM", "s", "a", "b", "z");
        c.Roundtrip(Int(0), "SREM", "missing", "a");
        c.Roundtrip(Int(1), "SREM", "s", "c");
        c.Roundtrip(Int(0), "EXISTS", "s");
    }

    [Fact]
    public void SMembersIsAnArrayInResp2AndASetInResp3()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(2), "SADD", "s", "x", "y");
        c.Roundtrip("*2\r\n$1\r\nx\r\n$1\r\ny\r\n", "SMEMBERS", "s");
        c.Roundtrip("*0\r\n", "SMEMBERS", "missing");
        Resp3(c);
        c.Roundtrip("~2\r\n$1\r\nx\r\n$1\r\ny\r\n", "SMEMBERS", "s");
        c.Roundtrip("~0\r\n", "SMEMBERS", "missing");
        c.Roundtrip("~2\r\n$1\r\nx\r\n$1\r\ny\r\n", "SINTER", "s", "s", "s");
        c.Roundtrip("*2\r\n:1\r\n:0\r\n", "SMISMEMBER", "s", "x", "q");
    }

    [Fact]
    public void ArityErrorsNameTheCommand()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR wrong number of arguments for 'sadd' command\r\n", "SADD", "s");
        c.Roundtrip("-ERR wrong number of arguments for 'smove' command\r\n", "SMOVE", "a", "b");
        c.Roundtrip("-ERR wrong number of arguments for 'sinterstore' command\r\n", "SINTERSTORE", "d");
        c.Roundtrip("-ERR wrong number of arguments for 'sintercard' command\r\n", "SINTERCARD", "1");
        c.Roundtrip(Syntax, "SPOP", "s", "1", "2");
        c.Roundtrip(Syntax, "SRANDMEMBER", "s", "1", "2");
    }

    [Fact]
    public void EverySetCommandRefusesAStringKey()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "str", "v");
        c.Roundtrip(Int(1), "SADD", "s", "a");
        string[][] commands =
        [
            ["SADD", "str", "a"], ["SREM", "str", "a"], ["SISMEMBER", "str", "a"], ["SMISMEMBER", "str", "a"],
            ["SMEMBERS", "str"], ["SCARD", "str"], ["SPOP", "str"], ["SPOP", "str", "2"], ["SRANDMEMBER", "str"],
            ["SRANDMEMBER", "str", "-2"], ["SMOVE", "str", "s", "a"], ["SMOVE", "s", "str", "a"],
            ["SINTER", "missing", "s", "str"], ["SUNION", "s", "str"], ["SDIFF", "s", "str"],
            ["SINTERSTORE", "d", "str"], ["SUNIONSTORE", "d", "s", "str"], ["SDIFFSTORE", "d", "str"],
            ["SINTERCARD", "2", "s", "str"], ["SSCAN", "str", "0"],
        ];
        foreach (string[] cmd in commands) c.Roundtrip(WrongType, cmd);
        c.Roundtrip(Int(1), "SCARD", "s");
        c.Roundtrip(Int(0), "EXISTS", "d");
    }

    [Fact]
    public void SPopWithAndWithoutCount()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "SPOP", "missing");
        c.Roundtrip("*0\r\n", "SPOP", "missing", "2");
        c.Roundtrip(Int(1), "SADD", "s", "only");
        c.Roundtrip("*0\r\n", "SPOP", "s", "0");
        c.Roundtrip("-ERR value is out of range, must be positive\r\n", "SPOP", "s", "-1");
        c.Roundtrip(NotInteger, "SPOP", "s", "x");
        c.Roundtrip(Bulk("only"), "SPOP", "s");
        c.Roundtrip(Int(0), "EXISTS", "s");
        c.Roundtrip(Int(3), "SADD", "s", "a", "b", "c");
        c.Command("SPOP", "s", "2");
        List<string> popped = Elements(c.ReadReply());
        Assert.Equal(2, popped.Distinct().Count());
        c.Roundtrip(Int(1), "SCARD", "s");
        Resp3(c);
        c.Command("SPOP", "s", "5");
        string last = c.ReadReply();
        Assert.StartsWith("~1\r\n", last);
        Assert.DoesNotContain(Elements(last)[0], popped);
        c.Roundtrip("~0\r\n", "SPOP", "s", "5");
        c.Roundtrip("_\r\n", "SPOP", "s");
    }

    [Fact]
    public void SRandMemberCountsAreArraysInBothProtocols()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "SRANDMEMBER", "missing");
        c.Roundtrip("*0\r\n", "SRANDMEMBER", "missing", "3");
        c.Roundtrip(Int(1), "SADD", "s", "a");
        c.Roundtrip(Bulk("a"), "SRANDMEMBER", "s");
        c.Roundtrip("*0\r\n", "SRANDMEMBER", "s", "0");
        c.Roundtrip("*1\r\n$1\r\na\r\n", "SRANDMEMBER", "s", "10");
        c.Roundtrip("*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n", "SRANDMEMBER", "s", "-3");
        c.Roundtrip(NotInteger, "SRANDMEMBER", "s", "1.5");
        Resp3(c);
        c.Roundtrip("*2\r\n$1\r\na\r\n$1\r\na\r\n", "SRANDMEMBER", "s", "-2");
        c.Roundtrip("*1\r\n$1\r\na\r\n", "SRANDMEMBER", "s", "2");
        c.Roundtrip("*0\r\n", "SRANDMEMBER", "missing", "2");
        c.Roundtrip(Int(1), "SCARD", "s");
    }

    [Fact]
    public void SMoveMovesAndCreatesTheDestination()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(0), "SMOVE", "missing", "dst", "a");
        c.Roundtrip(Int(2), "SADD", "src", "a", "b");
        c.Roundtrip(Int(1), "SMOVE", "src", "dst", "a");
        c.Roundtrip(Int(0), "SMOVE", "src", "dst", "a");
        c.Roundtrip(Int(1), "SMOVE", "src", "src", "b");
        c.Roundtrip(Int(0), "SMOVE", "src", "src", "zz");
        c.Roundtrip(Int(1), "SMOVE", "src", "dst", "b");
        c.Roundtrip(Int(0), "EXISTS", "src");
        c.Roundtrip("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "SMEMBERS", "dst");
    }

    [Fact]
    public void SetAlgebraAndStoreForms()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(4), "SADD", "a", "1", "2", "3", "x");
        c.Roundtrip(Int(3), "SADD", "b", "2", "3", "4");
        c.Command("SINTER", "a", "b");
        Assert.Equal(["2", "3"], Elements(c.ReadReply()).Order());
        c.Roundtrip("*0\r\n", "SINTER", "a", "missing");
        c.Command("SUNION", "a", "missing", "b");
        Assert.Equal(["1", "2", "3", "4", "x"], Elements(c.ReadReply()).Order());
        c.Command("SDIFF", "a", "b");
        Assert.Equal(["1", "x"], Elements(c.ReadReply()).Order());
        c.Roundtrip("*0\r\n", "SDIFF", "missing", "a");

        c.Roundtrip(Ok, "SET", "dst", "string");
        c.Roundtrip(Ok, "SET", "ttl", "v", "EX", "100");
        c.Roundtrip(Int(5), "SUNIONSTORE", "dst", "a", "b");
        c.Roundtrip("+set\r\n", "TYPE", "dst");
        c.Roundtrip(Int(2), "SINTERSTORE", "ttl", "a", "b");
        c.Roundtrip(Int(-1), "TTL", "ttl");
        c.Roundtrip(Int(2), "SDIFFSTORE", "a", "a", "b");
        c.Command("SMEMBERS", "a");
        Assert.Equal(["1", "x"], Elements(c.ReadReply()).Order());
        c.Roundtrip(Int(0), "SINTERSTORE", "dst", "a", "missing");
        c.Roundtrip(Int(0), "EXISTS", "dst");
        c.Roundtrip(Int(0), "SDIFFSTORE", "ttl", "missing", "a");
        c.Roundtrip(Int(0), "EXISTS", "ttl");
        Resp3(c);
        c.Command("SDIFF", "a");
        Assert.StartsWith("~2\r\n", c.ReadReply());
        c.Roundtrip("~0\r\n", "SINTER", "missing");
    }

    [Fact]
    public void SInterCardArgumentsAndLimit()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(4), "SADD", "a", "1", "2", "3", "4");
        c.Roundtrip(Int(3), "SADD", "b", "2", "3", "4");
        c.Roundtrip(Int(3), "SINTERCARD", "2", "a", "b");
        c.Roundtrip(Int(2), "SINTERCARD", "2", "a", "b", "LIMIT", "2");
        c.Roundtrip(Int(3), "SINTERCARD", "2", "a", "b", "limit", "0");
        c.Roundtrip(Int(4), "SINTERCARD", "1", "a");
        c.Roundtrip(Int(0), "SINTERCARD", "2", "a", "missing");
        c.Roundtrip("-ERR numkeys should be greater than 0\r\n", "SINTERCARD", "0", "a");
        c.Roundtrip("-ERR numkeys should be greater than 0\r\n", "SINTERCARD", "x", "a");
        c.Roundtrip("-ERR Number of keys can't be greater than number of args\r\n", "SINTERCARD", "3", "a", "b");
        c.Roundtrip("-ERR LIMIT can't be negative\r\n", "SINTERCARD", "2", "a", "b", "LIMIT", "-1");
        c.Roundtrip(Syntax, "SINTERCARD", "1", "a", "b");
        c.Roundtrip(Syntax, "SINTERCARD", "2", "a", "b", "LIMIT");
    }

    [Fact]
    public void SScanPagesALargeSetAndReturnsASmallOneWhole()
    {
        using var c = Server.Raw();
        c.Roundtrip("*2\r\n$1\r\n0\r\n*0\r\n", "SSCAN", "missing", "0");
        c.Roundtrip(Int(3), "SADD", "small", "a1", "b1", "a2");
        c.Roundtrip("*2\r\n$1\r\n0\r\n*2\r\n$2\r\na1\r\n$2\r\na2\r\n", "SSCAN", "small", "0", "MATCH", "a*", "COUNT", "1");
        c.Roundtrip("-ERR invalid cursor\r\n", "SSCAN", "small", "1x");
        c.Roundtrip(Syntax, "SSCAN", "small", "0", "COUNT", "-5");

        var args = new List<string> { "SADD", "big" };
        for (int i = 0; i < 500; i++) args.Add("m" + i);
        c.Roundtrip(Int(500), [.. args]);
        var seen = new HashSet<string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            c.Command("SSCAN", "big", cursor, "COUNT", "20");
            string[] lines = c.ReadReply().Split("\r\n");
            cursor = lines[2];
            foreach (string m in Elements(string.Join("\r\n", lines[3..]))) seen.Add(m);
            calls++;
        } while (cursor != "0");
        Assert.Equal(500, seen.Count);
        Assert.True(calls >= 20);
    }

    [Fact]
    public void ObjectEncodingFollowsTheSetsContent()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(2), "SADD", "s", "1", "2");
        c.Roundtrip(Bulk("intset"), "OBJECT", "ENCODING", "s");
        c.Roundtrip(Int(1), "SADD", "s", "text");
        c.Roundtrip(Bulk("listpack"), "OBJECT", "ENCODING", "s");
        c.Roundtrip(Int(1), "SADD", "s", new string('x', 100));
        c.Roundtrip(Bulk("hashtable"), "OBJECT", "ENCODING", "s");
        c.Roundtrip("+set\r\n", "TYPE", "s");
    }

    [Fact]
    public async Task StackExchangeRedisSetRoundTrip()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        Assert.Equal(3, await db.SetAddAsync("tags", ["red", "green", "blue"]));
        Assert.True(await db.SetContainsAsync("tags", "green"));
        Assert.Equal(["blue", "green", "red"], (await db.SetMembersAsync("tags")).Select(v => (string)v!).Order());
        await db.SetAddAsync("warm", ["red", "orange"]);
        Assert.Equal(["red"], (await db.SetCombineAsync(SetOperation.Intersect, "tags", "warm")).Select(v => (string)v!));
        Assert.Equal(4, await db.SetCombineAndStoreAsync(SetOperation.Union, "all", "tags", "warm"));
        Assert.True(await db.SetMoveAsync("warm", "tags", "orange"));
        Assert.Equal(4, await db.SetLengthAsync("tags"));
        RedisValue popped = await db.SetPopAsync("warm");
        Assert.Equal("red", (string?)popped);
        Assert.False(await db.KeyExistsAsync("warm"));
        var scanned = new List<string>();
        await foreach (RedisValue v in db.SetScanAsync("all", "*e*")) scanned.Add(v!);
        Assert.Equal(["blue", "green", "orange", "red"], scanned.Order());
    }
}

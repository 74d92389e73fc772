using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

public sealed class SortedSetCommandTests : ServerTestBase
{
    private const string Nil3 = "_\r\n";
    private const string NotFloat = "-ERR value is not a valid float\r\n";

    private static string Arr(params string[] items) => $"*{items.Length}\r\n" + string.Concat(items);
    private static string Bulks(params string[] items) => Arr(items.Select(Bulk).ToArray());
    private static string Dbl(string s) => $",{s}\r\n";

    [Fact]
    public void ZAddReportsAddedOrChangedAndZScoreFormatsDoubles()
    {
        using var c = Server.Raw();
        c.Roundtrip(":3\r\n", "ZADD", "z", "1", "a", "2.5", "b", "-inf", "c");
        c.Roundtrip(":0\r\n", "ZADD", "z", "1.5", "a");
        c.Roundtrip(Bulk("1.5"), "ZSCORE", "z", "a");
        c.Roundtrip(Bulk("-inf"), "ZSCORE", "z", "c");
        c.Roundtrip(Nil, "ZSCORE", "z", "x");
        c.Roundtrip(Nil, "ZSCORE", "nokey", "x");
        c.Roundtrip(":2\r\n", "ZADD", "z", "CH", "GT", "5", "a", "0", "b", "9", "d");
        c.Roundtrip(":0\r\n", "ZADD", "z", "NX", "100", "a");
        c.Roundtrip(":0\r\n", "ZADD", "z", "XX", "1", "new");
        c.Roundtrip(":4\r\n", "ZCARD", "z");
        c.Roundtrip(":0\r\n", "ZADD", "nokey", "XX", "1", "a");
        c.Roundtrip(":0\r\n", "EXISTS", "nokey");
    }

    [Fact]
    public void ZAddRejectsBadOptionsAndScoresWithRedisErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR XX and NX options at the same time are not compatible\r\n", "ZADD", "z", "NX", "XX", "1", "a");
        c.Roundtrip("-ERR GT, LT, and/or NX options at the same time are not compatible\r\n", "ZADD", "z", "GT", "LT", "1", "a");
        c.Roundtrip("-ERR GT, LT, and/or NX options at the same time are not compatible\r\n", "ZADD", "z", "NX", "GT", "1", "a");
        c.Roundtrip("-ERR INCR option supports a single increment-element pair\r\n", "ZADD", "z", "INCR", "1", "a", "2", "b");
        c.Roundtrip(Syntax, "ZADD", "z", "1", "a", "2");
        c.Roundtrip(NotFloat, "ZADD", "z", "x", "a");
        c.Roundtrip(NotFloat, "ZADD", "z", "nan", "a");
        c.Roundtrip(NotFloat, "ZADD", "z", "1e400", "a");
        c.Roundtrip(NotFloat, "ZADD", "z", " 1", "a");
        c.Roundtrip("-ERR wrong number of arguments for 'zadd' command\r\n", "ZADD", "z", "1");
        c.Roundtrip(":0\r\n", "EXISTS", "z");
    }

    [Fact]
    public void ZAddIncrAndZIncrByReturnTheNewScoreOrNilOrTheNaNError()
    {
        using var c = Server.Raw();
        c.Roundtrip(Bulk("2"), "ZADD", "z", "INCR", "2", "a");
        c.Roundtrip(Nil, "ZADD", "z", "NX", "INCR", "1", "a");
        c.Roundtrip(Nil, "ZADD", "z", "XX", "INCR", "1", "b");
        c.Roundtrip(Bulk("3.5"), "ZINCRBY", "z", "1.5", "a");
        c.Roundtrip(Bulk("inf"), "ZINCRBY", "z", "inf", "a");
        c.Roundtrip("-ERR resulting score is not a number (NaN)\r\n", "ZINCRBY", "z", "-inf", "a");
        c.Roundtrip(NotFloat, "ZINCRBY", "z", "abc", "a");
        Resp3(c);
        c.Roundtrip(Dbl("inf"), "ZADD", "z", "INCR", "1", "a");
        c.Roundtrip(Nil3, "ZADD", "z", "NX", "INCR", "1", "a");
    }

    [Fact]
    public void WrongTypeAndArityErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "s", "v");
        foreach (string[] cmd in new[]
        {
            new[] { "ZADD", "s", "1", "a" }, ["ZSCORE", "s", "a"], ["ZCARD", "s"], ["ZRANGE", "s", "0", "-1"],
            ["ZREM", "s", "a"], ["ZRANK", "s", "a"], ["ZPOPMIN", "s"], ["ZRANDMEMBER", "s"], ["ZSCAN", "s", "0"],
            ["ZINTERSTORE", "d", "1", "s"], ["ZUNION", "2", "nokey", "s"], ["ZMSCORE", "s", "a"], ["ZCOUNT", "s", "0", "1"],
        })
            c.Roundtrip(WrongType, cmd);
        c.Roundtrip("-ERR wrong number of arguments for 'zscore' command\r\n", "ZSCORE", "z");
        c.Roundtrip("-ERR wrong number of arguments for 'zrangestore' command\r\n", "ZRANGESTORE", "d", "z", "0");
        c.Roundtrip("-ERR wrong number of arguments for 'zincrby' command\r\n", "ZINCRBY", "z", "1");
    }

    [Fact]
    public void ZRangeByRankWithScoresInBothProtocols()
    {
        using var c = Server.Raw();
        c.Roundtrip(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3.25", "c");
        c.Roundtrip(Bulks("a", "b", "c"), "ZRANGE", "z", "0", "-1");
        c.Roundtrip(Bulks("b", "c"), "ZRANGE", "z", "-2", "100");
        c.Roundtrip(Empty, "ZRANGE", "z", "2", "1");
        c.Roundtrip(Empty, "ZRANGE", "nokey", "0", "-1");
        c.Roundtrip(Bulks("c", "3.25", "b", "2"), "ZRANGE", "z", "0", "1", "REV", "WITHSCORES");
        c.Roundtrip(Bulks("c", "b"), "ZREVRANGE", "z", "0", "1");
        c.Roundtrip(NotInteger, "ZRANGE", "z", "a", "1");
        Resp3(c);
        c.Roundtrip(Arr(Arr(Bulk("a"), Dbl("1")), Arr(Bulk("b"), Dbl("2"))), "ZRANGE", "z", "0", "1", "WITHSCORES");
        c.Roundtrip(Bulks("a"), "ZRANGE", "z", "0", "0");
    }

    [Fact]
    public void ZRangeByScoreAndLexWithBoundsRevAndLimit()
    {
        using var c = Server.Raw();
        c.Roundtrip(":4\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        c.Roundtrip(Bulks("b", "c"), "ZRANGE", "z", "(1", "3", "BYSCORE");
        c.Roundtrip(Bulks("d", "c"), "ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2");
        c.Roundtrip(Bulks("b", "2", "c", "3"), "ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2");
        c.Roundtrip(Bulks("c", "b"), "ZREVRANGEBYSCORE", "z", "3", "(1");
        c.Roundtrip(Empty, "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2");
        c.Roundtrip("-ERR min or max is not a float\r\n", "ZRANGE", "z", "1", "a", "BYSCORE");
        c.Roundtrip("-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n", "ZRANGE", "z", "0", "-1", "LIMIT", "0", "1");
        c.Roundtrip(Syntax, "ZRANGE", "z", "(1", "2", "BYSCORE", "LIMIT", "0");
        c.Roundtrip(Syntax, "ZREVRANGE", "z", "0", "0", "REV");
        c.Roundtrip(Syntax, "ZRANGEBYSCORE", "z", "1", "2", "BYLEX");
        c.Roundtrip(":4\r\n", "ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d");
        c.Roundtrip(Bulks("b", "c"), "ZRANGE", "l", "[b", "(d", "BYLEX");
        c.Roundtrip(Bulks("d", "c", "b", "a"), "ZREVRANGEBYLEX", "l", "+", "-");
        c.Roundtrip(Bulks("b"), "ZRANGEBYLEX", "l", "-", "+", "LIMIT", "1", "1");
        c.Roundtrip("-ERR min or max not valid string range item\r\n", "ZRANGE", "l", "a", "b", "BYLEX");
        c.Roundtrip("-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n", "ZRANGEBYLEX", "l", "-", "+", "WITHSCORES");
        c.Roundtrip(":2\r\n", "ZLEXCOUNT", "l", "(a", "[c");
        c.Roundtrip(":3\r\n", "ZCOUNT", "z", "(1", "+inf");
        c.Roundtrip("-ERR min or max is not a float\r\n", "ZCOUNT", "z", "x", "1");
    }

    [Fact]
    public void ZRangeStoreOverwritesAndDeletesOnEmpty()
    {
        using var c = Server.Raw();
        c.Roundtrip(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c");
        c.Roundtrip("+OK\r\n", "SET", "dst", "x");
        c.Roundtrip(":2\r\n", "ZRANGESTORE", "dst", "z", "2", "+inf", "BYSCORE");
        c.Roundtrip(Bulks("b", "c"), "ZRANGE", "dst", "0", "-1");
        c.Roundtrip(Syntax, "ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES");
        c.Roundtrip(":0\r\n", "ZRANGESTORE", "dst", "nokey", "0", "-1");
        c.Roundtrip(":0\r\n", "EXISTS", "dst");
    }

    [Fact]
    public void RankRemAndRemRange()
    {
        using var c = Server.Raw();
        c.Roundtrip(":4\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
        c.Roundtrip(":1\r\n", "ZRANK", "z", "b");
        c.Roundtrip(":2\r\n", "ZREVRANK", "z", "b");
        c.Roundtrip(Nil, "ZRANK", "z", "x");
        c.Roundtrip(Nil, "ZRANK", "nokey", "x");
        c.Roundtrip(":1\r\n", "ZREM", "z", "a", "x");
        c.Roundtrip(":0\r\n", "ZREM", "nokey", "a");
        c.Roundtrip(":1\r\n", "ZREMRANGEBYRANK", "z", "-1", "-1");
        c.Roundtrip(":1\r\n", "ZREMRANGEBYSCORE", "z", "(1", "2");
        c.Roundtrip(":1\r\n", "ZREMRANGEBYLEX", "z", "-", "+");
        c.Roundtrip(":0\r\n", "EXISTS", "z");
        c.Roundtrip(":0\r\n", "ZREMRANGEBYRANK", "z", "0", "-1");
    }

    [Fact]
    public void ZMScoreRepliesNilForMissingMembersInBothProtocols()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "ZADD", "z", "3", "b");
        c.Roundtrip(Arr(Bulk("3"), Nil), "ZMSCORE", "z", "b", "x");
        c.Roundtrip(Arr(Nil), "ZMSCORE", "nokey", "b");
        Resp3(c);
        c.Roundtrip(Arr(Dbl("3"), Nil3), "ZMSCORE", "z", "b", "x");
    }

    [Fact]
    public void ZPopIsFlatWithoutCountAndPairsWithCountInResp3()
    {
        using var c = Server.Raw();
        c.Roundtrip(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c");
        c.Roundtrip(Bulks("a", "1"), "ZPOPMIN", "z");
        c.Roundtrip(Bulks("c", "3"), "ZPOPMAX", "z", "1");
        c.Roundtrip("-ERR value is out of range, must be positive\r\n", "ZPOPMIN", "z", "-1");
        c.Roundtrip(Empty, "ZPOPMIN", "z", "0");
        c.Roundtrip(Empty, "ZPOPMIN", "nokey");
        c.Roundtrip(Syntax, "ZPOPMIN", "z", "1", "2");
        c.Roundtrip("-ERR value is out of range, must be positive\r\n", "ZPOPMIN", "z", "x");
        Resp3(c);
        c.Roundtrip(":2\r\n", "ZADD", "z", "1", "a", "3", "c");
        c.Roundtrip(Arr(Bulk("a"), Dbl("1")), "ZPOPMIN", "z");
        c.Roundtrip(Arr(Arr(Bulk("c"), Dbl("3")), Arr(Bulk("b"), Dbl("2"))), "ZPOPMAX", "z", "5");
        c.Roundtrip(":0\r\n", "EXISTS", "z");
    }

    [Fact]
    public void ZRandMemberShapes()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "ZRANDMEMBER", "nokey");
        c.Roundtrip(Empty, "ZRANDMEMBER", "nokey", "2");
        c.Roundtrip(":1\r\n", "ZADD", "z", "2", "only");
        c.Roundtrip(Bulk("only"), "ZRANDMEMBER", "z");
        c.Roundtrip(Bulks("only", "2"), "ZRANDMEMBER", "z", "5", "WITHSCORES");
        c.Roundtrip(Bulks("only", "only", "only"), "ZRANDMEMBER", "z", "-3");
        c.Roundtrip(Empty, "ZRANDMEMBER", "z", "0");
        c.Roundtrip(Syntax, "ZRANDMEMBER", "z", "1", "FOO");
        c.Roundtrip(NotInteger, "ZRANDMEMBER", "z", "x");
        Resp3(c);
        c.Roundtrip(Arr(Arr(Bulk("only"), Dbl("2"))), "ZRANDMEMBER", "z", "1", "WITHSCORES");
    }

    [Fact]
    public void ZUnionInterDiffAndTheirStoreForms()
    {
        using var c = Server.Raw();
        c.Roundtrip(":3\r\n", "ZADD", "a", "1", "x", "2", "y", "3", "z");
        c.Roundtrip(":2\r\n", "ZADD", "b", "10", "y", "20", "w");
        c.Roundtrip(Bulks("x", "1", "z", "3", "y", "12", "w", "20"), "ZUNION", "2", "a", "b", "WITHSCORES");
        c.Roundtrip(Bulks("y", "10"), "ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES");
        c.Roundtrip(Bulks("x", "z"), "ZDIFF", "2", "a", "b");
        c.Roundtrip(":4\r\n", "ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "2", "3", "AGGREGATE", "MIN");
        c.Roundtrip(Bulks("x", "2", "y", "4", "z", "6", "w", "60"), "ZRANGE", "dst", "0", "-1", "WITHSCORES");
        c.Roundtrip(":1\r\n", "ZINTERSTORE", "dst", "2", "a", "b");
        c.Roundtrip(":2\r\n", "ZDIFFSTORE", "dst", "2", "a", "b");
        c.Roundtrip(":0\r\n", "ZINTERSTORE", "dst", "2", "a", "nokey");
        c.Roundtrip(":0\r\n", "EXISTS", "dst");
        c.Roundtrip("-ERR at least 1 input key is needed for 'zunionstore' command\r\n", "ZUNIONSTORE", "dst", "0", "a");
        c.Roundtrip("-ERR at least 1 input key is needed for 'zunion' command\r\n", "ZUNION", "0", "a");
        c.Roundtrip(Syntax, "ZINTER", "2", "a");
        c.Roundtrip(Syntax, "ZDIFF", "1", "a", "WEIGHTS", "1");
        c.Roundtrip(Syntax, "ZUNIONSTORE", "dst", "1", "a", "WITHSCORES");
        c.Roundtrip(Syntax, "ZUNIONSTORE", "dst", "1", "a", "AGGREGATE", "AVG");
        c.Roundtrip("-ERR weight value is not a float\r\n", "ZUNIONSTORE", "dst", "1", "a", "WEIGHTS", "x");
        c.Roundtrip(NotInteger, "ZUNION", "x", "a");
        Resp3(c);
        c.Roundtrip(Arr(Arr(Bulk("y"), Dbl("12"))), "ZINTER", "2", "a", "b", "WITHSCORES");
    }

    [Fact]
    public void ZScanReturnsASmallSetWholeWithBulkScores()
    {
        using var c = Server.Raw();
        c.Roundtrip(":3\r\n", "ZADD", "z", "1", "a", "2.5", "ab", "3", "c");
        c.Roundtrip(Arr(Bulk("0"), Bulks("a", "1", "ab", "2.5")), "ZSCAN", "z", "0", "MATCH", "a*");
        c.Roundtrip(Arr(Bulk("0"), Empty), "ZSCAN", "nokey", "0");
        c.Roundtrip("-ERR invalid cursor\r\n", "ZSCAN", "z", "x");
        Resp3(c);
        c.Roundtrip(Arr(Bulk("0"), Bulks("c", "3")), "ZSCAN", "z", "0", "MATCH", "c");
    }

    [Fact]
    public void ZInterCardAnswersAsRedisDoes()
    {
        // Replies and error texts as redis-server 7.0.15 gives them for the same commands.
        using var c = Server.Raw();
        c.Roundtrip(":3\r\n", "ZADD", "z1", "1", "a", "2", "b", "3", "c");
        c.Roundtrip(":2\r\n", "ZADD", "z2", "1", "b", "1", "c");
        c.Roundtrip(":2\r\n", "SADD", "s1", "c", "d");
        c.Roundtrip(":2\r\n", "ZINTERCARD", "2", "z1", "z2");
        c.Roundtrip(":1\r\n", "ZINTERCARD", "2", "z1", "z2", "LIMIT", "1");
        c.Roundtrip(":2\r\n", "ZINTERCARD", "2", "z1", "z2", "limit", "0");
        c.Roundtrip(":1\r\n", "ZINTERCARD", "2", "z1", "s1");
        c.Roundtrip(":0\r\n", "ZINTERCARD", "2", "z1", "missing");
        c.Roundtrip(":0\r\n", "ZINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "2");
        c.Roundtrip("-ERR at least 1 input key is needed for 'zintercard' command\r\n", "ZINTERCARD", "0", "a");
        c.Roundtrip("-ERR at least 1 input key is needed for 'zintercard' command\r\n", "ZINTERCARD", "-1", "a");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "ZINTERCARD", "x", "a");
        c.Roundtrip(Syntax, "ZINTERCARD", "2", "a");
        c.Roundtrip(Syntax, "ZINTERCARD", "1", "a", "FOO");
        c.Roundtrip(Syntax, "ZINTERCARD", "1", "a", "LIMIT");
        c.Roundtrip("-ERR LIMIT can't be negative\r\n", "ZINTERCARD", "1", "a", "LIMIT", "-1");
        c.Roundtrip("-ERR LIMIT can't be negative\r\n", "ZINTERCARD", "1", "a", "LIMIT", "x");
        c.Roundtrip("+OK\r\n", "SET", "str", "v");
        c.Roundtrip("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZINTERCARD", "2", "missing", "str");
        c.Roundtrip("*2\r\n$2\r\nz1\r\n$2\r\nz2\r\n", "COMMAND", "GETKEYS", "ZINTERCARD", "2", "z1", "z2", "LIMIT", "1");
    }

    [Fact]
    public void ZScanJudgesItsOptionsOnlyOnceTheKeyExists()
    {
        // Redis 7.0 looks the key up first: a missing key answers an empty scan even with bad options.
        using var c = Server.Raw();
        c.Roundtrip(Arr(Bulk("0"), Empty), "ZSCAN", "nokey", "0", "COUNT", "abc");
        c.Roundtrip(Arr(Bulk("0"), Empty), "ZSCAN", "nokey", "0", "FOO");
        c.Roundtrip(":1\r\n", "ZADD", "z", "1", "a");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "ZSCAN", "z", "0", "COUNT", "abc");
        c.Roundtrip("-ERR syntax error\r\n", "ZSCAN", "z", "0", "FOO");
        c.Roundtrip("-ERR syntax error\r\n", "ZSCAN", "z", "0", "COUNT", "0");
    }

    [Fact]
    public void ObjectEncodingFollowsRedisThresholds()
    {
        using var c = Server.Raw();
        c.Roundtrip(":1\r\n", "ZADD", "z", "1", "a");
        c.Roundtrip(Bulk("listpack"), "OBJECT", "ENCODING", "z");
        c.Roundtrip("+zset\r\n", "TYPE", "z");
        c.Roundtrip(":1\r\n", "ZADD", "z", "1", new string('x', 65));
        c.Roundtrip(Bulk("skiplist"), "OBJECT", "ENCODING", "z");
    }

    [Fact]
    public async Task StackExchangeRedisClientWorksWithSortedSets()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        Assert.True(await db.SortedSetAddAsync("lb", "alice", 10));
        await db.SortedSetAddAsync("lb", [new SortedSetEntry("bob", 20), new SortedSetEntry("carol", 15.5)]);
        Assert.Equal(3, await db.SortedSetLengthAsync("lb"));
        Assert.Equal(15.5, await db.SortedSetScoreAsync("lb", "carol"));
        Assert.Equal(25.5, await db.SortedSetIncrementAsync("lb", "carol", 10));
        SortedSetEntry[] top = await db.SortedSetRangeByRankWithScoresAsync("lb", 0, 1, Order.Descending);
        Assert.Equal(["carol", "bob"], top.Select(e => e.Element.ToString()));
        Assert.Equal(0, await db.SortedSetRankAsync("lb", "alice"));
        RedisValue[] byScore = await db.SortedSetRangeByScoreAsync("lb", 10, 20, Exclude.Start);
        Assert.Equal(["bob"], byScore.Select(v => v.ToString()));
        Assert.Equal(3, await db.SortedSetCombineAndStoreAsync(SetOperation.Intersect, "both", "lb", "lb"));
        Assert.Equal(51, await db.SortedSetScoreAsync("both", "carol"));
        var scanned = new List<string>();
        await foreach (SortedSetEntry e in db.SortedSetScanAsync("lb")) scanned.Add(e.Element!);
        Assert.Equal(3, scanned.Count);
        SortedSetEntry? min = await db.SortedSetPopAsync("lb");
        Assert.Equal("alice", min!.Value.Element.ToString());
    }

    [Fact]
    public async Task LargeSetScanAndRanksThroughTheClient()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        SortedSetEntry[] entries = Enumerable.Range(0, 2000).Select(i => new SortedSetEntry("m" + i, i)).ToArray();
        Assert.Equal(2000, await db.SortedSetAddAsync("big", entries));
        Assert.Equal(1234, await db.SortedSetRankAsync("big", "m1234"));
        var seen = new HashSet<string>();
        await foreach (SortedSetEntry e in db.SortedSetScanAsync("big", pageSize: 100)) seen.Add(e.Element!);
        Assert.Equal(2000, seen.Count);
        Assert.Equal(500, await db.SortedSetRemoveRangeByRankAsync("big", 0, 499));
        Assert.Equal("m500", (await db.SortedSetRangeByRankAsync("big", 0, 0))[0].ToString());
    }
}

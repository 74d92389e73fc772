// The per-type command tests again, with every key cold: each type is demoted as one serialized value and must answer
// byte for byte as it did in DRAM.
//
// Two checks. (1) Reads: a dataset of every type is built in DRAM and each representative read's reply recorded;
// then maxmemory drops to 1 byte, the demoter moves every key to the SSD log, and each read runs again with its key
// cold (INFO tier_hot_keys = 0 before every command) and must give the same bytes, reading the record from the SSD.
// (2) A script of writes and reads of every type runs on an in-memory server and on a server with a 1-byte
// maxmemory, where the test waits before each command until every key is cold: writes to cold hashes, lists, sets,
// sorted sets, HLLs, bitmaps, streams (with a consumer group) and Bloom filters must reply as in memory.
// One known, accepted difference is left out: a set that became listpack and then holds only integers again ({1, 3}
// after SREM) comes back from the SSD as an intset, as it would from Redis's own RDB reload (DEBUG RELOAD).

using System.Diagnostics;
using System.Globalization;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class ColdTypeCommandTests
{
    private static readonly string[][] Dataset =
    [
        ["HSET", "h", "f1", "v1", "f2", "v2", "n", "3"],
        ["RPUSH", "l", "a", "b", "c", "d", "e"],
        ["SADD", "s", "x", "y", "z"],
        ["SADD", "si", "3", "1", "2"],
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "2.5", "d"],
        ["PFADD", "hll", "a", "b", "c", "d", "e"],
        ["SETBIT", "b", "7", "1"],
        ["SETBIT", "b", "100", "1"],
        ["XADD", "x", "1-0", "a", "1"],
        ["XADD", "x", "2-0", "b", "2"],
        ["XGROUP", "CREATE", "x", "g", "0"],
        ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "x", ">"],
        ["BF.RESERVE", "bf", "0.01", "1000"],
        ["BF.MADD", "bf", "a", "b", "c"],
        ["SET", "str", "hello"],
    ];

    private static readonly string[][] Reads =
    [
        ["HGETALL", "h"], ["HGET", "h", "f2"], ["HMGET", "h", "f1", "nope", "n"], ["HLEN", "h"],
        ["LRANGE", "l", "0", "-1"], ["LRANGE", "l", "-2", "-1"], ["LINDEX", "l", "-1"], ["LPOS", "l", "c"],
        ["SMEMBERS", "s"], ["SMEMBERS", "si"], ["SISMEMBER", "s", "y"], ["SCARD", "s"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZRANGEBYSCORE", "z", "(2", "+inf"], ["ZRANK", "z", "d"], ["ZSCORE", "z", "d"],
        ["PFCOUNT", "hll"],
        ["GETBIT", "b", "7"], ["GETBIT", "b", "8"], ["BITCOUNT", "b"], ["BITPOS", "b", "1"],
        ["XRANGE", "x", "-", "+"], ["XLEN", "x"], ["XPENDING", "x", "g"], ["XINFO", "GROUPS", "x"],
        ["BF.EXISTS", "bf", "a"], ["BF.EXISTS", "bf", "zz"], ["BF.MEXISTS", "bf", "a", "b", "q"], ["BF.INFO", "bf"],
        ["GET", "str"], ["STRLEN", "str"],
        ["TYPE", "h"], ["OBJECT", "ENCODING", "h"], ["OBJECT", "ENCODING", "l"], ["OBJECT", "ENCODING", "s"],
        ["OBJECT", "ENCODING", "si"], ["OBJECT", "ENCODING", "z"], ["TYPE", "x"],
    ];

    private static readonly string[][] Script =
    [
        ["HSET", "h", "f1", "v1", "f2", "v2"], ["HINCRBY", "h", "n", "5"], ["HDEL", "h", "f1"], ["HGETALL", "h"],
        ["HSETNX", "h", "f2", "x"], ["HSTRLEN", "h", "f2"], ["HINCRBYFLOAT", "h", "n", "0.5"], ["HGETALL", "h"],
        ["RPUSH", "l", "a", "b", "c"], ["LPUSH", "l", "z"], ["LSET", "l", "1", "A"], ["LINSERT", "l", "BEFORE", "c", "bb"],
        ["LRANGE", "l", "0", "-1"], ["LPOP", "l", "2"], ["RPOPLPUSH", "l", "l2"], ["LRANGE", "l2", "0", "-1"],
        ["LREM", "l", "0", "bb"], ["LLEN", "l"], ["LRANGE", "l", "0", "-1"],
        ["SADD", "s", "1", "2", "3"], ["SADD", "s", "a"], ["SREM", "s", "2"], ["SMEMBERS", "s"], ["SMOVE", "s", "s2", "a"],
        ["SINTERSTORE", "s3", "s", "s2"], ["SUNIONSTORE", "s4", "s", "s2"], ["SCARD", "s4"], ["SMISMEMBER", "s", "1", "2"],
        ["ZADD", "z", "1", "a", "2", "b"], ["ZADD", "z", "GT", "CH", "0", "a", "5", "b"], ["ZINCRBY", "z", "2.5", "a"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZPOPMIN", "z"], ["ZADD", "z", "7", "c", "7", "d"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZREVRANK", "z", "c"], ["ZREMRANGEBYSCORE", "z", "-inf", "5"], ["ZCARD", "z"],
        ["PFADD", "p1", "a", "b"], ["PFADD", "p2", "b", "c"], ["PFADD", "p1", "a"], ["PFMERGE", "p3", "p1", "p2"],
        ["PFCOUNT", "p3"], ["PFCOUNT", "p1", "p2"],
        ["SETBIT", "b", "3", "1"], ["SETBIT", "b", "3", "0"], ["SETBIT", "b", "9", "1"], ["BITCOUNT", "b"],
        ["BITOP", "AND", "b2", "b", "b"], ["GET", "b2"], ["BITFIELD", "b", "INCRBY", "u8", "0", "200"], ["BITFIELD", "b", "GET", "u8", "0"],
        ["XADD", "x", "1-0", "f", "v"], ["XGROUP", "CREATE", "x", "g", "0"], ["XADD", "x", "2-0", "f", "w"],
        ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "10", "STREAMS", "x", ">"], ["XACK", "x", "g", "1-0"], ["XPENDING", "x", "g"],
        ["XDEL", "x", "1-0"], ["XRANGE", "x", "-", "+"], ["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "x", "0"], ["XLEN", "x"],
        ["BF.ADD", "bf", "a"], ["BF.ADD", "bf", "a"], ["BF.MADD", "bf", "b", "c"], ["BF.EXISTS", "bf", "b"], ["BF.MEXISTS", "bf", "a", "zz"],
        ["SET", "k", "1"], ["INCR", "k"], ["APPEND", "k", "x"], ["GET", "k"], ["RENAME", "k", "k2"], ["GET", "k2"],
        ["HGET", "k2", "f"], ["LPUSH", "z", "x"], ["TYPE", "z"], ["OBJECT", "ENCODING", "s2"], ["OBJECT", "ENCODING", "h"],
        ["EXISTS", "h", "l", "s", "z", "nope"], ["DEL", "h", "l"], ["EXISTS", "h", "l"], ["DBSIZE"],
    ];

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ReadsOfEveryTypeAnswerTheSameBytesWhenTheirKeysAreCold(int protocol)
    {
        await using var s = new ColdServer(0);
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        if (protocol == 3) Replies.Resp3(c);
        foreach (string[] command in Dataset) Assert.DoesNotMatch("^-", ColdWait.Run(c, command));
        var hot = new string[Reads.Length];
        for (int k = 0; k < Reads.Length; k++) hot[k] = ColdWait.Run(c, Reads[k]);
        Assert.All(hot, r => Assert.DoesNotMatch("^-", r));

        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "maxmemory", "1");
        Dictionary<string, string> start = ColdWait.WaitAllCold(info, "the first read");
        Assert.Equal(10, ColdWait.Field(start, "tier_cold_keys"));   // h l s si z hll b x bf str
        for (int k = 0; k < Reads.Length; k++)
        {
            string what = string.Join(' ', Reads[k]);
            Dictionary<string, string> before = ColdWait.WaitAllCold(info, what);
            Assert.Equal(hot[k], ColdWait.Run(c, Reads[k]));
            Dictionary<string, string> after = ColdWait.Tiering(info);
            Assert.True(ColdWait.Field(after, "tier_ssd_read_items") > ColdWait.Field(before, "tier_ssd_read_items"), $"{what} did not read its key from the SSD");
        }
        Assert.True(ColdWait.Field(ColdWait.Tiering(info), "tier_cold_hits") >= Reads.Length - 8, "reads were not counted as cold hits");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task AScriptOfWritesAndReadsOnKeysColdBeforeEveryCommandRepliesAsInMemory(int protocol)
    {
        await using var reference = new TestServer();
        await using var s = new ColdServer(1);
        using RawClient expected = reference.Raw();
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        if (protocol == 3)
        {
            Replies.Resp3(expected);
            Replies.Resp3(c);
        }
        long coldCommands = 0;
        foreach (string[] command in Script)
        {
            string what = string.Join(' ', command);
            string want = ColdWait.Run(expected, command);
            Assert.False(want.StartsWith("-ERR", StringComparison.Ordinal), $"{what}: the reference answered {want}");
            Dictionary<string, string> before = ColdWait.WaitAllCold(info, what);
            Assert.Equal(want, ColdWait.Run(c, command));
            if (ColdWait.Field(ColdWait.Tiering(info), "tier_ssd_read_items") > ColdWait.Field(before, "tier_ssd_read_items")) coldCommands++;
        }
        // Every command but those that only create keys or name none (SET k, the first writes of each key, DBSIZE) found a cold key.
        Assert.True(coldCommands >= Script.Length - 16, $"only {coldCommands} of {Script.Length} commands read a cold key");
        Dictionary<string, string> end = ColdWait.Tiering(info);
        Assert.True(ColdWait.Field(end, "tier_cold_hits") > 0, "no cold hits");
    }
    [Fact]
    public async Task WatchIsBrokenByAWriteToTheColdKeyButNotByDemotion()
    {
        await using var s = new ColdServer(1);
        using RawClient a = s.Server.Raw();
        using RawClient b = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        a.Roundtrip(Replies.Ok, "SET", "w", "1");
        // Watched while hot, demoted meanwhile, unchanged: EXEC runs.
        a.Roundtrip(Replies.Ok, "WATCH", "w");
        ColdWait.WaitAllCold(info, "the first EXEC");
        a.Roundtrip(Replies.Ok, "MULTI");
        a.Roundtrip("+QUEUED\r\n", "INCR", "w");
        a.Roundtrip("*1\r\n:2\r\n", "EXEC");
        // Watched while cold, overwritten by another client while cold: EXEC aborts.
        ColdWait.WaitAllCold(info, "WATCH");
        a.Roundtrip(Replies.Ok, "WATCH", "w");
        ColdWait.WaitAllCold(info, "the other client's SET");
        b.Roundtrip(Replies.Ok, "SET", "w", "5");
        ColdWait.WaitAllCold(info, "the second EXEC");
        a.Roundtrip(Replies.Ok, "MULTI");
        a.Roundtrip("+QUEUED\r\n", "INCR", "w");
        a.Roundtrip(Replies.NilArray, "EXEC");
        a.Roundtrip(Replies.Bulk("5"), "GET", "w");
    }

    [Fact]
    public async Task XreadgroupBlockedOnAColdStreamWakesOnXadd()
    {
        await using var s = new ColdServer(1);
        using RawClient a = s.Server.Raw();
        using RawClient b = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        a.Roundtrip(Replies.Bulk("1-0"), "XADD", "s", "1-0", "f", "v");
        a.Roundtrip(Replies.Ok, "XGROUP", "CREATE", "s", "g", "$");
        ColdWait.WaitAllCold(info, "XREADGROUP");
        a.Command("XREADGROUP", "GROUP", "g", "c", "BLOCK", "10000", "STREAMS", "s", ">");
        await s.Server.WaitBlocked(1);
        ColdWait.WaitAllCold(info, "XADD");
        b.Roundtrip(Replies.Bulk("2-0"), "XADD", "s", "2-0", "f", "w");
        a.Expect("*1\r\n*2\r\n" + Replies.Bulk("s") + "*1\r\n*2\r\n" + Replies.Bulk("2-0") + Replies.Arr("f", "w"));
        ColdWait.WaitAllCold(info, "XPENDING");
        b.Roundtrip("*4\r\n:1\r\n" + Replies.Bulk("2-0") + Replies.Bulk("2-0") + "*1\r\n*2\r\n" + Replies.Bulk("c") + Replies.Bulk("1"), "XPENDING", "s", "g");
    }

    [Fact]
    public async Task BlockingPopsServeColdListsAndSortedSetsAndWakeOnColdKeys()
    {
        await using var s = new ColdServer(1);
        using RawClient a = s.Server.Raw();
        using RawClient b = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        a.Roundtrip(":2\r\n", "RPUSH", "l", "x", "y");
        a.Roundtrip(":1\r\n", "ZADD", "z", "1", "m");
        ColdWait.WaitAllCold(info, "BLPOP on a cold list");
        a.Roundtrip(Replies.Arr("l", "x"), "BLPOP", "l", "1");
        ColdWait.WaitAllCold(info, "BZPOPMIN on a cold sorted set");
        a.Roundtrip("*3\r\n" + Replies.Bulk("z") + Replies.Bulk("m") + Replies.Bulk("1"), "BZPOPMIN", "z", "1");
        ColdWait.WaitAllCold(info, "BRPOP on a cold list");
        a.Roundtrip(Replies.Arr("l", "y"), "BRPOP", "l", "1");   // the list is now empty and gone; BLPOP below waits
        a.Command("BLPOP", "l2", "10");
        await s.Server.WaitBlocked(1);
        b.Roundtrip(":1\r\n", "RPUSH", "l2", "v");
        a.Expect(Replies.Arr("l2", "v"));
    }
}

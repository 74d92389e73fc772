using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class KeyCommandTests : ServerTestBase
{
    private static long Int(RawClient c, params string[] args)
    {
        c.Command(args);
        string reply = c.ReadReply();
        Assert.StartsWith(":", reply);
        return long.Parse(reply[1..^2]);
    }

    [Fact]
    public void DelAndUnlinkCountOnlyKeysThatExisted()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip("+OK\r\n", "SET", "b", "2");
        c.Roundtrip(":2\r\n", "DEL", "a", "b", "c");
        c.Roundtrip(":0\r\n", "DEL", "a");
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":1\r\n", "UNLINK", "a", "a");
        c.Roundtrip("-ERR wrong number of arguments for 'del' command\r\n", "DEL");
        c.Roundtrip("-ERR wrong number of arguments for 'unlink' command\r\n", "UNLINK");
    }

    [Fact]
    public void ExistsAndTouchCountDuplicates()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":2\r\n", "EXISTS", "a", "a", "nope");
        c.Roundtrip(":0\r\n", "EXISTS", "nope");
        c.Roundtrip(":2\r\n", "TOUCH", "a", "nope", "a");
    }

    [Fact]
    public void TypeIsStringOrNone()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip("+string\r\n", "TYPE", "a");
        c.Roundtrip("+none\r\n", "TYPE", "nope");
        c.Roundtrip("-ERR wrong number of arguments for 'type' command\r\n", "TYPE", "a", "b");
    }

    [Fact]
    public void ExpireSetsASecondsTtlAndMissingKeyGivesZero()
    {
        using var c = Server.Raw();
        c.Roundtrip(":0\r\n", "EXPIRE", "nope", "100");
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":-1\r\n", "TTL", "a");
        c.Roundtrip(":-1\r\n", "PTTL", "a");
        c.Roundtrip(":-2\r\n", "TTL", "nope");
        c.Roundtrip(":-2\r\n", "PTTL", "nope");
        c.Roundtrip(":1\r\n", "EXPIRE", "a", "100");
        c.Roundtrip(":100\r\n", "TTL", "a");
        long pttl = Int(c, "PTTL", "a");
        Assert.InRange(pttl, 98_000, 100_000);
    }

    [Fact]
    public void ExpireConditionsFollowRedisSeven()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":0\r\n", "EXPIRE", "a", "100", "XX");
        c.Roundtrip(":0\r\n", "EXPIRE", "a", "100", "GT"); // no TTL counts as infinite
        c.Roundtrip(":1\r\n", "EXPIRE", "a", "100", "NX");
        c.Roundtrip(":0\r\n", "EXPIRE", "a", "200", "nx");
        c.Roundtrip(":0\r\n", "EXPIRE", "a", "50", "GT");
        c.Roundtrip(":1\r\n", "EXPIRE", "a", "200", "GT");
        c.Roundtrip(":200\r\n", "TTL", "a");
        c.Roundtrip(":0\r\n", "EXPIRE", "a", "300", "LT");
        c.Roundtrip(":1\r\n", "EXPIRE", "a", "150", "XX", "LT");
        c.Roundtrip(":150\r\n", "TTL", "a");
    }

    [Fact]
    public void ExpireRejectsBadOptionsAndNumbersWithRedisErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "EXPIRE", "a", "10", "NX", "XX");
        c.Roundtrip("-ERR NX and XX, GT or LT options at the same time are not compatible\r\n", "PEXPIRE", "a", "10", "LT", "NX");
        c.Roundtrip("-ERR GT and LT options at the same time are not compatible\r\n", "EXPIRE", "a", "10", "GT", "LT");
        c.Roundtrip("-ERR Unsupported option foo\r\n", "EXPIRE", "a", "10", "foo");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "EXPIRE", "a", "ten");
        c.Roundtrip("-ERR invalid expire time in 'expire' command\r\n", "EXPIRE", "a", "9223372036854775807");
        c.Roundtrip("-ERR invalid expire time in 'pexpire' command\r\n", "PEXPIRE", "a", "9223372036854775807");
        c.Roundtrip("-ERR invalid expire time in 'expireat' command\r\n", "EXPIREAT", "a", "9223372036854775807");
        c.Roundtrip("-ERR wrong number of arguments for 'expire' command\r\n", "EXPIRE", "a");
        c.Roundtrip(":-1\r\n", "TTL", "a"); // nothing above changed the key
    }

    [Fact]
    public void ExpireInThePastDeletesTheKeyAndReturnsOne()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":1\r\n", "EXPIRE", "a", "-1");
        c.Roundtrip(":0\r\n", "EXISTS", "a");
        c.Roundtrip("+OK\r\n", "SET", "b", "1");
        c.Roundtrip(":1\r\n", "PEXPIREAT", "b", "1000");
        c.Roundtrip("$-1\r\n", "GET", "b");
        c.Roundtrip(":0\r\n", "DBSIZE");
    }

    [Fact]
    public void ExpireTimeReportsTheAbsoluteDeadline()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":-1\r\n", "EXPIRETIME", "a");
        c.Roundtrip(":-2\r\n", "PEXPIRETIME", "nope");
        c.Roundtrip(":1\r\n", "EXPIREAT", "a", "33177117420");
        c.Roundtrip(":33177117420\r\n", "EXPIRETIME", "a");
        c.Roundtrip(":33177117420000\r\n", "PEXPIRETIME", "a");
        c.Roundtrip(":1\r\n", "PEXPIREAT", "a", "33177117420123");
        c.Roundtrip(":33177117420\r\n", "EXPIRETIME", "a");
        c.Roundtrip(":33177117420123\r\n", "PEXPIRETIME", "a");
    }

    [Fact]
    public void PersistRemovesTheTtl()
    {
        using var c = Server.Raw();
        c.Roundtrip(":0\r\n", "PERSIST", "nope");
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":0\r\n", "PERSIST", "a");
        c.Roundtrip(":1\r\n", "EXPIRE", "a", "100");
        c.Roundtrip(":1\r\n", "PERSIST", "a");
        c.Roundtrip(":-1\r\n", "TTL", "a");
    }

    [Fact]
    public void RenameMovesTheValueWithItsTtl()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR no such key\r\n", "RENAME", "nope", "x");
        c.Roundtrip("-ERR no such key\r\n", "RENAMENX", "nope", "x");
        c.Roundtrip("+OK\r\n", "SET", "a", "hello");
        c.Roundtrip(":1\r\n", "EXPIRE", "a", "100");
        c.Roundtrip("+OK\r\n", "SET", "b", "old");
        c.Roundtrip("+OK\r\n", "RENAME", "a", "b");
        c.Roundtrip("$5\r\nhello\r\n", "GET", "b");
        c.Roundtrip(":0\r\n", "EXISTS", "a");
        c.Roundtrip(":100\r\n", "TTL", "b");
        c.Roundtrip("+OK\r\n", "RENAME", "b", "b");
        c.Roundtrip(":1\r\n", "DBSIZE");
        c.Roundtrip("-ERR wrong number of arguments for 'rename' command\r\n", "RENAME", "b");
    }

    [Fact]
    public void RenameNxOnlyWritesAnAbsentTarget()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip("+OK\r\n", "SET", "b", "2");
        c.Roundtrip(":0\r\n", "RENAMENX", "a", "b");
        c.Roundtrip(":0\r\n", "RENAMENX", "a", "a");
        c.Roundtrip("$1\r\n2\r\n", "GET", "b");
        c.Roundtrip(":1\r\n", "RENAMENX", "a", "c");
        c.Roundtrip("$1\r\n1\r\n", "GET", "c");
    }

    [Fact]
    public void KeysMatchesAGlob()
    {
        using var c = Server.Raw();
        c.Roundtrip("*0\r\n", "KEYS", "*");
        c.Roundtrip("+OK\r\n", "SET", "one", "1");
        c.Roundtrip("+OK\r\n", "SET", "two", "2");
        c.Roundtrip("+OK\r\n", "SET", "three", "3");
        c.Roundtrip("*1\r\n$3\r\ntwo\r\n", "KEYS", "t??");
        c.Roundtrip("*1\r\n$5\r\nthree\r\n", "KEYS", "th[a-z]ee");
        c.Roundtrip("*0\r\n", "KEYS", "x*");
        c.Command("KEYS", "*");
        string all = c.ReadReply();
        Assert.StartsWith("*3\r\n", all);
        Assert.Contains("$3\r\none\r\n", all);
        Assert.Contains("$3\r\ntwo\r\n", all);
        Assert.Contains("$5\r\nthree\r\n", all);
    }

    [Fact]
    public void ScanRepliesCursorAndKeysAndRejectsBadArguments()
    {
        using var c = Server.Raw();
        c.Roundtrip("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0");
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip("*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", "SCAN", "0");
        c.Roundtrip("*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", "SCAN", "0", "MATCH", "a*", "COUNT", "5", "TYPE", "string");
        c.Roundtrip("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0", "TYPE", "list");
        c.Roundtrip("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "0", "MATCH", "b*");
        c.Roundtrip("*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "12345");
        c.Roundtrip("-ERR invalid cursor\r\n", "SCAN", "abc");
        c.Roundtrip("-ERR syntax error\r\n", "SCAN", "0", "COUNT", "0");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "SCAN", "0", "COUNT", "x");
        c.Roundtrip("-ERR syntax error\r\n", "SCAN", "0", "MATCH");
        c.Roundtrip("-ERR syntax error\r\n", "SCAN", "0", "FOO", "bar");
    }

    [Fact]
    public void ScanWithSmallCountWalksAllKeysAcrossCalls()
    {
        using var c = Server.Raw();
        for (int i = 0; i < 50; i++) c.Command("SET", $"k{i}", "v");
        for (int i = 0; i < 50; i++) c.Expect("+OK\r\n");
        var seen = new HashSet<string>();
        string cursor = "0";
        int calls = 0;
        do
        {
            c.Command("SCAN", cursor, "COUNT", "5");
            string reply = c.ReadReply();
            string[] lines = reply.Split("\r\n");
            // *2, $n, cursor, *m, then $len/key pairs
            cursor = lines[2];
            int m = int.Parse(lines[3][1..]);
            for (int j = 0; j < m; j++) seen.Add(lines[5 + 2 * j]);
            calls++;
        }
        while (cursor != "0" && calls < 1000);
        Assert.Equal(50, seen.Count);
        Assert.True(calls >= 10);
    }

    [Fact]
    public void RandomKeyIsNilOnAnEmptyDatabase()
    {
        using var c = Server.Raw();
        c.Roundtrip("$-1\r\n", "RANDOMKEY");
        c.Roundtrip("+OK\r\n", "SET", "only", "1");
        c.Roundtrip("$4\r\nonly\r\n", "RANDOMKEY");
    }

    [Fact]
    public void FlushDbAndFlushAllAcceptSyncAndAsync()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip("+OK\r\n", "SELECT", "1");
        c.Roundtrip("+OK\r\n", "SET", "b", "1");
        c.Roundtrip("+OK\r\n", "SET", "c", "1");
        c.Roundtrip(":2\r\n", "DBSIZE");
        c.Roundtrip("-ERR syntax error\r\n", "FLUSHDB", "LATER");
        c.Roundtrip("-ERR syntax error\r\n", "FLUSHALL", "SYNC", "ASYNC");
        c.Roundtrip("+OK\r\n", "FLUSHDB", "async");
        c.Roundtrip(":0\r\n", "DBSIZE");
        c.Roundtrip("+OK\r\n", "SELECT", "0");
        c.Roundtrip(":1\r\n", "DBSIZE");
        c.Roundtrip("+OK\r\n", "FLUSHALL", "SYNC");
        c.Roundtrip(":0\r\n", "DBSIZE");
        c.Roundtrip("+OK\r\n", "FLUSHALL");
        c.Roundtrip("+OK\r\n", "FLUSHDB");
    }

    [Fact]
    public void SwapDbExchangesDatabasesForEveryClient()
    {
        using var c = Server.Raw();
        using var other = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "zero");
        c.Roundtrip("-ERR invalid first DB index\r\n", "SWAPDB", "x", "1");
        c.Roundtrip("-ERR invalid second DB index\r\n", "SWAPDB", "0", "y");
        c.Roundtrip("-ERR invalid first DB index\r\n", "SWAPDB", "99999999999", "1");
        c.Roundtrip("-ERR DB index is out of range\r\n", "SWAPDB", "0", "16");
        c.Roundtrip("-ERR DB index is out of range\r\n", "SWAPDB", "-1", "0");
        c.Roundtrip("+OK\r\n", "SWAPDB", "0", "1");
        c.Roundtrip("$-1\r\n", "GET", "a");
        other.Roundtrip("+OK\r\n", "SELECT", "1");
        other.Roundtrip("$4\r\nzero\r\n", "GET", "a");
        c.Roundtrip("+OK\r\n", "SWAPDB", "1", "1");
    }

    [Fact]
    public void CopyDuplicatesAStringWithOptions()
    {
        using var c = Server.Raw();
        c.Roundtrip(":0\r\n", "COPY", "nope", "b");
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":1\r\n", "EXPIRE", "a", "100");
        c.Roundtrip(":1\r\n", "COPY", "a", "b");
        c.Roundtrip(":100\r\n", "TTL", "b");
        c.Roundtrip("+OK\r\n", "SET", "a", "2");
        c.Roundtrip("$1\r\n1\r\n", "GET", "b");
        c.Roundtrip(":0\r\n", "COPY", "a", "b");
        c.Roundtrip(":1\r\n", "COPY", "a", "b", "REPLACE");
        c.Roundtrip("$1\r\n2\r\n", "GET", "b");
        c.Roundtrip("-ERR source and destination objects are the same\r\n", "COPY", "a", "a");
        c.Roundtrip("-ERR DB index is out of range\r\n", "COPY", "a", "a", "DB", "16");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "COPY", "a", "a", "DB", "one");
        c.Roundtrip("-ERR syntax error\r\n", "COPY", "a", "b", "DB");
        c.Roundtrip("-ERR syntax error\r\n", "COPY", "a", "b", "FORCE");
        c.Roundtrip(":1\r\n", "COPY", "a", "a", "DB", "2", "REPLACE");
        c.Roundtrip("+OK\r\n", "SELECT", "2");
        c.Roundtrip("$1\r\n2\r\n", "GET", "a");
    }

    [Fact]
    public void ObjectEncodingFollowsRedisStringRules()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "i", "12345");
        c.Roundtrip("+OK\r\n", "SET", "e", "hello");
        c.Roundtrip("+OK\r\n", "SET", "r", new string('x', 45));
        c.Roundtrip("$3\r\nint\r\n", "OBJECT", "ENCODING", "i");
        c.Roundtrip("$6\r\nembstr\r\n", "OBJECT", "encoding", "e");
        c.Roundtrip("$3\r\nraw\r\n", "OBJECT", "ENCODING", "r");
        c.Roundtrip("$-1\r\n", "OBJECT", "ENCODING", "nope");
        c.Roundtrip(":1\r\n", "OBJECT", "REFCOUNT", "e");
        c.Roundtrip("$-1\r\n", "OBJECT", "REFCOUNT", "nope");
    }

    [Fact]
    public void ObjectFreqAndIdleTimeReadAccessDataWithoutChangingIt()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":5\r\n", "OBJECT", "FREQ", "a");
        c.Roundtrip(":5\r\n", "OBJECT", "FREQ", "a");
        c.Roundtrip("$1\r\n1\r\n", "GET", "a"); // at the initial value the increment is certain
        c.Roundtrip(":6\r\n", "OBJECT", "FREQ", "a");
        c.Roundtrip(":0\r\n", "OBJECT", "IDLETIME", "a");
        c.Roundtrip("$-1\r\n", "OBJECT", "FREQ", "nope");
        c.Roundtrip("$-1\r\n", "OBJECT", "IDLETIME", "nope");
    }

    [Fact]
    public void ObjectHelpAndErrors()
    {
        using var c = Server.Raw();
        c.Command("OBJECT", "HELP");
        string help = c.ReadReply();
        Assert.StartsWith("*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n", help);
        Assert.EndsWith("+HELP\r\n+    Prints this help.\r\n", help);
        c.Roundtrip("-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n", "OBJECT", "foo", "a");
        c.Roundtrip("-ERR wrong number of arguments for 'object|encoding' command\r\n", "OBJECT", "ENCODING");
        c.Roundtrip("-ERR wrong number of arguments for 'object|help' command\r\n", "OBJECT", "HELP", "x");
        c.Roundtrip("-ERR wrong number of arguments for 'object' command\r\n", "OBJECT");
    }

    [Fact]
    public void MoveRepliesOneWhenTheKeyMovedAndZeroWhenItCouldNot()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "k", "v");
        c.Roundtrip(":1\r\n", "EXPIRE", "k", "100");
        c.Roundtrip(":1\r\n", "MOVE", "k", "2");
        c.Roundtrip(":0\r\n", "EXISTS", "k");
        c.Roundtrip(":0\r\n", "MOVE", "k", "2");
        c.Roundtrip("+OK\r\n", "SELECT", "2");
        c.Roundtrip("$1\r\nv\r\n", "GET", "k");
        Assert.InRange(Int(c, "TTL", "k"), 99, 100);
        c.Roundtrip("+OK\r\n", "SET", "other", "in-2");
        c.Roundtrip("+OK\r\n", "SELECT", "0");
        c.Roundtrip("+OK\r\n", "SET", "other", "in-0");
        c.Roundtrip(":0\r\n", "MOVE", "other", "2");
        c.Roundtrip("$4\r\nin-0\r\n", "GET", "other");
    }

    [Fact]
    public void MoveAnswersRedisErrorsForABadDatabase()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "k", "v");
        c.Roundtrip("-ERR source and destination objects are the same\r\n", "MOVE", "k", "0");
        c.Roundtrip("-ERR DB index is out of range\r\n", "MOVE", "k", "16");
        c.Roundtrip("-ERR DB index is out of range\r\n", "MOVE", "k", "-1");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "MOVE", "k", "x");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "MOVE", "k", "4294967296");
        c.Roundtrip("-ERR wrong number of arguments for 'move' command\r\n", "MOVE", "k");
        c.Roundtrip("$1\r\nv\r\n", "GET", "k");
    }

    [Fact]
    public async Task StackExchangeRedisMovesAKey()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db0 = mux.GetDatabase(0);
        await db0.StringSetAsync("m", "1");
        Assert.True(await db0.KeyMoveAsync("m", 5));
        Assert.False(await db0.KeyExistsAsync("m"));
        Assert.Equal("1", (string?)await mux.GetDatabase(5).StringGetAsync("m"));
    }

    [Fact]
    public async Task StackExchangeRedisKeyCommandsWork()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        await db.StringSetAsync("a", "1");
        await db.StringSetAsync("b", "2");
        Assert.True(await db.KeyExistsAsync("a"));
        Assert.Equal(2, await db.KeyExistsAsync(["a", "b", "c"]));
        Assert.Equal(RedisType.String, await db.KeyTypeAsync("a"));
        Assert.Equal(RedisType.None, await db.KeyTypeAsync("c"));
        Assert.True(await db.KeyRenameAsync("a", "c"));
        Assert.False(await db.KeyRenameAsync("b", "c", When.NotExists));
        Assert.Equal("1", (string?)await db.StringGetAsync("c"));
        Assert.True(await db.KeyCopyAsync("c", "d"));
        Assert.Equal("1", (string?)await db.StringGetAsync("d"));
        Assert.Equal(2, await db.KeyDeleteAsync(["c", "d", "zz"]));
        Assert.True(await db.KeyTouchAsync("b"));
        Assert.Equal("int", (string?)await db.ExecuteAsync("OBJECT", "ENCODING", "b"));
        Assert.Equal("b", (string?)await db.KeyRandomAsync());
    }

    [Fact]
    public async Task StackExchangeRedisServerKeysScansAllPages()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        var expected = new HashSet<string>();
        for (int i = 0; i < 120; i++)
        {
            await db.StringSetAsync($"user:{i}", "v");
            expected.Add($"user:{i}");
        }
        for (int i = 0; i < 30; i++) await db.StringSetAsync($"other:{i}", "v");
        IServer server = mux.GetServer(Server.EndPoint);
        var found = new HashSet<string>();
        await foreach (RedisKey k in server.KeysAsync(database: 0, pattern: "user:*", pageSize: 7)) found.Add(k!);
        Assert.Equal(expected, found);
        Assert.Equal(150, await server.DatabaseSizeAsync());
        await server.FlushDatabaseAsync();
        Assert.Equal(0, await server.DatabaseSizeAsync());
    }
}

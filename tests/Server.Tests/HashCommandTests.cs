using StackExchange.Redis;
using static Tiered.Server.Tests.Infrastructure.Replies;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class HashCommandTests : ServerTestBase
{
    [Fact]
    public void HSetHGetAndHMGetReplyWithExactBytes()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(2), "HSET", "h", "a", "1", "b", "2");
        c.Roundtrip(Int(1), "HSET", "h", "a", "x", "c", "3");
        c.Roundtrip(Bulk("x"), "HGET", "h", "a");
        c.Roundtrip(Nil, "HGET", "h", "zz");
        c.Roundtrip(Nil, "HGET", "missing", "a");
        c.Roundtrip("*3\r\n$1\r\nx\r\n$-1\r\n$1\r\n3\r\n", "HMGET", "h", "a", "zz", "c");
        c.Roundtrip("*2\r\n$-1\r\n$-1\r\n", "HMGET", "missing", "a", "b");
        c.Roundtrip(Ok, "HMSET", "h", "d", "4");
        c.Roundtrip(Int(4), "HLEN", "h");
    }

    [Fact]
    public void ArityErrorsNameTheCommand()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR wrong number of arguments for 'hset' command\r\n", "HSET", "h", "a");
        c.Roundtrip("-ERR wrong number of arguments for 'hset' command\r\n", "HSET", "h", "a", "1", "b");
        c.Roundtrip("-ERR wrong number of arguments for 'hmset' command\r\n", "HMSET", "h", "a", "1", "b");
        c.Roundtrip("-ERR wrong number of arguments for 'hget' command\r\n", "HGET", "h");
        c.Roundtrip("-ERR wrong number of arguments for 'hdel' command\r\n", "HDEL", "h");
        c.Roundtrip("-ERR wrong number of arguments for 'hscan' command\r\n", "HSCAN", "h");
        c.Roundtrip(Int(0), "EXISTS", "h");
    }

    [Fact]
    public void EveryHashCommandRefusesAStringKey()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "s", "v");
        string[][] commands =
        [
            ["HSET", "s", "f", "v"], ["HSETNX", "s", "f", "v"], ["HGET", "s", "f"], ["HMGET", "s", "f"],
            ["HMSET", "s", "f", "v"], ["HDEL", "s", "f"], ["HEXISTS", "s", "f"], ["HLEN", "s"], ["HSTRLEN", "s", "f"],
            ["HKEYS", "s"], ["HVALS", "s"], ["HGETALL", "s"], ["HINCRBY", "s", "f", "1"], ["HINCRBYFLOAT", "s", "f", "1"],
            ["HRANDFIELD", "s"], ["HRANDFIELD", "s", "2"], ["HSCAN", "s", "0"],
        ];
        foreach (string[] cmd in commands) c.Roundtrip(WrongType, cmd);
        c.Roundtrip(Bulk("v"), "GET", "s");
    }

    [Fact]
    public void HSetNxHDelHExistsHStrLen()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(1), "HSETNX", "h", "f", "hello");
        c.Roundtrip(Int(0), "HSETNX", "h", "f", "other");
        c.Roundtrip(Int(5), "HSTRLEN", "h", "f");
        c.Roundtrip(Int(0), "HSTRLEN", "h", "zz");
        c.Roundtrip(Int(0), "HSTRLEN", "missing", "f");
        c.Roundtrip(Int(1), "HEXISTS", "h", "f");
        c.Roundtrip(Int(0), "HEXISTS", "h", "g");
        c.Roundtrip(Int(0), "HEXISTS", "missing", "g");
        c.Roundtrip(Int(0), "HDEL", "missing", "f");
        c.Roundtrip(Int(1), "HDEL", "h", "f", "f", "g");
        c.Roundtrip(Int(0), "EXISTS", "h");
        c.Roundtrip(Int(0), "HLEN", "h");
    }

    [Fact]
    public void HGetAllIsAFlatArrayInResp2AndAMapInResp3()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(2), "HSET", "h", "a", "1", "b", "2");
        c.Roundtrip("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "HGETALL", "h");
        c.Roundtrip("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "HKEYS", "h");
        c.Roundtrip("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "HVALS", "h");
        c.Roundtrip("*0\r\n", "HGETALL", "missing");
        Resp3(c);
        c.Roundtrip("%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "HGETALL", "h");
        c.Roundtrip("%0\r\n", "HGETALL", "missing");
        c.Roundtrip("*0\r\n", "HKEYS", "missing");
        c.Roundtrip("*2\r\n$1\r\na\r\n$1\r\nb\r\n", "HKEYS", "h");
        c.Roundtrip("_\r\n", "HGET", "h", "zz");
        c.Roundtrip("*2\r\n$1\r\n1\r\n_\r\n", "HMGET", "h", "a", "zz");
    }

    [Fact]
    public void HIncrByAddsAndReportsRedisErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(5), "HINCRBY", "h", "n", "5");
        c.Roundtrip(Int(-5), "HINCRBY", "h", "n", "-10");
        c.Roundtrip(Bulk("-5"), "HGET", "h", "n");
        c.Roundtrip(NotInteger, "HINCRBY", "h", "n", "x");
        c.Roundtrip(NotInteger, "HINCRBY", "h", "n", "1.5");
        c.Roundtrip(Int(1), "HSET", "h", "t", "text");
        c.Roundtrip("-ERR hash value is not an integer\r\n", "HINCRBY", "h", "t", "1");
        c.Roundtrip(Int(1), "HSET", "h", "big", "9223372036854775807");
        c.Roundtrip("-ERR increment or decrement would overflow\r\n", "HINCRBY", "h", "big", "1");
        c.Roundtrip(Int(1), "HSET", "h", "small", "-9223372036854775808");
        c.Roundtrip("-ERR increment or decrement would overflow\r\n", "HINCRBY", "h", "small", "-1");
        // The increment is validated before the key's type.
        c.Roundtrip(Ok, "SET", "s", "v");
        c.Roundtrip(NotInteger, "HINCRBY", "s", "f", "x");
    }

    [Fact]
    public void HIncrByFloatFormatsLikeIncrByFloat()
    {
        using var c = Server.Raw();
        c.Roundtrip(Bulk("10.5"), "HINCRBYFLOAT", "h", "f", "10.5");
        c.Roundtrip(Bulk("10.6"), "HINCRBYFLOAT", "h", "f", "0.1");
        c.Roundtrip(Bulk("0"), "HINCRBYFLOAT", "h", "f", "-10.6");
        c.Roundtrip(Bulk("0.1"), "HINCRBYFLOAT", "h", "g", "0.1");
        c.Roundtrip(Bulk("0.3"), "HINCRBYFLOAT", "h", "g", "0.2");
        c.Roundtrip(Bulk("0.3"), "HGET", "h", "g");
        c.Roundtrip(Bulk("3"), "HINCRBYFLOAT", "h", "i", "3");
        Resp3(c);
        c.Roundtrip(Bulk("3.5"), "HINCRBYFLOAT", "h", "i", "0.5");
    }

    [Fact]
    public void HIncrByFloatErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(2), "HSET", "h", "e", "5.0e3", "t", "abc");
        c.Roundtrip(Bulk("5200"), "HINCRBYFLOAT", "h", "e", "2.0e2");
        c.Roundtrip(Bulk("0.3"), "HINCRBYFLOAT", "h", "z", "0.3");
        c.Roundtrip(Bulk("0.6"), "HINCRBYFLOAT", "h", "z", "0.3");
        c.Roundtrip("-ERR hash value is not a float\r\n", "HINCRBYFLOAT", "h", "t", "1");
        c.Roundtrip("-ERR value is not a valid float\r\n", "HINCRBYFLOAT", "h", "e", "abc");
        c.Roundtrip("-ERR value is NaN or Infinity\r\n", "HINCRBYFLOAT", "h", "e", "inf");
        c.Roundtrip(Int(1), "HSET", "h", "max", "1.7e308");
        c.Roundtrip("-ERR increment would produce NaN or Infinity\r\n", "HINCRBYFLOAT", "h", "max", "1.7e308");
    }

    [Fact]
    public void HRandFieldCountsAndWithValues()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "HRANDFIELD", "missing");
        c.Roundtrip("*0\r\n", "HRANDFIELD", "missing", "3");
        c.Roundtrip(Int(1), "HSET", "h", "a", "1");
        c.Roundtrip(Bulk("a"), "HRANDFIELD", "h");
        c.Roundtrip("*0\r\n", "HRANDFIELD", "h", "0");
        c.Roundtrip("*1\r\n$1\r\na\r\n", "HRANDFIELD", "h", "5");
        c.Roundtrip("*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n", "HRANDFIELD", "h", "-3");
        c.Roundtrip("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n", "HRANDFIELD", "h", "-2", "WITHVALUES");
        c.Roundtrip("-ERR syntax error\r\n", "HRANDFIELD", "h", "2", "WITHSCORES");
        c.Roundtrip("-ERR syntax error\r\n", "HRANDFIELD", "h", "2", "WITHVALUES", "x");
        c.Roundtrip(NotInteger, "HRANDFIELD", "h", "x");
        c.Roundtrip("-ERR value is out of range\r\n", "HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES");
        c.Roundtrip("-ERR value is out of range, must be between -9223372036854775807 and 9223372036854775807\r\n",
            "HRANDFIELD", "h", "-9223372036854775808");
        Resp3(c);
        c.Roundtrip("*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", "HRANDFIELD", "h", "-2", "WITHVALUES");
        c.Roundtrip("*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n", "HRANDFIELD", "h", "1", "WITHVALUES");
        c.Roundtrip("_\r\n", "HRANDFIELD", "missing");
    }

    [Fact]
    public void HRandFieldWithPositiveCountReturnsDistinctFields()
    {
        using var c = Server.Raw();
        var args = new List<string> { "HSET", "h" };
        for (int i = 0; i < 300; i++) { args.Add("f" + i); args.Add("v" + i); }
        c.Roundtrip(Int(300), [.. args]);
        c.Command("HRANDFIELD", "h", "100", "WITHVALUES");
        string reply = c.ReadReply();
        string[] lines = reply.Split("\r\n");
        Assert.Equal("*200", lines[0]);
        var fields = new HashSet<string>();
        for (int i = 0; i < 100; i++)
        {
            string field = lines[2 + 4 * i], value = lines[4 + 4 * i];
            Assert.True(fields.Add(field));
            Assert.Equal("v" + field[1..], value);
        }
    }

    [Fact]
    public void HScanSmallHashInOneCallAndErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip("*2\r\n$1\r\n0\r\n*0\r\n", "HSCAN", "missing", "0");
        c.Roundtrip("*2\r\n$1\r\n0\r\n*0\r\n", "HSCAN", "missing", "0", "COUNT", "0");
        c.Roundtrip(Int(3), "HSET", "h", "apple", "1", "banana", "2", "avocado", "3");
        c.Roundtrip("*2\r\n$1\r\n0\r\n*4\r\n$5\r\napple\r\n$1\r\n1\r\n$7\r\navocado\r\n$1\r\n3\r\n", "HSCAN", "h", "0", "MATCH", "a*", "COUNT", "1");
        c.Roundtrip("-ERR invalid cursor\r\n", "HSCAN", "h", "abc");
        c.Roundtrip("-ERR syntax error\r\n", "HSCAN", "h", "0", "COUNT", "0");
        c.Roundtrip("-ERR syntax error\r\n", "HSCAN", "h", "0", "FOO", "1");
        c.Roundtrip("-ERR syntax error\r\n", "HSCAN", "h", "0", "MATCH");
        c.Roundtrip(NotInteger, "HSCAN", "h", "0", "COUNT", "x");
        Resp3(c);
        c.Roundtrip("*2\r\n$1\r\n0\r\n*2\r\n$6\r\nbanana\r\n$1\r\n2\r\n", "HSCAN", "h", "0", "MATCH", "b*");
    }

    [Fact]
    public void ObjectEncodingReportsListpackThenHashtable()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(1), "HSET", "h", "f", "v");
        c.Roundtrip(Bulk("listpack"), "OBJECT", "ENCODING", "h");
        c.Roundtrip("+hash\r\n", "TYPE", "h");
        c.Roundtrip(Int(0), "HSET", "h", "f", new string('x', 65));
        c.Roundtrip(Bulk("hashtable"), "OBJECT", "ENCODING", "h");
    }

    [Fact]
    public void CopyOfAHashIsIndependent()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(2), "HSET", "h", "a", "1", "b", "2");
        c.Roundtrip(Int(1), "COPY", "h", "h2");
        c.Roundtrip(Int(0), "HSET", "h", "a", "changed");
        c.Roundtrip(Int(1), "HDEL", "h", "b");
        c.Roundtrip("*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "HGETALL", "h2");
        c.Roundtrip("*2\r\n$1\r\na\r\n$7\r\nchanged\r\n", "HGETALL", "h");
    }

    [Fact]
    public async Task StackExchangeRedisHashRoundTrip()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        await db.HashSetAsync("user", [new("name", "ada"), new("age", "36")]);
        Assert.Equal("ada", (string?)await db.HashGetAsync("user", "name"));
        Assert.Equal(37, await db.HashIncrementAsync("user", "age"));
        Assert.Equal(1.5, await db.HashIncrementAsync("user", "score", 1.5));
        HashEntry[] all = await db.HashGetAllAsync("user");
        Assert.Equal(["age", "name", "score"], all.Select(e => (string)e.Name!).Order());
        Assert.True(await db.HashDeleteAsync("user", "score"));
        Assert.Equal(2, await db.HashLengthAsync("user"));
        Assert.False(await db.HashExistsAsync("user", "score"));
    }

    [Fact]
    public async Task StackExchangeRedisHashScanVisitsEveryField()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        HashEntry[] entries = Enumerable.Range(0, 1000).Select(i => new HashEntry("f" + i, i)).ToArray();
        await db.HashSetAsync("big", entries);
        var seen = new HashSet<string>();
        await foreach (HashEntry e in db.HashScanAsync("big", "f1*", pageSize: 50)) Assert.True(seen.Add(e.Name!));
        Assert.Equal(111, seen.Count);
        Assert.All(seen, f => Assert.StartsWith("f1", f));
    }
}

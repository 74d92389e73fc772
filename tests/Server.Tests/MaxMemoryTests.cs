using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class MaxMemoryTests : ServerTestBase
{
    private const string Oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
    private static readonly string Value = new('v', 1000);

    /// <summary>SETs key:0, key:1... until the server answers -OOM; returns how many were stored.</summary>
    private static int FillUntilOom(RawClient c, int start = 0)
    {
        for (int i = start; i < start + 10_000; i++)
        {
            c.Command("SET", "key:" + i, Value);
            string reply = c.ReadReply();
            if (reply == Oom) return i - start;
            Assert.Equal("+OK\r\n", reply);
        }
        Assert.Fail("the server never refused a write");
        return 0;
    }

    private static long Field(RawClient c, string section, string name)
        => long.Parse(Replies.Fields(Replies.Info(c, section))[name]);

    [Fact]
    public void NoEvictionRefusesWritesOnceFullWhileReadsAndDeletesWorkThenLfuEvicts()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory", "1mb");
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", "noeviction");

        int stored = FillUntilOom(c);

        Assert.InRange(stored, 500, 1100); // about 1 KB a key into 1 MB
        Assert.True(Field(c, "memory", "used_memory_dataset") > 1024 * 1024);
        c.Roundtrip(Oom, "SETNX", "another", "v");
        c.Roundtrip(Oom, "APPEND", "key:0", "more");
        c.Roundtrip(Oom, "INCR", "counter");
        c.Roundtrip("$1000\r\n" + Value + "\r\n", "GET", "key:0");
        c.Roundtrip(":1\r\n", "EXISTS", "key:0");
        c.Roundtrip(":1\r\n", "DEL", "key:0");
        c.Roundtrip(":0\r\n", "EXISTS", "key:0");
        Assert.Equal(0, Field(c, "stats", "evicted_keys"));
        string commandStats = Replies.Info(c, "commandstats");
        Assert.Matches(@"cmdstat_set:calls=\d+,usec=\d+,usec_per_call=[\d.]+,rejected_calls=1,failed_calls=0", commandStats);

        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
        for (int i = 0; i < 300; i++) c.Roundtrip("+OK\r\n", "SET", "new:" + i, Value);

        Assert.True(Field(c, "stats", "evicted_keys") > 0);
        Assert.True(Field(c, "memory", "used_memory_dataset") <= 1024 * 1024 + 2000);
        c.Roundtrip("$1000\r\n" + Value + "\r\n", "GET", "new:299");
    }

    [Fact]
    public void RaisingMaxMemoryAtRuntimeAcceptsWritesAtOnce()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory", "1mb");
        int stored = FillUntilOom(c);

        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory", "2mb");
        c.Roundtrip("+OK\r\n", "SET", "key:" + stored, Value);
        int more = FillUntilOom(c, stored + 1);
        Assert.InRange(more, stored / 2, stored * 2);

        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory", "0");
        c.Roundtrip("+OK\r\n", "SET", "unlimited", Value);
    }

    [Fact]
    public void LoweringMaxMemoryUnderAnEvictingPolicyEvictsOnTheNextWrite()
    {
        using var c = Server.Raw();
        for (int i = 0; i < 1000; i++) c.Command("SET", "key:" + i, Value);
        for (int i = 0; i < 1000; i++) c.Expect("+OK\r\n");
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory", "512kb");
        c.Roundtrip(":1000\r\n", "DBSIZE");

        c.Roundtrip("+OK\r\n", "SET", "trigger", "x");

        c.Command("DBSIZE");
        long dbsize = long.Parse(c.ReadReply()[1..^2]);
        Assert.InRange(dbsize, 300, 600);
        Assert.Equal(1001 - dbsize, Field(c, "stats", "evicted_keys"));
        Assert.True(Field(c, "memory", "used_memory_dataset") <= 512 * 1024 + 200);
    }

    [Fact]
    public void CommandsWithoutDenyOomRunWhenOverTheLimit()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", Value);
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory", "1");
        c.Roundtrip(Oom, "SET", "b", "v");
        c.Roundtrip(":1\r\n", "EXPIRE", "a", "100");
        c.Roundtrip(":1\r\n", "PERSIST", "a");
        c.Roundtrip("+OK\r\n", "RENAME", "a", "b");
        c.Roundtrip("$1000\r\n" + Value + "\r\n", "GETDEL", "b");
        c.Roundtrip("+OK\r\n", "SET", "c", "v"); // the dataset is empty again, so within even 1 byte
    }

    [Fact]
    public void InfoMemoryReportsBudgetPolicyAndUncountedMemory()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory", "1mb", "maxmemory-policy", "volatile-ttl");
        Dictionary<string, string> f = Replies.Fields(Replies.Info(c, "memory"));
        Assert.Equal("1048576", f["maxmemory"]);
        Assert.Equal("1.00M", f["maxmemory_human"]);
        Assert.Equal("volatile-ttl", f["maxmemory_policy"]);
        Assert.Equal("0", f["mem_not_counted_for_evict"]);
    }

    [Fact]
    public async Task StackExchangeRedisSeesTheOomErrorAndReadsStillWork()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        await db.StringSetAsync("kept", "v");
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", "1");

        var ex = await Assert.ThrowsAsync<RedisServerException>(() => db.StringSetAsync("refused", "v"));
        Assert.Equal("OOM command not allowed when used memory > 'maxmemory'.", ex.Message);
        Assert.Equal("v", (string?)await db.StringGetAsync("kept"));
    }
}

// Scripting against redis-server's own replies (ScriptCorpus.cs was recorded from redis-server 7.0.15): the script
// corpus of real applications (a lock release, a token bucket, a sliding window, a job queue on lists and sorted sets
// with cjson payloads, scripts that fail half-way) and one command per scripting rule, byte for byte in RESP2 and
// RESP3, with the keys in DRAM and with every key on the SSD; then what a script's writes are to the rest of the
// server: logged as effects (a restart gives back what the script wrote, random values included), atomic inside
// MULTI, visible to WATCH, its declared cold keys read before it runs and undeclared ones read synchronously.

using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class ScriptingTests
{
    public static TheoryData<int> Protocols => new() { 2, 3 };

    private static string Expected((string[] Command, string Resp2, string Resp3) step, int protocol)
        => protocol == 2 ? step.Resp2 : step.Resp3;

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task TheScriptCorpusRepliesAsRedisDoesWithItsKeysInDram(int protocol) => RunInDram(ScriptCorpus.Steps, protocol);

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task EveryScriptingRuleRepliesAsRedisDoes(int protocol) => RunInDram(ScriptCorpus.Rules, protocol);

    private static async Task RunInDram((string[] Command, string Resp2, string Resp3)[] steps, int protocol)
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        if (protocol == 3) Replies.Resp3(c);
        foreach (var step in steps)
        {
            string reply = ColdWait.Run(c, step.Command);
            Assert.True(Expected(step, protocol) == reply, $"{string.Join(' ', step.Command)}\nexpected {Expected(step, protocol)}\nactual   {reply}");
        }
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task TheScriptCorpusRepliesAsRedisDoesWithEveryKeyOnTheSsd(int protocol)
    {
        await using var s = new ColdServer(1);
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        if (protocol == 3) Replies.Resp3(c);
        int scriptsThatReadTheSsd = 0;
        foreach (var step in ScriptCorpus.Steps)
        {
            string what = string.Join(' ', step.Command);
            Dictionary<string, string> before = ColdWait.WaitAllCold(info, what[..Math.Min(what.Length, 60)]);
            Assert.Equal(Expected(step, protocol), ColdWait.Run(c, step.Command));
            Dictionary<string, string> after = ColdWait.Tiering(info);
            if (step.Command[0].StartsWith("EVAL", StringComparison.Ordinal)
                && ColdWait.Field(after, "tier_ssd_read_items") > ColdWait.Field(before, "tier_ssd_read_items"))
                scriptsThatReadTheSsd++;
            // Every key the corpus's scripts touch is declared in KEYS: read before the script ran, never under the lock.
            Assert.Equal(ColdWait.Field(before, "tier_sync_reads"), ColdWait.Field(after, "tier_sync_reads"));
        }
        Assert.True(scriptsThatReadTheSsd >= 15, $"only {scriptsThatReadTheSsd} scripts read a cold key");
    }

    [Fact]
    public async Task AKeyAScriptDidNotDeclareIsReadFromTheSsdSynchronouslyAndCounted()
    {
        await using var s = new ColdServer(1);
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        c.Roundtrip(Replies.Ok, "SET", "undeclared", "from the ssd");
        Dictionary<string, string> before = ColdWait.WaitAllCold(info, "EVAL");
        c.Roundtrip("$12\r\nfrom the ssd\r\n", "EVAL", "return redis.call('get', 'undeclared')", "0");
        Dictionary<string, string> after = ColdWait.Tiering(info);
        Assert.Equal(ColdWait.Field(before, "tier_sync_reads") + 1, ColdWait.Field(after, "tier_sync_reads"));
    }

    [Fact]
    public async Task AScriptsWritesComeBackAfterARestartAsTheyWereWrittenNotRunAgain()
    {
        string dir = Directory.CreateTempSubdirectory("tiered-script-").FullName;
        try
        {
            TestServer Start() => new((_, e) =>
            {
                e.SsdPath = dir;
                e.Durability.Dir = dir;
                e.Durability.AppendFsync = "always";
            });
            const string Random = "redis.call('set', KEYS[1], tostring(math.random())) redis.call('rpush', KEYS[2], KEYS[1], ARGV[1]) "
                + "redis.call('hincrby', KEYS[3], 'runs', 1) return redis.call('get', KEYS[1])";
            string written;
            await using (TestServer s = Start())
            {
                await s.Server.Ready;
                using RawClient c = s.Raw();
                c.Command("EVAL", Random, "3", "r", "l", "h", "x");
                written = c.ReadReply();
                c.Command("EVAL", Random, "3", "r", "l", "h", "y");
                written = c.ReadReply();
                Assert.StartsWith("$", written);
            }
            await using (TestServer s = Start())
            {
                await s.Server.Ready;
                using RawClient c = s.Raw();
                c.Roundtrip(written, "GET", "r");
                c.Roundtrip("*4\r\n$1\r\nr\r\n$1\r\nx\r\n$1\r\nr\r\n$1\r\ny\r\n", "LRANGE", "l", "0", "-1");
                c.Roundtrip("$1\r\n2\r\n", "HGET", "h", "runs");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task AScriptInsideMultiRunsWithTheTransactionAndItsWritesDirtyWatchers()
    {
        await using var s = new TestServer();
        using RawClient a = s.Raw();
        using RawClient b = s.Raw();
        a.Roundtrip(Replies.Ok, "MULTI");
        a.Roundtrip("+QUEUED\r\n", "EVAL", "return redis.call('incr', KEYS[1])", "1", "counter");
        a.Roundtrip("+QUEUED\r\n", "INCR", "counter");
        a.Roundtrip("*2\r\n:1\r\n:2\r\n", "EXEC");

        a.Roundtrip(Replies.Ok, "WATCH", "counter");
        b.Roundtrip(":3\r\n", "EVAL", "return redis.call('incr', KEYS[1])", "1", "counter");
        a.Roundtrip(Replies.Ok, "MULTI");
        a.Roundtrip("+QUEUED\r\n", "GET", "counter");
        a.Roundtrip("*-1\r\n", "EXEC");
    }

    [Fact]
    public async Task ABlockedClientIsWokenByAScriptsPush()
    {
        await using var s = new TestServer();
        using RawClient blocked = s.Raw();
        using RawClient c = s.Raw();
        blocked.Command("BLPOP", "jobs", "5");
        await s.WaitBlocked(1);
        c.Roundtrip(":1\r\n", "EVAL", "return redis.call('rpush', KEYS[1], ARGV[1])", "1", "jobs", "j1");
        blocked.Expect("*2\r\n$4\r\njobs\r\n$2\r\nj1\r\n");
    }

    [Fact]
    public async Task ScriptCacheAndCountersShowInInfo()
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        Assert.Contains("number_of_cached_scripts:0\r\n", Replies.Info(c, "memory"));
        c.Roundtrip("$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n", "SCRIPT", "LOAD", "return 1");
        c.Roundtrip(":2\r\n", "EVAL", "return 2", "0");
        string memory = Replies.Info(c, "memory");
        Assert.Contains("number_of_cached_scripts:2\r\n", memory);
        Assert.Contains("used_memory_scripts_eval:16\r\n", memory);   // "return 1" and "return 2"
        Assert.True(long.Parse(Replies.Fields(memory)["used_memory_lua"], System.Globalization.CultureInfo.InvariantCulture) > 10_000);
        Assert.Contains("cmdstat_eval:calls=1,", Replies.Info(c, "commandstats"));
    }

    [Fact]
    public async Task StackExchangeRedisRunsALockScriptThroughItsScriptCache()
    {
        await using var s = new TestServer();
        using ConnectionMultiplexer m = await s.ConnectAsync();
        IDatabase db = m.GetDatabase();
        LuaScript release = LuaScript.Prepare("if redis.call('get', @key) == @token then return redis.call('del', @key) else return 0 end");
        await db.StringSetAsync("lock:order:7", "owner-a");
        Assert.Equal(0, (int)await db.ScriptEvaluateAsync(release, new { key = (RedisKey)"lock:order:7", token = "owner-b" }));
        Assert.True(await db.KeyExistsAsync("lock:order:7"));
        Assert.Equal(1, (int)await db.ScriptEvaluateAsync(release, new { key = (RedisKey)"lock:order:7", token = "owner-a" }));
        Assert.False(await db.KeyExistsAsync("lock:order:7"));
        RedisResult list = await db.ScriptEvaluateAsync("return {KEYS[1], ARGV[1], 3, {ok='fine'}}", ["k"], ["v"]);
        Assert.Equal(["k", "v", "3", "fine"], ((RedisResult[])list!).Select(r => r.ToString()).ToArray());
    }

    /// <summary>Two raw clients on different network threads (connections are dealt to the two loops in turn).</summary>
    private static TestServer BusyServer() => new((o, _) =>
    {
        o.BusyReplyThreshold = 100;
        o.IoThreads = 2;
    });

    private static void WaitUntilBusy(RawClient c)
    {
        for (int i = 0; i < 500; i++)
        {
            c.Command("PING");
            string reply = c.ReadReply();
            if (reply == "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n") return;
            Assert.Equal("+PONG\r\n", reply);   // before the script started
            Thread.Sleep(10);
        }
        Assert.Fail("no -BUSY while the script ran");
    }

    [Fact]
    public async Task AReadOnlyScriptPastTheTimeLimitGetsOthersBusyAndScriptKillStopsIt()
    {
        await using TestServer s = BusyServer();
        using RawClient running = s.Raw();
        using RawClient other = s.Raw();
        const string Loop = "local i = 0 while true do i = i + 1 end";
        running.Command("EVAL", Loop, "0");
        WaitUntilBusy(other);
        other.Roundtrip("-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", "GET", "k");
        other.Roundtrip(Replies.Ok, "SCRIPT", "KILL");
        running.Expect($"-ERR Script killed by user with SCRIPT KILL... script: {Scripting.ScriptEngine.Sha1Hex(System.Text.Encoding.UTF8.GetBytes(Loop))}, on @user_script:1.\r\n");
        other.Roundtrip("+PONG\r\n", "PING");
        other.Roundtrip("-NOTBUSY No scripts in execution right now.\r\n", "SCRIPT", "KILL");
        running.Roundtrip(":1\r\n", "EVAL", "return 1", "0");
    }

    [Fact]
    public async Task AScriptThatWroteCannotBeKilledAndRunsToItsEnd()
    {
        await using TestServer s = BusyServer();
        using RawClient running = s.Raw();
        using RawClient other = s.Raw();
        running.Command("EVAL", "redis.call('set', KEYS[1], 'written') local t = redis.call('time')[1] "
            + "while redis.call('time')[1] - t < 2 do end return redis.call('get', KEYS[1])", "1", "w");
        WaitUntilBusy(other);
        other.Roundtrip("-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n", "SCRIPT", "KILL");
        running.Expect("$7\r\nwritten\r\n");
        other.Roundtrip("$7\r\nwritten\r\n", "GET", "w");
    }
}

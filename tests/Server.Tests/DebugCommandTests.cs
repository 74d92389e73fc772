// DEBUG against redis-server 7.0.15: the digests below were recorded from it for the same dataset (every type and
// encoding, with and without TTLs, two databases), and are checked here with the keys hot and cold; the refusal,
// errors and RELOAD as redis-server answers them.

using System.Diagnostics;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public class DebugCommandTests
{
    private const string NotAllowed = "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n";

    private static readonly string[][] Dataset =
    [
        ["SET", "str:int", "12345"],
        ["SET", "str:emb", "hello"],
        ["SET", "str:raw", new string('x', 30) + "0123456789abcdefghij"],
        ["RPUSH", "list", "a", "b", "c", "1", "2", "-300"],
        ["SADD", "set:int", "1", "2", "3", "100", "-5"],
        ["SADD", "set:ht", "a", "b", "c", "1"],
        ["HSET", "hash", "f1", "v1", "f2", "v2", "num", "10"],
        ["ZADD", "zset", "1", "a", "2.5", "b", "-0.1", "c", "1e20", "d", "0.3", "e"],
        ["ZADD", "zset:sk", "0.1", new string('m', 70), "3", "x", "-inf", "y"],
        ["XADD", "stream", "1-1", "f", "v"],
        ["XADD", "stream", "2-0", "a", "1", "b", "2"],
        ["XGROUP", "CREATE", "stream", "g", "0"],
        ["SET", "exp:str", "v", "EX", "1000"],
        ["PEXPIRE", "list", "100000"],
        ["EXPIRE", "set:int", "5000"],
        ["EXPIRE", "zset:sk", "5000"],
        ["SELECT", "1"],
        ["SET", "db1", "x"],
        ["HSET", "db1:hash", "a", "b"],
        ["SELECT", "0"],
    ];

    private static readonly string[] Keys = ["str:int", "str:emb", "str:raw", "list", "set:int", "set:ht", "hash", "zset", "zset:sk", "stream", "exp:str", "nokey"];

    // redis-server 7.0.15, DEBUG DIGEST and DEBUG DIGEST-VALUE of Keys after Dataset.
    private const string RedisDigest = "+02e775a64c2cf11c206707ca531c393e5e9de4c9\r\n";
    private const string RedisValues = "*12\r\n+e1cf90774e995ae03de66e8109dc5cb9d9c2dc83\r\n+36b23a1456b2dce2c3ed252c456761301dba8060\r\n" +
        "+e1cc3d4485abd9a63f563887b6186fd671678c2f\r\n+4d3a1409918c4e1a299e1d3e294c03ab59100de7\r\n+89c70a699e79f8e604b0843d7dd6354543f1bc0d\r\n" +
        "+6c563d3f017ec5083ac0b9f29fc635f90a47f2d9\r\n+bdc62ee4c9e4af7dd9b5e4ba5bdfcf9c408e4c5a\r\n+d879117597aa613d3d26bea1dd628bb29afc6b0a\r\n" +
        "+653498935276e5da83e6e3a3d91caab3c5abfe1e\r\n+d21821590082695f7625884f502b6400de6c9196\r\n+311b17018163335616e089f6b951c82c477335ac\r\n" +
        "+0000000000000000000000000000000000000000\r\n";

    private static void Load(RawClient c)
    {
        foreach (string[] command in Dataset) Assert.DoesNotMatch("^-", ColdWait.Run(c, command));
    }

    private static string Run(RawClient c, params string[] command) => ColdWait.Run(c, command);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task DebugIsRefusedWithTheDefaultConfigAsRedisRefusesIt(int protocol)
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        if (protocol == 3) Replies.Resp3(c);
        c.Roundtrip("-ERR wrong number of arguments for 'debug' command\r\n", "DEBUG");   // arity comes first
        c.Roundtrip(NotAllowed, "DEBUG", "HELP");
        c.Roundtrip(NotAllowed, "DEBUG", "foo");
        c.Roundtrip(Replies.Ok, "MULTI");
        c.Roundtrip(NotAllowed, "DEBUG", "DIGEST");
        c.Roundtrip("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
        c.Roundtrip("-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable config\r\n",
            "CONFIG", "SET", "enable-debug-command", "yes");
    }

    [Fact]
    public async Task LocalAllowsLoopbackClients()
    {
        await using var s = new TestServer((o, _) => o.EnableDebugCommand = "local");
        using RawClient c = s.Raw();
        c.Roundtrip("+0000000000000000000000000000000000000000\r\n", "DEBUG", "DIGEST");
    }

    [Fact]
    public void TheSettingIsReadFromTheCommandLine()
    {
        var options = new Tiered.Server.Admin.ServerOptions();
        var registry = new Tiered.Server.Admin.ConfigRegistry(options, new Tiered.Tiering.Engine.EngineOptions());
        Assert.Empty(Tiered.Server.Admin.ConfigLoader.Load(["--enable-debug-command", "local"], new Dictionary<string, string>(), registry));
        Assert.Equal("local", options.EnableDebugCommand);
        Assert.NotEmpty(Tiered.Server.Admin.ConfigLoader.Load(["--enable-debug-command", "maybe"], new Dictionary<string, string>(), registry));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task DigestsOfEveryTypeAreRedisServersAndSurviveReload(int protocol)
    {
        await using var s = new TestServer((o, _) => o.EnableDebugCommand = "yes");
        using RawClient c = s.Raw();
        if (protocol == 3) Replies.Resp3(c);
        c.Roundtrip("+0000000000000000000000000000000000000000\r\n", "DEBUG", "DIGEST");
        Load(c);
        c.Roundtrip(RedisDigest, "DEBUG", "DIGEST");
        c.Roundtrip(RedisValues, ["DEBUG", "DIGEST-VALUE", .. Keys]);
        c.Roundtrip(Replies.Ok, "DEBUG", "RELOAD");
        c.Roundtrip(RedisDigest, "DEBUG", "DIGEST");
        c.Roundtrip(Replies.Ok, "DEBUG", "RELOAD", "MERGE");
        c.Roundtrip(RedisValues, ["DEBUG", "DIGEST-VALUE", .. Keys]);
    }

    [Fact]
    public async Task DigestsOfColdKeysAreRedisServersWithoutPromotingThemAndSurviveReload()
    {
        await using var s = new ColdServer(0);
        s.Server.Server.Options.EnableDebugCommand = "yes";
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        Load(c);
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "maxmemory", "1");
        ColdWait.WaitAllCold(info, "DEBUG DIGEST");
        c.Roundtrip(RedisDigest, "DEBUG", "DIGEST");
        c.Roundtrip(RedisValues, ["DEBUG", "DIGEST-VALUE", .. Keys]);
        Assert.Matches(@"^\+Value at:0x[0-9a-f]+ refcount:1 encoding:int serializedlength:3 lru:\d+ lru_seconds_idle:\d+ tier:cold\r\n$", Run(c, "DEBUG", "OBJECT", "str:int"));
        Assert.Equal(0, ColdWait.Field(ColdWait.Tiering(info), "tier_hot_keys"));   // looked at, not promoted
        c.Roundtrip(Replies.Ok, "DEBUG", "RELOAD");
        c.Roundtrip(RedisDigest, "DEBUG", "DIGEST");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SubcommandsAnswerRedisServersBytes(int protocol)
    {
        await using var s = new TestServer((o, _) => o.EnableDebugCommand = "yes");
        using RawClient c = s.Raw();
        if (protocol == 3) Replies.Resp3(c);
        Load(c);
        // redis-server 7.0.15's lines but for the address (and lru, a clock): Tiered's encodings are its OBJECT ENCODING.
        Assert.Matches(@"^\+Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:6 lru:\d+ lru_seconds_idle:0\r\n$", Run(c, "DEBUG", "OBJECT", "str:emb"));
        Assert.Matches(@"^\+Value at:0x[0-9a-f]+ refcount:1 encoding:raw serializedlength:30 lru:\d+ lru_seconds_idle:0\r\n$", Run(c, "DEBUG", "OBJECT", "str:raw"));
        Assert.Matches(@"^\+Value at:0x[0-9a-f]+ refcount:1 encoding:skiplist serializedlength:42 lru:\d+ lru_seconds_idle:0\r\n$", Run(c, "DEBUG", "OBJECT", "zset:sk"));
        Assert.Matches(@"^\+Value at:0x[0-9a-f]+ refcount:1 encoding:stream serializedlength:93 lru:\d+ lru_seconds_idle:0\r\n$", Run(c, "DEBUG", "OBJECT", "stream"));
        Run(c, ["RPUSH", "big", .. Enumerable.Range(0, 200).Select(i => string.Concat(Enumerable.Repeat($"e{i:D3}", 25)))]);
        Assert.Matches(@"^\+Value at:0x[0-9a-f]+ refcount:1 encoding:quicklist serializedlength:1565 lru:\d+ lru_seconds_idle:0 ql_nodes:3 ql_avg_node:66.67 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:20621\r\n$", Run(c, "DEBUG", "OBJECT", "big"));
        c.Roundtrip("-ERR no such key\r\n", "DEBUG", "OBJECT", "nokey");
        foreach (string sub in (string[])["foo", "jmap", "object", "sleep", "set-active-expire"])
            c.Roundtrip($"-ERR unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP.\r\n", "DEBUG", sub);
        c.Roundtrip("-ERR unknown subcommand or wrong number of arguments for 'digest'. Try DEBUG HELP.\r\n", "DEBUG", "digest", "x");
        c.Roundtrip("-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n", "DEBUG", "RELOAD", "foo");
        c.Roundtrip("*0\r\n", "DEBUG", "DIGEST-VALUE");
        c.Roundtrip(Replies.Ok, "DEBUG", "SLEEP", "0.01x");
        c.Roundtrip(Replies.Ok, "DEBUG", "SLEEP", "abc");
        using RawClient info = s.Raw();
        string before = Replies.Fields(Replies.Info(info, "replication"))["master_replid"];
        c.Roundtrip(Replies.Ok, "DEBUG", "CHANGE-REPL-ID");
        Assert.NotEqual(before, Replies.Fields(Replies.Info(info, "replication"))["master_replid"]);
        string help = Run(c, "DEBUG", "HELP");
        Assert.StartsWith("*21\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CHANGE-REPL-ID\r\n", help);
        Assert.EndsWith("+HELP\r\n+    Prints this help.\r\n", help);
        // redis-server 7.0.15's bytes; in RESP3 it sends key specs and subcommands as sets too (~0), which Tiered's
        // COMMAND INFO (shared by every command) writes as arrays: only the part up to the tips is compared there.
        string set = protocol == 3 ? "~" : "*";
        string commandInfo = Run(c, "COMMAND", "INFO", "debug");
        string redis = $"*1\r\n*10\r\n$5\r\ndebug\r\n:-2\r\n{set}4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n{set}3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n{set}0\r\n";
        if (protocol == 2) Assert.Equal(redis + "*0\r\n*0\r\n", commandInfo);
        else Assert.StartsWith(redis, commandInfo);
    }

    [Fact]
    public async Task SetActiveExpireZeroStopsTheActiveCycle()
    {
        await using var s = new TestServer((o, _) => o.EnableDebugCommand = "yes");
        using RawClient c = s.Raw();
        c.Roundtrip(Replies.Ok, "DEBUG", "SET-ACTIVE-EXPIRE", "0");
        c.Roundtrip(Replies.Ok, "SET", "k", "v", "PX", "1");
        var store = s.Server.Store;
        lock (store.Lock)
        {
            store.Clock.OffsetMs += 10_000;
            Assert.Equal(0, store.ActiveExpireCycle(1000));
            Assert.Equal(1, store.Databases[0].Count);
        }
        c.Roundtrip(Replies.Ok, "DEBUG", "SET-ACTIVE-EXPIRE", "1");
        lock (store.Lock) Assert.Equal(1, store.ActiveExpireCycle(1000));
    }

    [Fact]
    public async Task SleepMakesAnotherClientWaitForItsReply()
    {
        await using var s = new TestServer((o, _) => o.EnableDebugCommand = "yes");
        using RawClient a = s.Raw();
        using RawClient b = s.Raw();
        b.Roundtrip("+PONG\r\n", "PING");
        long processed = s.Server.Stats.CommandsProcessed;
        a.Command("DEBUG", "SLEEP", "0.5");
        var wait = Stopwatch.StartNew();
        while (Volatile.Read(ref s.Server.Stats.CommandsProcessed) == processed && wait.ElapsedMilliseconds < 10_000) Thread.Sleep(1);
        b.Command("PING");   // sent while the server sleeps
        b.Expect("+PONG\r\n");
        // Had PING been answered during the sleep, DEBUG SLEEP's reply would still be about 0.5 s away. (Comparing
        // which of two reader threads saw its reply first raced the threads, not the server.)
        Assert.True(a.HasDataWithin(100), "the other client was answered before DEBUG SLEEP ended");
        a.Expect("+OK\r\n");
    }
}

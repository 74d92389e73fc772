using StackExchange.Redis;
using Tiered.Server.Admin;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Engine;

namespace Tiered.Server.Tests;

public sealed class ConfigCommandTests : ServerTestBase
{
    [Fact]
    public void GetOneSettingIsANameValuePair()
    {
        using var c = Server.Raw();
        c.Roundtrip("*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n", "CONFIG", "GET", "maxmemory");
        c.Roundtrip("*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n", "config", "get", "MAXMEMORY");
        c.Roundtrip("*0\r\n", "CONFIG", "GET", "nosuchsetting");
    }

    [Fact]
    public void GetIsAMapInResp3()
    {
        using var c = Server.Raw();
        c.Command("HELLO", "3");
        c.ReadReply();
        c.Roundtrip("%1\r\n$2\r\nhz\r\n$2\r\n10\r\n", "CONFIG", "GET", "hz");
    }

    [Fact]
    public void GetWithSeveralPatternsReturnsEachSettingOnce()
    {
        using var c = Server.Raw();
        c.Roundtrip("*6\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n$17\r\nmaxmemory-samples\r\n$1\r\n5\r\n",
            "CONFIG", "GET", "maxmemory*", "maxmemory", "MAXMEMORY-POLICY");
    }

    [Fact]
    public void GetStarListsEverySetting()
    {
        using var c = Server.Raw();
        c.Command("CONFIG", "GET", "*");
        string reply = c.ReadReply();
        Assert.StartsWith($"*{Server.Server.Config.All.Count() * 2}\r\n", reply);
        Assert.Contains("$4\r\nport\r\n$1\r\n0\r\n", reply);
    }

    [Fact]
    public void SaveAndAppendonlyAnswerWithTheLogsSettings()
    {
        using var c = Server.Raw();
        // redis-benchmark reads these two at start and warns if either is missing. The test server logs nothing
        // (no dir), but appendonly keeps its default, yes, as Tiered's default is.
        c.Roundtrip("*2\r\n$4\r\nsave\r\n$0\r\n\r\n", "CONFIG", "GET", "save");
        c.Roundtrip("*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n", "CONFIG", "GET", "appendonly");
        c.Roundtrip("*2\r\n$11\r\nappendfsync\r\n$8\r\neverysec\r\n", "CONFIG", "GET", "appendfsync");
        c.Roundtrip("-ERR CONFIG SET failed (possibly related to argument 'appendonly') - can't set immutable config\r\n", "CONFIG", "SET", "appendonly", "no");
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "appendfsync", "always");
    }

    [Fact]
    public void PersistenceSettingsAcceptTheLogAndRefuseRdbSnapshots()
    {
        var engine = new EngineOptions();
        var registry = new ConfigRegistry(new ServerOptions(), engine);
        Assert.Null(registry.Apply("save", ""));
        Assert.NotNull(registry.Apply("save", "900 1"));
        Assert.Null(registry.Apply("appendonly", "no"));
        Assert.False(engine.Durability.AppendOnly);
        Assert.Null(registry.Apply("appendonly", "yes"));
        Assert.Null(registry.Apply("appendfsync", "always"));
        Assert.Equal(Tiered.Tiering.Durability.FsyncPolicy.Always, engine.Durability.Policy);
        Assert.NotNull(registry.Apply("appendfsync", "sometimes"));
        Assert.Null(registry.Apply("dir", "/tmp/x"));
        Assert.Equal("/tmp/x", engine.Durability.Dir);
    }

    [Fact]
    public void SetAppliesEveryPairAndGetShowsTheNewValues()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "maxmemory", "10mb", "HZ", "20");
        Assert.Equal(10L << 20, Server.Server.Engine.Memory.MaxMemory);
        c.Roundtrip("*2\r\n$2\r\nhz\r\n$2\r\n20\r\n", "CONFIG", "GET", "hz");
    }

    [Fact]
    public void SetUnknownSettingNamesIt()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n", "CONFIG", "SET", "hz", "5", "foo", "1");
        Assert.Equal(10, Server.Server.Engine.Hz);
    }

    [Fact]
    public void SetImmutableSettingIsRefused()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config\r\n", "CONFIG", "SET", "port", "7000");
    }

    [Fact]
    public void IoThreadsIsReadAtStartAndBoundedToOneThrough128()
    {
        using var c = Server.Raw();
        c.Roundtrip("*2\r\n$10\r\nio-threads\r\n$1\r\n1\r\n", "CONFIG", "GET", "io-threads");
        c.Roundtrip("-ERR CONFIG SET failed (possibly related to argument 'io-threads') - can't set immutable config\r\n", "CONFIG", "SET", "io-threads", "4");

        var options = new ServerOptions();
        var errors = new List<string>();
        ConfigLoader.LoadText("io-threads 4\n", new ConfigRegistry(options, new EngineOptions()), errors);
        Assert.Empty(errors);
        Assert.Equal(4, options.IoThreads);
        ConfigLoader.LoadText("io-threads 0\n", new ConfigRegistry(options, new EngineOptions()), errors);
        Assert.Single(errors);
        Assert.Equal(4, options.IoThreads);
    }

    [Fact]
    public void SetWithABadValueChangesNothing()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n",
            "CONFIG", "SET", "maxmemory", "1mb", "hz", "abc");
        Assert.Equal(0, Server.Server.Engine.Memory.MaxMemory);
        c.Roundtrip("-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: noeviction, allkeys-lfu, allkeys-lru, allkeys-random, volatile-lfu, volatile-lru, volatile-random, volatile-ttl\r\n",
            "CONFIG", "SET", "maxmemory-policy", "sometimes");
    }

    [Fact]
    public void SetRefusesRepeatsOddArgumentsAndMissingValues()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter\r\n", "CONFIG", "SET", "hz", "5", "hz", "6");
        c.Roundtrip("-ERR syntax error\r\n", "CONFIG", "SET", "hz", "5", "maxmemory");
        c.Roundtrip("-ERR wrong number of arguments for 'config|set' command\r\n", "CONFIG", "SET", "hz");
        Assert.Equal(10, Server.Server.Engine.Hz);
    }

    [Fact]
    public void UnknownSubcommandAndBareConfigGetRedisErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n", "CONFIG", "foo");
        c.Roundtrip("-ERR wrong number of arguments for 'config' command\r\n", "CONFIG");
        c.Roundtrip("-ERR wrong number of arguments for 'config|get' command\r\n", "CONFIG", "GET");
    }

    [Fact]
    public void HelpIsAnArrayOfStatusLines()
    {
        using var c = Server.Raw();
        c.Command("CONFIG", "HELP");
        string reply = c.ReadReply();
        Assert.StartsWith("*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n", reply);
        Assert.EndsWith("+HELP\r\n+    Print this help.\r\n", reply);
    }

    [Fact]
    public void RewriteWithoutAConfigFileFails()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR The server is running without a config file\r\n", "CONFIG", "REWRITE");
    }

    [Fact]
    public async Task RewriteKeepsCommentsUpdatesValuesAndAppendsChanges()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tiered-rewrite-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, "# my settings\nhz 10\nbind 127.0.0.1\nunknown-directive x\n");
        try
        {
            await using var server = new TestServer((o, _) => o.ConfigFile = path);
            using var c = server.Raw();
            c.Roundtrip("+OK\r\n", "CONFIG", "SET", "hz", "25", "maxmemory", "1mb", "requirepass", "a b");
            c.Roundtrip("+OK\r\n", "CONFIG", "REWRITE");
            string[] lines = File.ReadAllLines(path);
            Assert.Equal("# my settings", lines[0]);
            Assert.Equal("hz 25", lines[1]);
            Assert.Equal("bind 127.0.0.1", lines[2]);
            Assert.Equal("unknown-directive x", lines[3]);
            Assert.Contains("maxmemory 1048576", lines);
            Assert.Contains("requirepass \"a b\"", lines);

            var reloaded = new ServerOptions();
            var engine = new EngineOptions();
            var errors = new List<string>();
            ConfigLoader.LoadText(File.ReadAllText(path).Replace("unknown-directive x", ""), new ConfigRegistry(reloaded, engine), errors);
            Assert.Empty(errors);
            Assert.Equal(25, engine.Hz);
            Assert.Equal(1L << 20, engine.Memory.MaxMemory);
            Assert.Equal("a b", reloaded.RequirePass);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ResetStatZeroesCountersButKeepsTheSlowLog()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "slowlog-log-slower-than", "0");
        c.Roundtrip("$-1\r\n", "GET", "missing");
        c.Roundtrip("+OK\r\n", "CONFIG", "RESETSTAT");
        Dictionary<string, string> f = Replies.Fields(Replies.Info(c, "stats", "commandstats"));
        Assert.Equal("1", f["total_commands_processed"]);   // the INFO itself
        Assert.Equal("0", f["keyspace_misses"]);
        Assert.Equal("0", f["total_connections_received"]);
        Assert.False(f.ContainsKey("cmdstat_get"));
        c.Command("SLOWLOG", "LEN");
        Assert.NotEqual(":0\r\n", c.ReadReply());
    }

    [Fact]
    public async Task StackExchangeRedisGetsAndSetsConfig()
    {
        await using var mux = await Server.ConnectAsync();
        IServer server = mux.GetServer(Server.EndPoint);
        var pairs = await server.ConfigGetAsync("maxmemory*");
        Assert.Contains(pairs, kv => kv.Key == "maxmemory-policy" && kv.Value == "noeviction");
        await server.ConfigSetAsync("maxmemory-policy", "allkeys-lfu");
        Assert.Equal("allkeys-lfu", Server.Server.Engine.Memory.MaxMemoryPolicy);
        var ex = await Assert.ThrowsAsync<RedisServerException>(() => server.ConfigSetAsync("port", "1"));
        Assert.Contains("can't set immutable config", ex.Message);
    }
}

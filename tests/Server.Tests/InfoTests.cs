using Tiered.Server.Admin;
using Tiered.Server.Commands;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class InfoTests : ServerTestBase
{
    protected override TestServer CreateServer() => new((_, engine) => engine.Memory.MaxMemory = 64L << 20);

    [Fact]
    public void DefaultInfoHasRedisSectionsInOrderButNotCommandstats()
    {
        using var c = Server.Raw();
        string text = Replies.Info(c);
        string[] headers = text.Split("\r\n").Where(l => l.StartsWith('#')).ToArray();
        Assert.Equal(["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Cluster", "# Tiering", "# Keyspace"], headers);
        Assert.DoesNotContain("\n", text.Replace("\r\n", ""));
        Assert.EndsWith("\r\n", text);
        Assert.Contains("\r\n\r\n# Clients\r\n", text);
    }

    [Fact]
    public void ServerSectionReportsVersionModePortAndProcess()
    {
        using var c = Server.Raw();
        Dictionary<string, string> f = Replies.Fields(Replies.Info(c, "server"));
        Assert.Equal(ServerInfo.RedisVersion, f["redis_version"]);
        Assert.Equal(ServerInfo.TieredVersion, f["tiered_version"]);
        Assert.Equal("standalone", f["redis_mode"]);
        Assert.Equal(Server.Port.ToString(), f["tcp_port"]);
        Assert.Equal(Environment.ProcessId.ToString(), f["process_id"]);
        Assert.Equal("64", f["arch_bits"]);
        Assert.Equal("10", f["hz"]);
        Assert.Equal("0", f["uptime_in_days"]);
        Assert.Equal("", f["config_file"]);
        Assert.Matches("^[0-9a-f]{40}$", f["run_id"]);
        Assert.StartsWith(OperatingSystem.IsLinux() ? "Linux " : "", f["os"]);
        foreach (string name in new[] { "uptime_in_seconds", "executable" }) Assert.True(f.ContainsKey(name), name);
    }

    [Fact]
    public void MemorySectionCountsCollectionsAndGcPauseOfTheProcess()
    {
        using var c = Server.Raw();
        Dictionary<string, string> before = Replies.Fields(Replies.Info(c, "memory"));
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);   // the in-process server's runtime is this process's
        Dictionary<string, string> after = Replies.Fields(Replies.Info(c, "memory"));
        Assert.True(long.Parse(after["dotnet_gc_gen2_collections"]) > long.Parse(before["dotnet_gc_gen2_collections"]));
        Assert.True(long.Parse(after["dotnet_gc_gen0_collections"]) > long.Parse(before["dotnet_gc_gen0_collections"]));
        Assert.Equal((long)GC.GetTotalPauseDuration().TotalMilliseconds, long.Parse(after["dotnet_gc_pause_ms"]), 50.0);
        Assert.True(long.Parse(after["dotnet_gc_pause_ms"]) >= long.Parse(before["dotnet_gc_pause_ms"]));
    }

    [Fact]
    public void OneSectionAloneHasNoOtherHeaders()
    {
        using var c = Server.Raw();
        string text = Replies.Info(c, "CLIENTS");
        Assert.StartsWith("# Clients\r\n", text);
        Assert.Single(text.Split("\r\n"), l => l.StartsWith('#'));
        Dictionary<string, string> f = Replies.Fields(text);
        Assert.Equal("1", f["connected_clients"]);
        Assert.Equal("10000", f["maxclients"]);
        Assert.Equal("0", f["blocked_clients"]);
    }

    [Fact]
    public void SeveralSectionsAndAllAndEverythingExpand()
    {
        using var c = Server.Raw();
        string two = Replies.Info(c, "keyspace", "server");
        Assert.Equal(["# Server", "# Keyspace"], two.Split("\r\n").Where(l => l.StartsWith('#')).ToArray());
        Assert.Contains("# Commandstats\r\n", Replies.Info(c, "all"));
        Assert.Contains("# Commandstats\r\n", Replies.Info(c, "everything"));
        Assert.Contains("# Tiering\r\ntiering_enabled:0\r\n", Replies.Info(c, "tiering"));
    }

    [Fact]
    public void TheTieringSectionIsEveryRegisteredMetricInItsOrder()
    {
        using var c = Server.Raw();
        string[] lines = Replies.Info(c, "tiering").Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("# Tiering", lines[0]);
        Assert.Equal(Server.Server.Store.Metrics.All.Select(m => m.Name), lines.Skip(1).Select(l => l[..l.IndexOf(':')]));
        Assert.Matches(@"^tier_hot_hit_ratio:\d\.\d{4}$", lines.Single(l => l.StartsWith("tier_hot_hit_ratio:")));
        Assert.Matches(@"^tier_compression_ratio:\d+\.\d{2}$", lines.Single(l => l.StartsWith("tier_compression_ratio:")));
    }

    [Fact]
    public void UnknownSectionIsAnEmptyBulkString()
    {
        using var c = Server.Raw();
        c.Roundtrip("$0\r\n\r\n", "INFO", "nosuchsection");
    }

    [Fact]
    public void InfoIsAVerbatimStringInResp3()
    {
        using var c = Server.Raw();
        c.Command("HELLO", "3");
        c.ReadReply();
        c.Command("INFO", "replication");
        string reply = c.ReadReply();
        Assert.StartsWith("=", reply);
        Assert.Contains("\r\ntxt:# Replication\r\nrole:master\r\nconnected_slaves:0\r\n", reply);
        int len = int.Parse(reply[1..reply.IndexOf('\r')]);
        Assert.Equal(len, reply.Length - reply.IndexOf('\n') - 3);
    }

    [Fact]
    public void KeyspaceListsOnlyDatabasesThatHoldKeys()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip("+OK\r\n", "SELECT", "2");
        c.Roundtrip("+OK\r\n", "SET", "b", "1");
        c.Roundtrip("+OK\r\n", "SET", "c", "1");
        Assert.Equal("# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\ndb2:keys=2,expires=0,avg_ttl=0\r\n", Replies.Info(c, "keyspace"));
    }

    [Fact]
    public void StatsCountHitsMissesCommandsAndErrors()
    {
        using var c = Server.Raw();
        c.Roundtrip("$-1\r\n", "GET", "missing");
        c.Roundtrip("+OK\r\n", "SET", "k", "v");
        c.Roundtrip("$1\r\nv\r\n", "GET", "k");
        c.Command("NOSUCHCOMMAND");
        c.ReadReply();
        c.Command("GET");
        c.ReadReply();
        Dictionary<string, string> f = Replies.Fields(Replies.Info(c, "stats"));
        Assert.Equal("1", f["keyspace_hits"]);
        Assert.Equal("1", f["keyspace_misses"]);
        Assert.Equal("2", f["total_error_replies"]);
        Assert.Equal("0", f["expired_keys"]);
        Assert.Equal("0", f["evicted_keys"]);
        Assert.True(long.Parse(f["total_commands_processed"]) >= 6);
        Assert.True(long.Parse(f["total_connections_received"]) >= 1);
        Assert.True(long.Parse(f["total_net_input_bytes"]) > 0);
        Assert.True(long.Parse(f["total_net_output_bytes"]) > 0);
        Assert.Equal("0", f["rejected_connections"]);
        Assert.True(f.ContainsKey("instantaneous_ops_per_sec"));
    }

    [Fact]
    public void InstantaneousOpsPerSecondFollowsTheSampledRate()
    {
        var stats = new ServerStats();
        var metrics = new ServerMetrics();
        metrics.Sample(stats);
        Thread.Sleep(100);
        stats.CommandsProcessed += 1600;
        metrics.Sample(stats);
        // One interval of ~100 ms at 1600 commands is ~16000/s, averaged over 16 slots: ~1000/s.
        Assert.InRange(metrics.OpsPerSec, 300, 1100);
    }

    [Fact]
    public void CommandstatsShowCallsRejectionsAndFailuresPerCommand()
    {
        using var c = Server.Raw();
        c.Roundtrip("$-1\r\n", "GET", "a");
        c.Roundtrip("$-1\r\n", "GET", "b");
        c.Command("GET");
        c.ReadReply();
        c.Command("CONFIG", "GET", "hz");
        c.ReadReply();
        c.Command("CONFIG", "SET", "hz", "nope");
        c.ReadReply();
        string text = Replies.Info(c, "commandstats");
        Assert.StartsWith("# Commandstats\r\n", text);
        Assert.Matches(@"cmdstat_get:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0\r\n", text);
        Assert.Matches(@"cmdstat_config\|get:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0\r\n", text);
        Assert.Matches(@"cmdstat_config\|set:calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1\r\n", text);
        Assert.DoesNotContain("cmdstat_set:", text);
    }

    [Fact]
    public void MemoryReportsHeapDatasetAndBudget()
    {
        using var c = Server.Raw();
        Dictionary<string, string> before = Replies.Fields(Replies.Info(c, "memory"));
        c.Roundtrip("+OK\r\n", "SET", "big", new string('x', 100_000));
        Dictionary<string, string> f = Replies.Fields(Replies.Info(c, "memory"));
        Assert.True(long.Parse(f["used_memory"]) > 0);
        Assert.True(long.Parse(f["used_memory_rss"]) > 0);
        Assert.True(long.Parse(f["used_memory_peak"]) >= long.Parse(f["used_memory"]));
        Assert.True(long.Parse(f["used_memory_dataset"]) - long.Parse(before["used_memory_dataset"]) >= 100_000);
        Assert.Equal("67108864", f["maxmemory"]);
        Assert.Equal("64.00M", f["maxmemory_human"]);
        Assert.Equal("noeviction", f["maxmemory_policy"]);
        Assert.Matches(@"^\d+\.\d\d$", f["mem_fragmentation_ratio"]);
    }

    [Fact]
    public void PersistenceSaysNothingIsLoadingOrLogged()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        Dictionary<string, string> f = Replies.Fields(Replies.Info(c, "persistence"));
        Assert.Equal("0", f["loading"]);
        Assert.Equal("0", f["aof_enabled"]);
        Assert.Equal("0", f["rdb_bgsave_in_progress"]);
        Assert.Equal("1", f["rdb_changes_since_last_save"]);
    }

    [Fact]
    public void ReplicationAndCpuHaveRedisFields()
    {
        using var c = Server.Raw();
        Dictionary<string, string> f = Replies.Fields(Replies.Info(c, "replication", "cpu"));
        Assert.Equal("master", f["role"]);
        Assert.Equal("0", f["connected_slaves"]);
        Assert.Equal("0", f["master_repl_offset"]);
        Assert.Matches("^[0-9a-f]{40}$", f["master_replid"]);
        Assert.Matches(@"^\d+\.\d{6}$", f["used_cpu_sys"]);
        Assert.Matches(@"^\d+\.\d{6}$", f["used_cpu_user"]);
    }

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(1023, "1023B")]
    [InlineData(1536, "1.50K")]
    [InlineData(64L << 20, "64.00M")]
    [InlineData(3L << 30, "3.00G")]
    public void HumanSizesUseRedisUnits(long bytes, string expected) => Assert.Equal(expected, InfoBuilder.Human(bytes));

    [Fact]
    public async Task StackExchangeRedisParsesInfo()
    {
        await using var mux = await Server.ConnectAsync();
        var server = mux.GetServer(Server.EndPoint);
        await mux.GetDatabase().StringSetAsync("k", "v");
        var groups = await server.InfoAsync();
        var serverGroup = Assert.Single(groups, g => g.Key == "Server");
        Assert.Contains(serverGroup, kv => kv.Key == "redis_version" && kv.Value == ServerInfo.RedisVersion);
        var keyspace = Assert.Single(groups, g => g.Key == "Keyspace");
        Assert.Contains(keyspace, kv => kv.Key == "db0" && kv.Value == "keys=1,expires=0,avg_ttl=0");
        Assert.Equal(ServerInfo.RedisVersion, server.Version.ToString(3));
    }
}

// MEMORY and LATENCY as redis-server 7.0.15 answers them (texts and errors recorded from it), on Tiered's figures.

using System.Text.RegularExpressions;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class MemoryLatencyCommandTests : ServerTestBase
{
    private const string Empty = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
    private const string Disabled = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
    private const string NoSpike = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";

    private static string Bulk(string s) => $"${s.Length}\r\n{s}\r\n";
    private static string Verbatim(string s) => $"={s.Length + 4}\r\ntxt:{s}\r\n";

    [Fact]
    public void UsageValidatesSamplesAsRedisAndIsNullForAMissingKey()
    {
        using var c = Server.Raw();
        c.Roundtrip("$-1\r\n", "MEMORY", "USAGE", "nokey");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "MEMORY", "USAGE", "nokey", "SAMPLES", "x");
        c.Roundtrip(Replies.Ok, "SET", "foo", "bar");
        c.Roundtrip("-ERR syntax error\r\n", "MEMORY", "USAGE", "foo", "SAMPLES");
        c.Roundtrip("-ERR syntax error\r\n", "MEMORY", "USAGE", "foo", "SAMPLES", "-1");
        c.Roundtrip("-ERR syntax error\r\n", "MEMORY", "USAGE", "foo", "COUNT", "5");
        c.Roundtrip("-ERR syntax error\r\n", "MEMORY", "USAGE", "foo", "SAMPLES", "5", "extra");
        c.Roundtrip("-ERR wrong number of arguments for 'memory|usage' command\r\n", "MEMORY", "USAGE");
        // key entry and hot item (60) + key array (24 + 3) + value array (24 + 3)
        c.Roundtrip(":114\r\n", "MEMORY", "USAGE", "foo");
        c.Roundtrip(":114\r\n", "MEMORY", "USAGE", "foo", "SAMPLES", "0");
        c.Roundtrip(":114\r\n", "MEMORY", "USAGE", "foo", "SAMPLES", "5", "SAMPLES", "3");
    }

    [Fact]
    public void UsageCountsNoKeyspaceHitOrMiss()
    {
        using var c = Server.Raw();
        c.Roundtrip(Replies.Ok, "SET", "foo", "bar");
        c.Roundtrip(":114\r\n", "MEMORY", "USAGE", "foo");
        c.Roundtrip("$-1\r\n", "MEMORY", "USAGE", "nokey");
        Dictionary<string, string> stats = Replies.Fields(Replies.Info(c, "stats"));
        Assert.Equal("0", stats["keyspace_hits"]);
        Assert.Equal("0", stats["keyspace_misses"]);
    }

    [Fact]
    public async Task UsageOfAColdKeyIsItsHotFigureAndLeavesTheKeyCold()
    {
        await using var s = new ColdServer(0);
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        c.Roundtrip(Replies.Ok, "SET", "foo", "bar");
        c.Roundtrip(":3\r\n", "RPUSH", "l", "a", "b", "c");
        c.Roundtrip(":114\r\n", "MEMORY", "USAGE", "foo");
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "maxmemory", "1");
        ColdWait.WaitAllCold(info, "MEMORY USAGE");
        c.Roundtrip(":114\r\n", "MEMORY", "USAGE", "foo");
        Assert.Matches(@"^:\d+\r\n$", ColdWait.Run(c, ["MEMORY", "USAGE", "l"]));
        c.Roundtrip("$-1\r\n", "MEMORY", "USAGE", "nokey");
        Dictionary<string, string> after = ColdWait.Tiering(info);
        Assert.Equal(0, ColdWait.Field(after, "tier_hot_keys"));
        Assert.Equal(0, ColdWait.Field(after, "tier_cold_hits"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void StatsHasRedisFieldsInRedisOrderWithADbMapPerDatabaseWithKeys(int protocol)
    {
        using var c = Server.Raw();
        if (protocol == 3) Replies.Resp3(c);
        c.Roundtrip(Replies.Ok, "SET", "a", "b");
        c.Roundtrip(Replies.Ok, "SELECT", "3");
        c.Roundtrip(Replies.Ok, "SET", "a", "b", "EX", "100");
        c.Command(["MEMORY", "STATS"]);
        string reply = c.ReadReply();
        string map = protocol == 3 ? "%" : "*";
        string n = protocol == 3 ? "29" : "58", db = protocol == 3 ? "3" : "6";
        string f = protocol == 3 ? @",[0-9.e+-]+\r\n" : @"\$\d+\r\n[0-9.e+-]+\r\n";
        string i = @":-?\d+\r\n";
        string Db(int id) => Regex.Escape($"$4\r\ndb.{id}\r\n{map}{db}\r\n") + K("overhead.hashtable.main") + i
            + K("overhead.hashtable.expires") + i + K("overhead.hashtable.slot-to-keys") + ":0\r\n";
        static string K(string name) => Regex.Escape($"${name.Length}\r\n{name}\r\n");
        string pattern = "^" + Regex.Escape(map + n + "\r\n")
            + K("peak.allocated") + i + K("total.allocated") + i + K("startup.allocated") + i
            + K("replication.backlog") + ":0\r\n" + K("clients.slaves") + ":0\r\n" + K("clients.normal") + i
            + K("cluster.links") + ":0\r\n" + K("aof.buffer") + i + K("lua.caches") + i + K("functions.caches") + i
            + Db(0) + Db(3)
            + K("overhead.total") + i + K("keys.count") + ":2\r\n" + K("keys.bytes-per-key") + i + K("dataset.bytes") + i
            + K("dataset.percentage") + f + K("peak.percentage") + f
            + K("allocator.allocated") + i + K("allocator.active") + i + K("allocator.resident") + i
            + K("allocator-fragmentation.ratio") + f + K("allocator-fragmentation.bytes") + i
            + K("allocator-rss.ratio") + f + K("allocator-rss.bytes") + i
            + K("rss-overhead.ratio") + f + K("rss-overhead.bytes") + i
            + K("fragmentation") + f + K("fragmentation.bytes") + i + "$";
        Assert.Matches(pattern, reply);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void DoctorMallocStatsAndHelpReplyAsRedis(int protocol)
    {
        using var c = Server.Raw();
        if (protocol == 3) Replies.Resp3(c);
        c.Roundtrip(protocol == 3 ? Verbatim(Empty) : Bulk(Empty), "MEMORY", "DOCTOR");
        c.Roundtrip(protocol == 3 ? Verbatim(Disabled) : Bulk(Disabled), "LATENCY", "DOCTOR");
        c.Command(["MEMORY", "MALLOC-STATS"]);
        string stats = c.ReadReply();
        Assert.Contains("___ Begin dotnet-gc statistics ___\n", stats);
        Assert.EndsWith("--- End dotnet-gc statistics ---\n\r\n", stats);
        c.Roundtrip("*14\r\n+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DOCTOR\r\n+    Return memory problems reports.\r\n"
            + "+MALLOC-STATS\r\n+    Return internal statistics report from the memory allocator.\r\n+PURGE\r\n"
            + "+    Attempt to purge dirty pages for reclamation by the allocator.\r\n+STATS\r\n+    Return information about the memory usage of the server.\r\n"
            + "+USAGE <key> [SAMPLES <count>]\r\n+    Return memory in bytes used by <key> and its value. Nested values are\r\n"
            + "+    sampled up to <count> times (default: 5, 0 means sample all).\r\n+HELP\r\n+    Prints this help.\r\n", "MEMORY", "HELP");
        c.Roundtrip("*17\r\n+LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DOCTOR\r\n+    Return a human readable latency analysis report.\r\n"
            + "+GRAPH <event>\r\n+    Return an ASCII latency graph for the <event> class.\r\n+HISTORY <event>\r\n+    Return time-latency samples for the <event> class.\r\n"
            + "+LATEST\r\n+    Return the latest latency samples for all events.\r\n+RESET [<event> ...]\r\n+    Reset latency data of one or more <event> classes.\r\n"
            + "+    (default: reset all data for all event classes)\r\n+HISTOGRAM [COMMAND ...]\r\n"
            + "+    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.\r\n"
            + "+    If no commands are specified then all histograms are replied.\r\n+HELP\r\n+    Prints this help.\r\n", "LATENCY", "HELP");
        c.Roundtrip(Replies.Ok, "MEMORY", "PURGE");
        c.Roundtrip("-ERR wrong number of arguments for 'memory|doctor' command\r\n", "MEMORY", "DOCTOR", "x");
    }

    [Fact]
    public void LatencyDoctorAndGraphReportEventsInRedisWords()
    {
        using var c = Server.Raw();
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "latency-monitor-threshold", "1000");
        c.Roundtrip(Bulk(NoSpike), "LATENCY", "DOCTOR");
        c.Roundtrip("-ERR No samples available for event 'command'\r\n", "LATENCY", "GRAPH", "command");
        long now = Server.Server.Store.Clock.NowMs / 1000;
        Server.Server.Latency.Add("command", 1, now - 5);
        Server.Server.Latency.Add("command", 1, now - 1);
        // The report and graph read the clock again: allow for one second passing meanwhile.
        string Doctor(int late) => Bulk("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"
            + $"1. command: 2 latency spikes (average 1ms, mean deviation 0ms, period {(late == 0 ? "2.50" : "3.00")} sec). Worst all time event 1ms.\n\n"
            + "I have a few advices for you:\n\n"
            + "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n"
            + "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        c.Command(["LATENCY", "DOCTOR"]);
        Assert.Contains(c.ReadReply(), new[] { Doctor(0), Doctor(1) });
        // Redis's graph of two 1 ms samples 5 and 1 seconds old (the shape recorded from redis-server).
        string Graph(int late) => Bulk("command - high 1 ms, low 1 ms (all time high 1 ms)\n" + new string('-', 80) + "\n  \n  \n  \n__\n  \n"
            + (late == 0 ? "51" : "62") + "\nss\n");
        c.Command(["LATENCY", "GRAPH", "command"]);
        Assert.Contains(c.ReadReply(), new[] { Graph(0), Graph(1) });
        c.Roundtrip(":1\r\n", "LATENCY", "RESET");
        c.Roundtrip(Bulk(NoSpike), "LATENCY", "DOCTOR");
    }

    [Fact]
    public void HistogramRepliesCallsAndCumulativeCountsPerCommand()
    {
        using var c = Server.Raw();
        c.Roundtrip("*0\r\n", "LATENCY", "HISTOGRAM", "nosuch");
        c.Roundtrip(Replies.Ok, "SET", "a", "b");
        c.Command(["LATENCY", "HISTOGRAM", "set", "nosuch"]);
        Assert.Matches(@"^\*2\r\n\$3\r\nset\r\n\*4\r\n\$5\r\ncalls\r\n:1\r\n\$14\r\nhistogram_usec\r\n\*2\r\n:\d+\r\n:1\r\n$", c.ReadReply());
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "latency-tracking", "no");
        c.Roundtrip(Replies.Ok, "SET", "a", "b");
        c.Command(["LATENCY", "HISTOGRAM", "set"]);
        Assert.Contains("calls\r\n:1\r\n", c.ReadReply());
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "latency-tracking", "yes");   // recorded: tracking is on once it has run
        Replies.Resp3(c);
        c.Command(["LATENCY", "HISTOGRAM", "config"]);
        Assert.Matches(@"^%1\r\n\$10\r\nconfig\|set\r\n%2\r\n\$5\r\ncalls\r\n:1\r\n\$14\r\nhistogram_usec\r\n%1\r\n:\d+\r\n:1\r\n$", c.ReadReply());
    }

    [Fact]
    public void HistogramBoundsAreHdrHighestEquivalentValuesInMicroseconds()
    {
        var h = new Tiered.Server.Admin.LatencyHistogram();
        h.Record(0);    // 1 us and below: the 1024 ns bound, shown as 1
        h.Record(1);
        h.Record(8);    // 8000 ns: the 8192 ns bound, shown as 8 (8223 ns)
        h.Record(30);   // 30000 ns: the 32768 ns bound, shown as 33 (33023 ns)
        h.Record(33);   // 33000 ns: still within 32768's HDR bucket
        var seen = new List<string>();
        h.Cumulative((us, n) => seen.Add($"{us}:{n}"));
        Assert.Equal(["1:2", "8:3", "33:5"], seen);
        Assert.Equal(3, h.Filled());
        Assert.Equal(5, h.Calls);
    }
}

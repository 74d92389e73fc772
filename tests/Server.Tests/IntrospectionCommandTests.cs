using CommandFlags = Tiered.Server.Commands.CommandFlags;
using StackExchange.Redis;
using System.Diagnostics;
using Tiered.Server.Admin;
using Tiered.Server.Commands;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Engine;

namespace Tiered.Server.Tests;

public sealed class IntrospectionCommandTests : ServerTestBase
{
    // ---- COMMAND ----

    [Fact]
    public void CountIsTheNumberOfTopLevelCommands()
    {
        using var c = Server.Raw();
        c.Roundtrip($":{Server.Server.Commands.Count}\r\n", "COMMAND", "COUNT");
        Assert.True(Server.Server.Commands.Count >= 15);
    }

    [Fact]
    public void InfoHasRedis7ShapeForAKeylessCommand()
    {
        using var c = Server.Raw();
        c.Roundtrip("*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n"
            + "*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n", "COMMAND", "INFO", "PING");
    }

    [Fact]
    public void InfoDescribesKeysWithPositionsAndAKeySpec()
    {
        using var c = Server.Raw();
        c.Command("COMMAND", "INFO", "get");
        string reply = c.ReadReply();
        Assert.StartsWith("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n", reply);
        Assert.Contains("\r\n:1\r\n:1\r\n:1\r\n", reply);
        Assert.Contains("+@read\r\n", reply);
        Assert.Contains("$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n", reply);
        Assert.Contains("$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n", reply);
    }

    [Fact]
    public void InfoOfUnknownCommandIsNullAndSubcommandsAreFoundByFullName()
    {
        using var c = Server.Raw();
        c.Roundtrip("*1\r\n*-1\r\n", "COMMAND", "INFO", "nosuch");
        c.Command("COMMAND", "INFO", "config|get");
        Assert.StartsWith("*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n", c.ReadReply());
    }

    [Fact]
    public void InfoOfAContainerListsItsSubcommands()
    {
        using var c = Server.Raw();
        c.Command("COMMAND", "INFO", "client");
        string reply = c.ReadReply();
        Assert.Contains("$11\r\nclient|list\r\n:-2\r\n", reply);
        Assert.Contains("$11\r\nclient|kill\r\n:-3\r\n", reply);
    }

    [Fact]
    public void CommandWithoutArgumentsDescribesEveryCommand()
    {
        using var c = Server.Raw();
        c.Command("COMMAND");
        string reply = c.ReadReply();
        Assert.StartsWith($"*{Server.Server.Commands.Count}\r\n*10\r\n", reply);
        Assert.Contains("$4\r\ninfo\r\n", reply);
    }

    [Fact]
    public void DocsMapNamesToSummarySinceGroupAndComplexity()
    {
        using var c = Server.Raw();
        c.Command("HELLO", "3");
        c.ReadReply();
        c.Roundtrip("%1\r\n$4\r\ntime\r\n%4\r\n$7\r\nsummary\r\n$24\r\nReturns the server time.\r\n$5\r\nsince\r\n$5\r\n2.6.0\r\n"
            + "$5\r\ngroup\r\n$6\r\nserver\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n", "COMMAND", "DOCS", "time", "nosuch");
        c.Command("COMMAND", "DOCS", "slowlog");
        string reply = c.ReadReply();
        Assert.Contains("$11\r\nsubcommands\r\n%4\r\n$11\r\nslowlog|get\r\n%4\r\n", reply);   // sorted (Redis's order changes with its hash seed)
    }

    [Fact]
    public void ListNamesCommandsAndSubcommandsAndFilters()
    {
        using var c = Server.Raw();
        c.Command("COMMAND", "LIST");
        string all = c.ReadReply();
        Assert.Contains("$4\r\nping\r\n", all);
        Assert.Contains("$10\r\nconfig|set\r\n", all);
        c.Roundtrip("*2\r\n$10\r\nconfig|get\r\n$11\r\nconfig|help\r\n", "COMMAND", "LIST", "FILTERBY", "PATTERN", "config|[gh]*");
        c.Command("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection");
        Assert.Contains("$4\r\nping\r\n", c.ReadReply());
        c.Roundtrip("*0\r\n", "COMMAND", "LIST", "FILTERBY", "MODULE", "x");
        c.Roundtrip("-ERR syntax error\r\n", "COMMAND", "LIST", "FILTERBY", "COLOR", "x");
    }

    [Fact]
    public void GetKeysExtractsKeysByPosition()
    {
        using var c = Server.Raw();
        c.Roundtrip("*1\r\n$1\r\na\r\n", "COMMAND", "GETKEYS", "SET", "a", "b");
        c.Roundtrip("-ERR Invalid command specified\r\n", "COMMAND", "GETKEYS", "NOSUCH", "a");
        c.Roundtrip("-ERR Invalid number of arguments specified for command\r\n", "COMMAND", "GETKEYS", "GET", "a", "b");
        c.Roundtrip("-ERR The command has no key arguments\r\n", "COMMAND", "GETKEYS", "ECHO", "a");
    }

    [Fact]
    public async Task StackExchangeRedisCountsCommands()
    {
        await using var mux = await Server.ConnectAsync();
        IServer server = mux.GetServer(Server.EndPoint);
        Assert.Equal(Server.Server.Commands.Count, await server.CommandCountAsync());
        string[] keys = (await server.CommandGetKeysAsync(["SET", "k1", "v"])).Select(k => k.ToString()).ToArray();
        Assert.Equal(["k1"], keys);
    }

    // ---- SLOWLOG ----

    [Fact]
    public void SlowlogRecordsCommandsOverTheThreshold()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "CLIENT", "SETNAME", "slowpoke");
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "slowlog-log-slower-than", "0");
        c.Roundtrip("$5\r\nhello\r\n", "ECHO", "hello");
        c.Command("CLIENT", "INFO");
        string addr = Replies.BulkText(c.ReadReply()).Split(' ').Single(f => f.StartsWith("addr="))[5..];
        c.Command("SLOWLOG", "GET", "2");
        string reply = c.ReadReply();
        // Newest first: CLIENT INFO, then ECHO hello.
        Assert.StartsWith("*2\r\n*6\r\n:", reply);
        Assert.Contains($"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n${addr.Length}\r\n{addr}\r\n$8\r\nslowpoke\r\n", reply);
        c.Command("SLOWLOG", "LEN");
        Assert.Equal(":4\r\n", c.ReadReply());   // CONFIG SET, ECHO, CLIENT INFO, SLOWLOG GET
        c.Roundtrip("+OK\r\n", "SLOWLOG", "RESET");
        c.Roundtrip(":1\r\n", "SLOWLOG", "LEN");  // the RESET itself, as in Redis
    }

    [Fact]
    public void SlowlogKeepsNothingWhenDisabledAndRefusesBadCounts()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "slowlog-log-slower-than", "-1");
        c.Roundtrip("$1\r\nx\r\n", "ECHO", "x");
        c.Roundtrip(":0\r\n", "SLOWLOG", "LEN");
        c.Roundtrip("*0\r\n", "SLOWLOG", "GET", "-1");
        c.Roundtrip("-ERR count should be greater than or equal to -1\r\n", "SLOWLOG", "GET", "-2");
        c.Roundtrip("-ERR count should be greater than or equal to -1\r\n", "SLOWLOG", "GET", "many");
        c.Roundtrip("-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n", "SLOWLOG", "foo");
    }

    // ---- LATENCY ----

    [Fact]
    public void LatencyMonitorRecordsOnlyAboveThresholdAndByCommandKind()
    {
        var options = new ServerOptions();
        var monitor = new LatencyMonitor(options);
        var slow = new CommandDef("keys", -2, CommandFlags.ReadOnly, 0, 0, 0, "generic", "", "1.0.0", "", _ => { });
        var fast = new CommandDef("get", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, "string", "", "1.0.0", "", _ => { });
        long tenMs = Stopwatch.Frequency / 100;
        monitor.ObserveCommand(slow, tenMs, 1_000_000);
        Assert.Empty(monitor.Events);   // threshold 0: monitoring is off

        options.LatencyMonitorThreshold = 5;
        monitor.ObserveCommand(slow, tenMs / 10, 1_000_000);
        Assert.Empty(monitor.Events);   // 1 ms < 5 ms
        monitor.ObserveCommand(slow, tenMs, 1_000_000);
        monitor.ObserveCommand(slow, 2 * tenMs, 1_000_500);   // same second: the worst is kept
        monitor.ObserveCommand(slow, tenMs, 1_002_000);
        monitor.ObserveCommand(fast, tenMs, 1_002_000);
        Assert.Equal(["command", "fast-command"], monitor.Events.Keys);
        LatencyEvent e = monitor.Events["command"];
        Assert.Equal([new LatencySample(1000, 20), new LatencySample(1002, 10)], e.Samples);
        Assert.Equal(20, e.Max);
        Assert.Equal(new LatencySample(1002, 10), e.Latest);
    }

    [Fact]
    public void LatencyHistoryKeepsTheLast160Seconds()
    {
        var monitor = new LatencyMonitor(new ServerOptions());
        for (int s = 0; s < 200; s++) monitor.Add("command", 1 + s, s);
        LatencyEvent e = monitor.Events["command"];
        Assert.Equal(LatencyMonitor.HistoryLength, e.Samples.Count());
        Assert.Equal(40, e.Samples.First().UnixTime);
        Assert.Equal(200, e.Max);
    }

    [Fact]
    public void LatencyLatestHistoryAndResetReplies()
    {
        using var c = Server.Raw();
        c.Roundtrip("*0\r\n", "LATENCY", "LATEST");
        lock (Server.Server.Store.Lock)
        {
            Server.Server.Latency.Add("command", 12, 1700000000);
            Server.Server.Latency.Add("command", 7, 1700000005);
        }
        c.Roundtrip("*1\r\n*4\r\n$7\r\ncommand\r\n:1700000005\r\n:7\r\n:12\r\n", "LATENCY", "LATEST");
        c.Roundtrip("*2\r\n*2\r\n:1700000000\r\n:12\r\n*2\r\n:1700000005\r\n:7\r\n", "LATENCY", "HISTORY", "command");
        c.Roundtrip("*0\r\n", "LATENCY", "HISTORY", "fork");
        c.Roundtrip(":0\r\n", "LATENCY", "RESET", "fork");
        c.Roundtrip(":1\r\n", "LATENCY", "RESET");
        c.Roundtrip("*0\r\n", "LATENCY", "LATEST");
        c.Roundtrip("-ERR wrong number of arguments for 'latency|history' command\r\n", "LATENCY", "HISTORY");
    }

    [Fact]
    public void LatencyHelpIsRedisStyle()
    {
        using var c = Server.Raw();
        c.Command("LATENCY", "HELP");
        string reply = c.ReadReply();
        Assert.StartsWith("*17\r\n+LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n", reply);
    }
}

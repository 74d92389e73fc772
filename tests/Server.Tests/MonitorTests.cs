// MONITOR: one line per command that ran, quoted and ordered as redis-server 7.0.15 prints them (recorded from it).

using System.Text.RegularExpressions;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

public sealed partial class MonitorTests
{
    [GeneratedRegex(@"^\+\d+\.\d{6} \[(\d+) ([^\]]+)\] (.*)$")]
    private static partial Regex Line();

    [Fact]
    public async Task AMonitorSeesEveryCommandThatRanQuotedAsRedisQuotesIt()
    {
        await using var s = new TestServer();
        using RawClient m = s.Raw();
        using RawClient c = s.Raw();
        m.Roundtrip(Ok, "MONITOR");
        c.Roundtrip(Ok, "SET", "k", "a b\"c\\\n\u0001");
        c.Roundtrip("$8\r\na b\"c\\\n\u0001\r\n", "GET", "k");
        c.Roundtrip(Ok, "SELECT", "1");
        c.Roundtrip(Ok, "SELECT", "0");
        c.Command("CONFIG", "GET", "maxmemory");   // administrative: not shown
        c.ReadReply();
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip("+QUEUED\r\n", "INCR", "n");
        c.Roundtrip("*1\r\n:1\r\n", "EXEC");
        c.Roundtrip("$8\r\na b\"c\\\n\u0001\r\n", "EVAL", "return redis.call('get','k')", "1", "k");
        c.Command("AUTH", "secret");
        c.ReadReply();
        c.Command("NOSUCHCOMMAND");
        c.ReadReply();
        c.Roundtrip("*-1\r\n", "BLPOP", "nolist", "0.01");
        c.Roundtrip("$2\r\né\r\n", "ECHO", "é");
        string[] expected =
        [
            "0 client \"SET\" \"k\" \"a b\\\"c\\\\\\n\\x01\"",
            "0 client \"GET\" \"k\"",
            "1 client \"SELECT\" \"1\"",
            "0 client \"SELECT\" \"0\"",
            "0 client \"MULTI\"",
            "0 client \"INCR\" \"n\"",
            "0 client \"EXEC\"",
            "0 client \"EVAL\" \"return redis.call('get','k')\" \"1\" \"k\"",
            "0 lua \"get\" \"k\"",
            "0 client \"AUTH\" \"(redacted)\"",
            "0 client \"BLPOP\" \"nolist\" \"0.01\"",
            "0 client \"ECHO\" \"\\xc3\\xa9\"",
        ];
        foreach (string want in expected)
        {
            string line = m.ReadReply();
            Match x = Line().Match(line.TrimEnd('\r', '\n'));
            Assert.True(x.Success, $"not a monitor line: {line}");
            string who = x.Groups[2].Value == "lua" ? "lua" : "client";
            Assert.Equal(want, $"{x.Groups[1].Value} {who} {x.Groups[3].Value}");
        }
        Assert.False(m.HasDataWithin(100), "a line for a command that did not run");
    }
}

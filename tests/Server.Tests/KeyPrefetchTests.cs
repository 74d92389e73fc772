using System.Text;
using Tiered.Server.Protocol;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

/// <summary>
/// The look-ahead that lets the engine prefetch a pipelined batch's keys (Network/Connection.cs, Tiering/Hot/KeyPrefetch.cs):
/// the skim finds each command's second argument and stops where the real parser must take over, and a batch answers
/// exactly as it would one command at a time, whatever its commands do to the keys the skim saw.
/// </summary>
public sealed class KeyPrefetchTests : ServerTestBase
{
    private static byte[] Commands(params string[][] commands)
    {
        var s = new MemoryStream();
        foreach (string[] c in commands) s.Write(Resp.Command(c));
        return s.ToArray();
    }

    private static List<string> Skim(byte[] bytes, int start, int end, int room, out int to)
    {
        Span<int> starts = stackalloc int[room];
        Span<int> lengths = stackalloc int[room];
        to = RespParser.SkimKeys(bytes, start, end, starts, lengths, out int n);
        var keys = new List<string>();
        for (int k = 0; k < n; k++) keys.Add(Encoding.UTF8.GetString(bytes, starts[k], lengths[k]));
        return keys;
    }

    [Fact]
    public void SkimFindsEachCommandsSecondArgumentAndPassesOverOneArgumentCommands()
    {
        byte[] b = Commands(["GET", "alpha"], ["PING"], ["SET", "beta", "v"], ["HSET", "", "f", "1"]);
        Assert.Equal(["alpha", "beta", ""], Skim(b, 0, b.Length, 16, out int to));
        Assert.Equal(b.Length, to);
    }

    [Fact]
    public void SkimStopsAtTheFirstIncompleteCommandAndReportsWhereItStopped()
    {
        byte[] whole = Commands(["GET", "a"], ["GET", "b"]);
        byte[] b = Commands(["GET", "a"], ["GET", "b"], ["SET", "c", "value"]);
        for (int cut = whole.Length; cut < b.Length; cut++)
        {
            Assert.Equal(["a", "b"], Skim(b, 0, cut, 16, out int to));
            Assert.Equal(whole.Length, to);
        }
    }

    [Fact]
    public void SkimStopsAtInlineCommandsMalformedHeadersAndItsCapacity()
    {
        byte[] first = Commands(["GET", "a"]);
        foreach (string tail in new[] { "GET b\r\n", "*2\r\n$3\r\nGET\r\n$-1\r\n", "*x\r\n", "*2\r\n$3\nGET\r\n", "*2\r\n+OK\r\n" })
        {
            byte[] b = [.. first, .. Encoding.ASCII.GetBytes(tail)];
            Assert.Equal(["a"], Skim(b, 0, b.Length, 16, out int to));
            Assert.Equal(first.Length, to);
        }
        byte[] many = Commands(["GET", "a"], ["GET", "b"], ["GET", "c"]);
        Assert.Equal(["a", "b"], Skim(many, 0, many.Length, 2, out int at));
        Assert.Equal(Commands(["GET", "a"], ["GET", "b"]).Length, at);
        Assert.Equal(["c"], Skim(many, at, many.Length, 2, out _));
    }

    [Fact]
    public void PipelinedBatchThatChangesTheKeysItsSkimSawAnswersAsOneCommandAtATime()
    {
        using var c = Server.Raw();
        var request = new List<string[]>();
        var expected = new StringBuilder();
        void Add(string reply, params string[] command) { request.Add(command); expected.Append(reply); }
        for (int i = 0; i < 40; i++)
        {
            string k = "pk" + (i % 5);
            Add("+OK\r\n", "SET", k, "v" + i);
            Add($"${("v" + i).Length}\r\nv{i}\r\n", "GET", k);
            Add("+OK\r\n", "SELECT", "1");
            Add("$-1\r\n", "GET", k);
            Add("+OK\r\n", "SELECT", "0");
            Add(":1\r\n", "DEL", k);
            Add("$-1\r\n", "GET", k);
            Add(":1\r\n", "RPUSH", k, "x");
            Add("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "GET", k);
            Add(":1\r\n", "DEL", k);
            Add("+PONG\r\n", "PING");
        }
        c.Send(Commands([.. request]));
        c.Expect(expected.ToString());
    }
}

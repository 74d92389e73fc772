using System.Text;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

/// <summary>RESP at the byte level: framing, pipelining, segment boundaries, limits and protocol errors.</summary>
public sealed class ProtocolTests : ServerTestBase
{
    [Fact]
    public async Task TenThousandPipelinedCommandsInOneWriteGetTenThousandRepliesInOrder()
    {
        using var c = Server.Raw();
        var request = new MemoryStream();
        var expected = new StringBuilder();
        for (int i = 0; i < 10_000; i++)
        {
            string arg = "m" + i;
            request.Write(Resp.Command("ECHO", arg));
            expected.Append('$').Append(arg.Length).Append("\r\n").Append(arg).Append("\r\n");
        }
        // Send from another task while this one reads, so neither side can block on a full socket buffer.
        Task send = Task.Run(() => c.Send(request.ToArray()));
        c.Expect(expected.ToString());
        await send;
        c.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public async Task PipelineWhoseRepliesExceedTheBatchReplyLimitIsAnsweredCompletely()
    {
        using var c = Server.Raw();
        byte[] value = Pattern(100 * 1024, seed: 3);
        Task set = Task.Run(() => c.Send(Resp.Command("SET"u8.ToArray(), "v"u8.ToArray(), value)));
        c.Expect("+OK\r\n");
        await set;
        // 60 GETs of 100 KB (6 MB of replies, several 1 MB batches) interleaved with ECHOs, in one write.
        var request = new MemoryStream();
        for (int i = 0; i < 60; i++)
        {
            request.Write(Resp.Command("GET", "v"));
            request.Write(Resp.Command("ECHO", "e" + i));
        }
        Task send = Task.Run(() => c.Send(request.ToArray()));
        for (int i = 0; i < 60; i++)
        {
            c.Expect($"${value.Length}\r\n");
            AssertSameBytes(value, c.ReadBytes(value.Length));
            c.Expect($"\r\n${("e" + i).Length}\r\ne{i}\r\n");
        }
        await send;
        c.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public void CommandSentOneByteAtATimeIsParsedWhole()
    {
        using var c = Server.Raw();
        byte[] multibulk = Resp.Command("ECHO", "hello world");
        foreach (byte b in multibulk) c.Send([b]);
        c.Expect("$11\r\nhello world\r\n");
        foreach (byte b in "ECHO inline\r\n"u8.ToArray()) c.Send([b]);
        c.Expect("$6\r\ninline\r\n");
        c.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public async Task TwentyMegabyteValueRoundTrips()
    {
        using var c = Server.Raw();
        byte[] value = Pattern(20 * 1024 * 1024, seed: 7);
        Task send = Task.Run(() => c.Send(Resp.Command("SET"u8.ToArray(), "big"u8.ToArray(), value)));
        c.Expect("+OK\r\n");
        await send;
        c.Command("GET", "big");
        Assert.Equal($"${value.Length}\r\n", c.Read($"${value.Length}\r\n".Length));
        AssertSameBytes(value, c.ReadBytes(value.Length));
        c.Expect("\r\n");
        c.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public async Task ValuesStraddlingReceiveSegmentsRoundTripExactly()
    {
        using var c = Server.Raw();
        int[] lengths = [16383, 16384, 16385, 16386, 16387, 16388, 16389, 16390, 32768, 100 * 1024, 5, 0];
        var request = new MemoryStream();
        var expected = new StringBuilder();
        for (int i = 0; i < lengths.Length; i++)
        {
            // A PING of varying size before each SET shifts where the segment boundaries fall.
            request.Write(Resp.Command("PING", new string('p', i * 37 + 1)));
            expected.Append('$').Append(i * 37 + 1).Append("\r\n").Append('p', i * 37 + 1).Append("\r\n");
            request.Write(Resp.Command("SET"u8.ToArray(), Encoding.ASCII.GetBytes("s" + i), Pattern(lengths[i], seed: i)));
            expected.Append("+OK\r\n");
        }
        Task send = Task.Run(() => c.Send(request.ToArray()));
        c.Expect(expected.ToString());
        await send;

        request.SetLength(0);
        for (int i = 0; i < lengths.Length; i++) request.Write(Resp.Command("GET", "s" + i));
        c.Send(request.ToArray());
        for (int i = 0; i < lengths.Length; i++)
        {
            c.Expect($"${lengths[i]}\r\n");
            AssertSameBytes(Pattern(lengths[i], seed: i), c.ReadBytes(lengths[i]));
            c.Expect("\r\n");
        }
    }

    [Theory]
    [InlineData(20_000, 1)]     // 140 KB of tiny arguments: a header is cut at the 128 KB look-ahead of a straddling command
    [InlineData(100_000, 3)]    // 900 KB
    [InlineData(3_000, 100)]
    public async Task CommandWithManySmallArgumentsAcrossSegmentsIsAnswered(int argCount, int argLength)
    {
        using var c = Server.Raw();
        var args = new List<string> { "PING" };
        for (int i = 0; i < argCount; i++) args.Add(new string((char)('a' + i % 26), argLength));
        byte[] request = [.. Resp.Command([.. args]), .. Resp.Command("ECHO", "after")];
        Task send = Task.Run(() => c.Send(request));
        c.Expect("-ERR wrong number of arguments for 'ping' command\r\n$5\r\nafter\r\n");
        await send;
    }

    [Fact]
    public void InlineCommandsHonourQuotesAndEscapes()
    {
        using var c = Server.Raw();
        c.Send("ECHO \"\\x41\\x42\"\r\n");
        c.Expect("$2\r\nAB\r\n");
        c.Send("ECHO 'it\\'s'\r\n");
        c.Expect("$4\r\nit's\r\n");
        c.Send("ECHO \"a\\r\\nb\\t\\\"q\\\"\"\n");
        c.Expect("$8\r\na\r\nb\t\"q\"\r\n");
        c.Send("ECHO \"\"\r\n");
        c.Expect("$0\r\n\r\n");
        c.Send("   \r\n\r\n\n");   // empty lines are ignored
        c.Send("SET   'two words'   plain\r\nGET 'two words'\r\n");
        c.Expect("+OK\r\n$5\r\nplain\r\n");
        c.Send("PING\n");
        c.Expect("+PONG\r\n");
    }

    [Theory]
    [InlineData("ECHO \"unterminated\r\n")]
    [InlineData("ECHO 'unterminated\r\n")]
    [InlineData("ECHO \"closed\"glued\r\n")]
    public void InlineUnbalancedQuotesGetProtocolErrorAndClose(string line)
    {
        using var c = Server.Raw();
        c.Send("PING\r\n" + line + "PING\r\n");
        c.Expect("+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n");
        Assert.True(c.IsClosedByServer());
    }

    [Fact]
    public void NullAndEmptyMultibulksAreIgnored()
    {
        using var c = Server.Raw();
        c.Send("*-1\r\n*0\r\n*-7\r\n*1\r\n$4\r\nPING\r\n*0\r\n");
        c.Expect("+PONG\r\n");
        // Any stray reply to the ignored frames would now arrive before this one.
        c.Roundtrip("$2\r\nok\r\n", "ECHO", "ok");
    }

    [Theory]
    [InlineData("*abc\r\n")]
    [InlineData("*1x\r\n")]
    [InlineData("*\r\n")]
    [InlineData("*+1\r\n$4\r\nPING\r\n")]
    [InlineData("*3000000000\r\n")]
    [InlineData("*2\n")]
    public void InvalidMultibulkLengthGetsProtocolErrorAndClose(string frame)
    {
        using var c = Server.Raw();
        c.Send("*1\r\n$4\r\nPING\r\n" + frame);
        c.Expect("+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n");
        Assert.True(c.IsClosedByServer());
    }

    [Theory]
    [InlineData("$abc\r\n")]
    [InlineData("$-1\r\n")]
    [InlineData("$2147483648\r\n")]
    [InlineData("$99999999999999999999\r\n")]
    public void InvalidBulkLengthGetsProtocolErrorAndClose(string header)
    {
        using var c = Server.Raw();
        c.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n" + header);
        c.Expect("-ERR Protocol error: invalid bulk length\r\n");
        Assert.True(c.IsClosedByServer());
    }

    [Fact]
    public void TwoGigabyteBulkHeaderIsRefusedAtOnceWithoutAllocating()
    {
        using var c = Server.Raw();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        // Only the header is sent: the server must answer now, not wait for (or reserve room for) 2 GB of data.
        c.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2147483648\r\n");
        c.Expect("-ERR Protocol error: invalid bulk length\r\n");
        Assert.True(c.IsClosedByServer());
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.True(allocated < 512L * 1024 * 1024, $"{allocated} bytes were allocated while refusing the header");
    }

    [Fact]
    public async Task BulkLongerThanProtoMaxBulkLenIsRefused()
    {
        await using var server = new TestServer((_, engine) => engine.ProtoMaxBulkLen = 1024 * 1024);
        using (var ok = server.Raw())
        {
            string value = new('v', 1024 * 1024);
            Task send = Task.Run(() => ok.Command("SET", "k", value));
            ok.Expect("+OK\r\n");
            await send;
        }
        using var c = server.Raw();
        c.Send($"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${1024 * 1024 + 1}\r\n");
        c.Expect("-ERR Protocol error: invalid bulk length\r\n");
        Assert.True(c.IsClosedByServer());
    }

    [Fact]
    public void InlineRequestOverSixtyFourKilobytesWithoutNewlineIsRefused()
    {
        using var c = Server.Raw();
        c.Send(new string('a', 70 * 1024));
        c.Expect("-ERR Protocol error: too big inline request\r\n");
        Assert.True(c.IsClosedByServer());
    }

    [Fact]
    public void InlineRequestJustUnderTheLimitWorks()
    {
        using var c = Server.Raw();
        string arg = new('x', 60 * 1024);
        c.Send("ECHO " + arg + "\r\n");
        c.Expect($"${arg.Length}\r\n{arg}\r\n");
    }

    [Fact]
    public void MultibulkCountLineOverSixtyFourKilobytesIsRefused()
    {
        using var c = Server.Raw();
        c.Send("*" + new string('1', 70 * 1024));
        c.Expect("-ERR Protocol error: too big mbulk count string\r\n");
        Assert.True(c.IsClosedByServer());
    }

    [Fact]
    public async Task UnauthenticatedClientIsLimitedUntilAuth()
    {
        await using var server = new TestServer((o, _) => o.RequirePass = "s3cret");
        using (var c = server.Raw())
        {
            c.Roundtrip("-NOAUTH Authentication required.\r\n", "GET", "k");
            c.Roundtrip("-NOAUTH Authentication required.\r\n", "PING");
            c.Roundtrip("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "nope");
            c.Send(Resp.Command([.. Enumerable.Repeat("PING", 11)]));
            c.Expect("-ERR Protocol error: unauthenticated multibulk length\r\n");
            Assert.True(c.IsClosedByServer());
        }
        using (var c = server.Raw())
        {
            c.Send($"*2\r\n$4\r\nECHO\r\n$16385\r\n");
            c.Expect("-ERR Protocol error: unauthenticated bulk length\r\n");
            Assert.True(c.IsClosedByServer());
        }
        using (var c = server.Raw())
        {
            // AUTH and a long command in one write: the second is parsed only after AUTH has run.
            c.Send([.. Resp.Command("AUTH", "s3cret"), .. Resp.Command([.. Enumerable.Repeat("x", 11)])]);
            c.Expect("+OK\r\n-ERR unknown command 'x', with args beginning with: 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' \r\n");
            c.Roundtrip("$-1\r\n", "GET", "k");
            c.Roundtrip("+RESET\r\n", "RESET");
            c.Roundtrip("-NOAUTH Authentication required.\r\n", "GET", "k");
        }
        using (var c = server.Raw())
        {
            c.Command("HELLO", "3");
            Assert.StartsWith("-NOAUTH HELLO must be called with the client already authenticated", c.ReadReply());
            c.Command("HELLO", "3", "AUTH", "default", "s3cret");
            string hello = c.ReadReply();
            Assert.StartsWith("%7\r\n$6\r\nserver\r\n", hello);
            Assert.Contains("$5\r\nproto\r\n:3\r\n", hello);
            c.Roundtrip("_\r\n", "GET", "k");
            c.Roundtrip("+OK\r\n", "SET", "k", "v");
            c.Roundtrip("$1\r\nv\r\n", "GET", "k");
        }
    }

    [Fact]
    public void Resp3NullAfterHelloAndResp2AfterReset()
    {
        using var c = Server.Raw();
        c.Roundtrip("$-1\r\n", "GET", "nothing");
        c.Command("HELLO", "3");
        Assert.StartsWith("%7\r\n", c.ReadReply());
        c.Roundtrip("_\r\n", "GET", "nothing");
        c.Roundtrip("+RESET\r\n", "RESET");
        c.Roundtrip("$-1\r\n", "GET", "nothing");
        c.Command("HELLO", "2");
        Assert.StartsWith("*14\r\n", c.ReadReply());
        c.Roundtrip("$-1\r\n", "GET", "nothing");
    }

    [Fact]
    public async Task IncompleteCommandBeyondClientQueryBufferLimitClosesTheConnection()
    {
        await using var server = new TestServer((o, _) => o.ClientQueryBufferLimit = 1024 * 1024);
        using (var small = server.Raw())
        {
            // Under the limit is fine: a 512 KB value.
            string value = new('v', 512 * 1024);
            small.Command("SET", "k", value);
            small.Expect("+OK\r\n");
        }
        using var c = server.Raw();
        c.Send($"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${3 * 1024 * 1024}\r\n");
        var chunk = new byte[64 * 1024];
        try
        {
            for (int i = 0; i < 32; i++) c.Send(chunk);   // 2 MB of the 3 MB value: never complete
        }
        catch (System.Net.Sockets.SocketException)
        {
            // The server may close while we are still sending.
        }
        Assert.True(c.IsClosedByServer());
        using var after = server.Raw();
        after.Roundtrip("$512\r\n" + new string('v', 512) + "\r\n", "ECHO", new string('v', 512));
    }

    [Fact]
    public void QuitRepliesOkAndClosesEvenWithCommandsPipelinedAfterIt()
    {
        using var c = Server.Raw();
        c.Send([.. Resp.Command("PING"), .. Resp.Command("QUIT"), .. Resp.Command("PING")]);
        c.Expect("+PONG\r\n+OK\r\n");
        Assert.True(c.IsClosedByServer());
    }

    /// <summary>Deterministic bytes of every value 0..255, different per seed.</summary>
    internal static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    internal static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int diff = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(diff == expected.Length, $"bytes differ at offset {diff} of {expected.Length}");
    }
}

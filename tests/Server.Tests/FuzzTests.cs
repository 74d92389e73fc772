using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Net;
using System.Text;
using Tiered.Server.Admin;
using Xunit.Abstractions;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Engine;

namespace Tiered.Server.Tests;

/// <summary>
/// Seeded garbage at the server over many connections: random bytes, truncated frames, wrong lengths, huge counts.
/// Every connection must end cleanly, every reply must be well-formed RESP, no connection loop may fail, and the
/// server must still serve a new client afterwards. A failure names its seed; rerun with that seed to reproduce.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Connections = 300;

    [Theory]
    [InlineData(20240601)]
    [InlineData(7)]
    public async Task RandomAndMalformedInputNeverBreaksTheServer(int seed)
    {
        output.WriteLine($"fuzz seed {seed}");
        var logger = new CapturingLogger();
        var server = new TieredServer(new ServerOptions { Bind = ["127.0.0.1"], Port = 0 }, new EngineOptions(), logger);
        try
        {
            server.Start();
            int port = server.BoundPort;
            var failures = new ConcurrentQueue<string>();
            await Parallel.ForEachAsync(Enumerable.Range(0, Connections), new ParallelOptions { MaxDegreeOfParallelism = 16 },
                async (i, _) =>
                {
                    string? failure = await FuzzOneConnection(port, seed, i);
                    if (failure != null) failures.Enqueue($"seed {seed} connection {i}: {failure}");
                });
            Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(10)));

            // Every fuzzed connection has gone from the registry (bounded wait: loops end asynchronously).
            for (int i = 0; i < 100 && server.Clients.Count > 0; i++) await Task.Delay(50);
            Assert.Equal(0, server.Clients.Count);

            using var c = new RawClient(port);
            c.Roundtrip("+PONG\r\n", "PING");
            c.Roundtrip("+OK\r\n", "SET", "after-fuzz", "alive");
            c.Roundtrip("$5\r\nalive\r\n", "GET", "after-fuzz");
            Assert.True(logger.Errors.IsEmpty, $"seed {seed}: server logged errors:\n{string.Join("\n", logger.Errors)}");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Sends one connection's fuzz, half-closes, and reads the replies to the end. Returns a failure or null.</summary>
    private static async Task<string?> FuzzOneConnection(int port, int seed, int index)
    {
        var rng = new Random(HashCode.Combine(seed, index));
        // A third of the connections are mostly well-formed, so the fuzz also reaches deep into long sessions
        // instead of ending at the first protocol error.
        byte[] input = Generate(rng, 512 + rng.Next(4096), garbagePercent: index % 3 == 0 ? 2 : 60);
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
        var replies = new MemoryStream();
        Task<string?> reader = ReadToEnd(s, replies, timeout.Token);
        try
        {
            int pos = 0;
            while (pos < input.Length)
            {
                int n = Math.Min(input.Length - pos, 1 + rng.Next(rng.Next(2) == 0 ? 16 : 2048));
                pos += await s.SendAsync(input.AsMemory(pos, n), SocketFlags.None, timeout.Token);
            }
            s.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The server closed first (protocol error or QUIT): fine, the reader sees the end.
        }
        string? failure = await reader;
        if (failure != null) return failure;
        string? bad = RespValidator.FirstProblem(replies.ToArray());
        return bad is null ? null : $"malformed reply stream: {bad}";
    }

    private static async Task<string?> ReadToEnd(Socket s, MemoryStream into, CancellationToken token)
    {
        var buf = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await s.ReceiveAsync(buf, SocketFlags.None, token);
                if (n == 0) return null;
                into.Write(buf, 0, n);
                if (into.Length > 64 * 1024 * 1024) return "reply larger than 64 MB";
            }
        }
        catch (OperationCanceledException) { return "the server neither answered to the end nor closed within 15 s"; }
        catch (SocketException) { return null; }   // reset after the server closed with unread input
    }

    private static readonly string[] Names = ["PING", "ECHO", "GET", "SET", "SELECT", "HELLO", "AUTH", "RESET", "ping", "NOSUCH", "get", ""];

    internal static byte[] Generate(Random rng, int size, int garbagePercent = 60)
    {
        var ms = new MemoryStream();
        while (ms.Length < size)
        {
            switch (rng.Next(100) < garbagePercent ? rng.Next(3, 10) : 0)
            {
                case 0 or 1 or 2: ms.Write(ValidCommand(rng)); break;
                case 3:
                {
                    var b = new byte[1 + rng.Next(200)];
                    rng.NextBytes(b);
                    ms.Write(b);
                    break;
                }
                case 4:
                {
                    byte[] v = ValidCommand(rng);
                    ms.Write(v, 0, rng.Next(v.Length));   // truncated frame, then whatever follows
                    break;
                }
                case 5:
                {
                    // A bulk whose declared length is wrong by a little.
                    string arg = RandomWord(rng);
                    int declared = Math.Max(0, arg.Length + rng.Next(-3, 4));
                    ms.Write(Encoding.ASCII.GetBytes($"*2\r\n$4\r\nECHO\r\n${declared}\r\n{arg}\r\n"));
                    break;
                }
                case 6:
                {
                    string[] headers = ["*2147483647\r\n", "*99999999999\r\n", "*-99\r\n", "*0\r\n", "*-1\r\n", "*1\r\n$400000000\r\n",
                        "*1\r\n$-5\r\n", "*1\r\n$2147483648\r\n", "*2\r\n$3\r\nGET\r\n$99999999999999999999\r\n", "*1\r\n*1\r\n", "*11\r\n",
                        "$5\r\nhello\r\n", ":1\r\n", "*\r\n", "*1\n$4\nPING\n", "\r\n", "\n"];
                    ms.Write(Encoding.ASCII.GetBytes(headers[rng.Next(headers.Length)]));
                    break;
                }
                case 7:
                {
                    // Inline with quotes and escapes, sometimes unbalanced.
                    string[] parts = ["ECHO", "\"a\\x41\"", "'it\\'s'", "\"\\n\\r\\t\"", "\"open", "'open", "\"x\"y", "plain", "\\x4", "\"\\xZZ\""];
                    var line = new StringBuilder();
                    int n = 1 + rng.Next(5);
                    for (int i = 0; i < n; i++) line.Append(parts[rng.Next(parts.Length)]).Append(' ');
                    line.Append(rng.Next(2) == 0 ? "\r\n" : "\n");
                    ms.Write(Encoding.ASCII.GetBytes(line.ToString()));
                    break;
                }
                case 8:
                {
                    // Long line without a newline (most often below the 64 KB inline limit).
                    int n = rng.Next(8) == 0 ? 70 * 1024 : rng.Next(2000);
                    ms.Write(Encoding.ASCII.GetBytes(new string((char)('a' + rng.Next(26)), n)));
                    break;
                }
                default:
                {
                    // A valid frame with a random byte flipped.
                    byte[] v = ValidCommand(rng);
                    v[rng.Next(v.Length)] = (byte)rng.Next(256);
                    ms.Write(v);
                    break;
                }
            }
        }
        return ms.ToArray();
    }

    private static byte[] ValidCommand(Random rng)
    {
        string name = Names[rng.Next(Names.Length)];
        int argc = rng.Next(4);
        var args = new List<string> { name };
        for (int i = 0; i < argc; i++) args.Add(RandomWord(rng));
        return Resp.Command([.. args]);
    }

    private static string RandomWord(Random rng)
    {
        int n = rng.Next(8) == 0 ? rng.Next(1024) : rng.Next(12);
        var sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) sb.Append((char)rng.Next(32, 127));
        return sb.ToString();
    }

    [Fact]
    public void GeneratorIsDeterministicForASeed()
    {
        Assert.Equal(Generate(new Random(42), 4096), Generate(new Random(42), 4096));
        Assert.NotEqual(Generate(new Random(42), 4096), Generate(new Random(43), 4096));
    }

    [Theory]
    [InlineData("+OK\r\n$3\r\nabc\r\n*2\r\n:1\r\n$-1\r\n-ERR x\r\n%1\r\n+a\r\n_\r\n", true)]
    [InlineData("+OK\r\n$3\r\nab", false)]
    [InlineData("*2\r\n:1\r\n", false)]
    [InlineData("?\r\n", false)]
    public void ValidatorAcceptsOnlyWholeReplies(string stream, bool ok)
        => Assert.Equal(ok, RespValidator.FirstProblem(Encoding.ASCII.GetBytes(stream)) is null);
}

/// <summary>Checks that bytes are a sequence of complete RESP2/RESP3 replies.</summary>
internal static class RespValidator
{
    public static string? FirstProblem(byte[] data)
    {
        int pos = 0;
        while (pos < data.Length)
        {
            int start = pos;
            string? problem = Value(data, ref pos, 0);
            if (problem != null) return $"{problem} at offset {start}";
        }
        return null;
    }

    private static string? Value(byte[] d, ref int pos, int depth)
    {
        if (depth > 64) return "nesting too deep";
        int nl = Array.IndexOf(d, (byte)'\n', pos);
        if (nl < 0 || nl == pos || d[nl - 1] != '\r') return "unterminated line";
        byte type = d[pos];
        string body = Encoding.ASCII.GetString(d, pos + 1, nl - 1 - (pos + 1));
        pos = nl + 1;
        switch (type)
        {
            case (byte)'+' or (byte)'-' or (byte)',' or (byte)'(':
                return null;
            case (byte)':':
                return long.TryParse(body, out _) ? null : $"bad integer '{body}'";
            case (byte)'_':
                return body.Length == 0 ? null : "bad null";
            case (byte)'#':
                return body is "t" or "f" ? null : "bad boolean";
            case (byte)'$' or (byte)'=' or (byte)'!':
            {
                if (!int.TryParse(body, out int len) || len < -1) return $"bad bulk length '{body}'";
                if (len == -1) return type == '$' ? null : "null verbatim";
                if (pos + len + 2 > d.Length) return "truncated bulk";
                if (d[pos + len] != '\r' || d[pos + len + 1] != '\n') return "bulk not followed by CRLF";
                pos += len + 2;
                return null;
            }
            case (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%' or (byte)'|':
            {
                if (!int.TryParse(body, out int n) || n < -1) return $"bad aggregate length '{body}'";
                if (type is (byte)'%' or (byte)'|') n *= 2;
                for (int i = 0; i < n; i++)
                {
                    if (pos >= d.Length) return "truncated aggregate";
                    string? p = Value(d, ref pos, depth + 1);
                    if (p != null) return p;
                }
                return null;
            }
            default:
                return $"unknown type byte 0x{type:x2}";
        }
    }
}

/// <summary>Keeps the text of every error the server logs.</summary>
internal sealed class CapturingLogger : ILogger
{
    public ConcurrentQueue<string> Errors { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= LogLevel.Error) Errors.Enqueue(formatter(state, exception) + (exception is null ? "" : ": " + exception));
    }
}

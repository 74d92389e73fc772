using Tiered.Server.Tests.Infrastructure;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Tiered.Server.Tests;

/// <summary>
/// End to end: the real server started the way the README says (<c>dotnet run</c> from the repo root), driven by
/// the real redis-cli and redis-benchmark. Needs redis-tools on PATH (CI installs them); fails if they are missing.
/// </summary>
public sealed class SmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RealServerProcessServesRedisCliAndRedisBenchmark()
    {
        string redisCli = FindOnPath("redis-cli");
        string redisBenchmark = FindOnPath("redis-benchmark");
        string root = RepoRoot();
        string ssd = Directory.CreateTempSubdirectory("tiered-smoke-").FullName;
        int port = FreePort();
        using var server = new ChildProcess("dotnet",
            ["run", "-c", "Release", "--no-build", "--project", "src/Server", "--", "--port", port.ToString(), "--ssd-path", ssd], root);
        try
        {
            await WaitForPing(server, port);

            Assert.Equal("PONG", (await Run(redisCli, ["-p", port.ToString(), "ping"])).Trim());
            Assert.Equal("OK", (await Run(redisCli, ["-p", port.ToString(), "set", "smoke", "hello world"])).Trim());
            Assert.Equal("hello world", (await Run(redisCli, ["-p", port.ToString(), "get", "smoke"])).Trim());
            string unknown = await Run(redisCli, ["-p", port.ToString(), "nosuchcommand", "x"]);
            Assert.Contains("ERR unknown command 'nosuchcommand', with args beginning with: 'x'", unknown);

            string bench = await Run(redisBenchmark, ["-p", port.ToString(), "-t", "set,get", "-n", "100000", "-P", "16", "-q"]);
            output.WriteLine(bench);
            // -q prints progress lines separated by \r, then one final "SET: 123456.78 requests per second, ..." line.
            string[] lines = bench.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
            foreach (string test in new[] { "SET", "GET" })
            {
                Match m = lines.Select(l => Regex.Match(l, $@"^{test}: ([0-9.]+) requests per second")).LastOrDefault(x => x.Success)
                    ?? Match.Empty;
                Assert.True(m.Success, $"no {test} result in redis-benchmark output:\n{bench}");
                Assert.True(double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0,
                    $"{test} reported no throughput:\n{bench}");
            }
            Assert.DoesNotMatch(new Regex("error|ERR", RegexOptions.IgnoreCase), bench);

            // GET and SET allocate nothing per request. redis-benchmark without -r uses one fixed key, so every SET
            // overwrites an equal-length value. After a warm-up run (JIT tiering), the server's managed allocation
            // counter across 500,000 requests is an upper bound on the per-request allocation: it also includes the
            // 100 connections the run opens and the INFO reply. One allocation per request would be >= 24 B each.
            await AllocatedDuringBenchmark(redisCli, redisBenchmark, port, 100_000);
            long allocated = await AllocatedDuringBenchmark(redisCli, redisBenchmark, port, 250_000);
            double perRequest = allocated / 500_000.0;
            output.WriteLine($"server allocated {allocated} B over 500,000 GET/SET requests (connections included): {perRequest:F3} B/request");
            Assert.True(perRequest < 2, $"GET/SET allocate {perRequest:F3} bytes per request ({allocated} B in all)");

            // The server kept running through all of it and still answers.
            Assert.False(server.HasExited, $"server exited:\n{server.Output}");
            Assert.Equal("PONG", (await Run(redisCli, ["-p", port.ToString(), "ping"])).Trim());
        }
        finally
        {
            server.Dispose();
            output.WriteLine("server output:\n" + server.Output);
            try { Directory.Delete(ssd, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<long> AllocatedDuringBenchmark(string redisCli, string redisBenchmark, int port, int n)
    {
        long before = AllocatedBytes(await Run(redisCli, ["-p", port.ToString(), "info", "memory"]));
        await Run(redisBenchmark, ["-p", port.ToString(), "-t", "set,get", "-n", n.ToString(), "-P", "16", "-d", "100", "-q"]);
        return AllocatedBytes(await Run(redisCli, ["-p", port.ToString(), "info", "memory"])) - before;
    }

    private static long AllocatedBytes(string info)
    {
        Match m = Regex.Match(info, @"dotnet_total_allocated_bytes:(\d+)");
        Assert.True(m.Success, $"INFO memory has no dotnet_total_allocated_bytes:\n{info}");
        return long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitForPing(ChildProcess server, int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited) Assert.Fail($"server exited with code {server.ExitCode} before answering PING:\n{server.Output}");
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 2000 };
                s.Connect(IPAddress.Loopback, port);
                s.Send("PING\r\n"u8);
                var buf = new byte[7];
                int got = 0;
                while (got < 7)
                {
                    int n = s.Receive(buf, got, 7 - got, SocketFlags.None);
                    if (n == 0) break;
                    got += n;
                }
                if (Encoding.ASCII.GetString(buf, 0, got) == "+PONG\r\n") return;
            }
            catch (SocketException) { }
            await Task.Delay(200);
        }
        Assert.Fail($"server did not answer PING on port {port} within 90 s:\n{server.Output}");
    }

    /// <summary>Runs a tool to completion (bounded) and returns stdout and stderr together; fails on a non-zero exit.</summary>
    private static async Task<string> Run(string file, string[] args)
    {
        using var p = new ChildProcess(file, args, Directory.GetCurrentDirectory());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within 180 s:\n{p.Output}");
        }
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited with {p.ExitCode}:\n{p.Output}");
        return p.Output;
    }

    private static string FindOnPath(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"{tool} is not on PATH: install redis-tools (apt-get install -y redis-tools); .ci/run does this.");
        return "";
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tiered.sln"))) return dir.FullName;
        Assert.Fail($"no Tiered.sln above {AppContext.BaseDirectory}");
        return "";
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tiered.LoadGen.Resp;

namespace Tiered.LoadGen.Tests;

/// <summary>
/// Starts a throw-away redis-server (no persistence) on a free loopback port for the end-to-end tests and kills it
/// when the test class is done. A missing binary is a test failure with a clear message, not a skip.
/// </summary>
public sealed class RedisServerFixture : IDisposable
{
    private readonly Process? _process;

    public RedisServerFixture()
    {
        string? binary = FindRedisServer();
        if (binary is null)
        {
            StartError = "redis-server was not found on PATH (install the Debian package 'redis-server'); the end-to-end load test needs it";
            return;
        }
        Port = FreePort();
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no" })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start redis-server");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (_process.HasExited)
            {
                StartError = $"redis-server exited at start with code {_process.ExitCode}";
                return;
            }
            try
            {
                using ControlClient c = ControlClient.ConnectAsync("127.0.0.1", Port, TimeSpan.FromSeconds(1)).GetAwaiter().GetResult();
                if (c.Command("PING") == "PONG")
                    return;
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                Thread.Sleep(50);
            }
        }
        StartError = "redis-server did not answer PING within 10 s";
    }

    public int Port { get; }

    /// <summary>Why the server is not usable, or null.</summary>
    public string? StartError { get; private set; }

    public void EnsureRunning()
    {
        if (StartError is not null)
            Assert.Fail(StartError);
    }

    public string? Command(params string[] args)
    {
        using ControlClient c = ControlClient.ConnectAsync("127.0.0.1", Port, TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        return c.Command(args);
    }

    private static string? FindRedisServer()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/local/bin"))
        {
            string candidate = Path.Combine(dir, "redis-server");
            if (dir.Length > 0 && File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (_process is null)
            return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}

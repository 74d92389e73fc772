using System.Diagnostics;
using System.Globalization;

namespace Tiered.Server.Tests.Infrastructure;

/// <summary>
/// A redis-server 7 child process on a free loopback port with a temp directory, killed and cleaned up on dispose.
/// Fails the test when redis-server is not installed (CI installs it: .ci/run).
/// </summary>
public sealed class RedisServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    /// <param name="args">Extra options, e.g. "--repl-diskless-sync", "no".</param>
    public RedisServerProcess(params string[] args)
    {
        string binary = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server)");
        _dir = Path.Combine(Path.GetTempPath(), "tiered-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        Port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var psi = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string a in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", _dir, "--enable-debug-command", "yes" }.Concat(args))
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var probe = new RawClient(Port);
                probe.Roundtrip("+PONG\r\n", "PING");
                return;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 100) { Thread.Sleep(50); }
        }
    }

    public int Port { get; }

    /// <summary>A raw RESP connection to it.</summary>
    public RawClient Raw() => new(Port);

    public void Dispose()
    {
        try { _process.Kill(); _process.WaitForExit(5000); }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

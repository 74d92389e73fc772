using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tiered.CrashTest;

/// <summary>
/// The server under test as a child process (<c>dotnet tiered-server.dll --port P ...</c>) on a free loopback port.
/// Its stdout/stderr are appended to a log file (read asynchronously, so a full pipe can never stall the server); the
/// last lines are kept for error messages. <see cref="Kill"/> is SIGKILL: no shutdown code runs.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly long _startTick;
    private bool _disposed;

    private ServerProcess(Process process, StreamWriter log, int port, long startTick)
    {
        _process = process;
        _log = log;
        Port = port;
        _startTick = startTick;
    }

    public int Port { get; }
    public int Pid => _process.Id;

    /// <summary>Starts <c>dotnet serverDll --port P args</c>, or <c>serverExe --port P args</c> when that is given.</summary>
    public static ServerProcess Start(CrashOptions o, IReadOnlyList<string> args, string logPath, string workingDir)
    {
        int port = FreePort();
        var psi = new ProcessStartInfo(o.ServerExe ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDir,
        };
        if (o.ServerExe is null)
            psi.ArgumentList.Add(Path.GetFullPath(o.ServerDll));
        psi.ArgumentList.Add("--port");
        psi.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (string a in args)
            psi.ArgumentList.Add(a);

        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"=== {DateTime.Now:HH:mm:ss.fff} harness: {psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        var process = new Process { StartInfo = psi };
        long startTick = Stopwatch.GetTimestamp();
        var server = new ServerProcess(process, log, port, startTick);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (_tail)
        {
            if (_disposed)
                return;
            _log.WriteLine(line);
            _tail.Enqueue(line);
            if (_tail.Count > 20)
                _tail.Dequeue();
        }
    }

    /// <summary>The last lines the server printed, for error messages.</summary>
    public string Tail()
    {
        lock (_tail)
            return string.Join(Environment.NewLine, _tail);
    }

    /// <summary>
    /// Waits until PING answers and INFO persistence says loading:0 (any -LOADING reply means "not yet"); returns the
    /// time from process start. A server without a loading field counts as loaded once PING answers.
    /// </summary>
    public async Task<TimeSpan> WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                // Let the asynchronous readers deliver the last lines (the fatal error is usually there).
                _process.WaitForExit();
                throw new IOException($"server exited with code {_process.ExitCode} before it was ready; its last lines:{Environment.NewLine}{Tail()}");
            }
            if (Stopwatch.GetElapsedTime(_startTick) > timeout)
                throw new IOException($"server not ready after {timeout.TotalSeconds:0} s; its last lines:{Environment.NewLine}{Tail()}");
            try
            {
                using var c = new RespConnection(Port, TimeSpan.FromSeconds(5));
                if (c.Command("PING") == "PONG" && !IsLoading(c.Command("INFO", "persistence")))
                    return Stopwatch.GetElapsedTime(_startTick);
            }
            catch (Exception e) when (e is SocketException or IOException or RespErrorException)
            {
                // Not listening yet, or -LOADING: retry.
            }
            await Task.Delay(10, ct);
        }
    }

    private static bool IsLoading(string? info)
    {
        if (info is null)
            return false;
        foreach (string raw in info.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.StartsWith("loading:", StringComparison.Ordinal))
                return line != "loading:0";
        }
        return false;
    }

    /// <summary>kill -9 and wait until the process is gone.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
        _process.WaitForExit();
    }

    public bool HasExited => _process.HasExited;

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        lock (_tail)
        {
            _disposed = true;
            _log.Dispose();
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tiered.LoadGen.Resp;

namespace Tiered.LoadGen.Peers;

/// <summary>
/// A server (or build) started by the <c>peers</c> command as a child process. The peers run must never leave a
/// server behind on a shared machine, so every child is recorded in a process-wide registry: <see cref="Dispose"/>
/// kills its whole process tree, and <see cref="KillAll"/> (also hooked to process exit, which .NET runs on SIGTERM)
/// kills whatever is still alive. Output is kept as a short tail, to explain a child that failed to start.
/// Standard input is a pipe held open by this process: a child that watches it (garnet-host --exit-with-stdin) also
/// goes away when this process is SIGKILLed and the pipe closes.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private const int TailLines = 40;
    private static readonly object Gate = new();
    private static readonly HashSet<ChildProcess> Live = [];

    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private int _disposed;

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    public int? ExitCode => HasExited ? _process.ExitCode : null;

    /// <summary>The last lines the child wrote to stdout or stderr.</summary>
    public string OutputTail
    {
        get
        {
            lock (_tail)
                return string.Join('\n', _tail);
        }
    }

    /// <summary>Number of children started through this class and not yet disposed.</summary>
    public static int LiveCount
    {
        get
        {
            lock (Gate)
                return Live.Count;
        }
    }

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> args, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        // The children are .NET or C programs; none of them should inherit a dotnet test host's settings.
        psi.Environment.Remove("DOTNET_STARTUP_HOOKS");

        lock (Gate)
        {
            Process process = Process.Start(psi) ?? throw new IOException($"could not start {fileName}");
            var child = new ChildProcess(name, process);
            Live.Add(child);
            process.OutputDataReceived += (_, e) => child.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
                _tail.Dequeue();
        }
    }

    /// <summary>
    /// Waits until the server answers PING on 127.0.0.1:<paramref name="port"/>. Returns null when it does, else why
    /// not (it exited, or the time ran out).
    /// </summary>
    public async Task<string?> WaitForPingAsync(int port, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            ct.ThrowIfCancellationRequested();
            if (HasExited)
                return $"{Name} exited at start with code {ExitCode}";
            try
            {
                using ControlClient c = await ControlClient.ConnectAsync("127.0.0.1", port, TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                if (c.Command("PING") == "PONG")
                    return null;
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        return $"{Name} did not answer PING within {timeout.TotalSeconds:0} s";
    }

    /// <summary>Waits for the child to exit by itself; false when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Kills the child and all its descendants (if still running) and waits for them.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // already gone
        }
        finally
        {
            lock (Gate)
                Live.Remove(this);
            _process.Dispose();
        }
    }

    /// <summary>Kills every child still alive (Ctrl+C, exceptions, process exit).</summary>
    public static void KillAll()
    {
        ChildProcess[] all;
        lock (Gate)
            all = [.. Live];
        foreach (ChildProcess c in all)
            c.Dispose();
    }

    /// <summary>A TCP port that was free on the loopback interface a moment ago.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// A scratch directory (server data, SSD tier, Garnet log) deleted with everything in it on dispose, or at process
/// exit if still there (SIGTERM), after the children that use it were killed.
/// </summary>
public sealed class ScratchDirectory : IDisposable
{
    private static readonly object Gate = new();
    private static readonly HashSet<ScratchDirectory> Live = [];

    static ScratchDirectory()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            ChildProcess.KillAll();
            ScratchDirectory[] all;
            lock (Gate)
                all = [.. Live];
            foreach (ScratchDirectory d in all)
                d.Dispose();
        };
    }

    public ScratchDirectory(string label)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tiered-peers-{Environment.ProcessId}-{label}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(Path);
        lock (Gate)
            Live.Add(this);
    }

    public string Path { get; }

    public void Dispose()
    {
        lock (Gate)
            Live.Remove(this);
        try
        {
            if (Directory.Exists(Path))
                Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"note: could not delete {Path}: {e.Message}");
        }
    }
}

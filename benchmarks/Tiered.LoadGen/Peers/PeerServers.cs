using System.Globalization;

namespace Tiered.LoadGen.Peers;

/// <summary>
/// The servers the <c>peers</c> command compares and how each is started: where its binary is (building Tiered and
/// the Garnet host with <c>dotnet build -c Release</c> when their dll is missing or <c>--build</c> is given), and the
/// command line for a given memory budget and persistence. Every server binds 127.0.0.1 only, on a free port, and
/// keeps its files in a scratch directory of its own. The flags follow /work/shared/notes/peers.md.
/// </summary>
public enum PeerKind
{
    Tiered,
    Redis,
    Garnet,
}

/// <summary>How one workload wants its servers: a DRAM budget (null: unlimited) and whether writes are logged.</summary>
public sealed record ServerConfig(long? MemoryBudget, bool Aof);

/// <summary>A server that can be started (<see cref="Unavailable"/> is null) or the reason it is skipped.</summary>
public sealed class PeerServer
{
    public required PeerKind Kind { get; init; }
    public string Name => Kind.ToString();
    /// <summary>Program to execute (dotnet for the .NET servers).</summary>
    public string FileName { get; init; } = "";
    /// <summary>Arguments before the server's own (the dll path for dotnet).</summary>
    public IReadOnlyList<string> LeadingArgs { get; init; } = [];
    public string? Unavailable { get; init; }
    /// <summary>What is known of the version before starting it (binary's --version, package version).</summary>
    public string Version { get; set; } = "";

    /// <summary>Garnet package version the host is built against (Directory.Packages.props).</summary>
    public const string GarnetPackageVersion = "2.2.8";

    /// <summary>The server's own options for <paramref name="config"/>, in its own spelling.</summary>
    public IReadOnlyList<string> ServerArgs(int port, ServerConfig config, string scratch)
    {
        string p = port.ToString(CultureInfo.InvariantCulture);
        var a = new List<string>();
        switch (Kind)
        {
            case PeerKind.Tiered:
                a.AddRange(["--port", p, "--bind", "127.0.0.1", "--dir", scratch]);
                // Tiered logs every write by default; "no persistence" must say so, as for the peers.
                a.AddRange(config.Aof ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"]);
                if (config.MemoryBudget is { } tb)
                    a.AddRange(["--maxmemory", $"{Megabytes(tb)}mb", "--ssd-path", scratch]);
                break;
            case PeerKind.Redis:
                a.AddRange(["--port", p, "--bind", "127.0.0.1", "--daemonize", "no", "--protected-mode", "no", "--dir", scratch, "--save", ""]);
                a.AddRange(config.Aof ? ["--appendonly", "yes", "--appendfsync", "everysec"] : ["--appendonly", "no"]);
                if (config.MemoryBudget is { } rb)
                    a.AddRange(["--maxmemory", $"{Megabytes(rb)}mb"]);
                break;
            case PeerKind.Garnet:
                // Garnet refuses --logdir without --storage-tier; checkpoints (and the AOF) go to --checkpointdir.
                a.AddRange(["--exit-with-stdin", "--port", p, "--bind", "127.0.0.1", "-q", "--checkpointdir", scratch]);
                if (config.Aof)
                    a.AddRange(["--aof", "--aof-commit-freq", "1000"]);
                if (config.MemoryBudget is { } gb)
                {
                    a.AddRange(["--storage-tier", "--device-type", "RandomAccess", "-m", $"{Megabytes(gb)}m", "-i", "32m", "--logdir", scratch]);
                    // 4 MB pages, as Tiered's log; scaled-down runs (--scale) keep at least two pages in memory.
                    a.AddRange(["-p", $"{(Megabytes(gb) < 32 ? Math.Max(1, Megabytes(gb) / 4) : 4)}m"]);
                    // A thread-pool floor. Without it, loading zipf-10x (50 clients, 64 SETs in flight each) stalls for good
                    // on this 2-core machine: the log stops growing (253 MB, then nothing for 150 s, at 150-165 % CPU) while
                    // every pool thread spins waiting for log memory, and the page-flush completions that would free it
                    // queue behind them. With --minthreads 64 the same load took 11.9 s and 14.7 s (2026-11-26).
                    a.AddRange(["--minthreads", "64"]);
                }
                break;
        }
        return a;
    }

    public static long Megabytes(long bytes) => Math.Max(1, bytes / (1024 * 1024));

    /// <summary>Finds (and if needed builds) each requested server; unavailable ones carry the reason.</summary>
    public static async Task<List<PeerServer>> LocateAsync(IEnumerable<PeerKind> kinds, PeerPaths paths, TextWriter log, CancellationToken ct)
    {
        var list = new List<PeerServer>();
        foreach (PeerKind kind in kinds)
        {
            list.Add(kind switch
            {
                PeerKind.Redis => LocateRedis(paths.RedisServer),
                PeerKind.Tiered => await LocateDotnetAsync(kind, paths.TieredDll, paths.Root is null ? null : Path.Combine(paths.Root, "src", "Server", "Tiered.Server.csproj"),
                    paths.Build, log, ct).ConfigureAwait(false),
                _ => await LocateDotnetAsync(kind, paths.GarnetDll, paths.Root is null ? null : Path.Combine(paths.Root, "benchmarks", "GarnetHost", "GarnetHost.csproj"),
                    paths.Build, log, ct).ConfigureAwait(false),
            });
        }
        return list;
    }

    private static PeerServer LocateRedis(string? explicitPath)
    {
        string? binary = explicitPath ?? FindOnPath("redis-server");
        if (binary is null || !File.Exists(binary))
            return new PeerServer { Kind = PeerKind.Redis, Unavailable = "redis-server not found on PATH (Debian package redis-server)" };
        string version = "";
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(binary, "--version")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            if (p is not null)
            {
                version = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit(5000);
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new PeerServer { Kind = PeerKind.Redis, Unavailable = $"cannot run {binary}: {e.Message}" };
        }
        return new PeerServer { Kind = PeerKind.Redis, FileName = binary, Version = version };
    }

    private static async Task<PeerServer> LocateDotnetAsync(PeerKind kind, string dll, string? project, bool build, TextWriter log, CancellationToken ct)
    {
        if ((build || !File.Exists(dll)) && project is not null && File.Exists(project))
        {
            log.WriteLine($"building {kind}: dotnet build -c Release {project}");
            using var b = ChildProcess.Start($"build {kind}", "dotnet", ["build", "-c", "Release", "--nologo", "-v", "q", project]);
            if (!await b.WaitForExitAsync(TimeSpan.FromMinutes(10), ct).ConfigureAwait(false))
                return new PeerServer { Kind = kind, Unavailable = "build did not finish within 10 minutes" };
            if (b.ExitCode != 0)
            {
                string why = b.OutputTail.Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? $"exit code {b.ExitCode}";
                return new PeerServer { Kind = kind, Unavailable = $"build failed: {why.Trim()}" };
            }
        }
        if (!File.Exists(dll))
            return new PeerServer { Kind = kind, Unavailable = $"{dll} not found (build it with dotnet build -c Release, or pass its path)" };
        string version = kind == PeerKind.Garnet ? $"Microsoft.Garnet {GarnetPackageVersion} (NuGet), hosted by benchmarks/GarnetHost" : "";
        return new PeerServer { Kind = kind, FileName = "dotnet", LeadingArgs = [dll], Version = version };
    }

    private static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/local/bin"))
        {
            if (dir.Length == 0)
                continue;
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}

/// <summary>Where the binaries are; defaults are relative to the repository root (the folder holding Tiered.sln).</summary>
public sealed record PeerPaths(string? Root, string TieredDll, string GarnetDll, string? RedisServer, bool Build)
{
    public static string? FindRoot()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "Tiered.sln")))
                    return d.FullName;
            }
        }
        return null;
    }

    public static PeerPaths Defaults(string? root, string? tieredDll, string? garnetDll, string? redisServer, bool build)
    {
        string r = root ?? Environment.CurrentDirectory;
        return new PeerPaths(root,
            tieredDll ?? Path.Combine(r, "src", "Server", "bin", "Release", "net10.0", "tiered-server.dll"),
            garnetDll ?? Path.Combine(r, "benchmarks", "GarnetHost", "bin", "Release", "net10.0", "garnet-host.dll"),
            redisServer, build);
    }
}

/// <summary>A started server: its process, port and scratch directory, all released on dispose.</summary>
public sealed class RunningPeer : IDisposable
{
    private RunningPeer(PeerServer server, int port, ChildProcess process, ScratchDirectory scratch, IReadOnlyList<string> args)
    {
        Server = server;
        Port = port;
        Process = process;
        Scratch = scratch;
        Args = args;
    }

    public PeerServer Server { get; }
    public int Port { get; }
    public ChildProcess Process { get; }
    public ScratchDirectory Scratch { get; }
    /// <summary>The server's own options as passed (without the dll path).</summary>
    public IReadOnlyList<string> Args { get; }

    /// <summary>Starts <paramref name="server"/> and waits until it answers PING; throws <see cref="PeerStartException"/> if it does not.</summary>
    public static async Task<RunningPeer> StartAsync(PeerServer server, ServerConfig config, CancellationToken ct)
    {
        var scratch = new ScratchDirectory(server.Name.ToLowerInvariant());
        ChildProcess? process = null;
        try
        {
            int port = ChildProcess.FreeLoopbackPort();
            IReadOnlyList<string> args = server.ServerArgs(port, config, scratch.Path);
            process = ChildProcess.Start(server.Name, server.FileName, server.LeadingArgs.Concat(args), scratch.Path);
            string? problem = await process.WaitForPingAsync(port, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            if (problem is not null)
                throw new PeerStartException(problem, process.OutputTail);
            return new RunningPeer(server, port, process, scratch, args);
        }
        catch
        {
            process?.Dispose();
            scratch.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Process.Dispose();
        Scratch.Dispose();
    }
}

/// <summary>A server that did not come up; <see cref="OutputTail"/> is what it printed.</summary>
public sealed class PeerStartException(string message, string outputTail) : Exception(message)
{
    public string OutputTail { get; } = outputTail;
}

using System.Globalization;
using Tiered.LoadGen.Cli;
using Tiered.LoadGen.Engine;
using Tiered.LoadGen.Results;

namespace Tiered.LoadGen.Peers;

/// <summary>
/// The <c>peers</c> subcommand: measures Tiered beside redis-server and Microsoft Garnet with identical workloads.
/// For each workload it starts every server as a child process (own loopback port, own scratch directory), loads
/// the data set into each, then runs the phases round by round, alternating servers (A B C A B C) so that a noisy
/// neighbour on the shared machine hits all of them alike, and reports medians. Every child is killed and every
/// scratch directory deleted at the end of each workload, and on Ctrl+C or an exception.
/// </summary>
public static class PeersCommand
{
    public const string Usage = """
        usage: Tiered.LoadGen peers [options]

        Starts Tiered, redis-server and Garnet (each on a free 127.0.0.1 port), runs the same workloads against each,
        alternating servers round by round, and prints a Markdown table of median throughput and p99 with the ratios
        Tiered/Redis and Tiered/Garnet.

          --servers LIST        comma-separated: tiered,redis,garnet (default all three)
          --workloads LIST      comma-separated: classic,zipf-fits,zipf-10x (default all three)
          --rounds N            rounds per workload (default 3)
          --duration D          measured time per phase (default: classic 4s per phase, zipf 8s)
          --warmup D            unmeasured time before each phase (default 1s)
          --clients N           connections (default 50)
          --scale F             multiply key counts and the memory budget (default 1; 0.1 for a quick try)
          --persistence P       none | aof (default none); aof = appendonly everysec for every server that has it,
                                and off for all when Tiered refuses it
          --seed N              random seed (default 1)
          --out FILE.md|DIR/    also write the report there, plus the same name with .json
                                (a directory gets peers-<date>.md)
        binaries (defaults relative to the repository root, the folder with Tiered.sln)
          --repo DIR            repository root (default: found upward from the current directory)
          --tiered-dll PATH     default src/Server/bin/Release/net10.0/tiered-server.dll
          --garnet-dll PATH     default benchmarks/GarnetHost/bin/Release/net10.0/garnet-host.dll
          --redis-server PATH   default redis-server on PATH
          --build               dotnet build -c Release the Tiered server and the Garnet host first
                                (without it they are built only when their dll is missing)
        """;

    private static readonly HashSet<string> Flags = ["build", "help"];

    public sealed record Settings
    {
        public IReadOnlyList<PeerKind> Servers { get; init; } = [PeerKind.Tiered, PeerKind.Redis, PeerKind.Garnet];
        public IReadOnlyList<string> Workloads { get; init; } = PeerWorkloads.Names;
        public int Rounds { get; init; } = 3;
        public bool Aof { get; init; }
        public PeerWorkloads.Options WorkloadOptions { get; init; } = new();
        public required PeerPaths Paths { get; init; }
        public string CommandLine { get; init; } = "";
    }

    public static async Task<int> ExecuteAsync(string[] args, CancellationToken ct)
    {
        var r = new ArgReader(args, Flags);
        if (r.Flag("help"))
        {
            Console.Out.Write(Usage);
            return 0;
        }
        Settings settings = Parse(r, args);
        string? outPath = r.Get("out");
        r.RejectUnknown();

        // SIGTERM (kill, a CI timeout) stops the run like Ctrl+C: children killed, scratch deleted, partial report.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        ct = stop.Token;
        PeersReport report = await RunAsync(settings, Console.Error, ct);
        string markdown = PeersMarkdown.Render(report);
        Console.Out.Write(markdown);
        if (outPath is not null)
        {
            string md = OutputPath(outPath, report.StartedUtc);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(md))!);
            await File.WriteAllTextAsync(md, markdown, CancellationToken.None);
            await File.WriteAllTextAsync(Path.ChangeExtension(md, ".json"), report.ToJson() + "\n", CancellationToken.None);
            Console.Error.WriteLine($"wrote {md} and {Path.ChangeExtension(md, ".json")}");
        }
        if (!report.Rows.SelectMany(row => row.Cells).Any(c => c.Rounds.Count > 0))
            return 3;
        bool clean = report.Rows.SelectMany(row => row.Cells).All(c => c.LostReplies == 0 && c.Note?.StartsWith("failed", StringComparison.Ordinal) != true);
        return clean && !ct.IsCancellationRequested ? 0 : 1;
    }

    public static Settings Parse(ArgReader r, string[] args)
    {
        var servers = r.Parse<IReadOnlyList<PeerKind>>("servers", [PeerKind.Tiered, PeerKind.Redis, PeerKind.Garnet], s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.ToLowerInvariant() switch
            {
                "tiered" => PeerKind.Tiered,
                "redis" => PeerKind.Redis,
                "garnet" => PeerKind.Garnet,
                _ => throw new FormatException($"unknown server '{n}' (tiered, redis, garnet)"),
            }).Distinct().ToList());
        var workloads = r.Parse<IReadOnlyList<string>>("workloads", PeerWorkloads.Names, s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => PeerWorkloads.Names.Contains(n) ? n : throw new FormatException($"unknown workload '{n}' ({string.Join(", ", PeerWorkloads.Names)})"))
            .Distinct().ToList());
        int rounds = (int)r.Parse("rounds", 3L, ArgReader.ParseCount);
        bool aof = r.Parse("persistence", false, s => s switch
        {
            "none" => false,
            "aof" => true,
            _ => throw new FormatException($"'{s}' is not none or aof"),
        });
        var d = new PeerWorkloads.Options();
        var options = d with
        {
            Duration = r.Parse<TimeSpan?>("duration", null, s => ArgReader.ParseDuration(s)),
            Warmup = r.Parse("warmup", d.Warmup, ArgReader.ParseDuration),
            Clients = (int)r.Parse("clients", (long)d.Clients, ArgReader.ParseCount),
            Scale = r.Parse("scale", d.Scale, ArgReader.ParseNumber),
            Seed = (ulong)r.Parse("seed", (long)d.Seed, ArgReader.ParseCount),
        };
        if (servers.Count == 0 || workloads.Count == 0)
            throw new UsageException("--servers and --workloads need at least one name");
        if (rounds < 1 || options.Clients < 1 || options.Scale <= 0 || options.Duration is { } dur && dur <= TimeSpan.Zero)
            throw new UsageException("--rounds, --clients, --scale and --duration must be positive");
        string? root = r.Get("repo") ?? PeerPaths.FindRoot();
        PeerPaths paths = PeerPaths.Defaults(root, r.Get("tiered-dll"), r.Get("garnet-dll"), r.Get("redis-server"), r.Flag("build"));
        return new Settings
        {
            Servers = servers,
            Workloads = workloads,
            Rounds = rounds,
            Aof = aof,
            WorkloadOptions = options,
            Paths = paths,
            CommandLine = "Tiered.LoadGen peers " + string.Join(' ', args.Select(Quote)),
        };
    }

    /// <summary>Shell-quotes one argument for the report's command line (plain when it is safe as is).</summary>
    public static string Quote(string a) => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_.,/:=%+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";

    private static string OutputPath(string outPath, DateTimeOffset started)
    {
        bool dir = outPath.EndsWith('/') || Directory.Exists(outPath);
        return dir ? Path.Combine(outPath, $"peers-{started:yyyy-MM-dd-HHmm}.md") : outPath;
    }

    /// <summary>Runs everything and returns the report; children and scratch directories are gone when it returns.</summary>
    public static async Task<PeersReport> RunAsync(Settings s, TextWriter log, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = new PeersReport
        {
            StartedUtc = DateTimeOffset.UtcNow,
            CommandLine = s.CommandLine,
            Machine = MachineFacts.Collect(),
            Rounds = s.Rounds,
            Servers = s.Servers.Select(k => k.ToString()).ToList(),
        };
        try
        {
            List<PeerServer> servers = await PeerServer.LocateAsync(s.Servers, s.Paths, log, ct);
            foreach (PeerServer srv in servers)
            {
                if (srv.Unavailable is not null)
                    report.Notes.Add($"{srv.Name} skipped: {srv.Unavailable}");
                else if (srv.Version.Length > 0)
                    report.Versions[srv.Name] = srv.Version;
            }
            bool aof = await DecidePersistenceAsync(s.Aof, servers, report, log, ct);
            foreach (string name in s.Workloads)
            {
                if (ct.IsCancellationRequested)
                    break;
                PeerWorkload workload = PeerWorkloads.Create(name, s.WorkloadOptions);
                await RunWorkloadAsync(workload, servers, aof, s.Rounds, report, log, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            ChildProcess.KillAll();
        }
        if (ct.IsCancellationRequested)
            report.Notes.Insert(0, "interrupted (Ctrl+C or SIGTERM): the figures are partial");
        report.WallSeconds = clock.Elapsed.TotalSeconds;
        return report;
    }

    private static async Task<bool> DecidePersistenceAsync(bool wanted, List<PeerServer> servers, PeersReport report, TextWriter log, CancellationToken ct)
    {
        const string offForAll = "redis-server --save '' --appendonly no; Garnet without --aof and no checkpoints; Tiered with no persistence";
        if (!wanted)
        {
            report.Persistence = "off for all servers (" + offForAll + ")";
            return false;
        }
        PeerServer? tiered = servers.FirstOrDefault(x => x.Kind == PeerKind.Tiered && x.Unavailable is null);
        if (tiered is not null)
        {
            try
            {
                using RunningPeer probe = await RunningPeer.StartAsync(tiered, new ServerConfig(null, Aof: true), ct);
            }
            catch (PeerStartException e)
            {
                string? refusal = e.OutputTail.Split('\n').FirstOrDefault(l => l.Contains("appendonly", StringComparison.Ordinal) || l.Contains("appendfsync", StringComparison.Ordinal));
                if (refusal is not null)
                {
                    log.WriteLine($"Tiered refuses the append-only log ({refusal.Trim()}): persistence is off for all servers");
                    report.Persistence = $"**off for all servers**: --persistence aof was asked, but Tiered refused it (`{refusal.Trim()}`), so no server logs writes (" + offForAll + ")";
                    return false;
                }
                report.Notes.Add($"Tiered did not start with --appendonly yes ({e.Message}); the others log writes");
            }
        }
        report.Persistence = "append-only log, fsync every second, for all servers: redis-server --appendonly yes --appendfsync everysec; " +
                             "Garnet --aof --aof-commit-freq 1000; Tiered --appendonly yes --appendfsync everysec";
        return true;
    }

    private static async Task RunWorkloadAsync(PeerWorkload workload, List<PeerServer> servers, bool aof, int rounds, PeersReport report, TextWriter log, CancellationToken ct)
    {
        var info = new WorkloadInfo { Name = workload.Name, Description = workload.Description };
        report.Workloads.Add(info);
        var rows = workload.Phases.Select(p => new PeerRow
        {
            Workload = workload.Name,
            Phase = p.Label,
            Cells = servers.Select(x => new PeerCell { Server = x.Name, Note = x.Unavailable is null ? null : "skipped" }).ToList(),
        }).ToList();
        report.Rows.AddRange(rows);
        void MarkAll(string server, string note)
        {
            foreach (PeerRow row in rows)
                row.Cell(server)!.Note ??= note;
        }

        var running = new List<RunningPeer>();
        try
        {
            foreach (PeerServer server in servers.Where(x => x.Unavailable is null))
            {
                if (workload.NeedsDiskTier && server.Kind == PeerKind.Redis)
                {
                    MarkAll(server.Name, string.Create(CultureInfo.InvariantCulture,
                        $"cannot hold (needs ≈{workload.DatasetBytes / 1e9:0.0} GB DRAM)"));
                    continue;
                }
                RunningPeer? peer = await StartAndLoadAsync(server, workload, aof, report, info, log, MarkAll, ct);
                if (peer is not null)
                    running.Add(peer);
            }
            for (int round = 1; round <= rounds && !ct.IsCancellationRequested; round++)
            {
                foreach (RunningPeer peer in running)
                {
                    foreach ((PeerPhase phase, PeerRow row) in workload.Phases.Zip(rows))
                    {
                        if (ct.IsCancellationRequested)
                            break;
                        PeerCell cell = row.Cell(peer.Server.Name)!;
                        if (peer.Process.HasExited)
                        {
                            cell.Note ??= $"failed: the server exited (code {peer.Process.ExitCode}) before round {round}";
                            continue;
                        }
                        try
                        {
                            var runner = new Runner(new Endpoint("127.0.0.1", peer.Port), log, progress: false);
                            RunResult result = await runner.RunAsync(phase.Workload, ct);
                            PeerMeasurement m = Measure(result, round);
                            cell.Rounds.Add(m);
                            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"[{workload.Name}] round {round}/{rounds} {peer.Server.Name,-6} {phase.Label,-8} {m.OpsPerSecond,10:N0} ops/s  p99 {m.P99Us,8:N0} µs  errors {m.ErrorReplies:N0}"));
                        }
                        catch (IOException e)
                        {
                            cell.Note ??= $"failed in round {round}: {e.Message}";
                            log.WriteLine($"[{workload.Name}] round {round} {peer.Server.Name}: {e.Message}");
                            if (peer.Process.HasExited)
                                report.Notes.Add($"{peer.Server.Name} exited during {workload.Name} (code {peer.Process.ExitCode}); its last output: {Flatten(peer.Process.OutputTail)}");
                        }
                    }
                }
            }
        }
        finally
        {
            foreach (RunningPeer peer in running)
                peer.Dispose();
        }
    }

    private static async Task<RunningPeer?> StartAndLoadAsync(PeerServer server, PeerWorkload workload, bool aof, PeersReport report, WorkloadInfo info,
        TextWriter log, Action<string, string> markAll, CancellationToken ct)
    {
        RunningPeer peer;
        try
        {
            peer = await RunningPeer.StartAsync(server, workload.ConfigFor(aof), ct);
        }
        catch (PeerStartException e)
        {
            markAll(server.Name, "failed to start");
            report.Notes.Add($"{server.Name} did not start for {workload.Name}: {e.Message}; its last output: {Flatten(e.OutputTail)}");
            return null;
        }
        info.ServerArgs[server.Name] = string.Join(' ', peer.Args.Select(a => a == peer.Scratch.Path ? "<tmp>" : a.Length == 0 ? "''" : a));
        try
        {
            var runner = new Runner(new Endpoint("127.0.0.1", peer.Port), log, progress: false);
            Dictionary<string, string>? serverInfo = await runner.TryInfoAsync(ct);
            RecordVersion(server, serverInfo, report);
            if (workload.Load is { } load)
            {
                log.WriteLine($"[{workload.Name}] loading {load.Keys:N0} keys into {server.Name}...");
                LoadPhaseResult l = await runner.LoadAsync(load, ct);
                report.Loads.Add(new LoadInfo
                {
                    Workload = workload.Name, Server = server.Name, Keys = l.Keys, Seconds = l.Seconds,
                    OpsPerSecond = l.OpsPerSecond, ErrorReplies = l.ErrorReplies,
                });
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{workload.Name}] loaded {server.Name}: {l.Seconds:F1} s, {l.OpsPerSecond:N0} SET/s, {l.ErrorReplies:N0} error replies"));
            }
            return peer;
        }
        catch (IOException e)
        {
            markAll(server.Name, $"failed: {e.Message}");
            report.Notes.Add($"{server.Name} failed while loading {workload.Name}: {e.Message}" +
                             (peer.Process.HasExited ? $"; it exited with code {peer.Process.ExitCode}; last output: {Flatten(peer.Process.OutputTail)}" : ""));
            peer.Dispose();
            return null;
        }
    }

    private static void RecordVersion(PeerServer server, Dictionary<string, string>? info, PeersReport report)
    {
        if (info is null)
            return;
        string? v = server.Kind switch
        {
            PeerKind.Tiered => info.GetValueOrDefault("tiered_version") is { } t
                ? $"Tiered {t} (INFO tiered_version; {server.LeadingArgs[0]}, built {File.GetLastWriteTimeUtc(server.LeadingArgs[0]):yyyy-MM-dd HH:mm} UTC)"
                : null,
            PeerKind.Garnet => info.GetValueOrDefault("garnet_version") is { } g ? $"{server.Version}; INFO garnet_version {g}" : null,
            _ => null,
        };
        if (v is not null)
            report.Versions[server.Name] = v;
    }

    private static PeerMeasurement Measure(RunResult r, int round) => new()
    {
        Round = round,
        OpsPerSecond = r.OpsPerSecond,
        P99Us = r.Operations.TryGetValue("ALL", out OpStats? all) ? all.P99Us : 0,
        Requests = r.Requests,
        Replies = r.Replies,
        ErrorReplies = r.ErrorReplies,
        Errors = new Dictionary<string, long>(r.Errors),
        Gets = r.Operations.TryGetValue("GET", out OpStats? get) ? get.Count : 0,
        GetMisses = get?.Misses ?? 0,
        ConnectionFailures = r.ConnectionFailures,
        HotHitRatio = r.HotHitRatio,
    };

    private static string Flatten(string tail)
    {
        string t = string.Join(" | ", tail.Split('\n').Where(l => l.Trim().Length > 0).TakeLast(6));
        return t.Length == 0 ? "(nothing)" : t;
    }
}

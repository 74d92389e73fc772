using System.Globalization;
using Tiered.LoadGen.Cli;
using Tiered.LoadGen.Engine;
using Tiered.LoadGen.Keys;
using Tiered.LoadGen.Peers;
using Tiered.LoadGen.Resp;
using Tiered.LoadGen.Results;

namespace Tiered.LoadGen.Cost;

// Why this file: the `cost` subcommand turns a workload into dollars. It measures Tiered once per setup (all in
// DRAM, then tiered at each DRAM budget), each time in a fresh server process so no setup inherits another's heap
// or SSD log, and then prices every setup with the node table (CostReport.Price). It owns no measuring logic of its
// own: the server is started and killed by the peers code (PeerServer, RunningPeer: free loopback port, scratch
// directory deleted afterwards), the load, warm-up, measured phase, histogram and INFO delta are Runner's, and the
// option parsing is RunCommand's. What it adds is the sequence and the INFO gauges (memory, tier fields) that a
// delta does not give:
//
//   for each budget:  start server ─ INFO (idle) ─ load all keys ─ warm up ─ measure (INFO delta) ─ INFO (after) ─ kill
//   then:             price every setup at every (--scale-to size, --target-ops rate) ─ report.md, results.json, chart.svg in --out
//
// The sizes and rates only enter the pricing: one measurement per setup prices all of them.

/// <summary>The <c>cost</c> subcommand: measure Tiered at several DRAM budgets and price each setup.</summary>
public static class CostCommand
{
    public const string Usage = """
        usage: Tiered.LoadGen cost [options]

        Starts Tiered once per setup (all in DRAM, then tiered at each DRAM budget with --ssd-path), loads the keys,
        measures throughput, p99, hot hit ratio, DRAM and SSD bytes, and prices each setup with ElastiCache node
        prices at every --scale-to size and every --target-ops rate (all from the same measurements). Writes
        report.md, results.json and chart.svg to --out.

        workload (per setup)
          --keys N              keys (default 200000)
          --value-size S        bytes per value, fixed or MIN-MAX (default 1024); values are half random
          --dist D              zipf:0.99 | uniform | hotspot:90/10 (also hotspot:90:10) (default zipf:0.99)
          --read-ratio F        fraction of GETs, the rest SETs (default 0.9)
          --clients N           connections (default 50)
          --pipeline P          requests per batch (default 1)
          --duration D          measured time per setup (default 10s)
          --requests N          instead of --duration: measured requests per setup
          --warmup D            unmeasured time before measuring (default 2s)
          --seed N              random seed (default 1)
        setups and pricing
          --budgets LIST        DRAM budgets in percent of the logical dataset (default 100,50,20,10); 100 runs
                                all in DRAM (no --maxmemory, no --ssd-path), below 100 the server gets
                                --maxmemory <budget> --ssd-path <tmp>
          --target-ops LIST     ops/s the deployment must sustain, one or more, comma-separated (default 100k,1m)
          --scale-to LIST       logical dataset sizes to price, one or more, comma-separated (default
                                10gb,100gb,1tb; Redis units: gb = 2^30, tb = 2^40, g = 10^9, t = 10^12)
          --headroom F          share of node memory and SSD kept free (default 0.25)
          --rate-model M        vcpu: a node does measured ops/s / local cores * its vCPUs (default);
                                node: every node does the measured ops/s
          --prices FILE         price table CSV (default data/elasticache-r6g-us-east-1.csv)
          --out DIR             output folder (default benchmarks/results/cost-<UTC timestamp>)
        server
          --repo DIR            repository root (default: found upward from the current directory)
          --tiered-dll PATH     default src/Server/bin/Release/net10.0/tiered-server.dll
          --build               dotnet build -c Release the server first (else only when the dll is missing)
          --progress / --no-progress   live progress line on stderr (default: when stderr is a terminal)
        """;

    /// <summary>INFO fields of the Tiering section reported after each run, in this order ("n/a" when absent).</summary>
    public static readonly string[] TieringFields =
    [
        "used_memory", "used_memory_rss", "used_memory_dataset",
        "tiering_enabled", "tier_hot_keys", "tier_cold_keys", "tier_hot_bytes", "tier_cold_logical_bytes",
        "tier_cold_stored_bytes", "tier_compression_ratio", "tier_hot_hits", "tier_cold_hits", "tier_misses",
        "tier_hot_hit_ratio", "tier_promotions", "tier_demotions", "tier_ssd_read_items", "tier_ssd_read_bytes",
        "tier_ssd_write_items", "tier_ssd_write_bytes", "tier_ssd_log_bytes", "tier_compactions",
    ];

    private static readonly HashSet<string> Flags = ["build", "help", "progress", "no-progress"];

    public sealed record Settings
    {
        public required Workload Workload { get; init; }
        public IReadOnlyList<int> Budgets { get; init; } = [100, 50, 20, 10];
        /// <summary>Every target rate to price, in the given order.</summary>
        public IReadOnlyList<double> TargetRates { get; init; } = DefaultRates;
        /// <summary>Every logical dataset size to price, in bytes, in the given order.</summary>
        public IReadOnlyList<double> ScaleToSizes { get; init; } = DefaultSizes;
        public PricingAssumptions Pricing { get; init; } = new();
        public string PricesPath { get; init; } = "";
        public string OutDir { get; init; } = "";
        public required PeerPaths Paths { get; init; }
        public bool Progress { get; init; }
        public string CommandLine { get; init; } = "";
    }

    /// <summary>Default --scale-to: 10 GiB, 100 GiB and 1 TiB.</summary>
    public static IReadOnlyList<double> DefaultSizes { get; } = [10.0 * (1L << 30), 100.0 * (1L << 30), 1.0 * (1L << 40)];

    /// <summary>Default --target-ops: 100k and 1M ops/s.</summary>
    public static IReadOnlyList<double> DefaultRates { get; } = [100_000, 1_000_000];

    /// <summary>The cost run's workload defaults: 200,000 keys of 1 KB, Zipf 0.99, 90 % GET, 10 s per setup after 2 s warm-up.</summary>
    public static Workload DefaultWorkload { get; } = new()
    {
        Keys = 200_000,
        ValueSize = new ValueSize(1024, 1024),
        Distribution = KeyDistribution.Parse("zipf:0.99"),
        Reads = 0.9,
        Duration = TimeSpan.FromSeconds(10),
        Warmup = TimeSpan.FromSeconds(2),
    };

    public static async Task<int> ExecuteAsync(string[] args, CancellationToken ct)
    {
        var reader = new ArgReader(args, Flags);
        if (reader.Flag("help"))
        {
            Console.Out.Write(Usage);
            return 0;
        }
        Settings s = Parse(reader, args, DateTimeOffset.UtcNow);
        reader.RejectUnknown();
        PriceTable prices;
        try
        {
            prices = PriceTable.Load(s.PricesPath);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            throw new UsageException($"--prices {s.PricesPath}: {e.Message}");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        CostReport report = await RunAsync(s, prices, Console.Error, stop.Token);
        (string md, string json, string svg) = await WriteAsync(report, s.OutDir);
        Console.Out.Write(CostMarkdown.Render(report));
        Console.Error.WriteLine($"wrote {md}, {json} and {svg}");

        if (report.Setups.All(x => x.Failure is not null || x.Replies == 0))
            return 3;
        bool clean = report.Setups.All(x => x.Failure is null && x.Requests == x.Replies);
        return clean && !stop.IsCancellationRequested ? 0 : 1;
    }

    /// <summary>Reads every cost option (not <see cref="ArgReader.RejectUnknown"/>); <paramref name="now"/> names the default output folder.</summary>
    public static Settings Parse(ArgReader r, string[] args, DateTimeOffset now)
    {
        Workload w = RunCommand.ParseWorkload(r, DefaultWorkload, readsOption: "read-ratio");
        if (w.Rate is not null)
            throw new UsageException("cost measures peak throughput (closed loop): --rate is not an option here; use --target-ops for the rate to price");
        w = w with { Load = true };
        IReadOnlyList<int> budgets = r.Parse<IReadOnlyList<int>>("budgets", [100, 50, 20, 10], ParseBudgets);
        IReadOnlyList<double> rates = r.Parse("target-ops", DefaultRates, ParseRates);
        IReadOnlyList<double> sizes = r.Parse("scale-to", DefaultSizes, ParseSizes);
        double headroom = r.Parse("headroom", 0.25, ArgReader.ParseNumber);
        RateModel model = r.Parse("rate-model", RateModel.PerVcpu, s => s.Trim().ToLowerInvariant() switch
        {
            "vcpu" or "per-vcpu" => RateModel.PerVcpu,
            "node" or "per-node" => RateModel.PerNode,
            _ => throw new FormatException($"'{s}' is not vcpu or node"),
        });
        if (!(headroom >= 0 && headroom < 1))
            throw new UsageException("--headroom must be at least 0 and below 1");
        string? root = r.Get("repo") ?? PeerPaths.FindRoot();
        string baseDir = root ?? Environment.CurrentDirectory;
        PeerPaths paths = PeerPaths.Defaults(root, r.Get("tiered-dll"), null, null, r.Flag("build"));
        bool progress = r.Flag("progress") || (!r.Flag("no-progress") && !Console.IsErrorRedirected);
        return new Settings
        {
            Workload = w,
            Budgets = budgets,
            TargetRates = rates,
            ScaleToSizes = sizes,
            Pricing = new PricingAssumptions { Headroom = headroom, RateModel = model },
            PricesPath = r.Get("prices") ?? Path.Combine(baseDir, "data", "elasticache-r6g-us-east-1.csv"),
            OutDir = r.Get("out") ?? Path.Combine(baseDir, "benchmarks", "results", $"cost-{now:yyyyMMdd-HHmmss}"),
            Paths = paths,
            Progress = progress,
            CommandLine = "Tiered.LoadGen cost " + string.Join(' ', args.Select(PeersCommand.Quote)),
        };
    }

    /// <summary>"100,50,20,10": distinct whole percentages in 1..100, kept in the given order.</summary>
    public static IReadOnlyList<int> ParseBudgets(string text)
    {
        var list = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string p = part.TrimEnd('%');
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 1 || v > 100)
                throw new FormatException($"bad budget '{part}': expected whole percentages from 1 to 100, e.g. 100,50,20,10");
            if (!list.Contains(v))
                list.Add(v);
        }
        if (list.Count == 0)
            throw new FormatException("no budgets given");
        return list;
    }

    /// <summary>"10gb,100gb,1tb": one or more <see cref="ParseBytes"/> sizes, distinct, kept in the given order.</summary>
    public static IReadOnlyList<double> ParseSizes(string text) => ParseList(text, ParseBytes, "sizes", "10gb,100gb,1tb");

    /// <summary>"100k,1m": one or more positive ops/s (<see cref="ArgReader.ParseNumber"/>: k = 10^3, m = 10^6), distinct, kept in the given order.</summary>
    public static IReadOnlyList<double> ParseRates(string text) => ParseList(text, s =>
    {
        double v = ArgReader.ParseNumber(s);
        return v > 0 ? v : throw new FormatException($"bad rate '{s}': must be positive");
    }, "rates", "100k,1m");

    private static List<double> ParseList(string text, Func<string, double> parse, string what, string example)
    {
        var list = new List<double>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            double v = parse(part);
            if (!list.Contains(v))
                list.Add(v);
        }
        if (list.Count == 0)
            throw new FormatException($"no {what} given (example: {example})");
        return list;
    }

    /// <summary>
    /// A byte size in Redis's units: plain bytes, k/m/g/t = powers of 1000, kb/mb/gb/tb (and kib/mib/gib/tib) =
    /// powers of 1024; case-insensitive; "10GB" is 10 GiB.
    /// </summary>
    public static double ParseBytes(string text)
    {
        string s = text.Trim().ToLowerInvariant();
        int i = 0;
        while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '.'))
            i++;
        string unit = s[i..].Trim();
        double mult = unit switch
        {
            "" or "b" => 1,
            "k" => 1e3,
            "m" => 1e6,
            "g" => 1e9,
            "t" => 1e12,
            "kb" or "kib" => 1024.0,
            "mb" or "mib" => 1024.0 * 1024,
            "gb" or "gib" => 1024.0 * 1024 * 1024,
            "tb" or "tib" => 1024.0 * 1024 * 1024 * 1024,
            _ => throw new FormatException($"bad size '{text}' (examples: 10gb, 512mb, 2000000000)"),
        };
        if (!double.TryParse(s[..i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || !double.IsFinite(v))
            throw new FormatException($"bad size '{text}' (examples: 10gb, 512mb, 2000000000)");
        return v * mult;
    }

    /// <summary>Describes the workload as the report shows it (logical bytes from the real key length).</summary>
    public static CostWorkload Describe(Workload w)
    {
        int keyBytes = new RequestWriter(w.KeyPrefix, w.Keys).KeyName(0).Length;
        double meanValue = (w.ValueSize.Min + w.ValueSize.Max) / 2.0;
        return new CostWorkload
        {
            Keys = w.Keys,
            KeyBytes = keyBytes,
            ValueSize = w.ValueBytes,
            MeanValueBytes = meanValue,
            Dist = w.Dist,
            Reads = w.Reads,
            Clients = w.Clients,
            Pipeline = w.Pipeline,
            Length = w.Requests is { } n ? string.Create(CultureInfo.InvariantCulture, $"{n:N0} requests") : string.Create(CultureInfo.InvariantCulture, $"{w.Duration.TotalSeconds:0.#} s"),
            WarmupSeconds = w.Warmup.TotalSeconds,
            Seed = w.Seed,
            LogicalBytes = w.Keys * (keyBytes + meanValue),
        };
    }

    /// <summary>The server configuration of one budget: no limit at 100 %, else the budget in bytes with the SSD tier on.</summary>
    public static ServerConfig ConfigFor(int budgetPercent, double logicalBytes) =>
        budgetPercent >= 100 ? new ServerConfig(null, Aof: false) : new ServerConfig((long)(logicalBytes * budgetPercent / 100.0), Aof: false);

    /// <summary>Measures every setup in turn, then prices them. Children and scratch directories are gone when it returns.</summary>
    public static async Task<CostReport> RunAsync(Settings s, PriceTable prices, TextWriter log, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = new CostReport
        {
            StartedUtc = DateTimeOffset.UtcNow,
            CommandLine = s.CommandLine,
            Machine = MachineFacts.Collect(),
            Workload = Describe(s.Workload),
            ScaleToBytes = s.ScaleToSizes[0],
            TargetOps = s.TargetRates[0],
            ScaleToSizes = [.. s.ScaleToSizes],
            TargetRates = [.. s.TargetRates],
            Pricing = new PricingInfo
            {
                PriceTable = Path.GetFileName(s.PricesPath),
                PriceListDate = prices.PriceListDate,
                Headroom = s.Pricing.Headroom,
                RateModel = s.Pricing.RateModel.ToString(),
                MeasuredCores = s.Pricing.MeasuredCores,
                MaxNodes = s.Pricing.MaxNodes,
            },
        };
        try
        {
            List<PeerServer> located = await PeerServer.LocateAsync([PeerKind.Tiered], s.Paths, log, ct);
            PeerServer server = located[0];
            if (server.Unavailable is not null)
            {
                report.Notes.Add($"Tiered could not be run: {server.Unavailable}");
            }
            else
            {
                foreach (int budget in s.Budgets)
                {
                    if (ct.IsCancellationRequested)
                        break;
                    report.Setups.Add(await MeasureSetupAsync(server, budget, s, report, log, ct));
                }
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
        report.Price(prices.Nodes, s.Pricing);
        report.WallSeconds = clock.Elapsed.TotalSeconds;
        return report;
    }

    private static async Task<CostSetup> MeasureSetupAsync(PeerServer server, int budget, Settings s, CostReport report, TextWriter log, CancellationToken ct)
    {
        ServerConfig config = ConfigFor(budget, report.Workload.LogicalBytes);
        var setup = new CostSetup
        {
            Name = budget >= 100 ? "all-DRAM" : string.Create(CultureInfo.InvariantCulture, $"tiered {budget}%"),
            BudgetPercent = budget,
            Tiered = budget < 100,
            MaxMemoryBytes = config.MemoryBudget is { } b ? PeerServer.Megabytes(b) * 1024 * 1024 : null,
        };
        RunningPeer peer;
        try
        {
            peer = await RunningPeer.StartAsync(server, config, ct);
        }
        catch (PeerStartException e)
        {
            setup.Failure = $"did not start: {e.Message}; last output: {e.OutputTail.ReplaceLineEndings(" | ")}";
            log.WriteLine($"[{setup.Name}] {setup.Failure}");
            return setup;
        }
        using (peer)
        {
            setup.ServerArgs = string.Join(' ', peer.Args.Select(a => a == peer.Scratch.Path ? "<tmp>" : a));
            var runner = new Runner(new Endpoint("127.0.0.1", peer.Port), log, s.Progress);
            try
            {
                Dictionary<string, string>? idle = await runner.TryInfoAsync(ct);
                setup.IdleUsedMemory = Gauge(idle, "used_memory");
                setup.IdleRss = Gauge(idle, "used_memory_rss");
                if (idle?.GetValueOrDefault("tiered_version") is { } v && report.ServerVersion.Length == 0)
                    report.ServerVersion = $"Tiered {v} ({server.LeadingArgs[0]}, built {File.GetLastWriteTimeUtc(server.LeadingArgs[0]):yyyy-MM-dd HH:mm} UTC)";

                log.WriteLine($"[{setup.Name}] {setup.ServerArgs}: loading {s.Workload.Keys:N0} keys, then measuring...");
                RunResult result = await runner.RunAsync(s.Workload, ct);
                Dictionary<string, string>? after = await runner.TryInfoAsync(ct);
                Record(setup, result, after);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{setup.Name}] {setup.OpsPerSecond:N0} ops/s  p99 {setup.P99Us:N0} µs  hot hit {CostMarkdown.Percent(setup.HotHitRatio)}  RSS {CostMarkdown.Bytes(setup.Rss)}  SSD log {CostMarkdown.Bytes(setup.SsdLogBytes)}  errors {setup.ErrorReplies:N0}"));
            }
            catch (IOException e)
            {
                setup.Failure = e.Message + (peer.Process.HasExited ? $"; the server exited with code {peer.Process.ExitCode}; last output: {peer.Process.OutputTail.ReplaceLineEndings(" | ")}" : "");
                log.WriteLine($"[{setup.Name}] failed: {setup.Failure}");
            }
        }
        return setup;
    }

    /// <summary>Copies a run's figures and the INFO gauges after it into <paramref name="setup"/>.</summary>
    public static void Record(CostSetup setup, RunResult result, IReadOnlyDictionary<string, string>? after)
    {
        if (result.LoadPhase is { } load)
        {
            setup.LoadSeconds = load.Seconds;
            setup.LoadOpsPerSecond = load.OpsPerSecond;
            setup.LoadErrors = load.ErrorReplies;
        }
        setup.MeasuredSeconds = result.MeasuredSeconds;
        setup.OpsPerSecond = result.OpsPerSecond;
        setup.Requests = result.Requests;
        setup.Replies = result.Replies;
        setup.ErrorReplies = result.ErrorReplies;
        setup.Errors = new Dictionary<string, long>(result.Errors);
        if (result.Operations.TryGetValue("ALL", out OpStats? all))
        {
            setup.P50Us = all.P50Us;
            setup.P99Us = all.P99Us;
        }
        if (result.Operations.TryGetValue("GET", out OpStats? get))
        {
            setup.Gets = get.Count;
            setup.GetMisses = get.Misses;
        }
        setup.HotHitRatio = result.HotHitRatio;
        setup.InfoDelta = new Dictionary<string, double>(result.ServerDelta);
        setup.UsedMemory = Gauge(after, "used_memory");
        setup.Rss = Gauge(after, "used_memory_rss");
        setup.SsdLogBytes = Gauge(after, "tier_ssd_log_bytes");
        setup.Tiering = TieringFields.ToDictionary(f => f, f => after?.GetValueOrDefault(f) ?? "n/a");
    }

    private static long? Gauge(IReadOnlyDictionary<string, string>? info, string field) =>
        info is not null && info.TryGetValue(field, out string? v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            ? (long)d
            : null;

    /// <summary>Writes report.md, results.json and chart.svg into <paramref name="dir"/> (created); returns their paths.</summary>
    public static async Task<(string Markdown, string Json, string Svg)> WriteAsync(CostReport report, string dir)
    {
        Directory.CreateDirectory(dir);
        string md = Path.Combine(dir, "report.md"), json = Path.Combine(dir, "results.json"), svg = Path.Combine(dir, "chart.svg");
        await File.WriteAllTextAsync(md, CostMarkdown.Render(report), CancellationToken.None);
        await File.WriteAllTextAsync(json, report.ToJson() + "\n", CancellationToken.None);
        await File.WriteAllTextAsync(svg, CostChart.Render(report), CancellationToken.None);
        return (md, json, svg);
    }
}

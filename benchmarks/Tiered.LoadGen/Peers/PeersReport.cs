using System.Globalization;
using System.Text;
using System.Text.Json;
using Tiered.LoadGen.Results;

namespace Tiered.LoadGen.Peers;

/// <summary>
/// The outcome of a <c>peers</c> run as plain data (serialised to JSON as-is) and its Markdown rendering: per
/// workload phase, the median over rounds of throughput and p99 per server, and the throughput ratios
/// Tiered/Redis and Tiered/Garnet. Everything needed to judge the numbers goes with them: machine, versions,
/// persistence, rounds, the exact command line, errors, misses and servers that could not run.
/// </summary>
public sealed class PeersReport
{
    public DateTimeOffset StartedUtc { get; set; }
    public double WallSeconds { get; set; }
    public string CommandLine { get; set; } = "";
    public MachineFacts Machine { get; set; } = new();
    /// <summary>Server name → version text.</summary>
    public Dictionary<string, string> Versions { get; set; } = [];
    /// <summary>One line: what persistence every server ran with, and why.</summary>
    public string Persistence { get; set; } = "";
    public int Rounds { get; set; }
    public List<string> Servers { get; set; } = [];
    public List<WorkloadInfo> Workloads { get; set; } = [];
    public List<PeerRow> Rows { get; set; } = [];
    public List<LoadInfo> Loads { get; set; } = [];
    public List<string> Notes { get; set; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, ResultWriter.JsonOptions);
}

public sealed class MachineFacts
{
    public int Cores { get; set; }
    public string Cpu { get; set; } = "";
    public string Memory { get; set; } = "";
    public string LoadAverageAtStart { get; set; } = "";
    public string Os { get; set; } = "";
    public string Runtime { get; set; } = "";

    public static MachineFacts Collect() => new()
    {
        Cores = Environment.ProcessorCount,
        Cpu = ReadField("/proc/cpuinfo", "model name") ?? "unknown",
        Memory = ReadField("/proc/meminfo", "MemTotal") is { } kb && long.TryParse(kb.Split(' ')[0], CultureInfo.InvariantCulture, out long k)
            ? (k / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " GB"
            : "unknown",
        LoadAverageAtStart = TryRead("/proc/loadavg")?.Split(' ').Take(3) is { } l ? string.Join(' ', l) : "unknown",
        Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
    };

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadField(string path, string field) =>
        TryRead(path)?.Split('\n')
            .Where(l => l.StartsWith(field, StringComparison.Ordinal) && l.Contains(':'))
            .Select(l => l[(l.IndexOf(':') + 1)..].Trim())
            .FirstOrDefault();
}

public sealed class WorkloadInfo
{
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    /// <summary>Server name → the options it was started with for this workload (scratch paths shown as &lt;tmp&gt;).</summary>
    public Dictionary<string, string> ServerArgs { get; set; } = [];
}

/// <summary>The load pass of one workload on one server (before round 1).</summary>
public sealed class LoadInfo
{
    public string Workload { get; set; } = "";
    public string Server { get; set; } = "";
    public long Keys { get; set; }
    public double Seconds { get; set; }
    public double OpsPerSecond { get; set; }
    public long ErrorReplies { get; set; }
}

/// <summary>One measured phase of one round on one server.</summary>
public sealed class PeerMeasurement
{
    public int Round { get; set; }
    public double OpsPerSecond { get; set; }
    public double P99Us { get; set; }
    public long Requests { get; set; }
    public long Replies { get; set; }
    public long ErrorReplies { get; set; }
    public Dictionary<string, long> Errors { get; set; } = [];
    public long Gets { get; set; }
    public long GetMisses { get; set; }
    public int ConnectionFailures { get; set; }
    /// <summary>Tiered only: share of reads served from DRAM (INFO tier_* deltas) during the phase.</summary>
    public double? HotHitRatio { get; set; }
}

/// <summary>One server's figures for one phase: its rounds and their medians, or why it has none.</summary>
public sealed class PeerCell
{
    public string Server { get; set; } = "";
    public List<PeerMeasurement> Rounds { get; set; } = [];
    /// <summary>Why there are no (or not all) figures: "cannot hold ...", "skipped: ...", "failed: ...".</summary>
    public string? Note { get; set; }

    /// <summary>Rounds that measured something: a round with no reply at all (a stalled server) is kept but not counted.</summary>
    private IEnumerable<PeerMeasurement> Counted => Rounds.Where(r => r.Replies > 0);
    public double? MedianOps => Counted.Any() ? PeerStats.Median(Counted.Select(r => r.OpsPerSecond)) : null;
    public double? MedianP99Us => Counted.Any() ? PeerStats.Median(Counted.Select(r => r.P99Us)) : null;
    public long ErrorReplies => Rounds.Sum(r => r.ErrorReplies);
    public long LostReplies => Rounds.Sum(r => r.Requests - r.Replies);
    public double? MissRatio => Rounds.Sum(r => r.Gets) is var g and > 0 ? (double)Rounds.Sum(r => r.GetMisses) / g : null;
}

public sealed class PeerRow
{
    public string Workload { get; set; } = "";
    public string Phase { get; set; } = "";
    public List<PeerCell> Cells { get; set; } = [];

    public PeerCell? Cell(string server) => Cells.FirstOrDefault(c => c.Server == server);

    public double? TieredOverRedis => PeerStats.Ratio(Cell("Tiered")?.MedianOps, Cell("Redis")?.MedianOps);
    public double? TieredOverGarnet => PeerStats.Ratio(Cell("Tiered")?.MedianOps, Cell("Garnet")?.MedianOps);
}

public static class PeerStats
{
    /// <summary>The middle value; the mean of the two middle values for an even count. Throws on an empty set.</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] v = values.Order().ToArray();
        if (v.Length == 0)
            throw new ArgumentException("median of nothing");
        int m = v.Length / 2;
        return v.Length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    /// <summary>a / b, or null when either is missing or b is not positive.</summary>
    public static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;
}

/// <summary>Markdown rendering of a <see cref="PeersReport"/>.</summary>
public static class PeersMarkdown
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(PeersReport r)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"# Tiered vs peers ({r.StartedUtc:yyyy-MM-dd HH:mm} UTC)\n\n");
        sb.Append(Inv, $"- command: `{r.CommandLine}`\n");
        sb.Append(Inv, $"- machine: {r.Machine.Cores} cores (nproc), CPU {r.Machine.Cpu}, {r.Machine.Memory} RAM, load average at start {r.Machine.LoadAverageAtStart}; ");
        sb.Append("a **shared 2-core machine** (other engineers build and test on it; the load generator runs on the same cores as the server): " +
                  "figures move 10-20 % or more from run to run, so compare only within one run.\n");
        sb.Append(Inv, $"- {r.Machine.Os}, {r.Machine.Runtime}\n");
        foreach ((string server, string version) in r.Versions)
            sb.Append(Inv, $"- {server}: {version}\n");
        sb.Append(Inv, $"- persistence: {r.Persistence}\n");
        sb.Append(Inv, $"- rounds: {r.Rounds}, servers alternating {string.Join(" ", Enumerable.Repeat(string.Join(" ", r.Servers), Math.Min(r.Rounds, 2)))}{(r.Rounds > 2 ? " ..." : "")}; ");
        sb.Append("each figure is the median over rounds; p99 in µs (GET and SET together); ratios are of median throughput.\n");
        sb.Append(Inv, $"- wall time: {r.WallSeconds:F0} s\n\n");

        var servers = r.Servers;
        sb.Append("| workload | phase |");
        foreach (string s in servers)
            sb.Append(Inv, $" {s} ops/s | {s} p99 µs |");
        bool vsRedis = servers.Contains("Tiered") && servers.Contains("Redis");
        bool vsGarnet = servers.Contains("Tiered") && servers.Contains("Garnet");
        if (vsRedis)
            sb.Append(" Tiered/Redis |");
        if (vsGarnet)
            sb.Append(" Tiered/Garnet |");
        sb.Append("\n|---|---|");
        foreach (string _ in servers)
            sb.Append("---:|---:|");
        if (vsRedis)
            sb.Append("---:|");
        if (vsGarnet)
            sb.Append("---:|");
        sb.Append('\n');

        foreach (PeerRow row in r.Rows)
        {
            sb.Append(Inv, $"| {row.Workload} | {row.Phase} |");
            foreach (string s in servers)
            {
                PeerCell? c = row.Cell(s);
                if (c?.MedianOps is { } ops)
                    sb.Append(Inv, $" {ops:N0}{(Flagged(c) ? " ⚠" : "")} | {c.MedianP99Us:N0} |");
                else
                    sb.Append(Inv, $" {c?.Note ?? "not run"} | – |");
            }
            if (vsRedis)
                sb.Append(Inv, $" {FormatRatio(row.TieredOverRedis)} |");
            if (vsGarnet)
                sb.Append(Inv, $" {FormatRatio(row.TieredOverGarnet)} |");
            sb.Append('\n');
        }

        if (r.Rows.SelectMany(row => row.Cells).Any(c => c.MedianOps is not null && Flagged(c)))
            sb.Append("\n⚠ = some requests got error replies or no reply, or a round failed: see the notes.\n");
        sb.Append("\n## Workloads\n\n");
        foreach (WorkloadInfo w in r.Workloads)
        {
            sb.Append(Inv, $"- **{w.Name}**: {w.Description}.\n");
            foreach ((string server, string args) in w.ServerArgs)
                sb.Append(Inv, $"  - {server}: `{args}`\n");
        }

        if (r.Loads.Count > 0)
        {
            sb.Append("\n## Load passes (before round 1)\n\n| workload | server | keys | seconds | SET/s | error replies |\n|---|---|---:|---:|---:|---:|\n");
            foreach (LoadInfo l in r.Loads)
                sb.Append(Inv, $"| {l.Workload} | {l.Server} | {l.Keys:N0} | {l.Seconds:F1} | {l.OpsPerSecond:N0} | {l.ErrorReplies:N0} |\n");
        }

        List<string> notes = [.. r.Notes, .. CellNotes(r)];
        if (notes.Count > 0)
        {
            sb.Append("\n## Notes\n\n");
            foreach (string n in notes)
                sb.Append("- ").Append(n).Append('\n');
        }
        return sb.ToString();
    }

    private static bool Flagged(PeerCell c) =>
        c.ErrorReplies > 0 || c.LostReplies > 0 || c.Note is not null || c.Rounds.Any(m => m.Replies == 0 || m.ConnectionFailures > 0);

    public static string FormatRatio(double? ratio) => ratio is { } x ? x.ToString("0.00", Inv) + "x" : "–";

    /// <summary>Errors, lost replies, GET misses and per-round failures, one line per cell that has any.</summary>
    private static IEnumerable<string> CellNotes(PeersReport r)
    {
        foreach (PeerRow row in r.Rows)
        {
            foreach (PeerCell c in row.Cells)
            {
                var parts = new List<string>();
                if (c.ErrorReplies > 0)
                {
                    var kinds = c.Rounds.SelectMany(m => m.Errors).GroupBy(kv => kv.Key)
                        .Select(g => string.Create(Inv, $"{g.Key} {g.Sum(kv => kv.Value):N0}"));
                    parts.Add(string.Create(Inv, $"{c.ErrorReplies:N0} error replies ({string.Join(", ", kinds)})"));
                }
                if (c.LostReplies > 0)
                    parts.Add(string.Create(Inv, $"{c.LostReplies:N0} requests without reply"));
                if (c.Rounds.Sum(m => m.ConnectionFailures) is var f and > 0)
                    parts.Add(string.Create(Inv, $"{f} connection failures"));
                if (c.MissRatio is { } miss && miss > 0)
                    parts.Add(string.Create(Inv, $"GET misses {miss:P2}"));
                if (c.Rounds.Where(m => m.Replies == 0).Select(m => m.Round).ToList() is { Count: > 0 } empty)
                    parts.Add($"no reply at all during the measured phase of round {string.Join(", ", empty)} (server stalled or unreachable; not counted in the median)");
                if (c.Rounds.Where(m => m.HotHitRatio is not null).Select(m => m.HotHitRatio!.Value).ToList() is { Count: > 0 } hot && row.Workload.Contains("10x", StringComparison.Ordinal))
                    parts.Add(string.Create(Inv, $"hot hit ratio (reads served from DRAM) {PeerStats.Median(hot):P1}"));
                if (c.Note is not null && c.Rounds.Count > 0)
                    parts.Add(c.Note);
                if (parts.Count > 0)
                    yield return $"{row.Workload} / {row.Phase} / {c.Server}: {string.Join("; ", parts)}" +
                                 (c.Rounds.Count > 0 ? string.Create(Inv, $" (over {c.Rounds.Count} rounds)") : "");
            }
        }
    }
}

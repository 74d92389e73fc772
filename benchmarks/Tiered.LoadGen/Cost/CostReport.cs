using System.Globalization;
using System.Text;
using System.Text.Json;
using Tiered.LoadGen.Peers;
using Tiered.LoadGen.Results;

namespace Tiered.LoadGen.Cost;

// Why this file: the cost run's result is plain data (serialised as-is to results.json) plus its Markdown
// rendering (report.md). The pricing step lives here too (Price), separate from measuring, so that it can be
// tested on made-up measurements and re-run on a results.json without touching a server.
//
// Scaling: the measured dataset is small (what this machine holds); the report prices --scale-to logical bytes.
// Memory that grows with the data is scaled, memory an idle server already has is not:
//
//   DRAM need = idle RSS + (RSS after the run - idle RSS) * scale      (used_memory when RSS is n/a)
//   SSD need  = tier_ssd_log_bytes * scale                              (estimated when the field is n/a, see notes)
//   scale     = --scale-to / measured logical bytes (keys * (key length + mean value length))

/// <summary>Everything a cost run measured and concluded.</summary>
public sealed class CostReport
{
    public DateTimeOffset StartedUtc { get; set; }
    public double WallSeconds { get; set; }
    public string CommandLine { get; set; } = "";
    public MachineFacts Machine { get; set; } = new();
    public string ServerVersion { get; set; } = "";
    public CostWorkload Workload { get; set; } = new();
    /// <summary>Logical dataset size the report prices.</summary>
    public double ScaleToBytes { get; set; }
    public double ScaleFactor => Workload.LogicalBytes > 0 ? ScaleToBytes / Workload.LogicalBytes : 0;
    public double TargetOps { get; set; }
    public PricingInfo Pricing { get; set; } = new();
    public List<CostSetup> Setups { get; set; } = [];
    public List<string> Notes { get; set; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, ResultWriter.JsonOptions);

    /// <summary>Fills each setup's scaled needs, node choice and comparison with the all-in-DRAM setup.</summary>
    public void Price(IReadOnlyList<NodeType> nodes, PricingAssumptions a)
    {
        double scale = ScaleFactor;
        foreach (CostSetup s in Setups)
        {
            s.DramNeedBytes = null;
            s.SsdNeedBytes = null;
            s.SsdNeedEstimated = false;
            s.Choice = null;
            s.VsAllDramPercent = null;
            if (s.Failure is not null || s.OpsPerSecond <= 0)
                continue;
            long? measured = s.Rss ?? s.UsedMemory;
            long idle = (s.Rss is not null ? s.IdleRss : s.IdleUsedMemory) ?? 0;
            if (measured is not { } m)
                continue;
            s.DramNeedBytes = idle + Math.Max(0, m - idle) * scale;
            if (s.Tiered)
            {
                if (s.SsdLogBytes is { } ssd)
                {
                    s.SsdNeedBytes = ssd * scale;
                }
                else
                {
                    // No tier_ssd_log_bytes: assume the cold share of the data, uncompressed.
                    s.SsdNeedBytes = ScaleToBytes * (1 - s.BudgetPercent / 100.0);
                    s.SsdNeedEstimated = true;
                }
            }
            s.Choice = Cost.Pricing.Cheapest(nodes, new CapacityNeed(s.DramNeedBytes.Value, s.SsdNeedBytes ?? 0, TargetOps, s.OpsPerSecond, s.Tiered), a);
        }
        CostSetup? baseline = Setups.FirstOrDefault(x => !x.Tiered && x.Choice is not null && x.HeldData)
                              ?? Setups.FirstOrDefault(x => !x.Tiered && x.Choice is not null);
        foreach (CostSetup s in Setups)
        {
            if (baseline?.Choice is { } b && s.Choice is { } c && b.UsdPerMonth > 0)
                s.VsAllDramPercent = (c.UsdPerMonth - b.UsdPerMonth) / b.UsdPerMonth * 100;
        }
    }
}

public sealed class CostWorkload
{
    public long Keys { get; set; }
    public int KeyBytes { get; set; }
    public string ValueSize { get; set; } = "";
    public double MeanValueBytes { get; set; }
    public string Dist { get; set; } = "";
    public double Reads { get; set; }
    public int Clients { get; set; }
    public int Pipeline { get; set; }
    /// <summary>"10 s" or "100,000 requests", per setup.</summary>
    public string Length { get; set; } = "";
    public double WarmupSeconds { get; set; }
    public ulong Seed { get; set; }
    /// <summary>keys * (key length + mean value length): the bytes a user stores, before any overhead or compression.</summary>
    public double LogicalBytes { get; set; }
}

public sealed class PricingInfo
{
    public string PriceTable { get; set; } = "";
    public string PriceListDate { get; set; } = "";
    public double Headroom { get; set; }
    public string RateModel { get; set; } = "";
    public int MeasuredCores { get; set; }
    public int MaxNodes { get; set; }
    public double HoursPerMonth { get; set; } = PricingAssumptions.HoursPerMonth;
}

/// <summary>One server configuration: all-in-DRAM (100 %) or tiered at a DRAM budget.</summary>
public sealed class CostSetup
{
    public string Name { get; set; } = "";
    public int BudgetPercent { get; set; }
    public bool Tiered { get; set; }
    /// <summary>The --maxmemory given to the server; null: no limit.</summary>
    public long? MaxMemoryBytes { get; set; }
    public string ServerArgs { get; set; } = "";
    /// <summary>Why this setup has no figures (did not start, failed during load...).</summary>
    public string? Failure { get; set; }

    public double LoadSeconds { get; set; }
    public double LoadOpsPerSecond { get; set; }
    public long LoadErrors { get; set; }

    public double MeasuredSeconds { get; set; }
    public double OpsPerSecond { get; set; }
    public double P50Us { get; set; }
    public double P99Us { get; set; }
    public long Requests { get; set; }
    public long Replies { get; set; }
    public long ErrorReplies { get; set; }
    public Dictionary<string, long> Errors { get; set; } = [];
    public long Gets { get; set; }
    public long GetMisses { get; set; }
    public double? HotHitRatio { get; set; }

    public long? IdleUsedMemory { get; set; }
    public long? IdleRss { get; set; }
    public long? UsedMemory { get; set; }
    public long? Rss { get; set; }
    public long? SsdLogBytes { get; set; }
    /// <summary>Every Tiering field after the run, by name ("n/a" when the server lacks it).</summary>
    public Dictionary<string, string> Tiering { get; set; } = [];
    public Dictionary<string, double> InfoDelta { get; set; } = [];

    public double? DramNeedBytes { get; set; }
    public double? SsdNeedBytes { get; set; }
    public bool SsdNeedEstimated { get; set; }
    public NodeChoice? Choice { get; set; }
    public double? VsAllDramPercent { get; set; }

    /// <summary>
    /// Whether the server really held the dataset and served the mix: no write refused while loading and no error
    /// reply while measuring. A setup that does not is still priced, but its price is flagged as no valid deployment.
    /// </summary>
    public bool HeldData => Failure is null && LoadErrors == 0 && ErrorReplies == 0;
}

/// <summary>Markdown rendering of a <see cref="CostReport"/>.</summary>
public static class CostMarkdown
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string TableHeader =
        "| setup | DRAM budget | throughput ops/s | p99 ms | hot hit ratio | DRAM measured (RSS / used_memory) | SSD measured | DRAM need @ scale | SSD need @ scale | nodes | $/month | vs all-DRAM |";

    public static string Render(CostReport r)
    {
        var sb = new StringBuilder();
        CostWorkload w = r.Workload;
        sb.Append(Inv, $"# Tiered cost comparison ({r.StartedUtc:yyyy-MM-dd HH:mm} UTC)\n\n");
        sb.Append(Inv, $"- command: `{r.CommandLine}`\n");
        sb.Append(Inv, $"- machine: {r.Machine.Cores} cores (nproc), CPU {r.Machine.Cpu}, {r.Machine.Memory} RAM, load average at start {r.Machine.LoadAverageAtStart}; ");
        sb.Append("a **shared 2-core machine** (other engineers build and test on it; the load generator runs on the same cores as the server): " +
                  "throughput and latency move 10-20 % or more from run to run.\n");
        sb.Append(Inv, $"- {r.Machine.Os}, {r.Machine.Runtime}; server: {(r.ServerVersion.Length > 0 ? r.ServerVersion : "n/a")}\n");
        sb.Append(Inv, $"- workload: {w.Keys:N0} keys of {w.KeyBytes} B, values {w.ValueSize} B (half random, half text), {w.Dist}, {w.Reads:P0} GET / {1 - w.Reads:P0} SET, " +
                       $"{w.Clients} clients, pipeline {w.Pipeline}, {w.Length} measured per setup after {w.WarmupSeconds:0.#} s warm-up; every key loaded first; seed {w.Seed}\n");
        sb.Append(Inv, $"- **scaled**: the measured logical dataset is {Bytes(w.LogicalBytes)} ({w.Keys:N0} × ({w.KeyBytes} + {w.MeanValueBytes:0.#}) B); " +
                       $"the prices are for a **{Bytes(r.ScaleToBytes)}** logical dataset, {r.ScaleFactor:0.##}× the measured one: each setup's DRAM growth over its idle server " +
                       $"and its SSD bytes are scaled by that factor (the idle server's memory is counted once); throughput and latency are as measured.\n");
        sb.Append(Inv, $"- target rate: {r.TargetOps:N0} ops/s for the whole deployment\n");
        PricingInfo p = r.Pricing;
        string rate = p.RateModel == nameof(RateModel.PerNode)
            ? "every node serves the throughput measured here, whatever its size (pessimistic for big nodes)"
            : string.Create(Inv, $"a node serves the measured throughput ÷ {p.MeasuredCores} cores of this machine × its vCPUs (linear in cores: optimistic for big nodes, but the load generator shared the cores, which makes the measured rate low)");
        sb.Append(Inv, $"- pricing: {p.PriceTable} (price list {p.PriceListDate}); {p.Headroom:P0} of each node's memory and SSD left free as headroom; " +
                       $"{rate}; at most {p.MaxNodes} nodes; $/month = nodes × $/hour × {p.HoursPerMonth:0} h. All-in-DRAM setups may use any node type, tiered setups only data-tiering (SSD) types.\n\n");

        sb.Append(TableHeader).Append('\n');
        sb.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n");
        foreach (CostSetup s in r.Setups)
            sb.Append(Row(s)).Append('\n');

        sb.Append("\nChart: `chart.svg` (bars: $/month per setup; line: p99; labels: hot hit ratio).\n");

        sb.Append("\n## Setups\n\n");
        foreach (CostSetup s in r.Setups)
        {
            sb.Append(Inv, $"- **{s.Name}**: `{s.ServerArgs}`");
            if (s.Failure is not null)
            {
                sb.Append(Inv, $"; failed: {s.Failure}\n");
                continue;
            }
            sb.Append(Inv, $"; load {s.LoadSeconds:F1} s ({s.LoadOpsPerSecond:N0} SET/s, {s.LoadErrors:N0} error replies); measured {s.MeasuredSeconds:F1} s, " +
                           $"{s.Replies:N0} replies, p50 {Ms(s.P50Us)} ms");
            if (s.Choice is { } c)
                sb.Append(Inv, $"; {c.Count} × {c.NodeType} at ${c.UsdPerHour:0.###}/h, count set by {c.LimitedBy}");
            sb.Append('\n');
            sb.Append("  - INFO after: ").Append(string.Join(", ", s.Tiering.Select(kv => $"{kv.Key} {kv.Value}"))).Append('\n');
        }

        List<string> notes = [.. r.Notes, .. SetupNotes(r)];
        if (notes.Count > 0)
        {
            sb.Append("\n## Notes\n\n");
            foreach (string n in notes)
                sb.Append("- ").Append(n).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>One table row of <paramref name="s"/>.</summary>
    public static string Row(CostSetup s)
    {
        string budget = s.Tiered ? string.Create(Inv, $"{s.BudgetPercent} %") : "100 % (no limit)";
        if (s.Failure is not null)
            return $"| {s.Name} | {budget} | failed | – | – | – | – | – | – | – | – | – |";
        string dram = s.Rss is null && s.UsedMemory is null ? "n/a" : $"{Bytes(s.Rss)} / {Bytes(s.UsedMemory)}";
        string ssd = s.Tiered ? Bytes(s.SsdLogBytes) : "–";
        string ssdNeed = s.SsdNeedBytes is { } sn ? Bytes(sn) + (s.SsdNeedEstimated ? " (est.)" : "") : "–";
        string nodes = s.Choice is { } c ? string.Create(Inv, $"{c.Count} × {c.NodeType}") : "none fits";
        string cost = s.Choice is { } c2 ? string.Create(Inv, $"${c2.UsdPerMonth:N0}{(s.HeldData ? "" : " ⚠")}") : "–";
        string vs = s.VsAllDramPercent is { } v ? (s.Tiered ? string.Create(Inv, $"{v:+0;-0;0} %") : "baseline") : "–";
        string flag = s.ErrorReplies > 0 || s.Requests != s.Replies ? " ⚠" : "";
        return string.Create(Inv,
            $"| {s.Name} | {budget} | {s.OpsPerSecond:N0}{flag} | {Ms(s.P99Us)} | {Percent(s.HotHitRatio)} | {dram} | {ssd} | {(s.DramNeedBytes is { } d ? Bytes(d) : "–")} | {ssdNeed} | {nodes} | {cost} | {vs} |");
    }

    private static IEnumerable<string> SetupNotes(CostReport r)
    {
        foreach (CostSetup s in r.Setups.Where(x => x.Failure is null))
        {
            var parts = new List<string>();
            if (s.ErrorReplies > 0)
                parts.Add(string.Create(Inv, $"{s.ErrorReplies:N0} error replies ({string.Join(", ", s.Errors.Select(e => string.Create(Inv, $"{e.Key} {e.Value:N0}")))})"));
            if (s.LoadErrors > 0)
                parts.Add(string.Create(Inv, $"{s.LoadErrors:N0} error replies while loading (those keys are not stored)"));
            if (s.Requests != s.Replies)
                parts.Add(string.Create(Inv, $"{s.Requests - s.Replies:N0} requests without reply"));
            if (s.Gets > 0 && s.GetMisses > 0)
                parts.Add(string.Create(Inv, $"GET misses {(double)s.GetMisses / s.Gets:P2}"));
            if (!s.HeldData)
                parts.Add("**did not hold the dataset** (writes refused or error replies): its price is what the measured figures cost, not a valid deployment");
            if (s.SsdNeedEstimated)
                parts.Add("tier_ssd_log_bytes n/a: SSD need estimated as the cold share of the scaled dataset, uncompressed");
            if (s.Choice is null && s.OpsPerSecond > 0)
                parts.Add("no node type in the table holds it within the node limit");
            if (parts.Count > 0)
                yield return $"{s.Name}: {string.Join("; ", parts)}";
        }
        if (r.Setups.Any(x => x.ErrorReplies > 0 || x.Requests != x.Replies))
            yield return "⚠ on throughput = error replies or lost replies during the measured phase (the throughput counts error replies as replies); ⚠ on $/month = the setup did not hold the dataset.";
    }

    public static string Ms(double us) => (us / 1000).ToString(us >= 10_000 ? "0.0" : "0.00", Inv);

    public static string Percent(double? ratio) => ratio is { } x ? x.ToString("P1", Inv) : "n/a";

    public static string Bytes(double? bytes)
    {
        if (bytes is not { } b)
            return "n/a";
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        int u = 0;
        while (Math.Abs(b) >= 1024 && u < units.Length - 1)
        {
            b /= 1024;
            u++;
        }
        return u == 0 ? string.Create(Inv, $"{b:0} B") : string.Create(Inv, $"{b:0.##} {units[u]}");
    }
}

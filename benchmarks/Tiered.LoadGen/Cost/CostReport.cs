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
// Scaling: the measured dataset is small (what this machine holds); the report prices each --scale-to size.
// Memory that grows with the data is scaled, memory an idle server already has is not:
//
//   DRAM need = idle RSS + (RSS after the run - idle RSS) * scale      (used_memory when RSS is n/a)
//   SSD need  = tier_ssd_log_bytes * scale                              (estimated when the field is n/a, see notes)
//   scale     = priced size / measured logical bytes (keys * (key length + mean value length))
//
// Grid: one run prices every size of --scale-to at every rate of --target-ops from the same measurements, one
// CostCombination per (size, rate), sizes outermost, each with one CostCell per setup in setup order. The
// report-level ScaleToBytes / TargetOps and each setup's need and choice fields are those of the first size and
// rate: the single-size report had exactly these, so readers of older results.json files keep working.

/// <summary>Everything a cost run measured and concluded.</summary>
public sealed class CostReport
{
    public DateTimeOffset StartedUtc { get; set; }
    public double WallSeconds { get; set; }
    public string CommandLine { get; set; } = "";
    public MachineFacts Machine { get; set; } = new();
    public string ServerVersion { get; set; } = "";
    public CostWorkload Workload { get; set; } = new();
    /// <summary>The first logical dataset size priced (the one the per-setup need and choice fields are for).</summary>
    public double ScaleToBytes { get; set; }
    public double ScaleFactor => Workload.LogicalBytes > 0 ? ScaleToBytes / Workload.LogicalBytes : 0;
    /// <summary>The first target rate priced (the one the per-setup choice fields are for).</summary>
    public double TargetOps { get; set; }
    /// <summary>Every logical dataset size priced, in the given order; empty before <see cref="Price"/>: just <see cref="ScaleToBytes"/>.</summary>
    public List<double> ScaleToSizes { get; set; } = [];
    /// <summary>Every target rate priced, in the given order; empty before <see cref="Price"/>: just <see cref="TargetOps"/>.</summary>
    public List<double> TargetRates { get; set; } = [];
    public PricingInfo Pricing { get; set; } = new();
    public List<CostSetup> Setups { get; set; } = [];
    /// <summary>One entry per (size, rate), sizes outermost: every setup's price there and the cheapest setup.</summary>
    public List<CostCombination> Combinations { get; set; } = [];
    public List<string> Notes { get; set; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, ResultWriter.JsonOptions);

    /// <summary>
    /// Prices every setup at every (size, rate) into <see cref="Combinations"/>, and copies the first combination's
    /// needs, node choice and comparison with the all-in-DRAM setup into each setup.
    /// </summary>
    public void Price(IReadOnlyList<NodeType> nodes, PricingAssumptions a)
    {
        if (ScaleToSizes.Count == 0)
            ScaleToSizes = [ScaleToBytes];
        if (TargetRates.Count == 0)
            TargetRates = [TargetOps];
        ScaleToBytes = ScaleToSizes[0];
        TargetOps = TargetRates[0];
        Combinations = [];
        foreach (double size in ScaleToSizes)
        {
            foreach (double rate in TargetRates)
                Combinations.Add(PriceCombination(size, rate, nodes, a));
        }
        CostCombination first = Combinations[0];
        for (int i = 0; i < Setups.Count; i++)
        {
            CostSetup s = Setups[i];
            CostCell c = first.Cells[i];
            s.DramNeedBytes = c.DramNeedBytes;
            s.SsdNeedBytes = c.SsdNeedBytes;
            s.SsdNeedEstimated = c.SsdNeedEstimated;
            s.Choice = c.Choice;
            s.VsAllDramPercent = c.VsAllDramPercent;
        }
    }

    /// <summary>Every setup priced at <paramref name="sizeBytes"/> logical bytes and <paramref name="targetOps"/>, with the cheapest setup and the summary sentence.</summary>
    public CostCombination PriceCombination(double sizeBytes, double targetOps, IReadOnlyList<NodeType> nodes, PricingAssumptions a)
    {
        double scale = Workload.LogicalBytes > 0 ? sizeBytes / Workload.LogicalBytes : 0;
        var combo = new CostCombination
        {
            SizeBytes = sizeBytes,
            TargetOps = targetOps,
            ScaleFactor = scale,
            Label = CostMarkdown.CombinationLabel(sizeBytes, targetOps),
        };
        foreach (CostSetup s in Setups)
            combo.Cells.Add(PriceCell(s, sizeBytes, targetOps, scale, nodes, a));

        CostCell? baseline = combo.Cells.FirstOrDefault(x => !x.Tiered && x.Choice is not null && x.HeldData)
                             ?? combo.Cells.FirstOrDefault(x => !x.Tiered && x.Choice is not null);
        foreach (CostCell c in combo.Cells)
        {
            if (baseline?.Choice is { } b && c.Choice is { } mine && b.UsdPerMonth > 0)
                c.VsAllDramPercent = (mine.UsdPerMonth - b.UsdPerMonth) / b.UsdPerMonth * 100;
        }
        // The cheapest valid deployment: priced, and the setup held the dataset; the first in setup order on a tie.
        CostCell? cheapest = null;
        foreach (CostCell c in combo.Cells)
        {
            if (c.Choice is { } mine && c.HeldData && (cheapest is null || mine.UsdPerMonth < cheapest.Choice!.UsdPerMonth - 1e-9))
                cheapest = c;
        }
        combo.Cheapest = cheapest?.Setup;
        combo.CheapestVsAllDramPercent = cheapest?.VsAllDramPercent;
        combo.Summary = CostMarkdown.Summary(combo);
        return combo;
    }

    private static CostCell PriceCell(CostSetup s, double sizeBytes, double targetOps, double scale, IReadOnlyList<NodeType> nodes, PricingAssumptions a)
    {
        var cell = new CostCell { Setup = s.Name, Tiered = s.Tiered, HeldData = s.HeldData };
        if (s.Failure is not null || s.OpsPerSecond <= 0)
            return cell;
        long? measured = s.Rss ?? s.UsedMemory;
        long idle = (s.Rss is not null ? s.IdleRss : s.IdleUsedMemory) ?? 0;
        if (measured is not { } m)
            return cell;
        cell.DramNeedBytes = idle + Math.Max(0, m - idle) * scale;
        if (s.Tiered)
        {
            if (s.SsdLogBytes is { } ssd)
            {
                cell.SsdNeedBytes = ssd * scale;
            }
            else
            {
                // No tier_ssd_log_bytes: assume the cold share of the data, uncompressed.
                cell.SsdNeedBytes = sizeBytes * (1 - s.BudgetPercent / 100.0);
                cell.SsdNeedEstimated = true;
            }
        }
        var need = new CapacityNeed(cell.DramNeedBytes.Value, cell.SsdNeedBytes ?? 0, targetOps, s.OpsPerSecond, s.Tiered);
        cell.Choice = Cost.Pricing.Cheapest(nodes, need, a);
        if (cell.Choice is null)
            cell.NoConfiguration = Cost.Pricing.WhyNoConfiguration(nodes, need, a);
        return cell;
    }
}

/// <summary>One priced (logical dataset size, target rate) pair.</summary>
public sealed class CostCombination
{
    public double SizeBytes { get; set; }
    public double TargetOps { get; set; }
    /// <summary>SizeBytes / the measured logical bytes.</summary>
    public double ScaleFactor { get; set; }
    /// <summary>"10 GiB, 100k ops/s": the price table's column header and the chart's group.</summary>
    public string Label { get; set; } = "";
    /// <summary>One cell per setup, in setup order.</summary>
    public List<CostCell> Cells { get; set; } = [];
    /// <summary>Name of the cheapest setup that held the dataset; null when none has a price.</summary>
    public string? Cheapest { get; set; }
    /// <summary>The cheapest setup's $/month against all-DRAM's, in percent (negative: a saving).</summary>
    public double? CheapestVsAllDramPercent { get; set; }
    /// <summary>The report's sentence naming the cheapest setup and its saving or extra cost against all-DRAM.</summary>
    public string Summary { get; set; } = "";
}

/// <summary>One setup at one (size, rate): its scaled needs and the node choice, or why there is none.</summary>
public sealed class CostCell
{
    public string Setup { get; set; } = "";
    public bool Tiered { get; set; }
    /// <summary>The setup's <see cref="CostSetup.HeldData"/>: false flags the price as no valid deployment.</summary>
    public bool HeldData { get; set; }
    public double? DramNeedBytes { get; set; }
    public double? SsdNeedBytes { get; set; }
    public bool SsdNeedEstimated { get; set; }
    public NodeChoice? Choice { get; set; }
    public double? VsAllDramPercent { get; set; }
    /// <summary>When the setup was measured but no node type and count fits: why (the node limit, no SSD type...).</summary>
    public string? NoConfiguration { get; set; }
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
        List<double> sizes = r.ScaleToSizes.Count > 0 ? r.ScaleToSizes : [r.ScaleToBytes];
        List<double> rates = r.TargetRates.Count > 0 ? r.TargetRates : [r.TargetOps];
        string scaled = string.Join(", ", sizes.Select(x => string.Create(Inv, $"**{Bytes(x)}** ({Factor(w.LogicalBytes > 0 ? x / w.LogicalBytes : 0)}× the measured one)")));
        sb.Append(Inv, $"- **scaled**: the measured logical dataset is {Bytes(w.LogicalBytes)} ({w.Keys:N0} × ({w.KeyBytes} + {w.MeanValueBytes:0.#}) B); " +
                       $"the prices are for {(sizes.Count == 1 ? "a logical dataset of " : "logical datasets of ")}{scaled}: at each size, each setup's DRAM growth over its idle server " +
                       $"and its SSD bytes are scaled by that factor (the idle server's memory is counted once); throughput and latency are as measured.\n");
        sb.Append(Inv, $"- target {(rates.Count == 1 ? "rate" : "rates")}: {string.Join(", ", rates.Select(x => x.ToString("N0", Inv)))} ops/s for the whole deployment; every size is priced at every rate\n");
        PricingInfo p = r.Pricing;
        string rate = p.RateModel == nameof(RateModel.PerNode)
            ? "every node serves the throughput measured here, whatever its size (pessimistic for big nodes)"
            : string.Create(Inv, $"a node serves the measured throughput ÷ {p.MeasuredCores} cores of this machine × its vCPUs (linear in cores: optimistic for big nodes, but the load generator shared the cores, which makes the measured rate low)");
        sb.Append(Inv, $"- pricing: {p.PriceTable} (price list {p.PriceListDate}); {p.Headroom:P0} of each node's memory and SSD left free as headroom; " +
                       $"{rate}; at most {p.MaxNodes} nodes; $/month = nodes × $/hour × {p.HoursPerMonth:0} h. All-in-DRAM setups may use any node type, tiered setups only data-tiering (SSD) types.\n\n");

        sb.Append(Inv, $"Measured, one row per setup (the need, nodes, $/month and vs all-DRAM columns are for {FirstLabel(r)}; every size and rate is in the price table below):\n\n");
        sb.Append(TableHeader).Append('\n');
        sb.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n");
        foreach (CostSetup s in r.Setups)
            sb.Append(Row(s)).Append('\n');

        if (r.Combinations.Count > 0)
        {
            sb.Append("\nPrices: $/month (nodes) per setup for each logical dataset size and target rate; ⚠ = the setup did not hold the dataset:\n\n");
            sb.Append(PriceHeader(r)).Append('\n');
            sb.Append("|---|").Append(string.Concat(r.Combinations.Select(_ => "---:|"))).Append('\n');
            for (int i = 0; i < r.Setups.Count; i++)
                sb.Append(PriceRow(r, i)).Append('\n');
            sb.Append('\n');
            foreach (CostCombination c in r.Combinations)
                sb.Append("- ").Append(c.Summary).Append('\n');

            // Needs depend on the size only: take them from the first rate of each size.
            List<CostCombination> bySize = r.Combinations.DistinctBy(c => c.SizeBytes).ToList();
            sb.Append("\nDRAM / SSD need per setup at each size (what the node counts above hold, before headroom):\n\n");
            sb.Append("| setup |").Append(string.Concat(bySize.Select(c => $" {Bytes(c.SizeBytes)} |"))).Append('\n');
            sb.Append("|---|").Append(string.Concat(bySize.Select(_ => "---:|"))).Append('\n');
            for (int i = 0; i < r.Setups.Count; i++)
            {
                sb.Append("| ").Append(r.Setups[i].Name).Append(" |");
                foreach (CostCombination c in bySize)
                    sb.Append(' ').Append(NeedCell(c.Cells[i])).Append(" |");
                sb.Append('\n');
            }
        }

        sb.Append("\nChart: `chart.svg` (bars: $/month per setup, grouped by size and rate, log scale; legend: measured p99 and hot hit ratio per setup).\n");

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
            int index = r.Setups.IndexOf(s);
            var choices = new List<string>();
            foreach (CostCombination c in r.Combinations)
            {
                if (c.Cells[index].Choice is { } n)
                    choices.Add(string.Create(Inv, $"{c.Label}: {Nodes(n)} at ${n.UsdPerHour:0.###}/h, count set by {n.LimitedBy}"));
            }
            if (choices.Count > 0)
                sb.Append("; ").Append(string.Join("; ", choices));
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
            int index = r.Setups.IndexOf(s);
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
            List<string> none = r.Combinations.Where(c => c.Cells[index].NoConfiguration is not null)
                .Select(c => $"{c.Label} ({c.Cells[index].NoConfiguration})").ToList();
            if (none.Count > 0)
                parts.Add($"{NoConfiguration} at {string.Join(", ", none)}");
            if (parts.Count > 0)
                yield return $"{s.Name}: {string.Join("; ", parts)}";
        }
        if (r.Setups.Any(x => x.ErrorReplies > 0 || x.Requests != x.Replies))
            yield return "⚠ on throughput = error replies or lost replies during the measured phase (the throughput counts error replies as replies); ⚠ on $/month = the setup did not hold the dataset.";
    }

    /// <summary>The price table's header: the setup, then one column per combination.</summary>
    public static string PriceHeader(CostReport r) =>
        "| setup |" + string.Concat(r.Combinations.Select(c => $" {c.Label} |"));

    /// <summary>The price table's row of setup <paramref name="index"/>: one cell per combination.</summary>
    public static string PriceRow(CostReport r, int index) =>
        $"| {r.Setups[index].Name} |" + string.Concat(r.Combinations.Select(c => $" {Cell(r.Setups[index], c.Cells[index])} |"));

    /// <summary>
    /// One price cell: "$1,710 (3 × cache.r6gd.xlarge)" (⚠ when the setup did not hold the dataset), "failed",
    /// "no configuration (why)" when the model finds no node type and count, or "n/a" when nothing was measured.
    /// </summary>
    public static string Cell(CostSetup s, CostCell c)
    {
        if (s.Failure is not null)
            return "failed";
        if (c.Choice is { } n)
            return string.Create(Inv, $"${n.UsdPerMonth:N0} ({Nodes(n)}){(c.HeldData ? "" : " ⚠")}");
        return c.NoConfiguration is { } why ? $"{NoConfiguration} ({why})" : "n/a";
    }

    /// <summary>The cell text when the model finds no node type and count for a measured setup.</summary>
    public const string NoConfiguration = "no configuration";

    /// <summary>
    /// The sentence for one combination: the cheapest setup that held the dataset, its price and nodes, and its
    /// saving or extra cost against all-DRAM in percent (when all-DRAM is the cheapest: the cheapest tiered setup's).
    /// </summary>
    public static string Summary(CostCombination c)
    {
        string at = string.Create(Inv, $"At {Bytes(c.SizeBytes)} and {Ops(c.TargetOps)} ops/s");
        CostCell? cheapest = c.Cells.FirstOrDefault(x => x.Setup == c.Cheapest && x.Choice is not null && x.HeldData);
        if (cheapest?.Choice is not { } n)
            return $"{at}, no setup that held the dataset has a configuration.";
        CostCell? baseline = c.Cells.FirstOrDefault(x => !x.Tiered && x.Choice is not null && x.HeldData)
                             ?? c.Cells.FirstOrDefault(x => !x.Tiered && x.Choice is not null);
        string head = string.Create(Inv, $"{at}, the cheapest setup is {cheapest.Setup} at ${n.UsdPerMonth:N0}/month ({Nodes(n)})");
        if (baseline?.Choice is not { } b)
            return $"{head}; there is no all-DRAM price to compare it with.";
        if (ReferenceEquals(baseline, cheapest))
        {
            CostCell? tiered = null;
            foreach (CostCell x in c.Cells.Where(x => x.Tiered && x.Choice is not null && x.HeldData))
            {
                if (tiered is null || x.Choice!.UsdPerMonth < tiered.Choice!.UsdPerMonth - 1e-9)
                    tiered = x;
            }
            if (tiered is null || tiered.VsAllDramPercent is not { } tv)
                return $"{head}, the all-DRAM baseline; no tiered setup has a price to compare.";
            return string.Create(Inv, $"{head}, the all-DRAM baseline; the cheapest tiered setup, {tiered.Setup} (${tiered.Choice!.UsdPerMonth:N0}/month), costs {Difference(tv)}.");
        }
        string flag = baseline.HeldData ? "" : ", which did not hold the dataset";
        return string.Create(Inv, $"{head}, {Against(cheapest.VsAllDramPercent ?? 0)} all-DRAM (${b.UsdPerMonth:N0}/month{flag}).");
    }

    /// <summary>"56 % less", "92 % more" or "the same": a difference in percent as words (whole percent from 10 %).</summary>
    public static string Difference(double percent)
    {
        double abs = Math.Abs(percent);
        string v = abs.ToString(abs >= 9.95 ? "0" : "0.#", Inv);
        return v == "0" ? "the same" : percent < 0 ? $"{v} % less" : $"{v} % more";
    }

    /// <summary><see cref="Difference"/> before a comparand: "56 % less than", "the same as".</summary>
    public static string Against(double percent) => Difference(percent) is var d && d == "the same" ? "the same as" : d + " than";

    /// <summary>"10 GiB, 100k ops/s".</summary>
    public static string CombinationLabel(double sizeBytes, double targetOps) => $"{Bytes(sizeBytes)}, {Ops(targetOps)} ops/s";

    /// <summary>A rate in short form: 100k, 1M, 2.5M, 750.</summary>
    public static string Ops(double ops) =>
        ops >= 1e6 ? (ops / 1e6).ToString("0.###", Inv) + "M"
        : ops >= 1e3 ? (ops / 1e3).ToString("0.###", Inv) + "k"
        : ops.ToString("0.###", Inv);

    private static string Nodes(NodeChoice n) => string.Create(Inv, $"{n.Count} × {n.NodeType}");

    private static string NeedCell(CostCell c) =>
        c.DramNeedBytes is not { } d ? "–"
        : c.SsdNeedBytes is { } ssd ? $"{Bytes(d)} / {Bytes(ssd)}{(c.SsdNeedEstimated ? " (est.)" : "")}"
        : $"{Bytes(d)} / –";

    private static string FirstLabel(CostReport r) =>
        r.Combinations.Count > 0 ? r.Combinations[0].Label : CombinationLabel(r.ScaleToBytes, r.TargetOps);

    private static string Factor(double f) => f.ToString(f >= 100 ? "N0" : "0.##", Inv);

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

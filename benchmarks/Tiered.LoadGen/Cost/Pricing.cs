using System.Globalization;

namespace Tiered.LoadGen.Cost;

// Why this file: a benchmark number only becomes a decision once it is a price. The cost run measures each setup
// (all-in-DRAM, or tiered at a DRAM budget) on this machine, scales the measured bytes to the dataset the report
// prices, and asks: which ElastiCache node type, how many of them, holds that data and serves the target rate for
// the least money? The answer is a small exhaustive search: for every node type in the price table, the node count
// is the largest of three needs, and the cheapest (type, count) wins.
//
//   nodes(type) = max( ceil(DRAM need / (memory_gib * (1 - headroom))),
//                      ceil(SSD need  / (ssd_gib    * (1 - headroom))),     only types with an SSD, when SSD need > 0
//                      ceil(target ops/s / per-node ops/s),
//                      1 )
//   $/month     = nodes * usd_per_hour * 730
//
// Per-node ops/s comes from the measured throughput through one of two stated assumptions (RateModel): per vCPU
// (measured ops/s / cores of this machine * the node's vCPUs: a multi-threaded server scales with cores, which is
// optimistic for big nodes) or per node (every node does what this machine did, whatever its size: pessimistic).
// The report runs this search once per (setup, dataset size, target rate); when no type fits within MaxNodes the
// cell says "no configuration" with WhyNoConfiguration's reason instead of a price.

/// <summary>One row of the price table: an ElastiCache node type.</summary>
public sealed record NodeType(string Name, int Vcpu, double MemoryGib, double SsdGib, double UsdPerHour)
{
    public bool HasSsd => SsdGib > 0;
}

/// <summary>The node price table (CSV in data/), with the comment lines that say where the prices come from.</summary>
public sealed class PriceTable
{
    public const string Header = "node_type,vcpu,memory_gib,ssd_gib,usd_per_hour";

    public required IReadOnlyList<NodeType> Nodes { get; init; }

    /// <summary>The '#' comment lines at the top (source, price-list date, caveats), without the '#'.</summary>
    public required IReadOnlyList<string> Comments { get; init; }

    /// <summary>What follows "price_list_date:" in a comment line, or "unknown price-list date" when there is none.</summary>
    public string PriceListDate =>
        Comments.FirstOrDefault(c => c.StartsWith("price_list_date:", StringComparison.Ordinal)) is { } line
            ? line["price_list_date:".Length..].Trim()
            : "unknown price-list date";

    public static PriceTable Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses the CSV; throws <see cref="FormatException"/> naming the line on any malformed row.</summary>
    public static PriceTable Parse(string text, string source = "price table")
    {
        var nodes = new List<NodeType>();
        var comments = new List<string>();
        bool header = false;
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0)
                continue;
            if (line[0] == '#')
            {
                comments.Add(line[1..].Trim());
                continue;
            }
            if (!header)
            {
                if (line != Header)
                    throw new FormatException($"{source} line {i + 1}: expected the header '{Header}'");
                header = true;
                continue;
            }
            string[] f = line.Split(',');
            if (f.Length != 5
                || !int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int vcpu) || vcpu < 1
                || !TryNumber(f[2], out double mem) || mem <= 0
                || !TryNumber(f[3], out double ssd) || ssd < 0
                || !TryNumber(f[4], out double price) || price <= 0)
            {
                throw new FormatException($"{source} line {i + 1}: expected name,vcpu,memory_gib,ssd_gib,usd_per_hour with positive numbers: '{line}'");
            }
            nodes.Add(new NodeType(f[0].Trim(), vcpu, mem, ssd, price));
        }
        if (nodes.Count == 0)
            throw new FormatException($"{source}: no node rows");
        return new PriceTable { Nodes = nodes, Comments = comments };
    }

    private static bool TryNumber(string s, out double v) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v);
}

/// <summary>How a node's throughput is derived from the measured one.</summary>
public enum RateModel
{
    /// <summary>Measured ops/s divided by this machine's cores, times the node's vCPUs.</summary>
    PerVcpu,
    /// <summary>Every node serves the measured ops/s, whatever its size.</summary>
    PerNode,
}

/// <summary>The fixed assumptions of the pricing, all printed in the report.</summary>
public sealed record PricingAssumptions
{
    public const double HoursPerMonth = 730;
    public const double Gib = 1024.0 * 1024 * 1024;

    /// <summary>Share of a node's memory and SSD left free (ElastiCache reserves 25 % of memory by default).</summary>
    public double Headroom { get; init; } = 0.25;

    public RateModel RateModel { get; init; } = RateModel.PerVcpu;

    /// <summary>Cores of the machine that measured the throughput (server and load generator shared them).</summary>
    public int MeasuredCores { get; init; } = Environment.ProcessorCount;

    /// <summary>Most nodes in one deployment (ElastiCache cluster mode allows up to 500 nodes per cluster).</summary>
    public int MaxNodes { get; init; } = 500;
}

/// <summary>
/// What one setup needs at the priced dataset size. <paramref name="RequireSsd"/>: a tiered setup runs only on node
/// types with data tiering (an SSD), even when its measured SSD bytes are zero.
/// </summary>
public sealed record CapacityNeed(double DramBytes, double SsdBytes, double TargetOps, double MeasuredOps, bool RequireSsd = false);

/// <summary>The chosen deployment: node type, count and price.</summary>
public sealed record NodeChoice(string NodeType, int Count, double UsdPerHour, double UsdPerMonth, string LimitedBy);

public static class Pricing
{
    public static double MonthlyCost(int count, double usdPerHour) => count * usdPerHour * PricingAssumptions.HoursPerMonth;

    /// <summary>Ops/s one node of <paramref name="node"/> is assumed to serve.</summary>
    public static double NodeOps(NodeType node, double measuredOps, PricingAssumptions a) => a.RateModel switch
    {
        RateModel.PerNode => measuredOps,
        _ => measuredOps / Math.Max(1, a.MeasuredCores) * node.Vcpu,
    };

    /// <summary>
    /// Nodes of <paramref name="node"/> needed for <paramref name="need"/> and which need set the count, or null when
    /// the type cannot serve it (an SSD need on a node without SSD, no measured throughput, more than MaxNodes).
    /// </summary>
    public static (int Count, string LimitedBy)? NodesNeeded(NodeType node, CapacityNeed need, PricingAssumptions a)
    {
        if (UnlimitedCount(node, need, a) is not { } fit || fit.Count > a.MaxNodes)
            return null;
        return ((int)fit.Count, fit.LimitedBy);
    }

    /// <summary>
    /// The node count of <see cref="NodesNeeded"/> before the MaxNodes limit (a double: it may be far beyond int), or
    /// null when the type cannot serve the need at all (no SSD for an SSD need, no measured throughput).
    /// </summary>
    private static (double Count, string LimitedBy)? UnlimitedCount(NodeType node, CapacityNeed need, PricingAssumptions a)
    {
        if ((need.RequireSsd || need.SsdBytes > 0) && !node.HasSsd)
            return null;
        double nodeOps = NodeOps(node, need.MeasuredOps, a);
        if (!(nodeOps > 0))
            return null;
        double usable = 1 - a.Headroom;
        double byDram = Math.Ceiling(need.DramBytes / (node.MemoryGib * PricingAssumptions.Gib * usable));
        double bySsd = need.SsdBytes > 0 ? Math.Ceiling(need.SsdBytes / (node.SsdGib * PricingAssumptions.Gib * usable)) : 0;
        double byOps = Math.Ceiling(need.TargetOps / nodeOps);
        double count = Math.Max(1, Math.Max(byDram, Math.Max(bySsd, byOps)));
        if (!double.IsFinite(count))
            return null;
        string limit = count == byDram ? "DRAM" : count == bySsd ? "SSD" : count == byOps ? "ops/s" : "minimum";
        return (count, limit);
    }

    /// <summary>
    /// Why <see cref="Cheapest"/> found nothing for <paramref name="need"/>, as a phrase for the report: no measured
    /// throughput, no node type with an SSD for a tiered need, or the fewest nodes any type needs and the node limit.
    /// </summary>
    public static string WhyNoConfiguration(IEnumerable<NodeType> nodes, CapacityNeed need, PricingAssumptions a)
    {
        if (!(need.MeasuredOps > 0))
            return "no measured throughput";
        double? fewest = null;
        bool anyType = false;
        foreach (NodeType n in nodes)
        {
            if ((need.RequireSsd || need.SsdBytes > 0) && !n.HasSsd)
                continue;
            anyType = true;
            if (UnlimitedCount(n, need, a) is { } fit && (fewest is null || fit.Count < fewest))
                fewest = fit.Count;
        }
        if (!anyType)
            return "no node type with data tiering (SSD) in the price table";
        return fewest is { } f
            ? string.Create(CultureInfo.InvariantCulture, $"needs at least {f:N0} nodes, over the {a.MaxNodes:N0}-node limit")
            : "no node type can serve it";
    }

    /// <summary>
    /// The cheapest node type and count for <paramref name="need"/>: lowest $/month, then fewer nodes, then table
    /// order. Null when no type in the table can serve it.
    /// </summary>
    public static NodeChoice? Cheapest(IEnumerable<NodeType> nodes, CapacityNeed need, PricingAssumptions a)
    {
        NodeChoice? best = null;
        foreach (NodeType n in nodes)
        {
            if (NodesNeeded(n, need, a) is not { } fit)
                continue;
            double monthly = MonthlyCost(fit.Count, n.UsdPerHour);
            if (best is null || monthly < best.UsdPerMonth - 1e-9 || (Math.Abs(monthly - best.UsdPerMonth) <= 1e-9 && fit.Count < best.Count))
                best = new NodeChoice(n.Name, fit.Count, n.UsdPerHour, monthly, fit.LimitedBy);
        }
        return best;
    }
}

using System.Xml.Linq;
using Tiered.LoadGen.Cli;
using Tiered.LoadGen.Cost;
using Tiered.LoadGen.Peers;
using Tiered.LoadGen.Results;

namespace Tiered.LoadGen.Tests;

/// <summary>
/// The <c>cost</c> command without a server: the price table, the cheapest-node search and monthly cost, scaling
/// measured bytes to the priced dataset sizes, the grid of (size, rate) prices, the report's tables and sentences,
/// the SVG chart and option parsing.
/// </summary>
public class CostTests
{
    private const double Gib = 1024.0 * 1024 * 1024;

    private static readonly NodeType Large = new("cache.r6g.large", 2, 13.07, 0, 0.206);
    private static readonly NodeType XLarge = new("cache.r6g.xlarge", 4, 26.32, 0, 0.411);
    private static readonly NodeType X4Large = new("cache.r6g.4xlarge", 16, 105.81, 0, 1.642);
    private static readonly NodeType DXLarge = new("cache.r6gd.xlarge", 4, 26.32, 99.33, 0.781);
    private static readonly NodeType D2XLarge = new("cache.r6gd.2xlarge", 8, 52.82, 199.07, 1.562);
    private static readonly NodeType[] Table = [Large, XLarge, X4Large, DXLarge, D2XLarge];

    private static readonly PricingAssumptions PerNode = new() { Headroom = 0.25, RateModel = RateModel.PerNode, MeasuredCores = 2 };
    private static readonly PricingAssumptions PerVcpu = new() { Headroom = 0.25, RateModel = RateModel.PerVcpu, MeasuredCores = 2 };

    [Fact]
    public void Monthly_cost_is_nodes_times_hourly_price_times_730_hours()
    {
        Assert.Equal(3 * 0.411 * 730, Pricing.MonthlyCost(3, 0.411), 9);
        Assert.Equal(0, Pricing.MonthlyCost(0, 0.411));
    }

    [Fact]
    public void Node_count_is_set_by_whichever_of_DRAM_SSD_and_rate_needs_most_nodes()
    {
        // 13.07 GiB * 0.75 = 9.80 GiB usable: 25 GiB needs 3 nodes; 10k ops/s at 8k per node needs 2.
        Assert.Equal((3, "DRAM"), Pricing.NodesNeeded(Large, new CapacityNeed(25 * Gib, 0, 10_000, 8_000), PerNode));
        // 1 GiB fits one node, but 50k ops/s at 8k per node needs 7.
        Assert.Equal((7, "ops/s"), Pricing.NodesNeeded(Large, new CapacityNeed(1 * Gib, 0, 50_000, 8_000), PerNode));
        // 99.33 GiB SSD * 0.75 = 74.5 GiB usable: 200 GiB of SSD needs 3 nodes although DRAM fits in one.
        Assert.Equal((3, "SSD"), Pricing.NodesNeeded(DXLarge, new CapacityNeed(1 * Gib, 200 * Gib, 1_000, 8_000), PerNode));
        // Tiny needs still take one node.
        Assert.Equal(1, Pricing.NodesNeeded(XLarge, new CapacityNeed(1, 0, 1, 8_000), PerNode)!.Value.Count);
    }

    [Fact]
    public void Per_vcpu_rate_model_scales_the_measured_rate_by_the_nodes_vcpus_over_the_local_cores()
    {
        Assert.Equal(4_000 * 16, Pricing.NodeOps(X4Large, 8_000, PerVcpu));
        Assert.Equal(8_000, Pricing.NodeOps(X4Large, 8_000, PerNode));
        // 100k ops/s at 4k per vCPU: xlarge (16k) needs 7 nodes, 4xlarge (64k) needs 2.
        Assert.Equal(7, Pricing.NodesNeeded(XLarge, new CapacityNeed(1 * Gib, 0, 100_000, 8_000), PerVcpu)!.Value.Count);
        Assert.Equal(2, Pricing.NodesNeeded(X4Large, new CapacityNeed(1 * Gib, 0, 100_000, 8_000), PerVcpu)!.Value.Count);
    }

    [Fact]
    public void Cheapest_choice_is_the_lowest_monthly_cost_over_all_node_types()
    {
        // 60 GiB of DRAM, low rate: 7 x large ($1.442/h) beats 4 x xlarge ($1.644/h) and 1 x 4xlarge ($1.642/h).
        NodeChoice? c = Pricing.Cheapest(Table, new CapacityNeed(60 * Gib, 0, 1_000, 8_000), PerNode);
        Assert.NotNull(c);
        Assert.Equal("cache.r6g.large", c.NodeType);
        Assert.Equal(7, c.Count);
        Assert.Equal(7 * 0.206 * 730, c.UsdPerMonth, 9);

        // 70 GiB: large needs 8 ($1.648/h), xlarge 4 ($1.644/h), 4xlarge 1 ($1.642/h): the single big node wins.
        NodeChoice? big = Pricing.Cheapest(Table, new CapacityNeed(70 * Gib, 0, 1_000, 8_000), PerNode);
        Assert.Equal(("cache.r6g.4xlarge", 1), (big!.NodeType, big.Count));
    }

    [Fact]
    public void Tiered_needs_are_priced_only_on_node_types_with_an_SSD()
    {
        NodeChoice? c = Pricing.Cheapest(Table, new CapacityNeed(5 * Gib, 0, 1_000, 8_000, RequireSsd: true), PerNode);
        Assert.Equal(("cache.r6gd.xlarge", 1), (c!.NodeType, c.Count));
        Assert.Null(Pricing.NodesNeeded(XLarge, new CapacityNeed(5 * Gib, 10 * Gib, 1_000, 8_000), PerNode));
    }

    [Fact]
    public void No_choice_when_nothing_was_measured_or_the_need_exceeds_the_node_limit()
    {
        Assert.Null(Pricing.Cheapest(Table, new CapacityNeed(1 * Gib, 0, 1_000, 0), PerNode));
        var fewNodes = PerNode with { MaxNodes = 2 };
        Assert.Null(Pricing.Cheapest(Table, new CapacityNeed(1 * Gib, 0, 1_000_000, 8_000), fewNodes));
    }

    [Fact]
    public void Price_table_parses_rows_and_the_price_list_date_and_rejects_malformed_rows()
    {
        PriceTable t = PriceTable.Parse("""
            # source: test
            # price_list_date: 2025-06, remembered
            node_type,vcpu,memory_gib,ssd_gib,usd_per_hour
            cache.r6g.xlarge,4,26.32,0,0.411

            cache.r6gd.xlarge,4,26.32,99.33,0.781
            """);
        Assert.Equal([XLarge, DXLarge], t.Nodes);
        Assert.Equal("2025-06, remembered", t.PriceListDate);
        Assert.Throws<FormatException>(() => PriceTable.Parse("node_type,vcpu,memory_gib,ssd_gib,usd_per_hour\ncache.x,4,abc,0,1\n"));
        Assert.Throws<FormatException>(() => PriceTable.Parse("name,price\ncache.x,1\n"));
        Assert.Throws<FormatException>(() => PriceTable.Parse("# only a comment\nnode_type,vcpu,memory_gib,ssd_gib,usd_per_hour\n"));
    }

    [Fact]
    public void Shipped_price_table_has_the_issues_xlarge_prices_and_r6g_and_r6gd_sizes_up_to_16xlarge()
    {
        string root = PeerPaths.FindRoot() ?? throw new InvalidOperationException("repository root not found");
        PriceTable t = PriceTable.Load(Path.Combine(root, "data", "elasticache-r6g-us-east-1.csv"));
        Assert.Contains(new NodeType("cache.r6g.xlarge", 4, 26.32, 0, 0.411), t.Nodes);
        Assert.Contains(new NodeType("cache.r6gd.xlarge", 4, 26.32, 99.33, 0.781), t.Nodes);
        foreach (string size in new[] { "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge" })
            Assert.Contains(t.Nodes, n => n.Name == $"cache.r6g.{size}" && !n.HasSsd);
        foreach (string size in new[] { "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge" })
            Assert.Contains(t.Nodes, n => n.Name == $"cache.r6gd.{size}" && n.HasSsd);
        Assert.Contains("2025", t.PriceListDate);
        Assert.Contains(t.Comments, c => c.Contains("REMEMBERED", StringComparison.Ordinal));
    }

    private static CostReport SampleReport()
    {
        var r = new CostReport
        {
            CommandLine = "Tiered.LoadGen cost --keys 1000",
            Workload = new CostWorkload { Keys = 1000, KeyBytes = 7, ValueSize = "1017", MeanValueBytes = 1017, Dist = "zipf:0.99", Reads = 0.9, LogicalBytes = 1024L * 1024 * 1024 },
            ScaleToBytes = 10 * Gib,
            TargetOps = 10_000,
            Pricing = new PricingInfo { PriceTable = "test.csv", PriceListDate = "2025-06", Headroom = 0.25, RateModel = "PerNode", MeasuredCores = 2, MaxNodes = 500 },
            Setups =
            [
                new CostSetup { Name = "all-DRAM", BudgetPercent = 100, OpsPerSecond = 20_000, P99Us = 1500, Requests = 10, Replies = 10,
                                IdleRss = 100L << 20, Rss = (100L << 20) + (2L << 30), UsedMemory = 1L << 30 },
                new CostSetup { Name = "tiered 20%", BudgetPercent = 20, Tiered = true, OpsPerSecond = 15_000, P99Us = 2500, HotHitRatio = 0.873, Requests = 10, Replies = 10,
                                IdleRss = 100L << 20, Rss = (100L << 20) + (512L << 20), UsedMemory = 300L << 20, SsdLogBytes = 600L << 20 },
                new CostSetup { Name = "tiered 10%", BudgetPercent = 10, Tiered = true, Failure = "did not start" },
            ],
        };
        r.Price(Table, PerNode);
        return r;
    }

    [Fact]
    public void Pricing_a_report_scales_memory_growth_and_SSD_bytes_but_counts_the_idle_server_once()
    {
        CostReport r = SampleReport();
        Assert.Equal(10, r.ScaleFactor, 9);
        CostSetup dram = r.Setups[0], tiered = r.Setups[1];
        Assert.Equal((100L << 20) + 10 * (2.0 * Gib), dram.DramNeedBytes!.Value, 3);
        Assert.Null(dram.SsdNeedBytes);
        Assert.Equal(10 * (600.0 * (1 << 20)), tiered.SsdNeedBytes!.Value, 3);
        Assert.False(tiered.SsdNeedEstimated);
        Assert.StartsWith("cache.r6gd.", tiered.Choice!.NodeType);
        Assert.Equal("baseline", CostMarkdown.Row(dram).Split('|')[12].Trim());
        Assert.Equal((tiered.Choice.UsdPerMonth - dram.Choice!.UsdPerMonth) / dram.Choice.UsdPerMonth * 100, tiered.VsAllDramPercent!.Value, 9);
        Assert.Null(r.Setups[2].Choice);
    }

    [Fact]
    public void A_tiered_setup_without_the_ssd_log_field_gets_an_estimated_SSD_need_from_its_cold_share()
    {
        CostReport r = SampleReport();
        r.Setups[1].SsdLogBytes = null;
        r.Price(Table, PerNode);
        Assert.True(r.Setups[1].SsdNeedEstimated);
        Assert.Equal(10 * Gib * 0.8, r.Setups[1].SsdNeedBytes!.Value, 3);
        Assert.Contains("(est.)", CostMarkdown.Row(r.Setups[1]));
    }

    [Fact]
    public void Report_table_has_one_row_per_setup_with_budget_throughput_p99_hit_ratio_nodes_cost_and_comparison()
    {
        CostReport r = SampleReport();
        string md = CostMarkdown.Render(r);
        // The measured table: the rows between its header (and alignment line) and the next blank line.
        string[] rows = md.Split('\n').SkipWhile(l => l != CostMarkdown.TableHeader).Skip(2).TakeWhile(l => l.Length > 0).ToArray();
        Assert.Equal(3, rows.Length);

        NodeChoice dc = r.Setups[0].Choice!, tc = r.Setups[1].Choice!;
        string[] d = rows[0].Split('|').Select(c => c.Trim()).ToArray();
        Assert.Equal(["", "all-DRAM", "100 % (no limit)", "20,000", "1.50", "n/a", "2.1 GiB / 1 GiB", "–", "20.1 GiB", "–",
                      $"{dc.Count} × {dc.NodeType}", $"${dc.UsdPerMonth:N0}", "baseline", ""], d);
        string[] t = rows[1].Split('|').Select(c => c.Trim()).ToArray();
        Assert.Equal(["", "tiered 20%", "20 %", "15,000", "2.50", "87.3 %", "612 MiB / 300 MiB", "600 MiB", "5.1 GiB", "5.86 GiB",
                      $"{tc.Count} × {tc.NodeType}", $"${tc.UsdPerMonth:N0}", $"{r.Setups[1].VsAllDramPercent:+0;-0;0} %", ""], t);
        Assert.Contains("| tiered 10% | 10 % | failed |", rows[2]);
        Assert.Contains("**scaled**", md);
        Assert.Contains("**10 GiB**", md);
        Assert.Contains("25 %", md);
        Assert.Contains("730 h", md);
    }

    [Fact]
    public void A_setup_that_refused_writes_is_priced_but_flagged_as_not_holding_the_data()
    {
        CostReport r = SampleReport();
        r.Setups[1].LoadErrors = 42;
        r.Price(Table, PerNode);
        Assert.False(r.Setups[1].HeldData);
        Assert.EndsWith("⚠", CostMarkdown.Row(r.Setups[1]).Split('|')[11].Trim());
        Assert.Contains("did not hold the dataset", CostMarkdown.Render(r));
    }

    [Fact]
    public void Results_json_carries_setups_choices_and_the_scale()
    {
        string json = SampleReport().ToJson();
        Assert.Contains("\"scaleToBytes\": 10737418240", json);
        Assert.Contains("\"nodeType\": \"cache.r6gd.", json);
        Assert.Contains("\"hotHitRatio\": 0.873", json);
    }

    // A small fixed table and fixed measurements whose prices are worked out by hand below. Headroom 25 %: usable
    // memory 7.5 GiB (m.small, d.small) and 30 GiB (m.big), usable SSD 75 GiB; per vCPU over 2 measured cores.
    private static readonly NodeType MSmall = new("m.small", 2, 10, 0, 0.10);
    private static readonly NodeType MBig = new("m.big", 8, 40, 0, 0.50);
    private static readonly NodeType DSmall = new("d.small", 4, 10, 100, 0.30);
    private static readonly NodeType[] HandTable = [MSmall, MBig, DSmall];

    /// <summary>
    /// 1 GiB measured logically. all-DRAM: 20,000 ops/s (10,000 per core), idle RSS 512 MiB, +2 GiB after loading.
    /// tiered 20%: 16,000 ops/s (8,000 per core), idle RSS 512 MiB, +256 MiB, SSD log 900 MiB. Priced at 10 and 100
    /// GiB, 100k and 1M ops/s.
    /// </summary>
    private static CostReport HandReport(PricingAssumptions a)
    {
        var r = new CostReport
        {
            Workload = new CostWorkload { Keys = 1000, KeyBytes = 8, ValueSize = "1024", MeanValueBytes = 1024, Dist = "zipf:0.99", Reads = 0.9, LogicalBytes = 1 * Gib },
            ScaleToSizes = [10 * Gib, 100 * Gib],
            TargetRates = [100_000, 1_000_000],
            Pricing = new PricingInfo { PriceTable = "hand.csv", PriceListDate = "test", Headroom = 0.25, RateModel = "PerVcpu", MeasuredCores = 2, MaxNodes = a.MaxNodes },
            Setups =
            [
                new CostSetup { Name = "all-DRAM", BudgetPercent = 100, OpsPerSecond = 20_000, P99Us = 1500, HotHitRatio = 1, Requests = 10, Replies = 10,
                                IdleRss = 512L << 20, Rss = (512L << 20) + (2L << 30), UsedMemory = 2L << 30 },
                new CostSetup { Name = "tiered 20%", BudgetPercent = 20, Tiered = true, OpsPerSecond = 16_000, P99Us = 2500, HotHitRatio = 0.8, Requests = 10, Replies = 10,
                                IdleRss = 512L << 20, Rss = (512L << 20) + (256L << 20), UsedMemory = 256L << 20, SsdLogBytes = 900L << 20 },
            ],
        };
        r.Price(HandTable, a);
        return r;
    }

    [Fact]
    public void A_priced_cell_takes_the_cheapest_node_type_and_count_worked_out_by_hand()
    {
        CostReport r = HandReport(PerVcpu);
        Assert.Equal(["10 GiB, 100k ops/s", "10 GiB, 1M ops/s", "100 GiB, 100k ops/s", "100 GiB, 1M ops/s"], r.Combinations.Select(c => c.Label));
        CostCombination c = r.Combinations[2];
        Assert.Equal((100 * Gib, 100_000.0, 100.0), (c.SizeBytes, c.TargetOps, c.ScaleFactor));

        // all-DRAM at 100 GiB: 0.5 + 2 * 100 = 200.5 GiB of DRAM. m.small: ceil(200.5 / 7.5) = 27 nodes (rate: 100k /
        // 20k = 5), 27 * 0.10 * 730 = $1,971; m.big: ceil(200.5 / 30) = 7, $2,555; d.small: 27, $5,913.
        CostCell dram = c.Cells[0];
        Assert.Equal(0.5 * Gib + 200 * Gib, dram.DramNeedBytes!.Value, 3);
        Assert.Null(dram.SsdNeedBytes);
        Assert.Equal(("m.small", 27, "DRAM"), (dram.Choice!.NodeType, dram.Choice.Count, dram.Choice.LimitedBy));
        Assert.Equal(1971, dram.Choice.UsdPerMonth, 6);

        // tiered 20% at 100 GiB: 0.5 + 0.25 * 100 = 25.5 GiB of DRAM -> 4 d.small (3.4); SSD 87.9 GiB -> 2; rate
        // 100k / (8k * 4 vCPU) = 3.125 -> 4. 4 * 0.30 * 730 = $876, (876 - 1971) / 1971 = -55.6 % against all-DRAM.
        CostCell tiered = c.Cells[1];
        Assert.Equal(25.5 * Gib, tiered.DramNeedBytes!.Value, 3);
        Assert.Equal(100 * (900.0 * (1 << 20)), tiered.SsdNeedBytes!.Value, 3);
        Assert.Equal(("d.small", 4), (tiered.Choice!.NodeType, tiered.Choice.Count));
        Assert.Equal(876, tiered.Choice.UsdPerMonth, 6);
        Assert.Equal((876.0 - 1971) / 1971 * 100, tiered.VsAllDramPercent!.Value, 6);
        Assert.Equal("tiered 20%", c.Cheapest);
        Assert.Equal("$876 (4 × d.small)", CostMarkdown.Cell(r.Setups[1], tiered));
        Assert.Equal("$1,971 (27 × m.small)", CostMarkdown.Cell(r.Setups[0], dram));
        Assert.Equal("At 100 GiB and 100k ops/s, the cheapest setup is tiered 20% at $876/month (4 × d.small), 56 % less than all-DRAM ($1,971/month).", c.Summary);
    }

    [Fact]
    public void When_all_DRAM_is_cheapest_the_sentence_gives_the_cheapest_tiered_setups_extra_cost()
    {
        // 100 GiB at 1M ops/s. all-DRAM: m.small needs 1M / 20k = 50 nodes ($3,650), m.big 13 ($4,745), d.small 27
        // ($5,913). tiered: 1M / 32k = 31.25 -> 32 d.small, $7,008: 92 % more.
        CostCombination c = HandReport(PerVcpu).Combinations[3];
        Assert.Equal(("m.small", 50, "ops/s"), (c.Cells[0].Choice!.NodeType, c.Cells[0].Choice!.Count, c.Cells[0].Choice!.LimitedBy));
        Assert.Equal(("d.small", 32), (c.Cells[1].Choice!.NodeType, c.Cells[1].Choice!.Count));
        Assert.Equal(7008, c.Cells[1].Choice!.UsdPerMonth, 6);
        Assert.Equal("all-DRAM", c.Cheapest);
        Assert.Equal(0, c.CheapestVsAllDramPercent!.Value, 9);
        Assert.Equal("At 100 GiB and 1M ops/s, the cheapest setup is all-DRAM at $3,650/month (50 × m.small), the all-DRAM baseline; " +
                     "the cheapest tiered setup, tiered 20% ($7,008/month), costs 92 % more.", c.Summary);
    }

    [Fact]
    public void Setups_keep_the_first_combinations_prices_in_their_single_size_fields()
    {
        CostReport r = HandReport(PerVcpu);
        Assert.Equal((10 * Gib, 100_000.0, 10.0), (r.ScaleToBytes, r.TargetOps, r.ScaleFactor));
        for (int i = 0; i < r.Setups.Count; i++)
        {
            CostCell first = r.Combinations[0].Cells[i];
            Assert.Equal(first.Choice, r.Setups[i].Choice);
            Assert.Equal(first.DramNeedBytes, r.Setups[i].DramNeedBytes);
            Assert.Equal(first.VsAllDramPercent, r.Setups[i].VsAllDramPercent);
        }
        // 10 GiB, 100k: all-DRAM 20.5 GiB -> 3 m.small, but the rate 100k / 20k -> 5 ($365), below 2 m.big ($730)
        // and 3 d.small ($657); tiered 3 GiB -> 1 d.small, but 100k / 32k -> 4 ($876).
        Assert.Equal(("m.small", 5, "ops/s"), (r.Setups[0].Choice!.NodeType, r.Setups[0].Choice!.Count, r.Setups[0].Choice!.LimitedBy));
        Assert.Equal(365, r.Setups[0].Choice!.UsdPerMonth, 6);
        Assert.Equal(("d.small", 4, "ops/s"), (r.Setups[1].Choice!.NodeType, r.Setups[1].Choice!.Count, r.Setups[1].Choice!.LimitedBy));
    }

    [Fact]
    public void A_report_priced_with_only_the_single_size_fields_gets_one_combination()
    {
        CostReport r = SampleReport();
        Assert.Equal([10 * Gib], r.ScaleToSizes);
        Assert.Equal([10_000.0], r.TargetRates);
        CostCombination c = Assert.Single(r.Combinations);
        Assert.Equal("10 GiB, 10k ops/s", c.Label);
        Assert.Equal(3, c.Cells.Count);
    }

    [Fact]
    public void Report_has_a_price_table_with_one_column_per_size_and_rate_and_one_sentence_per_combination()
    {
        CostReport r = HandReport(PerVcpu);
        string md = CostMarkdown.Render(r);
        string[] lines = md.Split('\n');
        const string header = "| setup | 10 GiB, 100k ops/s | 10 GiB, 1M ops/s | 100 GiB, 100k ops/s | 100 GiB, 1M ops/s |";
        int at = Array.IndexOf(lines, header);
        Assert.True(at > 0, "price table header missing");
        Assert.Equal("|---|---:|---:|---:|---:|", lines[at + 1]);
        string[] dram = lines[at + 2].Split('|').Select(x => x.Trim()).ToArray();
        string[] tiered = lines[at + 3].Split('|').Select(x => x.Trim()).ToArray();
        Assert.Equal(["", "all-DRAM", "$365 (5 × m.small)", "$3,650 (50 × m.small)", "$1,971 (27 × m.small)", "$3,650 (50 × m.small)", ""], dram);
        Assert.Equal(["", "tiered 20%", "$876 (4 × d.small)", "$7,008 (32 × d.small)", "$876 (4 × d.small)", "$7,008 (32 × d.small)", ""], tiered);
        Assert.Equal(r.Combinations.Select(c => "- " + c.Summary), lines.Where(l => l.StartsWith("- At ", StringComparison.Ordinal)));
        Assert.Equal(4, r.Combinations.Select(c => c.Summary).Distinct().Count());
        // The measured table is still one row per setup, priced at the first combination.
        Assert.Contains(CostMarkdown.TableHeader, md);
        Assert.Contains("are for 10 GiB, 100k ops/s", md);
        Assert.Contains("| 100 GiB |", lines.Single(l => l.StartsWith("| setup | 10 GiB | ", StringComparison.Ordinal)));
        Assert.Contains("**100 GiB** (100× the measured one)", md);
        Assert.Contains("100,000, 1,000,000 ops/s", md);
    }

    [Fact]
    public void An_impossible_configuration_says_no_configuration_instead_of_throwing()
    {
        // At most 10 nodes: 1M ops/s needs at least 13 nodes (m.big) all in DRAM and 32 tiered, at either size.
        CostReport r = HandReport(PerVcpu with { MaxNodes = 10 });
        CostCombination c = r.Combinations[3];
        Assert.Null(c.Cells[0].Choice);
        Assert.Equal("needs at least 13 nodes, over the 10-node limit", c.Cells[0].NoConfiguration);
        Assert.Equal("no configuration (needs at least 13 nodes, over the 10-node limit)", CostMarkdown.Cell(r.Setups[0], c.Cells[0]));
        Assert.Equal("no configuration (needs at least 32 nodes, over the 10-node limit)", CostMarkdown.Cell(r.Setups[1], c.Cells[1]));
        Assert.Null(c.Cheapest);
        Assert.Equal("At 100 GiB and 1M ops/s, no setup that held the dataset has a configuration.", c.Summary);
        // The other cells are still priced: 100 GiB at 100k all in DRAM is 7 m.big within the limit.
        Assert.Equal(("m.big", 7), (r.Combinations[2].Cells[0].Choice!.NodeType, r.Combinations[2].Cells[0].Choice!.Count));

        string md = CostMarkdown.Render(r);
        Assert.Contains("| no configuration (needs at least 13 nodes, over the 10-node limit) |", md);
        Assert.Contains("all-DRAM: no configuration at 10 GiB, 1M ops/s (needs at least 13 nodes, over the 10-node limit), " +
                        "100 GiB, 1M ops/s (needs at least 13 nodes, over the 10-node limit)", md);
        XDocument doc = XDocument.Parse(CostChart.Render(r));
        Assert.Equal(4, doc.Descendants().Count(e => (string?)e.Attribute("class") == "na-label" && e.Value == "no config"));
        Assert.Contains("\"noConfiguration\": \"needs at least 32 nodes, over the 10-node limit\"", r.ToJson());
    }

    [Fact]
    public void A_tiered_setup_without_any_SSD_node_type_has_no_configuration_and_says_why()
    {
        var need = new CapacityNeed(1 * Gib, 1 * Gib, 1_000, 8_000, RequireSsd: true);
        Assert.Null(Pricing.Cheapest([MSmall, MBig], need, PerNode));
        Assert.Equal("no node type with data tiering (SSD) in the price table", Pricing.WhyNoConfiguration([MSmall, MBig], need, PerNode));
        Assert.Equal("no measured throughput", Pricing.WhyNoConfiguration(HandTable, need with { MeasuredOps = 0 }, PerNode));
    }

    [Fact]
    public void The_shipped_price_table_has_a_configuration_for_1_TiB_at_1M_ops_all_in_DRAM_and_tiered()
    {
        string root = PeerPaths.FindRoot() ?? throw new InvalidOperationException("repository root not found");
        PriceTable t = PriceTable.Load(Path.Combine(root, "data", "elasticache-r6g-us-east-1.csv"));
        CostReport r = HandReport(PerVcpu);
        r.ScaleToSizes = [1024 * Gib];
        r.TargetRates = [1_000_000];
        r.Price(t.Nodes, PerVcpu);
        CostCombination c = Assert.Single(r.Combinations);
        Assert.StartsWith("cache.r6g.", c.Cells[0].Choice!.NodeType);
        Assert.StartsWith("cache.r6gd.", c.Cells[1].Choice!.NodeType);
        Assert.All(c.Cells, x => Assert.InRange(x.Choice!.Count, 1, 500));
    }

    [Fact]
    public void Results_json_carries_every_size_rate_and_priced_cell()
    {
        string json = HandReport(PerVcpu).ToJson();
        Assert.Contains("\"scaleToSizes\": [\n    10737418240,\n    107374182400\n  ]", json);
        Assert.Contains("\"targetRates\": [\n    100000,\n    1000000\n  ]", json);
        Assert.Contains("\"label\": \"100 GiB, 100k ops/s\"", json);
        Assert.Contains("\"cheapest\": \"tiered 20%\"", json);
        Assert.Contains("\"summary\": \"At 100 GiB and 100k ops/s, the cheapest setup is tiered 20%", json);
        Assert.Equal(8, json.Split("\"setup\": ").Length - 1);
    }

    [Fact]
    public void Chart_is_well_formed_SVG_with_one_bar_per_priced_setup_and_combination_on_a_log_axis()
    {
        CostReport r = HandReport(PerVcpu);
        XDocument doc = XDocument.Parse(CostChart.Render(r));
        XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.Equal(svg + "svg", doc.Root!.Name);
        var bars = doc.Descendants(svg + "rect").Where(e => (string?)e.Attribute("class") == "cost-bar").ToList();
        Assert.Equal(8, bars.Count);
        Assert.Equal(r.Combinations.SelectMany(c => c.Cells.Select(x => $"{c.Label} / {x.Setup}")),
                     bars.Select(b => $"{(string)b.Attribute("data-combination")!} / {(string)b.Attribute("data-setup")!}"));
        // The cheapest bar of each group is outlined: all-DRAM except at 100 GiB, 100k ops/s.
        Assert.Equal(["all-DRAM", "all-DRAM", "tiered 20%", "all-DRAM"],
                     bars.Where(b => (string?)b.Attribute("data-cheapest") == "yes").Select(b => (string)b.Attribute("data-setup")!));

        // Log scale: every bar's top sits where its price falls between two decade lines, log-linearly.
        static double D(XElement e, string a) => double.Parse((string)e.Attribute(a)!, System.Globalization.CultureInfo.InvariantCulture);
        var decades = doc.Descendants(svg + "line").Where(e => (string?)e.Attribute("class") == "decade").ToList();
        Assert.True(decades.Count >= 3);
        (double u0, double y0) = (D(decades[0], "data-usd"), D(decades[0], "y1"));
        (double u1, double y1) = (D(decades[^1], "data-usd"), D(decades[^1], "y1"));
        foreach (XElement b in bars)
        {
            double expected = y0 + (y1 - y0) * (Math.Log10(D(b, "data-usd")) - Math.Log10(u0)) / (Math.Log10(u1) - Math.Log10(u0));
            Assert.InRange(D(b, "y"), expected - 0.1, expected + 0.1);
            Assert.InRange(D(b, "y") + D(b, "height"), y0 - 0.1, y0 + 0.1);
        }
        var texts = doc.Descendants(svg + "text").Select(e => e.Value).ToList();
        Assert.Contains("$ / month (730 h), log scale", texts);
        Assert.Contains(texts, t => t.StartsWith("logical dataset size and target rate", StringComparison.Ordinal));
        Assert.Contains("all-DRAM: p99 1.50 ms, hit 100.0 %", texts);
        Assert.Contains("tiered 20%: p99 2.50 ms, hit 80.0 %", texts);
        Assert.Equal(2, texts.Count(t => t == "100 GiB"));
        Assert.Equal(2, texts.Count(t => t == "1M ops/s"));
        Assert.Contains("$1k", texts);
    }

    [Fact]
    public void Chart_escapes_text_and_marks_setups_without_a_price()
    {
        CostReport r = SampleReport();
        r.Setups[0].Name = "a<b & \"c\"";
        r.Price(Table, PerNode);
        XDocument doc = XDocument.Parse(CostChart.Render(r));
        var bars = doc.Descendants().Where(e => (string?)e.Attribute("class") == "cost-bar").ToList();
        Assert.Equal(["a<b & \"c\"", "tiered 20%"], bars.Select(b => (string)b.Attribute("data-setup")!));
        Assert.Contains(doc.Descendants().Select(e => e.Value), v => v.StartsWith("a<b & \"c\": p99", StringComparison.Ordinal));
        Assert.Contains(doc.Descendants().Where(e => (string?)e.Attribute("class") == "na-label").Select(e => e.Value), v => v == "failed");

        var unmeasured = new CostReport { Setups = [new CostSetup { Name = "unpriced", BudgetPercent = 50, Tiered = true }], ScaleToBytes = Gib, TargetOps = 1 };
        unmeasured.Price(Table, PerNode);
        XDocument none = XDocument.Parse(CostChart.Render(unmeasured));
        Assert.Contains(none.Descendants().Where(e => (string?)e.Attribute("class") == "na-label").Select(e => e.Value), v => v == "n/a");
        Assert.Contains(none.Descendants().Select(e => e.Value), v => v == "no setup has a price");
    }

    [Fact]
    public void Log_axis_spans_whole_decades_with_room_below_the_cheapest_and_above_the_dearest_price()
    {
        Assert.Equal((2, 5), CostChart.LogRange([451, 1710, 2281]));
        Assert.Equal((2, 6), CostChart.LogRange([219, 60_000, 0]));
        Assert.Equal((2, 4), CostChart.LogRange([1000]));
        Assert.Equal((0, 1), CostChart.LogRange([0]));
        Assert.Equal(("$100", "$1k", "$10k", "$1M"), (CostChart.Usd(100), CostChart.Usd(1000), CostChart.Usd(10_000), CostChart.Usd(1e6)));
    }

    private static CostCommand.Settings ParseCost(params string[] args)
    {
        var r = new ArgReader(args, new HashSet<string> { "build", "progress", "no-progress" });
        CostCommand.Settings s = CostCommand.Parse(r, args, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        r.RejectUnknown();
        return s;
    }

    [Fact]
    public void Cost_options_have_the_documented_defaults_and_always_load_the_keys()
    {
        CostCommand.Settings s = ParseCost();
        Assert.Equal(200_000, s.Workload.Keys);
        Assert.Equal("1024", s.Workload.ValueBytes);
        Assert.Equal("zipf:0.99", s.Workload.Dist);
        Assert.Equal(0.9, s.Workload.Reads);
        Assert.True(s.Workload.Load);
        Assert.Equal([100, 50, 20, 10], s.Budgets);
        Assert.Equal([100_000.0, 1_000_000.0], s.TargetRates);
        Assert.Equal([10 * Gib, 100 * Gib, 1024 * Gib], s.ScaleToSizes);
        Assert.Equal(0.25, s.Pricing.Headroom);
        Assert.Equal(RateModel.PerVcpu, s.Pricing.RateModel);
        Assert.EndsWith(Path.Combine("benchmarks", "results", "cost-20260102-030405"), s.OutDir);
        Assert.EndsWith(Path.Combine("data", "elasticache-r6g-us-east-1.csv"), s.PricesPath);
    }

    [Fact]
    public void Cost_options_parse_workload_budgets_scale_and_pricing_choices()
    {
        CostCommand.Settings s = ParseCost("--keys", "50k", "--value-size", "512", "--dist", "hotspot:90:10", "--read-ratio", "0.5",
            "--target-ops", "250k", "--budgets", "100,30%,5", "--scale-to", "1tb", "--headroom", "0.1", "--rate-model", "node",
            "--clients", "8", "--pipeline", "4", "--requests", "1000", "--out", "/tmp/x", "--prices", "/tmp/p.csv");
        Assert.Equal(50_000, s.Workload.Keys);
        Assert.Equal("hotspot:90/10", s.Workload.Dist);
        Assert.Equal(0.5, s.Workload.Reads);
        Assert.Equal((8, 4, 1000L), (s.Workload.Clients, s.Workload.Pipeline, s.Workload.Requests!.Value));
        Assert.Equal([250_000.0], s.TargetRates);
        Assert.Equal([100, 30, 5], s.Budgets);
        Assert.Equal([1024 * Gib], s.ScaleToSizes);
        Assert.Equal((0.1, RateModel.PerNode), (s.Pricing.Headroom, s.Pricing.RateModel));
        Assert.Equal(("/tmp/x", "/tmp/p.csv"), (s.OutDir, s.PricesPath));
        Assert.Contains("--budgets 100,30%,5", s.CommandLine);
    }

    [Theory]
    [InlineData("--budgets", "0")]
    [InlineData("--budgets", "150")]
    [InlineData("--budgets", "50,abc")]
    [InlineData("--scale-to", "10 parsecs")]
    [InlineData("--scale-to", "0")]
    [InlineData("--target-ops", "0")]
    [InlineData("--target-ops", "100k,0")]
    [InlineData("--target-ops", "100k,fast")]
    [InlineData("--target-ops", ",")]
    [InlineData("--scale-to", "10gb,abc")]
    [InlineData("--scale-to", "10gb,,-1tb")]
    [InlineData("--scale-to", ",")]
    [InlineData("--headroom", "1")]
    [InlineData("--rate-model", "magic")]
    [InlineData("--rate", "1000")]
    [InlineData("--read-ratio", "2")]
    public void Bad_cost_options_are_usage_errors(string name, string value)
    {
        Assert.Throws<UsageException>(() => ParseCost(name, value));
    }

    [Fact]
    public void Sizes_follow_redis_units_bytes_powers_of_1000_and_of_1024()
    {
        Assert.Equal(10 * Gib, CostCommand.ParseBytes("10GB"));
        Assert.Equal(64.0 * 1024 * 1024, CostCommand.ParseBytes("64mb"));
        Assert.Equal(1e9, CostCommand.ParseBytes("1g"));
        Assert.Equal(1.5 * Gib, CostCommand.ParseBytes("1.5GiB"));
        Assert.Equal(1234, CostCommand.ParseBytes("1234"));
        Assert.Equal(1024 * Gib, CostCommand.ParseBytes("1tb"));
        Assert.Equal(1024 * Gib, CostCommand.ParseBytes("1TiB"));
        Assert.Equal(1e12, CostCommand.ParseBytes("1t"));
    }

    [Fact]
    public void Scale_to_takes_a_comma_separated_list_of_sizes_in_order_without_duplicates()
    {
        Assert.Equal([10 * Gib, 100 * Gib, 1024 * Gib], CostCommand.ParseSizes("10gb,100gb,1tb"));
        Assert.Equal([1024 * Gib, 10 * Gib], CostCommand.ParseSizes(" 1TB , 10gb "));
        Assert.Equal([10 * Gib], CostCommand.ParseSizes("10gb"));
        Assert.Equal([10 * Gib], CostCommand.ParseSizes("10gb,10GiB"));
        Assert.Equal([512.0 * 1024 * 1024, 2e9, 1e12], CostCommand.ParseSizes("512mb,2000000000,1t"));
        Assert.Equal([10 * Gib, 1024 * Gib], ParseCost("--scale-to", "10gb,1tb").ScaleToSizes);
        Assert.Equal([10 * Gib], ParseCost("--scale-to", "10gb").ScaleToSizes);
    }

    [Fact]
    public void Target_ops_takes_a_comma_separated_list_of_rates_with_k_and_m_suffixes()
    {
        Assert.Equal([100_000.0, 1_000_000.0], CostCommand.ParseRates("100k,1m"));
        Assert.Equal([250_000.0], CostCommand.ParseRates("250000"));
        Assert.Equal([1_500_000.0, 5_000.0], CostCommand.ParseRates("1.5M, 5k"));
        Assert.Equal([100_000.0], CostCommand.ParseRates("100k,100000"));
        Assert.Equal([100_000.0, 1_000_000.0], ParseCost("--target-ops", "100k,1m").TargetRates);
        Assert.Equal([100_000.0], ParseCost("--target-ops", "100k").TargetRates);
    }

    [Fact]
    public void Budget_100_runs_without_a_limit_and_lower_budgets_get_a_share_of_the_logical_bytes_and_the_SSD_tier()
    {
        Assert.Null(CostCommand.ConfigFor(100, 1e9).MemoryBudget);
        Assert.Equal(200_000_000, CostCommand.ConfigFor(20, 1e9).MemoryBudget);
        var tiered = new PeerServer { Kind = PeerKind.Tiered };
        string full = string.Join(' ', tiered.ServerArgs(1, CostCommand.ConfigFor(100, 1e9), "/t"));
        string part = string.Join(' ', tiered.ServerArgs(1, CostCommand.ConfigFor(20, 200.0 * 1024 * 1024), "/t"));
        Assert.DoesNotContain("--ssd-path", full);
        Assert.DoesNotContain("--maxmemory", full);
        Assert.Contains("--maxmemory 40mb --ssd-path /t", part);
    }

    [Fact]
    public void Logical_dataset_bytes_are_keys_times_key_length_plus_mean_value_length()
    {
        CostWorkload w = CostCommand.Describe(new Workload { Keys = 200_000, ValueSize = new ValueSize(1000, 2000) });
        Assert.Equal("key:199999".Length, w.KeyBytes);
        Assert.Equal(200_000 * (10 + 1500.0), w.LogicalBytes);
    }

    [Fact]
    public void Recording_a_run_takes_latency_hit_ratio_and_memory_gauges_and_marks_absent_tier_fields_na()
    {
        var result = new RunResult
        {
            Target = "t", StartedUtc = DateTimeOffset.UnixEpoch, Workload = new Workload(),
            OpsPerSecond = 1234, Requests = 5, Replies = 5, HotHitRatio = 0.5,
            LoadPhase = new LoadPhaseResult { Keys = 10, Seconds = 2, OpsPerSecond = 5, ErrorReplies = 1 },
            Operations = { ["ALL"] = new OpStats { Count = 5, P50Us = 10, P99Us = 99 } },
        };
        var setup = new CostSetup();
        CostCommand.Record(setup, result, new Dictionary<string, string> { ["used_memory"] = "1000", ["used_memory_rss"] = "5000", ["tier_ssd_log_bytes"] = "777" });
        Assert.Equal((1234.0, 99.0, 10.0, 0.5), (setup.OpsPerSecond, setup.P99Us, setup.P50Us, setup.HotHitRatio!.Value));
        Assert.Equal((1000L, 5000L, 777L), (setup.UsedMemory!.Value, setup.Rss!.Value, setup.SsdLogBytes!.Value));
        Assert.Equal(1, setup.LoadErrors);
        Assert.Equal("777", setup.Tiering["tier_ssd_log_bytes"]);
        Assert.Equal("n/a", setup.Tiering["tier_compactions"]);
        Assert.Equal(CostCommand.TieringFields.Length, setup.Tiering.Count);
    }
}

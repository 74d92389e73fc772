using System.Xml.Linq;
using Tiered.LoadGen.Cli;
using Tiered.LoadGen.Cost;
using Tiered.LoadGen.Peers;
using Tiered.LoadGen.Results;

namespace Tiered.LoadGen.Tests;

/// <summary>
/// The <c>cost</c> command without a server: the price table, the cheapest-node search and monthly cost, scaling
/// measured bytes to the priced dataset, the report's table rows, the SVG chart and option parsing.
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
        foreach (string size in new[] { "large", "2xlarge", "4xlarge", "8xlarge", "16xlarge" })
            Assert.Contains(t.Nodes, n => n.Name == $"cache.r6g.{size}");
        foreach (string size in new[] { "2xlarge", "4xlarge", "8xlarge", "16xlarge" })
            Assert.Contains(t.Nodes, n => n.Name == $"cache.r6gd.{size}" && n.HasSsd);
        Assert.Contains("2025", t.PriceListDate);
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
        string[] rows = md.Split('\n').Where(l => l.StartsWith("| all-DRAM", StringComparison.Ordinal) || l.StartsWith("| tiered", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, rows.Length);
        Assert.Contains(CostMarkdown.TableHeader, md);

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

    [Fact]
    public void Chart_is_well_formed_SVG_with_one_cost_bar_per_priced_setup_and_labelled_axes()
    {
        CostReport r = SampleReport();
        XDocument doc = XDocument.Parse(CostChart.Render(r));
        XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.Equal(svg + "svg", doc.Root!.Name);
        var bars = doc.Descendants(svg + "rect").Where(e => (string?)e.Attribute("class") == "cost-bar").ToList();
        Assert.Equal(["all-DRAM", "tiered 20%"], bars.Select(b => (string)b.Attribute("data-setup")!));
        // Taller bar = higher cost; both stand on the same baseline.
        double h0 = double.Parse((string)bars[0].Attribute("height")!, System.Globalization.CultureInfo.InvariantCulture);
        double h1 = double.Parse((string)bars[1].Attribute("height")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(r.Setups[0].Choice!.UsdPerMonth > r.Setups[1].Choice!.UsdPerMonth, h0 > h1);
        Assert.Equal(2, doc.Descendants(svg + "circle").Count(e => (string?)e.Attribute("class") == "p99-point"));
        var texts = doc.Descendants(svg + "text").Select(e => e.Value).ToList();
        Assert.Contains(texts, t => t.StartsWith("DRAM budget", StringComparison.Ordinal));
        Assert.Contains("$ / month (730 h)", texts);
        Assert.Contains("p99 latency (ms)", texts);
        Assert.Contains("hit 87.3 %", texts);
        Assert.Contains("failed", texts);
    }

    [Fact]
    public void Chart_escapes_text_and_marks_setups_without_a_price()
    {
        var r = new CostReport
        {
            Setups =
            [
                new CostSetup { Name = "a<b & \"c\"", BudgetPercent = 100, OpsPerSecond = 1, Choice = new NodeChoice("node<&>", 1, 1, 730, "DRAM") },
                new CostSetup { Name = "unpriced", BudgetPercent = 50, Tiered = true },
            ],
        };
        XDocument doc = XDocument.Parse(CostChart.Render(r));
        var bars = doc.Descendants().Where(e => (string?)e.Attribute("class") == "cost-bar").ToList();
        Assert.Equal(["a<b & \"c\""], bars.Select(b => (string)b.Attribute("data-setup")!));
        Assert.Contains(doc.Descendants().Select(e => e.Value), v => v == "1 × node<&>");
        Assert.Contains(doc.Descendants().Select(e => e.Value), v => v == "n/a");
    }

    [Fact]
    public void Nice_axis_maximum_rounds_up_to_1_2_2_5_or_5_times_a_power_of_ten()
    {
        Assert.Equal(1, CostChart.NiceMax(0));
        Assert.Equal(2000, CostChart.NiceMax(1955));
        Assert.Equal(2500, CostChart.NiceMax(2281));
        Assert.Equal(5, CostChart.NiceMax(3.2));
        Assert.Equal(100, CostChart.NiceMax(100));
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
        Assert.Equal(100_000, s.TargetOps);
        Assert.Equal(10 * Gib, s.ScaleToBytes);
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
        Assert.Equal(250_000, s.TargetOps);
        Assert.Equal([100, 30, 5], s.Budgets);
        Assert.Equal(1024 * Gib, s.ScaleToBytes);
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

using System.Globalization;
using System.Security;
using System.Text;

namespace Tiered.LoadGen.Cost;

// Why this file: the cost report needs one picture (cost vs DRAM budget, with latency and hit ratio beside it) and
// the load generator takes no packages, so the chart is written as SVG text by hand. Layout:
//
//        title
//   $  ┌───────────────────────────────┐ ms
//   /  │  hit 100%                      │ p99
//   mo │  ┌──┐   hit 97%                │ (right
//  (l) │  │  │●──┌──┐      hit 81%      │  axis)
//      │  │  │   │  │───●  ┌──┐         │
//      │  │  │   │  │      │  │──●      │
//      └──┴──┴───┴──┴──────┴──┴─────────┘
//          100%    50%      20%   DRAM budget (% of logical dataset)
//
// One slot per setup, in report order. A setup without a price gets no bar and an "n/a" label; a setup without
// throughput gets no p99 point. Element classes (cost-bar, p99-point, hit-label) let tests count what was drawn.

/// <summary>Renders the cost chart of a <see cref="CostReport"/> as a standalone SVG document.</summary>
public static class CostChart
{
    private const int Width = 820, Height = 490;
    private const int Left = 90, Right = 90, Top = 90, Bottom = 80;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(CostReport r)
    {
        List<CostSetup> setups = r.Setups;
        int plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        // 15 % above the tallest bar keeps its two labels inside the plot.
        double maxCost = NiceMax(1.15 * setups.Select(s => s.Choice?.UsdPerMonth ?? 0).DefaultIfEmpty(0).Max());
        double maxP99 = NiceMax(setups.Where(Measured).Select(s => s.P99Us / 1000).DefaultIfEmpty(0).Max());
        double slot = setups.Count == 0 ? plotW : (double)plotW / setups.Count;
        double barW = slot * 0.5;
        double Y(double v, double max) => Top + plotH - (max > 0 ? v / max * plotH : 0);

        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(Inv, $"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        Text(sb, Width / 2.0, 24, "middle", $"Tiered: monthly cost vs DRAM budget ({CostMarkdown.Bytes(r.ScaleToBytes)} logical, scaled from {CostMarkdown.Bytes(r.Workload.LogicalBytes)})", "title", 15);
        Text(sb, Width / 2.0, 42, "middle", $"{r.Workload.Dist}, {r.Workload.Reads:P0} GET, target {r.TargetOps:N0} ops/s; bars: $/month, line: p99, labels: hot hit ratio", "subtitle", 11);

        // Grid, then axes over it.
        for (int i = 0; i <= 4; i++)
        {
            double y = Top + plotH - plotH * i / 4.0;
            sb.Append(Inv, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotW}\" y2=\"{y:0.#}\" stroke=\"#e5e5e5\"/>\n");
            Text(sb, Left - 6, y + 4, "end", "$" + (maxCost * i / 4).ToString("N0", Inv), "tick");
            Text(sb, Left + plotW + 6, y + 4, "start", (maxP99 * i / 4).ToString(maxP99 >= 10 ? "0" : "0.##", Inv), "tick");
        }
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top + plotH}\" x2=\"{Left + plotW}\" y2=\"{Top + plotH}\" stroke=\"black\"/>\n");
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotH}\" stroke=\"black\"/>\n");
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Left + plotW}\" y1=\"{Top}\" x2=\"{Left + plotW}\" y2=\"{Top + plotH}\" stroke=\"#c0392b\"/>\n");
        Text(sb, Left + plotW / 2.0, Height - 20, "middle", "DRAM budget (% of the logical dataset; 100 % = all in DRAM)", "axis-label", 13);
        sb.Append(Inv, $"<text class=\"axis-label\" x=\"22\" y=\"{Top + plotH / 2.0:0.#}\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 22 {Top + plotH / 2.0:0.#})\">$ / month (730 h)</text>\n");
        sb.Append(Inv, $"<text class=\"axis-label\" x=\"{Width - 22}\" y=\"{Top + plotH / 2.0:0.#}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#c0392b\" transform=\"rotate(90 {Width - 22} {Top + plotH / 2.0:0.#})\">p99 latency (ms)</text>\n");

        var points = new List<(double X, double Y)>();
        for (int i = 0; i < setups.Count; i++)
        {
            CostSetup s = setups[i];
            double cx = Left + slot * (i + 0.5);
            Text(sb, cx, Top + plotH + 18, "middle", s.Tiered ? $"{s.BudgetPercent} %" : "100 % (all DRAM)", "x-label");
            Text(sb, cx, Top + plotH + 34, "middle", s.Choice is { } c ? $"{c.Count} × {c.NodeType}" : "", "x-sublabel", 10);
            if (s.Choice is { } choice)
            {
                double y = Y(choice.UsdPerMonth, maxCost);
                sb.Append(Inv, $"<rect class=\"cost-bar\" data-setup=\"{Esc(s.Name)}\" x=\"{cx - barW / 2:0.#}\" y=\"{y:0.#}\" width=\"{barW:0.#}\" height=\"{Top + plotH - y:0.#}\" fill=\"{(s.Tiered ? "#2e86c1" : "#7f8c8d")}\"/>\n");
                Text(sb, cx, y - 20, "middle", "$" + choice.UsdPerMonth.ToString("N0", Inv), "cost-label");
                Text(sb, cx, y - 6, "middle", "hit " + CostMarkdown.Percent(s.HotHitRatio) + (s.HeldData ? "" : " ⚠ refused writes"), "hit-label", 11);
            }
            else
            {
                Text(sb, cx, Top + plotH - 6, "middle", s.Failure is null ? "n/a" : "failed", "na-label");
            }
            if (Measured(s))
                points.Add((cx, Y(s.P99Us / 1000, maxP99)));
        }
        if (points.Count > 1)
            sb.Append("<polyline class=\"p99-line\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"")
              .AppendJoin(' ', points.Select(p => string.Create(Inv, $"{p.X:0.#},{p.Y:0.#}"))).Append("\"/>\n");
        foreach ((double x, double y) in points)
            sb.Append(Inv, $"<circle class=\"p99-point\" cx=\"{x:0.#}\" cy=\"{y:0.#}\" r=\"4\" fill=\"#c0392b\"/>\n");

        // Legend.
        int lx = Left, ly = 54;
        sb.Append(Inv, $"<rect x=\"{lx}\" y=\"{ly}\" width=\"12\" height=\"12\" fill=\"#7f8c8d\"/>\n");
        Text(sb, lx + 16, ly + 10, "start", "all in DRAM", "legend");
        sb.Append(Inv, $"<rect x=\"{lx + 100}\" y=\"{ly}\" width=\"12\" height=\"12\" fill=\"#2e86c1\"/>\n");
        Text(sb, lx + 116, ly + 10, "start", "tiered (DRAM + SSD)", "legend");
        sb.Append(Inv, $"<line x1=\"{lx + 250}\" y1=\"{ly + 6}\" x2=\"{lx + 270}\" y2=\"{ly + 6}\" stroke=\"#c0392b\" stroke-width=\"2\"/>\n");
        Text(sb, lx + 274, ly + 10, "start", "p99 (right axis)", "legend");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static bool Measured(CostSetup s) => s.Failure is null && s.OpsPerSecond > 0;

    /// <summary>A round axis maximum at or above <paramref name="v"/>: 1, 2, 2.5 or 5 times a power of ten (1 for 0).</summary>
    public static double NiceMax(double v)
    {
        if (!(v > 0))
            return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (double m in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (m * p >= v * (1 - 1e-12))
                return m * p;
        }
        return 10 * p;
    }

    private static void Text(StringBuilder sb, double x, double y, string anchor, string text, string cls, int size = 12) =>
        sb.Append(Inv, $"<text class=\"{cls}\" x=\"{x:0.#}\" y=\"{y:0.#}\" text-anchor=\"{anchor}\" font-size=\"{size}\">{Esc(text)}</text>\n");

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}

using System.Globalization;
using System.Security;
using System.Text;

namespace Tiered.LoadGen.Cost;

// Why this file: the cost report needs one picture of what every setup costs at every priced (size, rate), and the
// load generator takes no packages, so the chart is written as SVG text by hand. Prices span orders of magnitude
// (a 10 GiB dataset at 100k ops/s and 1 TiB at 1M ops/s), so the $ axis is logarithmic, one gridline per decade:
// every group stays readable and equal ratios look equal. Layout:
//
//                          title, subtitle
//            ■ all-DRAM: p99 5.51 ms, hit 100 %   ■ tiered 50%: p99 14.5 ms, hit 83.2 %  ...   (legend rows)
//   $   $10k ┌──────────────────┬──────────────────┬────────────────┐
//   /        │          $1,710  │                  │                │
//   mo   $1k │  ┌┐ ┌┐ ┌┐ ┌┐     │  ┌┐ ┌┐ ┌┐ ┌┐    │   ...          │
//  (log)     │  ││ ││ ││ ││     │  ││ ││ ││ ││    │                │
//       $100 └──┴┴─┴┴─┴┴─┴┴─────┴──┴┴─┴┴─┴┴┴┴────┴────────────────┘
//                 10 GiB             10 GiB           ...
//               100k ops/s          1M ops/s
//
// One group per combination in report order (sizes outermost), one bar slot per setup in setup order, one colour
// per setup. The setup's measured p99 and hot hit ratio do not change with size or rate, so they are in its legend
// entry. A cell without a price gets no bar but a "failed", "no config" or "n/a" label at the baseline; the cheapest
// bar of a group is outlined. Element classes (cost-bar, decade, na-label, legend) and data-* attributes let tests
// find what was drawn.

/// <summary>Renders the cost chart of a <see cref="CostReport"/> as a standalone SVG document.</summary>
public static class CostChart
{
    private const int MinWidth = 820, PlotH = 300;
    private const int Left = 90, Right = 30, Bottom = 92, LegendTop = 58, LegendRow = 18;
    private const double BarW = 16, BarGap = 3, GroupPad = 30;
    private const string DramColour = "#7f8c8d";
    private static readonly string[] TieredColours = ["#1f618d", "#2e86c1", "#5dade2", "#85c1e9", "#117864", "#45b39d", "#6c3483", "#a569bd"];
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(CostReport r)
    {
        List<CostSetup> setups = r.Setups;
        List<CostCombination> combos = r.Combinations;
        int n = setups.Count;
        double barsW = n == 0 ? 0 : n * BarW + (n - 1) * BarGap;
        double groupW = Math.Max(barsW + GroupPad, combos.Count == 0 ? 0 : (MinWidth - Left - Right) / (double)combos.Count);
        double plotW = Math.Max(MinWidth - Left - Right, combos.Count * groupW);
        int width = (int)Math.Ceiling(Left + plotW + Right);
        string[] colours = Colours(setups);

        // Legend entries wrap into rows; the plot starts below the last row.
        var legend = new List<(double X, int Row, int Setup, string Text)>();
        double lx = Left;
        int row = 0;
        for (int i = 0; i <= n; i++)
        {
            string text = i < n ? LegendText(setups[i]) : "outlined: cheapest of its group";
            double w = 22 + 6.4 * text.Length;
            if (lx > Left && lx + w > width - Right)
            {
                lx = Left;
                row++;
            }
            legend.Add((lx, row, i, text));
            lx += w + 14;
        }
        int top = LegendTop + (row + 1) * LegendRow + 16;
        int height = top + PlotH + Bottom;
        double baseline = top + PlotH;

        (int loLog, int hiLog) = LogRange(combos.SelectMany(c => c.Cells).Select(c => c.Choice?.UsdPerMonth ?? 0));
        double Y(double usd) => baseline - (Math.Log10(usd) - loLog) / (hiLog - loLog) * PlotH;

        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(Inv, $"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        Text(sb, width / 2.0, 24, "middle", "Tiered: monthly cost per setup, by logical dataset size and target rate", "title", 15);
        Text(sb, width / 2.0, 42, "middle",
            $"measured on {CostMarkdown.Bytes(r.Workload.LogicalBytes)} logical ({r.Workload.Dist}, {r.Workload.Reads:P0} GET) and scaled; bars: $/month on a log axis; legend: measured p99 and hot hit ratio",
            "subtitle", 11);

        foreach ((double x, int legendRow, int i, string text) in legend)
        {
            double y = LegendTop + legendRow * LegendRow;
            if (i < n)
                sb.Append(Inv, $"<rect x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"12\" height=\"12\" fill=\"{colours[i]}\"/>\n");
            else
                sb.Append(Inv, $"<rect x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"12\" height=\"12\" fill=\"white\" stroke=\"black\" stroke-width=\"1.5\"/>\n");
            Text(sb, x + 16, y + 10, "start", text, "legend", 11);
        }

        // Grid (a labelled line per decade, faint lines at 2x and 5x), then axes over it.
        for (int k = loLog; k <= hiLog; k++)
        {
            double usd = Math.Pow(10, k);
            double y = Y(usd);
            sb.Append(Inv, $"<line class=\"decade\" data-usd=\"{usd:0.###}\" x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotW:0.#}\" y2=\"{y:0.#}\" stroke=\"#d5d5d5\"/>\n");
            Text(sb, Left - 6, y + 4, "end", Usd(usd), "tick");
            if (k == hiLog)
                break;
            foreach (double m in new[] { 2.0, 5.0 })
            {
                double ym = Y(m * usd);
                sb.Append(Inv, $"<line class=\"minor\" x1=\"{Left}\" y1=\"{ym:0.#}\" x2=\"{Left + plotW:0.#}\" y2=\"{ym:0.#}\" stroke=\"#f0f0f0\"/>\n");
            }
        }
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{baseline:0.#}\" x2=\"{Left + plotW:0.#}\" y2=\"{baseline:0.#}\" stroke=\"black\"/>\n");
        sb.Append(Inv, $"<line class=\"axis\" x1=\"{Left}\" y1=\"{top}\" x2=\"{Left}\" y2=\"{baseline:0.#}\" stroke=\"black\"/>\n");
        Text(sb, Left + plotW / 2.0, height - 16, "middle", "logical dataset size and target rate (one group each; one bar per setup)", "axis-label", 13);
        Rotated(sb, 22, top + PlotH / 2.0, "middle", -90, "$ / month (730 h), log scale", "axis-label", 13);
        if (!combos.Any(c => c.Cells.Any(x => x.Choice is not null)))
            Text(sb, Left + plotW / 2.0, top + PlotH / 2.0, "middle", "no setup has a price", "na-label", 13);

        for (int g = 0; g < combos.Count; g++)
        {
            CostCombination c = combos[g];
            double x0 = Left + g * groupW;
            if (g > 0)
                sb.Append(Inv, $"<line class=\"group-sep\" x1=\"{x0:0.#}\" y1=\"{top}\" x2=\"{x0:0.#}\" y2=\"{baseline:0.#}\" stroke=\"#bbbbbb\" stroke-dasharray=\"3,3\"/>\n");
            Text(sb, x0 + groupW / 2, baseline + 18, "middle", CostMarkdown.Bytes(c.SizeBytes), "x-label");
            Text(sb, x0 + groupW / 2, baseline + 33, "middle", $"{CostMarkdown.Ops(c.TargetOps)} ops/s", "x-sublabel", 11);
            double start = x0 + (groupW - barsW) / 2;
            for (int i = 0; i < n && i < c.Cells.Count; i++)
            {
                CostCell cell = c.Cells[i];
                double bx = start + i * (BarW + BarGap), mid = bx + BarW / 2;
                if (cell.Choice is { } choice)
                {
                    double y = Y(choice.UsdPerMonth);
                    bool cheapest = c.Cheapest == cell.Setup && cell.HeldData;
                    sb.Append(Inv, $"<rect class=\"cost-bar\" data-setup=\"{Esc(setups[i].Name)}\" data-combination=\"{Esc(c.Label)}\" data-usd=\"{choice.UsdPerMonth:0.##}\"");
                    if (cheapest)
                        sb.Append(" data-cheapest=\"yes\" stroke=\"black\" stroke-width=\"1.5\"");
                    sb.Append(Inv, $" x=\"{bx:0.#}\" y=\"{y:0.#}\" width=\"{BarW:0.#}\" height=\"{baseline - y:0.#}\" fill=\"{colours[i]}\"/>\n");
                    Rotated(sb, mid + 3, y - 4, "start", -90, "$" + choice.UsdPerMonth.ToString("N0", Inv) + (cell.HeldData ? "" : " ⚠"), "cost-label", 9);
                }
                else
                {
                    string why = setups[i].Failure is not null ? "failed" : cell.NoConfiguration is not null ? "no config" : "n/a";
                    Rotated(sb, mid + 3, baseline - 4, "start", -90, why, "na-label", 9);
                }
            }
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The decades of the log axis for these prices (zeros ignored): from a power of ten at least 0.15 decade below
    /// the cheapest to one at least 0.7 decade above the dearest (room for the rotated labels); 0..1 when none.
    /// </summary>
    public static (int Lo, int Hi) LogRange(IEnumerable<double> prices)
    {
        double min = double.MaxValue, max = 0;
        foreach (double p in prices.Where(p => p > 0 && double.IsFinite(p)))
        {
            min = Math.Min(min, p);
            max = Math.Max(max, p);
        }
        if (!(max > 0))
            return (0, 1);
        int lo = (int)Math.Floor(Math.Log10(min) - 0.15);
        int hi = (int)Math.Ceiling(Math.Log10(max) + 0.7);
        return (lo, Math.Max(hi, lo + 1));
    }

    /// <summary>A tick label: $100, $1k, $10k, $1M.</summary>
    public static string Usd(double usd) =>
        usd >= 1e6 ? "$" + (usd / 1e6).ToString("0.#", Inv) + "M"
        : usd >= 1e3 ? "$" + (usd / 1e3).ToString("0.#", Inv) + "k"
        : "$" + usd.ToString("0.##", Inv);

    private static string LegendText(CostSetup s) =>
        s.Failure is not null ? $"{s.Name}: failed"
        : s.OpsPerSecond > 0 ? $"{s.Name}: p99 {CostMarkdown.Ms(s.P99Us)} ms, hit {CostMarkdown.Percent(s.HotHitRatio)}"
        : $"{s.Name}: not measured";

    /// <summary>Grey for all-in-DRAM setups, blues then greens then purples for the tiered ones in order.</summary>
    private static string[] Colours(List<CostSetup> setups)
    {
        var colours = new string[setups.Count];
        int t = 0;
        for (int i = 0; i < setups.Count; i++)
            colours[i] = setups[i].Tiered ? TieredColours[t++ % TieredColours.Length] : DramColour;
        return colours;
    }

    private static void Text(StringBuilder sb, double x, double y, string anchor, string text, string cls, int size = 12) =>
        sb.Append(Inv, $"<text class=\"{cls}\" x=\"{x:0.#}\" y=\"{y:0.#}\" text-anchor=\"{anchor}\" font-size=\"{size}\">{Esc(text)}</text>\n");

    private static void Rotated(StringBuilder sb, double x, double y, string anchor, int degrees, string text, string cls, int size) =>
        sb.Append(Inv, $"<text class=\"{cls}\" x=\"{x:0.#}\" y=\"{y:0.#}\" text-anchor=\"{anchor}\" font-size=\"{size}\" transform=\"rotate({degrees} {x:0.#} {y:0.#})\">{Esc(text)}</text>\n");

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}

using Tiered.LoadGen.Metrics;

namespace Tiered.LoadGen.Tests;

/// <summary>Percentiles of the log-linear histogram on data whose true percentiles are known.</summary>
public class LatencyHistogramTests
{
    [Fact]
    public void Small_values_are_exact()
    {
        var h = new LatencyHistogram();
        for (int v = 1; v <= 100; v++)
            h.Record(v);
        Assert.Equal(50, h.ValueAtPercentile(50));
        Assert.Equal(90, h.ValueAtPercentile(90));
        Assert.Equal(99, h.ValueAtPercentile(99));
        Assert.Equal(100, h.ValueAtPercentile(100));
        Assert.Equal(1, h.ValueAtPercentile(0));
        Assert.Equal(50.5, h.Mean, 6);
    }

    [Fact]
    public void Large_values_are_within_the_bucket_precision()
    {
        var h = new LatencyHistogram();
        for (long v = 1; v <= 1_000_000; v++)
            h.Record(v * 1000); // 1 µs .. 1 s in ns
        foreach (double p in new[] { 50.0, 90.0, 99.0, 99.9 })
        {
            double truth = p / 100 * 1_000_000 * 1000;
            Assert.InRange(h.ValueAtPercentile(p), truth, truth * 1.016);
        }
        Assert.Equal(1_000_000_000, h.Max);
        Assert.Equal(1000, h.Min);
        Assert.Equal(1_000_000_000, h.ValueAtPercentile(100));
    }

    [Fact]
    public void A_single_outlier_shows_in_max_and_not_in_the_median()
    {
        var h = new LatencyHistogram();
        for (int i = 0; i < 999; i++)
            h.Record(200_000);
        h.Record(50_000_000);
        Assert.InRange(h.ValueAtPercentile(50), 200_000, 203_200);
        Assert.InRange(h.ValueAtPercentile(99.9), 200_000, 203_200);
        Assert.Equal(50_000_000, h.ValueAtPercentile(100));
        Assert.Equal(50_000_000, h.Max);
    }

    [Fact]
    public void Merge_combines_counts_and_extremes()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        for (int v = 1; v <= 50; v++)
            a.Record(v);
        for (int v = 51; v <= 100; v++)
            b.Record(v);
        a.Merge(b);
        a.Merge(new LatencyHistogram());
        Assert.Equal(100, a.Count);
        Assert.Equal(1, a.Min);
        Assert.Equal(100, a.Max);
        Assert.Equal(50, a.ValueAtPercentile(50));
    }

    [Fact]
    public void Empty_histogram_reports_zero()
    {
        var h = new LatencyHistogram();
        Assert.Equal(0, h.ValueAtPercentile(99));
        Assert.Equal(0, h.Mean);
        Assert.Equal(0, h.Count);
    }

    [Fact]
    public void Bucket_index_is_monotonic_and_contains_its_value()
    {
        int last = -1;
        for (long v = 0; v < 1 << 20; v += 1 + v / 50)
        {
            int i = LatencyHistogram.IndexOf(v);
            Assert.True(i >= last);
            Assert.True(LatencyHistogram.HighestInBucket(i) >= v);
            Assert.True(i == 0 || LatencyHistogram.HighestInBucket(i - 1) < v);
            last = i;
        }
    }
}

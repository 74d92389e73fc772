using Tiered.LoadGen.Keys;

namespace Tiered.LoadGen.Tests;

/// <summary>Key samplers: shape of the distributions on seeded samples, reproducibility, option parsing.</summary>
public class KeyDistributionTests
{
    private static long[] Histogram(KeySampler sampler, long keys, int samples)
    {
        var counts = new long[keys];
        for (int i = 0; i < samples; i++)
            counts[sampler.Next()]++;
        return counts;
    }

    [Theory]
    [InlineData(0.99)]
    [InlineData(1.0)]
    [InlineData(1.2)]
    public void Zipf_frequencies_follow_inverse_rank_power(double s)
    {
        const long keys = 1000;
        const int samples = 400_000;
        long[] counts = Histogram(KeyDistribution.Parse($"zipf:{s}").CreateSampler(keys, seed: 42, 0, 1), keys, samples);

        double norm = 0;
        for (int k = 1; k <= keys; k++)
            norm += Math.Pow(k, -s);
        foreach (int rank in new[] { 1, 2, 3, 5, 10, 20 })
        {
            double expected = samples * Math.Pow(rank, -s) / norm;
            Assert.InRange(counts[rank - 1], expected * 0.93, expected * 1.07);
        }
        // The tail is also populated in proportion: ranks 101..1000 together.
        double tailExpected = 0;
        for (int k = 101; k <= keys; k++)
            tailExpected += samples * Math.Pow(k, -s) / norm;
        long tail = counts.Skip(100).Sum();
        Assert.InRange(tail, tailExpected * 0.95, tailExpected * 1.05);
    }

    [Fact]
    public void Zipf_stays_in_range_for_a_huge_key_space()
    {
        KeySampler sampler = KeyDistribution.Parse("zipf:0.99").CreateSampler(10_000_000_000, seed: 1, 0, 1);
        for (int i = 0; i < 100_000; i++)
            Assert.InRange(sampler.Next(), 0, 9_999_999_999);
    }

    [Fact]
    public void Same_seed_and_index_give_the_same_keys_and_other_indexes_differ()
    {
        KeyDistribution d = KeyDistribution.Parse("zipf:0.9");
        long[] a = Enumerable.Range(0, 50).Select(_ => 0L).ToArray();
        KeySampler s1 = d.CreateSampler(100_000, 7, 0, 2), s2 = d.CreateSampler(100_000, 7, 0, 2), s3 = d.CreateSampler(100_000, 7, 1, 2);
        long[] x = a.Select(_ => s1.Next()).ToArray();
        long[] y = a.Select(_ => s2.Next()).ToArray();
        long[] z = a.Select(_ => s3.Next()).ToArray();
        Assert.Equal(x, y);
        Assert.NotEqual(x, z);
    }

    [Fact]
    public void Hotspot_sends_the_configured_fraction_of_operations_to_the_hot_keys()
    {
        const long keys = 10_000;
        const int samples = 200_000;
        long[] counts = Histogram(KeyDistribution.Parse("hotspot:90/10").CreateSampler(keys, 3, 0, 1), keys, samples);
        double hotFraction = counts.Take(1000).Sum() / (double)samples;
        Assert.InRange(hotFraction, 0.89, 0.91);
        // 20,000 cold draws over 9,000 cold keys reach about 1 - e^-2.2 = 89% of them.
        Assert.True(counts.Skip(1000).Count(c => c > 0) > 7500, "cold keys are also drawn");
    }

    [Fact]
    public void Uniform_covers_the_key_space_evenly()
    {
        long[] counts = Histogram(KeyDistribution.Uniform.CreateSampler(100, 5, 0, 1), 100, 100_000);
        Assert.All(counts, c => Assert.InRange(c, 850, 1150));
    }

    [Fact]
    public void Sequential_samplers_of_all_connections_together_cover_every_key_exactly_once()
    {
        const long keys = 103;
        const int conns = 4;
        var seen = new List<long>();
        KeyDistribution d = KeyDistribution.Parse("sequential");
        for (int c = 0; c < conns; c++)
        {
            KeySampler s = d.CreateSampler(keys, 1, c, conns);
            long quota = (keys - c + conns - 1) / conns; // the load phase's per-connection share
            for (long i = 0; i < quota; i++)
                seen.Add(s.Next());
        }
        Assert.Equal(Enumerable.Range(0, (int)keys).Select(i => (long)i), seen.Order());
    }

    [Theory]
    [InlineData("uniform", "uniform")]
    [InlineData("ZIPF:0.99", "zipf:0.99")]
    [InlineData("zipf", "zipf:0.99")]
    [InlineData("hotspot:90/10", "hotspot:90/10")]
    [InlineData("sequential", "sequential")]
    public void Parse_accepts_documented_specs(string text, string canonical) =>
        Assert.Equal(canonical, KeyDistribution.Parse(text).Spec);

    [Theory]
    [InlineData("zipf:-1")]
    [InlineData("zipf:abc")]
    [InlineData("hotspot:90")]
    [InlineData("hotspot:120/10")]
    [InlineData("gaussian")]
    public void Parse_rejects_malformed_specs(string text) =>
        Assert.Throws<FormatException>(() => KeyDistribution.Parse(text));
}

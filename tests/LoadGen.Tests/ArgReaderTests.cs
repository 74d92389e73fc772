using Tiered.LoadGen.Cli;
using Tiered.LoadGen.Keys;

namespace Tiered.LoadGen.Tests;

/// <summary>Command-line parsing of the run subcommand.</summary>
public class ArgReaderTests
{
    private static Workload Parse(params string[] args)
    {
        var r = new ArgReader(args, new HashSet<string> { "load", "progress" });
        Workload w = RunCommand.ParseWorkload(r);
        r.RejectUnknown();
        return w;
    }

    [Fact]
    public void Options_build_the_described_workload()
    {
        Workload w = Parse("--clients", "8", "--pipeline=16", "--rate", "100k", "--duration", "2m", "--warmup", "500ms",
            "--keys", "1m", "--dist", "hotspot:90/10", "--reads", "0.5", "--value-size", "512-2048", "--load");
        Assert.Equal(8, w.Clients);
        Assert.Equal(16, w.Pipeline);
        Assert.Equal(100_000, w.Rate);
        Assert.Equal(TimeSpan.FromMinutes(2), w.Duration);
        Assert.Equal(TimeSpan.FromMilliseconds(500), w.Warmup);
        Assert.Equal(1_000_000, w.Keys);
        Assert.Equal(KeyDistribution.DistributionKind.Hotspot, w.Distribution.Kind);
        Assert.Equal(0.5, w.Reads);
        Assert.Equal(new ValueSize(512, 2048), w.ValueSize);
        Assert.True(w.Load);
        Assert.Equal("open", w.Mode);
    }

    [Fact]
    public void Defaults_are_a_closed_loop_uniform_read_mostly_load()
    {
        Workload w = Parse();
        Assert.Null(w.Rate);
        Assert.Equal(50, w.Clients);
        Assert.Equal(0.9, w.Reads);
        Assert.Equal("uniform", w.Dist);
    }

    [Theory]
    [InlineData("--reads", "1.5")]
    [InlineData("--clients", "0")]
    [InlineData("--duration", "abc")]
    [InlineData("--bogus", "1")]
    [InlineData("--dist", "normal")]
    public void Bad_options_are_usage_errors(string name, string value) =>
        Assert.Throws<UsageException>(() => Parse(name, value));
}

using System.Text.Json.Serialization;
using Tiered.LoadGen.Keys;

namespace Tiered.LoadGen;

/// <summary>
/// Everything that defines one load: connections, pipelining, pacing, length, key space and mix. It is a plain
/// immutable description so that other subcommands (peers, cost) can build variants with <c>with</c> and hand them
/// to <see cref="Engine.Runner"/>; it is echoed into every result file.
/// </summary>
public sealed record Workload
{
    public int Clients { get; init; } = 50;

    /// <summary>Closed loop: requests written per batch (all awaited before the next). Open loop: most requests per write.</summary>
    public int Pipeline { get; init; } = 1;

    /// <summary>Open-loop target rate in ops/s over all connections; null means closed loop.</summary>
    public double? Rate { get; init; }

    [JsonIgnore]
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When set, the measured phase ends after this many requests (and <see cref="Duration"/> is ignored).</summary>
    public long? Requests { get; init; }

    [JsonIgnore]
    public TimeSpan Warmup { get; init; } = TimeSpan.Zero;

    public long Keys { get; init; } = 1_000_000;

    public string KeyPrefix { get; init; } = "key:";

    [JsonIgnore]
    public KeyDistribution Distribution { get; init; } = KeyDistribution.Uniform;

    /// <summary>Fraction of operations that are GET; the rest are SET.</summary>
    public double Reads { get; init; } = 0.9;

    [JsonIgnore]
    public ValueSize ValueSize { get; init; } = new(100, 100);

    /// <summary>Write every key once before the measured phase.</summary>
    public bool Load { get; init; }

    public ulong Seed { get; init; } = 1;

    // Text forms for result files.
    public double DurationSeconds => Duration.TotalSeconds;
    public double WarmupSeconds => Warmup.TotalSeconds;
    public string Dist => Distribution.Spec;
    public string ValueBytes => ValueSize.ToString();
    public string Mode => Rate is null ? "closed" : "open";

    /// <summary>Throws <see cref="ArgumentException"/> with a user-facing message when the workload is inconsistent.</summary>
    public void Validate()
    {
        if (Clients < 1 || Clients > 100_000)
            throw new ArgumentException("--clients must be between 1 and 100000");
        if (Pipeline < 1 || Pipeline > 100_000)
            throw new ArgumentException("--pipeline must be between 1 and 100000");
        if (Rate is { } r && (r <= 0 || double.IsNaN(r) || double.IsInfinity(r)))
            throw new ArgumentException("--rate must be positive");
        if (Requests is < 1)
            throw new ArgumentException("--requests must be positive");
        if (Requests is null && Duration <= TimeSpan.Zero)
            throw new ArgumentException("--duration must be positive");
        if (Warmup < TimeSpan.Zero)
            throw new ArgumentException("--warmup must not be negative");
        if (Keys < 1)
            throw new ArgumentException("--keys must be positive");
        if (Reads < 0 || Reads > 1 || double.IsNaN(Reads))
            throw new ArgumentException("--reads must be between 0 and 1");
    }
}

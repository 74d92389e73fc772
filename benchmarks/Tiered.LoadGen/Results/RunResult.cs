namespace Tiered.LoadGen.Results;

/// <summary>
/// The outcome of one workload against one endpoint: plain data, serialised as-is to JSON (and flattened to CSV).
/// Latencies are in microseconds. <see cref="Requests"/> counts measured requests sent, <see cref="Replies"/> their
/// replies (including error replies); a difference means replies were lost (a connection failed or timed out).
/// </summary>
public sealed class RunResult
{
    public string Tool { get; init; } = "Tiered.LoadGen";
    public required string Target { get; init; }
    public required DateTimeOffset StartedUtc { get; init; }
    public required Workload Workload { get; init; }
    public LoadPhaseResult? LoadPhase { get; set; }

    public double MeasuredSeconds { get; set; }
    public long Requests { get; set; }
    public long Replies { get; set; }
    public double OpsPerSecond { get; set; }
    public long ErrorReplies { get; set; }
    public Dictionary<string, long> Errors { get; set; } = [];
    public int ConnectionFailures { get; set; }
    public List<string> ConnectionFailureMessages { get; set; } = [];

    /// <summary>"GET", "SET" and "ALL".</summary>
    public Dictionary<string, OpStats> Operations { get; set; } = [];

    /// <summary>Replies completed in each second of the measured phase (the last second may be partial).</summary>
    public List<long> PerSecond { get; set; } = [];

    /// <summary>INFO counters after minus before the measured phase (only the fields the server has).</summary>
    public Dictionary<string, double> ServerDelta { get; set; } = [];

    /// <summary>tier_hot_hits / (tier_hot_hits + tier_cold_hits + tier_misses) over the measured phase, when the server reports tiers.</summary>
    public double? HotHitRatio { get; set; }
}

/// <summary>Latency summary of one operation type (microseconds); errors are counted, not timed.</summary>
public sealed class OpStats
{
    public long Count { get; init; }
    /// <summary>GET replies that were nil (key absent).</summary>
    public long Misses { get; init; }
    public double OpsPerSecond { get; init; }
    public double MeanUs { get; init; }
    public double P50Us { get; init; }
    public double P90Us { get; init; }
    public double P99Us { get; init; }
    public double P999Us { get; init; }
    public double MaxUs { get; init; }

    public static OpStats From(Metrics.LatencyHistogram h, long misses, double seconds) => new()
    {
        Count = h.Count,
        Misses = misses,
        OpsPerSecond = seconds > 0 ? h.Count / seconds : 0,
        MeanUs = h.Mean / 1000.0,
        P50Us = h.ValueAtPercentile(50) / 1000.0,
        P90Us = h.ValueAtPercentile(90) / 1000.0,
        P99Us = h.ValueAtPercentile(99) / 1000.0,
        P999Us = h.ValueAtPercentile(99.9) / 1000.0,
        MaxUs = h.Max / 1000.0,
    };
}

/// <summary>The <c>--load</c> phase: every key written once with SET.</summary>
public sealed class LoadPhaseResult
{
    public long Keys { get; init; }
    public long Replies { get; init; }
    public double Seconds { get; init; }
    public double OpsPerSecond { get; init; }
    public long ErrorReplies { get; init; }
}

using Tiered.LoadGen.Keys;

namespace Tiered.LoadGen.Peers;

/// <summary>
/// The workloads of the <c>peers</c> command, each a list of measured phases (plain <see cref="Workload"/> values
/// handed to the Runner) plus what the servers need for it: an optional load pass and a DRAM budget. Defaults are
/// short so that all three, 3 rounds, 3 servers, take under 10 minutes on 2 cores.
/// </summary>
public sealed record PeerPhase(string Label, Workload Workload);

public sealed record PeerWorkload
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required IReadOnlyList<PeerPhase> Phases { get; init; }
    /// <summary>Written once per server before the first round (every key, sequential SETs), or null.</summary>
    public Workload? Load { get; init; }
    /// <summary>DRAM budget for servers that tier to disk; null: unlimited, everything must fit in memory.</summary>
    public long? MemoryBudget { get; init; }
    /// <summary>Whether a server without a disk tier (redis-server) is left out: the data set exceeds the budget.</summary>
    public bool NeedsDiskTier { get; init; }

    /// <summary>Rough DRAM needed to hold the loaded data set in a hash-table server (value + key + ~64 B per entry).</summary>
    public long DatasetBytes => Load is null ? 0 : Load.Keys * (Load.ValueSize.Max + Load.KeyPrefix.Length + 7 + 64);

    public ServerConfig ConfigFor(bool aof) => new(MemoryBudget, aof);
}

/// <summary>Builds the named workloads with the run's options.</summary>
public static class PeerWorkloads
{
    public static readonly string[] Names = ["classic", "zipf-fits", "zipf-10x"];

    public sealed record Options
    {
        /// <summary>Measured time of each phase; null: the workload's default (classic 4 s per phase, zipf 8 s).</summary>
        public TimeSpan? Duration { get; init; }
        public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);
        public int Clients { get; init; } = 50;
        /// <summary>Multiplies key counts and the memory budget (0.1 for a quick try); 1 is the documented size.</summary>
        public double Scale { get; init; } = 1.0;
        public ulong Seed { get; init; } = 1;
    }

    public static PeerWorkload Create(string name, Options o) => name switch
    {
        "classic" => Classic(o),
        "zipf-fits" => ZipfFits(o),
        "zipf-10x" => Zipf10x(o),
        _ => throw new ArgumentException($"unknown workload '{name}' (known: {string.Join(", ", Names)})"),
    };

    private static long Scaled(long n, Options o) => Math.Max(1000, (long)(n * o.Scale));

    /// <summary>Like redis-benchmark -t set,get -d 100 -r 100000: a SET-only phase, then a GET-only phase, at P=1 and P=16.</summary>
    private static PeerWorkload Classic(Options o)
    {
        var baseLoad = new Workload
        {
            Clients = o.Clients,
            Duration = o.Duration ?? TimeSpan.FromSeconds(4),
            Warmup = o.Warmup,
            Keys = Scaled(100_000, o),
            Distribution = KeyDistribution.Uniform,
            ValueSize = new ValueSize(100, 100),
            Seed = o.Seed,
        };
        var phases = new List<PeerPhase>();
        foreach (int p in new[] { 1, 16 })
        {
            phases.Add(new PeerPhase($"SET P={p}", baseLoad with { Pipeline = p, Reads = 0 }));
            phases.Add(new PeerPhase($"GET P={p}", baseLoad with { Pipeline = p, Reads = 1 }));
        }
        return new PeerWorkload
        {
            Name = "classic",
            Description = $"redis-benchmark style: {o.Clients} clients, 100 B values, uniform over {baseLoad.Keys:N0} keys; " +
                          "a SET-only phase then a GET-only phase (GETs of keys no SET has touched yet are misses), at pipeline 1 and 16",
            Phases = phases,
        };
    }

    private static Workload ZipfBase(Options o, long keys) => new()
    {
        Clients = o.Clients,
        Pipeline = 1,
        Duration = o.Duration ?? TimeSpan.FromSeconds(8),
        Warmup = o.Warmup,
        Keys = keys,
        Distribution = KeyDistribution.Parse("zipf:0.99"),
        Reads = 0.9,
        ValueSize = new ValueSize(1024, 1024),
        Seed = o.Seed,
    };

    private static PeerWorkload ZipfFits(Options o)
    {
        Workload w = ZipfBase(o, Scaled(200_000, o));
        return new PeerWorkload
        {
            Name = "zipf-fits",
            Description = $"Zipf 0.99 over {w.Keys:N0} keys of 1 KB (about {w.Keys / 1024:N0} MB, fits in memory; all loaded first), " +
                          $"90 % GET / 10 % SET, {o.Clients} clients, pipeline 1",
            Phases = [new PeerPhase("90% GET", w)],
            Load = w,
        };
    }

    private static PeerWorkload Zipf10x(Options o)
    {
        long budget = (long)(100L * 1024 * 1024 * o.Scale);
        budget = Math.Max(budget, 8L * 1024 * 1024);
        Workload w = ZipfBase(o, Scaled(1_000_000, o));
        return new PeerWorkload
        {
            Name = "zipf-10x",
            Description = $"Zipf 0.99 over {w.Keys:N0} keys of 1 KB (about {w.Keys / 1024:N0} MB, 10x the {PeerServer.Megabytes(budget)} MB " +
                          $"DRAM budget; all loaded first), 90 % GET / 10 % SET, {o.Clients} clients, pipeline 1; servers tier to disk",
            Phases = [new PeerPhase("90% GET", w)],
            Load = w,
            MemoryBudget = budget,
            NeedsDiskTier = true,
        };
    }
}

using System.Globalization;
using Tiered.LoadGen.Engine;
using Tiered.LoadGen.Keys;
using Tiered.LoadGen.Results;

namespace Tiered.LoadGen.Cli;

/// <summary>
/// The <c>run</c> subcommand: options → <see cref="Workload"/> + <see cref="Endpoint"/>, one <see cref="Runner"/> run,
/// then the table on stdout and the optional JSON/CSV files. Other subcommands can reuse <see cref="ParseWorkload"/>.
/// </summary>
public static class RunCommand
{
    public const string Usage = """
        usage: Tiered.LoadGen run [options]

        target
          --host H              server address (default 127.0.0.1)
          --port P              server port (default 6379)
        load shape
          --clients N           connections (default 50)
          --pipeline P          closed loop: requests per batch; open loop: most requests per write (default 1)
          --rate R              open loop at R ops/s in total (latency from the intended send time); default closed loop
          --duration D          measured time, e.g. 30s, 2m (default 30s)
          --requests N          instead of --duration: stop after N measured requests
          --warmup D            run this long first without measuring (default 0s)
        data
          --keys N              key space size (default 1000000); keys are key:<n>, zero-padded
          --key-prefix S        key prefix (default "key:")
          --dist D              uniform | zipf:0.99 | hotspot:90/10 | sequential (default uniform)
          --reads F             fraction of GETs, the rest SETs (default 0.9)
          --value-size S        bytes per value, fixed (100) or uniform range (512-2048); k/m suffixes ok
          --load                write every key once before the measured phase
          --seed N              random seed (default 1)
        output
          --json FILE           write the full result as JSON
          --csv FILE            write a summary row per operation as CSV
          --progress            show the live progress line even when stderr is not a terminal
          --no-progress         never show it
        """;

    private static readonly HashSet<string> Flags = ["load", "progress", "no-progress", "help"];

    public static async Task<int> ExecuteAsync(string[] args, CancellationToken ct)
    {
        var reader = new ArgReader(args, Flags);
        if (reader.Flag("help"))
        {
            Console.Out.Write(Usage);
            return 0;
        }
        Endpoint endpoint = ParseEndpoint(reader);
        Workload workload = ParseWorkload(reader);
        string? json = reader.Get("json");
        string? csv = reader.Get("csv");
        bool progress = reader.Flag("progress") || (!reader.Flag("no-progress") && !Console.IsErrorRedirected);
        reader.RejectUnknown();

        var runner = new Runner(endpoint, Console.Error, progress);
        RunResult result = await runner.RunAsync(workload, ct);

        Console.Out.Write(ResultWriter.ToTable(result));
        if (json is not null)
            await File.WriteAllTextAsync(json, ResultWriter.ToJson(result) + "\n", CancellationToken.None);
        if (csv is not null)
            await File.WriteAllTextAsync(csv, ResultWriter.ToCsv(result), CancellationToken.None);
        bool clean = result.Requests == result.Replies && result.ConnectionFailures == 0;
        return clean ? 0 : 1;
    }

    public static Endpoint ParseEndpoint(ArgReader r)
    {
        string host = r.GetString("host", "127.0.0.1");
        int port = r.Parse("port", 6379, s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and < 65536
            ? p
            : throw new FormatException($"bad port '{s}'"));
        return new Endpoint(host, port);
    }

    /// <summary>
    /// The workload options; <paramref name="defaults"/> replaces the run command's defaults and
    /// <paramref name="readsOption"/> names the GET-fraction option (cost spells it --read-ratio).
    /// </summary>
    public static Workload ParseWorkload(ArgReader r, Workload? defaults = null, string readsOption = "reads")
    {
        Workload d = defaults ?? new Workload();
        Workload w = d with
        {
            Clients = (int)r.Parse("clients", d.Clients, s => ArgReader.ParseCount(s)),
            Pipeline = (int)r.Parse("pipeline", d.Pipeline, s => ArgReader.ParseCount(s)),
            Rate = r.Parse<double?>("rate", null, s => ArgReader.ParseNumber(s)),
            Duration = r.Parse("duration", d.Duration, ArgReader.ParseDuration),
            Requests = r.Parse<long?>("requests", null, s => ArgReader.ParseCount(s)),
            Warmup = r.Parse("warmup", d.Warmup, ArgReader.ParseDuration),
            Keys = r.Parse("keys", d.Keys, ArgReader.ParseCount),
            KeyPrefix = r.GetString("key-prefix", d.KeyPrefix),
            Distribution = r.Parse("dist", d.Distribution, KeyDistribution.Parse),
            Reads = r.Parse(readsOption, d.Reads, ArgReader.ParseNumber),
            ValueSize = r.Parse("value-size", d.ValueSize, ValueSize.Parse),
            Load = r.Flag("load") || d.Load,
            Seed = (ulong)r.Parse("seed", (long)d.Seed, ArgReader.ParseCount),
        };
        try
        {
            w.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        return w;
    }
}

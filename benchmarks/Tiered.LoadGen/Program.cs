using Tiered.LoadGen.Cli;

namespace Tiered.LoadGen;

/// <summary>
/// Entry point: dispatches subcommands: <c>run</c> (one workload, one server), <c>peers</c> (Tiered beside
/// redis-server and Garnet) and <c>cost</c> (Tiered at several DRAM budgets, priced with ElastiCache nodes).
/// Exit codes: 0 ok, 1 run finished but lost replies / failed connections, 2 usage error, 3 could not run.
/// </summary>
public static class Program
{
    private const string Usage = """
        Tiered.LoadGen: load generator for Redis-compatible servers (Tiered, redis-server, Garnet...)

        usage: Tiered.LoadGen <command> [options]
          run     run one workload against one server and report latency/throughput (run --help for options)
          peers   start Tiered, redis-server and Garnet and compare them on the same workloads (peers --help)
          cost    measure Tiered all in DRAM and tiered at several DRAM budgets and price each setup (cost --help)
          verify  write every key with a value derived from its number, read every key back and compare (verify --help)
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.Write(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true; // stop sending, drain and still report what was measured
            cts.Cancel();
        };

        try
        {
            return args[0] switch
            {
                "run" => await RunCommand.ExecuteAsync(args[1..], cts.Token),
                "peers" => await Peers.PeersCommand.ExecuteAsync(args[1..], cts.Token),
                "cost" => await Cost.CostCommand.ExecuteAsync(args[1..], cts.Token),
                "verify" => await VerifyCommand.ExecuteAsync(args[1..], cts.Token),
                _ => throw new UsageException($"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            Console.Error.WriteLine();
            Console.Error.Write(args[0] switch { "run" => RunCommand.Usage, "peers" => Peers.PeersCommand.Usage, "cost" => Cost.CostCommand.Usage, "verify" => VerifyCommand.Usage, _ => Usage });
            return 2;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 3;
        }
    }
}

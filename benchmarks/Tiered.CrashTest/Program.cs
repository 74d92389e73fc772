namespace Tiered.CrashTest;

/// <summary>
/// Entry point: <c>crash</c> (kill -9 cycles under load, then check every acknowledged write) and <c>throughput</c>
/// (appendfsync always vs everysec under the same load). Exit codes: 0 pass, 1 fail, 2 usage error, 3 could not run.
/// </summary>
public static class Program
{
    private const string Usage = """
        Tiered.CrashTest: durability crash tests for the Tiered server (issue 4)

        usage: Tiered.CrashTest <command> [options]
          crash        kill -9 the server under a write load many times; after each restart check every key
          throughput   write throughput with appendfsync always vs everysec (group commit)
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
            e.Cancel = true;
            cts.Cancel();
        };
        try
        {
            switch (args[0])
            {
                case "crash":
                {
                    CrashOptions o = CrashOptions.Parse(args[1..]);
                    CrashSummary s = await CrashRun.RunAsync(o, Console.Out, cts.Token);
                    return s.Passed ? 0 : 1;
                }
                case "throughput":
                {
                    CrashOptions o = CrashOptions.Parse(args[1..]);
                    double ratio = await ThroughputRun.RunAsync(o, Console.Out, cts.Token);
                    return ratio >= ThroughputRun.Target ? 0 : 1;
                }
                default:
                    throw new UsageException($"unknown command '{args[0]}'");
            }
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            Console.Error.WriteLine();
            Console.Error.Write(args[0] switch { "crash" => CrashOptions.CrashUsage, "throughput" => CrashOptions.ThroughputUsage, _ => Usage });
            return 2;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or RespErrorException or OperationCanceledException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 3;
        }
    }
}

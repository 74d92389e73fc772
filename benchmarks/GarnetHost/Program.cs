// Hosts Microsoft Garnet (NuGet Microsoft.Garnet) as a plain console process, so the load generator's `peers`
// command can start it, measure it and stop it like redis-server and Tiered. Every argument goes to Garnet
// unchanged (its own option names: --port, --bind, --storage-tier, -m, ...), except this host's one option:
//   --exit-with-stdin   also stop when standard input closes, so a launcher that dies without cleaning up
//                       (SIGKILL) does not leave Garnet behind: its end of the pipe closes with it.
// Stops on SIGTERM, SIGINT (Ctrl+C) or SIGQUIT, then disposes the server (which flushes and closes its devices).
using System.Runtime.InteropServices;
using Garnet;

bool exitWithStdin = args.Contains("--exit-with-stdin");
string[] garnetArgs = args.Where(a => a != "--exit-with-stdin").ToArray();

using var stop = new ManualResetEventSlim();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true; // we dispose the server ourselves, then return from Main
    stop.Set();
}
using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);

GarnetServer server;
try
{
    server = new GarnetServer(garnetArgs);
}
catch (Exception e)
{
    Console.Error.WriteLine($"garnet-host: cannot create the server: {e.Message}");
    return 1;
}

using (server)
{
    server.Start();
    Console.Out.WriteLine("garnet-host: started");
    Console.Out.Flush();
    if (exitWithStdin)
    {
        var watcher = new Thread(() =>
        {
            try
            {
                using Stream input = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (input.Read(buffer, 0, buffer.Length) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
            stop.Set();
        }) { IsBackground = true, Name = "stdin-watch" };
        watcher.Start();
    }
    stop.Wait();
    Console.Out.WriteLine("garnet-host: stopping");
}
return 0;

using System.Diagnostics;
using System.Globalization;

namespace Tiered.CrashTest;

/// <summary>
/// Group-commit check (issue 4): write throughput of the same load with appendfsync everysec and with always, measured
/// in one run on a fresh server each (data under DIR/everysec and DIR/always). With group commit, always should reach
/// at least half of everysec; one fsync per command would be far below.
/// </summary>
public static class ThroughputRun
{
    public const double Target = 0.5;

    public static async Task<double> RunAsync(CrashOptions o, TextWriter output, CancellationToken ct = default)
    {
        bool tempDir = o.Dir is null;
        string root = Path.GetFullPath(o.Dir ?? Directory.CreateTempSubdirectory("tiered-tput-").FullName);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput: {o.Keys} keys x {o.ValueSize} B, {o.Clients} {(o.BlockingClients ? "blocking-thread" : "async")} clients, {o.DelPercent}% DEL, {o.Seconds.TotalSeconds:0} s per setting"));
        if (o.NoPersistenceArgs)
            output.WriteLine("note: --no-persistence-args: both servers run without persistence, the ratio says nothing about group commit");
        var opsPerSec = new Dictionary<string, double>();
        foreach (string mode in (string[])["everysec", "always"])
        {
            string dir = Path.Combine(root, mode);
            CrashRun.PrepareDir(dir, clean: true);
            var mo = Clone(o, mode);
            if (mo.SsdPath is not null)
            {
                mo.SsdPath = Path.Combine(Path.GetFullPath(mo.SsdPath), mode);
                CrashRun.PrepareDir(mo.SsdPath, clean: true);
            }
            List<string> args = CrashRun.ServerArgs(mo, dir, mode);
            using ServerProcess server = ServerProcess.Start(o, args, root.TrimEnd('/') + "." + mode + ".server.log", dir);
            await server.WaitReadyAsync(o.StartTimeout, ct);
            using (var c = new RespConnection(server.Port, TimeSpan.FromSeconds(60)))
                c.Command("FLUSHALL");
            var seqs = new long[2 * o.Clients];
            if (o.Load)
                new WriteLoad(mo, null, seqs).Preload(server.Port);
            var load = new WriteLoad(mo, null, seqs);
            long t0 = Stopwatch.GetTimestamp();
            Task writers = o.BlockingClients ? load.RunAsync(server.Port, o.Seed) : load.RunAsyncClientsAsync(server.Port, o.Seed);
            await Task.Delay(o.Seconds, ct);
            long acked = load.Acked;
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            load.Stop();
            await writers;
            opsPerSec[mode] = acked / seconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"appendfsync {mode}: {acked} writes in {seconds:0.0} s = {acked / seconds:0} ops/s{(load.Errors > 0 ? $", {load.Errors} error replies (first: {load.FirstError})" : "")}"));
        }
        double ratio = opsPerSec["always"] / opsPerSec["everysec"];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio always/everysec {ratio:0.00} (target >= {Target:0.0}): {(ratio >= Target ? "PASS" : "FAIL")}"));
        if (tempDir)
            Directory.Delete(root, recursive: true);
        return ratio;
    }

    private static CrashOptions Clone(CrashOptions o, string mode)
    {
        var c = new CrashOptions
        {
            ServerDll = o.ServerDll, ServerExe = o.ServerExe, Dir = o.Dir, SsdPath = o.SsdPath, MaxMemory = o.MaxMemory, AppendFsync = mode,
            Keys = o.Keys, ValueSize = o.ValueSize, Clients = o.Clients, Load = o.Load, DelPercent = o.DelPercent,
            Seed = o.Seed, StartTimeout = o.StartTimeout, NoPersistenceArgs = o.NoPersistenceArgs, Seconds = o.Seconds,
            BlockingClients = o.BlockingClients,
        };
        c.ExtraServerArgs.AddRange(o.ExtraServerArgs);
        return c;
    }
}

using System.Diagnostics;
using System.Globalization;

namespace Tiered.CrashTest;

/// <summary>Totals of a crash run.</summary>
public sealed class CrashSummary
{
    public int Cycles;
    public long AckedWrites;
    public long Lost;
    public long Wrong;
    public long RecentLoss;
    public double OldestRecentLossSeconds;
    public long KeysChecked;
    public long WriteErrors;
    public readonly List<double> RestartSeconds = [];
    public bool Always;

    /// <summary>always: nothing lost and nothing wrong. everysec/no: nothing wrong and nothing older than the window lost.</summary>
    public bool Passed => Lost == 0 && Wrong == 0 && Cycles > 0;
}

/// <summary>
/// The crash cycle (issue 4): start the server, optionally write every key once, then N times: write under load from
/// C clients for a random time, kill -9 the server, restart it with the same options, time the restart (process start
/// to PING answering and loading:0), and check every key ever written against the <see cref="KeyLedger"/>.
/// </summary>
public static class CrashRun
{
    public static async Task<CrashSummary> RunAsync(CrashOptions o, TextWriter output, CancellationToken ct = default)
    {
        bool tempDir = o.Dir is null;
        string dir = Path.GetFullPath(o.Dir ?? Directory.CreateTempSubdirectory("tiered-crash-").FullName);
        PrepareDir(dir, o.Clean);
        if (o.SsdPath is not null && Path.GetFullPath(o.SsdPath) != dir)
            PrepareDir(o.SsdPath, o.Clean);
        string log = o.ServerLog ?? dir.TrimEnd('/') + ".server.log";
        List<string> args = ServerArgs(o, dir, o.AppendFsync);

        var summary = new CrashSummary { Always = o.Always };
        var rng = new Random(o.Seed);
        var ledger = new KeyLedger(o.Keys, o.Always ? TimeSpan.Zero : o.LossWindow);
        var seqs = new long[2 * o.Clients];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"crash: {o.Keys} keys x {o.ValueSize} B, {o.Clients} clients, {o.DelPercent}% DEL, appendfsync {o.AppendFsync}, {o.Cycles} cycles, kill after {o.KillAfterMin.TotalSeconds:0.#}-{o.KillAfterMax.TotalSeconds:0.#} s, seed {o.Seed}"));
        output.WriteLine($"server: {(o.ServerExe ?? "dotnet " + o.ServerDll)} --port P {string.Join(' ', args)}  (log: {log})");
        if (o.NoPersistenceArgs)
            output.WriteLine("note: --no-persistence-args: the server was not asked to persist anything; expect losses");

        ServerProcess server = ServerProcess.Start(o, args, log, dir);
        try
        {
            TimeSpan first = await server.WaitReadyAsync(o.StartTimeout, ct);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"server ready in {first.TotalSeconds:0.00} s (pid {server.Pid}, port {server.Port})"));
            using (var c = new RespConnection(server.Port, TimeSpan.FromSeconds(60)))
                c.Command("FLUSHALL");

            if (o.Load)
            {
                var loader = new WriteLoad(o, ledger, seqs);
                long t0 = Stopwatch.GetTimestamp();
                loader.Preload(server.Port);
                double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                summary.AckedWrites += loader.Acked;
                summary.WriteErrors += loader.Errors;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"preload: {loader.Acked} keys in {s:0.0} s ({loader.Acked / s:0} SET/s){(loader.Errors > 0 ? $", {loader.Errors} errors, first: {loader.FirstError}" : "")}"));
            }

            for (int cycle = 1; cycle <= o.Cycles; cycle++)
            {
                ct.ThrowIfCancellationRequested();
                var load = new WriteLoad(o, ledger, seqs);
                long loadStart = Stopwatch.GetTimestamp();
                Task writers = load.RunAsync(server.Port, rng.Next());
                TimeSpan killAfter = o.KillAfterMin + (o.KillAfterMax - o.KillAfterMin) * rng.NextDouble();
                await Task.WhenAny(writers, Task.Delay(killAfter, ct));
                long killTick = Stopwatch.GetTimestamp();
                double loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;
                if (server.HasExited)
                    output.WriteLine($"cycle {cycle}: the server exited by itself before the kill; its last lines:{Environment.NewLine}{server.Tail()}");
                server.Kill();
                if (!writers.IsCompleted && await Task.WhenAny(writers, Task.Delay(TimeSpan.FromSeconds(60), ct)) != writers)
                    throw new IOException("writers did not stop within 60 s of the kill");
                await writers;
                long inFlight = ledger.PendingCount();
                server.Dispose();

                server = ServerProcess.Start(o, args, log, dir);
                TimeSpan restart = await server.WaitReadyAsync(o.StartTimeout, ct);
                long checkStart = Stopwatch.GetTimestamp();
                CheckResult r = Checker.Check(server.Port, ledger, o, killTick);
                double checkSeconds = Stopwatch.GetElapsedTime(checkStart).TotalSeconds;

                summary.Cycles++;
                summary.AckedWrites += load.Acked;
                summary.WriteErrors += load.Errors;
                summary.Lost += r.Lost;
                summary.Wrong += r.Wrong;
                summary.RecentLoss += r.RecentLoss;
                summary.OldestRecentLossSeconds = Math.Max(summary.OldestRecentLossSeconds, r.OldestRecentLossSeconds);
                summary.KeysChecked += r.Checked;
                summary.RestartSeconds.Add(restart.TotalSeconds);

                string recent = o.Always ? "" : string.Create(CultureInfo.InvariantCulture,
                    $", missing within {o.LossWindow.TotalSeconds:0.#} s {r.RecentLoss} (oldest {r.OldestRecentLossSeconds:0.000} s)");
                string errors = load.Errors > 0 ? $", {load.Errors} error replies (first: {load.FirstError})" : "";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"cycle {cycle}/{o.Cycles}: acknowledged {load.Acked} writes in {loadSeconds:0.0} s ({load.Acked / loadSeconds:0}/s), {inFlight} in flight at kill{errors}; restart {restart.TotalSeconds:0.00} s; checked {r.Checked} keys in {checkSeconds:0.0} s: lost {r.Lost}, wrong {r.Wrong}{recent}"));
                foreach (string sample in r.Samples)
                    output.WriteLine("    " + sample);
            }
        }
        finally
        {
            server.Dispose();
        }

        summary.RestartSeconds.Sort();
        string restarts = summary.RestartSeconds.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"; restart s min {summary.RestartSeconds[0]:0.00} median {summary.RestartSeconds[summary.RestartSeconds.Count / 2]:0.00} max {summary.RestartSeconds[^1]:0.00}");
        string tail = o.Always ? "" : string.Create(CultureInfo.InvariantCulture,
            $", missing within {o.LossWindow.TotalSeconds:0.#} s window {summary.RecentLoss} (oldest {summary.OldestRecentLossSeconds:0.000} s)");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cycles {summary.Cycles}, acknowledged writes {summary.AckedWrites}, lost {summary.Lost}, wrong {summary.Wrong}{tail}{restarts}"));
        output.WriteLine(summary.Passed ? "PASS" : "FAIL");
        if (tempDir && summary.Passed)
        {
            Directory.Delete(dir, recursive: true);
            File.Delete(log);
        }
        return summary;
    }

    /// <summary>The server's arguments after --port, the same for every start.</summary>
    public static List<string> ServerArgs(CrashOptions o, string dir, string appendFsync)
    {
        var args = new List<string>();
        if (!o.NoPersistenceArgs)
            args.AddRange(["--appendonly", "yes", "--appendfsync", appendFsync, "--dir", dir]);
        if (o.SsdPath is not null)
            args.AddRange(["--ssd-path", Path.GetFullPath(o.SsdPath)]);
        if (o.MaxMemory is not null)
            args.AddRange(["--maxmemory", o.MaxMemory]);
        args.AddRange(o.ExtraServerArgs);
        return args;
    }

    /// <summary>Creates the directory; with clean, empties it.</summary>
    public static void PrepareDir(string dir, bool clean)
    {
        Directory.CreateDirectory(dir);
        if (!clean)
            return;
        foreach (string f in Directory.EnumerateFiles(dir))
            File.Delete(f);
        foreach (string d in Directory.EnumerateDirectories(dir))
            Directory.Delete(d, recursive: true);
    }
}

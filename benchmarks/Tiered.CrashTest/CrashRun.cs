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

    // Collection writers (--collections); lost/wrong count keys, per type indexed by CollType.
    public long CollAcked;
    public long CollLost;
    public long CollWrong;
    public long CollRecentLoss;
    /// <summary>Acknowledged collection ops whose reply contradicted the writer's model.</summary>
    public long CollBadReplies;
    public long CollErrors;
    public long CollKeysChecked;
    public readonly long[] CollLostByType = new long[CollTypes.Count];
    public readonly long[] CollWrongByType = new long[CollTypes.Count];

    /// <summary>always: nothing lost and nothing wrong. everysec/no: nothing wrong and nothing older than the window lost.
    /// Collections alike, and no collection reply contradicted its model.</summary>
    public bool Passed => Lost == 0 && Wrong == 0 && CollLost == 0 && CollWrong == 0 && CollBadReplies == 0 && Cycles > 0;
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
        var coll = new CollectionWriter[o.Collections];
        for (int i = 0; i < coll.Length; i++)
            coll[i] = new CollectionWriter(i, o.CollectionKeys, o.ElementSize);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"crash: {o.Keys} keys x {o.ValueSize} B, {o.Clients} clients, {o.DelPercent}% DEL, appendfsync {o.AppendFsync}, {o.Cycles} cycles, kill after {o.KillAfterMin.TotalSeconds:0.#}-{o.KillAfterMax.TotalSeconds:0.#} s, seed {o.Seed}"));
        if (coll.Length > 0)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"collections: {coll.Length} writers x {o.CollectionKeys} keys per type (list, set, zset, hash, stream) = {coll.Length * CollTypes.Count * o.CollectionKeys} keys {CollectionWriter.KeyPrefix}<writer>:<type>:<k>, {o.ElementSize} B elements{(o.TamperCollections ? "; --tamper-collections: one key per type is changed before each check, expect failures" : "")}"));
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
                Task stringWriters = load.RunAsync(server.Port, rng.Next());
                Task writers = coll.Length == 0 ? stringWriters : Task.WhenAll(stringWriters, StartCollectionWriters(coll, server.Port, rng.Next()));
                TimeSpan killAfter = o.KillAfterMin + (o.KillAfterMax - o.KillAfterMin) * rng.NextDouble();
                await Task.WhenAny(writers, Task.Delay(killAfter, ct));
                long? demotions = coll.Length > 0 ? TierInfo(server.Port, "tier_demotions") : null;
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

                if (coll.Length > 0)
                {
                    if (o.TamperCollections)
                        foreach (string t in CollectionChecker.Tamper(server.Port, coll, rng))
                            output.WriteLine("    tampered: " + t);
                    CheckCollections(o, coll, server.Port, killTick, loadSeconds, demotions, summary, output);
                }
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
            $"cycles {summary.Cycles}, acknowledged writes {summary.AckedWrites}, lost {summary.Lost}, wrong {summary.Wrong}{tail}{restarts}{CollectionTotals(o, summary)}"));
        output.WriteLine(summary.Passed ? "PASS" : "FAIL");
        if (tempDir && summary.Passed)
        {
            Directory.Delete(dir, recursive: true);
            File.Delete(log);
        }
        return summary;
    }

    private static Task StartCollectionWriters(CollectionWriter[] coll, int port, int seed)
    {
        var tasks = new Task[coll.Length];
        for (int i = 0; i < coll.Length; i++)
        {
            CollectionWriter w = coll[i];
            tasks[i] = Task.Factory.StartNew(() => w.Run(port, seed), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        return Task.WhenAll(tasks);
    }

    /// <summary>Checks every collection key after a restart, adds to the summary and prints the cycle's collection line.</summary>
    private static void CheckCollections(CrashOptions o, CollectionWriter[] coll, int port, long killTick, double loadSeconds,
        long? demotions, CrashSummary summary, TextWriter output)
    {
        long acked = 0, errors = 0, bad = 0;
        string? firstError = null;
        var badSamples = new List<string>();
        foreach (CollectionWriter w in coll)
        {
            acked += w.Acked;
            errors += w.Errors;
            firstError ??= w.FirstError;
            bad += w.BadReplies.Sum();
            badSamples.AddRange(w.BadReplySamples.Take(5 - Math.Min(5, badSamples.Count)));
        }
        long? coldBefore = TierInfo(port, "tier_cold_hits");
        long checkStart = Stopwatch.GetTimestamp();
        CollCheckResult c = CollectionChecker.Check(port, coll, o, killTick);
        double checkSeconds = Stopwatch.GetElapsedTime(checkStart).TotalSeconds;
        long? coldAfter = coldBefore is null ? null : TierInfo(port, "tier_cold_hits");

        summary.CollAcked += acked;
        summary.CollErrors += errors;
        summary.CollBadReplies += bad;
        summary.CollLost += c.TotalLost;
        summary.CollWrong += c.TotalWrong;
        summary.CollRecentLoss += c.TotalRecentLoss;
        summary.CollKeysChecked += c.Checked;
        for (int t = 0; t < CollTypes.Count; t++)
        {
            summary.CollLostByType[t] += c.Lost[t];
            summary.CollWrongByType[t] += c.Wrong[t];
        }

        var inv = CultureInfo.InvariantCulture;
        string byType = string.Join(", ", Enumerable.Range(0, CollTypes.Count).Select(t =>
            string.Create(inv, $"{CollTypes.Names[t]} {c.Lost[t]}/{c.Wrong[t]}{(o.Always ? "" : $"/{c.RecentLoss[t]}")}")));
        string largest = string.Join(", ", Enumerable.Range(0, CollTypes.Count).Select(t =>
            string.Create(inv, $"{CollTypes.Names[t]} {c.MaxSize[t]}")));
        string errorText = errors > 0 ? $", {errors} error replies (first: {firstError})" : "";
        string badText = bad > 0 ? string.Create(inv, $", {bad} replies contradicting the model") : "";
        string recent = o.Always ? "" : string.Create(inv,
            $", missing within {o.LossWindow.TotalSeconds:0.#} s {c.TotalRecentLoss} (oldest {c.OldestRecentLossSeconds:0.000} s)");
        string deleted = c.Deleted > 0 ? string.Create(inv, $", {c.Deleted} unreadable keys deleted") : "";
        string tiering = demotions is null && coldAfter is null ? "" : string.Create(inv,
            $"; server: {(demotions is null ? "?" : demotions)} demotions (all keys) in the cycle before the kill, {(coldAfter is null ? "?" : coldAfter - coldBefore)} collection keys read cold by the check");
        output.WriteLine(string.Create(inv,
            $"  collections: acknowledged {acked} ops ({acked / Math.Max(loadSeconds, 1e-9):0}/s), {c.InFlight} in flight at kill ({c.InFlightApplied} found applied){errorText}{badText}; checked {c.Checked} keys, {c.Elements} elements in {checkSeconds:0.0} s: lost {c.TotalLost}, wrong {c.TotalWrong}{recent}{deleted}; by type lost/wrong{(o.Always ? "" : "/recent")}: {byType}; largest: {largest}{tiering}"));
        foreach (string s in badSamples)
            output.WriteLine("    reply: " + s);
        foreach (string s in c.Samples)
            output.WriteLine("    " + s);
    }

    /// <summary>A counter from INFO tiering (Tiered's tier_* fields); null if the server has none or does not answer.</summary>
    private static long? TierInfo(int port, string field)
    {
        try
        {
            using var c = new RespConnection(port, TimeSpan.FromSeconds(5));
            string? info = c.Command("INFO", "tiering");
            foreach (string raw in (info ?? "").Split('\n'))
            {
                string line = raw.TrimEnd('\r');
                if (line.StartsWith(field + ":", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan(field.Length + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v))
                    return v;
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or RespErrorException)
        {
        }
        return null;
    }

    private static string CollectionTotals(CrashOptions o, CrashSummary s)
    {
        if (o.Collections == 0)
            return "";
        var inv = CultureInfo.InvariantCulture;
        string bad = s.CollBadReplies > 0 ? string.Create(inv, $", contradicting replies {s.CollBadReplies}") : "";
        string recent = o.Always ? "" : string.Create(inv, $", missing within window {s.CollRecentLoss}");
        return string.Create(inv,
            $"; collection ops acknowledged {s.CollAcked}, lost {s.CollLost}, wrong {s.CollWrong}{recent}{bad} (keys; lost/wrong by type {string.Join(", ", Enumerable.Range(0, CollTypes.Count).Select(t => $"{CollTypes.Names[t]} {s.CollLostByType[t]}/{s.CollWrongByType[t]}"))})");
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

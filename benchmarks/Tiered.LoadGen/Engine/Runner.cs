using System.Diagnostics;
using System.Net.Sockets;
using Tiered.LoadGen.Keys;
using Tiered.LoadGen.Metrics;
using Tiered.LoadGen.Resp;
using Tiered.LoadGen.Results;

namespace Tiered.LoadGen.Engine;

/// <summary>
/// Runs one <see cref="Workload"/> against one <see cref="Endpoint"/>: optional load phase, INFO snapshot, the
/// measured phase (warm-up included but not counted), INFO again, then merges the per-connection statistics into a
/// <see cref="RunResult"/>. Few threads: closed-loop connections are async loops on the thread pool; open loop adds
/// one pacer thread that does the (small, synchronous) sends for every connection.
/// </summary>
public sealed class Runner(Endpoint endpoint, TextWriter log, bool progress)
{
    /// <summary>How long outstanding replies may take to arrive once sending stopped.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public async Task<RunResult> RunAsync(Workload workload, CancellationToken ct = default)
    {
        workload.Validate();
        var result = new RunResult { Target = endpoint.ToString(), StartedUtc = DateTimeOffset.UtcNow, Workload = workload };

        if (workload.Load)
            result.LoadPhase = await LoadAsync(workload, ct).ConfigureAwait(false);

        // INFO "before" is taken when the measured phase starts (after load and warm-up) so the delta matches the results.
        Dictionary<string, string>? before = null;
        async Task SnapshotBefore() => before = await TryInfoAsync(ct).ConfigureAwait(false);
        long quotaTotal = workload.Requests ?? long.MaxValue;
        int n = workload.Clients;
        PhaseOutcome phase = await RunPhaseAsync(workload,
            i => workload.Requests is null ? long.MaxValue : quotaTotal / n + (i < quotaTotal % n ? 1 : 0),
            "run", SnapshotBefore, ct).ConfigureAwait(false);
        Dictionary<string, string>? after = await TryInfoAsync(ct).ConfigureAwait(false);

        result.MeasuredSeconds = phase.Seconds;
        result.Requests = phase.Requests;
        result.Replies = phase.Replies;
        result.OpsPerSecond = phase.Seconds > 0 ? phase.Replies / phase.Seconds : 0;
        result.ErrorReplies = phase.ErrorReplies;
        result.Errors = phase.Errors;
        result.ConnectionFailures = phase.Failures.Count;
        result.ConnectionFailureMessages = phase.Failures.Distinct().ToList();
        result.Operations["GET"] = OpStats.From(phase.Get, phase.GetMisses, phase.Seconds);
        result.Operations["SET"] = OpStats.From(phase.Set, 0, phase.Seconds);
        var all = new LatencyHistogram();
        all.Merge(phase.Get);
        all.Merge(phase.Set);
        result.Operations["ALL"] = OpStats.From(all, phase.GetMisses, phase.Seconds);
        result.PerSecond = phase.PerSecond;
        if (before is not null && after is not null)
        {
            result.ServerDelta = ServerInfo.Delta(before, after);
            result.HotHitRatio = ServerInfo.HotHitRatio(result.ServerDelta);
        }
        return result;
    }

    /// <summary>Writes every key once: sequential keys split over the connections, SET only, deep pipeline.</summary>
    public async Task<LoadPhaseResult> LoadAsync(Workload workload, CancellationToken ct = default)
    {
        int n = workload.Clients;
        long keys = workload.Keys;
        Workload load = workload with
        {
            Reads = 0,
            Distribution = new KeyDistribution { Kind = KeyDistribution.DistributionKind.Sequential },
            Pipeline = Math.Max(workload.Pipeline, 64),
            Rate = null,
            Warmup = TimeSpan.Zero,
            Requests = keys,
        };
        PhaseOutcome phase = await RunPhaseAsync(load, i => i < keys ? (keys - i + n - 1) / n : 0, "load", null, ct).ConfigureAwait(false);
        if (phase.Failures.Count > 0)
            throw new IOException("load phase failed: " + phase.Failures[0]);
        return new LoadPhaseResult
        {
            Keys = keys,
            Replies = phase.Replies,
            Seconds = phase.Seconds,
            OpsPerSecond = phase.Seconds > 0 ? phase.Replies / phase.Seconds : 0,
            ErrorReplies = phase.ErrorReplies,
        };
    }

    private sealed class PhaseOutcome
    {
        public double Seconds;
        public long Requests, Replies, ErrorReplies, GetMisses;
        public readonly LatencyHistogram Get = new(), Set = new();
        public Dictionary<string, long> Errors = new(StringComparer.Ordinal);
        public List<string> Failures = [];
        public List<long> PerSecond = [];
    }

    private async Task<PhaseOutcome> RunPhaseAsync(Workload w, Func<int, long> quotaOf, string label, Func<Task>? atMeasureStart, CancellationToken ct)
    {
        if (atMeasureStart is not null && w.Warmup <= TimeSpan.Zero)
        {
            await atMeasureStart().ConfigureAwait(false);
            atMeasureStart = null;
        }
        int n = w.Clients;
        var sockets = new Socket[n];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
                async (i, token) => sockets[i] = await ConnectAsync(token).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch
        {
            foreach (Socket? s in sockets)
                s?.Dispose();
            throw;
        }

        var writer = new RequestWriter(w.KeyPrefix, w.Keys);
        var values = new ValueGenerator(w.ValueSize, w.Seed);
        var clock = new RunClock(RunClock.Now, w.Warmup);
        var conns = new Connection[n];
        for (int i = 0; i < n; i++)
            conns[i] = new Connection(sockets[i], w, clock, writer, values, w.Distribution.CreateSampler(w.Keys, w.Seed, i, n), i, quotaOf(i));

        var tasks = new List<Task>(n);
        Thread? pacer = null;
        if (w.Rate is null)
        {
            foreach (Connection c in conns)
                tasks.Add(Task.Run(c.RunClosedAsync, CancellationToken.None));
        }
        else
        {
            foreach (Connection c in conns)
                tasks.Add(Task.Run(c.ReceiveLoopAsync, CancellationToken.None));
            pacer = new Thread(() => Pace(conns, clock)) { IsBackground = true, Name = "loadgen-pacer" };
            pacer.Start();
        }

        long? end = w.Requests is null ? clock.MeasureStart + (long)(w.Duration.TotalSeconds * Stopwatch.Frequency) : null;
        var meter = new ProgressMeter(log, progress && label == "run", label, clock, w, conns);
        try
        {
            while (!conns.All(c => c.DoneSending || c.Failure is not null) && !clock.StopSending)
            {
                if (ct.IsCancellationRequested || (end is { } e && RunClock.Now >= e))
                    break;
                // Wake right at the end of the warm-up when a snapshot is due there, else every 50 ms.
                long toMeasure = clock.MeasureStart - RunClock.Now;
                int delayMs = atMeasureStart is not null && toMeasure > 0
                    ? (int)Math.Clamp(RunClock.Seconds(toMeasure) * 1000, 1, 50)
                    : 50;
                await Task.Delay(delayMs, CancellationToken.None).ConfigureAwait(false);
                meter.Tick();
                if (atMeasureStart is not null && RunClock.Now >= clock.MeasureStart)
                {
                    await atMeasureStart().ConfigureAwait(false);
                    atMeasureStart = null;
                }
            }
            clock.RequestStop();
            long drainUntil = RunClock.Now + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
            while (!conns.All(c => c.Idle) && RunClock.Now < drainUntil)
            {
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                meter.Tick();
            }
        }
        finally
        {
            clock.RequestStop();
            pacer?.Join();
            foreach (Connection c in conns)
                c.Dispose();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            meter.Finish();
        }
        return Merge(conns, clock);
    }

    private static void Pace(Connection[] conns, RunClock clock)
    {
        while (!clock.StopSending)
        {
            long now = RunClock.Now;
            bool active = false;
            foreach (Connection c in conns)
            {
                if (c.DoneSending || c.Failure is not null)
                    continue;
                active = true;
                c.PaceSend(now);
            }
            if (!active)
                return;
            Thread.Sleep(1);
        }
    }

    private static PhaseOutcome Merge(Connection[] conns, RunClock clock)
    {
        var o = new PhaseOutcome();
        long last = clock.MeasureStart;
        var perSecond = new long[conns.Max(c => c.PerSecond.Length)];
        foreach (Connection c in conns)
        {
            o.Requests += c.SentMeasured;
            o.Replies += c.RepliesMeasured;
            o.ErrorReplies += c.ErrorReplies;
            o.GetMisses += c.GetMisses;
            o.Get.Merge(c.Latency[Connection.OpGet]);
            o.Set.Merge(c.Latency[Connection.OpSet]);
            foreach ((string k, long v) in c.Errors)
                o.Errors[k] = o.Errors.GetValueOrDefault(k) + v;
            if (c.Failure is not null)
                o.Failures.Add(c.Failure);
            last = Math.Max(last, c.LastReplyTicks);
            for (int s = 0; s < c.PerSecond.Length; s++)
                perSecond[s] += c.PerSecond[s];
        }
        o.Seconds = RunClock.Seconds(last - clock.MeasureStart);
        int used = (int)Math.Min(perSecond.Length, Math.Ceiling(o.Seconds));
        o.PerSecond = perSecond.Take(used).ToList();
        return o;
    }

    private async Task<Socket> ConnectAsync(CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, cts.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw new IOException($"cannot connect to {endpoint}: {e.Message}", e);
        }
    }

    /// <summary>INFO as fields, or null (with a note on the log) when the server does not answer it.</summary>
    public async Task<Dictionary<string, string>?> TryInfoAsync(CancellationToken ct = default)
    {
        try
        {
            using ControlClient client = await ControlClient.ConnectAsync(endpoint.Host, endpoint.Port, ConnectTimeout, ct).ConfigureAwait(false);
            string? text = client.Command("INFO");
            return text is null ? null : ServerInfo.Parse(text);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            log.WriteLine($"note: INFO failed ({e.Message}); server counters will not be reported");
            return null;
        }
    }
}

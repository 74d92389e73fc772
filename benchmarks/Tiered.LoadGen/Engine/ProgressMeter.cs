using System.Diagnostics;
using System.Globalization;

namespace Tiered.LoadGen.Engine;

/// <summary>
/// The live progress line on stderr, rewritten in place about once a second: elapsed / total, the rate over the
/// last interval and the replies so far. Only active when asked for (the caller decides: terminal or --progress).
/// </summary>
internal sealed class ProgressMeter(TextWriter output, bool enabled, string label, RunClock clock, Workload workload, Connection[] conns)
{
    private long _lastTicks = clock.Start;
    private long _lastReplies;
    private bool _printed;

    public void Tick()
    {
        if (!enabled)
            return;
        long now = RunClock.Now;
        if (now - _lastTicks < Stopwatch.Frequency)
            return;
        long replies = 0;
        foreach (Connection c in conns)
            replies += c.TotalReplies;
        double rate = (replies - _lastReplies) / RunClock.Seconds(now - _lastTicks);
        _lastTicks = now;
        _lastReplies = replies;
        double elapsed = RunClock.Seconds(now - clock.Start);
        string of = workload.Requests is { } r
            ? string.Create(CultureInfo.InvariantCulture, $"{replies:N0}/{r + 0:N0} req")
            : string.Create(CultureInfo.InvariantCulture, $"{elapsed,6:F1}s/{(workload.Warmup + workload.Duration).TotalSeconds:F0}s");
        string phase = now < clock.MeasureStart ? " warmup" : "";
        output.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{label}{phase}] {of}  {rate,12:N0} ops/s  replies {replies:N0}   "));
        output.Flush();
        _printed = true;
    }

    public void Finish()
    {
        if (_printed)
        {
            output.WriteLine();
            output.Flush();
        }
    }
}

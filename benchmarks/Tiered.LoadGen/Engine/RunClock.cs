using System.Diagnostics;

namespace Tiered.LoadGen.Engine;

/// <summary>
/// Shared timing and stop state of one phase, read by every connection. Times are <see cref="Stopwatch"/> ticks.
/// A request belongs to the measured phase when its (intended) send time is at or after <see cref="MeasureStart"/>.
/// </summary>
public sealed class RunClock
{
    public RunClock(long start, TimeSpan warmup)
    {
        Start = start;
        MeasureStart = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
    }

    public static readonly double NanosPerTick = 1e9 / Stopwatch.Frequency;

    public long Start { get; }
    public long MeasureStart { get; }

    private volatile bool _stopSending;

    /// <summary>Set when no more requests should be sent (duration reached or run aborted).</summary>
    public bool StopSending => _stopSending;

    public void RequestStop() => _stopSending = true;

    public static long Now => Stopwatch.GetTimestamp();

    public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}

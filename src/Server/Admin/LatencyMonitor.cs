namespace Tiered.Server.Admin;

/// <summary>
/// LATENCY: for each event ("command", "fast-command"), the samples in milliseconds that reached
/// <c>latency-monitor-threshold</c>, one per second (the worst of that second), the last 160 kept, plus the
/// all-time maximum, as Redis's latency monitor does.
///
/// Shared state rule: changed and read only under the store lock (the dispatcher and the LATENCY command run
/// under it).
/// </summary>
public sealed class LatencyMonitor
{
    /// <summary>Samples kept per event (Redis's LATENCY_TS_LEN).</summary>
    public const int HistoryLength = 160;

    private readonly ServerOptions _options;
    private readonly SortedDictionary<string, LatencyEvent> _events = new(StringComparer.Ordinal);

    public LatencyMonitor(ServerOptions options) => _options = options;

    /// <summary>Events with at least one sample, by name.</summary>
    public IReadOnlyDictionary<string, LatencyEvent> Events => _events;

    /// <summary><c>latency-monitor-threshold</c> in milliseconds; 0: monitoring is off.</summary>
    public long Threshold => _options.LatencyMonitorThreshold;

    /// <summary>
    /// Records a command that ran <paramref name="stopwatchTicks"/> under event <paramref name="name"/> when it reached
    /// <see cref="Threshold"/>. The dispatcher's call, which costs one comparison while monitoring is off, is
    /// Commands/CommandObservers.cs.
    /// </summary>
    public void ObserveSlow(string name, long stopwatchTicks, long unixMs)
    {
        long ms = ServerStats.Micros(stopwatchTicks) / 1000;
        if (ms < Threshold) return;
        Add(name, ms, unixMs / 1000);
    }

    /// <summary>Records <paramref name="ms"/> for <paramref name="name"/> at <paramref name="unixSeconds"/>.</summary>
    public void Add(string name, long ms, long unixSeconds)
    {
        if (!_events.TryGetValue(name, out LatencyEvent? e)) _events[name] = e = new LatencyEvent();
        e.Add(ms, unixSeconds);
    }

    /// <summary>Forgets all events; returns how many there were.</summary>
    public int Reset()
    {
        int n = _events.Count;
        _events.Clear();
        return n;
    }

    /// <summary>Forgets one event; returns 1 if it existed.</summary>
    public int Reset(string name) => _events.Remove(name) ? 1 : 0;
}

/// <summary>One event's samples, oldest first.</summary>
public sealed class LatencyEvent
{
    private readonly LinkedList<LatencySample> _samples = new();

    public IEnumerable<LatencySample> Samples => _samples;
    public LatencySample Latest => _samples.Last!.Value;
    public long Max { get; private set; }

    internal void Add(long ms, long unixSeconds)
    {
        if (ms > Max) Max = ms;
        LinkedListNode<LatencySample>? last = _samples.Last;
        if (last != null && last.Value.UnixTime == unixSeconds)
        {
            if (ms > last.Value.Millis) last.Value = new LatencySample(unixSeconds, ms);
            return;
        }
        _samples.AddLast(new LatencySample(unixSeconds, ms));
        if (_samples.Count > LatencyMonitor.HistoryLength) _samples.RemoveFirst();
    }
}

public readonly record struct LatencySample(long UnixTime, long Millis);

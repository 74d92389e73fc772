namespace Tiered.Tiering.Base;

/// <summary>
/// Wall-clock time for expiry (absolute unix milliseconds, like Redis's mstime) and a monotonic
/// second counter for access times and LFU decay.
///
/// Shared state rule: <see cref="NowMs"/> is refreshed by the engine at the start of each command batch while the
/// store lock is held (<see cref="Refresh"/>), so every command in one batch sees one instant, as Redis caches
/// mstime() per call. Readers outside the lock may see a slightly older value; that is harmless.
/// </summary>
public sealed class Clock
{
    private readonly long _startTicks = Stopwatch.GetTimestamp();
    private readonly long _startUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Unix milliseconds as of the last <see cref="Refresh"/>.</summary>
    public long NowMs;

    /// <summary>Optional shift for tests (simulate time passing for expiry).</summary>
    public long OffsetMs;

    public Clock() => Refresh();

    /// <summary>Reads the monotonic clock and sets <see cref="NowMs"/>. Cheap (no syscall on Linux vDSO).</summary>
    public long Refresh()
    {
        long elapsedMs = (long)Stopwatch.GetElapsedTime(_startTicks).TotalMilliseconds;
        return NowMs = _startUnixMs + elapsedMs + OffsetMs;
    }

    /// <summary>Seconds since the engine started, for access times; wraps after 136 years.</summary>
    public uint Seconds => (uint)((NowMs - _startUnixMs) / 1000);

    /// <summary>Minutes since the engine started, truncated to 16 bits like Redis's LFU decrement time.</summary>
    public ushort Minutes16 => (ushort)((NowMs - _startUnixMs) / 60000);
}

using Tiered.Server.Network;

namespace Tiered.Server.Admin;

/// <summary>
/// Server counters for INFO stats. Command counters change under the store lock; byte counters are added by
/// connection loops with interlocked operations; INFO reads them all under the lock.
/// </summary>
public sealed class ServerStats : ITrafficCounters
{
    /// <summary>Connections accepted (total_connections_received).</summary>
    public long TotalConnections;
    /// <summary>Connections refused at maxclients (rejected_connections).</summary>
    public long RejectedConnections;
    /// <summary>Commands run (total_commands_processed).</summary>
    public long CommandsProcessed;
    /// <summary>Unknown commands (part of total_error_replies).</summary>
    public long RejectedCalls;
    private long _inputBytes;
    private long _outputBytes;

    public long InputBytes => Interlocked.Read(ref _inputBytes);
    public long OutputBytes => Interlocked.Read(ref _outputBytes);

    public void AddInputBytes(long n) => Interlocked.Add(ref _inputBytes, n);
    public void AddOutputBytes(long n) => Interlocked.Add(ref _outputBytes, n);

    /// <summary>CONFIG RESETSTAT.</summary>
    public void Reset()
    {
        TotalConnections = RejectedConnections = CommandsProcessed = RejectedCalls = 0;
        Interlocked.Exchange(ref _inputBytes, 0);
        Interlocked.Exchange(ref _outputBytes, 0);
    }

    /// <summary>Microseconds in <paramref name="stopwatchTicks"/>.</summary>
    public static long Micros(long stopwatchTicks) => stopwatchTicks * 1_000_000 / Stopwatch.Frequency;
}

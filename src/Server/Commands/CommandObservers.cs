using System.Runtime.CompilerServices;
using Tiered.Server.Admin;

namespace Tiered.Server.Commands;

/// <summary>
/// The dispatcher's calls into the administration monitors (Admin/SlowLog.cs, Admin/LatencyMonitor.cs), which know
/// nothing of commands: what of a command they record is decided here. Called after every command with the store lock held.
/// </summary>
public static class CommandObservers
{
    /// <summary>
    /// LATENCY: records the command as a "fast-command" or "command" event. Costs one comparison while monitoring
    /// is off (threshold 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ObserveCommand(this LatencyMonitor monitor, CommandDef cmd, long stopwatchTicks, long unixMs)
    {
        if (monitor.Threshold > 0)
            monitor.ObserveSlow((cmd.Flags & CommandFlags.Fast) != 0 ? "fast-command" : "command", stopwatchTicks, unixMs);
    }

    /// <summary>SLOWLOG: records the command in <paramref name="c"/> if it ran for longer than the threshold.</summary>
    public static void Observe(this SlowLog log, CommandContext c, long stopwatchTicks)
    {
        long micros = log.SlowMicros(stopwatchTicks);
        if (micros >= 0) log.Add(c.Args, micros, c.Store.Clock.NowMs, c.Client.RemoteAddress, c.Client.Name ?? "");
    }
}

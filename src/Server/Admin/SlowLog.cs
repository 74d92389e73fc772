namespace Tiered.Server.Admin;

/// <summary>
/// SLOWLOG: the last <c>slowlog-max-len</c> commands that took longer than <c>slowlog-log-slower-than</c>
/// microseconds, with Redis's entry fields (id, unix time, duration, arguments, client address and name).
/// Shared state rule: changed and read only under the store lock.
/// </summary>
public sealed class SlowLog
{
    private readonly ServerOptions _options;
    private readonly LinkedList<SlowLogEntry> _entries = new();
    private long _nextId;

    public SlowLog(ServerOptions options) => _options = options;

    public int Count => _entries.Count;

    /// <summary>Newest first.</summary>
    public IEnumerable<SlowLogEntry> Entries => _entries;

    /// <summary>
    /// The duration in microseconds of a command that ran <paramref name="stopwatchTicks"/> when it must be logged
    /// (it reached <c>slowlog-log-slower-than</c>), else -1. The dispatcher's call is Commands/CommandObservers.cs.
    /// </summary>
    public long SlowMicros(long stopwatchTicks)
    {
        long threshold = _options.SlowlogLogSlowerThan;
        if (threshold < 0) return -1;
        long micros = ServerStats.Micros(stopwatchTicks);
        return micros < threshold ? -1 : micros;
    }

    /// <summary>Logs the command in <paramref name="args"/>, which ran <paramref name="micros"/> microseconds.</summary>
    public void Add(ArgList args, long micros, long nowMs, string clientAddress, string clientName)
    {
        // Redis keeps at most 32 arguments and 128 bytes of each.
        int argc = Math.Min(args.Count, 32);
        var strings = new string[argc];
        for (int i = 0; i < argc; i++)
        {
            if (i == 31 && args.Count > 32) { strings[i] = $"... ({args.Count - 31} more arguments)"; break; }
            ReadOnlySpan<byte> a = args[i];
            strings[i] = a.Length > 128
                ? System.Text.Encoding.UTF8.GetString(a[..128]) + $"... ({a.Length - 128} more bytes)"
                : System.Text.Encoding.UTF8.GetString(a);
        }
        _entries.AddFirst(new SlowLogEntry(_nextId++, nowMs / 1000, micros, strings, clientAddress, clientName));
        while (_entries.Count > Math.Max(0, _options.SlowlogMaxLen)) _entries.RemoveLast();
    }

    public void Reset() => _entries.Clear();
}

public sealed record SlowLogEntry(long Id, long UnixTime, long Micros, string[] Args, string ClientAddress, string ClientName);

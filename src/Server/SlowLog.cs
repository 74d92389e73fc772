using Tiered.Server.Commands;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;

namespace Tiered.Server;

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

    /// <summary>Records the command in <paramref name="c"/> if it ran for longer than the threshold.</summary>
    public void Observe(CommandContext c, long stopwatchTicks)
    {
        long threshold = _options.SlowlogLogSlowerThan;
        if (threshold < 0) return;
        long micros = TieredServer.Micros(stopwatchTicks);
        if (micros < threshold) return;
        // Redis keeps at most 32 arguments and 128 bytes of each.
        int argc = Math.Min(c.Count, 32);
        var args = new string[argc];
        for (int i = 0; i < argc; i++)
        {
            if (i == 31 && c.Count > 32) { args[i] = $"... ({c.Count - 31} more arguments)"; break; }
            ReadOnlySpan<byte> a = c[i];
            args[i] = a.Length > 128
                ? System.Text.Encoding.UTF8.GetString(a[..128]) + $"... ({a.Length - 128} more bytes)"
                : System.Text.Encoding.UTF8.GetString(a);
        }
        _entries.AddFirst(new SlowLogEntry(_nextId++, c.Store.Clock.NowMs / 1000, micros, args,
            c.Client.RemoteAddress, c.Client.Name ?? ""));
        while (_entries.Count > Math.Max(0, _options.SlowlogMaxLen)) _entries.RemoveLast();
    }

    public void Reset() => _entries.Clear();
}

public sealed record SlowLogEntry(long Id, long UnixTime, long Micros, string[] Args, string ClientAddress, string ClientName);

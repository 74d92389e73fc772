using System.Buffers.Text;
using Tiered.Server.Protocol;

namespace Tiered.Server.Session;

/// <summary>
/// MONITOR: every command the server runs, as one status line per command, sent to each monitoring client.
///
/// Why after the command, as Redis does: the line shows what ran, with the database the command left the client in
/// (SELECT 1 prints [1 ...]); commands that failed their arity check or do not exist never ran and are not shown,
/// nor are administrative ones (CONFIG, DEBUG, MONITOR...), whose arguments may be secret; AUTH's and HELLO AUTH's
/// credentials print as "(redacted)". Commands of a transaction print as EXEC runs them, before the EXEC line; a
/// script's calls print as "[db lua]" as they run, after the EVAL line (Redis feeds a script's caller first).
///
///   +1765123456.123456 [0 127.0.0.1:50102] "SET" "k" "a\"b\n"
///
/// Arguments are quoted as Redis's sdscatrepr quotes them: \" \\ \n \r \t \a \b, other bytes outside printable
/// ASCII as \xhh. The monitors' connections receive the line through their push outbox (MONITOR switches it on).
///
/// Shared state rule: used only under the store lock (commands run under it; a leaving connection takes it).
/// </summary>
public sealed class MonitorFeed
{
    private readonly List<ClientSession> _monitors = [];
    private byte[] _line = new byte[512];
    private int _n;

    /// <summary>Clients in MONITOR mode; zero means the dispatcher skips the feed.</summary>
    public int Count => _monitors.Count;

    internal void Add(ClientSession client)
    {
        if (!_monitors.Contains(client)) _monitors.Add(client);
    }

    internal void Remove(ClientSession client) => _monitors.Remove(client);

    internal bool Contains(ClientSession client) => _monitors.Contains(client);

    /// <summary>Sends the line of a command that ran: its arguments, the database, and who ran it (a script: "lua").</summary>
    internal void Feed(ArgList args, int db, ClientSession client, long unixMicros)
    {
        _n = 0;
        Put((byte)'+');
        Number(unixMicros / 1_000_000);
        Put((byte)'.');
        long us = unixMicros % 1_000_000;
        for (long d = 100_000; d > 0; d /= 10) Put((byte)('0' + us / d % 10));
        Put(" ["u8);
        Number(db);
        Put((byte)' ');
        Put(client.IsScript ? "lua"u8 : client.RemoteAddressBytes);
        Put((byte)']');
        int redactFrom = RedactFrom(args);
        for (int i = 0; i < args.Count; i++)
        {
            Put((byte)' ');
            if (i >= redactFrom) Put("\"(redacted)\""u8);
            else Quote(args[i]);
        }
        Put("\r\n"u8);
        ReadOnlySpan<byte> line = _line.AsSpan(0, _n);
        foreach (ClientSession m in _monitors) m.Connection?.DeliverFrame(line);
    }

    /// <summary>The first argument printed as "(redacted)": all of AUTH's, HELLO's after its AUTH keyword; else none.</summary>
    private static int RedactFrom(ArgList args)
    {
        if (Ascii.EqualsIgnoreCase(args[0], "auth"u8)) return 1;
        if (!Ascii.EqualsIgnoreCase(args[0], "hello"u8)) return int.MaxValue;
        for (int i = 1; i < args.Count; i++)
            if (Ascii.EqualsIgnoreCase(args[i], "auth"u8)) return i + 1;
        return int.MaxValue;
    }

    private void Quote(ReadOnlySpan<byte> a)
    {
        Put((byte)'"');
        foreach (byte b in a)
        {
            switch (b)
            {
                case (byte)'\\': Put("\\\\"u8); break;
                case (byte)'"': Put("\\\""u8); break;
                case (byte)'\n': Put("\\n"u8); break;
                case (byte)'\r': Put("\\r"u8); break;
                case (byte)'\t': Put("\\t"u8); break;
                case 7: Put("\\a"u8); break;
                case 8: Put("\\b"u8); break;
                default:
                    if (b >= 0x20 && b < 0x7F) Put(b);
                    else
                    {
                        Put("\\x"u8);
                        Put((byte)"0123456789abcdef"[b >> 4]);
                        Put((byte)"0123456789abcdef"[b & 15]);
                    }
                    break;
            }
        }
        Put((byte)'"');
    }

    private void Number(long v)
    {
        Grow(20);
        Utf8Formatter.TryFormat(v, _line.AsSpan(_n), out int w);
        _n += w;
    }

    private void Put(byte b)
    {
        Grow(1);
        _line[_n++] = b;
    }

    private void Put(ReadOnlySpan<byte> s)
    {
        Grow(s.Length);
        s.CopyTo(_line.AsSpan(_n));
        _n += s.Length;
    }

    private void Grow(int more)
    {
        if (_n + more > _line.Length) Array.Resize(ref _line, Math.Max(_line.Length * 2, _n + more));
    }
}

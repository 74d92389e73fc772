using System.Net;
using Tiered.Server.Session;
using Tiered.Tiering.Debugging;

namespace Tiered.Server.Commands;

/// <summary>
/// DEBUG, behind enable-debug-command as in Redis 7.0 (the dispatcher refuses it, see <see cref="Allowed"/>). The
/// subcommands Tiered has: CHANGE-REPL-ID, DIGEST, DIGEST-VALUE, OBJECT, RELOAD, SET-ACTIVE-EXPIRE, SLEEP and HELP;
/// any other answers Redis's unknown-subcommand error. Each parses with Redis's rules (debug.c) and makes one
/// engine call (Tiering/Debugging/).
/// </summary>
public static class DebugCommands
{
    /// <summary>Redis's refusal when enable-debug-command does not allow the client.</summary>
    internal static readonly byte[] NotAllowed = Encoding.ASCII.GetBytes("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", " +
        "you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");

    /// <summary>Whether enable-debug-command lets <paramref name="client"/> run DEBUG ("local": connected from 127.0.0.1 or ::1).</summary>
    internal static bool Allowed(ServerCore server, ClientSession client) => server.Options.EnableDebugCommand switch
    {
        "yes" => true,
        "local" => IsLoopback(client.RemoteAddress),
        _ => false,
    };

    private static bool IsLoopback(string remote)
    {
        int colon = remote.LastIndexOf(':');
        if (colon <= 0) return false;
        string host = remote[..colon].Trim('[', ']');
        return IPAddress.TryParse(host, out IPAddress? ip) && IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);
    }

    private static readonly string[] s_help =
    [
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "RELOAD [option ...]",
        "    Write every value in its RDB form and read it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB (the only outcome here).",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Prints this help.",
    ];

    [Command("debug")] private static void Debug(CommandContext c)
    {
        int n = c.Count;
        if (c.Is(1, "HELP"u8) && n == 2) Help(c);
        else if (c.Is(1, "SLEEP"u8) && n == 3) Sleep(c);
        else if (c.Is(1, "SET-ACTIVE-EXPIRE"u8) && n == 3)
        {
            c.Store.ActiveExpireEnabled = Atoi(c[2]) != 0;
            c.Writer.Ok();
        }
        else if (c.Is(1, "OBJECT"u8) && n == 3) Object(c);
        else if (c.Is(1, "DIGEST"u8) && n == 2) c.Writer.Simple(Convert.ToHexStringLower(DebugOps.DatasetDigest(c.Store)));
        else if (c.Is(1, "DIGEST-VALUE"u8))
        {
            c.Writer.Array(n - 2);
            for (int j = 2; j < n; j++) c.Writer.Simple(Convert.ToHexStringLower(DebugOps.ValueDigest(c.Db, c[j])));
        }
        else if (c.Is(1, "CHANGE-REPL-ID"u8) && n == 2)
        {
            c.Server.Metrics.ChangeReplId();
            c.Writer.Ok();
        }
        else if (c.Is(1, "RELOAD"u8)) Reload(c);
        else c.Writer.Error($"ERR unknown subcommand or wrong number of arguments for '{CommandContext.Truncate(c.Str(1), 128)}'. Try DEBUG HELP.");
    }

    private static void Help(CommandContext c)
    {
        c.Writer.Array(s_help.Length);
        foreach (string line in s_help) c.Writer.Simple(line);
    }

    /// <summary>SLEEP: the whole server stops, as in Redis (the store lock is held): other clients wait for their replies.</summary>
    private static void Sleep(CommandContext c)
    {
        long micros = (long)(StrtodPrefix(c[2]) * 1_000_000);
        if (micros > 0) Thread.Sleep(TimeSpan.FromMicroseconds(micros));
        c.Writer.Ok();
    }

    private static void Object(CommandContext c)
    {
        if (!DebugOps.Object(c.Db, c[2], out ObjectReport r)) { c.Error(Status.NotFound); return; }
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"Value at:0x{r.Identity:x} refcount:1 encoding:{r.Encoding} serializedlength:{r.SerializedLength} lru:{r.Lru} lru_seconds_idle:{r.IdleSeconds}");
        if (r.Quicklist is { } q)
            line.Append(CultureInfo.InvariantCulture, $" ql_nodes:{q.Nodes} ql_avg_node:{(double)q.Entries / q.Nodes:F2} ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:{q.UncompressedBytes}");
        if (r.Cold) line.Append(" tier:cold");
        c.Writer.Simple(line.ToString());
    }

    /// <summary>RELOAD [MERGE | NOFLUSH | NOSAVE]...: every value through the RDB codec and back (DebugOps.Reload).</summary>
    private static void Reload(CommandContext c)
    {
        for (int j = 2; j < c.Count; j++)
        {
            if (c.Is(j, "MERGE"u8)) continue;
            if (c.Is(j, "NOFLUSH"u8) || c.Is(j, "NOSAVE"u8))
            {
                c.Writer.Error("ERR DEBUG RELOAD NOFLUSH and NOSAVE need an RDB file on disk, which Tiered does not keep."u8);
                return;
            }
            c.Writer.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."u8);
            return;
        }
        if (DebugOps.Reload(c.Store) != Status.Ok) { c.Writer.Error("ERR Error trying to load the RDB dump, check server logs."u8); return; }
        c.Writer.Ok();
    }

    /// <summary>C's strtod on the longest numeric prefix (Redis reads SLEEP's seconds so: "abc" is 0, "0.5s" is 0.5).</summary>
    private static double StrtodPrefix(ReadOnlySpan<byte> s)
    {
        int start = 0;
        while (start < s.Length && s[start] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v') start++;
        for (int end = Math.Min(s.Length, start + 64); end > start; end--)
            if (CommandContext.ParseDouble(s[start..end], out double v)) return v;
        return 0;
    }

    /// <summary>C's atoi: optional sign and the digits that follow, 0 when there are none.</summary>
    private static long Atoi(ReadOnlySpan<byte> s)
    {
        int p = 0;
        while (p < s.Length && s[p] is (byte)' ' or (byte)'\t' or (byte)'\n') p++;
        bool negative = p < s.Length && s[p] == '-';
        if (p < s.Length && s[p] is (byte)'-' or (byte)'+') p++;
        long v = 0;
        while (p < s.Length && s[p] is >= (byte)'0' and <= (byte)'9' && v < int.MaxValue) v = v * 10 + (s[p++] - '0');
        return negative ? -v : v;
    }
}

using Tiered.Server.Admin;

namespace Tiered.Server.Commands;

/// <summary>Connection commands: PING ECHO QUIT SELECT AUTH HELLO RESET.</summary>
public static class ConnectionCommands
{
    [Command("ping")] private static void Ping(CommandContext c)
    {
        if (c.Count > 2) { c.WrongArity(); return; }
        if (c.Client.Protocol == 2 && c.Client.SubscriptionCount > 0)
        {
            // RESP2 subscribed mode: PING replies like a message, ["pong", argument or ""].
            c.Writer.Array(2);
            c.Writer.Bulk("pong"u8);
            c.Writer.Bulk(c.Count == 2 ? c[1] : default);
            return;
        }
        if (c.Count == 2) c.Writer.Bulk(c[1]);
        else c.Writer.Raw("+PONG\r\n"u8);
    }

    [Command("echo")] private static void Echo(CommandContext c) => c.Writer.Bulk(c[1]);

    [Command("quit")] private static void Quit(CommandContext c)
    {
        c.Writer.Ok();
        c.Client.CloseAfterReply = true;
    }

    [Command("select")] private static void Select(CommandContext c)
    {
        if (!c.TryLong(1, out long db)) { c.Writer.Error("ERR value is not an integer or out of range"u8); return; }
        if (db < 0 || db >= c.Store.Databases.Length) { c.Writer.Error("ERR DB index is out of range"u8); return; }
        c.Client.DbIndex = (int)db;
        c.Writer.Ok();
    }

    [Command("auth")] private static void Auth(CommandContext c)
    {
        if (c.Count > 3) { c.SyntaxError(); return; }
        string? pass = c.Server.Options.RequirePass;
        if (pass is null)
        {
            c.Writer.Error(c.Count == 2
                ? "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"u8
                : "WRONGPASS invalid username-password pair or user is disabled."u8);
            return;
        }
        if (CheckPassword(c, c.Count == 3 ? 1 : -1, c.Count - 1)) c.Writer.Ok();
        else c.Writer.Error("WRONGPASS invalid username-password pair or user is disabled."u8);
    }

    /// <summary>Checks user (only "default" exists) and password; sets the session's authenticated flag.</summary>
    private static bool CheckPassword(CommandContext c, int userArg, int passArg)
    {
        string? pass = c.Server.Options.RequirePass;
        bool userOk = userArg < 0 || c.Is(userArg, "DEFAULT"u8) && c[userArg].SequenceEqual("default"u8);
        bool ok = userOk && (pass is null || FixedTimeEquals(c[passArg], pass));
        if (ok) c.Client.Authenticated = true;
        return ok;
    }

    private static bool FixedTimeEquals(ReadOnlySpan<byte> given, string expected)
        => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(given, System.Text.Encoding.UTF8.GetBytes(expected));

    [Command("hello")] private static void Hello(CommandContext c)
    {
        int proto = c.Client.Protocol;
        int i = 1;
        if (c.Count >= 2)
        {
            if (!c.TryLong(1, out long v)) { c.Writer.Error("ERR Protocol version is not an integer or out of range"u8); return; }
            if (v < 2 || v > 3) { c.Writer.Error("NOPROTO unsupported protocol version"u8); return; }
            proto = (int)v;
            i = 2;
        }
        for (; i < c.Count; i++)
        {
            int more = c.Count - i - 1;
            if (c.Is(i, "AUTH"u8) && more >= 2)
            {
                if (!CheckPassword(c, i + 1, i + 2))
                {
                    c.Writer.Error("WRONGPASS invalid username-password pair or user is disabled."u8);
                    return;
                }
                i += 2;
            }
            else if (c.Is(i, "SETNAME"u8) && more >= 1)
            {
                if (!ClientCommands.ValidName(c[i + 1])) { c.Writer.Error("ERR Client names cannot contain spaces, newlines or special characters."u8); return; }
                c.Client.Name = c[i + 1].Length == 0 ? null : c.Str(i + 1);
                i += 1;
            }
            else
            {
                c.Writer.Error($"ERR Syntax error in HELLO option '{c.Str(i)}'");
                return;
            }
        }
        if (!c.Client.Authenticated)
        {
            c.Writer.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"u8);
            return;
        }
        c.Client.Protocol = proto;
        c.Writer.Protocol = proto;
        c.Writer.Map(7);
        c.Writer.Bulk("server"u8); c.Writer.Bulk("redis"u8);
        c.Writer.Bulk("version"u8); c.Writer.Bulk(ServerInfo.RedisVersion);
        c.Writer.Bulk("proto"u8); c.Writer.Integer(proto);
        c.Writer.Bulk("id"u8); c.Writer.Integer(c.Client.Id);
        c.Writer.Bulk("mode"u8); c.Writer.Bulk("standalone"u8);
        c.Writer.Bulk("role"u8); c.Writer.Bulk("master"u8);
        c.Writer.Bulk("modules"u8); c.Writer.Array(0);
    }

    /// <summary>MONITOR: from now on the client is sent a line for every command the server runs (Session/Monitors.cs).</summary>
    [Command("monitor")] private static void Monitor(CommandContext c)
    {
        if (c.Server.Monitors.Contains(c.Client)) return;   // Redis ignores a second MONITOR, without a reply
        c.Client.Connection?.EnablePush();
        c.Server.Monitors.Add(c.Client);
        c.Writer.Ok();
    }

    [Command("reset")] private static void Reset(CommandContext c)
    {
        TransactionCommands.End(c);   // leaves MULTI, forgets watched keys
        PubSubCommands.UnsubscribeAll(c);
        c.Server.Monitors.Remove(c.Client);
        c.Server.Tracking.Disable(c.Client);
        c.Client.DbIndex = 0;
        c.Client.Name = null;
        c.Client.Protocol = 2;
        c.Writer.Protocol = 2;
        c.Client.Authenticated = c.Server.Options.RequirePass is null;
        c.Writer.Simple("RESET"u8);
    }
}

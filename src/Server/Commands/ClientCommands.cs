using Tiered.Server.Session;

namespace Tiered.Server.Commands;

/// <summary>CLIENT and its subcommands.</summary>
public static class ClientCommands
{
    /// <summary>Receive size of a connection's input buffer (CLIENT LIST rbs, qbuf-free; MEMORY STATS clients.normal).</summary>
    internal const int ReceiveBuffer = 16 * 1024;

    /// <summary>Redis's rule for client names: printable ASCII without spaces.</summary>
    public static bool ValidName(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
            if (b < '!' || b > '~') return false;
        return true;
    }

    [Command("client|id")] private static void Id(CommandContext c) => c.Writer.Integer(c.Client.Id);

    [Command("client|setname")] private static void SetName(CommandContext c)
    {
        if (!ValidName(c[2])) { c.Writer.Error("ERR Client names cannot contain spaces, newlines or special characters."u8); return; }
        c.Client.Name = c[2].Length == 0 ? null : c.Str(2);
        c.Writer.Ok();
    }

    [Command("client|getname")] private static void GetName(CommandContext c)
    {
        if (c.Client.Name is null) c.Writer.Null();
        else c.Writer.Bulk(c.Client.Name);
    }

    /// <summary>CLIENT LIST [TYPE normal|master|replica|slave|pubsub] [ID id [id ...]]</summary>
    [Command("client|list")] private static void List(CommandContext c)
    {
        var sb = new StringBuilder();
        if (c.Count == 4 && c.Is(2, "TYPE"u8))
        {
            string? type = ClientType(c.Str(3));
            if (type is null) { c.Writer.Error($"ERR Unknown client type '{c.Str(3)}'"); return; }
            // Clients are normal or pubsub until replication exists.
            foreach (ClientSession s in c.Server.Clients.Sessions())
                if (TypeOf(s) == type) AppendLine(sb, c, s);
        }
        else if (c.Count > 3 && c.Is(2, "ID"u8))
        {
            var ids = new long[c.Count - 3];
            for (int i = 3; i < c.Count; i++)
                if (!c.TryLong(i, out ids[i - 3])) { c.Writer.Error("ERR Invalid client ID"u8); return; }
            foreach (long id in ids)
                if (c.Server.Clients.Find(id) is { } s) AppendLine(sb, c, s);
        }
        else if (c.Count != 2) { c.SyntaxError(); return; }
        else
        {
            foreach (ClientSession s in c.Server.Clients.Sessions()) AppendLine(sb, c, s);
        }
        c.Writer.Verbatim(sb.ToString());
    }

    [Command("client|info")] private static void Info(CommandContext c)
    {
        var sb = new StringBuilder();
        ClientSession? self = c.Server.Clients.Find(c.Client.Id);
        if (self != null) AppendLine(sb, c, self);
        c.Writer.Verbatim(sb.ToString());
    }

    /// <summary>Normalises a client type name as Redis's getClientTypeByName does; null when unknown.</summary>
    private static string? ClientType(string name) => name.ToLowerInvariant() switch
    {
        "normal" => "normal",
        "slave" or "replica" => "replica",
        "pubsub" => "pubsub",
        "master" => "master",
        _ => null,
    };

    /// <summary>One CLIENT LIST line in Redis 7's field order, ending with a newline.</summary>
    private static void AppendLine(StringBuilder sb, CommandContext c, ClientSession s)
    {
        bool self = ReferenceEquals(s, c.Client);
        long now = c.Store.Clock.NowMs;
        long argvMem = 0;
        if (self)
            for (int i = 0; i < c.Count; i++) argvMem += c[i].Length;
        long qbuf = s.QueryBufferBytes;
        long qbufFree = Math.Max(0, ReceiveBuffer - qbuf);
        string cmd = self ? c.Command.FullName : s.LastCommand;
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"id={s.Id} addr={s.RemoteAddress} laddr={s.LocalAddress} fd={s.Connection?.Fd} name={s.Name ?? ""}")
          .Append(inv, $" age={Math.Max(0, now - s.CreatedMs) / 1000} idle={(self ? 0 : Math.Max(0, now - s.LastInteractionMs) / 1000)}")
          .Append(inv, $" flags={Flags(s)} db={s.DbIndex} sub={s.Subs?.Channels.Count ?? 0} psub={s.Subs?.Patterns.Count ?? 0} ssub={s.Subs?.ShardChannels.Count ?? 0}")
          .Append(inv, $" multi={(s.Multi is null ? -1 : s.Multi.Queue.Count)} qbuf={qbuf} qbuf-free={qbufFree}")
          .Append(inv, $" argv-mem={argvMem} multi-mem=0 rbs={ReceiveBuffer} rbp={ReceiveBuffer} obl=0 oll=0 omem=0")
          .Append(inv, $" tot-mem={ReceiveBuffer + qbuf + argvMem} events=r cmd={cmd} user=default redir={s.Tracking?.Options.RedirectId ?? -1} resp={s.Protocol}")
          .Append(inv, $" lib-name={s.LibName ?? ""} lib-ver={s.LibVersion ?? ""}\n");
    }

    /// <summary>A client's type for CLIENT LIST/KILL TYPE: pubsub once subscribed, else normal.</summary>
    private static string TypeOf(ClientSession s) => s.SubscriptionCount > 0 ? "pubsub" : "normal";

    /// <summary>CLIENT LIST flags: P subscribed, x in MULTI, b blocked (or held by CLIENT PAUSE), t tracking (B in BCAST mode), d watched key touched; N when none.</summary>
    private static string Flags(ClientSession s)
    {
        string f = (s.SubscriptionCount > 0 ? "P" : "") + (s.Multi != null ? "x" : "")
            + (s.BlockState == BlockState.Blocked || s.Paused ? "b" : "") + (s.Tracking != null ? "t" : "")
            + (s.Tracking is { Options.Flags: var tf } && (tf & TrackingFlags.Bcast) != 0 ? "B" : "") + (s.WatchDirty ? "d" : "");
        return f.Length == 0 ? "N" : f;
    }

    /// <summary>CLIENT PAUSE timeout [WRITE|ALL] (the mechanism: Session/ClientPause.cs).</summary>
    [Command("client|pause")] private static void Pause(CommandContext c)
    {
        if (c.Count > 4) { c.Writer.Error("ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."u8); return; }
        PauseKind kind = PauseKind.All;
        if (c.Count == 4)
        {
            if (c.Is(3, "WRITE"u8)) kind = PauseKind.Write;
            else if (!c.Is(3, "ALL"u8)) { c.Writer.Error("ERR CLIENT PAUSE mode must be WRITE or ALL"u8); return; }
        }
        if (!c.TimeoutMs(2, out long ms)) return;
        c.Server.Pause.Pause(ms, kind);
        c.Writer.Ok();
    }

    [Command("client|unpause")] private static void Unpause(CommandContext c)
    {
        c.Server.Pause.Unpause();
        c.Writer.Ok();
    }

    /// <summary>
    /// CLIENT KILL ip:port (old form: +OK or an error) or CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port]
    /// [LADDR ip:port] [SKIPME yes|no] (new form: the number of clients killed). A client killing itself gets its
    /// reply before the connection closes.
    /// </summary>
    [Command("client|kill")] private static void Kill(CommandContext c)
    {
        string? addr = null, laddr = null, type = null;
        long id = 0;
        bool skipMe = true;
        if (c.Count == 3)
        {
            addr = c.Str(2);
            skipMe = false;   // with the old form a client may kill itself
        }
        else
        {
            for (int i = 2; i < c.Count; i += 2)
            {
                bool more = i + 1 < c.Count;
                if (!more) { c.SyntaxError(); return; }
                if (c.Is(i, "ID"u8))
                {
                    if (!c.TryLong(i + 1, out id) || id < 1) { c.Writer.Error("ERR client-id should be greater than 0"u8); return; }
                }
                else if (c.Is(i, "TYPE"u8))
                {
                    type = ClientType(c.Str(i + 1));
                    if (type is null) { c.Writer.Error($"ERR Unknown client type '{c.Str(i + 1)}'"); return; }
                }
                else if (c.Is(i, "ADDR"u8)) addr = c.Str(i + 1);
                else if (c.Is(i, "LADDR"u8)) laddr = c.Str(i + 1);
                else if (c.Is(i, "USER"u8))
                {
                    if (c.Str(i + 1) != "default") { c.Writer.Error($"ERR No such user '{c.Str(i + 1)}'"); return; }
                }
                else if (c.Is(i, "SKIPME"u8))
                {
                    if (c.Is(i + 1, "YES"u8)) skipMe = true;
                    else if (c.Is(i + 1, "NO"u8)) skipMe = false;
                    else { c.SyntaxError(); return; }
                }
                else { c.SyntaxError(); return; }
            }
        }

        int killed = 0;
        foreach (ClientSession s in c.Server.Clients.Sessions())
        {
            if (addr != null && s.RemoteAddress != addr) continue;
            if (laddr != null && s.LocalAddress != laddr) continue;
            if (id != 0 && s.Id != id) continue;
            if (type != null && TypeOf(s) != type) continue;
            bool self = ReferenceEquals(s, c.Client);
            if (self && skipMe) continue;
            if (self) c.Client.CloseAfterReply = true;
            else c.Server.Clients.Kill(s);
            killed++;
        }

        if (c.Count == 3)
        {
            if (killed == 0) c.Writer.Error("ERR No such client"u8);
            else c.Writer.Ok();
        }
        else c.Writer.Integer(killed);
    }

    /// <summary>CLIENT SETINFO LIB-NAME name | LIB-VER version (what client libraries report about themselves).</summary>
    [Command("client|setinfo")] private static void SetInfo(CommandContext c)
    {
        bool libName = c.Is(2, "LIB-NAME"u8);
        if (!libName && !c.Is(2, "LIB-VER"u8)) { c.Writer.Error($"ERR Unrecognized option '{c.Str(2)}'"); return; }
        if (!ValidName(c[3]))
        {
            c.Writer.Error($"ERR {(libName ? "lib-name" : "lib-ver")} cannot contain spaces, newlines or special characters.");
            return;
        }
        string? value = c[3].Length == 0 ? null : c.Str(3);
        if (libName) c.Client.LibName = value;
        else c.Client.LibVersion = value;
        c.Writer.Ok();
    }

    /// <summary>
    /// CLIENT NO-EVICT on|off and CLIENT NO-TOUCH on|off. Accepted for compatibility; neither changes anything yet
    /// (there is no client eviction, and reads always update access data).
    /// </summary>
    [Command("client|no-evict")] [Command("client|no-touch")] private static void OnOff(CommandContext c)
    {
        if (c.Is(2, "ON"u8) || c.Is(2, "OFF"u8)) c.Writer.Ok();
        else c.SyntaxError();
    }
}

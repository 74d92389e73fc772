using Microsoft.Extensions.Logging;
using Tiered.Tiering.Durability;

namespace Tiered.Server.Commands;

/// <summary>Server commands: INFO TIME SHUTDOWN ROLE CLUSTER.</summary>
public static class ServerCommands
{
    [Command("info")] private static void Info(CommandContext c)
    {
        var sections = new string[c.Count - 1];
        for (int i = 1; i < c.Count; i++) sections[i - 1] = c.Str(i);
        c.Writer.Verbatim(InfoBuilder.Build(c.Server, sections));
    }

    [Command("time")] private static void Time(CommandContext c)
    {
        long us = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        c.Writer.Array(2);
        c.Writer.BulkInteger(us / 1_000_000);
        c.Writer.BulkInteger(us % 1_000_000);
    }

    /// <summary>
    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. With appendonly the write log is committed on every clean
    /// shutdown (SAVE or not: Redis too flushes its AOF); without it SAVE cannot be honoured and fails unless FORCE. On success there is no reply: the connection closes
    /// and the host stops.
    /// </summary>
    [Command("shutdown")] private static void Shutdown(CommandContext c)
    {
        bool save = false, nosave = false, force = false, abort = false;
        for (int i = 1; i < c.Count; i++)
        {
            if (c.Is(i, "NOSAVE"u8)) nosave = true;
            else if (c.Is(i, "SAVE"u8)) save = true;
            else if (c.Is(i, "NOW"u8)) { }
            else if (c.Is(i, "FORCE"u8)) force = true;
            else if (c.Is(i, "ABORT"u8)) abort = true;
            else { c.SyntaxError(); return; }
        }
        if (save && nosave || abort && c.Count != 2) { c.SyntaxError(); return; }
        if (abort) { c.Writer.Error("ERR No shutdown in progress."u8); return; }
        if (save && !force && c.Store.Journal is null)
        {
            c.Server.Logger.LogWarning(
                "SHUTDOWN SAVE refused: this server cannot save a snapshot (use NOSAVE or FORCE)");
            c.Writer.Error("ERR Errors trying to SHUTDOWN. Check logs."u8);
            return;
        }
        c.Server.Logger.LogWarning(
            "User requested shutdown... (client {Addr})", c.Client.RemoteAddress);
        c.Client.CloseAfterReply = true;
        c.Server.RequestShutdown();
    }

    [Command("cluster")] private static void Cluster(CommandContext c) => c.Writer.Error("ERR This instance has cluster support disabled"u8);
}

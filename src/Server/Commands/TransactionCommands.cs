using Tiered.Server.Session;

namespace Tiered.Server.Commands;

/// <summary>Transactions: MULTI EXEC DISCARD WATCH UNWATCH (the mechanism is described in Session/Transactions.cs).</summary>
public static class TransactionCommands
{
    private static readonly byte[] s_exec = "EXEC"u8.ToArray();   // put back after the queued commands ran, as clients send it (MONITOR prints it)

    /// <summary>
    /// The MULTI side of the dispatcher: called for a client inside MULTI. Returns true when the command was queued
    /// (+QUEUED written). Returns false when the dispatcher must go on as usual: for EXEC DISCARD MULTI WATCH QUIT
    /// RESET, which run at once, and for a refused command (unknown, NOAUTH, wrong arity, a write replication refuses), which also flags the
    /// transaction so EXEC aborts.
    /// </summary>
    internal static bool TryQueue(CommandTable table, CommandContext c, MultiState multi)
    {
        CommandDef? cmd = table.Find(c.Args[0]);
        if (cmd is null || !c.Client.Authenticated && (cmd.Flags & CommandFlags.NoAuth) == 0 || !cmd.ArityOk(c.Count)
            || cmd.Name == "debug" && !DebugCommands.Allowed(c.Server, c.Client) || !c.Server.Dispatcher.WriteRefusal(c, cmd).IsEmpty)
        {
            multi.Aborted = true;
            return false;
        }
        switch (cmd.Name)
        {
            case "exec" or "discard" or "multi" or "watch" or "quit" or "reset":
                return false;
        }
        multi.Queue.Add(QueuedCommand.Copy(c.Args));
        c.Writer.Raw("+QUEUED\r\n"u8);
        return true;
    }

    /// <summary>Ends the transaction and forgets the watches (EXEC, DISCARD, RESET).</summary>
    internal static void End(CommandContext c)
    {
        c.Client.Multi = null;
        c.Client.RefreshMode();
        c.Server.Watches.UnwatchAll(c.Client);
    }

    [Command("multi")] private static void Multi(CommandContext c)
    {
        if (c.Client.Multi != null) { c.Writer.Error("ERR MULTI calls can not be nested"u8); return; }
        c.Client.Multi = new MultiState();
        c.Client.RefreshMode();
        c.Writer.Ok();
    }

    [Command("discard")] private static void Discard(CommandContext c)
    {
        if (c.Client.Multi is null) { c.Writer.Error("ERR DISCARD without MULTI"u8); return; }
        End(c);
        c.Writer.Ok();
    }

    /// <summary>
    /// EXEC: EXECABORT if a command was refused while queueing, a null array if a watched key changed, else runs the
    /// queued commands back to back (the store lock is held throughout) and replies an array of their replies.
    /// </summary>
    [Command("exec")] private static void Exec(CommandContext c)
    {
        MultiState? multi = c.Client.Multi;
        if (multi is null) { c.Writer.Error("ERR EXEC without MULTI"u8); return; }
        bool dirty = WatchRegistry.IsDirty(c.Client, c.Store.Clock.NowMs);
        End(c);   // unwatch before running, as Redis does: our own writes must not dirty us
        if (multi.Aborted) { c.Writer.Error("EXECABORT Transaction discarded because of previous errors."u8); return; }
        if (dirty) { c.Writer.NullArray(); return; }

        CommandDef exec = c.Command;
        c.Writer.Array(multi.Queue.Count);
        c.Client.InExec = true;
        try
        {
            foreach (QueuedCommand q in multi.Queue)
            {
                q.LoadInto(c.Args);
                c.Server.Dispatcher.Execute(c);
                if (c.Client.CloseAfterReply) break;
            }
        }
        finally
        {
            c.Client.InExec = false;
            c.Command = exec;
            c.Args.Reset(s_exec);
            c.Args.Add(0, s_exec.Length);
        }
    }

    [Command("watch")] private static void Watch(CommandContext c)
    {
        if (c.Client.Multi != null) { c.Writer.Error("ERR WATCH inside MULTI is not allowed"u8); return; }
        for (int i = 1; i < c.Count; i++) c.Server.Watches.Watch(c.Client, c.Db, c[i]);
        c.Writer.Ok();
    }

    [Command("unwatch")] private static void Unwatch(CommandContext c)
    {
        c.Server.Watches.UnwatchAll(c.Client);
        c.Writer.Ok();
    }
}

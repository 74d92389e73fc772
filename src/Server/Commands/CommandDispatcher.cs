using Tiered.Server.Admin;
using Tiered.Server.Scripting;
using Tiered.Server.Session;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Movement;

namespace Tiered.Server.Commands;

/// <summary>
/// Runs one parsed command: finds it, applies Redis's checks in Redis's order (unknown command, NOAUTH, arity,
/// DEBUG's enable-debug-command, OOM, LOADING), calls the handler and records statistics and the slow log. Called with the store lock held.
/// </summary>
public sealed class CommandDispatcher
{
    private readonly ServerCore _server;
    private readonly CommandTable _table;

    private static readonly byte[] s_exec = "EXEC"u8.ToArray();   // as clients send it (MONITOR prints it back)
    private readonly CommandDef? _exec;
    private readonly CommandDef? _debug;   // refused unless enable-debug-command allows the client

    public CommandDispatcher(ServerCore server, CommandTable table)
    {
        _server = server;
        _table = table;
        _exec = table.Find(s_exec);
        _debug = table.Find("debug"u8);
    }

    public void Execute(CommandContext c)
    {
        if ((_server.Pause.Active || c.Client.Paused) && Postponed(c)) return;   // CLIENT PAUSE: the connection waits, then runs it again
        if (c.Client.Intercept && Intercepted(c)) return;   // MULTI queueing, RESP2 subscribed mode: see below
        CommandDef? cmd = _table.Find(c.Args[0]);
        if (cmd is null)
        {
            _server.Stats.CommandsProcessed++;
            _server.Stats.RejectedCalls++;
            c.Writer.Error(UnknownCommandText(c));
            return;
        }
        c.Command = cmd;
        ClientSession client = c.Client;
        if (!client.Authenticated && (cmd.Flags & CommandFlags.NoAuth) == 0)
        {
            _server.Stats.CommandsProcessed++;
            cmd.RejectedCalls++;
            c.Writer.Error("NOAUTH Authentication required."u8);
            return;
        }
        if (!cmd.ArityOk(c.Count))
        {
            _server.Stats.CommandsProcessed++;
            cmd.RejectedCalls++;
            c.WrongArity();
            return;
        }
        if (cmd == _debug && !DebugCommands.Allowed(_server, client))   // enable-debug-command
        {
            _server.Stats.CommandsProcessed++;
            cmd.RejectedCalls++;
            c.Writer.Error(DebugCommands.NotAllowed);
            return;
        }
        if (WriteRefusal(c, cmd) is { Length: > 0 } refusal)
        {
            _server.Stats.CommandsProcessed++;
            cmd.RejectedCalls++;
            c.Writer.Error(refusal);
            return;
        }
        if (_server.Replication.IsReplica && !_server.Options.Replication.ReplicaServeStaleData && !client.IsPrimary
            && _server.Replication.Link != ReplicaLinkState.Connected && (FlagsOf(c, cmd) & CommandFlags.Stale) == 0)
        {
            _server.Stats.CommandsProcessed++;
            cmd.RejectedCalls++;
            c.Writer.Error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."u8);
            return;
        }
        if (_server.Loading && (cmd.Flags & CommandFlags.Loading) == 0)
        {
            _server.Stats.CommandsProcessed++;
            cmd.RejectedCalls++;
            c.Writer.Error("LOADING Tiered is loading the dataset in memory"u8);
            return;
        }
        ColdTier? cold = client.InExec || client.IsPrimary ? null : c.Store.Cold;   // a transaction's, a script's and the primary's cold keys are read synchronously
        if (cold != null && ColdKeysPending(c, cold)) return;   // runs again once its cold keys are read
        _server.Stats.CommandsProcessed++;
        if (_server.Engine.Memory.MaxMemory > 0 && (cmd.Flags & CommandFlags.DenyOom) != 0 && !MemoryOk(c, cold)) return;
        long errorsBefore = c.Writer.ErrorCount;
        bool monitored = _server.Monitors.Count != 0 && !c.IsBlockRerun && (FlagsOf(c, cmd) & CommandFlags.Admin) == 0;
        bool runsScript = monitored && (cmd.Flags & CommandFlags.SkipMonitor) != 0;   // EVAL*, FCALL*
        if (monitored && runsScript) Monitor(c);   // a script's line comes before its calls', as in Redis
        long t0 = Stopwatch.GetTimestamp();
        try
        {
            cmd.Handler(c);
        }
        catch (ColdReadException ex)
        {
            c.Writer.Error("ERR " + ex.Message);
        }
        finally
        {
            // Inside EXEC the queued commands' changes are logged together when EXEC ends.
            if (!client.InExec && c.Store.EndCommand())
            {
                client.ReplicationOffset = _server.Replication.Offset;   // its writes are in the stream up to here (WAIT)
                if (c.Store.Journal is { Policy: FsyncPolicy.Always } journal)
                    client.DurableUntil = journal.AppendedUntil;   // the connection sends the reply after this is on disk
            }
        }
        long dt = Stopwatch.GetTimestamp() - t0;
        cmd.Calls++;
        cmd.Ticks += dt;
        if (cmd.Subcommands.Length == 0 || c.Count == 1) cmd.ObserveLatency(_server.Options.LatencyTracking, dt);   // a subcommand records its own
        if (c.Writer.ErrorCount != errorsBefore) cmd.FailedCalls++;
        client.LastCommand = cmd.Name;
        _server.SlowLog.Observe(c, dt);
        _server.Latency.ObserveCommand(cmd, dt, c.Store.Clock.NowMs);
        if (monitored && !runsScript) Monitor(c);
        if ((cmd.Flags & CommandFlags.Write) != 0 && _server.KeyInterest != 0) AfterWrite(c, errorsBefore);
        if (_server.Tracking.Count != 0) AfterTracked(c, errorsBefore);
    }

    /// <summary>The flags of the command or, for a container (CONFIG, CLIENT...), of the subcommand it runs.</summary>
    private static CommandFlags FlagsOf(CommandContext c, CommandDef cmd)
    {
        if (cmd.Subcommands.Length == 0 || c.Count < 2) return cmd.Flags;
        foreach (CommandDef s in cmd.Subcommands)
            if (Ascii.EqualsIgnoreCase(c[1], s.Name)) return s.Flags;
        return cmd.Flags;
    }

    private void Monitor(CommandContext c)
        => _server.Monitors.Feed(c.Args, c.Client.DbIndex, c.Client, (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10);

    /// <summary>
    /// With clients tracking: a tracking client's read-only command leaves its keys remembered (the client may cache
    /// them), CLIENT CACHING's yes/no lasts one command, and the invalidations this command caused are sent.
    /// </summary>
    private void AfterTracked(CommandContext c, long errorsBefore)
    {
        ClientSession client = c.Client;
        if (client.Tracking is { } t)
        {
            if ((c.Command!.Flags & CommandFlags.ReadOnly) != 0 && c.Writer.ErrorCount == errorsBefore && TrackingTable.Caches(client))
            {
                Span<int> positions = stackalloc int[16];
                int n = c.Command.GetKeyPositions(c, positions);
                for (int k = 0; k < n && k < positions.Length; k++) _server.Tracking.Remember(client, c[positions[k]]);
            }
            if (t.CachingJustSet) t.CachingJustSet = false;
            else t.CachingThisCommand = null;
        }
        _server.Tracking.EndCommand(client, c.Writer);
    }

    /// <summary>
    /// The maxmemory check of a denyoom command: true to run it. Refused with -OOM when memory cannot be freed; with an
    /// SSD tier over its hard limit, deferred (false, and the connection waits for a demotion round, then re-runs it).
    /// </summary>
    private bool MemoryOk(CommandContext c, ColdTier? cold)
    {
        Status st = c.Store.EnsureMemory();
        if (st == Status.Ok) return true;
        if (st == Status.Busy)
        {
            if (c.Client.InExec || c.Client.IsPrimary) return true;   // a transaction runs whole, a replica applies its primary's writes
            _server.Stats.CommandsProcessed--;
            c.Client.PendingIo = new ValueTask(c.Store.Demoter!.WhenRoundDone());
            return false;
        }
        c.Command!.RejectedCalls++;
        c.Writer.Error("OOM command not allowed when used memory > 'maxmemory'."u8);
        return false;
    }

    /// <summary>
    /// Starts async reads of the cold records the command's keys (or, for EXEC, the queued commands' keys) may need.
    /// True when reads were started: the command is not run now; the connection awaits <see cref="ClientSession.PendingIo"/>
    /// and runs it again, and then its keys are served from the records read (see ColdTier).
    /// </summary>
    private bool ColdKeysPending(CommandContext c, ColdTier cold)
    {
        ClientSession client = c.Client;
        ColdReadSet set = client.ColdReads ??= new ColdReadSet(c.Connection?.InlineIoCompletions ?? false);
        Database db = c.Db;
        bool started = false;
        if (c.Command == _exec && client.Multi is { } multi)
        {
            foreach (QueuedCommand q in multi.Queue)
            {
                q.LoadInto(c.Args);
                if (_table.Find(c.Args[0]) is { } queued) started |= PrefetchKeys(c, queued, db, cold, set);
            }
            c.Args.Reset(s_exec);
            c.Args.Add(0, s_exec.Length);
        }
        else started = PrefetchKeys(c, c.Command!, db, cold, set);
        if (started)
        {
            client.PendingIo = set.WhenDone();
            return true;
        }
        cold.BeginCommand(set);
        return false;
    }

    private static bool PrefetchKeys(CommandContext c, CommandDef cmd, Database db, ColdTier cold, ColdReadSet set)
    {
        Span<int> positions = stackalloc int[16];
        int n = cmd.GetKeyPositions(c, positions);
        if (n > positions.Length) n = positions.Length;   // the rest are read synchronously if they are cold
        bool started = false;
        for (int k = 0; k < n; k++) started |= db.PrefetchCold(c[positions[k]], set);
        return started;
    }

    /// <summary>
    /// While CLIENT PAUSE lasts (Session/ClientPause.cs): true when the command must wait for its end; the connection
    /// waits as for a blocked command (ClientHandler), still noticing a close, and runs it again. As in Redis, a command that fails its name, AUTH
    /// or arity check is answered at once, a queued command of a transaction is held like any other, and the commands
    /// a transaction or a script runs are not held (their EXEC or EVAL was).
    /// </summary>
    private bool Postponed(CommandContext c)
    {
        ClientSession client = c.Client;
        ClientPause pause = _server.Pause;
        pause.Release(client);   // a held command runs again: held again below only if a pause still applies
        if (!pause.Active || client.InExec || client.IsScript || client.IsPrimary || c.IsBlockRerun) return false;
        CommandDef? cmd = _table.Find(c.Args[0]);
        if (cmd is null || !cmd.ArityOk(c.Count) || !client.Authenticated && (cmd.Flags & CommandFlags.NoAuth) == 0) return false;
        if (pause.Kind == PauseKind.Write && !MayWrite(c, cmd)) return false;
        client.LastCommand = cmd.Name;   // CLIENT LIST shows the command waiting, as Redis does
        pause.Hold(client);
        return true;
    }

    private static readonly byte[] s_noReplicas = "NOREPLICAS Not enough good replicas to write."u8.ToArray();
    private static readonly byte[] s_readOnly = "READONLY You can't write against a read only replica."u8.ToArray();

    /// <summary>
    /// Why replication refuses a client's write, or nothing: on a primary with fewer good replicas than
    /// min-replicas-to-write (-NOREPLICAS), on a replica with replica-read-only (-READONLY). Inside MULTI the write
    /// is refused at queueing and aborts the transaction, as in Redis. The primary's own stream passes.
    /// </summary>
    internal ReadOnlySpan<byte> WriteRefusal(CommandContext c, CommandDef cmd)
    {
        ReplicationOptions o = _server.Options.Replication;
        bool replica = _server.Replication.IsReplica;
        if (c.Client.IsPrimary || (replica ? !o.ReplicaReadOnly : o.MinReplicasToWrite == 0) || !Writes(c, cmd)) return default;
        if (replica) return s_readOnly;
        return _server.Replicas.GoodReplicas(c.Store.Clock.NowMs) < o.MinReplicasToWrite ? s_noReplicas : default;
    }

    /// <summary>A write command, or an EXEC whose queue holds one (what a read-only replica refuses).</summary>
    private bool Writes(CommandContext c, CommandDef cmd)
        => cmd == _exec && c.Client.Multi is { } multi
            ? AnyQueued(c, multi, static (ctx, d) => (FlagsOf(ctx, d) & CommandFlags.Write) != 0)
            : (FlagsOf(c, cmd) & CommandFlags.Write) != 0;

    /// <summary>True when <paramref name="test"/> holds for some queued command of the transaction (EXEC's arguments are restored).</summary>
    private bool AnyQueued(CommandContext c, MultiState multi, Func<CommandContext, CommandDef, bool> test)
    {
        bool any = false;
        foreach (QueuedCommand q in multi.Queue)
        {
            q.LoadInto(c.Args);
            if (_table.Find(c.Args[0]) is { } queued && test(c, queued)) { any = true; break; }
        }
        c.Args.Reset(s_exec);
        c.Args.Add(0, s_exec.Length);
        return any;
    }

    /// <summary>
    /// Redis's "may replicate" test of a write pause: a write command, a script or function not declared no-writes,
    /// PUBLISH, SPUBLISH, PFCOUNT (it may rewrite its cache), or an EXEC whose queue holds one.
    /// </summary>
    private bool MayWrite(CommandContext c, CommandDef cmd)
    {
        if (cmd == _exec && c.Client.Multi is { } multi) return AnyQueued(c, multi, MayWrite);
        if ((FlagsOf(c, cmd) & CommandFlags.Write) != 0) return true;
        switch (cmd.Name)
        {
            case "publish" or "spublish" or "pfcount":
                return true;
            case "eval" or "evalsha":
                Script? script = cmd.Name == "eval" ? _server.Scripts.Load(c[1], out _) : _server.Scripts.Find(c[1]);
                return script is null || (script.Flags & ScriptFlags.NoWrites) == 0;
            case "fcall" or "fcall_ro":
                LuaFunction? function = _server.Scripts.Functions.Find(c.Str(1));
                return function is null ? cmd.Name == "fcall" : (function.Flags & ScriptFlags.NoWrites) == 0;
            default:
                return false;
        }
    }

    // ---- Connection-level features (Session/Transactions.cs, Session/PubSub.cs, Session/Blocking.cs) ----

    /// <summary>
    /// For a client inside MULTI or in RESP2 subscribed mode: true when the command was dealt with here (queued,
    /// or refused in subscribed mode); false to run it as usual.
    /// </summary>
    private bool Intercepted(CommandContext c)
    {
        ClientSession client = c.Client;
        bool handled = client.Protocol == 2 && client.SubscriptionCount > 0 && PubSubCommands.RefuseInSubscribedMode(_table, c)
            || client.Multi is { } multi && TransactionCommands.TryQueue(_table, c, multi);
        if (handled) _server.Stats.CommandsProcessed++;
        return handled;
    }

    /// <summary>After a write that succeeded and did not block: mark watchers dirty, wake blocked clients.</summary>
    private static void AfterWrite(CommandContext c, long errorsBefore)
    {
        if (c.Writer.ErrorCount != errorsBefore || c.Client.BlockState == BlockState.Blocked) return;
        KeyEvents.AfterWrite(c);
    }

    private static string UnknownCommandText(CommandContext c)
    {
        var args = new StringBuilder();
        for (int i = 1; i < c.Count && args.Length < 128; i++)
        {
            string a = c.Str(i);
            int room = 128 - args.Length;
            args.Append('\'').Append(a.Length > room ? a[..room] : a).Append("' ");
        }
        string name = c.Str(0);
        if (name.Length > 128) name = name[..128];
        return $"ERR unknown command '{name}', with args beginning with: {args}";
    }
}

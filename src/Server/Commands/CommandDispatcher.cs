using System.Diagnostics;
using System.Text;
using Tiered.Tiering;

namespace Tiered.Server.Commands;

/// <summary>
/// Runs one parsed command: finds it, applies Redis's checks in Redis's order (unknown command, NOAUTH, arity,
/// OOM, LOADING), calls the handler and records statistics and the slow log. Called with the store lock held.
/// </summary>
public sealed class CommandDispatcher
{
    private readonly TieredServer _server;
    private readonly CommandTable _table;

    public CommandDispatcher(TieredServer server, CommandTable table)
    {
        _server = server;
        _table = table;
    }

    public void Execute(CommandContext c)
    {
        if (c.Client.Intercept && Intercepted(c)) return;   // MULTI queueing, RESP2 subscribed mode: see below
        _server.Stats.CommandsProcessed++;
        CommandDef? cmd = _table.Find(c.Args[0]);
        if (cmd is null)
        {
            _server.Stats.RejectedCalls++;
            c.Writer.Error(UnknownCommandText(c));
            return;
        }
        c.Command = cmd;
        ClientSession client = c.Client;
        if (!client.Authenticated && (cmd.Flags & CommandFlags.NoAuth) == 0)
        {
            cmd.RejectedCalls++;
            c.Writer.Error("NOAUTH Authentication required."u8);
            return;
        }
        if (!cmd.ArityOk(c.Count))
        {
            cmd.RejectedCalls++;
            c.WrongArity();
            return;
        }
        if (_server.Engine.MaxMemory > 0 && (cmd.Flags & CommandFlags.DenyOom) != 0 && c.Store.EnsureMemory() == Status.OutOfMemory)
        {
            cmd.RejectedCalls++;
            c.Writer.Error("OOM command not allowed when used memory > 'maxmemory'."u8);
            return;
        }
        if (_server.Loading && (cmd.Flags & CommandFlags.Loading) == 0)
        {
            cmd.RejectedCalls++;
            c.Writer.Error("LOADING Tiered is loading the dataset in memory"u8);
            return;
        }
        long errorsBefore = c.Writer.ErrorCount;
        long t0 = Stopwatch.GetTimestamp();
        cmd.Handler(c);
        long dt = Stopwatch.GetTimestamp() - t0;
        cmd.Calls++;
        cmd.Ticks += dt;
        if (c.Writer.ErrorCount != errorsBefore) cmd.FailedCalls++;
        client.LastCommand = cmd.Name;
        _server.SlowLog.Observe(c, dt);
        _server.Latency.ObserveCommand(cmd, dt, c.Store.Clock.NowMs);
        if ((cmd.Flags & CommandFlags.Write) != 0 && _server.KeyInterest != 0) AfterWrite(c, errorsBefore);
    }

    // ---- Connection-level features (Transactions.cs, PubSub.cs, Blocking.cs) ----

    /// <summary>
    /// For a client inside MULTI or in RESP2 subscribed mode: true when the command was dealt with here (queued,
    /// or refused in subscribed mode); false to run it as usual.
    /// </summary>
    private bool Intercepted(CommandContext c)
    {
        ClientSession client = c.Client;
        bool handled = client.Protocol == 2 && client.SubscriptionCount > 0 && PubSubCommands.RefuseInSubscribedMode(_table, c)
            || client.Multi is { } multi && Transactions.TryQueue(_table, c, multi);
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

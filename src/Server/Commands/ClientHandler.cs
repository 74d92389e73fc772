using Tiered.Server.Network;
using Tiered.Server.Session;
using Tiered.Tiering.Cold;

namespace Tiered.Server.Commands;

/// <summary>
/// A client as its connection's loop sees it (Network/IConnectionHandler.cs): holds the client's session and its
/// command context, runs each parsed command through the dispatcher, and tells the loop whether to go on, wait for
/// cold reads (or demotion), wait while blocked (Session/Blocking.cs), or close. One per connection; it enters the
/// client list when made (on accept) and leaves it when the connection ends. Every member runs on the connection's loop.
/// </summary>
public sealed class ClientHandler : IConnectionHandler
{
    private readonly ServerCore _server;
    private readonly CommandDispatcher _dispatcher;
    private readonly CommandContext _ctx;

    public ClientHandler(ServerCore server, Connection connection)
    {
        _server = server;
        _dispatcher = server.Dispatcher;
        Session = new ClientSession(connection.Id, connection.RemoteAddress, connection.LocalAddress, server.Store.Clock.NowMs,
            connection.Kill)
        {
            Authenticated = server.Options.RequirePass is null,
            Connection = connection,
        };
        _ctx = new CommandContext(server, Session, connection.Args, connection.Writer);
        server.Clients.Add(Session);
    }

    public ClientSession Session { get; }

    public bool Authenticated => Session.Authenticated;

    public Database Db => _ctx.Db;

    public ColdReadSet? ColdReads => Session.ColdReads;

    public RunResult Run()
    {
        _dispatcher.Execute(_ctx);
        ClientSession s = Session;
        if (s.PendingIo != null) return RunResult.Wait;
        if (s.Paused) return RunResult.Blocked;   // held by CLIENT PAUSE: waits as a blocked command does
        if (s.BlockState != BlockState.None)
        {
            // Blocked: the loop leaves the command unconsumed, to be run again. Otherwise it was a re-run: done.
            if (s.BlockState == BlockState.Blocked) return RunResult.Blocked;
            s.BlockState = BlockState.None;
        }
        return s.CloseAfterReply ? RunResult.Close : RunResult.Done;
    }

    public bool TryAnswerUnlocked() => _server.StartedScriptCaller?.AnswerWhileBusy(_ctx) ?? false;

    public void EndBatch()
    {
        if (Session.PendingIo is null) Session.ColdReads?.ForgetAll();   // ran all it had: read-aheads unused are dropped
        Session.LastInteractionMs = _server.Store.Clock.NowMs;
    }

    public long TakeDurableUntil()
    {
        long until = Session.DurableUntil;
        Session.DurableUntil = 0;
        return until;
    }

    public ValueTask TakePendingIo()
    {
        ValueTask io = Session.PendingIo!.Value;
        Session.PendingIo = null;
        return io;
    }

    public Task WhenWoken(out long deadlineMs)
    {
        if (Session.Paused)
        {
            deadlineMs = long.MaxValue;   // the pause's own timer ends it
            lock (_server.Store.Lock) return _server.Pause.Active ? _server.Pause.WhenEnded : Task.CompletedTask;   // ended meanwhile
        }
        BlockedWait wait = Session.Block!;
        deadlineMs = wait.DeadlineMs;
        return wait.Signal.Task;
    }

    public void EndBlock(bool timedOut)
    {
        if (Session.Paused) return;   // the re-run releases it (CommandDispatcher.Postponed)
        lock (_server.Store.Lock) _server.Blocking.Remove(Session.Block!);
        Session.BlockState = timedOut ? BlockState.TimedOut : BlockState.Woken;
    }

    /// <summary>A leaving client drops out of the replica, pub/sub, WATCH, blocking and pause registries, then of the client list.</summary>
    public void Closed()
    {
        ClientSession s = Session;
        if (s.Subs != null || s.Watched != null || s.Block != null || s.Tracking != null || s.Paused || _server.Monitors.Count != 0 || s.Replica != null)
        {
            lock (_server.Store.Lock)
            {
                if (s.Replica != null) _server.Replicas.Detach(s);
                _server.Pause.Release(s);
                _server.Monitors.Remove(s);
                _server.Tracking.Disable(s);
                _server.PubSub.RemoveAll(s);
                _server.Watches.UnwatchAll(s);
                if (s.Block != null) _server.Blocking.Remove(s.Block);
            }
        }
        _server.Clients.Remove(s);
    }
}

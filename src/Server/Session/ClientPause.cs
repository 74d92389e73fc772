namespace Tiered.Server.Session;

/// <summary>What CLIENT PAUSE holds back, in Redis's order: a later pause may widen WRITE to ALL, never narrow it.</summary>
public enum PauseKind : byte
{
    None,
    /// <summary>Commands that may change the dataset or propagate (writes, scripts that may write, PUBLISH, PFCOUNT).</summary>
    Write,
    /// <summary>Every command of every client.</summary>
    All,
}

/// <summary>
/// CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE: for a while, commands of the paused kind are not run; their
/// clients wait and then run them in order, as if the server had been slow. Operators use it to let a replica catch
/// up before a failover (FAILOVER, the replication issue, will pause writes this way) or to drain traffic.
///
/// Why a wait and not a queue: a connection's command stays unconsumed in its receive buffer, exactly like a blocked
/// command (Session/Blocking.cs). The dispatcher sees the pause before running anything and holds the client; the
/// loop, outside the store lock, awaits <see cref="WhenEnded"/> while still receiving (a client that leaves is
/// forgotten at once) and runs the same bytes again. Later pipelined commands stay behind it, so order is kept.
///
///   t=0   CLIENT PAUSE 500 WRITE      Kind=Write, EndMs=now+500, timer armed
///   t=10  client B: GET k             runs (not a write)
///   t=20  client B: SET k v           postponed: B's loop awaits WhenEnded
///   t=500 timer: Kind=None, WhenEnded completes; B's loop runs SET k v and the commands after it
///
/// Redis's rules kept: the end only moves later and the kind only widens while a pause lasts; CLIENT UNPAUSE ends it
/// at once (during an ALL pause it is itself held back, so only the timeout ends it, as in Redis 7.0); the active
/// expiry cycle does not run while paused.
///
/// Shared state rule: every member is changed and read under the store lock (the dispatcher runs under it and the
/// timer takes it), except <see cref="Active"/>, a plain field the dispatcher reads under the lock on every command.
/// </summary>
public sealed class ClientPause : IDisposable
{
    private readonly Lock _lock;
    private readonly Timer _timer;
    private TaskCompletionSource? _ended;

    /// <param name="storeLock">The store lock, taken by the timer that ends the pause.</param>
    public ClientPause(Lock storeLock)
    {
        _lock = storeLock;
        _timer = new Timer(_ => OnTimer());
    }

    /// <summary>What is paused now (None: nothing).</summary>
    public PauseKind Kind { get; private set; }

    /// <summary>True while some pause lasts: the one test the dispatcher makes per command.</summary>
    public bool Active => Kind != PauseKind.None;

    /// <summary><see cref="Environment.TickCount64"/> at which the pause ends.</summary>
    public long EndMs { get; private set; }

    /// <summary>Clients whose command waits for the end (INFO blocked_clients counts them, as Redis does).</summary>
    public int Waiting { get; private set; }

    /// <summary>A client's command waits for the end (flag b in CLIENT LIST); its connection awaits <see cref="WhenEnded"/>. Under the store lock.</summary>
    internal void Hold(ClientSession client)
    {
        if (!client.Paused) { client.Paused = true; Waiting++; }
    }

    /// <summary>A held client runs its command again, or has left; safe to call for any client. Under the store lock.</summary>
    internal void Release(ClientSession client)
    {
        if (client.Paused) { client.Paused = false; Waiting--; }
    }

    /// <summary>Completes when the pause in force ends (timeout or CLIENT UNPAUSE); continuations run off the lock.</summary>
    public Task WhenEnded => (_ended ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Starts a pause or extends the one in force (the later end and the wider kind win). Under the store lock.</summary>
    public void Pause(long timeoutMs, PauseKind kind)
    {
        long end = Environment.TickCount64 + Math.Max(0, timeoutMs);
        if (kind > Kind) Kind = kind;
        if (end > EndMs || !Active) EndMs = end;
        _timer.Change(Math.Max(0, EndMs - Environment.TickCount64), Timeout.Infinite);
    }

    /// <summary>Ends the pause now and lets every postponed command run. Under the store lock.</summary>
    public void Unpause()
    {
        Kind = PauseKind.None;
        EndMs = 0;
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        TaskCompletionSource? ended = _ended;
        _ended = null;
        ended?.TrySetResult();
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (!Active) return;
            long left = EndMs - Environment.TickCount64;
            if (left > 0) _timer.Change(left, Timeout.Infinite);   // extended meanwhile
            else Unpause();
        }
    }

    public void Dispose() => _timer.Dispose();
}

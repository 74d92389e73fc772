namespace Tiered.Server.Session;

/// <summary>
/// The generic mechanism behind blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK...): not a command, a way for a
/// command to say "I cannot be served yet; run me again when one of these keys is written, or when my time is up".
///
/// Why re-run instead of serving the waiter from the writer's thread, as Redis does: a connection's state (its reply
/// writer, its parsed arguments) belongs to its own loop. So a blocked command is simply not consumed: its bytes stay
/// in the connection's receive buffer, the batch stops before it, and the loop waits outside the store lock. When a
/// write touches one of its keys the loop wakes and parses and runs the very same bytes again; the handler either
/// serves it now or blocks again (keeping the original deadline). At the deadline it runs once more with
/// <see cref="Commands.CommandContext.TimedOut"/> set, and the handler writes its timeout reply.
///
///   client A: BLPOP k 5  -> handler: k empty -> c.BlockOn(k) -> batch stops, A's loop waits (signal | deadline | socket)
///   client B: LPUSH k x  -> dispatcher after a write: Blocking.Wake(db, k) -> A's signal
///   client A: loop wakes -> re-parses "BLPOP k 5" from its buffer -> handler pops x -> reply; pipelined commands go on
///
/// A handler's contract: first try to serve; if it can't, and <c>c.TimedOut</c> is true, write the timeout reply;
/// otherwise call <c>c.BlockOn(...)</c> and write nothing. <c>TimedOut</c> is also true inside EXEC, where a
/// blocking command must not block (Redis behaves the same). Every waiter on a key is woken by a write to it and
/// they race for the value under the store lock; those who find nothing block again. So "first blocked, first
/// served" is not guaranteed as in Redis, only that every value goes to exactly one waiter.
///
/// While blocked the loop keeps receiving (further pipelined commands are buffered, not run, and a closed or killed
/// connection ends the wait at once). Blocked clients appear in INFO clients as blocked_clients.
/// </summary>
internal enum BlockState : byte
{
    /// <summary>Not blocked.</summary>
    None,
    /// <summary>The command just called BlockOn: the batch stops before it.</summary>
    Blocked,
    /// <summary>Woken by a write: the command is being re-run (keeping its deadline).</summary>
    Woken,
    /// <summary>The deadline passed: the command is being re-run to write its timeout reply.</summary>
    TimedOut,
}

/// <summary>One blocked command's wait: its keys, its deadline and the signal a write sets.</summary>
internal sealed class BlockedWait(ClientSession client, int db, byte[][] keys, long deadlineMs)
{
    public readonly ClientSession Client = client;
    public readonly int Db = db;
    public readonly byte[][] Keys = keys;

    /// <summary><see cref="Environment.TickCount64"/> at which the wait ends; <see cref="long.MaxValue"/>: never.</summary>
    public readonly long DeadlineMs = deadlineMs;

    /// <summary>Set by a write to one of the keys; continuations run on the thread pool, never under the store lock.</summary>
    public readonly TaskCompletionSource Signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Registered;

    /// <summary>
    /// What the command resolved at its first run and must keep on re-runs (XREAD BLOCK's "$" IDs); null for most.
    /// </summary>
    public object? Resume;
}

/// <summary>(db, key) -> blocked commands. Shared state rule: under the store lock.</summary>
public sealed class BlockingRegistry
{
    private readonly KeyMap<BlockedWait> _map;

    public BlockingRegistry(int databases) => _map = new KeyMap<BlockedWait>(databases);

    /// <summary>(db, key) pairs waited on; zero when nobody is blocked.</summary>
    public int Count => _map.Count;

    /// <summary>Clients blocked right now (INFO blocked_clients).</summary>
    public int BlockedClients { get; private set; }

    internal void Add(BlockedWait w)
    {
        foreach (byte[] k in w.Keys) _map.Add(w.Db, k, w);
        w.Registered = true;
        BlockedClients++;
    }

    /// <summary>Forgets a wait (woken, timed out, disconnected); safe to call more than once.</summary>
    internal void Remove(BlockedWait w)
    {
        if (!w.Registered) return;
        w.Registered = false;
        foreach (byte[] k in w.Keys) _map.Remove(w.Db, k, w);
        BlockedClients--;
    }

    /// <summary>Wakes every command blocked on <paramref name="key"/> of <paramref name="db"/>.</summary>
    internal void Wake(int db, ReadOnlySpan<byte> key)
    {
        List<BlockedWait>? list = _map.Find(db, key);
        if (list is null) return;
        foreach (BlockedWait w in list) w.Signal.TrySetResult();
    }

    /// <summary>Wakes every command blocked in <paramref name="db"/> (SWAPDB, FLUSHDB: they re-check).</summary>
    internal void WakeDb(int db)
    {
        if (db < 0 || db >= _map.Databases) return;
        foreach (List<BlockedWait> list in _map.InDb(db))
            foreach (BlockedWait w in list) w.Signal.TrySetResult();
    }
}

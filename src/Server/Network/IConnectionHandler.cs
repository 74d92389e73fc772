using Tiered.Tiering.Cold;

namespace Tiered.Server.Network;

/// <summary>What <see cref="IConnectionHandler.Run"/> tells the connection's loop to do after a command.</summary>
public enum RunResult : byte
{
    /// <summary>The command ran and wrote its reply: go on with the next one.</summary>
    Done,
    /// <summary>The command ran; close the connection once the replies are sent (QUIT, CLIENT KILL of itself).</summary>
    Close,
    /// <summary>
    /// The command did not run: it waits for its cold keys to be read (or for a demotion round). The loop leaves it
    /// unconsumed, awaits <see cref="IConnectionHandler.TakePendingIo"/> outside the store lock and runs it again.
    /// </summary>
    Wait,
    /// <summary>
    /// The command blocked on keys (Session/Blocking.cs) or is held by CLIENT PAUSE: the loop leaves it unconsumed, waits for
    /// <see cref="IConnectionHandler.WhenWoken"/> or the deadline, calls <see cref="IConnectionHandler.EndBlock"/> and runs it again.
    /// </summary>
    Blocked,
}

/// <summary>
/// What a connection's loop (<see cref="Connection"/>) needs from the layer that runs its commands, so that the
/// network knows nothing of sessions, commands or the server: the loop owns the socket, the buffers, the parser,
/// the batch and the push path; the handler (Commands/ClientHandler.cs) runs one parsed command with the client's
/// session. One handler per connection; every member is called by that connection's loop only. Costs one interface
/// call per command and a few per batch, none per byte.
/// </summary>
public interface IConnectionHandler
{
    /// <summary>Whether the client has authenticated (the parser refuses large requests before that).</summary>
    bool Authenticated { get; }

    /// <summary>The client's selected database, whose keys the loop prefetches. Called holding the store lock.</summary>
    Database Db { get; }

    /// <summary>The cold reads of the command waiting (see <see cref="RunResult.Wait"/>), which the loop reads ahead into.</summary>
    ColdReadSet? ColdReads { get; }

    /// <summary>
    /// Runs the command parsed into the connection's arguments, its reply going to the connection's writer.
    /// Called holding the store lock.
    /// </summary>
    RunResult Run();

    /// <summary>
    /// Called, without the store lock, while the loop waits for it: true when the command parsed into the connection's
    /// arguments was answered without it (a script has run past busy-reply-threshold: -BUSY, SCRIPT KILL).
    /// </summary>
    bool TryAnswerUnlocked();

    /// <summary>The end of a batch, still under the store lock when a command ran: forgets unused read-aheads, notes the time.</summary>
    void EndBatch();

    /// <summary>appendfsync always: the log address the batch's replies must wait for (0: none), and forgets it.</summary>
    long TakeDurableUntil();

    /// <summary>After <see cref="RunResult.Wait"/>: what the command waits for, taken once.</summary>
    ValueTask TakePendingIo();

    /// <summary>After <see cref="RunResult.Blocked"/>: the task a write to one of the keys completes, and the deadline.</summary>
    /// <param name="deadlineMs"><see cref="Environment.TickCount64"/> at which the wait ends; <see cref="long.MaxValue"/>: never.</param>
    Task WhenWoken(out long deadlineMs);

    /// <summary>The blocked wait is over (woken, or <paramref name="timedOut"/>): the command runs again next. Takes the store lock.</summary>
    void EndBlock(bool timedOut);

    /// <summary>The connection has ended: the client leaves the registries. Takes the store lock when it must.</summary>
    void Closed();
}

using Tiered.Server.Network;
using Tiered.Tiering.Cold;

namespace Tiered.Server.Session;

/// <summary>
/// A client's session state as commands see it (CLIENT LIST, SELECT, AUTH, HELLO...).
///
/// Shared state rule: the fields are changed by the client's own commands (under the store lock) or by the
/// connection loop that owns them; other clients read them for CLIENT LIST under the store lock. Name and
/// library strings are replaced whole, so a reader sees an old or a new string, never a torn one.
/// </summary>
public sealed class ClientSession(long id, string remote, string local, long nowMs, Action kill)
{
    private readonly Action _kill = kill;

    public long Id { get; } = id;
    public string RemoteAddress { get; } = remote;

    /// <summary><see cref="RemoteAddress"/> as UTF-8, made once (MONITOR prints it on every line).</summary>
    public byte[] RemoteAddressBytes => _remoteBytes ??= System.Text.Encoding.UTF8.GetBytes(RemoteAddress);
    private byte[]? _remoteBytes;
    public string LocalAddress { get; } = local;
    public long CreatedMs { get; } = nowMs;
    public long LastInteractionMs { get; set; } = nowMs;

    /// <summary>CLIENT SETNAME; null when unnamed.</summary>
    public string? Name { get; set; }

    /// <summary>CLIENT SETINFO LIB-NAME / LIB-VER.</summary>
    public string? LibName { get; set; }
    public string? LibVersion { get; set; }

    /// <summary>The SELECTed database.</summary>
    public int DbIndex { get; set; }

    /// <summary>Whether AUTH succeeded (or no password is required).</summary>
    public bool Authenticated { get; set; }

    /// <summary>2 or 3, as negotiated by HELLO.</summary>
    public int Protocol
    {
        get => _protocol;
        set { _protocol = value; RefreshMode(); }
    }

    private int _protocol = 2;

    /// <summary>Full name of the last command run ("client|list").</summary>
    public string LastCommand { get; set; } = "NULL";

    /// <summary>Close the connection once the pending replies are sent (QUIT, CLIENT KILL of itself).</summary>
    public bool CloseAfterReply { get; set; }

    /// <summary>The client's connection (its socket, its push path); null only for a session made by hand in a test.</summary>
    public Connection? Connection { get; init; }

    /// <summary>The session scripts run their redis.call commands in (Redis's CLIENT_SCRIPT flag: SORT sorts a set it would leave unsorted).</summary>
    public bool IsScript { get; init; }

    /// <summary>
    /// The session a replica applies its primary's command stream in (Redis's CLIENT_MASTER): its writes pass
    /// replica-read-only and CLIENT PAUSE, its cold keys are read synchronously, its replies are dropped.
    /// </summary>
    public bool IsPrimary { get; init; }

    /// <summary>The replication offset after this client's last write (what WAIT waits for replicas to acknowledge).</summary>
    public long ReplicationOffset { get; set; }

    /// <summary>What this primary knows of the client when it is one of its replicas (REPLCONF, PSYNC); null otherwise.</summary>
    public ReplicaPeer? Replica { get; set; }

    /// <summary>Bytes of input buffered but not yet parsed (CLIENT LIST qbuf).</summary>
    public long QueryBufferBytes => Connection?.QueryBufferBytes ?? 0;

    /// <summary>Closes the connection from another client (CLIENT KILL) or at shutdown.</summary>
    public void Kill() => _kill();

    // ---- Connection-level features (see Transactions.cs, PubSub.cs, Blocking.cs). Touched under the store lock. ----

    /// <summary>
    /// True when the dispatcher must look at this client before running a command: it is inside MULTI, or in RESP2
    /// subscribed mode. Kept up to date by <see cref="RefreshMode"/>; the only cost the features add to the hot path.
    /// </summary>
    public bool Intercept { get; private set; }

    /// <summary>The open transaction (MULTI ... EXEC), or null.</summary>
    public MultiState? Multi { get; internal set; }

    /// <summary>True while EXEC runs the queued commands (blocking commands must not block then).</summary>
    public bool InExec { get; internal set; }

    /// <summary>The command waits for CLIENT PAUSE to end (Session/ClientPause.cs). Under the store lock.</summary>
    public bool Paused { get; internal set; }

    /// <summary>The keys this client WATCHes, or null.</summary>
    internal List<WatchedKey>? Watched { get; set; }

    /// <summary>Set when a watched key was modified: the next EXEC fails.</summary>
    internal bool WatchDirty { get; set; }

    /// <summary>Channels, patterns and shard channels this client is subscribed to, or null.</summary>
    internal Subscriptions? Subs { get; set; }

    /// <summary>Client-side caching state while CLIENT TRACKING is on (Session/Tracking.cs), else null.</summary>
    internal TrackingState? Tracking { get; set; }

    /// <summary>
    /// Number of channels, patterns and shard channels subscribed to: above zero is Redis's subscribed mode (RESP2
    /// restrictions, PING's reply, CLIENT LIST's P). The confirmations show a per-namespace count instead (Subscriptions.CountFor).
    /// </summary>
    public int SubscriptionCount => Subs?.Total ?? 0;

    /// <summary>Where a blocking command stands; see <see cref="Blocking"/>.</summary>
    internal BlockState BlockState { get; set; }

    /// <summary>
    /// Set by the dispatcher when the command must wait (its cold keys are being read from SSD, or DRAM is waiting
    /// for demotion): the connection leaves the command unconsumed, awaits this task outside the store lock, clears
    /// it and runs the command again. Only the connection's own loop reads and clears it.
    /// </summary>
    internal ValueTask? PendingIo { get; set; }

    /// <summary>
    /// appendfsync always: the log address this client's last write reached; its replies are sent only once the log
    /// is durable up to here (the connection waits outside the store lock; group commit serves everyone waiting).
    /// </summary>
    internal long DurableUntil { get; set; }

    /// <summary>The cold records read for this connection's pending command (see Tiered.Tiering.Cold.ColdTier).</summary>
    internal Tiered.Tiering.Cold.ColdReadSet? ColdReads { get; set; }

    /// <summary>The wait registered by the last <see cref="Commands.CommandContext.BlockOn"/>, or null.</summary>
    internal BlockedWait? Block { get; set; }

    /// <summary>Recomputes <see cref="Intercept"/> after MULTI/EXEC/DISCARD, (un)subscribing, HELLO or RESET.</summary>
    public void RefreshMode() => Intercept = Multi != null || Protocol == 2 && SubscriptionCount > 0;
}

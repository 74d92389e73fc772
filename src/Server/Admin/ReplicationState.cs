namespace Tiered.Server.Admin;

/// <summary>Where a replica's link to its primary stands (ROLE's state word, INFO's master_link_status).</summary>
public enum ReplicaLinkState
{
    /// <summary>Not a replica.</summary>
    None,
    /// <summary>About to connect (ROLE: connect).</summary>
    Connect,
    /// <summary>Connecting (ROLE: connecting).</summary>
    Connecting,
    /// <summary>PING, AUTH, REPLCONF, PSYNC (ROLE: handshake).</summary>
    Handshake,
    /// <summary>Receiving and loading the primary's snapshot (ROLE: sync).</summary>
    Sync,
    /// <summary>Applying the primary's command stream (ROLE: connected; INFO: master_link_status:up).</summary>
    Connected,
}

/// <summary>
/// What INFO replication and ROLE report, and what REPLICAOF set: this server's role, its primary, and the replica
/// link's progress (Replication/ReplicaLink.cs drives it).
///
/// Shared state rule: <see cref="PrimaryHost"/> and <see cref="PrimaryPort"/> change only under the store lock (REPLICAOF,
/// the config file at start); the link fields are written by the link's own task and read by INFO and ROLE under the
/// store lock: each is one word (an enum, a long written with Volatile/Interlocked), so a reader sees an old or a new
/// value, never a torn one.
/// </summary>
public sealed class ReplicationState
{
    /// <summary>The primary's host; null when this server is a primary.</summary>
    public string? PrimaryHost { get; set; }

    public int PrimaryPort { get; set; }

    /// <summary>True when this server replicates another (REPLICAOF host port).</summary>
    public bool IsReplica => PrimaryHost is not null;

    private volatile ReplicaLinkState _link;

    public ReplicaLinkState Link
    {
        get => _link;
        set => _link = value;
    }

    private long _offset;

    /// <summary>The replication offset: the primary's offset at the snapshot plus every stream byte applied since.</summary>
    public long Offset
    {
        get => Volatile.Read(ref _offset);
        set => Volatile.Write(ref _offset, value);
    }

    /// <summary>Adds <paramref name="bytes"/> of applied stream to <see cref="Offset"/> (the link's thread only).</summary>
    public void Advance(long bytes) => Interlocked.Add(ref _offset, bytes);

    private long _lastIoMs, _linkDownSinceMs, _syncTotal, _syncRead;

    /// <summary>Unix ms of the last bytes received from the primary.</summary>
    public long LastIoMs { get => Volatile.Read(ref _lastIoMs); set => Volatile.Write(ref _lastIoMs, value); }

    /// <summary>Unix ms the link went down (0: it has not been up yet, or it is up).</summary>
    public long LinkDownSinceMs { get => Volatile.Read(ref _linkDownSinceMs); set => Volatile.Write(ref _linkDownSinceMs, value); }

    /// <summary>During a sync: the snapshot's size when the primary announced it (-1 for a diskless EOF-marked one).</summary>
    public long SyncTotalBytes { get => Volatile.Read(ref _syncTotal); set => Volatile.Write(ref _syncTotal, value); }

    /// <summary>During a sync: snapshot bytes received so far.</summary>
    public long SyncReadBytes { get => Volatile.Read(ref _syncRead); set => Volatile.Write(ref _syncRead, value); }

    /// <summary>The primary's replication ID, learnt from +FULLRESYNC (this server's own when it is a primary).</summary>
    public string? PrimaryReplId { get; set; }

    /// <summary>The last link error, for the log and INFO (null when none).</summary>
    public string? LastError { get; set; }

    /// <summary>ROLE's state word for <see cref="Link"/>.</summary>
    public string LinkWord => Link switch
    {
        ReplicaLinkState.Connect => "connect",
        ReplicaLinkState.Connecting => "connecting",
        ReplicaLinkState.Handshake => "handshake",
        ReplicaLinkState.Sync => "sync",
        ReplicaLinkState.Connected => "connected",
        _ => "none",
    };
}

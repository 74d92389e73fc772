namespace Tiered.Tiering.Base;

/// <summary>What the engine reports on its own: keys it removed, keys it added, reads that missed.</summary>
public enum EngineEvent : byte
{
    /// <summary>Its TTL passed: found by a lookup or by the active expiry cycle (keyspace event "expired").</summary>
    Expired,
    /// <summary>Removed by the maxmemory policy (keyspace event "evicted").</summary>
    Evicted,
    /// <summary>A key was added to a database (keyspace event "new", class n), before the command's own event.</summary>
    New,
    /// <summary>A read found no key (keyspace event "keymiss", class m), where keyspace_misses is counted.</summary>
    KeyMiss,
}

/// <summary>
/// Where the engine reports the keys it removes on its own, adds, or misses, for keyspace notifications (the server implements it and
/// publishes <c>__keyevent@db__:expired</c> and the like). Called under the store lock, after the key is gone.
/// </summary>
public interface IKeyspaceNotifier
{
    /// <summary>True when someone may listen for <paramref name="kind"/>: only then does the engine name the key (a cold key's name is on the SSD).</summary>
    bool Wants(EngineEvent kind);

    /// <summary>Key <paramref name="key"/> of database <paramref name="db"/> was removed for <paramref name="kind"/>.</summary>
    void Notify(EngineEvent kind, int db, ReadOnlySpan<byte> key);
}

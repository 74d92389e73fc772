namespace Tiered.Tiering.Hot;

/// <summary>
/// A key chosen by the evictor or the demoter (Movement/): its database, its index slot and the key
/// array it held when chosen (so a later action can tell whether the slot still holds that key).
/// </summary>
internal readonly struct VictimRef
{
    private readonly byte[] _key;

    internal VictimRef(IKeyspace keyspace, int slot, byte[] key)
    {
        Keyspace = keyspace;
        Slot = slot;
        _key = key;
    }

    /// <summary>The database holding the key.</summary>
    public IKeyspace Keyspace { get; }

    /// <summary>The key's entry index in its database.</summary>
    internal int Slot { get; }

    /// <summary>The key's bytes.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>True while the slot still holds the very key that was chosen.</summary>
    internal bool IsCurrent
    {
        get
        {
            if (Keyspace is null) return false;
            return EvictionPool.IsSameHotKey(Keyspace.Index, Slot, _key);
        }
    }
}

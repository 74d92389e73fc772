namespace Tiered.Tiering.Hot;

/// <summary>
/// One database as the tier mechanisms see it (eviction, the cold tier, the journal, demotion, compaction): its key
/// index, its number, and the three moves of an entry whose memory and tier accounting the engine keeps. Declared
/// here, below them all, so none of them names the engine core (Engine/Database.cs implements it).
/// </summary>
/// <remarks>Shared state rule: like the database itself, used only with the store lock held.</remarks>
internal interface IKeyspace
{
    /// <summary>The database's key index.</summary>
    KeyIndex Index { get; }

    /// <summary>The database number (SWAPDB changes it).</summary>
    int Id { get; }

    /// <summary>Turns cold entry <paramref name="i"/> hot with its record's key and value (the record stays its clean copy).</summary>
    void Promote(int i, byte[] key, object value);

    /// <summary>Turns hot entry <paramref name="i"/> cold: its value is in the record at <paramref name="address"/>.</summary>
    void Demote(int i, long address, int stored, int logical);

    /// <summary>Removes live entry <paramref name="i"/>, hot or cold.</summary>
    void Delete(int i);
}

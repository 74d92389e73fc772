using Tiered.Tiering.Metrics;

namespace Tiered.Tiering.Hot;

/// <summary>
/// What the engine's mechanisms share: the lock that serialises commands, the clock, the databases' key indexes, the
/// DRAM bytes they hold against the budget, and the counters. The store (Engine/Store.cs) derives from it; the
/// mechanisms below the store (Cold, Durability, Movement) take it, so none of them names the store or a database.
///
///     Engine/Store ──is a──► DramState ◄──uses── ColdTier, Journal, Demoter, Evictor, Compactor
///                               │
///                               └─ Keyspaces[db] ──► IKeyspace (Engine/Database) ──► KeyIndex
///
/// Shared state rule: every member but <see cref="Lock"/> and <see cref="Memory"/> (settings, read live) may be read
/// or changed only while holding <see cref="Lock"/>; the server takes it once per batch of commands.
/// </summary>
public abstract class DramState
{
    protected DramState(MemoryOptions memory) => Memory = memory;

    /// <summary>Serialises all access to the engine's state.</summary>
    public readonly Lock Lock = new();

    /// <summary>Told of the keys the engine removes on its own (expired, evicted); null: nobody asks. Set once at start.</summary>
    public IKeyspaceNotifier? Notifier { get; set; }

    /// <summary>"Now" for the batch of commands running (refreshed under the lock).</summary>
    public Clock Clock { get; } = new();

    /// <summary>Tiering counters (INFO # Tiering); zeros without an SSD tier but for hits and misses.</summary>
    public TierStats TierStats { get; } = new();

    /// <summary>Keyspace counters (INFO stats).</summary>
    public EngineStats Stats { get; } = new();

    /// <summary>The hot tier's budget and eviction settings.</summary>
    public MemoryOptions Memory { get; }

    /// <summary>Estimated bytes of all keys and values held in DRAM (INFO used_memory_dataset).</summary>
    public long UsedMemory { get; internal set; }

    /// <summary>The databases, indexed by number (the store's own array: SWAPDB exchanging two slots shows here too).</summary>
    internal IKeyspace[] Keyspaces { get; private protected set; } = [];

    /// <summary>
    /// Ends <paramref name="value"/>'s chain of operation records, if it has one (a newer state of its key replaces
    /// it): the chain's log bytes stop counting as live.
    /// </summary>
    internal void EndChain(object? value)
    {
        if (value is not ValueObject { LogBase: > 0 } o) return;
        TierStats.DropRecord(o.ChainBytes);
        o.LogBase = 0;
        o.ChainBytes = 0;
    }
}

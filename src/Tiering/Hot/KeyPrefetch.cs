using System.Runtime.Intrinsics.X86;

namespace Tiered.Tiering.Hot;

/// <summary>
/// Prefetching the index for the keys of a pipelined batch, before its commands run.
///
/// Why: a lookup of a random key among millions walks four dependent loads that each miss the CPU caches: the
/// bucket, the chain's first entry, the hot item, the key's bytes (and then the value's). Run command after command,
/// a batch of 16 pays 64 such misses one after another, each about 100 ns of waiting for DRAM; in a profile of
/// <c>GET -P 16</c> over 1,000,000 keys the command's own samples sat almost all (95 %) on those four loads. When the
/// batch's keys are known before it runs, one stage's misses can be in flight together:
///
///   stage 1  hash each key, prefetch its bucket           buckets[hash &amp; mask]       16 misses in flight
///   stage 2  read the buckets, prefetch the chain heads   entries[bucket]
///   stage 3  read the heads, prefetch the hot items       hot[~location]  (hash equal, hot)
///   stage 4  read the hot items, prefetch key and value   key bytes, value object
///
/// and then the commands run as before and find their lines in cache. A prefetch decides nothing and changes
/// nothing: a wrong guess (the key is second in its chain, the argument is not a key, an earlier command of the batch
/// deletes the key or switches the database) costs a wasted cache line, never a wrong answer. Where the CPU has no
/// prefetch instruction .NET exposes (not x86), running it does nothing.
///
/// Shared state rule: one instance per connection, used only by the thread running that connection's batch;
/// running it (<c>Database.Prefetch</c>) reads the index and so must hold the store lock.
/// </summary>
public sealed class KeyPrefetch
{
    /// <summary>Most keys one run prefetches: enough to overlap the misses, few enough to stay in L1.</summary>
    public const int Capacity = 16;

    private readonly ulong[] _hashes = new ulong[Capacity];
    private readonly int[] _at = new int[Capacity];
    private int _count;

    /// <summary>Whether prefetching can do anything on this CPU.</summary>
    public static bool Supported => Sse.IsSupported;

    /// <summary>Keys added since the last run.</summary>
    public int Count => _count;

    /// <summary>Adds a key of the coming batch; ignored once <see cref="Capacity"/> keys are waiting.</summary>
    public void Add(ReadOnlySpan<byte> key)
    {
        if (_count < Capacity) _hashes[_count++] = KeyIndex.Hash(key);
    }

    /// <summary>Prefetches the lines of <paramref name="index"/> the keys added will be looked up in, and forgets them.</summary>
    internal void Run(KeyIndex index)
    {
        if (Supported && _count > 0) index.Prefetch(_hashes.AsSpan(0, _count), _at);
        _count = 0;
    }
}

using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace Tiered.Tiering.Hot;

/// <summary>
/// The hash index of one database: every key, with its value, type, expiry and LFU counter.
///
/// Why a hand-written table and not <c>Dictionary&lt;string, ...&gt;</c>: keys arrive as bytes from the network and
/// must be looked up without building a string; a .NET dictionary of strings costs about 76 bytes a key before the
/// value; and the tiering engine needs to hold entries whose key is not in DRAM at all (a cold entry keeps the
/// 64-bit hash and the log address, and the full key is checked after the SSD read).
///
/// Layout (separate chaining through an array of structs; no per-entry node objects):
///
///   buckets:  [ 3 ][ -1 ][ 0 ][ -1 ] ...      power of two; entry index of the chain head, -1 when empty
///                |          |
///   entries:  [0: hash key value exp next=-1 lfu kind]
///             [1: free, next free = -1 ]
///             [2: ... ]
///             [3: hash key value exp next=0 ...]
///
/// An entry never moves while it is live: its index is the SCAN cursor position and a stable handle for the
/// duration of a command. Freed slots go on a free list and are reused by later inserts. The arrays double when
/// the live count reaches the bucket count (load factor 1).
///
/// Shared state rule: a KeyIndex is not thread-safe. Only a thread holding the store lock may read or change it.
/// </summary>
internal sealed class KeyIndex
{
    private const ulong Seed = 0x7469657265640001UL;

    private int[] _buckets;
    private Entry[] _entries;
    private int _mask;
    private int _count;       // live entries
    private int _used;        // high-water mark: entries[0.._used) have been handed out at least once
    private int _freeList = -1;

    public KeyIndex(int initialCapacity = 16)
    {
        int cap = 16;
        while (cap < initialCapacity) cap <<= 1;
        _buckets = new int[cap];
        Array.Fill(_buckets, -1);
        _entries = new Entry[cap];
        _mask = cap - 1;
    }

    /// <summary>Number of live keys.</summary>
    public int Count => _count;

    /// <summary>Entries below this index may be live; SCAN and sampling stay below it.</summary>
    public int HighWater => _used;

    /// <summary>The 64-bit hash every key is indexed by.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key, (long)Seed);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Entry At(int index) => ref _entries[index];

    /// <summary>Finds the entry holding <paramref name="key"/>; -1 when absent.</summary>
    public int Find(ReadOnlySpan<byte> key, ulong hash)
    {
        Entry[] entries = _entries;
        int i = _buckets[(int)hash & _mask];
        while (i >= 0)
        {
            ref Entry e = ref entries[i];
            if (e.Hash == hash && key.SequenceEqual(e.Key)) return i;
            i = e.Next;
        }
        return -1;
    }

    /// <summary>Adds a key that is known to be absent and returns its entry index. The entry is zeroed but for key and hash.</summary>
    public int Insert(byte[] key, ulong hash)
    {
        if (_count >= _buckets.Length) Grow();
        int index;
        if (_freeList >= 0)
        {
            index = _freeList;
            _freeList = _entries[index].Next;
        }
        else
        {
            index = _used++;
        }
        ref int bucket = ref _buckets[(int)hash & _mask];
        ref Entry e = ref _entries[index];
        e = default;
        e.Hash = hash;
        e.Key = key;
        e.Next = bucket;
        bucket = index;
        _count++;
        return index;
    }

    /// <summary>Unlinks and frees the entry at <paramref name="index"/>.</summary>
    public void RemoveAt(int index)
    {
        ref Entry target = ref _entries[index];
        ref int link = ref _buckets[(int)target.Hash & _mask];
        while (link != index)
        {
            if (link < 0) throw new InvalidOperationException("index corrupt: entry not in its chain");
            link = ref _entries[link].Next;
        }
        link = target.Next;
        target = default;
        target.Next = _freeList;
        _freeList = index;
        _count--;
    }

    /// <summary>True when the slot holds a live key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsLive(int index) => _entries[index].Key != null;

    /// <summary>Drops every key.</summary>
    public void Clear()
    {
        int cap = 16;
        _buckets = new int[cap];
        Array.Fill(_buckets, -1);
        _entries = new Entry[cap];
        _mask = cap - 1;
        _count = 0;
        _used = 0;
        _freeList = -1;
    }

    private void Grow()
    {
        int cap = _buckets.Length * 2;
        var entries = new Entry[cap];
        Array.Copy(_entries, entries, _used);
        var buckets = new int[cap];
        Array.Fill(buckets, -1);
        int mask = cap - 1;
        // Relink live entries into the new buckets; free slots keep their free-list links.
        for (int i = 0; i < _used; i++)
        {
            ref Entry e = ref entries[i];
            if (e.Key == null) continue;
            ref int b = ref buckets[(int)e.Hash & mask];
            e.Next = b;
            b = i;
        }
        _entries = entries;
        _buckets = buckets;
        _mask = mask;
    }
}

/// <summary>
/// One key's slot in the index. 48 bytes (a size test holds it there).
/// A free slot has <see cref="Key"/> null and uses <see cref="Next"/> as the free-list link.
/// </summary>
internal struct Entry
{
    /// <summary>64-bit hash of the key (<see cref="KeyIndex.Hash"/>).</summary>
    public ulong Hash;
    /// <summary>The key bytes; null for a free slot.</summary>
    public byte[]? Key;
    /// <summary>The value: byte[] for strings; a typed object for the other kinds.</summary>
    public object? Value;
    /// <summary>Absolute expiry in unix milliseconds; 0 when the key has no TTL.</summary>
    public long ExpireAt;
    /// <summary>Next entry in the bucket chain (or the free list); -1 ends it.</summary>
    public int Next;
    /// <summary>Last access, in engine seconds (OBJECT IDLETIME).</summary>
    public uint AccessSec;
    /// <summary>Minute stamp of the last LFU decrement.</summary>
    public ushort LfuStamp;
    /// <summary>Logarithmic access counter (see <see cref="Lfu"/>).</summary>
    public byte Lfu;
    /// <summary>The value's type.</summary>
    public ValueKind Kind;
}

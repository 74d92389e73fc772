using System.Runtime.CompilerServices;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Values;

namespace Tiered.Tiering;

/// <summary>
/// One logical database (SELECT n): its key index plus the bookkeeping every operation shares: lazy expiry on
/// access, LFU and access-time updates, keyspace hit/miss counts and memory accounting.
///
/// Shared state rule: every member may be used only by a thread that holds <see cref="Store.Lock"/>.
/// </summary>
public sealed class Database
{
    internal KeyIndex Index;
    internal readonly Store Store;

    /// <summary>Keys in this database that carry a TTL (INFO keyspace "expires").</summary>
    internal int VolatileCount;

    /// <summary>Where the active expiry sweep continues (an entry index).</summary>
    internal int ExpireCursor;

    internal Database(Store store, int id)
    {
        Store = store;
        Id = id;
        Index = new KeyIndex();
    }

    /// <summary>The database number.</summary>
    public int Id { get; internal set; }

    /// <summary>Live keys (may include keys that expired but were not reclaimed yet, as in Redis).</summary>
    public int Count => Index.Count;

    /// <summary>Keys with a TTL.</summary>
    public int Expires => VolatileCount;

    /// <summary>
    /// Finds a live key for a read: expired keys are deleted on the way (lazy expiry), the access time and LFU
    /// counter are updated, and keyspace hits/misses are counted. Returns the entry index or -1.
    /// </summary>
    internal int LookupRead(ReadOnlySpan<byte> key)
    {
        int i = Lookup(key, KeyIndex.Hash(key));
        if (i < 0) { Store.Stats.KeyspaceMisses++; return -1; }
        Store.Stats.KeyspaceHits++;
        TouchEntry(i);
        return i;
    }

    /// <summary>Finds a live key for a write: lazy expiry and access update, no hit/miss counting.</summary>
    internal int LookupWrite(ReadOnlySpan<byte> key, ulong hash)
    {
        int i = Lookup(key, hash);
        if (i >= 0) TouchEntry(i);
        return i;
    }

    /// <summary>Finds a live key without touching its access data (OBJECT, TYPE with NOTOUCH semantics).</summary>
    internal int Lookup(ReadOnlySpan<byte> key, ulong hash)
    {
        int i = Index.Find(key, hash);
        if (i < 0) return -1;
        long exp = Index.At(i).ExpireAt;
        if (exp != 0 && exp <= Store.Clock.NowMs)
        {
            Delete(i);
            Store.Stats.ExpiredKeys++;
            return -1;
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref Entry At(int index) => ref Index.At(index);

    private void TouchEntry(int i)
    {
        ref Entry e = ref Index.At(i);
        EngineOptions o = Store.Options;
        Lfu.Touch(ref e.Lfu, ref e.LfuStamp, Store.Clock.Minutes16, o.LfuLogFactor, o.LfuDecayTime);
        e.AccessSec = Store.Clock.Seconds;
    }

    /// <summary>Adds a key known to be absent. The key bytes are copied.</summary>
    internal int Add(ReadOnlySpan<byte> key, ulong hash, ValueKind kind, object value, long expireAt)
        => AddOwned(key.ToArray(), hash, kind, value, expireAt);

    /// <summary>Adds a key known to be absent, taking ownership of the key array.</summary>
    internal int AddOwned(byte[] key, ulong hash, ValueKind kind, object value, long expireAt)
    {
        int i = Index.Insert(key, hash);
        ref Entry e = ref Index.At(i);
        e.Kind = kind;
        e.Value = value;
        e.ExpireAt = expireAt;
        e.Lfu = Lfu.InitialValue;
        e.LfuStamp = Store.Clock.Minutes16;
        e.AccessSec = Store.Clock.Seconds;
        if (expireAt != 0) VolatileCount++;
        Store.UsedMemory += MemoryOf.Entry(key.Length) + MemoryOf.Value(value);
        return i;
    }

    /// <summary>Replaces the value of a live entry (and its kind), keeping key, TTL and LFU data.</summary>
    internal void Replace(int i, ValueKind kind, object value)
    {
        ref Entry e = ref Index.At(i);
        Store.UsedMemory += MemoryOf.Value(value) - MemoryOf.Value(e.Value);
        e.Kind = kind;
        e.Value = value;
    }

    /// <summary>Accounts for a value that was changed in place and grew or shrank by <paramref name="delta"/> bytes.</summary>
    internal void Resized(long delta) => Store.UsedMemory += delta;

    /// <summary>Sets (or with 0 clears) the absolute expiry of a live entry.</summary>
    internal void SetExpire(int i, long expireAt)
    {
        ref Entry e = ref Index.At(i);
        if (e.ExpireAt == 0 && expireAt != 0) VolatileCount++;
        else if (e.ExpireAt != 0 && expireAt == 0) VolatileCount--;
        e.ExpireAt = expireAt;
    }

    /// <summary>Removes a live entry.</summary>
    internal void Delete(int i)
    {
        ref Entry e = ref Index.At(i);
        if (e.ExpireAt != 0) VolatileCount--;
        Store.UsedMemory -= MemoryOf.Entry(e.Key!.Length) + MemoryOf.Value(e.Value);
        Index.RemoveAt(i);
    }

    /// <summary>Drops every key.</summary>
    internal void Clear()
    {
        for (int i = 0; i < Index.HighWater; i++)
        {
            if (!Index.IsLive(i)) continue;
            ref Entry e = ref Index.At(i);
            Store.UsedMemory -= MemoryOf.Entry(e.Key!.Length) + MemoryOf.Value(e.Value);
        }
        Index.Clear();
        VolatileCount = 0;
        ExpireCursor = 0;
    }

    /// <summary>
    /// One step of the active expiry sweep: examines up to <paramref name="budget"/> slots from the cursor on and
    /// deletes the expired keys among them. Returns the number of keys deleted.
    /// </summary>
    internal int ExpireStep(int budget)
    {
        if (VolatileCount == 0 || Index.Count == 0) return 0;
        int deleted = 0;
        long now = Store.Clock.NowMs;
        int hw = Index.HighWater;
        int c = ExpireCursor;
        for (int n = 0; n < budget && n < hw; n++)
        {
            if (c >= hw) c = 0;
            if (Index.IsLive(c))
            {
                long exp = Index.At(c).ExpireAt;
                if (exp != 0 && exp <= now)
                {
                    Delete(c);
                    deleted++;
                }
            }
            c++;
        }
        ExpireCursor = c;
        Store.Stats.ExpiredKeys += deleted;
        return deleted;
    }

    /// <summary>
    /// Finds a live key for a read that must not change its access data (EXISTS, TYPE, TTL, OBJECT: Redis's
    /// LOOKUP_NOTOUCH): lazy expiry and keyspace hit/miss counting, no LFU or access-time update.
    /// </summary>
    /// <summary>
    /// Finds the collection of kind <paramref name="kind"/> at <paramref name="key"/> for a read. Ok with the object,
    /// NotFound, or WrongType. Counts hits/misses and updates access data like any read.
    /// </summary>
    public Status ReadObject<T>(ReadOnlySpan<byte> key, ValueKind kind, out T? obj) where T : ValueObject
    {
        obj = null;
        int i = LookupRead(key);
        if (i < 0) return Status.NotFound;
        ref Entry e = ref Index.At(i);
        if (e.Kind != kind) return Status.WrongType;
        obj = (T)e.Value!;
        return Status.Ok;
    }

    /// <summary>
    /// Finds the collection at <paramref name="key"/> for a write, creating it with <paramref name="create"/> when the
    /// key is absent and <paramref name="create"/> is not null. Ok with the object (and <paramref name="created"/>),
    /// NotFound (absent and no factory) or WrongType. After changing the object, call <see cref="Updated"/>.
    /// </summary>
    public Status WriteObject<T>(ReadOnlySpan<byte> key, ValueKind kind, Func<T>? create, out T? obj, out bool created) where T : ValueObject
    {
        obj = null;
        created = false;
        ulong hash = KeyIndex.Hash(key);
        int i = LookupWrite(key, hash);
        if (i >= 0)
        {
            ref Entry e = ref Index.At(i);
            if (e.Kind != kind) return Status.WrongType;
            obj = (T)e.Value!;
            return Status.Ok;
        }
        if (create is null) return Status.NotFound;
        obj = create();
        obj.AccountedBytes = obj.SizeBytes;
        Add(key, hash, kind, obj, 0);
        created = true;
        return Status.Ok;
    }

    /// <summary>
    /// Call after changing a collection found with <see cref="WriteObject{T}"/>: charges the size change to the memory
    /// budget and deletes the key if the collection is now empty. Returns true if the key was deleted.
    /// </summary>
    public bool Updated(ReadOnlySpan<byte> key, ValueObject obj)
    {
        long now = obj.SizeBytes;
        Store.UsedMemory += now - obj.AccountedBytes;
        obj.AccountedBytes = now;
        if (obj.Count > 0) return false;
        int i = Index.Find(key, KeyIndex.Hash(key));
        if (i >= 0 && ReferenceEquals(Index.At(i).Value, obj)) Delete(i);
        return true;
    }

    internal int LookupReadNoTouch(ReadOnlySpan<byte> key)
    {
        int i = Lookup(key, KeyIndex.Hash(key));
        if (i < 0) Store.Stats.KeyspaceMisses++;
        else Store.Stats.KeyspaceHits++;
        return i;
    }
}

/// <summary>Estimated DRAM bytes of entries and values, for the memory budget and INFO memory.</summary>
internal static class MemoryOf
{
    /// <summary>Array header of a byte[] on 64-bit .NET.</summary>
    public const int ArrayOverhead = 24;

    /// <summary>An index slot (48 B), its bucket share (4 B) and the key array.</summary>
    public static long Entry(int keyLength) => 52 + ArrayOverhead + keyLength;

    public static long Value(object? value) => value switch
    {
        null => 0,
        byte[] b => ArrayOverhead + b.Length,
        ValueObject o => o.AccountedBytes != 0 ? o.AccountedBytes : (o.AccountedBytes = o.SizeBytes),
        ISizedValue s => s.SizeBytes,
        _ => 64,
    };
}

/// <summary>A value object (list, hash, ...) that knows its own DRAM footprint.</summary>
public interface ISizedValue
{
    long SizeBytes { get; }
}

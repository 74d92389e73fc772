using System.IO.Hashing;
using System.Runtime.Intrinsics.X86;

namespace Tiered.Tiering.Hot;

/// <summary>
/// The hash index of one database: every key, hot or cold, with its type, expiry and LFU counter.
///
/// Why a hand-written table and not <c>Dictionary&lt;string, ...&gt;</c>: keys arrive as bytes from the network and
/// must be looked up without building a string; a .NET dictionary of strings costs about 76 bytes a key before the
/// value; and most keys of a tiered store are cold: their key bytes are not in DRAM at all. A cold entry keeps the
/// 48-bit hash and the address and length of the log record holding key and value; the full key is checked after
/// the SSD read, so two keys with the same hash still get the right answer.
///
/// Layout: separate chaining through an array of structs, plus a second array for what only hot keys need.
///
///   buckets:  [ 3 ][ -1 ][ 0 ][ -1 ] ...      power of two; entry index of the chain head, -1 when empty
///                |          |
///   entries:  [0: hash logical | loc=~1 (hot) stored ttl | next=-1 | lfu stamp kind ]   24 B, every key
///             [1: free (kind None), next = next free ]
///             [3: hash logical | loc=address (cold) stored ttl | next=0 | lfu stamp kind ]
///                        |
///   hot:      [0: free ][1: key[] | value | record | access sec | owner=0 ]                   32 B, hot keys only
///   expiry:   SparseColumn: entry -> unix ms, only for entries whose ttl bit is set              keys with a TTL only
///   sizes:    SparseColumn: entry -> stored, logical, only for records of 32 KB or more      large values only
///
///   Entry.Location:  < 0  hot: ~Location is the HotItem index
///                    > 0  cold: the log address of the record holding key and value (Stored bytes long)
///   HotItem.Record:  > 0  the value is also in the log at that address (clean: demotion costs no I/O)
///                    0    dirty: the log has no copy of this value      -1  a demotion of it is being committed
///
/// Entries never move while live: an entry index is the SCAN cursor position and a stable handle for the duration of
/// a command. Freed slots of both arrays go on free lists and are reused. The entry arrays double when the live count
/// reaches the bucket count (load factor 1); the hot array grows on its own.
///
/// Shared state rule: a KeyIndex is not thread-safe. Only a thread holding the store lock may read or change it.
/// </summary>
internal sealed class KeyIndex
{
    private const ulong Seed = 0x7469657265640001UL;

    private int[] _buckets;
    private Entry[] _entries;
    private HotItem[] _hot;
    private int _mask;
    private int _count;       // live entries
    private int _used;        // high-water mark: entries[0.._used) have been handed out at least once
    private int _freeList = -1;
    private int _hotCount;
    private int _hotUsed;
    private int _hotFree = -1;
    private readonly SparseColumn _expiry = new();
    private readonly SparseColumn _sizes = new();   // entry -> stored << 32 | logical, for sizes the entry cannot hold

    public KeyIndex(int initialCapacity = 16)
    {
        int cap = 16;
        while (cap < initialCapacity) cap <<= 1;
        _buckets = new int[cap];
        Array.Fill(_buckets, -1);
        _entries = new Entry[cap];
        _hot = new HotItem[16];
        _mask = cap - 1;
    }

    /// <summary>Number of live keys, hot and cold.</summary>
    public int Count => _count;

    /// <summary>Number of hot keys (key and value in DRAM).</summary>
    public int HotCount => _hotCount;

    /// <summary>Number of cold keys (only the 24-byte entry in DRAM, and an expiry if they have one).</summary>
    public int ColdCount => _count - _hotCount;

    /// <summary>Entries below this index may be live; SCAN and sampling stay below it.</summary>
    public int HighWater => _used;

    /// <summary>Hot items below this index may be live (eviction sampling).</summary>
    public int HotHighWater => _hotUsed;

    /// <summary>DRAM bytes of the index arrays (INFO tier_index_bytes).</summary>
    public long ArrayBytes => (long)_buckets.Length * 4 + (long)_entries.Length * Unsafe.SizeOf<Entry>()
        + (long)_hot.Length * Unsafe.SizeOf<HotItem>() + _expiry.Bytes + _sizes.Bytes;

    /// <summary>DRAM bytes of the expiry column, part of <see cref="ArrayBytes"/> (MEMORY STATS overhead.hashtable.expires).</summary>
    public long ExpiryBytes => _expiry.Bytes;

    /// <summary>Number of keys with an expiry (INFO keyspace expires=).</summary>
    public int VolatileCount => _expiry.Count;

    /// <summary>The absolute expiry (unix ms) of live entry <paramref name="index"/>; 0 when it has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ExpireAt(int index) => _entries[index].HasExpiry ? _expiry.Get(index) : 0;

    /// <summary>Sets the absolute expiry of live entry <paramref name="index"/>; 0 removes it.</summary>
    public void SetExpireAt(int index, long at)
    {
        ref Entry e = ref _entries[index];
        if (at != 0) _expiry.Set(index, at);
        else if (e.HasExpiry) _expiry.Remove(index);
        e.HasExpiry = at != 0;
    }

    /// <summary>
    /// The entry with an expiry at position <paramref name="p"/> (0 to <see cref="VolatileCount"/> - 1) and its expiry:
    /// the active expiry sweep walks these. Removing that entry moves another one to position <paramref name="p"/>.
    /// </summary>
    public int VolatileAt(int p, out long at) => _expiry.At(p, out at);

    /// <summary>The 48-bit hash every key is indexed by (the width an <see cref="Entry"/> keeps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key, (long)Seed) & Entry.HashMask;

    /// <summary>
    /// Length in the log of the record holding entry <paramref name="index"/>'s value (cold, or hot and clean): one
    /// exact read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int StoredOf(int index)
    {
        int s = _entries[index].StoredField;
        return s != Entry.LargeSize ? s : (int)(_sizes.Get(index) >> 32);
    }

    /// <summary>Uncompressed bytes of the value in that record (INFO tier_cold_logical_bytes); below 2^31.</summary>
    public int LogicalOf(int index)
    {
        ref Entry e = ref _entries[index];
        return e.StoredField != Entry.LargeSize ? e.LogicalField : (int)(uint)_sizes.Get(index);
    }

    /// <summary>Sets the stored and logical sizes of entry <paramref name="index"/>'s record.</summary>
    public void SetRecordSize(int index, int stored, int logical)
    {
        Debug.Assert(stored >= 0 && logical >= 0);
        ref Entry e = ref _entries[index];
        if (stored < Entry.LargeSize && logical <= ushort.MaxValue)
        {
            if (e.StoredField == Entry.LargeSize) _sizes.Remove(index);
            e.StoredField = stored;
            e.LogicalField = logical;
        }
        else
        {
            e.StoredField = Entry.LargeSize;
            e.LogicalField = 0;
            _sizes.Set(index, (long)stored << 32 | (uint)logical);
        }
    }

    /// <summary>Sets the stored size of entry <paramref name="index"/>'s record, keeping its logical size (a copy of it).</summary>
    public void SetStored(int index, int stored) => SetRecordSize(index, stored, LogicalOf(index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Entry EntryAt(int index) => ref _entries[index];

    /// <summary>The hot item of a hot entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref HotItem HotOf(int index)
    {
        long loc = _entries[index].Location;
        Debug.Assert(loc < 0, "entry is not hot");
        return ref _hot[(int)~loc];
    }

    /// <summary>Hot item <paramref name="h"/> (eviction sampling walks the hot array).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref HotItem HotItemAt(int h) => ref _hot[h];

    /// <summary>Both halves of a hot entry, for the operations (which only ever see hot entries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Slot At(int index)
    {
        ref Entry e = ref _entries[index];
        Debug.Assert(e.Location < 0, "entry is not hot");
        return new Slot(ref e, ref _hot[(int)~e.Location]);
    }

    /// <summary>True when the slot holds a live key, hot or cold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsLive(int index) => _entries[index].Kind != ValueKind.None;

    /// <summary>True when the live entry at <paramref name="index"/> is cold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsCold(int index) => _entries[index].Location > 0;

    /// <summary>
    /// Finds the first entry of <paramref name="key"/>'s chain that is either the hot entry of the key, or a cold
    /// entry with the same hash (which may or may not be the key: the caller reads its record to tell). -1 when
    /// neither exists. Continue after a cold candidate that turned out to be another key with <see cref="FindAfter"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ReadOnlySpan<byte> key, ulong hash) => Walk(_buckets[(int)hash & _mask], key, hash);

    /// <summary>Like <see cref="Find"/>, starting after entry <paramref name="index"/> of the same chain.</summary>
    public int FindAfter(int index, ReadOnlySpan<byte> key, ulong hash) => Walk(_entries[index].Next, key, hash);

    private int Walk(int i, ReadOnlySpan<byte> key, ulong hash)
    {
        Entry[] entries = _entries;
        HotItem[] hot = _hot;
        while (i >= 0)
        {
            ref Entry e = ref entries[i];
            if (e.Hash == hash)
            {
                if (e.Location > 0 || key.SequenceEqual(hot[(int)~e.Location].Key)) return i;
            }
            i = e.Next;
        }
        return -1;
    }

    /// <summary>
    /// Issues cache prefetches for the lookups of <paramref name="hashes"/>, stage by stage (see <see cref="KeyPrefetch"/>);
    /// <paramref name="at"/> is scratch of at least as many ints. Reads the index, changes nothing.
    /// </summary>
    public unsafe void Prefetch(ReadOnlySpan<ulong> hashes, Span<int> at)
    {
        int[] buckets = _buckets;
        Entry[] entries = _entries;
        HotItem[] hot = _hot;
        int mask = _mask;
        int n = hashes.Length;
        for (int k = 0; k < n; k++)
            Sse.Prefetch0(Unsafe.AsPointer(ref buckets[(int)hashes[k] & mask]));
        for (int k = 0; k < n; k++)
        {
            int i = buckets[(int)hashes[k] & mask];
            at[k] = i;
            if ((uint)i < (uint)entries.Length) Sse.Prefetch0(Unsafe.AsPointer(ref entries[i]));
        }
        for (int k = 0; k < n; k++)
        {
            int i = at[k];
            int h = -1;
            if ((uint)i < (uint)entries.Length)
            {
                ref Entry e = ref entries[i];
                if (e.Hash == hashes[k] && e.Location < 0 && (uint)~e.Location < (uint)hot.Length)
                {
                    h = (int)~e.Location;
                    Sse.Prefetch0(Unsafe.AsPointer(ref hot[h]));
                }
            }
            at[k] = h;
        }
        for (int k = 0; k < n; k++)
        {
            if (at[k] < 0) continue;
            ref HotItem item = ref hot[at[k]];
            byte[]? key = item.Key;
            if (key != null) Sse.Prefetch0(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(key)));
            object? value = item.Value;
            if (value != null) Sse.Prefetch0((void*)Unsafe.As<object, nint>(ref value));
        }
    }

    /// <summary>
    /// Writes into <paramref name="into"/> the cold entries whose hash is <paramref name="hash"/> (the records a lookup
    /// of a key with that hash may have to read) and returns how many there are (which may exceed the span).
    /// </summary>
    public int ColdCandidates(ulong hash, Span<int> into)
    {
        int n = 0;
        for (int i = _buckets[(int)hash & _mask]; i >= 0; i = _entries[i].Next)
        {
            ref Entry e = ref _entries[i];
            if (e.Hash == hash && e.Location > 0)
            {
                if (n < into.Length) into[n] = i;
                n++;
            }
        }
        return n;
    }

    /// <summary>
    /// The entry of hash <paramref name="hash"/> whose value is in the record at <paramref name="address"/> (a cold
    /// entry there, or a clean hot entry whose copy it is); -1 when no entry points at it (compaction: a dead record).
    /// </summary>
    public int FindByRecord(ulong hash, long address)
    {
        for (int i = _buckets[(int)hash & _mask]; i >= 0; i = _entries[i].Next)
            if (HoldsRecord(ref _entries[i], hash, address)) return i;
        return -1;
    }

    /// <summary>Whether entry <paramref name="i"/> is still the one <see cref="FindByRecord"/> found for this hash and record.</summary>
    public bool PointsAt(int i, ulong hash, long address) =>
        (uint)i < (uint)_used && _entries[i].Kind != ValueKind.None && HoldsRecord(ref _entries[i], hash, address);

    private bool HoldsRecord(ref Entry e, ulong hash, long address) =>
        e.Hash == hash && (e.Location == address || e.Location < 0 && _hot[(int)~e.Location].Record == address);

    /// <summary>Adds a hot key that is known to be absent and returns its entry index. All else is zero.</summary>
    public int Insert(byte[] key, ulong hash)
    {
        int index = InsertEntry(hash);
        ref Entry e = ref _entries[index];
        e.Location = ~AllocHot(index, key);
        return index;
    }

    /// <summary>Adds a cold key (recovery): its record is at <paramref name="address"/>.</summary>
    public int InsertCold(ulong hash, long address)
    {
        int index = InsertEntry(hash);
        _entries[index].Location = address;
        return index;
    }

    private int InsertEntry(ulong hash)
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
        e.Next = bucket;
        e.Kind = ValueKind.String;   // live; the caller sets the real kind
        bucket = index;
        _count++;
        return index;
    }

    /// <summary>Makes a hot entry cold: its value and key leave DRAM; the record at <paramref name="address"/> holds them.</summary>
    public void MakeCold(int index, long address, int stored, int logical)
    {
        ref Entry e = ref _entries[index];
        Debug.Assert(e.Location < 0 && address > 0);
        FreeHot((int)~e.Location);
        e.Location = address;
        SetRecordSize(index, stored, logical);
    }

    /// <summary>Makes a cold entry hot with the key and value read from its record (which stays valid: clean).</summary>
    public ref HotItem MakeHot(int index, byte[] key)
    {
        ref Entry e = ref _entries[index];
        Debug.Assert(e.Location > 0);
        long address = e.Location;
        int h = AllocHot(index, key);
        e.Location = ~h;
        ref HotItem item = ref _hot[h];
        item.Record = address;
        return ref item;
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
        if (target.Location < 0) FreeHot((int)~target.Location);
        if (target.HasExpiry) _expiry.Remove(index);
        if (target.StoredField == Entry.LargeSize) _sizes.Remove(index);
        target = default;
        target.Next = _freeList;
        _freeList = index;
        _count--;
    }

    /// <summary>Drops every key.</summary>
    public void Clear()
    {
        int cap = 16;
        _buckets = new int[cap];
        Array.Fill(_buckets, -1);
        _entries = new Entry[cap];
        _hot = new HotItem[16];
        _mask = cap - 1;
        _count = 0;
        _used = 0;
        _freeList = -1;
        _hotCount = 0;
        _hotUsed = 0;
        _hotFree = -1;
        _expiry.Clear();
        _sizes.Clear();
    }

    private int AllocHot(int owner, byte[] key)
    {
        int h;
        if (_hotFree >= 0)
        {
            h = _hotFree;
            _hotFree = _hot[h].Owner;
        }
        else
        {
            if (_hotUsed == _hot.Length) Array.Resize(ref _hot, _hot.Length * 2);
            h = _hotUsed++;
        }
        _hot[h] = new HotItem { Key = key, Owner = owner };
        _hotCount++;
        return h;
    }

    private void FreeHot(int h)
    {
        _hot[h] = new HotItem { Owner = _hotFree };
        _hotFree = h;
        _hotCount--;
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
            if (e.Kind == ValueKind.None) continue;
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
/// One key's slot in the index, hot or cold: 24 bytes (a size test holds it there), which is all the DRAM a cold key
/// without a TTL costs. A free slot has <see cref="Kind"/> None and uses <see cref="Next"/> as the free-list link.
///
///   _hashAndLogical  [ hash: bits 0-47                       | logical: 48-63 ]
///   _location        [ location: bits 0-47 (two's complement) | stored: 48-62 | ttl: 63 ]
///   Next (4 B) | LfuStamp (2 B) | Lfu (1 B) | Kind (1 B)
///
/// Why these widths. A hash of 48 bits leaves, at a billion keys in 2^30 buckets, 18 bits to tell apart the keys of
/// one chain: a false match costs one record read that checks the key, about once in 260,000 lookups of a cold key
/// that shares a chain. Log addresses of 48 bits reach 256 TiB. Record sizes below 32 KB stored and 64 KB logical,
/// nearly every value, fit in the entry; a larger one sets stored to <see cref="LargeSize"/> and keeps both exact
/// sizes in the index's size column (<see cref="SparseColumn"/>), so only <see cref="KeyIndex"/> reads or sets them.
/// The expiry of a key that has one is in the expiry column, flagged by <see cref="HasExpiry"/>.
/// Room left: Redis Cluster can take 14 of the hash bits for the key's slot without widening the entry.
/// </summary>
internal struct Entry
{
    /// <summary>The low 48 bits of a word: the hash in the first, the location in the second.</summary>
    private const ulong Low48 = (1UL << 48) - 1;
    internal const ulong HashMask = Low48;
    /// <summary>The stored field's marker for sizes that live in the size column.</summary>
    internal const int LargeSize = 0x7FFF;
    private const ulong TtlBit = 1UL << 63;

    private ulong _hashAndLogical;
    private ulong _location;
    /// <summary>Next entry in the bucket chain (or the free list); -1 ends it.</summary>
    public int Next;
    /// <summary>Minute stamp of the last LFU decrement.</summary>
    public ushort LfuStamp;
    /// <summary>Logarithmic access counter (see <see cref="Lfu"/>), kept for hot and cold keys alike.</summary>
    public byte Lfu;
    /// <summary>The value's type; None marks a free slot.</summary>
    public ValueKind Kind;

    /// <summary>The key's 48-bit hash (<see cref="KeyIndex.Hash"/>).</summary>
    public ulong Hash
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => _hashAndLogical & HashMask;
        set => _hashAndLogical = (_hashAndLogical & ~HashMask) | (value & HashMask);
    }

    /// <summary>Hot: ~(hot item index), negative. Cold: the log address of the key's record, positive.</summary>
    public long Location
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => (long)(_location << 16) >> 16;
        set => _location = (_location & ~Low48) | ((ulong)value & Low48);
    }

    /// <summary>The key has an expiry, in the index's expiry column (set only through <see cref="KeyIndex.SetExpireAt"/>).</summary>
    public bool HasExpiry
    {
        readonly get => (_location & TtlBit) != 0;
        set => _location = value ? _location | TtlBit : _location & ~TtlBit;
    }

    /// <summary>The stored size field: the record's length, or <see cref="LargeSize"/> when the size column has it.</summary>
    internal int StoredField
    {
        readonly get => (int)(_location >> 48) & LargeSize;
        set => _location = (_location & ~((ulong)LargeSize << 48)) | ((ulong)(uint)value << 48);
    }

    /// <summary>The logical size field (valid only when <see cref="StoredField"/> is not <see cref="LargeSize"/>).</summary>
    internal int LogicalField
    {
        readonly get => (int)(_hashAndLogical >> 48);
        set => _hashAndLogical = (_hashAndLogical & HashMask) | ((ulong)(ushort)value << 48);
    }
}

/// <summary>What only a hot key needs: its key and value in DRAM. 32 bytes (a size test holds it there).</summary>
internal struct HotItem
{
    /// <summary>The key bytes; null for a free item.</summary>
    public byte[]? Key;
    /// <summary>The value: byte[] for strings; a typed object for the other kinds.</summary>
    public object? Value;
    /// <summary>&gt; 0: the log record at this address holds exactly this value; 0: dirty; -1: a demotion is in flight.</summary>
    public long Record;
    /// <summary>Last access, in engine seconds (OBJECT IDLETIME).</summary>
    public uint AccessSec;
    /// <summary>The owning entry's index; the next free item while free.</summary>
    public int Owner;
}

/// <summary>
/// A hot entry as the operations see it: the shared fields from <see cref="Entry"/>, key and value from
/// <see cref="HotItem"/>. Valid until the next change to the keyspace.
/// </summary>
internal readonly ref struct Slot
{
    private readonly ref Entry _e;
    private readonly ref HotItem _h;

    public Slot(ref Entry e, ref HotItem h)
    {
        _e = ref e;
        _h = ref h;
    }

    public ref Entry Entry => ref _e;
    public ref HotItem Hot => ref _h;
    public byte[]? Key => _h.Key;
    public ref object? Value => ref _h.Value;
    public ref ValueKind Kind => ref _e.Kind;
    public ref byte Lfu => ref _e.Lfu;
    public ref ushort LfuStamp => ref _e.LfuStamp;
    public ref uint AccessSec => ref _h.AccessSec;
}

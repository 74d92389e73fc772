using Tiered.Tiering.Cold;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;

namespace Tiered.Tiering.Engine;

/// <summary>
/// One logical database (SELECT n): its key index plus the bookkeeping every operation shares: lazy expiry on
/// access, LFU and access-time updates, keyspace hit/miss counts and memory accounting.
///
/// Shared state rule: every member may be used only by a thread that holds <see cref="Store.Lock"/>.
/// </summary>
public sealed class Database : IKeyspace
{
    KeyIndex IKeyspace.Index => Index;
    void IKeyspace.Promote(int i, byte[] key, object value) => Promote(i, key, value);
    void IKeyspace.Demote(int i, long address, int stored, int logical) => Demote(i, address, stored, logical);
    void IKeyspace.Delete(int i) => Delete(i);

    internal KeyIndex Index;
    internal readonly Store Store;

    /// <summary>Keys in this database that carry a TTL (INFO keyspace "expires").</summary>
    internal int VolatileCount => Index.VolatileCount;

    /// <summary>Where the active expiry sweep continues (a position in the index's expiry table).</summary>
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
    /// Prefetches the index lines for the keys in <paramref name="batch"/> (the keys of commands about to run on this
    /// database; see Hot/KeyPrefetch.cs) and empties it. Changes nothing. Call holding the store lock.
    /// </summary>
    public void Prefetch(KeyPrefetch batch) => batch.Run(Index);

    /// <summary>
    /// Starts async reads of the records a lookup of <paramref name="key"/> may need (its hash's cold candidates) into
    /// <paramref name="set"/>; see ColdTier.Prefetch. False without an SSD tier or when nothing had to be read. Call
    /// holding the store lock.
    /// </summary>
    public bool PrefetchCold(ReadOnlySpan<byte> key, ColdReadSet set) => Store.Cold?.Prefetch(this, key, set) ?? false;

    /// <summary>
    /// Finds a live key for a read: expired keys are deleted on the way (lazy expiry), the access time and LFU
    /// counter are updated, and keyspace and tier hits/misses are counted. Returns the (hot) entry index or -1.
    /// </summary>
    internal int LookupRead(ReadOnlySpan<byte> key)
    {
        int i = Lookup(key, KeyIndex.Hash(key), out bool wasCold);
        return CountRead(key, i, wasCold);
    }

    /// <summary>What <see cref="LookupReadString"/> returns when it served a cold string from its record.</summary>
    internal const int ServedCold = -2;

    /// <summary>
    /// <see cref="LookupRead"/> for a command that only reads a string and replies with it at once (GET, MGET): a cold
    /// string that admission would not keep in DRAM is served from its record without being promoted (see
    /// ColdTier.TryServeString): then <see cref="ServedCold"/> is returned and <paramref name="coldValue"/>, valid until
    /// the next engine call, holds the value. Otherwise as <see cref="LookupRead"/>.
    /// </summary>
    internal int LookupReadString(ReadOnlySpan<byte> key, out ReadOnlySpan<byte> coldValue)
    {
        coldValue = default;
        ulong hash = KeyIndex.Hash(key);
        KeyIndex index = Index;
        int i = index.Find(key, hash);
        while (i >= 0 && index.IsCold(i))
        {
            ref Entry e = ref index.EntryAt(i);
            byte lfu = e.Lfu;
            ushort stamp = e.LfuStamp;
            MemoryOptions o = Store.Memory;
            Lfu.Touch(ref lfu, ref stamp, Store.Clock.Minutes16, o.LfuLogFactor, o.LfuDecayTime);   // this access, if served
            ColdServe served = Store.Cold!.TryServeString(this, i, key, lfu, out coldValue);
            if (served == ColdServe.NotServed) break;
            if (served == ColdServe.Served)
            {
                e.Lfu = lfu;
                e.LfuStamp = stamp;
                Store.Stats.KeyspaceHits++;
                Store.TierStats.ColdHits++;
                return ServedCold;
            }
            i = index.FindAfter(i, key, hash);
        }
        i = Resolve(key, hash, i, out bool wasCold);   // a hot entry, none, or a cold one to load as usual
        return CountRead(key, i, wasCold);
    }

    private int CountRead(ReadOnlySpan<byte> key, int i, bool wasCold)
    {
        if (i < 0) { Missed(key); return -1; }
        Store.Stats.KeyspaceHits++;
        if (wasCold) Store.TierStats.ColdHits++; else Store.TierStats.HotHits++;
        TouchEntry(i);
        return i;
    }

    /// <summary>A read found no key: counted, and reported for keyspace notifications (keymiss).</summary>
    private void Missed(ReadOnlySpan<byte> key, bool notify = true)
    {
        Store.Stats.KeyspaceMisses++;
        Store.TierStats.Misses++;
        if (notify && Store.Notifier is { } n && n.Wants(EngineEvent.KeyMiss)) n.Notify(EngineEvent.KeyMiss, Id, key);
    }

    /// <summary>Whether <paramref name="key"/> has an entry, without expiry, access or counting (a command asking whether its write emptied a key).</summary>
    public bool Contains(ReadOnlySpan<byte> key) => Index.Find(key, KeyIndex.Hash(key)) >= 0;

    /// <summary>
    /// Finds a live key for a write: lazy expiry and access update, no hit/miss counting. The entry is marked dirty
    /// (its log record, if any, no longer holds its value), so the caller may change the value in place.
    /// </summary>
    internal int LookupWrite(ReadOnlySpan<byte> key, ulong hash)
    {
        int i = Lookup(key, hash, out _);
        if (i >= 0)
        {
            TouchEntry(i);
            MarkDirty(i);
        }
        return i;
    }

    /// <summary>Finds a live key without touching its access data (OBJECT, TYPE with NOTOUCH semantics).</summary>
    internal int Lookup(ReadOnlySpan<byte> key, ulong hash) => Lookup(key, hash, out _);

    /// <summary>
    /// Finds a live key and makes it hot: a cold candidate (same hash) is read from the log, from the records the
    /// caller prefetched or else synchronously, and checked against the key. Expired keys are deleted.
    /// </summary>
    private int Lookup(ReadOnlySpan<byte> key, ulong hash, out bool wasCold) => Resolve(key, hash, Index.Find(key, hash), out wasCold);

    /// <summary><see cref="Lookup(ReadOnlySpan{byte}, ulong, out bool)"/> from entry <paramref name="i"/> of the key's chain on.</summary>
    private int Resolve(ReadOnlySpan<byte> key, ulong hash, int i, out bool wasCold)
    {
        wasCold = false;
        KeyIndex index = Index;
        while (i >= 0 && index.IsCold(i))
        {
            if (Store.Cold!.Load(this, i, key)) { wasCold = true; break; }
            i = index.FindAfter(i, key, hash);
        }
        if (i < 0) return -1;
        long exp = index.ExpireAt(i);
        if (exp != 0 && exp <= Store.Clock.NowMs)
        {
            DeleteExpired(i);
            return -1;
        }
        return i;
    }

    /// <summary>
    /// Deletes entry <paramref name="i"/> because its TTL passed (lazily or by the active cycle): counted in
    /// expired_keys and told to the store's notifier, with the key read from its record if it is cold and someone listens.
    /// </summary>
    internal void DeleteExpired(int i)
    {
        byte[]? key = Store.Notifier is { } n && n.Wants(EngineEvent.Expired) ? KeyOf(i) : null;
        Delete(i);
        Store.Stats.ExpiredKeys++;
        if (key != null) Store.Notifier!.Notify(EngineEvent.Expired, Id, key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Slot At(int index) => Index.At(index);

    /// <summary>
    /// The key of a live entry: a hot key's bytes, or a cold key's bytes read from its record (synchronously, without
    /// promoting it: SCAN, KEYS and RANDOMKEY list keys without reading values).
    /// </summary>
    internal byte[] KeyOf(int i) => Index.IsCold(i) ? Store.Cold!.ReadKey(this, i) : Index.HotOf(i).Key!;

    /// <summary>
    /// The key and value of live entry <paramref name="i"/>, hot or cold, without expiry, access update or promotion
    /// (a cold value is decoded from its record; <paramref name="cold"/> says so). For DEBUG, which looks without touching.
    /// </summary>
    internal object Peek(int i, out byte[] key, out bool cold)
    {
        cold = Index.IsCold(i);
        if (cold) return Store.Cold!.ReadValue(this, i, out key);
        ref HotItem h = ref Index.HotOf(i);
        key = h.Key!;
        return h.Value!;
    }

    private void TouchEntry(int i)
    {
        ref Entry e = ref Index.EntryAt(i);
        MemoryOptions o = Store.Memory;
        Lfu.Touch(ref e.Lfu, ref e.LfuStamp, Store.Clock.Minutes16, o.LfuLogFactor, o.LfuDecayTime);
        Index.HotOf(i).AccessSec = Store.Clock.Seconds;
    }

    /// <summary>
    /// The hot entry's value is about to change in a way the journal logs as its resulting state: its log record (if
    /// any) stops being its copy, and a chain of operation records it had ends (the coming PUT replaces it).
    /// </summary>
    private void MarkDirty(int i)
    {
        ref HotItem h = ref Index.HotOf(i);
        Store.Journal?.Touch(this, h.Key!);
        Store.EndChain(h.Value);
        if (h.Record == 0) return;
        if (h.Record > 0) Store.TierStats.DropRecord(Index.StoredOf(i));
        h.Record = 0;
    }

    /// <summary>
    /// The hot collection at entry <paramref name="i"/> is about to change by a write that logs its effect as OP
    /// records: true when the log holds a state to apply them to (a PUT of it, or a chain that already starts from
    /// one), which the entry then keeps as its chain's base; false when it does not (no journal, or DRAM holds the
    /// only copy), and the caller must log the resulting state instead (<see cref="MarkDirty"/>).
    /// </summary>
    /// <remarks>
    /// The entry becomes dirty (Record 0): no single record holds its value. A demotion in flight (Record -1) sees that
    /// and leaves it hot; its snapshot, already in the log before these operations, is a valid (unused) state.
    /// </remarks>
    private bool StartChain(int i, ValueObject obj)
    {
        ref HotItem h = ref Index.HotOf(i);
        if (obj.LogBase > 0)
        {
            h.Record = 0;
            return true;
        }
        if (h.Record <= 0) return false;
        obj.LogBase = h.Record;
        obj.ChainBytes = Index.StoredOf(i);   // stays in the log's live bytes: the chain needs it
        h.Record = 0;
        return true;
    }

    /// <summary>An operation record of <paramref name="obj"/>'s chain was logged: its bytes count as live.</summary>
    internal void ChainGrew(ValueObject obj, int bytes)
    {
        obj.ChainBytes += bytes;
        Store.TierStats.KeepRecord(bytes);
    }

    /// <summary>Adds a key known to be absent. The key bytes are copied.</summary>
    internal int Add(ReadOnlySpan<byte> key, ulong hash, ValueKind kind, object value, long expireAt)
        => AddOwned(key.ToArray(), hash, kind, value, expireAt);

    /// <summary>
    /// Stores a STORE command's result (SINTERSTORE, ZUNIONSTORE...) as Redis's setKey does: whatever was at
    /// <paramref name="key"/>, of any type and with its TTL, is replaced; an empty result deletes the key. A key that
    /// existed is overwritten, not new (no "new" keyspace event). True when the key existed before.
    /// </summary>
    internal bool StoreResult(ReadOnlySpan<byte> key, ValueKind kind, ValueObject value)
    {
        ulong hash = KeyIndex.Hash(key);
        int i = LookupWrite(key, hash);
        if (i >= 0) Delete(i);
        if (value.Count > 0)
        {
            value.AccountedBytes = value.SizeBytes;
            AddOwned(key.ToArray(), hash, kind, value, 0, announce: i < 0);
        }
        return i >= 0;
    }

    /// <summary>Adds a key known to be absent, taking ownership of the key array.</summary>
    internal int AddOwned(byte[] key, ulong hash, ValueKind kind, object value, long expireAt) => AddOwned(key, hash, kind, value, expireAt, announce: true);

    /// <summary><see cref="AddOwned(byte[], ulong, ValueKind, object, long)"/>; <paramref name="announce"/> false when the key replaces one that existed (no "new" event).</summary>
    private int AddOwned(byte[] key, ulong hash, ValueKind kind, object value, long expireAt, bool announce)
    {
        int i = Index.Insert(key, hash);
        ref Entry e = ref Index.EntryAt(i);
        e.Kind = kind;
        e.Lfu = Lfu.InitialValue;
        e.LfuStamp = Store.Clock.Minutes16;
        if (expireAt != 0) Index.SetExpireAt(i, expireAt);
        ref HotItem h = ref Index.HotOf(i);
        h.Value = value;
        h.AccessSec = Store.Clock.Seconds;
        Store.UsedMemory += MemoryOf.HotEntry(key.Length) + MemoryOf.Value(value);
        Store.EndChain(value);   // a value moved from another key (RENAME): its chain was that key's
        Store.Journal?.Touch(this, key);
        if (announce && Store.Notifier is { } n && n.Wants(EngineEvent.New)) n.Notify(EngineEvent.New, Id, key);
        return i;
    }

    /// <summary>Adds a cold key whose value is the record at <paramref name="address"/> (recovery).</summary>
    internal int AddCold(ulong hash, long address, ValueKind kind, long expireAt, int stored, int logical)
    {
        int i = Index.InsertCold(hash, address);
        ref Entry e = ref Index.EntryAt(i);
        e.Kind = kind;
        Index.SetRecordSize(i, stored, logical);
        e.Lfu = Lfu.InitialValue;
        e.LfuStamp = Store.Clock.Minutes16;
        if (expireAt != 0) Index.SetExpireAt(i, expireAt);
        Store.TierStats.ColdAdded(stored, logical);
        return i;
    }

    /// <summary>Replaces the value of a live entry (and its kind), keeping key, TTL and LFU data.</summary>
    internal void Replace(int i, ValueKind kind, object value)
    {
        MarkDirty(i);
        ref HotItem h = ref Index.HotOf(i);
        Store.UsedMemory += MemoryOf.Value(value) - MemoryOf.Value(h.Value);
        Index.EntryAt(i).Kind = kind;
        h.Value = value;
    }

    /// <summary>Accounts for a value that was changed in place and grew or shrank by <paramref name="delta"/> bytes.</summary>
    internal void Resized(long delta) => Store.UsedMemory += delta;

    /// <summary>Sets (or with 0 clears) the absolute expiry of a live entry (hot or cold: the index holds the TTL).</summary>
    internal void SetExpire(int i, long expireAt)
    {
        Index.SetExpireAt(i, expireAt);
        if (!Index.IsCold(i)) MarkDirty(i);   // the log's copy carries the expiry: it must be written again
    }

    /// <summary>Removes a live entry, hot or cold.</summary>
    internal void Delete(int i)
    {
        Forget(i);
        Index.RemoveAt(i);
    }

    /// <summary>
    /// Takes a live entry out of the accounting (memory, TTL count, tier bytes) before it is removed; a hot key is
    /// marked for the journal (a DEL) unless <paramref name="touch"/> is false.
    /// </summary>
    private void Forget(int i, bool touch = true)
    {
        ref Entry e = ref Index.EntryAt(i);
        if (e.Location > 0)
        {
            Store.TierStats.ColdRemoved(Index.StoredOf(i), Index.LogicalOf(i));
            return;
        }
        ref HotItem h = ref Index.HotOf(i);
        if (h.Record > 0) Store.TierStats.DropRecord(Index.StoredOf(i));
        Store.EndChain(h.Value);
        Store.UsedMemory -= MemoryOf.HotEntry(h.Key!.Length) + MemoryOf.Value(h.Value);
        if (touch) Store.Journal?.Touch(this, h.Key!);
    }

    /// <summary>Drops every key (FLUSHDB); <paramref name="journal"/> false when the caller logs the flush itself.</summary>
    internal void Clear(bool journal = true)
    {
        for (int i = 0; i < Index.HighWater; i++)
            if (Index.IsLive(i)) Forget(i, touch: false);
        if (journal) Store.Journal?.Flush(Id);
        Index.Clear();
        ExpireCursor = 0;
    }

    /// <summary>
    /// Turns a cold entry hot with the key and value of its record (the record stays its clean copy). Called by the
    /// cold tier once the record was read and its key checked.
    /// </summary>
    internal void Promote(int i, byte[] key, object value)
    {
        int stored = Index.StoredOf(i);
        Store.TierStats.ColdRemoved(stored, Index.LogicalOf(i));
        Store.TierStats.KeepRecord(stored);
        ref HotItem h = ref Index.MakeHot(i, key);
        h.Value = value;
        h.AccessSec = Store.Clock.Seconds;
        Store.UsedMemory += MemoryOf.HotEntry(key.Length) + MemoryOf.Value(value);
    }

    /// <summary>
    /// Turns a hot entry cold: its value is in the record at <paramref name="address"/>. The caller checked that the
    /// record holds the current value (the entry is clean, or the demotion's snapshot is still current).
    /// </summary>
    internal void Demote(int i, long address, int stored, int logical)
    {
        ref HotItem h = ref Index.HotOf(i);
        byte[] key = h.Key!;
        object? value = h.Value;
        Store.UsedMemory -= MemoryOf.HotEntry(key.Length) + MemoryOf.Value(value);
        if (h.Record > 0) Store.TierStats.DropRecord(Index.StoredOf(i));
        Store.EndChain(value);   // the demotion's snapshot holds the chain's result
        bool isString = Index.EntryAt(i).Kind == ValueKind.String;
        Index.MakeCold(i, address, stored, logical);
        Store.TierStats.ColdAdded(stored, logical);
        // DRAM no longer references them: the next promotions may reuse them (Hot/ArrayRecycler.cs).
        ArrayRecycler recycler = Store.Cold!.Recycler;
        recycler.Retire(key);
        if (isString && value is byte[] s) recycler.Retire(s);
    }

    /// <summary>
    /// One step of the active expiry sweep: examines up to <paramref name="budget"/> keys that have a TTL, from where
    /// the last step stopped in the expiry table, and deletes the expired ones (cold keys too: their TTL is in DRAM).
    /// Returns the number deleted.
    /// </summary>
    internal int ExpireStep(int budget)
    {
        if (Index.VolatileCount == 0) return 0;
        int deleted = 0;
        long now = Store.Clock.NowMs;
        int c = ExpireCursor;
        for (int n = 0; n < budget && Index.VolatileCount > 0; n++)
        {
            if (c >= Index.VolatileCount) c = 0;
            int entry = Index.VolatileAt(c, out long exp);
            if (exp <= now)
            {
                DeleteExpired(entry);   // moves another key with a TTL to position c: look at c again
                deleted++;
            }
            else c++;
        }
        ExpireCursor = c;
        return deleted;
    }

    /// <summary>
    /// Finds the string at <paramref name="key"/> for a read, like any read (lazy expiry, access data, hit/miss
    /// counts): Ok with its bytes (the stored array: do not keep it past the command) and its entry index, NotFound,
    /// or WrongType (then <paramref name="value"/> is empty and <paramref name="entry"/> -1).
    /// </summary>
    public Status ReadString(ReadOnlySpan<byte> key, out byte[] value, out int entry)
    {
        value = [];
        entry = LookupRead(key);
        if (entry < 0) return Status.NotFound;
        Slot e = Index.At(entry);
        if (e.Kind != ValueKind.String) { entry = -1; return Status.WrongType; }
        value = (byte[])e.Value!;
        return Status.Ok;
    }

    /// <summary>
    /// Finds the collection of kind <paramref name="kind"/> at <paramref name="key"/> for a read. Ok with the object,
    /// NotFound, or WrongType. Counts hits/misses and updates access data like any read.
    /// </summary>
    public Status ReadObject<T>(ReadOnlySpan<byte> key, ValueKind kind, out T? obj) where T : ValueObject
    {
        obj = null;
        int i = LookupRead(key);
        if (i < 0) return Status.NotFound;
        Slot e = Index.At(i);
        if (e.Kind != kind) return Status.WrongType;
        obj = (T)e.Value!;
        return Status.Ok;
    }

    /// <summary>
    /// The size of the collection of kind <paramref name="kind"/> at <paramref name="key"/> by <paramref name="size"/>
    /// (LLEN, SCARD, HLEN, XLEN): Ok, NotFound (0) or WrongType. <paramref name="size"/> should be a static lambda.
    /// </summary>
    public Status ReadSize<T>(ReadOnlySpan<byte> key, ValueKind kind, Func<T, long> size, out long count) where T : ValueObject
    {
        Status s = ReadObject(key, kind, out T? obj);
        count = s == Status.Ok ? size(obj!) : 0;
        return s;
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
            Slot e = Index.At(i);
            if (e.Kind != kind) return Status.WrongType;
            obj = (T)e.Value!;
            return Status.Ok;
        }
        return Create(key, hash, kind, create, out obj, out created);
    }

    /// <summary>
    /// Like <see cref="WriteObject{T}(ReadOnlySpan{byte}, ValueKind, Func{T}?, out T?, out bool)"/>, for a write that
    /// logs its effect as operation records (Base/OpRecord.cs): when <paramref name="log"/> is active the caller
    /// must describe every change it makes to <paramref name="obj"/> through it, and the key's state is not logged
    /// again; when inactive (no journal, a key created now, or DRAM holds the only copy) the journal logs the key's
    /// resulting state after the command, as for any write.
    /// </summary>
    public Status WriteObject<T>(ReadOnlySpan<byte> key, ValueKind kind, Func<T>? create, out T? obj, out bool created, out OpLog log)
        where T : ValueObject
    {
        log = default;
        if (Store.Journal is not { } journal) return WriteObject(key, kind, create, out obj, out created);
        obj = null;
        created = false;
        ulong hash = KeyIndex.Hash(key);
        int i = Lookup(key, hash, out _);
        if (i >= 0)
        {
            TouchEntry(i);
            Slot e = Index.At(i);
            if (e.Kind != kind) return Status.WrongType;
            obj = (T)e.Value!;
            if (StartChain(i, obj)) log = new OpLog(journal, this, e.Key!, obj);
            else MarkDirty(i);
            return Status.Ok;
        }
        return Create(key, hash, kind, create, out obj, out created);
    }

    /// <summary>
    /// HDEL, SREM, ZREM: removes <paramref name="members"/> from the collection of kind <paramref name="kind"/> at
    /// <paramref name="key"/>, logging the ones that existed as one <paramref name="op"/> record, and deletes the key
    /// if it is left empty. <paramref name="removed"/>: how many existed. Ok, NotFound or WrongType.
    /// </summary>
    public Status RemoveMembers<T, TList>(ReadOnlySpan<byte> key, ValueKind kind, in TList members, OpCode op, out long removed)
        where T : ValueObject, IRemovableMembers where TList : IByteStrings
    {
        removed = 0;
        Status s = WriteObject<T>(key, kind, null, out T? obj, out _, out OpLog log);
        if (s != Status.Ok) return s;
        for (int i = 0; i < members.Count && obj!.Count > 0; i++)
        {
            if (!obj.Remove(members.Get(i))) continue;
            if (log.Active && removed == 0) log.Begin(op);
            if (log.Active) log.Arg(members.Get(i));
            removed++;
        }
        if (log.Active && removed > 0) log.End();
        Updated(key, obj!);
        return Status.Ok;
    }

    /// <summary>The absent key's collection, made by <paramref name="create"/> (NotFound when it is null).</summary>
    private Status Create<T>(ReadOnlySpan<byte> key, ulong hash, ValueKind kind, Func<T>? create, out T? obj, out bool created)
        where T : ValueObject
    {
        obj = null;
        created = false;
        if (create is null) return Status.NotFound;
        obj = create();
        obj.AccountedBytes = obj.SizeBytes;
        Add(key, hash, kind, obj, 0);
        created = true;
        return Status.Ok;
    }

    /// <summary>
    /// Call after changing a collection found with <see cref="WriteObject{T}(ReadOnlySpan{byte}, ValueKind, Func{T}?, out T?, out bool)"/>: charges the size change to the memory
    /// budget and deletes the key if the collection is now empty. Returns true if the key was deleted.
    /// </summary>
    public bool Updated(ReadOnlySpan<byte> key, ValueObject obj)
    {
        long now = obj.SizeBytes;
        Store.UsedMemory += now - obj.AccountedBytes;
        obj.AccountedBytes = now;
        if (obj.Count > 0) return false;
        int i = Index.Find(key, KeyIndex.Hash(key));
        if (i >= 0 && !Index.IsCold(i) && ReferenceEquals(Index.At(i).Value, obj)) Delete(i);
        return true;
    }

    /// <summary>
    /// Finds a live key for a read that must not change its access data (EXISTS, TYPE, TTL, OBJECT: Redis's
    /// LOOKUP_NOTOUCH): lazy expiry and keyspace hit/miss counting, no LFU or access-time update.
    /// </summary>
    internal int LookupReadNoTouch(ReadOnlySpan<byte> key, bool notify = true)
    {
        int i = Lookup(key, KeyIndex.Hash(key), out bool wasCold);
        if (i < 0) { Missed(key, notify); return i; }
        Store.Stats.KeyspaceHits++;
        if (wasCold) Store.TierStats.ColdHits++; else Store.TierStats.HotHits++;
        return i;
    }
}

/// <summary>
/// Where a write that logs its effect describes it: one OP record per <see cref="Begin"/> ... <see cref="End"/>, its
/// arguments in between (layouts in Base/OpRecord.cs). Inactive (<see cref="Active"/> false) when the journal
/// logs the key's resulting state instead; then nothing may be called on it. Used under the store lock, within one
/// command.
/// </summary>
public readonly struct OpLog
{
    private readonly Journal? _journal;
    private readonly Database? _db;
    private readonly byte[]? _key;
    private readonly ValueObject? _obj;

    internal OpLog(Journal journal, Database db, byte[] key, ValueObject obj)
    {
        _journal = journal;
        _db = db;
        _key = key;
        _obj = obj;
    }

    /// <summary>True when the change must be described here.</summary>
    public bool Active => _journal is not null;

    /// <summary>Starts an OP record.</summary>
    public void Begin(OpCode op) => _journal!.BeginOp(_db!, _key!, _obj!.Kind, op);

    /// <summary>A string argument.</summary>
    public void Arg(ReadOnlySpan<byte> arg) => _journal!.OpArg(arg);

    /// <summary>An integer argument (8 bytes).</summary>
    public void Arg(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        _journal!.OpArg(b);
    }

    /// <summary>A score argument (8 bytes, exact).</summary>
    public void Arg(double value) => Arg(BitConverter.DoubleToInt64Bits(value));

    /// <summary>Ends the OP record.</summary>
    public void End() => _db!.ChainGrew(_obj!, _journal!.EndOp());

    /// <summary>One OP record with one argument.</summary>
    public void Write(OpCode op, ReadOnlySpan<byte> arg)
    {
        Begin(op);
        Arg(arg);
        End();
    }

    /// <summary>One OP record with two string arguments (a field and its value), when active; else nothing.</summary>
    public void WriteIfActive(OpCode op, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (!Active) return;
        Begin(op);
        Arg(a);
        Arg(b);
        End();
    }

    /// <summary>One OP record with a score and a member, when active; else nothing.</summary>
    public void WriteIfActive(OpCode op, double score, ReadOnlySpan<byte> member)
    {
        if (!Active) return;
        Begin(op);
        Arg(score);
        Arg(member);
        End();
    }
}

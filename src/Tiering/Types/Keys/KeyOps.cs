using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Types.Keys;

// Why this file looks the way it does
// -----------------------------------
// The generic key commands (DEL, EXPIRE, RENAME, SCAN, ...) do not care what a value is; they work on the index
// entry: its key, its kind, its TTL and its access data. Each public method below is one atomic engine operation,
// run by a caller that holds Store.Lock, and answers with plain values or a Status. Parsing, option validation and
// every error text live in the command layer; the engine never speaks RESP.
//
// The SCAN cursor is an entry index. KeyIndex never moves a live entry: growing the table copies the entry array
// index for index and only relinks the bucket chains, and deleting frees a slot in place. So a cursor that walks the
// slot numbers upwards visits every slot exactly once per full iteration, and a key that is present from the first
// call to the last is returned (exactly once, unless it is deleted and re-added into a later free slot, which SCAN
// is allowed to report twice). Redis needs the reverse-binary cursor trick to survive rehashing; a stable slot
// number gives the same guarantee with a plain integer. The price: SCAN walks free slots too, so a database that
// deleted many keys may answer some pages with few or no keys (Redis does the same with empty buckets), and every
// page is bounded in slots visited so a call stays cheap.
//
// Expired keys: lookups delete them on the way (lazy expiry, Database.Lookup); the whole-keyspace walks (KEYS,
// SCAN, RANDOMKEY) skip them without deleting, leaving reclamation to the active cycle (Database.ExpireStep).
// Times are absolute unix milliseconds from Store.Clock, fixed for a command batch like Redis's command time.

/// <summary>What TTL-family command is answering.</summary>
public enum TtlForm : byte
{
    /// <summary>TTL: remaining seconds, rounded.</summary>
    Seconds,
    /// <summary>PTTL: remaining milliseconds.</summary>
    Milliseconds,
    /// <summary>EXPIRETIME: absolute unix seconds.</summary>
    UnixSeconds,
    /// <summary>PEXPIRETIME: absolute unix milliseconds.</summary>
    UnixMilliseconds,
}

/// <summary>
/// Generic key operations (the KEYSPACE command family). One public static method per operation; the caller holds
/// the store lock. See the comment at the top of this file for the SCAN cursor and expiry rules.
/// </summary>
public static class KeyOps
{
    /// <summary>Slots one SCAN call may visit per requested key, so a sparse index still gives bounded pages.</summary>
    private const int ScanSlotsPerCount = 10;

    /// <summary>DEL / UNLINK of one key. True if a live key was removed (an expired key counts as absent).</summary>
    public static bool Delete(Database db, ReadOnlySpan<byte> key)
    {
        int i = db.Lookup(key, KeyIndex.Hash(key));
        if (i < 0) return false;
        db.Delete(i);
        return true;
    }

    /// <summary>EXISTS of one key: counts a keyspace hit or miss, does not touch access data.</summary>
    public static bool Exists(Database db, ReadOnlySpan<byte> key) => db.LookupReadNoTouch(key) >= 0;

    /// <summary>TOUCH of one key: updates access time and LFU counter. True if the key exists.</summary>
    public static bool Touch(Database db, ReadOnlySpan<byte> key) => db.LookupRead(key) >= 0;

    /// <summary>TYPE: the kind of value, <see cref="ValueKind.None"/> for a missing key.</summary>
    public static ValueKind TypeOf(Database db, ReadOnlySpan<byte> key)
    {
        int i = db.LookupReadNoTouch(key);
        return i < 0 ? ValueKind.None : db.At(i).Kind;
    }

    /// <summary>The name TYPE replies with ("none" for <see cref="ValueKind.None"/>).</summary>
    public static ReadOnlySpan<byte> TypeName(ValueKind kind) => kind switch
    {
        ValueKind.String => "string"u8,
        ValueKind.List => "list"u8,
        ValueKind.Set => "set"u8,
        ValueKind.ZSet => "zset"u8,
        ValueKind.Hash => "hash"u8,
        ValueKind.Stream => "stream"u8,
        ValueKind.Bloom => "MBbloom--"u8,
        _ => "none"u8,
    };

    /// <summary>
    /// Converts an EXPIRE-family argument into absolute unix ms: <paramref name="seconds"/> multiplies by 1000,
    /// <paramref name="relative"/> adds <paramref name="nowMs"/>. False on 64-bit overflow (Redis's "invalid expire time").
    /// </summary>
    public static bool TryAbsoluteExpire(long when, bool seconds, bool relative, long nowMs, out long absMs)
    {
        absMs = 0;
        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000) return false;
            when *= 1000;
        }
        long baseMs = relative ? nowMs : 0;
        if (when > long.MaxValue - baseMs) return false;
        absMs = when + baseMs;
        return true;
    }

    /// <summary>
    /// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT with an absolute time in unix ms. Returns NotFound for a missing key,
    /// ConditionNotMet when NX/XX/GT/LT refused, Ok when the TTL was set or, for a time not in the future, the key
    /// was deleted. The caller has already rejected incompatible condition combinations.
    /// </summary>
    public static Status Expire(Database db, ReadOnlySpan<byte> key, long whenMs, UpdateCondition condition)
    {
        int i = db.LookupWrite(key, KeyIndex.Hash(key));
        if (i < 0) return Status.NotFound;
        if (condition != UpdateCondition.None)
        {
            long current = db.Index.ExpireAt(i); // 0: no TTL, which GT/LT treat as infinite
            if ((condition & UpdateCondition.Nx) != 0 && current != 0) return Status.ConditionNotMet;
            if ((condition & UpdateCondition.Xx) != 0 && current == 0) return Status.ConditionNotMet;
            if ((condition & UpdateCondition.Gt) != 0 && (current == 0 || whenMs <= current)) return Status.ConditionNotMet;
            if ((condition & UpdateCondition.Lt) != 0 && current != 0 && whenMs >= current) return Status.ConditionNotMet;
        }
        if (whenMs <= db.Store.Clock.NowMs)
        {
            db.Delete(i);
            db.Store.Stats.ExpiredKeys++;
            return Status.Ok;
        }
        db.SetExpire(i, whenMs);
        return Status.Ok;
    }

    /// <summary>TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 for a missing key, -1 for no TTL, else the value in <paramref name="form"/>.</summary>
    public static long Ttl(Database db, ReadOnlySpan<byte> key, TtlForm form)
    {
        int i = db.LookupReadNoTouch(key);
        if (i < 0) return -2;
        long exp = db.Index.ExpireAt(i);
        if (exp == 0) return -1;
        bool absolute = form is TtlForm.UnixSeconds or TtlForm.UnixMilliseconds;
        long v = absolute ? exp : exp - db.Store.Clock.NowMs;
        if (v < 0) v = 0;
        return form is TtlForm.Milliseconds or TtlForm.UnixMilliseconds ? v : (v + 500) / 1000;
    }

    /// <summary>PERSIST: removes the TTL. True if the key existed and had one.</summary>
    public static bool Persist(Database db, ReadOnlySpan<byte> key)
    {
        int i = db.LookupWrite(key, KeyIndex.Hash(key));
        if (i < 0 || db.Index.ExpireAt(i) == 0) return false;
        db.SetExpire(i, 0);
        return true;
    }

    /// <summary>
    /// RENAME / RENAMENX: moves the value, its TTL and its access data to <paramref name="dst"/>, replacing whatever
    /// was there (any type). NotFound when the source is missing; ConditionNotMet when <paramref name="onlyIfAbsent"/>
    /// and the destination exists, or the names are equal (RENAMENX replies 0 then, RENAME OK).
    /// </summary>
    public static Status Rename(Database db, ReadOnlySpan<byte> src, ReadOnlySpan<byte> dst, bool onlyIfAbsent)
    {
        int i = db.LookupWrite(src, KeyIndex.Hash(src));
        if (i < 0) return Status.NotFound;
        if (src.SequenceEqual(dst)) return onlyIfAbsent ? Status.ConditionNotMet : Status.Ok;
        ulong dstHash = KeyIndex.Hash(dst);
        int j = db.LookupWrite(dst, dstHash);
        if (j >= 0)
        {
            if (onlyIfAbsent) return Status.ConditionNotMet;
            db.Delete(j); // entries never move, so i stays valid
        }
        Relocate(db, i, db, dst, dstHash);
        return Status.Ok;
    }

    /// <summary>
    /// MOVE: moves <paramref name="key"/> from <paramref name="src"/> to <paramref name="dst"/> with its value, TTL and
    /// access data. NotFound when the source is missing; ConditionNotMet when <paramref name="dst"/> already holds the
    /// key (nothing moves; MOVE replies 0 for both). The caller rejects moving to the same database.
    /// </summary>
    public static Status Move(Database src, ReadOnlySpan<byte> key, Database dst)
    {
        ulong hash = KeyIndex.Hash(key);
        int i = src.LookupWrite(key, hash);
        if (i < 0) return Status.NotFound;
        if (dst.LookupWrite(key, hash) >= 0) return Status.ConditionNotMet;
        Relocate(src, i, dst, key, hash);
        return Status.Ok;
    }

    /// <summary>Takes live entry <paramref name="i"/> out of <paramref name="from"/> and adds its value, TTL and access data as <paramref name="key"/> of <paramref name="to"/> (absent there).</summary>
    private static void Relocate(Database from, int i, Database to, ReadOnlySpan<byte> key, ulong hash)
    {
        Slot moved = from.At(i);
        (ValueKind kind, object value, long expireAt) = (moved.Kind, moved.Value!, from.Index.ExpireAt(i));
        (byte lfu, ushort stamp, uint access) = (moved.Lfu, moved.LfuStamp, moved.AccessSec);
        from.Delete(i);
        int k = to.Add(key, hash, kind, value, expireAt);
        Slot e = to.At(k);
        e.Lfu = lfu;
        e.LfuStamp = stamp;
        e.AccessSec = access;
    }

    /// <summary>
    /// COPY: duplicates <paramref name="key"/> of <paramref name="src"/> as <paramref name="dstKey"/> of
    /// <paramref name="dst"/>, with its TTL. NotFound when the source is missing; ConditionNotMet when the destination
    /// exists and not <paramref name="replace"/>; WrongType when the value cannot be copied (no
    /// <see cref="ICopyableValue"/>). The caller rejects copying a key onto itself.
    /// </summary>
    public static Status Copy(Database src, ReadOnlySpan<byte> key, Database dst, ReadOnlySpan<byte> dstKey, bool replace)
    {
        int i = src.LookupRead(key);
        if (i < 0) return Status.NotFound;
        Slot e = src.At(i);
        object? copy = e.Value switch
        {
            byte[] b => b.AsSpan().ToArray(),
            ICopyableValue c => c.DeepCopy(),
            _ => null,
        };
        if (copy is null) return Status.WrongType;
        ValueKind kind = e.Kind;
        long expireAt = src.Index.ExpireAt(i);
        ulong hash = KeyIndex.Hash(dstKey);
        int j = dst.LookupWrite(dstKey, hash);
        if (j >= 0)
        {
            if (!replace) return Status.ConditionNotMet;
            dst.Delete(j);
        }
        dst.Add(dstKey, hash, kind, copy, expireAt);
        return Status.Ok;
    }

    /// <summary>KEYS: appends every live key matching <paramref name="pattern"/> to <paramref name="into"/> (references, not copies).</summary>
    public static void Keys(Database db, ReadOnlySpan<byte> pattern, List<byte[]> into)
    {
        KeyIndex index = db.Index;
        bool all = pattern.Length == 1 && pattern[0] == '*';
        long now = db.Store.Clock.NowMs;
        int hw = index.HighWater;
        for (int i = 0; i < hw; i++)
        {
            if (!index.IsLive(i) || IsExpired(index, i, now)) continue;
            byte[] key = db.KeyOf(i);
            if (all || Glob.Match(pattern, key)) into.Add(key);
        }
    }

    /// <summary>
    /// SCAN: visits slots from <paramref name="cursor"/> on until <paramref name="count"/> live keys were examined
    /// (or a bounded number of slots), appending the keys that pass the MATCH and TYPE filters to
    /// <paramref name="into"/>. Returns the next cursor, 0 when the iteration is complete.
    /// <paramref name="pattern"/> empty or "*" matches every key; <paramref name="typeFilter"/> None means no filter.
    /// </summary>
    public static ulong Scan(Database db, ulong cursor, long count, ReadOnlySpan<byte> pattern, bool filterType,
        ValueKind typeFilter, List<byte[]> into)
    {
        KeyIndex index = db.Index;
        int hw = index.HighWater;
        if (cursor >= (ulong)hw) return 0;
        bool all = pattern.IsEmpty || pattern.Length == 1 && pattern[0] == '*';
        long now = db.Store.Clock.NowMs;
        long slotBudget = count > long.MaxValue / ScanSlotsPerCount ? long.MaxValue : count * ScanSlotsPerCount;
        long examined = 0;
        int i = (int)cursor;
        for (; i < hw && examined < count && slotBudget > 0; i++, slotBudget--)
        {
            if (!index.IsLive(i)) continue;
            ref Entry e = ref index.EntryAt(i);
            examined++;
            if (IsExpired(index, i, now)) continue;
            if (filterType && e.Kind != typeFilter) continue;
            byte[] key = db.KeyOf(i);
            if (all || Glob.Match(pattern, key)) into.Add(key);
        }
        return i >= hw ? 0 : (ulong)i;
    }

    /// <summary>Parses a SCAN TYPE argument (case-insensitive); false for a name no key can have.</summary>
    public static bool TryParseTypeName(ReadOnlySpan<byte> name, out ValueKind kind)
    {
        for (kind = ValueKind.String; kind <= ValueKind.Bloom; kind++)
            if (System.Text.Ascii.EqualsIgnoreCase(name, TypeName(kind))) return true;
        kind = ValueKind.None;
        return false;
    }

    /// <summary>RANDOMKEY: a random live key (a reference), or null when the database is empty. Expired keys met are deleted.</summary>
    public static byte[]? RandomKey(Database db)
    {
        KeyIndex index = db.Index;
        while (index.Count > 0)
        {
            int hw = index.HighWater;
            int i = -1;
            // Random probes find a live slot fast when the index is dense; a sparse one falls back to a walk.
            for (int probe = 0; probe < 32; probe++)
            {
                int p = Random.Shared.Next(hw);
                if (index.IsLive(p)) { i = p; break; }
            }
            if (i < 0)
            {
                int start = Random.Shared.Next(hw);
                for (int n = 0; n < hw; n++)
                {
                    int p = start + n < hw ? start + n : start + n - hw;
                    if (index.IsLive(p)) { i = p; break; }
                }
            }
            if (i < 0) return null;
            if (!IsExpired(index, i, db.Store.Clock.NowMs)) return db.KeyOf(i);
            db.DeleteExpired(i);
        }
        return null;
    }

    /// <summary>DBSIZE.</summary>
    public static int Size(Database db) => db.Count;

    /// <summary>FLUSHDB.</summary>
    public static void Flush(Database db) => db.Clear();

    /// <summary>FLUSHALL.</summary>
    public static void FlushAll(Store store) => store.FlushAll();

    /// <summary>SWAPDB: false when an index is out of range.</summary>
    public static bool SwapDb(Store store, long a, long b)
    {
        int n = store.Databases.Length;
        if (a < 0 || a >= n || b < 0 || b >= n) return false;
        store.SwapDatabases((int)a, (int)b);
        return true;
    }

    /// <summary>OBJECT ENCODING: false for a missing key.</summary>
    public static bool ObjectEncoding(Database db, ReadOnlySpan<byte> key, out string encoding)
    {
        int i = db.LookupReadNoTouch(key, notify: false);
        if (i < 0) { encoding = ""; return false; }
        Slot e = db.At(i);
        encoding = EncodingOf(e.Kind, e.Value);
        return true;
    }

    /// <summary>OBJECT ENCODING's name for a value of <paramref name="kind"/>.</summary>
    public static string EncodingOf(ValueKind kind, object? value) => value switch
    {
        byte[] s => StringEncoding(s),
        IEncodedValue v => v.Encoding,
        _ => kind switch
        {
            ValueKind.List => "quicklist",
            ValueKind.Set or ValueKind.Hash => "hashtable",
            ValueKind.ZSet => "skiplist",
            ValueKind.Stream => "stream",
            _ => "raw",
        },
    };

    /// <summary>Redis's string encodings: "int" for a canonical 64-bit integer, "embstr" up to 44 bytes, else "raw".</summary>
    public static string StringEncoding(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 20 && IsCanonicalInt64(s)) return "int";
        return s.Length <= 44 ? "embstr" : "raw";
    }

    /// <summary>OBJECT FREQ: the LFU counter after decay (not stored back, as Redis). False for a missing key.</summary>
    public static bool ObjectFreq(Database db, ReadOnlySpan<byte> key, out int freq)
    {
        int i = db.LookupReadNoTouch(key, notify: false);
        if (i < 0) { freq = 0; return false; }
        Slot e = db.At(i);
        freq = Lfu.Decay(e.Lfu, e.LfuStamp, db.Store.Clock.Minutes16, db.Store.Memory.LfuDecayTime);
        return true;
    }

    /// <summary>OBJECT IDLETIME: seconds since the last access. False for a missing key.</summary>
    public static bool ObjectIdleTime(Database db, ReadOnlySpan<byte> key, out long seconds)
    {
        int i = db.LookupReadNoTouch(key, notify: false);
        if (i < 0) { seconds = 0; return false; }
        uint now = db.Store.Clock.Seconds, at = db.At(i).AccessSec;
        seconds = now >= at ? now - at : 0;
        return true;
    }

    /// <summary>OBJECT REFCOUNT: always 1 (values are never shared). False for a missing key.</summary>
    public static bool ObjectRefCount(Database db, ReadOnlySpan<byte> key, out int refCount)
    {
        refCount = db.LookupReadNoTouch(key, notify: false) >= 0 ? 1 : 0;
        return refCount == 1;
    }

    private static bool IsExpired(KeyIndex index, int i, long now)
    {
        long at = index.ExpireAt(i);
        return at != 0 && at <= now;
    }

    /// <summary>True if <paramref name="s"/> is the canonical decimal form of a 64-bit integer (Redis's string2ll).</summary>
    private static bool IsCanonicalInt64(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty) return false;
        if (s.Length == 1 && s[0] == '0') return true;
        int p = s[0] == '-' ? 1 : 0;
        if (p == s.Length || s[p] < '1' || s[p] > '9') return false;
        return System.Buffers.Text.Utf8Parser.TryParse(s, out long _, out int used) && used == s.Length;
    }
}

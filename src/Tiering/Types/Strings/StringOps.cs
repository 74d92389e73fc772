using System.Text;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Types.Strings;

/// <summary>When SET may write.</summary>
public enum SetCondition : byte
{
    /// <summary>Always.</summary>
    Always,
    /// <summary>Only if the key does not exist (NX).</summary>
    IfAbsent,
    /// <summary>Only if the key exists (XX).</summary>
    IfPresent,
}

/// <summary>What GETEX does to the key's TTL.</summary>
public enum TtlChange : byte
{
    /// <summary>Leave it (plain GETEX key).</summary>
    Keep,
    /// <summary>Set it to the given absolute time (EX, PX, EXAT, PXAT).</summary>
    Set,
    /// <summary>Remove it (PERSIST).</summary>
    Persist,
}

/// <summary>
/// String operations (GET, SET and friends). Each method is one atomic engine call; the caller holds the store lock.
///
/// Why this shape: a command's whole read-modify-write (INCR, APPEND, SET ... GET, MSETNX's all-or-nothing check)
/// happens inside one call, so the server never holds an entry index across calls and the engine, not the adapter,
/// owns every rule about types, TTLs and sizes. The engine speaks <see cref="Status"/>, never RESP; errors that are
/// pure argument syntax (a negative SETRANGE offset, an invalid expire time) are the adapter's job, because their
/// text names the command.
///
/// Representation: a string value is stored as an exact-length byte[] (what GET hands out as a span). A rewrite of
/// the same length is copied into the existing array, so a steady SET or INCR workload of fixed-width values
/// allocates nothing; a length change allocates a new array. The price of exact length is that APPEND and a growing
/// SETRANGE copy the whole value (O(N) per call, where Redis's sds grows greedily): acceptable for the usual small
/// appends, and it keeps every reader free of a separate length field.
///
/// Numbers live as their decimal text, as in Redis: INCR parses the stored bytes with Redis's strict rules
/// (no spaces, no '+', no leading zeros) and writes the result back as text; INCRBYFLOAT formats like Redis's
/// human-friendly long double output (fixed notation, 17 decimals at most, trailing zeros trimmed). .NET has no
/// long double, so the sum is computed exactly in decimal when both operands fit one (then "0.1" + "0.2" stores
/// "0.3", as Redis does) and otherwise in double, printed in its shortest round-trip form so 10.5 + 0.1 stores
/// "10.6", not the binary noise "10.59999999999999964".
///
/// Expiry: times are absolute unix ms. A write whose expire time is already past (SET/GETEX with EXAT/PXAT in the
/// past) leaves no key behind: the key is deleted at once and counted as expired, which is what a client of Redis
/// observes.
/// </summary>
public static class StringOps
{
    /// <summary>Ok when neither key holds anything but a string (LCS's type check), else WrongType.</summary>
    public static Status AreStrings(Database db, ReadOnlySpan<byte> key1, ReadOnlySpan<byte> key2)
        => db.ReadString(key1, out _, out _) == Status.WrongType || db.ReadString(key2, out _, out _) == Status.WrongType
            ? Status.WrongType : Status.Ok;

    /// <summary>
    /// LCS: the longest common subsequence of the strings at <paramref name="key1"/> and <paramref name="key2"/> (a
    /// missing key is empty), see Lcs.cs for what is returned. Ok, WrongType (either is not a string) or TooLarge
    /// (the table would exceed proto-max-bulk-len).
    /// </summary>
    public static Status Lcs(Database db, ReadOnlySpan<byte> key1, ReadOnlySpan<byte> key2, bool wantString, long minMatchLength,
        List<LcsMatch>? matches, out byte[]? lcs, out long length)
    {
        lcs = null;
        length = 0;
        Status s1 = db.ReadString(key1, out byte[] a, out _);
        Status s2 = db.ReadString(key2, out byte[] b, out _);
        if (s1 == Status.WrongType || s2 == Status.WrongType) return Status.WrongType;
        return Strings.Lcs.Compute(a, b, db.Store.Options.ProtoMaxBulkLen, wantString, minMatchLength, matches, out lcs, out length)
            ? Status.Ok : Status.TooLarge;
    }

    /// <summary>GET: the value of a string key. Ok, NotFound or WrongType.</summary>
    public static Status Get(Database db, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        Status s = db.ReadString(key, out byte[] stored, out _);
        value = stored;
        return s;
    }

    /// <summary>
    /// GET for a reply: like <see cref="Get"/>, but a cold value that would not stay in DRAM is served from its log
    /// record without being promoted (no allocation), so <paramref name="value"/> is valid only until the next engine
    /// call: copy it out (into the reply) at once.
    /// </summary>
    public static Status GetTransient(Database db, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        int i = db.LookupReadString(key, out value);
        if (i == Database.ServedCold) return Status.Ok;
        if (i < 0) return Status.NotFound;
        Slot e = db.At(i);
        if (e.Kind != ValueKind.String) return Status.WrongType;
        value = (byte[])e.Value!;
        return Status.Ok;
    }

    /// <summary>
    /// SET: stores <paramref name="value"/> under <paramref name="key"/> if <paramref name="condition"/> holds.
    /// <paramref name="expireAt"/> is absolute unix ms (0: none); <paramref name="keepTtl"/> keeps the old TTL instead.
    /// Returns Ok, or ConditionNotMet when NX/XX prevented the write.
    /// </summary>
    public static Status Set(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value,
        SetCondition condition = SetCondition.Always, long expireAt = 0, bool keepTtl = false)
        => Set(db, key, value, condition, expireAt, keepTtl, returnOld: false, out _);

    /// <summary>
    /// SET with the GET option: like <see cref="Set(Database, ReadOnlySpan{byte}, ReadOnlySpan{byte}, SetCondition, long, bool)"/>,
    /// and <paramref name="old"/> receives the previous string value (null if none). Returns WrongType, without
    /// writing, when the key holds another type.
    /// </summary>
    public static Status Set(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value,
        SetCondition condition, long expireAt, bool keepTtl, bool returnOld, out byte[]? old)
    {
        old = null;
        ulong hash = KeyIndex.Hash(key);
        int i = db.LookupWrite(key, hash);
        bool pastExpiry = expireAt != 0 && expireAt <= db.Store.Clock.NowMs;
        if (i >= 0)
        {
            Slot e = db.At(i);
            if (returnOld)
            {
                if (e.Kind != ValueKind.String) return Status.WrongType;
                old = (byte[])e.Value!;
            }
            if (condition == SetCondition.IfAbsent) return Status.ConditionNotMet;
            if (pastExpiry) { DeleteExpired(db, i); return Status.Ok; }
            if (!returnOld && e.Kind == ValueKind.String && e.Value is byte[] cur && cur.Length == value.Length)
                value.CopyTo(cur);
            else
                db.Replace(i, ValueKind.String, value.ToArray());
            if (!keepTtl) db.SetExpire(i, expireAt);
            return Status.Ok;
        }
        if (condition == SetCondition.IfPresent) return Status.ConditionNotMet;
        if (!pastExpiry) db.Add(key, hash, ValueKind.String, value.ToArray(), expireAt);
        return Status.Ok;
    }

    /// <summary>GETDEL: the value of a string key, which is deleted. Ok, NotFound or WrongType (nothing deleted).</summary>
    public static Status GetDel(Database db, ReadOnlySpan<byte> key, out byte[]? value)
    {
        Status s = db.ReadString(key, out byte[] stored, out int i);
        value = s == Status.Ok ? stored : null;
        if (s == Status.Ok) db.Delete(i);
        return s;
    }

    /// <summary>
    /// GETEX: the value of a string key, then its TTL changed as <paramref name="change"/> says
    /// (<paramref name="expireAt"/>: absolute unix ms for <see cref="TtlChange.Set"/>; a past time deletes the key).
    /// Ok, NotFound or WrongType (TTL untouched). <paramref name="ttlChanged"/>: a TTL was set, removed, or the key deleted.
    /// </summary>
    public static Status GetEx(Database db, ReadOnlySpan<byte> key, TtlChange change, long expireAt, out ReadOnlySpan<byte> value,
        out bool ttlChanged)
    {
        ttlChanged = false;
        Status s = db.ReadString(key, out byte[] stored, out int i);
        value = stored;
        if (s != Status.Ok) return s;
        if (change == TtlChange.Set)
        {
            if (expireAt <= db.Store.Clock.NowMs) DeleteExpired(db, i);
            else db.SetExpire(i, expireAt);
            ttlChanged = true;
        }
        else if (change == TtlChange.Persist && db.Index.ExpireAt(i) != 0)
        {
            db.SetExpire(i, 0);
            ttlChanged = true;
        }
        return Status.Ok;
    }

    /// <summary>
    /// MSET (<paramref name="onlyIfNoneExists"/> false) or MSETNX (true): sets every pair, clearing TTLs, as one
    /// atomic step. For MSETNX, if any key exists (of any type) nothing is written and ConditionNotMet is returned.
    /// </summary>
    public static Status MSet<T>(Database db, in T pairs, bool onlyIfNoneExists) where T : IKeyValuePairs
    {
        int n = pairs.PairCount;
        if (onlyIfNoneExists)
        {
            for (int p = 0; p < n; p++)
            {
                ReadOnlySpan<byte> key = pairs.Key(p);
                if (db.LookupWrite(key, KeyIndex.Hash(key)) >= 0) return Status.ConditionNotMet;
            }
        }
        for (int p = 0; p < n; p++) Set(db, pairs.Key(p), pairs.Value(p));
        return Status.Ok;
    }

    /// <summary>APPEND: appends to a string (creating it), keeping the TTL. Ok (with the new length), WrongType or TooLarge.</summary>
    public static Status Append(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out long length)
    {
        ulong hash = KeyIndex.Hash(key);
        int i = db.LookupWrite(key, hash);
        if (i < 0)
        {
            db.Add(key, hash, ValueKind.String, value.ToArray(), 0);
            length = value.Length;
            return Status.Ok;
        }
        length = 0;
        Slot e = db.At(i);
        if (e.Kind != ValueKind.String) return Status.WrongType;
        byte[] cur = (byte[])e.Value!;
        long total = (long)cur.Length + value.Length;
        if (total > MaxStringLength(db)) return Status.TooLarge;
        length = total;
        if (value.Length == 0) return Status.Ok;
        byte[] grown = new byte[total];
        cur.CopyTo(grown, 0);
        value.CopyTo(grown.AsSpan(cur.Length));
        db.Replace(i, ValueKind.String, grown);
        return Status.Ok;
    }

    /// <summary>STRLEN: the length of a string value; 0 (and NotFound) when the key is missing; WrongType otherwise.</summary>
    public static Status Strlen(Database db, ReadOnlySpan<byte> key, out long length)
    {
        Status s = db.ReadString(key, out byte[] value, out _);
        length = value.Length;
        return s;
    }

    /// <summary>
    /// INCR, DECR, INCRBY, DECRBY: adds <paramref name="delta"/> to the integer stored at the key (0 if missing),
    /// keeping the TTL. Ok, WrongType, NotInteger or Overflow (nothing written on failure).
    /// </summary>
    public static Status IncrBy(Database db, ReadOnlySpan<byte> key, long delta, out long result)
    {
        result = 0;
        ulong hash = KeyIndex.Hash(key);
        int i = db.LookupWrite(key, hash);
        long cur = 0;
        if (i >= 0)
        {
            Slot e = db.At(i);
            if (e.Kind != ValueKind.String) return Status.WrongType;
            if (!Numbers.ParseInteger((byte[])e.Value!, out cur)) return Status.NotInteger;
            if (delta < 0 ? cur < long.MinValue - delta : cur > long.MaxValue - delta) return Status.Overflow;
        }
        result = cur + delta;
        Span<byte> text = stackalloc byte[20];
        Utf8Formatter.TryFormat(result, text, out int n);
        Store(db, key, hash, i, text[..n]);
        return Status.Ok;
    }

    /// <summary>
    /// INCRBYFLOAT: adds <paramref name="increment"/> (float text, parsed after the type and value checks, in Redis's
    /// order) to the float stored at the key (0 if missing), keeping the TTL, and returns the stored text.
    /// Ok, WrongType, NotFloat or NanOrInfinity (nothing written on failure).
    /// </summary>
    public static Status IncrByFloat(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> increment, out ReadOnlySpan<byte> result)
    {
        result = default;
        ulong hash = KeyIndex.Hash(key);
        int i = db.LookupWrite(key, hash);
        ReadOnlySpan<byte> stored = "0"u8;
        if (i >= 0)
        {
            Slot e = db.At(i);
            if (e.Kind != ValueKind.String) return Status.WrongType;
            stored = (byte[])e.Value!;
        }
        if (!Numbers.ParseFloat(stored, out double cur) || !Numbers.ParseFloat(increment, out double delta)) return Status.NotFloat;
        double sum = cur + delta;
        if (!double.IsFinite(sum)) return Status.NanOrInfinity;
        Span<byte> text = stackalloc byte[400];
        int n = Numbers.FormatSum(stored, increment, sum, text);
        result = Store(db, key, hash, i, text[..n]);
        return Status.Ok;
    }

    /// <summary>
    /// GETRANGE: the bytes from <paramref name="start"/> to <paramref name="end"/> inclusive (negative counts from the
    /// end; out of range gives empty). Ok, NotFound or WrongType.
    /// </summary>
    public static Status GetRange(Database db, ReadOnlySpan<byte> key, long start, long end, out ReadOnlySpan<byte> range)
    {
        range = default;
        Status found = db.ReadString(key, out byte[] s, out _);
        if (found != Status.Ok) return found;
        long len = s.Length;
        if (start < 0 && end < 0 && start > end) return Status.Ok;
        if (start < 0) start = Math.Max(0, len + start);
        if (end < 0) end = Math.Max(0, len + end);
        if (end >= len) end = len - 1;
        if (start <= end && len > 0) range = s.AsSpan((int)start, (int)(end - start + 1));
        return Status.Ok;
    }

    /// <summary>
    /// SETRANGE: overwrites the value from <paramref name="offset"/> (≥ 0) on, zero-padding as needed and creating
    /// the key unless <paramref name="value"/> is empty; keeps the TTL. Ok (with the resulting length), WrongType or TooLarge.
    /// </summary>
    public static Status SetRange(Database db, ReadOnlySpan<byte> key, long offset, ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        ulong hash = KeyIndex.Hash(key);
        int i = db.LookupWrite(key, hash);
        byte[]? cur = null;
        if (i >= 0)
        {
            Slot e = db.At(i);
            if (e.Kind != ValueKind.String) return Status.WrongType;
            cur = (byte[])e.Value!;
            length = cur.Length;
        }
        if (value.Length == 0) return Status.Ok;
        if (offset > MaxStringLength(db) - value.Length) return Status.TooLarge;
        long end = offset + value.Length;
        if (cur != null && end <= cur.Length)
        {
            value.CopyTo(cur.AsSpan((int)offset));
            return Status.Ok;
        }
        byte[] grown = new byte[end];
        cur?.CopyTo(grown, 0);
        value.CopyTo(grown.AsSpan((int)offset));
        if (i >= 0) db.Replace(i, ValueKind.String, grown);
        else db.AddOwned(key.ToArray(), hash, ValueKind.String, grown, 0);
        length = end;
        return Status.Ok;
    }


    /// <summary>The largest string a write may produce.</summary>
    private static long MaxStringLength(Database db) => Math.Min(db.Store.Options.ProtoMaxBulkLen, Array.MaxLength);

    /// <summary>Writes <paramref name="text"/> as the string value of the key (entry <paramref name="i"/>, or a new key when -1), keeping any TTL.</summary>
    private static byte[] Store(Database db, ReadOnlySpan<byte> key, ulong hash, int i, ReadOnlySpan<byte> text)
    {
        if (i < 0)
        {
            byte[] fresh = text.ToArray();
            db.Add(key, hash, ValueKind.String, fresh, 0);
            return fresh;
        }
        Slot e = db.At(i);
        if (e.Value is byte[] cur && cur.Length == text.Length)
        {
            text.CopyTo(cur);
            return cur;
        }
        byte[] value = text.ToArray();
        db.Replace(i, ValueKind.String, value);
        return value;
    }

    /// <summary>SET or GETEX with a time already past: the command deletes the key (counted as expired, as before; no "expired" event).</summary>
    private static void DeleteExpired(Database db, int i)
    {
        db.Delete(i);
        db.Store.Stats.ExpiredKeys++;
    }
}

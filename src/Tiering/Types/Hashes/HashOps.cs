using Tiered.Tiering.Engine;

namespace Tiered.Tiering.Types.Hashes;

/// <summary>
/// Hash operations (HSET, HGET and friends). Each method is one atomic engine call; the caller holds the store lock.
///
/// Why this shape: like the string operations, a command's whole read-modify-write happens inside one call and the
/// engine speaks <see cref="Status"/>, never RESP. Writes go through <see cref="Database.WriteObject{T}"/> and end
/// with <see cref="Database.Updated"/>, which charges the size change to the memory budget and deletes a hash that
/// became empty (Redis never keeps empty collections). Bulk readers (HGETALL, HKEYS, HVALS, HMGET) get the
/// <see cref="HashValue"/> itself through <see cref="Read"/> and walk it while still under the lock, so no reply
/// needs a copy of the data.
///
/// Numbers in hashes are decimal text, as in Redis: HINCRBY parses with Redis's strict string2ll rules and
/// HINCRBYFLOAT formats its result exactly like INCRBYFLOAT (<see cref="Numbers.FormatSum"/>).
/// </summary>
public static class HashOps
{
    private static readonly Func<HashValue> NewHash = static () => new HashValue();

    /// <summary>The hash at <paramref name="key"/> for a bulk read: Ok, NotFound or WrongType.</summary>
    public static Status Read(Database db, ReadOnlySpan<byte> key, out HashValue? hash)
        => db.ReadObject(key, ValueKind.Hash, out hash);

    /// <summary>HSET / HMSET: sets every pair (creating the hash). <paramref name="added"/>: fields that were new.</summary>
    public static Status Set<T>(Database db, ReadOnlySpan<byte> key, in T pairs, out long added) where T : IKeyValuePairs
    {
        added = 0;
        Status s = db.WriteObject(key, ValueKind.Hash, NewHash, out HashValue? hash, out _, out OpLog log);
        if (s != Status.Ok) return s;
        if (log.Active) log.Begin(OpCode.HashSet);
        for (int i = 0; i < pairs.PairCount; i++)
        {
            if (hash!.Set(pairs.Key(i), pairs.Value(i))) added++;
            if (log.Active)
            {
                log.Arg(pairs.Key(i));
                log.Arg(pairs.Value(i));
            }
        }
        if (log.Active) log.End();
        db.Updated(key, hash!);
        return Status.Ok;
    }

    /// <summary>HSETNX: sets the field only if absent. Ok when set, ConditionNotMet when it existed, or WrongType.</summary>
    public static Status SetNx(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        Status s = db.WriteObject(key, ValueKind.Hash, NewHash, out HashValue? hash, out _, out OpLog log);
        if (s != Status.Ok) return s;
        if (hash!.Contains(field)) return Status.ConditionNotMet;
        hash.Set(field, value);
        log.WriteIfActive(OpCode.HashSet, field, value);
        db.Updated(key, hash);
        return Status.Ok;
    }

    /// <summary>HGET: Ok with the value, NotFound (no key or no field) or WrongType.</summary>
    public static Status Get(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> field, out ReadOnlySpan<byte> value)
    {
        value = default;
        Status s = db.ReadObject(key, ValueKind.Hash, out HashValue? hash);
        if (s != Status.Ok) return s;
        return hash!.TryGet(field, out value) ? Status.Ok : Status.NotFound;
    }

    /// <summary>HDEL: removes the fields. <paramref name="removed"/>: how many existed. Ok, NotFound or WrongType.</summary>
    public static Status Delete<T>(Database db, ReadOnlySpan<byte> key, in T fields, out long removed) where T : IByteStrings
        => db.RemoveMembers<HashValue, T>(key, ValueKind.Hash, fields, OpCode.HashDelete, out removed);

    /// <summary>HLEN: the number of fields (0 with NotFound for a missing key).</summary>
    public static Status Len(Database db, ReadOnlySpan<byte> key, out long length)
        => db.ReadSize(key, ValueKind.Hash, static (HashValue h) => h.Count, out length);

    /// <summary>HSTRLEN: the length of the field's value (0 when the key or field is missing).</summary>
    public static Status StrLen(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> field, out long length)
    {
        Status s = Get(db, key, field, out ReadOnlySpan<byte> value);
        length = value.Length;
        return s;
    }

    /// <summary>HEXISTS: Ok when the field exists, NotFound when the key or field is missing, or WrongType.</summary>
    public static Status Exists(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> field)
    {
        Status s = db.ReadObject(key, ValueKind.Hash, out HashValue? hash);
        if (s != Status.Ok) return s;
        return hash!.Contains(field) ? Status.Ok : Status.NotFound;
    }

    /// <summary>
    /// HINCRBY: adds <paramref name="delta"/> to the field's integer (0 if missing, creating hash and field).
    /// Ok, WrongType, NotInteger (the stored value is not an integer) or Overflow; nothing written on failure.
    /// </summary>
    public static Status IncrBy(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> field, long delta, out long result)
    {
        result = 0;
        Status s = db.WriteObject(key, ValueKind.Hash, NewHash, out HashValue? hash, out _, out OpLog log);
        if (s != Status.Ok) return s;
        long cur = 0;
        if (hash!.TryGet(field, out ReadOnlySpan<byte> stored))
        {
            if (!Numbers.ParseInteger(stored, out cur)) return Status.NotInteger;
            if (delta < 0 ? cur < long.MinValue - delta : cur > long.MaxValue - delta) return Status.Overflow;
        }
        result = cur + delta;
        Span<byte> text = stackalloc byte[20];
        Utf8Formatter.TryFormat(result, text, out int n);
        hash.Set(field, text[..n]);
        log.WriteIfActive(OpCode.HashSet, field, text[..n]);
        db.Updated(key, hash);
        return Status.Ok;
    }

    /// <summary>
    /// HINCRBYFLOAT: adds the increment (its text <paramref name="incrementText"/>, already parsed and checked finite
    /// by the caller as <paramref name="increment"/>) to the field's float (0 if missing) and returns the stored text.
    /// Ok, WrongType, NotFloat (the stored value is not a float) or NanOrInfinity; nothing written on failure.
    /// </summary>
    public static Status IncrByFloat(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> field,
        ReadOnlySpan<byte> incrementText, double increment, out ReadOnlySpan<byte> result)
    {
        result = default;
        Status s = db.WriteObject(key, ValueKind.Hash, NewHash, out HashValue? hash, out _, out OpLog log);
        if (s != Status.Ok) return s;
        if (!hash!.TryGet(field, out ReadOnlySpan<byte> stored)) stored = "0"u8;
        if (!Numbers.ParseFloat(stored, out double cur)) return Status.NotFloat;
        double sum = cur + increment;
        if (!double.IsFinite(sum)) return Status.NanOrInfinity;
        Span<byte> text = stackalloc byte[400];
        int n = Numbers.FormatSum(stored, incrementText, sum, text);
        hash.Set(field, text[..n]);
        log.WriteIfActive(OpCode.HashSet, field, text[..n]);   // the result, not the increment: replay does no float arithmetic
        db.Updated(key, hash);
        hash.TryGet(field, out result);
        return Status.Ok;
    }

    /// <summary>Replays one operation record on <paramref name="hash"/> (recovery). False when it does not fit.</summary>
    internal static bool Apply(HashValue hash, OpArgs op)
    {
        switch (op.Code)
        {
            case OpCode.HashSet when op.Count % 2 == 0:
                for (int i = 0; i < op.Count; i += 2) hash.Set(op.Get(i), op.Get(i + 1));
                return true;
            case OpCode.HashDelete:
                return op.RemoveEachFrom(hash);
            default:
                return false;
        }
    }

    /// <summary>HRANDFIELD without count: a random entry. Ok, NotFound or WrongType.</summary>
    public static Status RandomField(Database db, ReadOnlySpan<byte> key, out HashEntry entry)
    {
        entry = default;
        Status s = db.ReadObject(key, ValueKind.Hash, out HashValue? hash);
        if (s != Status.Ok) return s;
        entry = hash!.RandomEntry();
        return Status.Ok;
    }

    /// <summary>
    /// HRANDFIELD with count: appends min(count, HLEN) distinct entries for a positive count (the whole hash in order
    /// when count ≥ HLEN), or exactly |count| independently drawn entries (repeats allowed) for a negative one.
    /// Ok, NotFound (nothing appended) or WrongType.
    /// </summary>
    public static Status RandomFields(Database db, ReadOnlySpan<byte> key, long count, List<HashEntry> into)
    {
        Status s = db.ReadObject(key, ValueKind.Hash, out HashValue? hash);
        if (s != Status.Ok || count == 0) return s;
        if (count < 0)
        {
            for (long n = -count; n > 0; n--) into.Add(hash!.RandomEntry());
            return Status.Ok;
        }
        MemberTable t = hash!.Table;
        var slots = new List<int>((int)Math.Min(count, t.Count));
        t.RandomDistinctSlots(count, slots);
        foreach (int slot in slots) into.Add(new HashEntry(t.MemberAt(slot), t.ValueAt(slot)));
        return Status.Ok;
    }

    /// <summary>
    /// HSCAN: appends the entries of the next step whose field matches <paramref name="pattern"/> (empty or "*":
    /// all) and returns the cursor to continue with in <paramref name="next"/> (0: done). A hash in its compact
    /// encoding is returned whole in one step, as Redis does. Ok, NotFound (done, nothing appended) or WrongType.
    /// </summary>
    public static Status Scan(Database db, ReadOnlySpan<byte> key, ulong cursor, long count, ReadOnlySpan<byte> pattern,
        List<HashEntry> into, out ulong next)
    {
        next = 0;
        Status s = db.ReadObject(key, ValueKind.Hash, out HashValue? hash);
        if (s != Status.Ok) return s;
        MemberTable t = hash!.Table;
        next = t.ScanRange(cursor, count, hash.IsCompact, out int start, out int end);
        bool all = pattern.IsEmpty || pattern.Length == 1 && pattern[0] == '*';
        for (int i = start; i < end; i++)
        {
            if (!t.IsLive(i)) continue;
            byte[] field = t.MemberAt(i);
            if (all || Glob.Match(pattern, field)) into.Add(new HashEntry(field, t.ValueAt(i)));
        }
        return Status.Ok;
    }
}

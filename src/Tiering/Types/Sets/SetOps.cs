using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Types.Sets;

/// <summary>The set algebra of SINTER, SUNION and SDIFF (and their STORE forms).</summary>
public enum SetAlgebra : byte
{
    Intersection,
    Union,
    Difference,
}

/// <summary>
/// Set operations (SADD, SMEMBERS, SINTER and friends). Each method is one atomic engine call; the caller holds the
/// store lock.
///
/// Why this shape: as in <see cref="StringOps"/> and <see cref="HashOps"/>, one call does a command's whole work and
/// answers with a <see cref="Status"/>. Writes end with <see cref="Database.Updated"/> (memory accounting, and an
/// emptied set is deleted). Results that are lists of members (SMEMBERS, SINTER, SPOP...) are appended to a
/// caller-supplied list as references to the stored arrays, so a reply never copies member bytes; the caller writes
/// them out before releasing the lock.
///
/// Multi-key algebra follows Redis 7: every source key is type-checked first (a wrong type fails the whole command,
/// even after a missing key); a missing key is an empty set. An intersection walks the smallest set and probes the
/// others, smallest first; a difference walks the first set and probes the rest. The STORE forms replace the
/// destination whatever its type (and drop its TTL), and delete it when the result is empty.
/// </summary>
public static class SetOps
{
    private static readonly Func<SetValue> NewSet = static () => new SetValue();

    /// <summary>The set at <paramref name="key"/> for a bulk read (SMEMBERS, SMISMEMBER): Ok, NotFound or WrongType.</summary>
    public static Status Read(Database db, ReadOnlySpan<byte> key, out SetValue? set)
        => db.ReadObject(key, ValueKind.Set, out set);

    /// <summary>SADD: adds the members (creating the set). <paramref name="added"/>: how many were new.</summary>
    public static Status Add<T>(Database db, ReadOnlySpan<byte> key, in T members, out long added) where T : IByteStrings
    {
        added = 0;
        Status s = db.WriteObject(key, ValueKind.Set, NewSet, out SetValue? set, out _, out OpLog log);
        if (s != Status.Ok) return s;
        for (int i = 0; i < members.Count; i++)
        {
            if (!set!.Add(members.Get(i))) continue;
            if (log.Active && added == 0) log.Begin(OpCode.SetAdd);
            if (log.Active) log.Arg(members.Get(i));
            added++;
        }
        if (log.Active && added > 0) log.End();
        db.Updated(key, set!);
        return Status.Ok;
    }

    /// <summary>SREM: removes the members. <paramref name="removed"/>: how many existed. Ok, NotFound or WrongType.</summary>
    public static Status Remove<T>(Database db, ReadOnlySpan<byte> key, in T members, out long removed) where T : IByteStrings
        => db.RemoveMembers<SetValue, T>(key, ValueKind.Set, members, OpCode.SetRemove, out removed);

    /// <summary>SISMEMBER: Ok when the member is in the set, NotFound when the key or member is missing, or WrongType.</summary>
    public static Status IsMember(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> member)
    {
        Status s = db.ReadObject(key, ValueKind.Set, out SetValue? set);
        if (s != Status.Ok) return s;
        return set!.Contains(member) ? Status.Ok : Status.NotFound;
    }

    /// <summary>SCARD: the number of members (0 with NotFound for a missing key).</summary>
    public static Status Card(Database db, ReadOnlySpan<byte> key, out long count)
        => db.ReadSize(key, ValueKind.Set, static (SetValue s) => s.Count, out count);

    /// <summary>
    /// SPOP: removes min(count, SCARD) random distinct members and appends them (the whole set when count ≥ SCARD,
    /// which deletes the key). Ok, NotFound (nothing appended) or WrongType. <paramref name="count"/> must be ≥ 0.
    /// </summary>
    public static Status Pop(Database db, ReadOnlySpan<byte> key, long count, List<byte[]> into)
    {
        Status s = db.WriteObject<SetValue>(key, ValueKind.Set, null, out SetValue? set, out _, out OpLog log);
        if (s != Status.Ok || count <= 0) return s;
        MemberTable t = set!.Table;
        int first = into.Count;
        if (count == 1)
        {
            into.Add(t.MemberAt(t.RandomSlot()));
        }
        else
        {
            var slots = new List<int>((int)Math.Min(count, t.Count));
            t.RandomDistinctSlots(count, slots);
            foreach (int slot in slots) into.Add(t.MemberAt(slot));
        }
        // Remove by member: removals may compact the table and move slots.
        for (int i = first; i < into.Count; i++) t.Remove(into[i]);
        if (log.Active && into.Count > first)
        {
            // The members the random choice took: replay removes exactly these.
            log.Begin(OpCode.SetRemove);
            for (int i = first; i < into.Count; i++) log.Arg(into[i]);
            log.End();
        }
        db.Updated(key, set);
        return Status.Ok;
    }

    /// <summary>SPOP / SRANDMEMBER without count: one random member. Ok, NotFound or WrongType.</summary>
    public static Status RandomMember(Database db, ReadOnlySpan<byte> key, out byte[]? member)
    {
        member = null;
        Status s = db.ReadObject(key, ValueKind.Set, out SetValue? set);
        if (s != Status.Ok) return s;
        member = set!.RandomMember();
        return Status.Ok;
    }

    /// <summary>
    /// SRANDMEMBER with count: appends min(count, SCARD) distinct members for a positive count (the whole set in order
    /// when count ≥ SCARD), or exactly |count| independent draws (repeats allowed) for a negative one.
    /// Ok, NotFound (nothing appended) or WrongType.
    /// </summary>
    public static Status RandomMembers(Database db, ReadOnlySpan<byte> key, long count, List<byte[]> into)
    {
        Status s = db.ReadObject(key, ValueKind.Set, out SetValue? set);
        if (s != Status.Ok || count == 0) return s;
        if (count < 0)
        {
            for (long n = -count; n > 0; n--) into.Add(set!.RandomMember());
            return Status.Ok;
        }
        MemberTable t = set!.Table;
        var slots = new List<int>((int)Math.Min(count, t.Count));
        t.RandomDistinctSlots(count, slots);
        foreach (int slot in slots) into.Add(t.MemberAt(slot));
        return Status.Ok;
    }

    /// <summary>Replays one operation record on <paramref name="set"/> (recovery). False when it does not fit.</summary>
    internal static bool Apply(SetValue set, OpArgs op)
    {
        switch (op.Code)
        {
            case OpCode.SetAdd:
                for (int i = 0; i < op.Count; i++) set.Add(op.Get(i));
                return true;
            case OpCode.SetRemove:
                return op.RemoveEachFrom(set);
            default:
                return false;
        }
    }

    /// <summary>
    /// SMOVE: moves <paramref name="member"/> from <paramref name="source"/> to <paramref name="destination"/>
    /// (created if needed). Ok when moved (or, for the same key, when the member is there), NotFound when the source
    /// or the member is missing, WrongType when either key holds another type (checked before anything changes).
    /// </summary>
    public static Status Move(Database db, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> member)
    {
        Status s = db.WriteObject<SetValue>(source, ValueKind.Set, null, out SetValue? src, out _, out OpLog srcLog);
        if (s != Status.Ok) return s;
        Status d = db.WriteObject<SetValue>(destination, ValueKind.Set, null, out SetValue? dst, out _, out OpLog dstLog);
        if (d == Status.WrongType) return d;
        if (ReferenceEquals(src, dst)) return src!.Contains(member) ? Status.Ok : Status.NotFound;
        if (!src!.Remove(member)) return Status.NotFound;
        if (srcLog.Active) srcLog.Write(OpCode.SetRemove, member);
        db.Updated(source, src);
        if (dst is null) db.WriteObject(destination, ValueKind.Set, NewSet, out dst, out _);
        if (dst!.Add(member) && dstLog.Active) dstLog.Write(OpCode.SetAdd, member);
        db.Updated(destination, dst);
        return Status.Ok;
    }

    /// <summary>
    /// SINTER / SUNION / SDIFF: appends the members of the result (references to stored arrays). Ok or WrongType
    /// (nothing appended).
    /// </summary>
    public static Status Combine<T>(Database db, SetAlgebra op, in T keys, List<byte[]> into) where T : IByteStrings
    {
        Status s = Collect(db, keys, out SetValue?[] sets);
        if (s != Status.Ok) return s;
        Compute(op, sets, into, long.MaxValue);
        return Status.Ok;
    }

    /// <summary>
    /// SINTERSTORE / SUNIONSTORE / SDIFFSTORE: stores the result at <paramref name="destination"/>, replacing any value
    /// of any type (and its TTL); an empty result deletes the destination. <paramref name="count"/>: the result's
    /// size. Ok or WrongType (nothing changed).
    /// </summary>
    public static Status CombineStore<T>(Database db, SetAlgebra op, ReadOnlySpan<byte> destination, in T keys, out long count)
        where T : IByteStrings
    {
        count = 0;
        Status s = Collect(db, keys, out SetValue?[] sets);
        if (s != Status.Ok) return s;
        var members = new List<byte[]>();
        Compute(op, sets, members, long.MaxValue);
        var result = new SetValue();
        foreach (byte[] m in members) result.AddOwned((byte[])m.Clone());
        db.StoreResult(destination, ValueKind.Set, result);
        count = result.Count;
        return Status.Ok;
    }

    /// <summary>
    /// SINTERCARD: the size of the intersection, counting stops at <paramref name="limit"/> (0: no limit).
    /// Ok or WrongType.
    /// </summary>
    public static Status InterCard<T>(Database db, in T keys, long limit, out long count) where T : IByteStrings
    {
        count = 0;
        Status s = Collect(db, keys, out SetValue?[] sets);
        if (s != Status.Ok) return s;
        count = Intersect(sets, null, limit == 0 ? long.MaxValue : limit);
        return Status.Ok;
    }

    /// <summary>
    /// SSCAN: appends the members of the next step that match <paramref name="pattern"/> (empty or "*": all) and
    /// returns the cursor to continue with in <paramref name="next"/> (0: done). A set in a compact encoding is
    /// returned whole in one step, as Redis does. Ok, NotFound (done, nothing appended) or WrongType.
    /// </summary>
    public static Status Scan(Database db, ReadOnlySpan<byte> key, ulong cursor, long count, ReadOnlySpan<byte> pattern,
        List<byte[]> into, out ulong next)
    {
        next = 0;
        Status s = db.ReadObject(key, ValueKind.Set, out SetValue? set);
        if (s != Status.Ok) return s;
        MemberTable t = set!.Table;
        next = t.ScanRange(cursor, count, set.IsCompact, out int start, out int end);
        bool all = pattern.IsEmpty || pattern.Length == 1 && pattern[0] == '*';
        for (int i = start; i < end; i++)
        {
            if (!t.IsLive(i)) continue;
            byte[] member = t.MemberAt(i);
            if (all || Glob.Match(pattern, member)) into.Add(member);
        }
        return Status.Ok;
    }

    /// <summary>Looks every key up (missing: null), failing with WrongType if any holds another type.</summary>
    private static Status Collect<T>(Database db, in T keys, out SetValue?[] sets) where T : IByteStrings
    {
        sets = new SetValue?[keys.Count];
        for (int k = 0; k < keys.Count; k++)
        {
            ReadOnlySpan<byte> key = keys.Get(k);
            int i = db.LookupRead(key);   // also for the STORE forms: Redis reads their sources (hits, misses, keymiss)
            if (i < 0) continue;
            Slot e = db.At(i);
            if (e.Kind != ValueKind.Set) return Status.WrongType;
            sets[k] = (SetValue)e.Value!;
        }
        return Status.Ok;
    }

    private static void Compute(SetAlgebra op, SetValue?[] sets, List<byte[]> into, long limit)
    {
        switch (op)
        {
            case SetAlgebra.Intersection:
                Intersect(sets, into, limit);
                break;
            case SetAlgebra.Union:
                Union(sets, into);
                break;
            default:
                Difference(sets, into);
                break;
        }
    }

    /// <summary>Walks the smallest set, probing the others smallest first; appends to <paramref name="into"/> if given. Returns the count.</summary>
    private static long Intersect(SetValue?[] sets, List<byte[]>? into, long limit)
    {
        foreach (SetValue? s in sets)
            if (s is null) return 0;
        var order = (SetValue[])sets.Clone();
        Array.Sort(order, static (a, b) => a.Count.CompareTo(b.Count));
        long count = 0;
        foreach (byte[] m in order[0])
        {
            bool inAll = true;
            for (int j = 1; j < order.Length && inAll; j++)
                if (!ReferenceEquals(order[j], order[0]) && !order[j].Contains(m)) inAll = false;
            if (!inAll) continue;
            into?.Add(m);
            if (++count >= limit) break;
        }
        return count;
    }

    private static void Union(SetValue?[] sets, List<byte[]> into)
    {
        var seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
        foreach (SetValue? s in sets)
        {
            if (s is null) continue;
            foreach (byte[] m in s)
                if (seen.Add(m)) into.Add(m);
        }
    }

    private static void Difference(SetValue?[] sets, List<byte[]> into)
    {
        SetValue? first = sets[0];
        if (first is null) return;
        foreach (byte[] m in first)
        {
            bool keep = true;
            for (int j = 1; j < sets.Length && keep; j++)
            {
                SetValue? other = sets[j];
                if (other is null) continue;
                if (ReferenceEquals(other, first) || other.Contains(m)) keep = false;
            }
            if (keep) into.Add(m);
        }
    }
}

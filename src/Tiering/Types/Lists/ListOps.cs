using Tiered.Tiering.Engine;

namespace Tiered.Tiering.Types.Lists;

// Why this file looks the way it does
// -----------------------------------
// List operations (the LIST command family). Each public method is one atomic engine operation run by a caller that
// holds Store.Lock; it answers with a Status and plain values, never RESP. A command's whole read-modify-write
// (LMOVE's pop and push, LMPOP's search for the first non-empty list) happens inside one call.
//
// Blocking commands: the pop and move operations (TryPop, TryMove, TryMultiPop) answer NotFound when there is nothing
// to take (the key is missing; Redis never keeps an empty list), and they change nothing in that case. A blocking
// command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) can therefore try the same call when it arrives and again each
// time a key it waits on is pushed to, and park the client only while the answer is NotFound.
//
// Elements handed out (popped elements, LRANGE/LINDEX results) are the stored arrays themselves, not copies: a list
// never changes an element array after storing it, and a popped array is no longer referenced by the list. Callers
// must not change them.
//
// Index arithmetic follows Redis 7.0 exactly: negative indexes count from the tail; LRANGE and LTRIM clamp their
// range to the list; LINDEX and LSET do not clamp. Every write ends with Database.Updated, which charges the size
// change to the memory budget and deletes the key when the list became empty.

/// <summary>
/// List operations (LPUSH, LPOP, LRANGE, LMOVE and friends). One public static method per operation; the caller holds
/// the store lock. See the comment at the top of this file.
/// </summary>
public static class ListOps
{
    private static readonly Func<ListValue> s_create = static () => new ListValue();

    /// <summary>
    /// LPUSH / RPUSH (<paramref name="onlyIfExists"/> false) and LPUSHX / RPUSHX (true): adds every element in order at
    /// the head (<paramref name="left"/>) or tail. Ok with the new length, NotFound (X variants, key missing; length 0)
    /// or WrongType.
    /// </summary>
    public static Status Push<T>(Database db, ReadOnlySpan<byte> key, in T elements, bool left, bool onlyIfExists, out long length)
        where T : IByteStrings
    {
        length = 0;
        Status s = db.WriteObject(key, ValueKind.List, onlyIfExists ? null : s_create, out ListValue? list, out _, out OpLog log);
        if (s != Status.Ok) return s;
        int n = elements.Count;
        if (log.Active) log.Begin(left ? OpCode.ListPushLeft : OpCode.ListPushRight);
        for (int i = 0; i < n; i++)
        {
            if (left) list!.PushLeft(elements.Get(i));
            else list!.PushRight(elements.Get(i));
            if (log.Active) log.Arg(elements.Get(i));
        }
        if (log.Active) log.End();
        length = list!.Count;
        db.Updated(key, list);
        return Status.Ok;
    }

    /// <summary>LLEN: the number of elements. Ok, NotFound (length 0) or WrongType.</summary>
    public static Status Length(Database db, ReadOnlySpan<byte> key, out long length)
        => db.ReadSize(key, ValueKind.List, static (ListValue l) => l.Count, out length);

    /// <summary>Whether <paramref name="key"/> holds a list, without counting a keyspace hit or miss: Ok, NotFound or WrongType.</summary>
    public static Status Check(Database db, ReadOnlySpan<byte> key)
        => db.WriteObject<ListValue>(key, ValueKind.List, null, out _, out _, out _);   // no change: nothing to log

    /// <summary>
    /// LPOP / RPOP without a count: removes and returns the head (<paramref name="left"/>) or tail element.
    /// Ok, NotFound (nothing to pop; nothing changed) or WrongType.
    /// </summary>
    public static Status TryPop(Database db, ReadOnlySpan<byte> key, bool left, out byte[]? element)
    {
        element = null;
        Status s = db.WriteObject(key, ValueKind.List, null, out ListValue? list, out _, out OpLog log);
        if (s != Status.Ok) return s;
        element = list!.Pop(left);
        LogPop(log, left, 1);
        db.Updated(key, list);
        return Status.Ok;
    }

    /// <summary>
    /// LPOP / RPOP with a count: removes up to <paramref name="count"/> (≥ 0) elements from the head or tail and appends
    /// them to <paramref name="into"/> in pop order. Ok (count 0 pops nothing), NotFound (key missing) or WrongType.
    /// </summary>
    public static Status TryPop(Database db, ReadOnlySpan<byte> key, bool left, long count, List<byte[]> into)
    {
        Status s = db.WriteObject(key, ValueKind.List, null, out ListValue? list, out _, out OpLog log);
        if (s != Status.Ok || count == 0) return s;
        LogPop(log, left, PopInto(list!, left, count, into));
        db.Updated(key, list!);
        return Status.Ok;
    }

    /// <summary>
    /// LMPOP: pops up to <paramref name="count"/> (≥ 1) elements from the first key of <paramref name="keys"/> that holds
    /// a list, into <paramref name="into"/>; <paramref name="keyIndex"/> tells which key. Keys are examined in order and
    /// a key of another type met before a list is an error, as in Redis. Ok, NotFound (no key holds a list) or WrongType.
    /// </summary>
    public static Status TryMultiPop<T>(Database db, in T keys, bool left, long count, List<byte[]> into, out int keyIndex)
        where T : IByteStrings
    {
        int n = keys.Count;
        for (int k = 0; k < n; k++)
        {
            ReadOnlySpan<byte> key = keys.Get(k);
            Status s = db.WriteObject(key, ValueKind.List, null, out ListValue? list, out _, out OpLog log);
            if (s == Status.NotFound) continue;
            keyIndex = k;
            if (s != Status.Ok) return s;
            LogPop(log, left, PopInto(list!, left, count, into));
            db.Updated(key, list!);
            return Status.Ok;
        }
        keyIndex = -1;
        return Status.NotFound;
    }

    /// <summary>
    /// LMOVE / RPOPLPUSH: pops from the head (<paramref name="fromLeft"/>) or tail of <paramref name="source"/> and
    /// pushes the element at the head (<paramref name="toLeft"/>) or tail of <paramref name="destination"/>, creating
    /// it. The same key rotates the list. Ok with the element, NotFound (source missing; the destination is not even
    /// checked, as in Redis) or WrongType (either key; nothing moved).
    /// </summary>
    public static Status TryMove(Database db, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination,
        bool fromLeft, bool toLeft, out byte[]? element)
    {
        element = null;
        Status s = db.WriteObject(source, ValueKind.List, null, out ListValue? src, out _, out OpLog srcLog);
        if (s != Status.Ok) return s;
        if (source.SequenceEqual(destination))
        {
            element = src![fromLeft ? 0 : src.Length - 1];
            if (fromLeft != toLeft)
            {
                src.Rotate(fromLeft);
                if (srcLog.Active)
                {
                    srcLog.Begin(OpCode.ListRotate);
                    srcLog.Arg(fromLeft ? 1 : 0);
                    srcLog.End();
                }
            }
            return Status.Ok;
        }
        s = db.WriteObject(destination, ValueKind.List, s_create, out ListValue? dst, out _, out OpLog dstLog);
        if (s != Status.Ok) return s;
        element = src!.Pop(fromLeft)!;
        LogPop(srcLog, fromLeft, 1);
        if (toLeft) dst!.PushLeftOwned(element);
        else dst!.PushRightOwned(element);
        if (dstLog.Active) dstLog.Write(toLeft ? OpCode.ListPushLeft : OpCode.ListPushRight, element);
        db.Updated(source, src);
        db.Updated(destination, dst);
        return Status.Ok;
    }

    /// <summary>
    /// LRANGE: appends the elements from <paramref name="start"/> to <paramref name="end"/> inclusive (negative counts
    /// from the tail; clamped to the list) to <paramref name="into"/>. Ok, NotFound (nothing appended) or WrongType.
    /// </summary>
    public static Status Range(Database db, ReadOnlySpan<byte> key, long start, long end, List<byte[]> into)
    {
        Status s = db.ReadObject(key, ValueKind.List, out ListValue? list);
        if (s != Status.Ok) return s;
        if (ClampRange(list!.Length, start, end, out int from, out int to))
            for (int i = from; i <= to; i++) into.Add(list[i]);
        return Status.Ok;
    }

    /// <summary>LINDEX: the element at <paramref name="index"/> (negative counts from the tail). Ok, NotFound (key missing or index out of range) or WrongType.</summary>
    public static Status Index(Database db, ReadOnlySpan<byte> key, long index, out byte[]? element)
    {
        element = null;
        Status s = db.ReadObject(key, ValueKind.List, out ListValue? list);
        if (s != Status.Ok) return s;
        if (!Resolve(list!.Length, index, out int i)) return Status.NotFound;
        element = list[i];
        return Status.Ok;
    }

    /// <summary>
    /// LSET: replaces the element at <paramref name="index"/> (negative counts from the tail). Ok, NotFound (key
    /// missing), WrongType, or ConditionNotMet when the index is out of range.
    /// </summary>
    public static Status Set(Database db, ReadOnlySpan<byte> key, long index, ReadOnlySpan<byte> element)
    {
        Status s = db.WriteObject(key, ValueKind.List, null, out ListValue? list, out _, out OpLog log);
        if (s != Status.Ok) return s;
        if (!Resolve(list!.Length, index, out int i)) return Status.ConditionNotMet;
        list.SetOwned(i, element.ToArray());
        LogIndexed(log, OpCode.ListSet, i, element);
        db.Updated(key, list);
        return Status.Ok;
    }

    /// <summary>
    /// LINSERT: inserts <paramref name="element"/> before or after the first element equal to <paramref name="pivot"/>
    /// (from the head). Ok with the new length, or -1 when the pivot is absent (nothing changed); NotFound (length 0)
    /// or WrongType.
    /// </summary>
    public static Status Insert(Database db, ReadOnlySpan<byte> key, bool before, ReadOnlySpan<byte> pivot,
        ReadOnlySpan<byte> element, out long length)
    {
        length = 0;
        Status s = db.WriteObject(key, ValueKind.List, null, out ListValue? list, out _, out OpLog log);
        if (s != Status.Ok) return s;
        int at = list!.IndexOf(pivot);
        if (at < 0) { length = -1; return Status.Ok; }
        list.InsertOwned(before ? at : at + 1, element.ToArray());
        LogIndexed(log, OpCode.ListInsert, before ? at : at + 1, element);
        length = list.Count;
        db.Updated(key, list);
        return Status.Ok;
    }

    /// <summary>
    /// LREM: removes up to |<paramref name="count"/>| elements equal to <paramref name="element"/>: from the head when
    /// count &gt; 0, from the tail when count &lt; 0, all of them when 0. Ok with the number removed, NotFound (0) or WrongType.
    /// </summary>
    public static Status Remove(Database db, ReadOnlySpan<byte> key, long count, ReadOnlySpan<byte> element, out long removed)
    {
        removed = 0;
        Status s = db.WriteObject(key, ValueKind.List, null, out ListValue? list, out _, out OpLog log);
        if (s != Status.Ok) return s;
        removed = list!.RemoveMatches(element, count);
        if (removed > 0) LogIndexed(log, OpCode.ListRemove, count, element);
        if (removed > 0) db.Updated(key, list);
        return Status.Ok;
    }

    /// <summary>
    /// LTRIM: keeps only the elements from <paramref name="start"/> to <paramref name="end"/> inclusive (negative counts
    /// from the tail; an empty range deletes the key). Ok, NotFound or WrongType.
    /// </summary>
    public static Status Trim(Database db, ReadOnlySpan<byte> key, long start, long end)
    {
        Status s = db.WriteObject(key, ValueKind.List, null, out ListValue? list, out _, out OpLog log);
        if (s != Status.Ok) return s;
        if (!ClampRange(list!.Length, start, end, out int from, out int to)) (from, to) = (1, 0);
        ApplyKeep(list, from, to);
        if (log.Active)
        {
            log.Begin(OpCode.ListKeep);
            log.Arg(from);
            log.Arg(to);
            log.End();
        }
        db.Updated(key, list);
        return Status.Ok;
    }

    /// <summary>
    /// LPOS: appends to <paramref name="into"/> the indexes (from the head) of elements equal to <paramref name="element"/>.
    /// <paramref name="rank"/> (non-zero) skips the first |rank| - 1 matches and, when negative, scans from the tail;
    /// at most <paramref name="count"/> indexes are returned (0: all); at most <paramref name="maxLen"/> elements are
    /// compared (0: all). Ok, NotFound (key missing) or WrongType.
    /// </summary>
    public static Status Positions(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> element, long rank,
        long count, long maxLen, List<long> into)
    {
        Status s = db.ReadObject(key, ValueKind.List, out ListValue? list);
        if (s != Status.Ok) return s;
        bool fromTail = rank < 0;
        long skip = (fromTail ? -rank : rank) - 1;
        int n = list!.Length;
        long limit = maxLen == 0 || maxLen > n ? n : maxLen;
        long matches = 0, found = 0;
        for (int scanned = 0; scanned < limit; scanned++)
        {
            int i = fromTail ? n - 1 - scanned : scanned;
            if (!element.SequenceEqual(list[i])) continue;
            if (matches++ < skip) continue;
            into.Add(i);
            if (++found == count) break;
        }
        return Status.Ok;
    }

    private static long PopInto(ListValue list, bool left, long count, List<byte[]> into)
    {
        long n = Math.Min(count, list.Count);
        for (long i = 0; i < n; i++) into.Add(list.Pop(left)!);
        return n;
    }

    private static void LogPop(in OpLog log, bool left, long count)
    {
        if (!log.Active || count <= 0) return;
        log.Begin(OpCode.ListPop);
        log.Arg(left ? 1 : 0);
        log.Arg(count);
        log.End();
    }

    private static void LogIndexed(in OpLog log, OpCode op, long index, ReadOnlySpan<byte> element)
    {
        if (!log.Active) return;
        log.Begin(op);
        log.Arg(index);
        log.Arg(element);
        log.End();
    }

    /// <summary>LTRIM's change once its range is clamped: keeps from..to, or empties the list when from &gt; to.</summary>
    private static void ApplyKeep(ListValue list, int from, int to)
    {
        if (from <= to) list.Keep(from, to);
        else list.Clear();
    }

    /// <summary>
    /// Replays one operation record on <paramref name="list"/> (recovery): the same change the logging operation made.
    /// False when the record does not fit the list (a damaged or foreign record; nothing is changed).
    /// </summary>
    internal static bool Apply(ListValue list, OpArgs op)
    {
        switch (op.Code)
        {
            case OpCode.ListPushLeft:
                for (int i = 0; i < op.Count; i++) list.PushLeft(op.Get(i));
                return true;
            case OpCode.ListPushRight:
                for (int i = 0; i < op.Count; i++) list.PushRight(op.Get(i));
                return true;
            case OpCode.ListPop when op.Count == 2:
                for (long n = op.Int(1); n > 0 && list.Count > 0; n--) list.Pop(op.Int(0) != 0);
                return true;
            case OpCode.ListSet when op.Count == 2 && op.Int(0) >= 0 && op.Int(0) < list.Length:
                list.SetOwned((int)op.Int(0), op.Get(1).ToArray());
                return true;
            case OpCode.ListInsert when op.Count == 2 && op.Int(0) >= 0 && op.Int(0) <= list.Length:
                list.InsertOwned((int)op.Int(0), op.Get(1).ToArray());
                return true;
            case OpCode.ListRemove when op.Count == 2:
                list.RemoveMatches(op.Get(1), op.Int(0));
                return true;
            case OpCode.ListKeep when op.Count == 2:
                long from = op.Int(0), to = op.Int(1);
                if (from <= to && (from < 0 || to >= list.Length)) return false;
                ApplyKeep(list, (int)from, (int)to);
                return true;
            case OpCode.ListRotate when op.Count == 1 && list.Length > 0:
                list.Rotate(op.Int(0) != 0);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Redis's LRANGE/LTRIM range rule; false when the range is empty.</summary>
    private static bool ClampRange(int length, long start, long end, out int from, out int to)
    {
        if (start < 0) start += length;
        if (end < 0) end += length;
        if (start < 0) start = 0;
        from = to = 0;
        if (start > end || start >= length) return false;
        if (end >= length) end = length - 1;
        from = (int)start;
        to = (int)end;
        return true;
    }

    /// <summary>LINDEX/LSET index rule (negative counts from the tail, no clamping); false when out of range.</summary>
    private static bool Resolve(int length, long index, out int i)
    {
        if (index < 0) index += length;
        i = (int)index;
        return index >= 0 && index < length;
    }
}

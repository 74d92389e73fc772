using Tiered.Tiering.Engine;

namespace Tiered.Tiering.Types.Streams;

/// <summary>How XADD or XTRIM trims: by length or by minimum ID, exactly ("=") or on node boundaries ("~").</summary>
public readonly record struct StreamTrim(StreamTrimKind Kind, bool Approx, long MaxLen, StreamId MinId, long Limit)
{
    public static readonly StreamTrim None = default;
}

public enum StreamTrimKind : byte { None, MaxLen, MinId }

/// <summary>
/// XCLAIM's options: minimum idle time, delivery time to set (-1: now; from IDLE or TIME), delivery count to set
/// (-1: increment unless JustId; from RETRYCOUNT), FORCE, JUSTID and LASTID (0-0: none).
/// </summary>
public readonly record struct StreamClaim(long MinIdleMs, long DeliveryTimeMs, long RetryCount, bool Force, bool JustId, StreamId LastId);

/// <summary>The ID argument of XADD: "*", "ms-*" or an explicit "ms-seq".</summary>
public readonly record struct StreamIdSpec(bool Auto, bool SeqAuto, StreamId Id)
{
    public static readonly StreamIdSpec Star = new(true, true, default);
}

/// <summary>
/// Stream operations (XADD, XLEN, XDEL, XTRIM; readers get the <see cref="StreamValue"/> through <see cref="Read"/>
/// and walk it under the lock, as HGETALL does). Each method is one atomic engine call; the caller holds the lock.
///
/// Why this shape: like <see cref="HashOps"/>, the whole read-modify-write of a command happens in one call and the
/// engine speaks <see cref="Status"/>. Streams have two failures no other type has; they reuse statuses so the shared
/// enum stays untouched: <see cref="Status.ConditionNotMet"/> means "the ID is equal or smaller than the stream's top
/// item" and <see cref="Status.Overflow"/> means "the stream has exhausted the last possible ID". The command layer
/// maps both to Redis's texts. A stream emptied by XDEL or XTRIM is kept (Redis does the same).
///
/// ID generation follows Redis: "*" uses the current unix time in ms, or the last ID's ms with the next sequence if
/// the clock has not moved past it (so IDs grow even if the clock goes back).
/// </summary>
public static class StreamOps
{
    private static readonly Func<StreamValue> NewStream = static () => new StreamValue();

    /// <summary>The stream at <paramref name="key"/> for a read: Ok, NotFound or WrongType.</summary>
    public static Status Read(Database db, ReadOnlySpan<byte> key, out StreamValue? stream)
        => db.ReadObject(key, ValueKind.Stream, out stream);

    /// <summary>
    /// XADD: appends an entry with the field/value strings <paramref name="fieldsAndValues"/>, then trims.
    /// Ok with the new <paramref name="id"/>, NotFound (absent key with <paramref name="noMkStream"/>), WrongType,
    /// ConditionNotMet (the ID is not greater than the stream's last ID) or Overflow (no ID left). Nothing changes on
    /// failure.
    /// </summary>
    public static Status Add<T>(Database db, ReadOnlySpan<byte> key, bool noMkStream, StreamIdSpec spec, in T fieldsAndValues,
        StreamTrim trim, out StreamId id) where T : IByteStrings
        => Add(db, key, noMkStream, spec, fieldsAndValues, trim, out id, out _);

    /// <summary>XADD, also saying how many entries its trim removed (<paramref name="trimmed"/>).</summary>
    public static Status Add<T>(Database db, ReadOnlySpan<byte> key, bool noMkStream, StreamIdSpec spec, in T fieldsAndValues,
        StreamTrim trim, out StreamId id, out long trimmed) where T : IByteStrings
    {
        id = default;
        trimmed = 0;
        Status s = db.WriteObject(key, ValueKind.Stream, noMkStream ? null : NewStream, out StreamValue? stream, out _, out OpLog log);
        if (s != Status.Ok) return s;
        StreamId last = stream!.LastId;
        if (last == StreamId.Max) s = Status.Overflow;
        else if (spec.Auto)
        {
            ulong now = (ulong)Math.Max(0, db.Store.Clock.NowMs);
            if (now > last.Ms) id = new StreamId(now, 0);
            else if (!last.TryIncrement(out id)) s = Status.Overflow;
        }
        else if (spec.SeqAuto)
        {
            if (spec.Id.Ms > last.Ms) id = new StreamId(spec.Id.Ms, 0);
            else if (spec.Id.Ms < last.Ms || last.Seq == ulong.MaxValue) s = Status.ConditionNotMet;
            else id = new StreamId(last.Ms, last.Seq + 1);
        }
        else
        {
            id = spec.Id;
            if (id <= last) s = Status.ConditionNotMet;
        }
        // A stream created just now has last ID 0-0, which every accepted ID exceeds: failure never leaves a new key.
        if (s != Status.Ok) return s;
        stream.Append(id, fieldsAndValues);
        if (log.Active)
        {
            // The ID chosen (from the clock for *), so replay appends the same entry.
            log.Begin(OpCode.StreamAdd);
            LogId(log, id);
            for (int i = 0; i < fieldsAndValues.Count; i++) log.Arg(fieldsAndValues.Get(i));
            log.End();
        }
        trimmed = Trim(stream, trim, log);
        db.Updated(key, stream);
        return Status.Ok;
    }

    /// <summary>XLEN: the number of entries (0 with NotFound for a missing key).</summary>
    public static Status Len(Database db, ReadOnlySpan<byte> key, out long length)
        => db.ReadSize(key, ValueKind.Stream, static (StreamValue s) => s.Length, out length);

    /// <summary>XDEL: deletes the entries with the given IDs. <paramref name="deleted"/>: how many existed.</summary>
    public static Status Delete(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<StreamId> ids, out long deleted)
    {
        deleted = 0;
        Status s = db.WriteObject<StreamValue>(key, ValueKind.Stream, null, out StreamValue? stream, out _, out OpLog log);
        if (s != Status.Ok) return s;
        foreach (StreamId id in ids)
        {
            if (!stream!.Delete(id)) continue;
            if (log.Active && deleted == 0) log.Begin(OpCode.StreamDelete);
            if (log.Active) LogId(log, id);
            deleted++;
        }
        if (log.Active && deleted > 0) log.End();
        db.Updated(key, stream!);
        return Status.Ok;
    }

    /// <summary>XTRIM: trims the stream. <paramref name="removed"/>: entries removed. Ok, NotFound or WrongType.</summary>
    public static Status Trim(Database db, ReadOnlySpan<byte> key, StreamTrim trim, out long removed)
    {
        removed = 0;
        Status s = db.WriteObject<StreamValue>(key, ValueKind.Stream, null, out StreamValue? stream, out _, out OpLog log);
        if (s != Status.Ok) return s;
        removed = Trim(stream!, trim, log);
        db.Updated(key, stream!);
        return Status.Ok;
    }

    // ---- Consumer groups ----

    /// <summary>
    /// XGROUP CREATE: adds a group whose last-delivered ID is <paramref name="id"/> (or the stream's last ID when
    /// <paramref name="fromLast"/>). Ok, NotFound (no key and not <paramref name="mkStream"/>), WrongType or
    /// ConditionNotMet (the group exists: BUSYGROUP).
    /// </summary>
    public static Status CreateGroup(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, bool fromLast, StreamId id,
        bool mkStream, long entriesRead)
    {
        Status s = db.WriteObject(key, ValueKind.Stream, mkStream ? NewStream : null, out StreamValue? stream, out _);
        if (s != Status.Ok) return s;
        if (stream!.FindGroup(group) != null) return Status.ConditionNotMet;
        if (fromLast)
        {
            id = stream.LastId;
            if (entriesRead < 0) entriesRead = (long)stream.EntriesAdded;
        }
        stream.AddGroup(new StreamGroup(group.ToArray(), id, entriesRead));
        db.Updated(key, stream);
        return Status.Ok;
    }

    /// <summary>XGROUP DESTROY: Ok with <paramref name="destroyed"/>, NotFound (no key) or WrongType.</summary>
    public static Status DestroyGroup(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, out bool destroyed)
    {
        destroyed = false;
        Status s = db.WriteObject<StreamValue>(key, ValueKind.Stream, null, out StreamValue? stream, out _);
        if (s != Status.Ok) return s;
        destroyed = stream!.RemoveGroup(group);
        db.Updated(key, stream);
        return Status.Ok;
    }

    /// <summary>The stream and its group for a write (XREADGROUP, XACK): Ok, NotFound (no key or no group) or WrongType.</summary>
    public static Status OpenGroup(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, out StreamValue? stream, out StreamGroup? g)
    {
        g = null;
        Status s = db.WriteObject<StreamValue>(key, ValueKind.Stream, null, out stream, out _);
        if (s != Status.Ok) return s;
        g = stream!.FindGroup(group);
        return g is null ? Status.NotFound : Status.Ok;
    }

    /// <summary>The stream and its group for a read (XPENDING): Ok, NotFound (no key or no group) or WrongType.</summary>
    public static Status ReadGroup(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, out StreamGroup? g)
    {
        g = null;
        Status s = db.ReadObject(key, ValueKind.Stream, out StreamValue? stream);
        if (s != Status.Ok) return s;
        g = stream!.FindGroup(group);
        return g is null ? Status.NotFound : Status.Ok;
    }

    /// <summary>
    /// XREADGROUP with "&gt;": delivers up to <paramref name="count"/> entries after the group's last-delivered ID to
    /// <paramref name="consumer"/> (created if new) and records them in the PEL unless <paramref name="noAck"/>.
    /// The delivered entries are <c>stream.At(from) .. stream.At(from + n - 1)</c>. Ok, NotFound or WrongType.
    /// </summary>
    public static Status ReadGroupNew(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, ReadOnlySpan<byte> consumer,
        long count, bool noAck, out StreamValue? stream, out int from, out int n)
    {
        from = n = 0;
        Status s = OpenGroup(db, key, group, out stream, out StreamGroup? g);
        if (s != Status.Ok) return s;
        long now = db.Store.Clock.NowMs;
        StreamConsumer c = g!.GetOrCreateConsumer(consumer, now);
        c.SeenTimeMs = now;
        from = stream!.UpperBound(g.LastDeliveredId);
        n = (int)Math.Min(stream.Length - from, count);
        if (n > 0)
        {
            for (int i = 0; i < n; i++)
            {
                StreamId id = stream.At(from + i).Id;
                if (!noAck) g.Deliver(id, c, now);
                stream.AdvanceGroup(g, id);
            }
        }
        db.Updated(key, stream);
        return Status.Ok;
    }

    /// <summary>
    /// XREADGROUP with an explicit ID: appends the consumer's pending entries with ID &gt; <paramref name="after"/>
    /// (at most <paramref name="count"/>), without changing them. Ok, NotFound or WrongType.
    /// </summary>
    public static Status ReadGroupHistory(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, ReadOnlySpan<byte> consumer,
        StreamId after, long count, List<PendingEntry> into, out StreamValue? stream)
    {
        Status s = OpenGroup(db, key, group, out stream, out StreamGroup? g);
        if (s != Status.Ok) return s;
        long now = db.Store.Clock.NowMs;
        StreamConsumer c = g!.GetOrCreateConsumer(consumer, now);
        c.SeenTimeMs = now;
        g.ConsumerHistory(c, after, count, into);
        db.Updated(key, stream!);
        return Status.Ok;
    }

    /// <summary>XACK: removes the IDs from the group's PEL. <paramref name="acked"/>: how many were pending.</summary>
    public static Status Ack(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, ReadOnlySpan<StreamId> ids, out long acked)
    {
        acked = 0;
        Status s = OpenGroup(db, key, group, out StreamValue? stream, out StreamGroup? g);
        if (s != Status.Ok) return s;
        foreach (StreamId id in ids)
            if (g!.Ack(id)) acked++;
        db.Updated(key, stream!);
        return Status.Ok;
    }

    /// <summary>
    /// XPENDING's extended form: appends the PEL rows with start ≤ ID ≤ end (at most <paramref name="count"/>, idle
    /// at least <paramref name="minIdleMs"/>, of <paramref name="consumer"/> when given: none if that consumer does
    /// not exist). Ok, NotFound (no key or no group) or WrongType. Reads only: no consumer is created or refreshed.
    /// </summary>
    public static Status Pending(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, StreamId start, StreamId end,
        long count, long minIdleMs, bool byConsumer, ReadOnlySpan<byte> consumer, List<PendingEntry> into)
    {
        Status s = ReadGroup(db, key, group, out StreamGroup? g);
        if (s != Status.Ok) return s;
        StreamConsumer? c = null;
        if (byConsumer)
        {
            int i = g!.FindConsumer(consumer);
            if (i < 0) return Status.Ok;
            c = g.ConsumerList[i];
        }
        g!.PendingRange(start, end, count, minIdleMs, db.Store.Clock.NowMs, c, into);
        return Status.Ok;
    }

    /// <summary>
    /// XCLAIM: hands the pending <paramref name="ids"/> idle for at least <see cref="StreamClaim.MinIdleMs"/> to
    /// <paramref name="consumer"/> (created on the first claim) and appends them to <paramref name="claimed"/>. An ID
    /// whose entry was deleted from the stream leaves the PEL and is not claimed; with FORCE an ID that exists in the
    /// stream but not in the PEL is added to it. LASTID moves the group's last-delivered ID forward.
    /// Ok, NotFound (no key or no group) or WrongType.
    /// </summary>
    public static Status Claim(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, ReadOnlySpan<byte> consumer,
        ReadOnlySpan<StreamId> ids, in StreamClaim options, List<StreamId> claimed, out StreamValue? stream)
    {
        Status s = OpenGroup(db, key, group, out stream, out StreamGroup? g);
        if (s != Status.Ok) return s;
        long now = db.Store.Clock.NowMs;
        if (options.LastId > g!.LastDeliveredId) g.LastDeliveredId = options.LastId;
        long time = options.DeliveryTimeMs;
        if (time < 0 || time > now) time = now;   // absent (-1) or bogus: now, as Redis
        StreamConsumer? to = null;
        foreach (StreamId id in ids)
        {
            PendingEntry? e = g.FindPending(id);
            if (!stream!.Contains(id))
            {
                if (e != null) g.RemovePending(e);
                continue;
            }
            bool forced = false;
            if (e is null)
            {
                if (!options.Force) continue;
                to ??= Refresh(g, consumer, now);
                g.Deliver(id, to, now);
                e = g.FindPending(id)!;
                forced = true;
            }
            if (!forced && options.MinIdleMs > 0 && now - e.DeliveryTimeMs < options.MinIdleMs) continue;
            to ??= Refresh(g, consumer, now);
            g.Claim(e, to, time, options.RetryCount, options.JustId);
            claimed.Add(id);
        }
        db.Updated(key, stream!);
        return Status.Ok;
    }

    /// <summary>
    /// XAUTOCLAIM: walks the PEL from <paramref name="start"/>, claiming for <paramref name="consumer"/> the entries
    /// idle for at least <paramref name="minIdleMs"/>, until <paramref name="count"/> entries were claimed or found
    /// deleted (those leave the PEL and go to <paramref name="deleted"/>) or count × 10 rows were examined.
    /// <paramref name="next"/> is the PEL row after the last one examined (0-0 at the end): the cursor for the next
    /// call. Ok, NotFound (no key or no group) or WrongType.
    /// </summary>
    public static Status AutoClaim(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, ReadOnlySpan<byte> consumer,
        long minIdleMs, StreamId start, long count, bool justId, List<StreamId> claimed, List<StreamId> deleted,
        out StreamId next, out StreamValue? stream)
    {
        next = StreamId.Min;
        Status s = OpenGroup(db, key, group, out stream, out StreamGroup? g);
        if (s != Status.Ok) return s;
        long now = db.Store.Clock.NowMs;
        long attempts = count * 10;
        // Rows are removed or changed while walking: take the rows to examine (plus the cursor) first.
        List<PendingEntry> rows = t_rows ??= [];
        rows.Clear();
        g!.PendingRange(start, StreamId.Max, attempts + 1, 0, now, null, rows);
        StreamConsumer? to = null;
        int k = 0;
        for (; k < rows.Count && attempts > 0 && count > 0; k++, attempts--)
        {
            PendingEntry e = rows[k];
            if (!stream!.Contains(e.Id))
            {
                g.RemovePending(e);
                deleted.Add(e.Id);
                count--;
                continue;
            }
            if (minIdleMs > 0 && now - e.DeliveryTimeMs < minIdleMs) continue;
            to ??= Refresh(g, consumer, now);
            g.Claim(e, to, now, -1, justId);
            claimed.Add(e.Id);
            count--;
        }
        if (k < rows.Count) next = rows[k].Id;
        rows.Clear();
        db.Updated(key, stream!);
        return Status.Ok;
    }

    [ThreadStatic] private static List<PendingEntry>? t_rows;

    /// <summary>The consumer, created if new, with its seen time set to now (Redis's lookup-or-create on a claim).</summary>
    private static StreamConsumer Refresh(StreamGroup g, ReadOnlySpan<byte> consumer, long now)
    {
        StreamConsumer c = g.GetOrCreateConsumer(consumer, now);
        c.SeenTimeMs = now;
        return c;
    }

    /// <summary>XGROUP SETID: Ok, NotFound (no key or no group) or WrongType. <paramref name="toLast"/>: "$".</summary>
    public static Status SetGroupId(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, bool toLast, StreamId id, long entriesRead)
    {
        Status s = OpenGroup(db, key, group, out StreamValue? stream, out StreamGroup? g);
        if (s != Status.Ok) return s;
        g!.SetPosition(toLast ? stream!.LastId : id, entriesRead);
        db.Updated(key, stream!);
        return Status.Ok;
    }

    /// <summary>
    /// XSETID: sets the stream's last ID, and its entries-added count (when <paramref name="entriesAdded"/> is not
    /// negative) and largest deleted ID (when <paramref name="maxDeletedId"/> is not 0-0), as replication and restores
    /// do. Ok, NotFound, WrongType, or ConditionNotMet: <paramref name="id"/> is below the last entry, or (with
    /// <paramref name="belowLength"/>) the count is below the number of entries. Logged as the stream's new state.
    /// </summary>
    public static Status SetIds(Database db, ReadOnlySpan<byte> key, StreamId id, long entriesAdded, StreamId maxDeletedId, out bool belowLength)
    {
        belowLength = false;
        Status s = db.WriteObject<StreamValue>(key, ValueKind.Stream, null, out StreamValue? stream, out _);
        if (s != Status.Ok) return s;
        if (stream!.Length > 0 && id < stream.LastEntryId) return Status.ConditionNotMet;
        if (stream.Length > 0 && entriesAdded >= 0 && stream.Length > entriesAdded)
        {
            belowLength = true;
            return Status.ConditionNotMet;
        }
        stream.SetIds(id, entriesAdded, maxDeletedId);
        db.Updated(key, stream);
        return Status.Ok;
    }

    /// <summary>XGROUP CREATECONSUMER: Ok with <paramref name="created"/>, NotFound (no key or no group) or WrongType.</summary>
    public static Status CreateConsumer(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, ReadOnlySpan<byte> consumer, out bool created)
    {
        created = false;
        Status s = OpenGroup(db, key, group, out StreamValue? stream, out StreamGroup? g);
        if (s != Status.Ok) return s;
        created = g!.TryCreateConsumer(consumer, db.Store.Clock.NowMs);
        db.Updated(key, stream!);
        return Status.Ok;
    }

    /// <summary>
    /// XGROUP DELCONSUMER: removes the consumer and its pending entries. <paramref name="pending"/>: how many it had
    /// (0 if it did not exist). Ok, NotFound (no key or no group) or WrongType.
    /// </summary>
    public static Status DeleteConsumer(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> group, ReadOnlySpan<byte> consumer, out long pending)
    {
        pending = 0;
        Status s = OpenGroup(db, key, group, out StreamValue? stream, out StreamGroup? g);
        if (s != Status.Ok) return s;
        pending = Math.Max(0, g!.RemoveConsumer(consumer));
        db.Updated(key, stream!);
        return Status.Ok;
    }

    /// <summary>Applies a trim to a stream; returns the entries removed.</summary>
    internal static long Trim(StreamValue stream, StreamTrim trim, in OpLog log = default)
    {
        long excess = trim.Kind switch
        {
            StreamTrimKind.MaxLen => stream.Length - trim.MaxLen,
            StreamTrimKind.MinId => stream.LowerBound(trim.MinId),
            _ => 0,
        };
        if (excess <= 0) return 0;
        long removed = stream.TrimHead(excess, trim.Approx, trim.Limit);
        if (log.Active && removed > 0)
        {
            // TrimHead's own arguments: given the same stream it removes the same entries (an approximate trim
            // removes whole nodes, which a count of entries alone would not reproduce).
            log.Begin(OpCode.StreamTrimHead);
            log.Arg(excess);
            log.Arg(trim.Approx ? 1 : 0);
            log.Arg(trim.Limit);
            log.End();
        }
        return removed;
    }

    private static void LogId(in OpLog log, StreamId id)
    {
        Span<byte> b = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(b, id.Ms);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(b[8..], id.Seq);
        log.Arg(b);
    }

    private static bool TryId(ReadOnlySpan<byte> b, out StreamId id)
    {
        id = default;
        if (b.Length != 16) return false;
        id = new StreamId(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b[8..]));
        return true;
    }

    /// <summary>Replays one operation record on <paramref name="stream"/> (recovery). False when it does not fit.</summary>
    internal static bool Apply(StreamValue stream, OpArgs op)
    {
        switch (op.Code)
        {
            case OpCode.StreamAdd when op.Count >= 1 && op.Count % 2 == 1:
                if (!TryId(op.Get(0), out StreamId id) || id <= stream.LastId) return false;
                stream.Append(id, new ArgsAfterFirst(op));
                return true;
            case OpCode.StreamDelete:
                for (int i = 0; i < op.Count; i++)
                    if (TryId(op.Get(i), out StreamId d)) stream.Delete(d);
                return true;
            case OpCode.StreamTrimHead when op.Count == 3:
                if (op.Int(0) > 0) stream.TrimHead(op.Int(0), op.Int(1) != 0, op.Int(2));
                return true;
            default:
                return false;
        }
    }

    /// <summary>An operation's arguments after the first (a stream entry's fields and values after its ID).</summary>
    private readonly struct ArgsAfterFirst(OpArgs op) : IByteStrings
    {
        public int Count => op.Count - 1;

        public ReadOnlySpan<byte> Get(int i) => op.Get(i + 1);
    }
}

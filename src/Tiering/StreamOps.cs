using Tiered.Tiering.Values;

namespace Tiered.Tiering;

/// <summary>How XADD or XTRIM trims: by length or by minimum ID, exactly ("=") or on node boundaries ("~").</summary>
public readonly record struct StreamTrim(StreamTrimKind Kind, bool Approx, long MaxLen, StreamId MinId, long Limit)
{
    public static readonly StreamTrim None = default;
}

public enum StreamTrimKind : byte { None, MaxLen, MinId }

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
    {
        id = default;
        Status s = db.WriteObject(key, ValueKind.Stream, noMkStream ? null : NewStream, out StreamValue? stream, out _);
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
        Trim(stream, trim);
        db.Updated(key, stream);
        return Status.Ok;
    }

    /// <summary>XLEN: the number of entries (0 with NotFound for a missing key).</summary>
    public static Status Len(Database db, ReadOnlySpan<byte> key, out long length)
    {
        Status s = db.ReadObject(key, ValueKind.Stream, out StreamValue? stream);
        length = s == Status.Ok ? stream!.Length : 0;
        return s;
    }

    /// <summary>XDEL: deletes the entries with the given IDs. <paramref name="deleted"/>: how many existed.</summary>
    public static Status Delete(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<StreamId> ids, out long deleted)
    {
        deleted = 0;
        Status s = db.WriteObject<StreamValue>(key, ValueKind.Stream, null, out StreamValue? stream, out _);
        if (s != Status.Ok) return s;
        foreach (StreamId id in ids)
            if (stream!.Delete(id)) deleted++;
        db.Updated(key, stream!);
        return Status.Ok;
    }

    /// <summary>XTRIM: trims the stream. <paramref name="removed"/>: entries removed. Ok, NotFound or WrongType.</summary>
    public static Status Trim(Database db, ReadOnlySpan<byte> key, StreamTrim trim, out long removed)
    {
        removed = 0;
        Status s = db.WriteObject<StreamValue>(key, ValueKind.Stream, null, out StreamValue? stream, out _);
        if (s != Status.Ok) return s;
        removed = Trim(stream!, trim);
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
            if (!noAck)
                for (int i = 0; i < n; i++) g.Deliver(stream.At(from + i).Id, c, now);
            g.LastDeliveredId = stream.At(from + n - 1).Id;
            if (g.EntriesRead >= 0) g.EntriesRead += n;
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

    /// <summary>Applies a trim to a stream; returns the entries removed.</summary>
    internal static long Trim(StreamValue stream, StreamTrim trim)
    {
        long excess = trim.Kind switch
        {
            StreamTrimKind.MaxLen => stream.Length - trim.MaxLen,
            StreamTrimKind.MinId => stream.LowerBound(trim.MinId),
            _ => 0,
        };
        if (excess <= 0) return 0;
        return stream.TrimHead(excess, trim.Approx, trim.Limit);
    }
}

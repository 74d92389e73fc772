namespace Tiered.Tiering.Types.Streams;

/// <summary>An entry delivered to a consumer and not acknowledged yet (one row of a group's PEL).</summary>
public sealed class PendingEntry(StreamId id)
{
    public StreamId Id { get; } = id;
    public StreamConsumer Consumer { get; internal set; } = null!;
    public long DeliveryTimeMs { get; internal set; }
    public long DeliveryCount { get; internal set; }
}

/// <summary>A stream's consumer group or a group's consumer: kept in lists sorted by name, bytewise.</summary>
public interface INamed
{
    byte[] Name { get; }

    /// <summary>
    /// Index of the item named <paramref name="name"/> in <paramref name="sorted"/>, or the bitwise complement of its
    /// insertion point (List.BinarySearch's contract).
    /// </summary>
    static int Find<T>(List<T> sorted, ReadOnlySpan<byte> name) where T : INamed
    {
        int lo = 0, hi = sorted.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = sorted[mid].Name.AsSpan().SequenceCompareTo(name);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }
}

/// <summary>A consumer of a group: its name, when it was last seen, and how many entries it has pending.</summary>
public sealed class StreamConsumer(byte[] name) : INamed
{
    public byte[] Name { get; } = name;
    public long SeenTimeMs { get; internal set; }
    public long PendingCount { get; internal set; }
}

/// <summary>
/// A consumer group of a stream: its last-delivered ID, entries-read counter, pending entries list (PEL) and
/// consumers.
///
/// Why these structures: the PEL is a <see cref="SortedSet{T}"/> ordered by ID, so XACK, the min/max of the XPENDING
/// summary and (later) XPENDING/XCLAIM/XAUTOCLAIM ranges are O(log N) seeks, and new deliveries (always larger IDs)
/// need no shifting. Consumers and groups are few: they are kept in lists sorted by name (binary search, and
/// XINFO/XPENDING list them in name order as Redis's radix tree does). A consumer keeps only its pending count; a
/// consumer's own history (XREADGROUP with an explicit ID) filters the group PEL, which is O(group PEL) and fine
/// until per-consumer PELs are needed.
///
/// Shared state rule: owned by its <see cref="StreamValue"/>; read or changed only under the store lock.
/// </summary>
public sealed class StreamGroup : INamed
{
    private const int GroupBytes = 160;
    private const int ConsumerBytes = 80;
    private const int PendingBytes = 96;

    private static readonly Comparer<PendingEntry> ById = Comparer<PendingEntry>.Create(static (a, b) => a.Id.CompareTo(b.Id));

    internal readonly SortedSet<PendingEntry> Pel = new(ById);
    internal readonly List<StreamConsumer> Consumers = [];

    public StreamGroup(byte[] name, StreamId lastDelivered, long entriesRead)
    {
        Name = name;
        LastDeliveredId = lastDelivered;
        EntriesRead = entriesRead;
        SizeBytes = GroupBytes + MemoryOf.ArrayOverhead + name.Length;
    }

    public byte[] Name { get; }
    public StreamId LastDeliveredId { get; internal set; }

    /// <summary>Entries read by the group (Redis 7's entries-read; -1 when unknown).</summary>
    public long EntriesRead { get; internal set; }

    /// <summary>Estimated DRAM bytes of the group, kept up to date by its methods.</summary>
    public long SizeBytes { get; private set; }

    public int PendingCount => Pel.Count;
    public PendingEntry? MinPending => Pel.Min;
    public PendingEntry? MaxPending => Pel.Max;
    public IReadOnlyList<StreamConsumer> ConsumerList => Consumers;

    /// <summary>The consumer called <paramref name="name"/>, created (seen now) if absent.</summary>
    public StreamConsumer GetOrCreateConsumer(ReadOnlySpan<byte> name, long nowMs)
    {
        int i = FindConsumer(name);
        if (i >= 0) return Consumers[i];
        var c = new StreamConsumer(name.ToArray()) { SeenTimeMs = nowMs };
        Consumers.Insert(~i, c);
        SizeBytes += ConsumerBytes + MemoryOf.ArrayOverhead + name.Length;
        return c;
    }

    /// <summary>Index of the consumer, or the bitwise complement of its insertion point.</summary>
    public int FindConsumer(ReadOnlySpan<byte> name) => INamed.Find(Consumers, name);

    /// <summary>Records a delivery of <paramref name="id"/> to <paramref name="consumer"/> (a new PEL row, or a re-delivery).</summary>
    public void Deliver(StreamId id, StreamConsumer consumer, long nowMs)
    {
        var probe = new PendingEntry(id);
        if (Pel.TryGetValue(probe, out PendingEntry? existing))
        {
            existing.Consumer.PendingCount--;
            existing.Consumer = consumer;
            existing.DeliveryTimeMs = nowMs;
            existing.DeliveryCount++;
            consumer.PendingCount++;
            return;
        }
        probe.Consumer = consumer;
        probe.DeliveryTimeMs = nowMs;
        probe.DeliveryCount = 1;
        Pel.Add(probe);
        consumer.PendingCount++;
        SizeBytes += PendingBytes;
    }

    /// <summary>XACK of one ID: true if it was pending.</summary>
    public bool Ack(StreamId id)
    {
        if (!Pel.TryGetValue(new PendingEntry(id), out PendingEntry? e)) return false;
        Pel.Remove(e);
        e.Consumer.PendingCount--;
        SizeBytes -= PendingBytes;
        return true;
    }

    /// <summary>The pending entries of <paramref name="consumer"/> with ID &gt; <paramref name="after"/>, in ID order.</summary>
    public void ConsumerHistory(StreamConsumer consumer, StreamId after, long count, List<PendingEntry> into)
    {
        if (after == StreamId.Max) return;
        after.TryIncrement(out StreamId from);
        foreach (PendingEntry e in Pel.GetViewBetween(new PendingEntry(from), new PendingEntry(StreamId.Max)))
        {
            if (into.Count >= count) break;
            if (ReferenceEquals(e.Consumer, consumer)) into.Add(e);
        }
    }

    /// <summary>The PEL row of <paramref name="id"/>, or null.</summary>
    public PendingEntry? FindPending(StreamId id)
        => Pel.TryGetValue(new PendingEntry(id), out PendingEntry? e) ? e : null;

    /// <summary>
    /// Appends the pending entries with <paramref name="start"/> ≤ ID ≤ <paramref name="end"/>, in ID order, at most
    /// <paramref name="count"/>, idle for at least <paramref name="minIdleMs"/> (when &gt; 0) and owned by
    /// <paramref name="consumer"/> (when not null; that filter walks the group PEL).
    /// </summary>
    public void PendingRange(StreamId start, StreamId end, long count, long minIdleMs, long nowMs, StreamConsumer? consumer,
        List<PendingEntry> into)
    {
        if (start > end || count <= 0 || Pel.Count == 0) return;
        long taken = 0;
        foreach (PendingEntry e in Pel.GetViewBetween(new PendingEntry(start), new PendingEntry(end)))
        {
            if (taken >= count) break;
            if (consumer != null && !ReferenceEquals(e.Consumer, consumer)) continue;
            if (minIdleMs > 0 && nowMs - e.DeliveryTimeMs < minIdleMs) continue;
            into.Add(e);
            taken++;
        }
    }

    /// <summary>
    /// Hands a pending entry to <paramref name="consumer"/> (XCLAIM, XAUTOCLAIM): new delivery time, and the delivery
    /// count set to <paramref name="retryCount"/> when ≥ 0, else incremented unless <paramref name="justId"/>.
    /// </summary>
    public void Claim(PendingEntry e, StreamConsumer consumer, long deliveryTimeMs, long retryCount, bool justId)
    {
        if (!ReferenceEquals(e.Consumer, consumer))
        {
            e.Consumer.PendingCount--;
            consumer.PendingCount++;
            e.Consumer = consumer;
        }
        e.DeliveryTimeMs = deliveryTimeMs;
        if (retryCount >= 0) e.DeliveryCount = retryCount;
        else if (!justId) e.DeliveryCount++;
    }

    /// <summary>Drops a PEL row (its entry was deleted from the stream).</summary>
    public void RemovePending(PendingEntry e)
    {
        if (!Pel.Remove(e)) return;
        e.Consumer.PendingCount--;
        SizeBytes -= PendingBytes;
    }

    /// <summary>XGROUP DELCONSUMER: removes the consumer and its PEL rows; returns how many it had, or -1 if absent.</summary>
    public long RemoveConsumer(ReadOnlySpan<byte> name)
    {
        int i = FindConsumer(name);
        if (i < 0) return -1;
        StreamConsumer c = Consumers[i];
        long pending = c.PendingCount;
        if (pending > 0)
        {
            int removed = Pel.RemoveWhere(e => ReferenceEquals(e.Consumer, c));
            SizeBytes -= (long)removed * PendingBytes;
        }
        Consumers.RemoveAt(i);
        SizeBytes -= ConsumerBytes + MemoryOf.ArrayOverhead + c.Name.Length;
        return pending;
    }

    /// <summary>XGROUP CREATECONSUMER: false if the consumer exists already.</summary>
    public bool TryCreateConsumer(ReadOnlySpan<byte> name, long nowMs)
    {
        if (FindConsumer(name) >= 0) return false;
        GetOrCreateConsumer(name, nowMs);
        return true;
    }

    /// <summary>XGROUP SETID: a new position and entries-read counter.</summary>
    public void SetPosition(StreamId lastDelivered, long entriesRead)
    {
        LastDeliveredId = lastDelivered;
        EntriesRead = entriesRead;
    }

    /// <summary>The PEL in ID order (XINFO STREAM FULL).</summary>
    public IReadOnlyCollection<PendingEntry> PendingEntries => Pel;

    internal StreamGroup DeepCopy()
    {
        var g = new StreamGroup((byte[])Name.Clone(), LastDeliveredId, EntriesRead);
        foreach (StreamConsumer c in Consumers) g.GetOrCreateConsumer(c.Name, c.SeenTimeMs);
        foreach (PendingEntry e in Pel) g.Restore(e.Id, g.Consumers[g.FindConsumer(e.Consumer.Name)], e.DeliveryTimeMs, e.DeliveryCount);
        return g;
    }

    /// <summary>Adds a PEL row as it was (a copy, a loaded payload): delivered to <paramref name="consumer"/> at <paramref name="time"/>, <paramref name="count"/> times.</summary>
    internal void Restore(StreamId id, StreamConsumer consumer, long time, long count)
    {
        Deliver(id, consumer, time);
        Pel.TryGetValue(new PendingEntry(id), out PendingEntry? e);
        e!.DeliveryCount = count;
    }

    // ---- Serialization (the group part of StreamValue's format version 2) ----
    //   name | lastDelivered.ms seq | entriesRead + 1 | consumerCount × (name | seenTime) |
    //   pelCount × (id.ms id.seq | consumer index | deliveryTime | deliveryCount)

    internal void Serialize(IBufferWriter<byte> output)
    {
        Varint.WriteBytes(output, Name);
        Varint.Write(output, LastDeliveredId.Ms);
        Varint.Write(output, LastDeliveredId.Seq);
        Varint.Write(output, (ulong)(EntriesRead + 1));
        Varint.Write(output, (ulong)Consumers.Count);
        foreach (StreamConsumer c in Consumers)
        {
            Varint.WriteBytes(output, c.Name);
            Varint.Write(output, (ulong)c.SeenTimeMs);
        }
        Varint.Write(output, (ulong)Pel.Count);
        foreach (PendingEntry e in Pel)
        {
            Varint.Write(output, e.Id.Ms);
            Varint.Write(output, e.Id.Seq);
            Varint.Write(output, (ulong)FindConsumer(e.Consumer.Name));
            Varint.Write(output, (ulong)e.DeliveryTimeMs);
            Varint.Write(output, (ulong)e.DeliveryCount);
        }
    }

    internal static StreamGroup? Read(ReadOnlySpan<byte> s, ref int pos)
    {
        if (!ReadBytes(s, ref pos, out byte[]? name)
            || !Varint.TryRead(s, ref pos, out ulong ms) || !Varint.TryRead(s, ref pos, out ulong seq)
            || !Varint.TryRead(s, ref pos, out ulong read) || read > long.MaxValue
            || !Varint.TryRead(s, ref pos, out ulong consumers) || consumers > (ulong)s.Length)
            return null;
        var g = new StreamGroup(name!, new StreamId(ms, seq), (long)read - 1);
        for (ulong i = 0; i < consumers; i++)
        {
            if (!ReadBytes(s, ref pos, out byte[]? cname) || !Varint.TryRead(s, ref pos, out ulong seen)) return null;
            if (g.FindConsumer(cname) >= 0 || g.Consumers.Count > 0 && g.Consumers[^1].Name.AsSpan().SequenceCompareTo(cname) > 0) return null;
            g.GetOrCreateConsumer(cname, (long)seen);
        }
        if (!Varint.TryRead(s, ref pos, out ulong pending) || pending > (ulong)s.Length) return null;
        for (ulong i = 0; i < pending; i++)
        {
            if (!Varint.TryRead(s, ref pos, out ulong pms) || !Varint.TryRead(s, ref pos, out ulong pseq)
                || !Varint.TryRead(s, ref pos, out ulong ci) || ci >= (ulong)g.Consumers.Count
                || !Varint.TryRead(s, ref pos, out ulong time) || !Varint.TryRead(s, ref pos, out ulong count)
                || count == 0 || count > long.MaxValue)
                return null;
            var id = new StreamId(pms, pseq);
            if (g.Pel.Count > 0 && g.Pel.Max!.Id >= id) return null;
            g.Restore(id, g.Consumers[(int)ci], (long)time, (long)count);
        }
        return g;
    }

    private static bool ReadBytes(ReadOnlySpan<byte> s, ref int pos, out byte[]? b)
    {
        b = null;
        if (!Varint.TryReadBytes(s, ref pos, out ReadOnlySpan<byte> bytes)) return false;
        b = bytes.ToArray();
        return true;
    }
}

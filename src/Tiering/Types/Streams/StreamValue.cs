namespace Tiered.Tiering.Types.Streams;

/// <summary>A stream entry ID: milliseconds and a sequence number, ordered as the pair (ms, seq).</summary>
public readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
{
    public static readonly StreamId Min = new(0, 0);
    public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

    public int CompareTo(StreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    public static bool operator <(StreamId a, StreamId b) => a.CompareTo(b) < 0;
    public static bool operator >(StreamId a, StreamId b) => a.CompareTo(b) > 0;
    public static bool operator <=(StreamId a, StreamId b) => a.CompareTo(b) <= 0;
    public static bool operator >=(StreamId a, StreamId b) => a.CompareTo(b) >= 0;

    /// <summary>The next ID in order; false if this is the maximum.</summary>
    public bool TryIncrement(out StreamId next)
    {
        if (Seq != ulong.MaxValue) { next = new(Ms, Seq + 1); return true; }
        if (Ms != ulong.MaxValue) { next = new(Ms + 1, 0); return true; }
        next = this;
        return false;
    }

    /// <summary>The previous ID in order; false if this is 0-0.</summary>
    public bool TryDecrement(out StreamId prev)
    {
        if (Seq != 0) { prev = new(Ms, Seq - 1); return true; }
        if (Ms != 0) { prev = new(Ms - 1, ulong.MaxValue); return true; }
        prev = this;
        return false;
    }

    /// <summary>Writes "ms-seq" into <paramref name="dest"/> (at least 41 bytes) and returns the length.</summary>
    public int Format(Span<byte> dest)
    {
        Utf8Formatter.TryFormat(Ms, dest, out int a);
        dest[a++] = (byte)'-';
        Utf8Formatter.TryFormat(Seq, dest[a..], out int b);
        return a + b;
    }

    public override string ToString()
    {
        Span<byte> buf = stackalloc byte[48];
        return System.Text.Encoding.ASCII.GetString(buf[..Format(buf)]);
    }
}

/// <summary>
/// One stream entry: its ID and its field/value pairs packed into one array
/// (<c>varint pairCount, then varint length + bytes for field, value, field, value...</c>).
/// </summary>
public readonly struct StreamEntry(StreamId id, byte[] data)
{
    public StreamId Id { get; } = id;

    /// <summary>The packed field/value pairs; read them with <see cref="GetFields"/>.</summary>
    public byte[] Data { get; } = data;

    /// <summary>Number of field/value pairs.</summary>
    public int PairCount
    {
        get
        {
            int pos = 0;
            Varint.TryRead(Data, ref pos, out ulong n);
            return (int)n;
        }
    }

    /// <summary>Iterates the fields and values in order (field, value, field, value...).</summary>
    public FieldEnumerator GetFields() => new(Data);

    /// <summary>Allocation-free walk over the packed strings.</summary>
    public ref struct FieldEnumerator
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _pos;
        private int _left;

        internal FieldEnumerator(byte[] data)
        {
            _data = data;
            Varint.TryRead(data, ref _pos, out ulong n);
            _left = (int)n * 2;
        }

        public ReadOnlySpan<byte> Current { get; private set; }

        public FieldEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_left == 0) return false;
            _left--;
            Varint.TryRead(_data, ref _pos, out ulong len);
            Current = _data.Slice(_pos, (int)len);
            _pos += (int)len;
            return true;
        }
    }
}

/// <summary>
/// A Redis stream: an append-mostly log of entries ordered by ID, plus the metadata XINFO shows.
///
/// Why a sorted array with a moving head (and not a B-tree or a radix tree of listpacks like Redis):
/// IDs only grow, so XADD always appends at the tail: amortized O(1) into an array. The other hot write is trimming
/// (XADD MAXLEN/MINID, XTRIM), which always removes from the head: we advance a head offset, O(removed), and compact
/// the array only when the dead prefix is larger than the live part, so repeated capped appends stay amortized O(1).
/// Every read (XRANGE, XREVRANGE, XREAD, seeking a group's position) starts with a binary search by ID: O(log N) on
/// a contiguous array, which is also the most cache-friendly layout. The only operation that pays O(N) is XDEL of an
/// entry in the middle (a memmove of the shorter side); Redis's XDEL is O(listpack size) as well and XDEL is rare.
/// A chunked B-tree would make XDEL O(log N) but cost per-chunk bookkeeping on every append and seek.
///
///     _items:  [ dead | dead | e(1-0) | e(1-1) | e(5-0) | ... | e(9-3) | free | free ]
///                            ^_head                             ^_head+_count-1
///
/// Each entry keeps its fields and values packed into one byte array (see <see cref="StreamEntry"/>): one allocation
/// per entry, compact in memory, and cheap to serialize.
///
/// Metadata (as Redis 7): last-generated-id (never goes back, even when entries are deleted), entries-added (all
/// entries ever added), max-deleted-entry-id (the largest ID removed by XDEL), recorded-first-entry-id (the first
/// live entry's ID, or 0-0), and the consumer groups (<see cref="StreamGroup"/>), kept in a list sorted by name.
/// A stream without groups is written in format version 1 (group count always 0); one with groups in version 2,
/// which appends the groups after the count. Both versions are read.
///
/// Radix-tree figures for XINFO: Redis stores entries in listpack nodes of up to 100 entries
/// (stream-node-max-entries); we report keys = ceil(length / 100) and nodes = keys + 1, which matches Redis for
/// streams filled by XADD only. "~" trimming likewise removes only whole 100-entry nodes' worth of entries.
///
/// Shared state rule: owned by one database entry; read or changed only under the store lock.
/// </summary>
public sealed class StreamValue : ValueObject
{
    /// <summary>stream-node-max-entries: the node size that approximate trimming works in.</summary>
    public const int NodeMaxEntries = 100;

    private const int EntrySlotBytes = 24; // StreamId (16) + array reference (8)
    private const int FixedBytes = 120;

    private StreamEntry[] _items = [];
    private int _head;
    private int _count;
    private long _dataBytes;
    private readonly List<StreamGroup> _groups = [];

    public override ValueKind Kind => ValueKind.Stream;

    public override long SizeBytes
    {
        get
        {
            long size = FixedBytes + (long)_items.Length * EntrySlotBytes + _dataBytes;
            foreach (StreamGroup g in _groups) size += g.SizeBytes; // groups are few: this walks groups, not entries
            return size;
        }
    }

    /// <summary>Live entries (XLEN). A stream may exist with 0 entries, so this is not <see cref="Count"/>'s rule.</summary>
    public long Length => _count;

    /// <summary>
    /// Streams are the one type Redis keeps when empty (after XDEL or XTRIM); the key is deleted only by DEL.
    /// Reporting 1 keeps <see cref="Database.Updated"/> from deleting an empty stream.
    /// </summary>
    public override long Count => 1;

    public override string Encoding => "stream";

    public override byte FormatVersion => _groups.Count == 0 ? (byte)1 : (byte)2;

    /// <summary>Replays one of this type's operation records (StreamOps.Apply).</summary>
    internal override bool Apply(OpArgs op) => StreamOps.Apply(this, op);

    /// <summary>The last ID generated by XADD (0-0 for a new stream).</summary>
    public StreamId LastId { get; set; }

    /// <summary>The largest ID deleted by XDEL.</summary>
    public StreamId MaxDeletedId { get; private set; }

    /// <summary>Number of entries ever added.</summary>
    public ulong EntriesAdded { get; private set; }

    /// <summary>The last live entry's ID, or 0-0 when empty (XSETID may not go below it).</summary>
    public StreamId LastEntryId => _count == 0 ? StreamId.Min : _items[_head + _count - 1].Id;

    /// <summary>
    /// XSETID: the last ID, and when given (not negative, not 0-0) the count of entries ever added and the largest
    /// deleted ID. The caller has checked them against the entries.
    /// </summary>
    internal void SetIds(StreamId lastId, long entriesAdded, StreamId maxDeletedId)
    {
        LastId = lastId;
        if (entriesAdded >= 0) EntriesAdded = (ulong)entriesAdded;
        if (maxDeletedId != StreamId.Min) MaxDeletedId = maxDeletedId;
    }

    /// <summary>The first live entry's ID, or 0-0 when empty (XINFO recorded-first-entry-id).</summary>
    public StreamId FirstId => _count == 0 ? StreamId.Min : _items[_head].Id;

    /// <summary>Number of consumer groups.</summary>
    public int GroupCount => _groups.Count;

    /// <summary>The groups in name order.</summary>
    public IReadOnlyList<StreamGroup> Groups => _groups;

    /// <summary>The group called <paramref name="name"/>, or null.</summary>
    public StreamGroup? FindGroup(ReadOnlySpan<byte> name)
    {
        int i = GroupIndex(name);
        return i >= 0 ? _groups[i] : null;
    }

    /// <summary>Adds a group; false if one with that name exists.</summary>
    public bool AddGroup(StreamGroup group)
    {
        int i = GroupIndex(group.Name);
        if (i >= 0) return false;
        _groups.Insert(~i, group);
        return true;
    }

    /// <summary>Removes a group; false if absent.</summary>
    public bool RemoveGroup(ReadOnlySpan<byte> name)
    {
        int i = GroupIndex(name);
        if (i < 0) return false;
        _groups.RemoveAt(i);
        return true;
    }

    private int GroupIndex(ReadOnlySpan<byte> name) => INamed.Find(_groups, name);

    /// <summary>True if an entry with this ID is in the stream.</summary>
    public bool Contains(StreamId id)
    {
        int i = LowerBound(id);
        return i < _count && _items[_head + i].Id == id;
    }

    // ---- Consumer-group lag (Redis 7's entries-read bookkeeping) ----
    //
    // A group's entries-read counts the entries it has been delivered, in the stream's "entries ever added"
    // numbering, so lag = entries-added - entries-read. The counter is exact only while no XDEL hole lies after the
    // group's position; otherwise it is re-estimated from what the stream knows (its first and last entries).

    /// <summary>True if an XDEL may have left a hole at or after <paramref name="start"/> (Redis's streamRangeHasTombstones).</summary>
    public bool HasTombstonesFrom(StreamId start)
        => _count != 0 && MaxDeletedId != StreamId.Min && start <= MaxDeletedId;

    /// <summary>
    /// The entries-read value of a position at <paramref name="id"/> when it can be known, else -1
    /// (Redis's streamEstimateDistanceFromFirstEverEntry).
    /// </summary>
    public long EstimateEntriesRead(StreamId id)
    {
        if (EntriesAdded == 0) return 0;
        if (_count == 0 && id <= LastId) return (long)EntriesAdded;
        int cmpLast = id.CompareTo(LastId);
        if (cmpLast == 0) return (long)EntriesAdded;
        if (cmpLast > 0) return -1;
        if (MaxDeletedId == StreamId.Min || MaxDeletedId < FirstId)
        {
            int cmpFirst = id.CompareTo(FirstId);
            if (cmpFirst < 0) return (long)EntriesAdded - _count;
            if (cmpFirst == 0) return (long)EntriesAdded - _count + 1;
        }
        return -1;
    }

    /// <summary>The group's lag (entries not yet delivered to it), or -1 when it cannot be known (XINFO replies nil).</summary>
    public long Lag(StreamGroup g)
    {
        if (EntriesAdded == 0) return 0;
        if (g.EntriesRead >= 0 && !HasTombstonesFrom(g.LastDeliveredId)) return (long)EntriesAdded - g.EntriesRead;
        long read = EstimateEntriesRead(g.LastDeliveredId);
        return read < 0 ? -1 : (long)EntriesAdded - read;
    }

    /// <summary>Moves a group's position to <paramref name="id"/> after delivering that entry, keeping entries-read right.</summary>
    public void AdvanceGroup(StreamGroup g, StreamId id)
    {
        if (id <= g.LastDeliveredId) return;
        if (g.EntriesRead >= 0 && !HasTombstonesFrom(id)) g.EntriesRead++;
        else if (EntriesAdded != 0) g.EntriesRead = EstimateEntriesRead(id);
        g.LastDeliveredId = id;
    }

    /// <summary>Entry <paramref name="i"/> in ID order (0 ≤ i &lt; Length).</summary>
    public ref readonly StreamEntry At(int i) => ref _items[_head + i];

    /// <summary>Index of the first entry with ID ≥ <paramref name="id"/> (Length if none).</summary>
    public int LowerBound(StreamId id)
    {
        int lo = _head, hi = _head + _count;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_items[mid].Id < id) lo = mid + 1;
            else hi = mid;
        }
        return lo - _head;
    }

    /// <summary>Index of the first entry with ID &gt; <paramref name="id"/> (Length if none).</summary>
    public int UpperBound(StreamId id)
    {
        int lo = _head, hi = _head + _count;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_items[mid].Id <= id) lo = mid + 1;
            else hi = mid;
        }
        return lo - _head;
    }

    /// <summary>
    /// Appends an entry with <paramref name="id"/>, which must be greater than <see cref="LastId"/>, and the
    /// field/value strings (field, value, field, value...).
    /// </summary>
    public void Append<T>(StreamId id, in T fieldsAndValues) where T : IByteStrings
    {
        int n = fieldsAndValues.Count;
        int size = Varint.Size((ulong)(n / 2));
        for (int i = 0; i < n; i++) size += Varint.Size((ulong)fieldsAndValues.Get(i).Length) + fieldsAndValues.Get(i).Length;
        byte[] data = new byte[size];
        int pos = Varint.Write(data, (ulong)(n / 2));
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<byte> s = fieldsAndValues.Get(i);
            pos += Varint.Write(data.AsSpan(pos), (ulong)s.Length);
            s.CopyTo(data.AsSpan(pos));
            pos += s.Length;
        }
        AppendRaw(new StreamEntry(id, data));
        LastId = id;
        EntriesAdded++;
    }

    private void AppendRaw(StreamEntry e)
    {
        if (_head + _count == _items.Length)
        {
            if (_head > 0 && _head >= _count) Compact();
            else Array.Resize(ref _items, Math.Max(4, _items.Length * 2));
        }
        _items[_head + _count++] = e;
        _dataBytes += MemoryOf.ArrayOverhead + e.Data.Length;
    }

    /// <summary>Moves the live entries to the front of the array and shrinks it if it is mostly empty.</summary>
    private void Compact()
    {
        int capacity = Math.Max(4, _count * 2);
        var items = capacity < _items.Length ? new StreamEntry[capacity] : _items;
        Array.Copy(_items, _head, items, 0, _count);
        if (ReferenceEquals(items, _items)) Array.Clear(_items, _count, _head);
        _items = items;
        _head = 0;
    }

    /// <summary>XDEL of one ID: true if it existed.</summary>
    public bool Delete(StreamId id)
    {
        int i = LowerBound(id);
        if (i == _count || _items[_head + i].Id != id) return false;
        _dataBytes -= MemoryOf.ArrayOverhead + _items[_head + i].Data.Length;
        int abs = _head + i;
        if (i < _count / 2)
        {
            Array.Copy(_items, _head, _items, _head + 1, i);
            _items[_head++] = default;
        }
        else
        {
            Array.Copy(_items, abs + 1, _items, abs, _count - i - 1);
            _items[_head + _count - 1] = default;
        }
        _count--;
        if (_count == 0) _head = 0;
        if (id > MaxDeletedId) MaxDeletedId = id;
        return true;
    }

    /// <summary>
    /// Removes the first <paramref name="n"/> entries, rounded down to whole nodes when <paramref name="approx"/>
    /// (never more than <paramref name="limit"/> entries when limit &gt; 0). Returns the number removed.
    /// </summary>
    public long TrimHead(long n, bool approx, long limit)
    {
        if (limit > 0 && n > limit) n = limit;
        if (approx) n -= n % NodeMaxEntries;
        if (n <= 0) return 0;
        for (int i = 0; i < n; i++)
        {
            _dataBytes -= MemoryOf.ArrayOverhead + _items[_head + i].Data.Length;
            _items[_head + i] = default;
        }
        _head += (int)n;
        _count -= (int)n;
        if (_count == 0) _head = 0;
        else if (_head > _count && _head > 64) Compact();
        return n;
    }

    public override object DeepCopy()
    {
        var copy = new StreamValue
        {
            _items = new StreamEntry[Math.Max(4, _count)],
            _count = _count,
            _dataBytes = _dataBytes,
            LastId = LastId,
            MaxDeletedId = MaxDeletedId,
            EntriesAdded = EntriesAdded,
        };
        for (int i = 0; i < _count; i++)
        {
            StreamEntry e = _items[_head + i];
            copy._items[i] = new StreamEntry(e.Id, (byte[])e.Data.Clone());
        }
        foreach (StreamGroup g in _groups) copy._groups.Add(g.DeepCopy());
        return copy;
    }

    // ---- Serialization ----
    //
    // Version 1 payload (all integers are LEB128 varints):
    //   lastId.ms lastId.seq | maxDeleted.ms maxDeleted.seq | entriesAdded | count |
    //   count × ( ms - previous ms | seq | data length | data ) | groupCount (always 0 in version 1)
    // Version 2 (written when there are groups): the same, then groupCount × group (see StreamGroup.Serialize).

    public override void Serialize(IBufferWriter<byte> output)
    {
        Varint.Write(output, LastId.Ms);
        Varint.Write(output, LastId.Seq);
        Varint.Write(output, MaxDeletedId.Ms);
        Varint.Write(output, MaxDeletedId.Seq);
        Varint.Write(output, EntriesAdded);
        Varint.Write(output, (ulong)_count);
        ulong prevMs = 0;
        for (int i = 0; i < _count; i++)
        {
            StreamEntry e = _items[_head + i];
            Varint.Write(output, e.Id.Ms - prevMs);
            Varint.Write(output, e.Id.Seq);
            prevMs = e.Id.Ms;
            Varint.WriteBytes(output, e.Data);
        }
        Varint.Write(output, (ulong)_groups.Count);
        foreach (StreamGroup g in _groups) g.Serialize(output);
    }

    /// <summary>Decodes a payload written by <see cref="Serialize"/>; null for an unknown version or bad bytes.</summary>
    public static StreamValue? Read(byte version, ReadOnlySpan<byte> payload)
    {
        if (version is not (1 or 2)) return null;
        int pos = 0;
        if (!Varint.TryRead(payload, ref pos, out ulong lastMs) || !Varint.TryRead(payload, ref pos, out ulong lastSeq)
            || !Varint.TryRead(payload, ref pos, out ulong delMs) || !Varint.TryRead(payload, ref pos, out ulong delSeq)
            || !Varint.TryRead(payload, ref pos, out ulong added) || !Varint.TryRead(payload, ref pos, out ulong count)
            || count > (ulong)payload.Length)
            return null;
        var s = new StreamValue
        {
            LastId = new StreamId(lastMs, lastSeq),
            MaxDeletedId = new StreamId(delMs, delSeq),
            EntriesAdded = added,
            _items = new StreamEntry[Math.Max(4, (int)count)],
        };
        ulong ms = 0;
        bool first = true;
        StreamId prev = default;
        for (ulong i = 0; i < count; i++)
        {
            if (!Varint.TryRead(payload, ref pos, out ulong dms) || !Varint.TryRead(payload, ref pos, out ulong seq)
                || !Varint.TryReadBytes(payload, ref pos, out ReadOnlySpan<byte> entry))
                return null;
            if (dms > ulong.MaxValue - ms) return null;
            ms += dms;
            var id = new StreamId(ms, seq);
            if (!first && id <= prev || id > s.LastId) return null;
            byte[] data = entry.ToArray();
            if (!ValidData(data)) return null;
            s.AppendRaw(new StreamEntry(id, data));
            prev = id;
            first = false;
        }
        if (!Varint.TryRead(payload, ref pos, out ulong groups) || (version == 1 ? groups != 0 : groups == 0 || groups > (ulong)payload.Length))
            return null;
        for (ulong i = 0; i < groups; i++)
        {
            StreamGroup? g = StreamGroup.Read(payload, ref pos);
            if (g is null || s._groups.Count > 0 && s._groups[^1].Name.AsSpan().SequenceCompareTo(g.Name) >= 0) return null;
            s._groups.Add(g);
        }
        return pos == payload.Length ? s : null;
    }

    /// <summary>True if <paramref name="data"/> is a well-formed packed field/value list with at least one pair.</summary>
    private static bool ValidData(ReadOnlySpan<byte> data)
    {
        int pos = 0;
        if (!Varint.TryRead(data, ref pos, out ulong pairs) || pairs == 0 || pairs > (ulong)data.Length) return false;
        for (ulong i = 0; i < pairs * 2; i++)
        {
            if (!Varint.TryReadBytes(data, ref pos, out _)) return false;
        }
        return pos == data.Length;
    }
}

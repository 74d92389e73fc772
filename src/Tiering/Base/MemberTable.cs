namespace Tiered.Tiering.Base;

/// <summary>
/// The storage shared by <see cref="HashValue"/> (member = field, with a value) and <see cref="SetValue"/> (members
/// only): binary-safe byte strings with O(1) lookup, insert and delete, a SCAN cursor that survives any change, and
/// O(1) uniform random picks.
///
/// Why this shape: a plain <c>Dictionary</c> gives fast lookups but no stable position for a SCAN cursor and no
/// uniform random entry. So the members live in slot arrays in insertion order, and a dictionary maps each member
/// to its slot; the dictionary is probed with the argument span itself (<see cref="ByteArrayComparer"/>'s alternate
/// lookup), so reads and deletes never allocate.
///
///   map:      { "b" -> 1, "a" -> 0, "d" -> 3 }            Dictionary&lt;byte[], int&gt; (the same byte[] objects)
///   members:  [ "a" | "b" | null | "d" | -- free -- ]      slot i; null = deleted, compacted away later
///   values:   [ "1" | "2" | null | "4" | ... ]            hashes only
///   seq:      [  1  |  2  |  3   |  5  | ... ]            insertion number of the slot, strictly increasing
///   used = 4 (high-water mark), nextSeq = 6
///
/// Inserts always append at <c>used</c>; deletes only null their slot. When the deleted slots outnumber the live
/// ones (and on an append that finds the arrays full but half dead), the live entries slide down in order: a
/// compaction, O(n) but paid for by the n/2 deletes before it. Hence at least half the slots below <c>used</c> are
/// live (for more than 8 slots), so a random pick needs two probes on average and is uniform over the members.
///
/// SCAN cursor: the insertion number, not the slot. <c>seq</c> increases along the slots and compaction keeps the
/// order, so "the first slot whose seq is at least the cursor" (a binary search) is exactly where the last call
/// stopped, however many compactions happened in between. A member present for the whole scan is returned exactly
/// once; a member added during the scan has a larger number and may or may not be seen (Redis's guarantee).
///
/// Memory is charged incrementally: <see cref="SizeBytes"/> is computed in O(1) from the array capacities and a
/// running total of the member/value arrays, never by walking the table.
///
/// Shared state rule: owned by its value object, used only under the store lock.
/// </summary>
internal sealed class MemberTable
{
    private const int MinCapacity = 4;

    /// <summary>Estimated bytes per dictionary slot: entry (hash, next, key ref, value) 24 B + bucket 4 B.</summary>
    private const int DictionarySlotBytes = 28;

    private readonly Dictionary<byte[], int> _map;
    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private byte[]?[] _members;
    private byte[]?[]? _values;
    private long[] _seq;
    private int _used;
    private long _nextSeq = 1;
    private long _payload;

    public MemberTable(bool withValues, int capacity = 0)
    {
        int cap = Math.Max(MinCapacity, capacity);
        _map = new Dictionary<byte[], int>(capacity, ByteArrayComparer.Instance);
        _lookup = _map.GetAlternateLookup<ReadOnlySpan<byte>>();
        _members = new byte[]?[cap];
        _values = withValues ? new byte[]?[cap] : null;
        _seq = new long[cap];
    }

    /// <summary>Live members.</summary>
    public int Count => _map.Count;

    /// <summary>Slots below this may be live.</summary>
    public int HighWater => _used;

    /// <summary>Bytes of the member and value arrays (with their headers).</summary>
    public long PayloadBytes => _payload;

    /// <summary>Estimated DRAM footprint: the dictionary, the slot arrays and the byte strings.</summary>
    public long SizeBytes
        => 200 + (long)_map.EnsureCapacity(0) * DictionarySlotBytes
           + (long)_members.Length * (_values is null ? 16 : 24) + _payload;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsLive(int slot) => _members[slot] != null;

    public byte[] MemberAt(int slot) => _members[slot]!;

    public byte[] ValueAt(int slot) => _values![slot]!;

    /// <summary>The insertion number of a slot (the SCAN cursor that resumes at it).</summary>
    public long SequenceAt(int slot) => _seq[slot];

    /// <summary>The slot of <paramref name="member"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> member) => _lookup.TryGetValue(member, out int slot) ? slot : -1;

    /// <summary>
    /// Adds <paramref name="member"/> if absent (true, with its new slot; a hash must then call
    /// <see cref="SetValueAt"/>), or returns false with the existing slot. Only a real insert allocates.
    /// </summary>
    public bool Add(ReadOnlySpan<byte> member, out int slot)
    {
        if (_lookup.TryGetValue(member, out slot)) return false;
        slot = Append(member.ToArray());
        return true;
    }

    /// <summary>Adds a member known to be absent, taking ownership of the array. Returns its slot.</summary>
    public int AddOwned(byte[] member) => Append(member);

    private int Append(byte[] member)
    {
        if (_used == _members.Length)
        {
            if (Count <= _used / 2) Compact(_members.Length);
            else Compact(_members.Length * 2);
        }
        int slot = _used++;
        _members[slot] = member;
        _seq[slot] = _nextSeq++;
        _map.Add(member, slot);
        _payload += MemoryOf.ArrayOverhead + member.Length;
        return slot;
    }

    /// <summary>Stores the value of a hash entry (the array is kept, not copied).</summary>
    public void SetValueAt(int slot, byte[] value)
    {
        byte[]? old = _values![slot];
        if (old != null) _payload -= MemoryOf.ArrayOverhead + old.Length;
        _values[slot] = value;
        _payload += MemoryOf.ArrayOverhead + value.Length;
    }

    /// <summary>Stores the value of a hash entry, reusing the old array when the length is unchanged.</summary>
    public void SetValueAt(int slot, ReadOnlySpan<byte> value)
    {
        byte[]? old = _values![slot];
        if (old != null && old.Length == value.Length) value.CopyTo(old);
        else SetValueAt(slot, value.ToArray());
    }

    /// <summary>Removes <paramref name="member"/>; false if it was absent.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (!_lookup.Remove(member, out _, out int slot)) return false;
        FreeSlot(slot);
        return true;
    }

    /// <summary>Removes the live entry at <paramref name="slot"/>.</summary>
    public void RemoveAt(int slot)
    {
        _map.Remove(_members[slot]!);
        FreeSlot(slot);
    }

    private void FreeSlot(int slot)
    {
        byte[] member = _members[slot]!;
        _payload -= MemoryOf.ArrayOverhead + member.Length;
        _members[slot] = null;
        if (_values != null)
        {
            byte[] value = _values[slot]!;
            _payload -= MemoryOf.ArrayOverhead + value.Length;
            _values[slot] = null;
        }
        while (_used > 0 && _members[_used - 1] == null) _used--;
        int dead = _used - Count;
        if (dead > Count && _used > 8)
        {
            int cap = _members.Length;
            while (cap > MinCapacity && cap / 4 >= Math.Max(Count, MinCapacity)) cap /= 2;
            Compact(cap);
            if (_map.EnsureCapacity(0) > 4 * Count + 16) _map.TrimExcess();
        }
    }

    /// <summary>Slides the live entries down in order into arrays of <paramref name="capacity"/> slots.</summary>
    private void Compact(int capacity)
    {
        byte[]?[] members = capacity == _members.Length ? _members : new byte[]?[capacity];
        byte[]?[]? values = _values is null ? null : capacity == _values.Length ? _values : new byte[]?[capacity];
        long[] seq = capacity == _seq.Length ? _seq : new long[capacity];
        int w = 0;
        for (int r = 0; r < _used; r++)
        {
            byte[]? m = _members[r];
            if (m is null) continue;
            members[w] = m;
            if (values != null) values[w] = _values![r];
            seq[w] = _seq[r];
            if (w != r) CollectionsMarshal.GetValueRefOrNullRef(_map, m) = w;
            w++;
        }
        if (members == _members)
        {
            Array.Clear(members, w, _used - w);
            if (values != null) Array.Clear(values, w, _used - w);
        }
        _members = members;
        _values = values;
        _seq = seq;
        _used = w;
    }

    /// <summary>A uniformly random live slot. The table must not be empty.</summary>
    public int RandomSlot()
    {
        if (Count == 0) throw new InvalidOperationException("empty table");
        // At least half the slots are live once there are more than 8 (see FreeSlot), so this ends quickly.
        while (true)
        {
            int s = Random.Shared.Next(_used);
            if (_members[s] != null) return s;
        }
    }

    /// <summary>The first slot whose insertion number is at least <paramref name="cursor"/> (HighWater if none).</summary>
    public int PositionOf(ulong cursor)
    {
        int lo = 0, hi = _used;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if ((ulong)_seq[mid] < cursor) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// One SCAN step: the slots [<paramref name="start"/>, <paramref name="end"/>) hold the next
    /// <paramref name="count"/> live entries from <paramref name="cursor"/> on (all of them when
    /// <paramref name="whole"/>, which also ignores the cursor, as Redis does for its compact encodings). Returns
    /// the cursor to continue with, 0 when the iteration is complete.
    /// </summary>
    public ulong ScanRange(ulong cursor, long count, bool whole, out int start, out int end)
    {
        start = whole ? 0 : PositionOf(cursor);
        int i = start;
        long examined = 0;
        for (; i < _used && (whole || examined < count); i++)
            if (_members[i] != null) examined++;
        end = i;
        return i < _used ? (ulong)_seq[i] : 0;
    }

    /// <summary>
    /// Appends <paramref name="count"/> distinct random live slots (every slot, in order, when
    /// <paramref name="count"/> is at least <see cref="Count"/>). Like Redis: a near-complete sample is drawn by a
    /// partial shuffle of all slots, a small one by rejection sampling.
    /// </summary>
    public void RandomDistinctSlots(long count, List<int> into)
    {
        int first = into.Count;
        if (count >= Count || count * 3 > Count)
        {
            for (int i = 0; i < _used; i++)
                if (_members[i] != null) into.Add(i);
            if (count >= Count) return;
            Span<int> all = CollectionsMarshal.AsSpan(into)[first..];
            for (int i = 0; i < count; i++)
            {
                int j = Random.Shared.Next(i, all.Length);
                (all[i], all[j]) = (all[j], all[i]);
            }
            into.RemoveRange(first + (int)count, all.Length - (int)count);
            return;
        }
        var picked = new HashSet<int>((int)count);
        while (picked.Count < count)
        {
            int s = RandomSlot();
            if (picked.Add(s)) into.Add(s);
        }
    }

    /// <summary>An independent copy, in the same order.</summary>
    public MemberTable Clone()
    {
        var copy = new MemberTable(_values != null, Count);
        for (int i = 0; i < _used; i++)
        {
            byte[]? m = _members[i];
            if (m is null) continue;
            int slot = copy.AddOwned((byte[])m.Clone());
            if (_values != null) copy.SetValueAt(slot, (byte[])_values[i]!.Clone());
        }
        return copy;
    }

    // Serialized form: varint count, then per entry varint length + member bytes (+ varint length + value bytes).

    /// <summary>Writes the entries in slot order.</summary>
    public void Serialize(IBufferWriter<byte> output)
    {
        Varint.Write(output, (ulong)Count);
        for (int i = 0; i < _used; i++)
        {
            byte[]? m = _members[i];
            if (m is null) continue;
            Varint.WriteBytes(output, m);
            if (_values != null) Varint.WriteBytes(output, _values[i]!);
        }
    }

    /// <summary>Parses <see cref="Serialize"/>'s output; null on truncation, trailing bytes or a duplicate member.</summary>
    public static MemberTable? Read(ReadOnlySpan<byte> payload, bool withValues)
    {
        int pos = 0;
        if (!Varint.TryRead(payload, ref pos, out ulong count) || count > (ulong)payload.Length) return null;
        var table = new MemberTable(withValues, (int)count);
        for (ulong n = 0; n < count; n++)
        {
            if (!Varint.TryReadBytes(payload, ref pos, out ReadOnlySpan<byte> member)) return null;
            if (!table.Add(member, out int slot)) return null;
            if (withValues)
            {
                if (!Varint.TryReadBytes(payload, ref pos, out ReadOnlySpan<byte> value)) return null;
                table.SetValueAt(slot, value.ToArray());
            }
        }
        return pos == payload.Length ? table : null;
    }
}

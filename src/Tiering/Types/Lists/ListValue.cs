namespace Tiered.Tiering.Types.Lists;

// Why a circular buffer
// ---------------------
// A Redis list is used as a queue or a stack far more often than as an array: LPUSH/RPOP, RPUSH/LPOP, LMOVE between
// two lists, and the blocking pops the server will build on the same operations. So the structure must push and pop
// at both ends in O(1). LRANGE, LINDEX and LSET are the next most frequent, and a ring gives them O(1) access to any
// position, where Redis's quicklist (a linked list of listpacks) walks nodes from the nearer end.
//
//                 _head                     _head + _count - 1   (all positions are taken & _mask)
//                   v                                v
//   _items  [ e3 | e4 | .. free .. | e0 | e1 | e2 ]             one slot = one reference to an element byte[]
//             ^^^^^^^ wrapped tail   ^^^^^^^^^^^^^ head part
//
// The capacity is a power of two so a logical index maps to a slot with one AND. The buffer doubles when full and
// halves when a quarter full (both amortized O(1)), so a queue that drained after a burst gives its slots back.
// Inserting or removing in the middle (LINSERT, LREM) moves the shorter side, O(N) as in Redis. LTRIM drops slots at
// the ends without touching the survivors.
//
// Elements are exact-length byte[] arrays that are never changed after they are stored (LSET stores a new array), so
// a popped element can be handed to the caller as is and a range can be answered by reference under the lock.
//
// Why not a linked list or a quicklist clone: per-node objects cost the GC far more than a flat array of references,
// and the listpack packing Redis does (to save pointers) matters less here than allocation-free pushes and pops. The
// price is one reference (8 B) plus one array header (24 B) per element, which the memory estimate charges.
//
// Memory is tracked incrementally: _elementBytes is the sum over elements of (array header + length), updated by
// every add and remove; the slot array is charged by its capacity. SizeBytes is therefore O(1).
//
// Encoding (OBJECT ENCODING): Redis 7.2's list-max-listpack-size default is -2, i.e. a listpack of at most 8 KB. We
// use the simple rule "listpack while the list has at most 128 elements and none is longer than 64 bytes (so at most
// 8 KB of element data), quicklist otherwise". It is derived from the current contents (a counter of long elements
// keeps it O(1)), so a list that shrinks back reports listpack again, like Redis's conversion back at a fraction of
// the limit, without its hysteresis. (Redis 7.0 itself reports every list as quicklist; the listpack/quicklist split
// is 7.2's, chosen here so OBJECT ENCODING says something useful about the list's size class.)
//
// Serialized payload (format version 1):
//   varint count, then count × (varint length, length bytes)
// varints are unsigned LEB128 (7 bits per byte, low group first).

/// <summary>A Redis list: a double-ended queue of byte strings in a growable circular buffer.</summary>
public sealed class ListValue : ValueObject
{
    /// <summary>Elements a listpack-encoded list may hold.</summary>
    public const int ListpackMaxEntries = 128;

    /// <summary>Longest element a listpack-encoded list may hold.</summary>
    public const int ListpackMaxValue = 64;

    private const int MinCapacity = 4;
    private const int ObjectOverhead = 48;
    private const int ElementOverhead = 24;

    private byte[][] _items;
    private int _head;
    private int _count;
    private int _mask;
    private long _elementBytes;
    private int _longElements;

    public ListValue() : this(0) { }

    /// <summary>An empty list with room for <paramref name="capacity"/> elements.</summary>
    public ListValue(int capacity)
    {
        if (capacity <= 0) { _items = []; _mask = -1; return; }
        int cap = (int)Math.Max(MinCapacity, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity));
        _items = new byte[cap][];
        _mask = cap - 1;
    }

    public override ValueKind Kind => ValueKind.List;

    public override long Count => _count;

    /// <summary>Number of elements, as an int.</summary>
    public int Length => _count;

    public override long SizeBytes => ObjectOverhead + MemoryOf.ArrayOverhead + 8L * _items.Length + _elementBytes;

    public override string Encoding
        => _count <= ListpackMaxEntries && _longElements == 0 ? "listpack" : "quicklist";

    public override byte FormatVersion => 1;

    /// <summary>Replays one of this type's operation records (ListOps.Apply).</summary>
    internal override bool Apply(OpArgs op) => ListOps.Apply(this, op);

    /// <summary>The element at <paramref name="index"/> (0 ≤ index &lt; Length). The array must not be changed.</summary>
    public byte[] this[int index] => _items[(_head + index) & _mask];

    /// <summary>Adds an element at the head (copied).</summary>
    public void PushLeft(ReadOnlySpan<byte> element) => PushLeftOwned(element.ToArray());

    /// <summary>Adds an element at the tail (copied).</summary>
    public void PushRight(ReadOnlySpan<byte> element) => PushRightOwned(element.ToArray());

    /// <summary>Adds an element at the head, taking ownership of the array.</summary>
    public void PushLeftOwned(byte[] element)
    {
        if (_count == _items.Length) Resize(Math.Max(MinCapacity, _items.Length * 2));
        _head = (_head - 1) & _mask;
        _items[_head] = element;
        _count++;
        Charge(element);
    }

    /// <summary>Adds an element at the tail, taking ownership of the array.</summary>
    public void PushRightOwned(byte[] element)
    {
        if (_count == _items.Length) Resize(Math.Max(MinCapacity, _items.Length * 2));
        _items[(_head + _count) & _mask] = element;
        _count++;
        Charge(element);
    }

    /// <summary>Removes and returns the head (left) or tail element; null when empty.</summary>
    public byte[]? Pop(bool left)
    {
        if (_count == 0) return null;
        int slot = left ? _head : (_head + _count - 1) & _mask;
        byte[] e = _items[slot];
        _items[slot] = null!;
        if (left) _head = (_head + 1) & _mask;
        _count--;
        Discharge(e);
        MaybeShrink();
        return e;
    }

    /// <summary>Replaces the element at <paramref name="index"/> (0 ≤ index &lt; Length), taking ownership of the array.</summary>
    public void SetOwned(int index, byte[] element)
    {
        int slot = (_head + index) & _mask;
        Discharge(_items[slot]);
        _items[slot] = element;
        Charge(element);
    }

    /// <summary>
    /// Inserts an element so that it ends up at <paramref name="index"/> (0 ≤ index ≤ Length), taking ownership of the
    /// array. Moves the shorter side: O(min(index, Length - index)).
    /// </summary>
    public void InsertOwned(int index, byte[] element)
    {
        if (index == 0) { PushLeftOwned(element); return; }
        if (index == _count) { PushRightOwned(element); return; }
        if (_count == _items.Length) Resize(_items.Length * 2);
        if (index < _count - index)
        {
            // Shift the first `index` elements one slot to the left.
            _head = (_head - 1) & _mask;
            for (int i = 0; i < index; i++)
                _items[(_head + i) & _mask] = _items[(_head + i + 1) & _mask];
        }
        else
        {
            // Shift the elements from `index` on one slot to the right.
            for (int i = _count; i > index; i--)
                _items[(_head + i) & _mask] = _items[(_head + i - 1) & _mask];
        }
        _items[(_head + index) & _mask] = element;
        _count++;
        Charge(element);
    }

    /// <summary>Position of the first element equal to <paramref name="value"/> from the head, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> value)
    {
        for (int i = 0; i < _count; i++)
            if (value.SequenceEqual(_items[(_head + i) & _mask])) return i;
        return -1;
    }

    /// <summary>
    /// LREM: removes up to |<paramref name="limit"/>| elements equal to <paramref name="value"/> (0: all), scanning
    /// from the head when limit ≥ 0 and from the tail when negative. One compacting pass, O(N). Returns the number removed.
    /// </summary>
    public int RemoveMatches(ReadOnlySpan<byte> value, long limit)
    {
        bool fromTail = limit < 0;
        long max = limit == 0 ? long.MaxValue : (fromTail ? -limit : limit);
        int removed = 0;
        if (!fromTail)
        {
            int w = 0;
            for (int r = 0; r < _count; r++)
            {
                byte[] e = _items[(_head + r) & _mask];
                if (removed < max && value.SequenceEqual(e)) { removed++; Discharge(e); continue; }
                if (w != r) _items[(_head + w) & _mask] = e;
                w++;
            }
            for (int i = w; i < _count; i++) _items[(_head + i) & _mask] = null!;
        }
        else
        {
            int w = _count - 1;
            for (int r = _count - 1; r >= 0; r--)
            {
                byte[] e = _items[(_head + r) & _mask];
                if (removed < max && value.SequenceEqual(e)) { removed++; Discharge(e); continue; }
                if (w != r) _items[(_head + w) & _mask] = e;
                w--;
            }
            for (int i = 0; i <= w; i++) _items[(_head + i) & _mask] = null!;
            _head = (_head + removed) & _mask;
        }
        _count -= removed;
        MaybeShrink();
        return removed;
    }

    /// <summary>LTRIM: keeps the elements from <paramref name="start"/> to <paramref name="end"/> inclusive (already normalized, 0 ≤ start ≤ end &lt; Length).</summary>
    public void Keep(int start, int end)
    {
        for (int i = 0; i < start; i++) Drop((_head + i) & _mask);
        for (int i = end + 1; i < _count; i++) Drop((_head + i) & _mask);
        _head = (_head + start) & _mask;
        _count = end - start + 1;
        MaybeShrink();
    }

    /// <summary>Removes every element.</summary>
    public void Clear()
    {
        _items = [];
        _mask = -1;
        _head = 0;
        _count = 0;
        _elementBytes = 0;
        _longElements = 0;
    }

    /// <summary>Moves the element at one end to the other end in O(1) (LMOVE of a list onto itself).</summary>
    public void Rotate(bool fromLeft)
    {
        if (_count < 2) return;
        if (fromLeft)
        {
            // head element goes to the tail: the slot after the tail is the head slot once the head advances.
            byte[] e = _items[_head];
            _items[_head] = null!;
            _head = (_head + 1) & _mask;
            _items[(_head + _count - 1) & _mask] = e;
        }
        else
        {
            int tail = (_head + _count - 1) & _mask;
            byte[] e = _items[tail];
            _items[tail] = null!;
            _head = (_head - 1) & _mask;
            _items[_head] = e;
        }
    }

    public override object DeepCopy()
    {
        var copy = new ListValue(_count);
        for (int i = 0; i < _count; i++) copy.PushRightOwned((byte[])this[i].Clone());
        return copy;
    }

    public override void Serialize(IBufferWriter<byte> output)
    {
        Varint.Write(output, (ulong)_count);
        for (int i = 0; i < _count; i++)
        {
            Varint.WriteBytes(output, this[i]);
        }
    }

    /// <summary>Decodes a payload written by <see cref="Serialize"/>; null for an unknown version or a malformed payload.</summary>
    public static ListValue? Read(byte version, ReadOnlySpan<byte> payload)
    {
        if (version != 1) return null;
        int pos = 0;
        if (!Varint.TryRead(payload, ref pos, out ulong count)) return null;
        // Every element takes at least its one-byte length, which bounds the count before anything is allocated.
        if (count > (ulong)(payload.Length - pos)) return null;
        var list = new ListValue((int)count);
        for (ulong i = 0; i < count; i++)
        {
            if (!Varint.TryReadBytes(payload, ref pos, out ReadOnlySpan<byte> element)) return null;
            list.PushRightOwned(element.ToArray());
        }
        return pos == payload.Length ? list : null;
    }

    /// <summary>True if both lists hold equal elements in the same order.</summary>
    public bool ContentEquals(ListValue other)
    {
        if (other._count != _count) return false;
        for (int i = 0; i < _count; i++)
            if (!this[i].AsSpan().SequenceEqual(other[i])) return false;
        return true;
    }

    private void Drop(int slot)
    {
        Discharge(_items[slot]);
        _items[slot] = null!;
    }

    private void Charge(byte[] e)
    {
        _elementBytes += ElementOverhead + e.Length;
        if (e.Length > ListpackMaxValue) _longElements++;
    }

    private void Discharge(byte[] e)
    {
        _elementBytes -= ElementOverhead + e.Length;
        if (e.Length > ListpackMaxValue) _longElements--;
    }

    private void MaybeShrink()
    {
        if (_count == 0) { _items = []; _mask = -1; _head = 0; return; }
        int cap = _items.Length;
        while (cap > 4 * MinCapacity && _count <= cap / 4) cap /= 2;
        if (cap != _items.Length) Resize(cap);
    }

    private void Resize(int capacity)
    {
        var grown = new byte[capacity][];
        int first = Math.Min(_count, _items.Length - _head);
        Array.Copy(_items, _head, grown, 0, first);
        Array.Copy(_items, 0, grown, first, _count - first);
        _items = grown;
        _head = 0;
        _mask = capacity - 1;
    }
}

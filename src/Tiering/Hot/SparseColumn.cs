// A 64-bit column of the index kept only for the entries that have a value in it: the expiry of keys with a TTL,
// and the exact record sizes of the few values too large for the entry's 15- and 16-bit size fields.
//
// Why a side table and not a field of every index entry. Most keys of a cache or a store never get a TTL, and most
// keys of a tiered store are cold: their index entry is all the DRAM they cost. Eight bytes of expiry in every entry
// cost a node of 1,000,000,000 keys 8 GB, mostly for keys that have none. Here a key pays for its TTL only while it
// has one (about 36 bytes then: a slot of the two dense arrays and an entry of the position map), and the index entry
// keeps a single bit (Entry.HasExpiry), so a lookup of a key without a TTL never touches this table. Redis keeps its
// `expires` dictionary beside the keyspace for the same reason. Record sizes work the same way: the entry holds
// sizes below 32 KB (stored) and 64 KB (logical) itself, which is nearly every value; a larger one marks its entry
// and keeps both exact sizes here, where its 36 bytes are small beside the value's own size.
//
//   index entry i (flag set) ---> _position[i] = p
//                                       |
//   dense arrays, [0.._count):   _owner  [ 7 | 3 | 12 | ... ]    _owner[p] = i
//                                _value  [ t | t |  t | ... ]    e.g. unix ms
//                                            ^ the active expiry sweep's cursor walks these, so a sweep examines
//                                              only keys that have a TTL; a removal moves the last slot into the hole.
//
// Shared state rule: a part of its KeyIndex, under the same rule (only a thread holding the store lock).


namespace Tiered.Tiering.Hot;

/// <summary>A 64-bit value for the entries of one <see cref="KeyIndex"/> that have one (see the file's header).</summary>
internal sealed class SparseColumn
{
    private readonly Dictionary<int, int> _position = [];
    private int[] _owner = new int[16];
    private long[] _value = new long[16];
    private int _count;

    /// <summary>Entries that have a value.</summary>
    public int Count => _count;

    /// <summary>DRAM bytes of the table's arrays and map (about; INFO tier_index_bytes).</summary>
    public long Bytes => (long)_owner.Length * (sizeof(int) + sizeof(long)) + (long)_position.Count * 20;

    /// <summary>The value of <paramref name="entry"/>; 0 when it has none.</summary>
    public long Get(int entry) => _position.TryGetValue(entry, out int p) ? _value[p] : 0;

    /// <summary>Sets the value of <paramref name="entry"/> (<paramref name="value"/> is not 0; use <see cref="Remove"/>).</summary>
    public void Set(int entry, long value)
    {
        ref int p = ref CollectionsMarshal.GetValueRefOrAddDefault(_position, entry, out bool exists);
        if (!exists)
        {
            if (_count == _owner.Length)
            {
                Array.Resize(ref _owner, _count * 2);
                Array.Resize(ref _value, _count * 2);
            }
            p = _count++;
            _owner[p] = entry;
        }
        _value[p] = value;
    }

    /// <summary>Drops the value of <paramref name="entry"/>, if it has one.</summary>
    public void Remove(int entry)
    {
        if (!_position.Remove(entry, out int p)) return;
        int last = --_count;
        if (p == last) return;
        _owner[p] = _owner[last];
        _value[p] = _value[last];
        _position[_owner[p]] = p;
    }

    /// <summary>The entry at dense position <paramref name="p"/> (below <see cref="Count"/>) and its value.</summary>
    public int At(int p, out long value)
    {
        value = _value[p];
        return _owner[p];
    }

    /// <summary>Drops every value.</summary>
    public void Clear()
    {
        _position.Clear();
        _owner = new int[16];
        _value = new long[16];
        _count = 0;
    }
}

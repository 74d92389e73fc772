// Expiry times, kept only for the keys that have one.
//
// Why a side table and not a field of every index entry. Most keys of a cache or a store never get a TTL, and most
// keys of a tiered store are cold: their index entry is all the DRAM they cost. Eight bytes of expiry in every entry
// cost a node of 1,000,000,000 keys 8 GB, mostly for keys that have none. Here a key pays for its TTL only while it
// has one (about 36 bytes then: a slot of the two dense arrays and an entry of the position map), and the index entry
// keeps a single bit (Entry.HasExpiry), so a lookup of a key without a TTL never touches this table. Redis keeps its
// `expires` dictionary beside the keyspace for the same reason.
//
//   index entry i (HasExpiry set) ---> _position[i] = p
//                                       |
//   dense arrays, [0.._count):   _owner  [ 7 | 3 | 12 | ... ]    _owner[p] = i
//                                _at     [ t | t |  t | ... ]    unix ms
//                                            ^ the active expiry sweep's cursor walks these, so a sweep examines
//                                              only keys that have a TTL; a removal moves the last slot into the hole.
//
// Shared state rule: a part of its KeyIndex, under the same rule (only a thread holding the store lock).

using System.Runtime.InteropServices;

namespace Tiered.Tiering.Hot;

/// <summary>The absolute expiry of each entry of one <see cref="KeyIndex"/> that has one (see the file's header).</summary>
internal sealed class ExpiryTable
{
    private readonly Dictionary<int, int> _position = [];
    private int[] _owner = new int[16];
    private long[] _at = new long[16];
    private int _count;

    /// <summary>Entries that have an expiry.</summary>
    public int Count => _count;

    /// <summary>DRAM bytes of the table's arrays and map (about; INFO tier_index_bytes).</summary>
    public long Bytes => (long)_owner.Length * (sizeof(int) + sizeof(long)) + (long)_position.Count * 20;

    /// <summary>The expiry of <paramref name="entry"/>; 0 when it has none.</summary>
    public long Get(int entry) => _position.TryGetValue(entry, out int p) ? _at[p] : 0;

    /// <summary>Sets the expiry of <paramref name="entry"/> (<paramref name="at"/> is not 0; use <see cref="Remove"/>).</summary>
    public void Set(int entry, long at)
    {
        ref int p = ref CollectionsMarshal.GetValueRefOrAddDefault(_position, entry, out bool exists);
        if (!exists)
        {
            if (_count == _owner.Length)
            {
                Array.Resize(ref _owner, _count * 2);
                Array.Resize(ref _at, _count * 2);
            }
            p = _count++;
            _owner[p] = entry;
        }
        _at[p] = at;
    }

    /// <summary>Drops the expiry of <paramref name="entry"/>, if it has one.</summary>
    public void Remove(int entry)
    {
        if (!_position.Remove(entry, out int p)) return;
        int last = --_count;
        if (p == last) return;
        _owner[p] = _owner[last];
        _at[p] = _at[last];
        _position[_owner[p]] = p;
    }

    /// <summary>The entry at dense position <paramref name="p"/> (below <see cref="Count"/>) and its expiry.</summary>
    public int At(int p, out long at)
    {
        at = _at[p];
        return _owner[p];
    }

    /// <summary>Drops every expiry.</summary>
    public void Clear()
    {
        _position.Clear();
        _owner = new int[16];
        _at = new long[16];
        _count = 0;
    }
}

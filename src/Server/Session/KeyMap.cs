using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;

namespace Tiered.Server.Session;

/// <summary>
/// (database, key) -> clients interested in that key: the shape shared by WATCH (who to mark dirty) and blocking
/// commands (who to wake). Why a map of lists and not a field on the stored entry: interest is rare and short-lived,
/// and keeping it beside the keyspace costs the keyspace nothing. Lookups take the key as a span (no allocation);
/// only adding interest copies the key.
///
///   dbs[0]: { "k1" -> [client 7, client 9], "k2" -> [client 7] }
///   dbs[1]: { }
///
/// Shared state rule: used only under the store lock.
/// </summary>
internal sealed class KeyMap<T> where T : class
{
    private readonly Dictionary<byte[], List<T>>[] _dbs;

    public KeyMap(int databases)
    {
        _dbs = new Dictionary<byte[], List<T>>[databases];
        for (int i = 0; i < databases; i++) _dbs[i] = new Dictionary<byte[], List<T>>(ByteKeyComparer.Instance);
    }

    /// <summary>Number of (database, key) entries; zero means nobody is interested in anything.</summary>
    public int Count { get; private set; }

    public void Add(int db, byte[] key, T item)
    {
        if (!_dbs[db].TryGetValue(key, out List<T>? list))
        {
            list = new List<T>(2);
            _dbs[db].Add(key, list);
            Count++;
        }
        list.Add(item);
    }

    public void Remove(int db, byte[] key, T item)
    {
        if (!_dbs[db].TryGetValue(key, out List<T>? list)) return;
        list.Remove(item);
        if (list.Count == 0)
        {
            _dbs[db].Remove(key);
            Count--;
        }
    }

    /// <summary>The clients interested in <paramref name="key"/> of <paramref name="db"/>, or null.</summary>
    public List<T>? Find(int db, ReadOnlySpan<byte> key)
    {
        var lookup = _dbs[db].GetAlternateLookup<ReadOnlySpan<byte>>();
        return lookup.TryGetValue(key, out List<T>? list) ? list : null;
    }

    /// <summary>Every list of <paramref name="db"/> (FLUSHDB, SWAPDB).</summary>
    public Dictionary<byte[], List<T>>.ValueCollection InDb(int db) => _dbs[db].Values;

    public int Databases => _dbs.Length;
}

/// <summary>Byte-array keys compared by content, with a span alternate so lookups don't allocate.</summary>
internal sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly ByteKeyComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode([DisallowNull] byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate) => (int)XxHash3.HashToUInt64(alternate);

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}

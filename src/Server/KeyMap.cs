using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using Tiered.Server.Commands;
using Tiered.Tiering.Engine;

namespace Tiered.Server;

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

/// <summary>
/// What happens to watchers and blocked clients after a write command succeeded (called by the dispatcher only
/// when <see cref="TieredServer.KeyInterest"/> is non-zero, so a server nobody watches or blocks on pays one compare).
/// The keys come from <see cref="CommandDef.GetKeyPositions(CommandContext, Span{int})"/>, so commands whose keys
/// follow a numkeys argument or a keyword (LMPOP, ZUNIONSTORE, BZMPOP, XREADGROUP...) count too.
/// FLUSHDB, FLUSHALL and SWAPDB have no keys and touch whole databases; MOVE also touches the key in the destination
/// database.
/// </summary>
internal static class KeyEvents
{
    public static void AfterWrite(CommandContext c)
    {
        TieredServer s = c.Server;
        CommandDef cmd = c.Command;
        int db = c.Client.DbIndex;
        Span<int> positions = stackalloc int[16];
        int n = cmd.GetKeyPositions(c, positions);
        if (n > 0)
        {
            int[]? rented = null;
            if (n > positions.Length)
            {
                rented = System.Buffers.ArrayPool<int>.Shared.Rent(n);
                positions = rented;
                n = cmd.GetKeyPositions(c, positions);
            }
            for (int i = 0; i < n; i++) Touch(s, db, c[positions[i]]);
            if (rented != null) System.Buffers.ArrayPool<int>.Shared.Return(rented);
            if (cmd.Name == "move" && c.Count == 3 && c.TryLong(2, out long to) && to >= 0 && to < s.Store.Databases.Length)
                Touch(s, (int)to, c[1]);
            return;
        }
        switch (cmd.Name)
        {
            case "flushdb":
                TouchDb(s, db);
                break;
            case "flushall":
                for (int i = 0; i < s.Store.Databases.Length; i++) TouchDb(s, i);
                break;
            case "swapdb":
                if (c.TryLong(1, out long a) && c.TryLong(2, out long b))
                {
                    TouchDb(s, (int)a);
                    TouchDb(s, (int)b);
                }
                break;
        }
    }

    internal static void Touch(TieredServer s, int db, ReadOnlySpan<byte> key)
    {
        if (s.Watches.Count != 0) s.Watches.Touch(db, key);
        if (s.Blocking.Count != 0) s.Blocking.Wake(db, key);
    }

    private static void TouchDb(TieredServer s, int db)
    {
        s.Watches.TouchDb(db);
        s.Blocking.WakeDb(db);
    }
}

using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Lists;
using Tiered.Tiering.Types.Sets;
using Tiered.Tiering.Types.SortedSets;

namespace Tiered.Tiering.Rdb;

// An RDB object back into a Tiered value: every encoding Redis 7.0 writes or still loads.
//
// Why read the old forms too: a DUMP payload from an older redis-server (RDB version 9 and below) restores on
// redis-server 7.0, and the RDB files of a full sync may come from any of them, so the reader takes each form Redis's
// loader takes and turns it into Tiered's one structure per type. What the forms hold:
//
//   type  form                    payload
//   ────  ──────────────────────  ─────────────────────────────────────────────────────────────────────────
//    0    string                  one RDB string (plain, integer-encoded or LZF)
//    1    list (linked list)      count, strings
//   10    list ziplist            string(ziplist)
//   14    quicklist               count, string(ziplist) per node
//   18    quicklist 2             count, then per node: container (1 plain: the string is one element,
//                                 2 packed: a listpack), string
//    2    set                     count, member strings
//   11    intset                  string(intset)
//   20    set listpack (7.2)      string(listpack)
//    3    zset (text scores)      count, then member string, score as text (RdbReader.TextDouble)
//    5    zset 2                  count, then member string, 8-byte score
//   12    zset ziplist            string(ziplist: member, score, member, score...)
//   17    zset listpack           string(listpack: member, score...)
//    4    hash                    count, then field and value strings
//   13    hash ziplist            string(ziplist: field, value...)
//   16    hash listpack           string(listpack: field, value...)
//   15/19/21 stream               RdbStreams.cs
//    7    module 2                RdbModules.cs (Tiered's Bloom filters only)
//
// What Redis refuses, refused here too ("Bad data format"): empty collections (which a whole RDB file's loader skips
// instead), duplicate members in the forms
// that list them one by one (set, zset, hash), NaN scores, zipmaps, modules that are not ours, truncated input.

/// <summary>Reads RDB objects into Tiered values.</summary>
public static class RdbValueReader
{
    /// <summary>quicklist 2 container: a node holding one element as a plain string.</summary>
    internal const ulong QuicklistPlain = 1;

    /// <summary>quicklist 2 container: a node holding a listpack.</summary>
    internal const ulong QuicklistPacked = 2;

    /// <summary>
    /// Reads one object of type <paramref name="type"/> (the byte before it): its kind and value (a byte[] for a
    /// string, a <see cref="ValueObject"/> otherwise), or false when the bytes are not a valid object.
    /// </summary>
    public static bool TryRead(ref RdbReader r, RdbType type, out ValueKind kind, out object? value)
        => TryRead(ref r, type, out kind, out value, out bool empty) && !empty;

    /// <summary>
    /// <see cref="TryRead(ref RdbReader, RdbType, out ValueKind, out object?)"/>, but a well-formed collection with no
    /// elements is read (true) with <paramref name="empty"/> set: Redis's RDB loader skips such a key, where RESTORE
    /// refuses it.
    /// </summary>
    public static bool TryRead(ref RdbReader r, RdbType type, out ValueKind kind, out object? value, out bool empty)
    {
        bool ok = TryReadAny(ref r, type, out kind, out value);
        empty = ok && value is ValueObject v && v.Count == 0 && kind != ValueKind.Stream;
        return ok;
    }

    private static bool TryReadAny(ref RdbReader r, RdbType type, out ValueKind kind, out object? value)
    {
        kind = ValueKind.None;
        value = null;
        var items = new List<byte[]>();
        switch (type)
        {
            case RdbType.String:
                if (!r.String(out byte[] s)) return false;
                (kind, value) = (ValueKind.String, s);
                return true;
            case RdbType.List or RdbType.ListZiplist or RdbType.ListQuicklist or RdbType.ListQuicklist2:
                if (!ReadListItems(ref r, type, items)) return false;
                return Done(ValueKind.List, ToList(items), out kind, out value);
            case RdbType.Set or RdbType.SetIntset or RdbType.SetListpack:
                if (!ReadItems(ref r, type == RdbType.Set, type == RdbType.SetIntset ? Intset.Decode : ListpackReader.Decode, items)) return false;
                return Done(ValueKind.Set, ToSet(items, type == RdbType.Set), out kind, out value);
            case RdbType.ZSet or RdbType.ZSet2:
                return Done(ValueKind.ZSet, ReadSortedSet(ref r, type == RdbType.ZSet2), out kind, out value);
            case RdbType.ZSetZiplist or RdbType.ZSetListpack:
                if (!ReadItems(ref r, false, type == RdbType.ZSetZiplist ? Ziplist.Decode : ListpackReader.Decode, items)) return false;
                return Done(ValueKind.ZSet, ToSortedSet(items), out kind, out value);
            case RdbType.Hash:
                return Done(ValueKind.Hash, ReadHash(ref r), out kind, out value);
            case RdbType.HashZiplist or RdbType.HashListpack:
                if (!ReadItems(ref r, false, type == RdbType.HashZiplist ? Ziplist.Decode : ListpackReader.Decode, items)) return false;
                return Done(ValueKind.Hash, ToHash(items), out kind, out value);
            case RdbType.StreamListpacks or RdbType.StreamListpacks2 or RdbType.StreamListpacks3:
                return Done(ValueKind.Stream, RdbStreams.Read(ref r, type), out kind, out value);
            case RdbType.Module2:
                return Done(ValueKind.Bloom, RdbModules.Read(ref r), out kind, out value);
            default:
                return false;   // zipmap, the pre-release module type, unknown types
        }
    }

    private static bool Done(ValueKind k, ValueObject? v, out ValueKind kind, out object? value)
    {
        kind = k;
        value = v;
        return v is not null;
    }

    private delegate bool Decoder(ReadOnlySpan<byte> blob, List<byte[]> into);

    /// <summary>A counted list of strings (<paramref name="counted"/>) or one blob decoded by <paramref name="decode"/>.</summary>
    private static bool ReadItems(ref RdbReader r, bool counted, Decoder decode, List<byte[]> items)
    {
        if (counted)
        {
            if (!r.Count(out int n)) return false;
            for (int i = 0; i < n; i++)
            {
                if (!r.String(out byte[] s)) return false;
                items.Add(s);
            }
            return true;
        }
        return r.String(out byte[] blob) && decode(blob, items);
    }

    private static bool ReadListItems(ref RdbReader r, RdbType type, List<byte[]> items)
    {
        switch (type)
        {
            case RdbType.List: return ReadItems(ref r, true, ListpackReader.Decode, items);
            case RdbType.ListZiplist: return ReadItems(ref r, false, Ziplist.Decode, items);
        }
        if (!r.Count(out int nodes)) return false;
        for (int i = 0; i < nodes; i++)
        {
            ulong container = QuicklistPacked;
            if (type == RdbType.ListQuicklist2 && (!r.Length(out container) || container is not (QuicklistPlain or QuicklistPacked))) return false;
            if (!r.String(out byte[] node)) return false;
            if (container == QuicklistPlain) items.Add(node);
            else if (!(type == RdbType.ListQuicklist ? Ziplist.Decode(node, items) : ListpackReader.Decode(node, items))) return false;
        }
        return true;
    }

    private static ListValue ToList(List<byte[]> items)
    {
        var l = new ListValue(items.Count);
        foreach (byte[] e in items) l.PushRightOwned(e);
        return l;
    }

    private static SetValue? ToSet(List<byte[]> items, bool refuseDuplicates)
    {
        var set = new SetValue();
        foreach (byte[] m in items)
            if (!set.Add(m) && refuseDuplicates) return null;
        return set;
    }

    private static SortedSetValue? ReadSortedSet(ref RdbReader r, bool binary)
    {
        if (!r.Count(out int n)) return null;
        var z = new SortedSetValue();
        for (int i = 0; i < n; i++)
        {
            if (!r.String(out byte[] member)) return null;
            double score;
            if (!(binary ? r.BinaryDouble(out score) : r.TextDouble(out score)) || double.IsNaN(score)) return null;
            if (z.Find(member) is not null) return null;
            z.InsertOwned(member, score);
        }
        return z;
    }

    private static SortedSetValue? ToSortedSet(List<byte[]> items)
    {
        if ((items.Count & 1) != 0) return null;
        var z = new SortedSetValue();
        for (int i = 0; i < items.Count; i += 2)
        {
            if (!Numbers.ParseFloat(items[i + 1], out double score) || z.Find(items[i]) is not null) return null;
            z.InsertOwned(items[i], score);
        }
        return z;
    }

    private static HashValue? ReadHash(ref RdbReader r)
    {
        if (!r.Count(out int n)) return null;
        var h = new HashValue();
        for (int i = 0; i < n; i++)
        {
            if (!r.String(out byte[] field) || !r.String(out byte[] value) || !h.Set(field, value)) return null;
        }
        return h;
    }

    private static HashValue? ToHash(List<byte[]> items)
    {
        if ((items.Count & 1) != 0) return null;
        var h = new HashValue();
        for (int i = 0; i < items.Count; i += 2) h.Set(items[i], items[i + 1]);
        return h;
    }
}

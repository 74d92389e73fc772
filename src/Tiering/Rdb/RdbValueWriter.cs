using Tiered.Tiering.Types.Blooms;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Lists;
using Tiered.Tiering.Types.Sets;
using Tiered.Tiering.Types.SortedSets;
using Tiered.Tiering.Types.Streams;

namespace Tiered.Tiering.Rdb;

// A Tiered value as an RDB object: the type byte and the payload redis-server 7.0 would write for the same data.
//
// Why mimic Redis's encoding choices and not just pick one form per type: redis-server loads any form, but a payload
// that is byte for byte what redis-server writes can be checked against it in tests, and the replica of a
// redis-server master (a later issue) gets the same memory layout back. Tiered keeps every collection in one
// structure and only *reports* Redis's encoding (each Value class tracks Redis's one-way conversions), so the writer
// asks the value which encoding Redis would use and produces that form:
//
//   value            Redis 7.0 encoding               RDB form written
//   ─────────────    ─────────────────────────────    ───────────────────────────────────────────────────────
//   string           int / embstr / raw               STRING: integer-encoded, LZF (> 20 B, when it pays), plain
//   list             quicklist (listpack nodes, 8 KB) LIST_QUICKLIST_2: node count, then (container 2, listpack)
//   hash             listpack (≤ 128, ≤ 64 B)         HASH_LISTPACK: field, value, field, value...
//                    hashtable                        HASH: count, then field and value strings
//   set              intset (integers, ≤ 512)         SET_INTSET: the sorted intset
//                    hashtable (7.0 has no listpack)  SET: count, then member strings
//   sorted set       listpack (≤ 128, ≤ 64 B)         ZSET_LISTPACK: member, score (as "%.17g" text), ascending
//                    skiplist                         ZSET_2: count, then member and binary score, descending
//   stream           listpack nodes in a radix tree   STREAM_LISTPACKS_2 (RdbStreams.cs)
//   Bloom filter     (a module type)                  MODULE_2 with Tiered's own module id (RdbModules.cs)
//
//   quicklist node split (list-max-listpack-size -2): a node takes the next element while
//       node bytes + element length + 8 <= 8192,
//   else a new node starts, as RPUSH builds it.

/// <summary>Writes Tiered values as RDB objects (type byte + payload).</summary>
public static class RdbValueWriter
{
    /// <summary>list-max-listpack-size -2: a quicklist node's listpack stays within 8 KB.</summary>
    private const int QuicklistNodeBytes = 8192;

    /// <summary>quicklist's SIZE_ESTIMATE_OVERHEAD: what it adds to an element's length when deciding.</summary>
    private const int QuicklistEstimateOverhead = 8;

    /// <summary>Writes <paramref name="value"/> (a string's byte[] or a <see cref="ValueObject"/>) with its type byte.</summary>
    public static void Write(RdbWriter w, object value)
    {
        switch (value)
        {
            case byte[] s:
                w.Byte((byte)RdbType.String);
                w.String(s);
                break;
            case ListValue l: WriteList(w, l); break;
            case HashValue h: WriteHash(w, h); break;
            case SetValue s: WriteSet(w, s); break;
            case SortedSetValue z: WriteSortedSet(w, z); break;
            case StreamValue x: RdbStreams.Write(w, x); break;
            case BloomValue b: RdbModules.WriteBloom(w, b); break;
            default: throw new ArgumentException("no RDB form for " + value.GetType().Name, nameof(value));
        }
    }

    private static void WriteList(RdbWriter w, ListValue l)
    {
        w.Byte((byte)RdbType.ListQuicklist2);
        List<byte[]> nodes = QuicklistNodes(l);
        w.Length((ulong)nodes.Count);
        foreach (byte[] node in nodes)
        {
            w.Length(RdbValueReader.QuicklistPacked);
            w.String(node);
        }
    }

    /// <summary>The listpacks of the quicklist nodes Redis 7.0 would hold <paramref name="l"/> in (RPUSH's split).</summary>
    public static List<byte[]> QuicklistNodes(ListValue l)
    {
        var nodes = new List<byte[]>();
        var lp = new ListpackBuilder();
        for (int i = 0; i < l.Length; i++)
        {
            byte[] e = l[i];
            if (lp.Count > 0 && lp.Bytes + e.Length + QuicklistEstimateOverhead > QuicklistNodeBytes)
            {
                nodes.Add(lp.ToArray());
                lp.Clear();
            }
            lp.Append(e);
        }
        if (lp.Count > 0) nodes.Add(lp.ToArray());
        return nodes;
    }

    private static void WriteHash(RdbWriter w, HashValue h)
    {
        if (h.IsCompact)
        {
            w.Byte((byte)RdbType.HashListpack);
            var lp = new ListpackBuilder();
            foreach (HashEntry e in h)
            {
                lp.Append(e.Field);
                lp.Append(e.Value);
            }
            w.String(lp.ToArray());
            return;
        }
        w.Byte((byte)RdbType.Hash);
        w.Length((ulong)h.Count);
        foreach (HashEntry e in h)
        {
            w.String(e.Field);
            w.String(e.Value);
        }
    }

    private static void WriteSet(RdbWriter w, SetValue s)
    {
        if (s.Encoding == "intset")
        {
            var values = new long[s.Count];
            int i = 0;
            foreach (byte[] m in s)
            {
                Numbers.ParseInteger(m, out long v);   // an intset's members are all canonical integers
                values[i++] = v;
            }
            w.Byte((byte)RdbType.SetIntset);
            w.String(Intset.Encode(values));
            return;
        }
        w.Byte((byte)RdbType.Set);
        w.Length((ulong)s.Count);
        foreach (byte[] m in s) w.String(m);
    }

    private static void WriteSortedSet(RdbWriter w, SortedSetValue z)
    {
        if (z.Encoding == "listpack")
        {
            w.Byte((byte)RdbType.ZSetListpack);
            var lp = new ListpackBuilder();
            Span<byte> text = stackalloc byte[32];
            for (SkipListNode? n = z.List.First; n != null; n = n.Next)
            {
                lp.Append(n.Member);
                lp.Append(text[..ScoreText(n.Score, text)]);
            }
            w.String(lp.ToArray());
            return;
        }
        w.Byte((byte)RdbType.ZSet2);
        w.Length((ulong)z.Count);
        for (SkipListNode? n = z.List.Last; n != null; n = n.Backward)
        {
            w.String(n.Member);
            w.BinaryDouble(n.Score);
        }
    }

    /// <summary>
    /// A score as Redis 7.0's d2string writes it into a listpack: an integral value below 2^52 as an integer, else
    /// C's "%.17g" ("inf", "-inf", "-0" spelled as C does). <paramref name="dest"/> holds at least 32 bytes.
    /// </summary>
    public static int ScoreText(double d, Span<byte> dest)
    {
        if (double.IsPositiveInfinity(d)) { "inf"u8.CopyTo(dest); return 3; }
        if (double.IsNegativeInfinity(d)) { "-inf"u8.CopyTo(dest); return 4; }
        if (d == 0)
        {
            if (double.IsNegative(d)) { "-0"u8.CopyTo(dest); return 2; }
            dest[0] = (byte)'0';
            return 1;
        }
        if (d > -4503599627370495.0 && d < 4503599627370496.0 && d == Math.Truncate(d))
        {
            Utf8Formatter.TryFormat((long)d, dest, out int n);
            return n;
        }
        d.TryFormat(dest, out int len, "G17", CultureInfo.InvariantCulture);
        int e = dest[..len].IndexOf((byte)'E');
        if (e >= 0) dest[e] = (byte)'e';
        return len;
    }
}

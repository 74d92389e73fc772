using Tiered.Tiering.Types.Streams;

namespace Tiered.Tiering.Rdb;

// A stream as an RDB object, both ways (STREAM_LISTPACKS, _2 and _3 read; _2, Redis 7.0's, written).
//
// Redis keeps a stream as a radix tree of listpack nodes keyed by each node's first ("master") ID; the RDB form is
// that tree, then the stream's counters, then its consumer groups:
//
//   nodes         count, then per node: string(master ID: ms, seq as 8 + 8 bytes big-endian), string(listpack)
//   counters      length, last-id ms, seq; [_2+] first-id ms, seq, max-deleted-id ms, seq, entries-added
//   groups        count, then per group: string(name), last-delivered ms, seq, [_2+] entries-read,
//                   PEL: count, then per entry: 16-byte ID, delivery time (8 B ms), delivery count
//                   consumers: count, then per consumer: string(name), seen time (8 B ms), [_3] active time,
//                     its PEL: count, then 16-byte IDs (each must be in the group's PEL)
//
//   a node's listpack:
//   ┌───────┬─────────┬────────────┬─────────┬─────┬─────────┬───┐  ┌───────┬────────┬─────────┬──────────┬─────┬──────────┐
//   │ count │ deleted │ num-fields │ field 1 │ ... │ field N │ 0 │  │ flags │ ms-diff│ seq-diff│ values / │ ... │ lp-count │
//   └───────┴─────────┴────────────┴─────────┴─────┴─────────┴───┘  └───────┴────────┴─────────┴──────────┴─────┴──────────┘
//     the master entry: the fields of the node's first entry          one per entry; flags 2 (SAMEFIELDS): only the values
//                                                                     follow, else num-fields and field, value pairs;
//                                                                     flags 1: deleted; lp-count: elements before it
//
// Why Tiered rebuilds the nodes the way XADD would: Tiered keeps a stream as one sorted array (StreamValue.cs), so the
// node boundaries are recomputed with Redis's rule for appends: a new node when the current one holds 100 entries
// (stream-node-max-entries) or when its bytes plus the new entry's field and value lengths reach 4096
// (stream-node-max-bytes). A stream filled by XADD alone then dumps byte for byte as redis-server dumps it; one with
// deleted entries dumps without their tombstones, which redis-server loads the same.

/// <summary>Writes and reads streams in RDB form.</summary>
internal static class RdbStreams
{
    private const int NodeMaxEntries = 100;
    private const int NodeMaxBytes = 4096;
    private const int FlagDeleted = 1;
    private const int FlagSameFields = 2;

    public static void Write(RdbWriter w, StreamValue s)
    {
        w.Byte((byte)RdbType.StreamListpacks2);
        var nodes = new List<(StreamId Master, byte[] Listpack)>();
        var lp = new ListpackBuilder();
        var fields = new List<byte[]>();
        var masterFields = new List<byte[]>();
        StreamId master = default;
        int inNode = 0;
        for (int i = 0; i < s.Length; i++)
        {
            ref readonly StreamEntry e = ref s.At(i);
            fields.Clear();
            long total = 0;
            foreach (ReadOnlySpan<byte> f in e.GetFields())
            {
                fields.Add(f.ToArray());
                total += f.Length;
            }
            if (inNode > 0 && (lp.Bytes + total >= NodeMaxBytes || inNode >= NodeMaxEntries))
            {
                nodes.Add((master, Finish(lp, inNode)));
                inNode = 0;
            }
            bool same;
            if (inNode == 0)
            {
                master = e.Id;
                lp.Clear();
                lp.AppendInteger(1);   // the entry count, set when the node is finished (always one byte: at most 100)
                lp.AppendInteger(0);   // deleted entries
                lp.AppendInteger(fields.Count / 2);
                masterFields.Clear();
                for (int f = 0; f < fields.Count; f += 2)
                {
                    lp.Append(fields[f]);
                    masterFields.Add(fields[f]);
                }
                lp.AppendInteger(0);   // the master entry's terminator
                same = true;
            }
            else same = SameFields(fields, masterFields);
            lp.AppendInteger(same ? FlagSameFields : 0);
            lp.AppendInteger((long)(e.Id.Ms - master.Ms));
            lp.AppendInteger((long)(e.Id.Seq - master.Seq));
            if (!same) lp.AppendInteger(fields.Count / 2);
            for (int f = 0; f < fields.Count; f += 2)
            {
                if (!same) lp.Append(fields[f]);
                lp.Append(fields[f + 1]);
            }
            lp.AppendInteger(same ? 3 + fields.Count / 2 : 4 + fields.Count);
            inNode++;
        }
        if (inNode > 0) nodes.Add((master, Finish(lp, inNode)));

        w.Length((ulong)nodes.Count);
        Span<byte> key = stackalloc byte[16];
        foreach ((StreamId id, byte[] bytes) in nodes)
        {
            EncodeId(id, key);
            w.String(key);
            w.String(bytes);
        }
        w.Length((ulong)s.Length);
        WriteId(w, s.LastId);
        WriteId(w, s.FirstId);
        WriteId(w, s.MaxDeletedId);
        w.Length(s.EntriesAdded);
        w.Length((ulong)s.GroupCount);
        foreach (StreamGroup g in s.Groups) WriteGroup(w, g);
    }

    private static byte[] Finish(ListpackBuilder lp, int entries)
    {
        byte[] bytes = lp.ToArray();
        bytes[6] = (byte)entries;   // the first element, a 7-bit integer: its one byte is the value
        return bytes;
    }

    private static bool SameFields(List<byte[]> fields, List<byte[]> master)
    {
        if (fields.Count / 2 != master.Count) return false;
        for (int f = 0; f < master.Count; f++)
            if (!fields[2 * f].AsSpan().SequenceEqual(master[f])) return false;
        return true;
    }

    private static void WriteGroup(RdbWriter w, StreamGroup g)
    {
        w.String(g.Name);
        WriteId(w, g.LastDeliveredId);
        w.Length((ulong)g.EntriesRead);   // -1 (unknown) as Redis writes it: the 64-bit all-ones length
        w.Length((ulong)g.PendingCount);
        Span<byte> id = stackalloc byte[16];
        var byConsumer = new Dictionary<StreamConsumer, List<StreamId>>(ReferenceEqualityComparer.Instance);
        foreach (PendingEntry e in g.PendingEntries)
        {
            EncodeId(e.Id, id);
            w.Raw(id);
            w.Millis(e.DeliveryTimeMs);
            w.Length((ulong)e.DeliveryCount);
            if (!byConsumer.TryGetValue(e.Consumer, out List<StreamId>? ids)) byConsumer[e.Consumer] = ids = [];
            ids.Add(e.Id);
        }
        w.Length((ulong)g.ConsumerList.Count);
        foreach (StreamConsumer c in g.ConsumerList)
        {
            w.String(c.Name);
            w.Millis(c.SeenTimeMs);
            List<StreamId>? ids = byConsumer.GetValueOrDefault(c);
            w.Length((ulong)(ids?.Count ?? 0));
            if (ids is null) continue;
            foreach (StreamId pid in ids)
            {
                EncodeId(pid, id);
                w.Raw(id);
            }
        }
    }

    private static void WriteId(RdbWriter w, StreamId id)
    {
        w.Length(id.Ms);
        w.Length(id.Seq);
    }

    private static void EncodeId(StreamId id, Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt64BigEndian(dest, id.Ms);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], id.Seq);
    }

    private static StreamId DecodeId(ReadOnlySpan<byte> b) => new(BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]));

    /// <summary>Reads a stream of type <paramref name="type"/>; null when the payload is malformed.</summary>
    public static StreamValue? Read(ref RdbReader r, RdbType type)
    {
        var s = new StreamValue();
        if (!r.Count(out int nodes)) return null;
        var values = new List<byte[]>();
        var masterFields = new List<byte[]>();
        for (int n = 0; n < nodes; n++)
        {
            if (!r.String(out byte[] key) || key.Length != 16 || !r.String(out byte[] lp)) return null;
            if (!ReadNode(s, DecodeId(key), lp, masterFields, values)) return null;
        }
        if (!r.Length(out ulong length) || length != (ulong)s.Length || !ReadId(ref r, out StreamId last)) return null;
        StreamId maxDeleted = StreamId.Min;
        long added = (long)length;
        if (type != RdbType.StreamListpacks)
        {
            if (!ReadId(ref r, out _) || !ReadId(ref r, out maxDeleted) || !r.Length(out ulong entriesAdded) || entriesAdded > long.MaxValue) return null;
            added = (long)entriesAdded;
        }
        if (last < s.LastEntryId) return null;
        s.SetIds(last, added, maxDeleted);
        if (!r.Count(out int groups)) return null;
        for (int i = 0; i < groups; i++)
        {
            StreamGroup? g = ReadGroup(ref r, type, s);
            if (g is null || !s.AddGroup(g)) return null;
        }
        return s;
    }

    private static bool ReadNode(StreamValue s, StreamId master, byte[] lp, List<byte[]> masterFields, List<byte[]> values)
    {
        var p = new ListpackReader(lp);
        if (!NextInt(ref p, out long count) || !NextInt(ref p, out long deleted) || !NextInt(ref p, out long fieldCount)
            || count < 0 || deleted < 0 || fieldCount < 0 || fieldCount > lp.Length)
            return false;
        masterFields.Clear();
        for (long f = 0; f < fieldCount; f++)
        {
            if (!p.Next()) return false;
            masterFields.Add(p.ToBytes());
        }
        if (!NextInt(ref p, out long zero) || zero != 0) return false;
        for (long e = 0; e < count + deleted; e++)
        {
            if (!NextInt(ref p, out long flags) || !NextInt(ref p, out long msDiff) || !NextInt(ref p, out long seqDiff)) return false;
            var id = new StreamId(master.Ms + (ulong)msDiff, master.Seq + (ulong)seqDiff);
            values.Clear();
            long pairs = fieldCount;
            bool same = (flags & FlagSameFields) != 0;
            if (!same && (!NextInt(ref p, out pairs) || pairs < 0 || pairs > lp.Length)) return false;
            for (long f = 0; f < pairs; f++)
            {
                if (same) values.Add(masterFields[(int)f]);
                else
                {
                    if (!p.Next()) return false;
                    values.Add(p.ToBytes());
                }
                if (!p.Next()) return false;
                values.Add(p.ToBytes());
            }
            if (!NextInt(ref p, out _)) return false;
            if ((flags & FlagDeleted) != 0) continue;
            if (s.Length > 0 && id <= s.LastEntryId) return false;
            s.Append(id, new ByteArrays([.. values]));
        }
        return p.AtEnd;
    }

    private static bool NextInt(ref ListpackReader p, out long v)
    {
        v = 0;
        if (!p.Next() || !p.IsInteger) return false;
        v = p.Integer;
        return true;
    }

    private static bool ReadId(ref RdbReader r, out StreamId id)
    {
        id = default;
        if (!r.Length(out ulong ms) || !r.Length(out ulong seq)) return false;
        id = new StreamId(ms, seq);
        return true;
    }

    private static StreamGroup? ReadGroup(ref RdbReader r, RdbType type, StreamValue s)
    {
        if (!r.String(out byte[] name) || !ReadId(ref r, out StreamId last)) return null;
        long entriesRead;
        if (type == RdbType.StreamListpacks) entriesRead = s.EstimateEntriesRead(last);
        else
        {
            if (!r.Length(out ulong read)) return null;
            entriesRead = (long)read;
        }
        var g = new StreamGroup(name, last, entriesRead);
        if (!r.Count(out int pending)) return null;
        var rows = new Dictionary<StreamId, (long Time, long Count)>(pending);
        for (int i = 0; i < pending; i++)
        {
            if (!r.Raw(16, out ReadOnlySpan<byte> idBytes) || !r.Millis(out long time) || !r.Length(out ulong count) || count > long.MaxValue) return null;
            if (!rows.TryAdd(DecodeId(idBytes), (time, (long)count))) return null;
        }
        if (!r.Count(out int consumers)) return null;
        int owned = 0;
        for (int i = 0; i < consumers; i++)
        {
            if (!r.String(out byte[] cname) || !r.Millis(out long seen)) return null;
            if (type == RdbType.StreamListpacks3 && !r.Millis(out _)) return null;   // active time: Redis 7.2's, not kept
            if (g.FindConsumer(cname) >= 0) return null;
            StreamConsumer c = g.GetOrCreateConsumer(cname, seen);
            if (!r.Count(out int ids)) return null;
            for (int k = 0; k < ids; k++)
            {
                if (!r.Raw(16, out ReadOnlySpan<byte> idBytes)) return null;
                StreamId id = DecodeId(idBytes);
                if (!rows.TryGetValue(id, out (long Time, long Count) row) || g.FindPending(id) is not null) return null;
                g.Restore(id, c, row.Time, row.Count);
                owned++;
            }
        }
        return owned == pending ? g : null;   // Redis refuses a PEL entry that no consumer owns
    }
}

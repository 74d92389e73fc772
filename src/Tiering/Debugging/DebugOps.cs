using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Rdb;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Lists;

namespace Tiered.Tiering.Debugging;

// The engine side of DEBUG: operations that look at keys as they are stored (as Redis's debug.c uses dictFind, not a
// lookup: no lazy expiry, no access update, a cold key is read from its record and stays cold), and RELOAD, which
// sends every value through the RDB codec and back. The caller holds the store lock.

/// <summary>What DEBUG OBJECT reports of a key.</summary>
/// <remarks><c>Identity</c> stands in for Redis's address: the value's .NET identity hash (values have no fixed address).</remarks>
public readonly record struct ObjectReport(int Identity, string Encoding, long SerializedLength, uint Lru, long IdleSeconds, bool Cold,
    QuicklistShape? Quicklist);

/// <summary>The quicklist a list would be in redis-server (DEBUG OBJECT's ql_ fields).</summary>
public readonly record struct QuicklistShape(int Nodes, long Entries, long UncompressedBytes);

/// <summary>DEBUG OBJECT, DIGEST, DIGEST-VALUE and RELOAD. One public static method per operation; the caller holds the store lock.</summary>
public static class DebugOps
{
    /// <summary>The entry of <paramref name="key"/>, hot or cold, expired or not (-1 if none), with its value read.</summary>
    private static int Find(Database db, ReadOnlySpan<byte> key, out object? value, out bool cold)
    {
        ulong hash = KeyIndex.Hash(key);
        KeyIndex index = db.Index;
        for (int i = index.Find(key, hash); i >= 0; i = index.FindAfter(i, key, hash))
        {
            value = db.Peek(i, out byte[] k, out cold);
            if (k.AsSpan().SequenceEqual(key)) return i;
        }
        value = null;
        cold = false;
        return -1;
    }

    /// <summary>DEBUG OBJECT: false when there is no such key.</summary>
    public static bool Object(Database db, ReadOnlySpan<byte> key, out ObjectReport report)
    {
        report = default;
        int i = Find(db, key, out object? value, out bool cold);
        if (i < 0) return false;
        Clock clock = db.Store.Clock;
        ref Entry e = ref db.Index.EntryAt(i);
        // A cold key keeps no access second in DRAM, only the minute of its LFU stamp.
        long idle = cold ? (ushort)(clock.Minutes16 - e.LfuStamp) * 60L
            : Math.Max(0, (long)clock.Seconds - db.Index.HotOf(i).AccessSec);
        var w = new RdbWriter();
        RdbValueWriter.Write(w, value!);
        string encoding = KeyOps.EncodingOf(e.Kind, value);
        QuicklistShape? shape = null;
        if (value is ListValue l && encoding == "quicklist")
        {
            List<byte[]> nodes = RdbValueWriter.QuicklistNodes(l);
            long bytes = 0;
            foreach (byte[] n in nodes) bytes += n.Length;
            shape = new QuicklistShape(nodes.Count, l.Length, bytes);
        }
        // Redis's lru field: its 24-bit clock of seconds at the last access.
        uint lru = (uint)((clock.NowMs / 1000 - idle) & 0xFFFFFF);
        report = new ObjectReport(RuntimeHelpers.GetHashCode(value), encoding, w.Size - 1, lru, idle, cold, shape);   // the type byte is not counted, as rdbSavedObjectLen
        return true;
    }

    /// <summary>DEBUG DIGEST: the dataset's digest (20 zero bytes when it is empty).</summary>
    public static byte[] DatasetDigest(Store store)
    {
        byte[] final = new byte[20];
        Span<byte> k = stackalloc byte[20];
        foreach (Database db in store.Databases)
        {
            if (db.Count == 0) continue;
            Digest.MixInt(final, (uint)db.Id);
            KeyIndex index = db.Index;
            for (int i = 0; i < index.HighWater; i++)
            {
                if (!index.IsLive(i)) continue;
                object value = db.Peek(i, out byte[] key, out _);
                k.Clear();
                Digest.Mix(k, key);
                Digest.Value(k, index.EntryAt(i).Kind, value, index.ExpireAt(i) != 0);
                Digest.Xor(final, k);
            }
        }
        return final;
    }

    /// <summary>DEBUG DIGEST-VALUE for one key: its value's digest, 20 zero bytes for a missing key.</summary>
    public static byte[] ValueDigest(Database db, ReadOnlySpan<byte> key)
    {
        byte[] d = new byte[20];
        int i = Find(db, key, out object? value, out _);
        if (i >= 0) Digest.Value(d, db.Index.EntryAt(i).Kind, value!, db.Index.ExpireAt(i) != 0);
        return d;
    }

    /// <summary>
    /// DEBUG RELOAD: every live key's value is written in its RDB form (as DUMP writes it) and read back as a new value
    /// that takes the old one's place; keys whose TTL passed are deleted, as loading an RDB file drops them. A cold key
    /// is loaded from the SSD for this and stays hot until the demoter moves it again. Ok, or Corrupted if a value
    /// did not read back (then the keys before it were replaced, the rest untouched).
    /// </summary>
    public static Status Reload(Store store)
    {
        foreach (Database db in store.Databases)
        {
            KeyIndex index = db.Index;
            var keys = new List<byte[]>(db.Count);
            for (int i = 0; i < index.HighWater; i++)
                if (index.IsLive(i)) keys.Add(db.KeyOf(i));
            foreach (byte[] key in keys)
            {
                int i = db.LookupWrite(key, KeyIndex.Hash(key));   // loads a cold key; deletes an expired one
                if (i < 0) continue;
                object old = db.At(i).Value!;
                if (!RdbPayload.TryDecode(RdbPayload.Create(old), out ValueKind kind, out object? value)) return Status.Corrupted;
                store.EndChain(old);
                db.Replace(i, kind, value!);
            }
        }
        return Status.Ok;
    }
}

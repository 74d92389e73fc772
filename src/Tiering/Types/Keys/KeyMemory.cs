using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Types.Keys;

// Why this file looks the way it does
// -----------------------------------
// MEMORY USAGE and MEMORY STATS ask what a key, or a database's index, costs. Redis finds the key in its dict without
// expiring it, touching it or counting a hit, and so does this: the index is walked directly. A hot key's figure is
// the engine's own accounting (MemoryOf: index entry, hot item, key array, value estimate). A cold key's value is not
// read into DRAM: the index keeps the uncompressed size of the value in its record, and the figure is the key's hot entry
// plus that serialized content (a string's bytes in an array, as when hot), so a string reports the same number in
// either tier and a collection its serialized size. Only the key in the record is
// compared (the index matches cold entries by hash), from the records prefetched for the command or read once.
public static class KeyMemory
{
    /// <summary>
    /// MEMORY USAGE: bytes <paramref name="key"/> and its value take in DRAM (or would, for a cold key: then
    /// <paramref name="cold"/> is true and the value stays on the SSD). False for a missing key. No expiry, no access
    /// update, no hit or miss counted.
    /// </summary>
    public static bool Usage(Database db, ReadOnlySpan<byte> key, out long bytes, out bool cold)
    {
        ulong hash = KeyIndex.Hash(key);
        KeyIndex index = db.Index;
        for (int i = index.Find(key, hash); i >= 0; i = index.FindAfter(i, key, hash))
        {
            cold = index.IsCold(i);
            if (!cold)
            {
                bytes = MemoryOf.HotEntry(key.Length) + MemoryOf.Value(index.HotOf(i).Value);
                return true;
            }
            if (!db.Store.Cold!.HoldsKey(db, i, key)) continue;
            long value = index.LogicalOf(i) - ValueFormat.HeaderSize - ValueFormat.TrailerSize;   // the serialized content
            if (index.EntryAt(i).Kind == ValueKind.String) value += MemoryOf.ArrayOverhead;
            bytes = MemoryOf.HotEntry(key.Length) + value;
            return true;
        }
        bytes = 0;
        cold = false;
        return false;
    }

    /// <summary>MEMORY STATS db.N: DRAM bytes of the database's index arrays without, and of, its expiry column.</summary>
    public static (long Main, long Expires) IndexOverhead(Database db)
    {
        KeyIndex index = db.Index;
        long expires = index.ExpiryBytes;
        return (index.ArrayBytes - expires, expires);
    }
}

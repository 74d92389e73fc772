namespace Tiered.Tiering.Rdb;

// Redis's intset: a set of integers as one sorted array of the narrowest width that holds them all. Redis 7.0 keeps
// a set this way while every member is an integer and there are at most 512 (set-max-intset-entries), and dumps it
// as one string with these bytes:
//
//   ┌──────────────┬──────────────┬──────────────────────────────────────────┐
//   │ width 2/4/8  │ count        │ count integers of that width, ascending   │
//   │ 4 B LE       │ 4 B LE       │ little-endian, no duplicates              │
//   └──────────────┴──────────────┴──────────────────────────────────────────┘
//
// Why sorted on the way out: Tiered keeps a set's members in insertion order, but Redis's loader checks an intset's
// order, and a payload equal to redis-server's needs its order and width.

/// <summary>Writes and reads Redis's intset encoding.</summary>
public static class Intset
{
    /// <summary>The intset of <paramref name="values"/> (sorted here; distinct by the caller).</summary>
    public static byte[] Encode(long[] values)
    {
        Array.Sort(values);
        int width = 2;
        foreach (long v in values)
        {
            if (v < int.MinValue || v > int.MaxValue) { width = 8; break; }
            if (v < short.MinValue || v > short.MaxValue) width = 4;
        }
        byte[] o = new byte[8 + width * values.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(o, (uint)width);
        BinaryPrimitives.WriteUInt32LittleEndian(o.AsSpan(4), (uint)values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            Span<byte> at = o.AsSpan(8 + i * width);
            if (width == 2) BinaryPrimitives.WriteInt16LittleEndian(at, (short)values[i]);
            else if (width == 4) BinaryPrimitives.WriteInt32LittleEndian(at, (int)values[i]);
            else BinaryPrimitives.WriteInt64LittleEndian(at, values[i]);
        }
        return o;
    }

    /// <summary>The members of <paramref name="s"/> as digits, ascending; false when it is malformed or unsorted.</summary>
    public static bool Decode(ReadOnlySpan<byte> s, List<byte[]> into)
    {
        if (s.Length < 8) return false;
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(s), count = BinaryPrimitives.ReadUInt32LittleEndian(s[4..]);
        if (width is not (2 or 4 or 8) || (ulong)width * count != (ulong)(s.Length - 8)) return false;
        long prev = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> at = s[(8 + i * (int)width)..];
            long v = width == 2 ? BinaryPrimitives.ReadInt16LittleEndian(at) : width == 4 ? BinaryPrimitives.ReadInt32LittleEndian(at) : BinaryPrimitives.ReadInt64LittleEndian(at);
            if (i > 0 && v <= prev) return false;
            prev = v;
            into.Add(RdbReader.Digits(v));
        }
        return true;
    }
}

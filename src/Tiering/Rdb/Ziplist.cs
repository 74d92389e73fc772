namespace Tiered.Tiering.Rdb;

// Redis's ziplist, the flat encoding listpack replaced in Redis 7.0. Redis 7.0 still loads RDB files (and DUMP
// payloads) of older versions that hold ziplists (lists before quicklist 2, small hashes and sorted sets), so we read
// them; we never write them.
//
//   ┌─────────┬─────────┬───────┬──────────────────────────────────────┬─────┬──────┐
//   │ zlbytes │ zltail  │ zllen │ entry: prevlen, encoding, data       │ ... │ 0xFF │
//   │ 4 B LE  │ 4 B LE  │ 2 B LE│                                      │     │      │
//   └─────────┴─────────┴───────┴──────────────────────────────────────┴─────┴──────┘
//   prevlen   1 byte (< 254) or 0xFE + 4 bytes LE
//   encoding  00LLLLLL            string < 64 B          11000000  int16 LE   11110000  int24 LE
//             01LLLLLL LLLLLLLL   string < 16 KB (BE)    11010000  int32 LE   11111110  int8
//             10000000 + 4 B BE   string                 11100000  int64 LE   1111xxxx  xxxx-1 (0..12), no data
//
// Zipmap, the hash encoding of Redis before 2.6, is not read: such a payload is answered "Bad data format".

/// <summary>Reads Redis's ziplist encoding.</summary>
public static class Ziplist
{
    /// <summary>Every entry of <paramref name="zl"/> as bytes (integers as digits); false when it is malformed.</summary>
    public static bool Decode(ReadOnlySpan<byte> zl, List<byte[]> into)
    {
        if (zl.Length < 11 || BinaryPrimitives.ReadUInt32LittleEndian(zl) != (uint)zl.Length || zl[^1] != 0xFF) return false;
        int pos = 10, end = zl.Length - 1;
        while (pos < end)
        {
            pos += zl[pos] < 254 ? 1 : 5;
            if (pos >= end) return false;
            byte b = zl[pos];
            switch (b >> 6)
            {
                case 0:
                    if (!Take(zl, ref pos, 1, b & 0x3f, into)) return false;
                    continue;
                case 1:
                    if (pos + 2 > end) return false;
                    if (!Take(zl, ref pos, 2, ((b & 0x3f) << 8) | zl[pos + 1], into)) return false;
                    continue;
                case 2:
                    if (pos + 5 > end) return false;
                    uint len = BinaryPrimitives.ReadUInt32BigEndian(zl[(pos + 1)..]);
                    if (len > (uint)end || !Take(zl, ref pos, 5, (int)len, into)) return false;
                    continue;
            }
            int bytes = b switch { 0xC0 => 2, 0xD0 => 4, 0xE0 => 8, 0xF0 => 3, 0xFE => 1, _ => 0 };
            if (bytes == 0 && (b < 0xF1 || b > 0xFD)) return false;
            if (pos + 1 + bytes > end) return false;
            long v;
            if (bytes == 0) v = (b & 0x0f) - 1;
            else
            {
                v = 0;
                for (int i = 0; i < bytes; i++) v |= (long)zl[pos + 1 + i] << (8 * i);
                int shift = 64 - 8 * bytes;
                v = (v << shift) >> shift;
            }
            into.Add(RdbReader.Digits(v));
            pos += 1 + bytes;
        }
        return pos == end;
    }

    private static bool Take(ReadOnlySpan<byte> zl, ref int pos, int head, int len, List<byte[]> into)
    {
        if (pos + head + len > zl.Length - 1) return false;
        into.Add(zl.Slice(pos + head, len).ToArray());
        pos += head + len;
        return true;
    }
}

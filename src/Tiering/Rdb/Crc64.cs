namespace Tiered.Tiering.Rdb;

// Redis's CRC64, the checksum at the end of every DUMP payload and RDB file.
//
// Why this variant: Redis chose the Jones polynomial (0xad93d23594c935a9), reflected, with initial value 0 and no
// final xor, so a payload checksummed here matches the one redis-server computes byte for byte. A table of 256
// entries turns the bit loop into one lookup per input byte:
//
//     crc' = Table[(crc ^ byte) & 0xff] ^ (crc >> 8)
//
// Check value: crc64("123456789") = 0xe9c6d914c4b8d9ca.

/// <summary>Redis's CRC64 (Jones polynomial, reflected, initial value 0).</summary>
public static class Crc64
{
    private static readonly ulong[] Table = Build();

    private static ulong[] Build()
    {
        const ulong poly = 0x95AC9329AC4BC9B5UL;   // 0xad93d23594c935a9 reflected
        var t = new ulong[256];
        for (ulong i = 0; i < 256; i++)
        {
            ulong c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1;
            t[i] = c;
        }
        return t;
    }

    /// <summary>The checksum of <paramref name="data"/>, continuing from <paramref name="crc"/> (0 to start).</summary>
    public static ulong Compute(ReadOnlySpan<byte> data, ulong crc = 0)
    {
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xff] ^ (crc >> 8);
        return crc;
    }
}

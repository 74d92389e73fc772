using System.Buffers.Binary;

namespace Tiered.Server.Scripting;

// FUNCTION DUMP's payload, in Redis's format, so a payload from redis-server restores here and one from here restores
// there (the facts are from Redis's RDB format):
//
//   ┌──────┬──────────────────────┬──────┬─────────── ... ──┬────────────┬──────────────────────┐
//   │ 0xF5 │ RDB string: the code │ 0xF5 │ RDB string ...    │ RDB version│ CRC64 (Jones), LE    │
//   └──────┴──────────────────────┴──────┴─────────── ... ──┴ 2 bytes LE ┴ of all bytes before  ┘
//
// An RDB string is a length (6 bits; 14 bits; 0x80 + 32 bits BE; 0x81 + 64 bits BE) and the bytes, or a special
// encoding (0xC0-0xC2: an integer of 8, 16 or 32 bits; 0xC3: LZF-compressed, compressed and plain lengths first).
// Redis compresses strings over 20 bytes; this side writes them plain, which Redis reads as well.

/// <summary>Writes and reads FUNCTION DUMP payloads.</summary>
internal static class FunctionPayload
{
    private const byte OpcodeFunction = 0xF5;   // RDB_OPCODE_FUNCTION2
    private const ushort RdbVersion = 10;       // Redis 7.0's

    public static byte[] Write(List<byte[]> codes)
    {
        var o = new List<byte>();
        foreach (byte[] code in codes)
        {
            o.Add(OpcodeFunction);
            WriteLength(o, code.Length);
            o.AddRange(code);
        }
        o.Add((byte)(RdbVersion & 0xff));
        o.Add((byte)(RdbVersion >> 8));
        ulong crc = Crc64.Compute([.. o]);
        Span<byte> tail = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(tail, crc);
        o.AddRange(tail.ToArray());
        return [.. o];
    }

    /// <summary>The libraries' codes, or null when the payload is damaged or of an unknown version.</summary>
    public static List<byte[]>? Read(ReadOnlySpan<byte> p)
    {
        if (p.Length < 10) return null;
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(p[^10..]);
        if (version > RdbVersion) return null;
        if (BinaryPrimitives.ReadUInt64LittleEndian(p[^8..]) != Crc64.Compute(p[..^8])) return null;
        ReadOnlySpan<byte> body = p[..^10];
        var codes = new List<byte[]>();
        int pos = 0;
        while (pos < body.Length)
        {
            if (body[pos++] != OpcodeFunction) return null;
            byte[]? code = ReadString(body, ref pos);
            if (code is null) return null;
            codes.Add(code);
        }
        return codes;
    }

    private static void WriteLength(List<byte> o, long n)
    {
        if (n < 64) o.Add((byte)n);
        else if (n < 16384)
        {
            o.Add((byte)(0x40 | (n >> 8)));
            o.Add((byte)n);
        }
        else
        {
            o.Add(0x80);
            Span<byte> s = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(s, (uint)n);
            o.AddRange(s.ToArray());
        }
    }

    /// <summary>A length; <paramref name="encoding"/> is the special encoding (0-3) when the first two bits are 11, else -1.</summary>
    private static long ReadLength(ReadOnlySpan<byte> b, ref int pos, out int encoding)
    {
        encoding = -1;
        if (pos >= b.Length) return -1;
        byte first = b[pos++];
        switch (first >> 6)
        {
            case 0: return first & 0x3f;
            case 1:
                if (pos >= b.Length) return -1;
                return ((first & 0x3f) << 8) | b[pos++];
            case 2:
                if (first == 0x80 && pos + 4 <= b.Length) { pos += 4; return BinaryPrimitives.ReadUInt32BigEndian(b[(pos - 4)..]); }
                if (first == 0x81 && pos + 8 <= b.Length) { pos += 8; return (long)BinaryPrimitives.ReadUInt64BigEndian(b[(pos - 8)..]); }
                return -1;
            default:
                encoding = first & 0x3f;
                return 0;
        }
    }

    private static byte[]? ReadString(ReadOnlySpan<byte> b, ref int pos)
    {
        long len = ReadLength(b, ref pos, out int encoding);
        switch (encoding)
        {
            case -1:
                if (len < 0 || pos + len > b.Length) return null;
                pos += (int)len;
                return b.Slice(pos - (int)len, (int)len).ToArray();
            case 0 or 1 or 2:
            {
                int size = 1 << encoding;
                if (pos + size > b.Length) return null;
                long v = encoding == 0 ? (sbyte)b[pos] : encoding == 1 ? BinaryPrimitives.ReadInt16LittleEndian(b[pos..]) : BinaryPrimitives.ReadInt32LittleEndian(b[pos..]);
                pos += size;
                return Encoding.ASCII.GetBytes(v.ToString(CultureInfo.InvariantCulture));
            }
            case 3:
            {
                long clen = ReadLength(b, ref pos, out _), plain = ReadLength(b, ref pos, out _);
                if (clen < 0 || plain < 0 || pos + clen > b.Length || plain > 512L * 1024 * 1024) return null;
                byte[]? s = Lzf.Decompress(b.Slice(pos, (int)clen), (int)plain);
                pos += (int)clen;
                return s;
            }
            default: return null;
        }
    }
}

/// <summary>LZF decompression (the format Redis compresses RDB strings with).</summary>
internal static class Lzf
{
    public static byte[]? Decompress(ReadOnlySpan<byte> input, int length)
    {
        byte[] o = new byte[length];
        int ip = 0, op = 0;
        while (ip < input.Length)
        {
            int ctrl = input[ip++];
            if (ctrl < 32)
            {
                int run = ctrl + 1;   // a literal run
                if (ip + run > input.Length || op + run > length) return null;
                input.Slice(ip, run).CopyTo(o.AsSpan(op));
                ip += run;
                op += run;
                continue;
            }
            int len = ctrl >> 5;   // a back reference
            if (len == 7)
            {
                if (ip >= input.Length) return null;
                len += input[ip++];
            }
            if (ip >= input.Length) return null;
            int from = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
            len += 2;
            if (from < 0 || op + len > length) return null;
            for (int i = 0; i < len; i++) o[op++] = o[from++];   // may overlap: byte by byte
        }
        return op == length ? o : null;
    }
}

/// <summary>Redis's CRC64: the Jones polynomial, reflected, initial value 0 (crc64("123456789") = 0xe9c6d914c4b8d9ca).</summary>
internal static class Crc64
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

    public static ulong Compute(ReadOnlySpan<byte> data)
    {
        ulong crc = 0;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xff] ^ (crc >> 8);
        return crc;
    }
}

namespace Tiered.Tiering.Rdb;

// LZF, the compression Redis applies to RDB strings longer than 20 bytes (rdbcompression yes).
//
// Why our own compressor and not LZ4 (which the cold tier uses): the bytes of a DUMP payload are part of the
// exchange with redis-server, so the compressed form must be LZF, and a payload Tiered writes should be the payload
// redis-server writes for the same value. LZF's output depends on the match finder, not only on the format, so the
// compressor below follows liblzf 3.6 as Redis builds it (a 2^16-slot hash table of 3-byte prefixes, "very fast"
// mode re-hashing the last two positions of a match, offsets of up to 8 KB, matches of up to 264 bytes). Decompression
// only needs the format:
//
//     ctrl < 32          literal run:    [000LLLLL] then L+1 literal bytes
//     ctrl >> 5 in 1..6  short match:    [LLLooooo][oooooooo]            copy L+2 bytes from (out - offset - 1)
//     ctrl >> 5 == 7     long match:     [111ooooo][L - 7][oooooooo]     copy L+2 bytes (L = 7 + the next byte)
//
// A match may overlap its own output (offset smaller than its length), so it is copied byte by byte.
//
// Why the hash table is never cleared per call: clearing 2^16 slots costs more than compressing a short string (an
// RDB file of 100,000 50-byte values spent 95% of its time there). Each call instead owns a range of stamps,
// [base, base + length]: a slot holds base + position, and a slot from an earlier call reads as a position <= 0,
// which the match test already refuses (as liblzf refuses ref <= in_data). The table is cleared only when the
// stamps would overflow.

/// <summary>LZF compression and decompression in liblzf's format and match choices.</summary>
public static class Lzf
{
    private const int HashLog = 16;
    private const int MaxLiteral = 1 << 5;
    private const int MaxOffset = 1 << 13;
    private const int MaxReference = (1 << 8) + (1 << 3);

    [ThreadStatic] private static int[]? t_table;
    [ThreadStatic] private static int t_base;   // the first stamp the next call on this thread may use

    /// <summary>
    /// Compresses <paramref name="input"/> into at most <paramref name="outLimit"/> bytes; null when it does not fit
    /// (Redis then stores the string plain). Gives liblzf's bytes for the same input.
    /// </summary>
    public static byte[]? Compress(ReadOnlySpan<byte> input, int outLimit)
    {
        int inLen = input.Length;
        if (inLen == 0 || outLimit <= 0) return null;
        int[] table = t_table ??= new int[1 << HashLog];
        if (t_base > int.MaxValue - inLen - 1)
        {
            Array.Clear(table);
            t_base = 0;
        }
        int stamp = t_base;   // this call's slots hold stamp + position; older ones read as positions <= 0
        t_base += inLen + 1;
        byte[] o = new byte[outLimit + 3];   // the final literal loop may pass the limit by up to 3 bytes, as liblzf's
        int ip = 0, op = 1, lit = 0;
        uint hval = (uint)((input[0] << 8) | (inLen > 1 ? input[1] : 0));
        while (ip < inLen - 2)
        {
            hval = (hval << 8) | input[ip + 2];
            int slot = Index(hval);
            int reference = table[slot] - stamp;
            table[slot] = ip + stamp;
            int off;
            if (reference > 0 && (off = ip - reference - 1) < MaxOffset && off >= 0
                && input[reference + 2] == input[ip + 2] && input[reference] == input[ip] && input[reference + 1] == input[ip + 1])
            {
                int len = 2;
                int maxlen = inLen - ip - len;
                if (maxlen > MaxReference) maxlen = MaxReference;
                if (op + 3 + 1 >= outLimit && op - (lit == 0 ? 1 : 0) + 3 + 1 >= outLimit) return null;
                o[op - lit - 1] = (byte)(lit - 1);
                if (lit == 0) op--;
                len = MatchLength(input, reference, ip, len, maxlen);
                len -= 2;
                ip++;
                if (len < 7) o[op++] = (byte)((off >> 8) + (len << 5));
                else
                {
                    o[op++] = (byte)((off >> 8) + (7 << 5));
                    o[op++] = (byte)(len - 7);
                }
                o[op++] = (byte)off;
                lit = 0;
                op++;
                ip += len + 1;
                if (ip >= inLen - 2) break;
                ip -= 2;
                hval = (uint)((input[ip] << 8) | input[ip + 1]);
                hval = (hval << 8) | input[ip + 2];
                table[Index(hval)] = ip + stamp;
                ip++;
                hval = (hval << 8) | input[ip + 2];
                table[Index(hval)] = ip + stamp;
                ip++;
            }
            else
            {
                if (op >= outLimit) return null;
                lit++;
                o[op++] = input[ip++];
                if (lit == MaxLiteral)
                {
                    o[op - lit - 1] = (byte)(lit - 1);
                    lit = 0;
                    op++;
                }
            }
        }
        if (op + 3 > outLimit) return null;
        while (ip < inLen)
        {
            lit++;
            o[op++] = input[ip++];
            if (lit == MaxLiteral)
            {
                o[op - lit - 1] = (byte)(lit - 1);
                lit = 0;
                op++;
            }
        }
        o[op - lit - 1] = (byte)(lit - 1);
        if (lit == 0) op--;
        return o.AsSpan(0, op).ToArray();
    }

    /// <summary>liblzf's "very fast" hash of the three bytes at the top of <paramref name="h"/>.</summary>
    private static int Index(uint h) => (int)(((h >> (3 * 8 - HashLog)) - h * 5) & ((1 << HashLog) - 1));

    /// <summary>The match length as liblzf counts it: 16 unrolled steps when far from the limit, then one by one.</summary>
    private static int MatchLength(ReadOnlySpan<byte> input, int reference, int ip, int len, int maxlen)
    {
        if (maxlen > 16)
        {
            for (int k = 0; k < 16; k++)
            {
                len++;
                if (input[reference + len] != input[ip + len]) return len;
            }
        }
        do len++;
        while (len < maxlen && input[reference + len] == input[ip + len]);
        return len;
    }

    /// <summary>Decompresses <paramref name="input"/> into exactly <paramref name="length"/> bytes; null when the input is damaged.</summary>
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

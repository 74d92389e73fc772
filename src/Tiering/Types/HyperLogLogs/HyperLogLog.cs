using System.Numerics;

namespace Tiered.Tiering.Types.HyperLogLogs;

// Why HyperLogLog works, and why it is stored the way it is
// ----------------------------------------------------------
// Counting distinct elements exactly needs memory proportional to the number of distinct elements. HyperLogLog
// trades exactness for a fixed 12 KB: hash every element to 64 uniform bits, use the low 14 bits to pick one of
// m = 16384 registers, and in that register remember the longest run of trailing zero bits (+1) seen in the
// remaining 50 bits. A run of length k shows up about once every 2^k distinct elements, so each register is a
// (very noisy) logarithmic counter for its 1/m share of the stream; averaging m of them with a harmonic mean gives
// a standard error of 1.04/sqrt(m) = 0.81%. Duplicates hash alike and change nothing, which is the whole point.
//
// The estimator is Redis 7's: Otmar Ertl's "improved" estimator, which works from the histogram of register values
// (how many registers hold 0, 1, ... 51) and corrects both ends analytically (sigma for the many-zero-registers
// small range, tau for the saturated large range), so no empirical bias tables or linear-counting switch are needed.
//
// We store exactly what Redis stores, as an ordinary string value (TYPE says "string", GET returns these bytes,
// and a dump from one server can be PFMERGEd on the other):
//
//   byte  0    4    5         8                        16
//         +----+----+---------+------------------------+---------------------------------+
//         |HYLL| enc| unused 0| cached cardinality     | registers (dense) or opcodes    |
//         |    |0/1 | (3 B)   | 8 B LE, bit 63 of the  | (sparse)                        |
//         |    |    |         | last byte = stale      |                                 |
//         +----+----+---------+------------------------+---------------------------------+
//
// Dense (enc 0): 16384 registers of 6 bits = 12288 bytes, packed least significant bit first, so a register may
// straddle two bytes:
//
//        byte 0           byte 1           byte 2
//   +--------+--------+--------+
//   |11000000|22221111|33333322|   register 0 = bits 0-5 of byte 0, register 1 = bits 6-7 of byte 0 and
//   +--------+--------+--------+   bits 0-3 of byte 1, register 2 = bits 4-7 of byte 1 and bits 0-1 of byte 2, ...
//    7      0 (bit numbers within each byte, most significant on the left)
//
// Sparse (enc 1): most registers of a small set are 0, so runs are run-length coded with three opcodes:
//
//   ZERO   00xxxxxx           xxxxxx+1 (1..64) registers are 0
//   XZERO  01xxxxxx yyyyyyyy  (xxxxxxyyyyyyyy)+1 (1..16384) registers are 0
//   VAL    1vvvvvxx           xx+1 (1..4) registers hold vvvvv+1 (1..32)
//
// An empty HLL is one XZERO covering all 16384 registers: 18 bytes in all. The sparse form is promoted to dense
// (for good) when a register needs a value above 32 or the whole string would exceed hll-sparse-max-bytes (3000).
// Promotion only changes the encoding, never a register, so the count is unchanged.
//
// Our sparse update decodes the opcodes into a 16 KB stack buffer of registers, applies the change and re-encodes
// (canonically: longest runs first). That is O(16384) per changing PFADD on a sparse value rather than Redis's
// in-place splice, but it is simple, allocation-free apart from the resized string, and bounded: a sparse value is
// at most 3000 bytes and dense updates, the common case for large sets, are O(1) in place.
//
// The element hash is MurmurHash64A (Austin Appleby's public-domain 64-bit MurmurHash2) with Redis's seed
// 0xadc83b19, so an element lands in the same register with the same run length as in Redis.

/// <summary>The HyperLogLog algorithm over Redis's string layout (see the essay at the top of this file).</summary>
public static class HyperLogLog
{
    /// <summary>Register index bits (Redis's HLL_P).</summary>
    public const int P = 14;
    /// <summary>Number of registers.</summary>
    public const int Registers = 1 << P;
    /// <summary>Bits left for the run length (HLL_Q).</summary>
    public const int Q = 64 - P;
    /// <summary>Bits per dense register.</summary>
    public const int RegisterBits = 6;
    /// <summary>Largest register value.</summary>
    public const int RegisterMax = (1 << RegisterBits) - 1;
    /// <summary>Header bytes.</summary>
    public const int HeaderSize = 16;
    /// <summary>Dense register bytes.</summary>
    public const int DenseRegisterBytes = (Registers * RegisterBits + 7) / 8;
    /// <summary>Total size of a dense HLL string.</summary>
    public const int DenseSize = HeaderSize + DenseRegisterBytes;
    /// <summary>Redis's default hll-sparse-max-bytes.</summary>
    public const int SparseMaxBytes = 3000;

    public const byte EncodingDense = 0;
    public const byte EncodingSparse = 1;

    private const int SparseValMax = 32;
    private const int SparseValMaxLen = 4;
    private const int SparseZeroMaxLen = 64;
    private const int SparseXZeroMaxLen = 16384;
    private const double AlphaInf = 0.721347520444481703680; // 1 / (2 ln 2)
    private const uint RedisSeed = 0xadc83b19;

    /// <summary>The register an element maps to and the run length it proposes (1..Q+1), as Redis's hllPatLen.</summary>
    public static int PatternLength(ReadOnlySpan<byte> element, out int index)
    {
        ulong hash = MurmurHash.Hash64A(element, RedisSeed);
        index = (int)(hash & (Registers - 1));
        hash >>= P;
        hash |= 1UL << Q; // guarantees termination: count <= Q + 1
        return BitOperations.TrailingZeroCount(hash) + 1;
    }

    /// <summary>A new, empty HLL in the sparse encoding (cached cardinality 0, valid).</summary>
    public static byte[] CreateEmpty()
    {
        var s = new byte[HeaderSize + 2];
        WriteHeader(s, EncodingSparse);
        int len = Registers - 1;
        s[HeaderSize] = (byte)(0x40 | (len >> 8));
        s[HeaderSize + 1] = (byte)len;
        return s;
    }

    private static void WriteHeader(Span<byte> s, byte encoding)
    {
        "HYLL"u8.CopyTo(s);
        s[4] = encoding;
        s[5] = s[6] = s[7] = 0;
        s.Slice(8, 8).Clear();
    }

    /// <summary>Redis's isHLLObject: the magic, a known encoding and, for dense, the exact size.</summary>
    public static bool IsValid(ReadOnlySpan<byte> s)
    {
        if (s.Length < HeaderSize) return false;
        if (!s[..4].SequenceEqual("HYLL"u8)) return false;
        if (s[4] > EncodingSparse) return false;
        if (s[4] == EncodingDense && s.Length != DenseSize) return false;
        return true;
    }

    /// <summary>True if the cached cardinality is current.</summary>
    public static bool CacheValid(ReadOnlySpan<byte> s) => (s[15] & 0x80) == 0;

    /// <summary>The cached cardinality (meaningful only when <see cref="CacheValid"/>).</summary>
    public static long CachedCount(ReadOnlySpan<byte> s) => (long)BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(8, 8));

    /// <summary>Stores the cardinality in the header (in place, same length).</summary>
    public static void SetCachedCount(Span<byte> s, long count) => BinaryPrimitives.WriteUInt64LittleEndian(s.Slice(8, 8), (ulong)count);

    /// <summary>Marks the cached cardinality stale.</summary>
    public static void InvalidateCache(Span<byte> s) => s[15] |= 0x80;

    /// <summary>Dense register <paramref name="index"/>.</summary>
    public static int GetDense(ReadOnlySpan<byte> regs, int index)
    {
        int bit = index * RegisterBits;
        int b = bit >> 3, fb = bit & 7;
        int v = regs[b] >> fb;
        if (fb > 8 - RegisterBits) v |= regs[b + 1] << (8 - fb);
        return v & RegisterMax;
    }

    /// <summary>Sets dense register <paramref name="index"/> to <paramref name="value"/> (0..63).</summary>
    public static void SetDense(Span<byte> regs, int index, int value)
    {
        int bit = index * RegisterBits;
        int b = bit >> 3, fb = bit & 7;
        regs[b] = (byte)((regs[b] & ~(RegisterMax << fb)) | (value << fb));
        if (fb > 8 - RegisterBits)
        {
            int fb8 = 8 - fb;
            regs[b + 1] = (byte)((regs[b + 1] & ~(RegisterMax >> fb8)) | (value >> fb8));
        }
    }

    /// <summary>
    /// Decodes the registers of <paramref name="hll"/> (either encoding) into <paramref name="registers"/>
    /// (<see cref="Registers"/> bytes). False if a sparse body is corrupt (does not cover exactly 16384 registers).
    /// </summary>
    public static bool Decode(ReadOnlySpan<byte> hll, Span<byte> registers)
    {
        ReadOnlySpan<byte> body = hll[HeaderSize..];
        if (hll[4] == EncodingDense)
        {
            for (int i = 0; i < Registers; i++) registers[i] = (byte)GetDense(body, i);
            return true;
        }
        int idx = 0, p = 0;
        while (p < body.Length)
        {
            int op = body[p];
            if ((op & 0x80) != 0)
            {
                int run = (op & 3) + 1;
                byte val = (byte)(((op >> 2) & 0x1f) + 1);
                if (idx + run > Registers) return false;
                registers.Slice(idx, run).Fill(val);
                idx += run;
                p++;
            }
            else
            {
                int run;
                if ((op & 0x40) != 0)
                {
                    if (p + 1 >= body.Length) return false;
                    run = (((op & 0x3f) << 8) | body[p + 1]) + 1;
                    p += 2;
                }
                else
                {
                    run = (op & 0x3f) + 1;
                    p++;
                }
                if (idx + run > Registers) return false;
                registers.Slice(idx, run).Clear();
                idx += run;
            }
        }
        return idx == Registers;
    }

    /// <summary>
    /// Size of the sparse body for <paramref name="registers"/>, or -1 if a register is too large for the sparse
    /// form (above 32).
    /// </summary>
    public static int SparseBodySize(ReadOnlySpan<byte> registers)
    {
        int size = 0, i = 0;
        while (i < Registers)
        {
            int v = registers[i];
            int run = RunLength(registers, i);
            if (v == 0)
            {
                while (run > 0)
                {
                    if (run > SparseZeroMaxLen) { int n = Math.Min(run, SparseXZeroMaxLen); size += 2; run -= n; i += n; }
                    else { size += 1; i += run; run = 0; }
                }
            }
            else
            {
                if (v > SparseValMax) return -1;
                size += (run + SparseValMaxLen - 1) / SparseValMaxLen;
                i += run;
            }
        }
        return size;
    }

    private static int RunLength(ReadOnlySpan<byte> registers, int i)
    {
        byte v = registers[i];
        int j = i + 1;
        while (j < Registers && registers[j] == v) j++;
        return j - i;
    }

    /// <summary>Writes the sparse body for <paramref name="registers"/> (size from <see cref="SparseBodySize"/>).</summary>
    public static void EncodeSparse(ReadOnlySpan<byte> registers, Span<byte> body)
    {
        int i = 0, p = 0;
        while (i < Registers)
        {
            int v = registers[i];
            int run = RunLength(registers, i);
            i += run;
            if (v == 0)
            {
                while (run > 0)
                {
                    if (run > SparseZeroMaxLen)
                    {
                        int n = Math.Min(run, SparseXZeroMaxLen) - 1;
                        body[p++] = (byte)(0x40 | (n >> 8));
                        body[p++] = (byte)n;
                        run -= n + 1;
                    }
                    else
                    {
                        body[p++] = (byte)(run - 1);
                        run = 0;
                    }
                }
            }
            else
            {
                while (run > 0)
                {
                    int n = Math.Min(run, SparseValMaxLen);
                    body[p++] = (byte)(0x80 | ((v - 1) << 2) | (n - 1));
                    run -= n;
                }
            }
        }
    }

    /// <summary>
    /// Builds an HLL string holding <paramref name="registers"/>: sparse when it fits (values ≤ 32 and total size ≤
    /// <paramref name="sparseMaxBytes"/>) and <paramref name="allowSparse"/>, else dense. The cache is marked stale.
    /// </summary>
    public static byte[] Build(ReadOnlySpan<byte> registers, bool allowSparse, int sparseMaxBytes = SparseMaxBytes)
    {
        if (allowSparse)
        {
            int body = SparseBodySize(registers);
            if (body >= 0 && HeaderSize + body <= sparseMaxBytes)
            {
                var s = new byte[HeaderSize + body];
                WriteHeader(s, EncodingSparse);
                EncodeSparse(registers, s.AsSpan(HeaderSize));
                InvalidateCache(s);
                return s;
            }
        }
        var d = new byte[DenseSize];
        WriteHeader(d, EncodingDense);
        Span<byte> regs = d.AsSpan(HeaderSize);
        for (int i = 0; i < Registers; i++)
            if (registers[i] != 0) SetDense(regs, i, registers[i]);
        InvalidateCache(d);
        return d;
    }

    /// <summary>A dense copy of <paramref name="hll"/> (same registers), or null if the sparse body is corrupt.</summary>
    public static byte[]? ToDense(ReadOnlySpan<byte> hll)
    {
        Span<byte> registers = stackalloc byte[Registers];
        if (!Decode(hll, registers)) return null;
        return Build(registers, allowSparse: false);
    }

    /// <summary>Cardinality estimate from decoded registers (Redis 7's hllCount with Ertl's estimator).</summary>
    public static long Estimate(ReadOnlySpan<byte> registers)
    {
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        for (int i = 0; i < Registers; i++) histogram[registers[i]]++;
        return EstimateFromHistogram(histogram);
    }

    /// <summary>Cardinality estimate of a valid HLL string; -1 if its sparse body is corrupt.</summary>
    public static long Count(ReadOnlySpan<byte> hll)
    {
        Span<int> histogram = stackalloc int[64];
        histogram.Clear();
        if (hll[4] == EncodingDense)
        {
            ReadOnlySpan<byte> regs = hll[HeaderSize..];
            for (int i = 0; i < Registers; i++) histogram[GetDense(regs, i)]++;
            return EstimateFromHistogram(histogram);
        }
        Span<byte> registers = stackalloc byte[Registers];
        if (!Decode(hll, registers)) return -1;
        for (int i = 0; i < Registers; i++) histogram[registers[i]]++;
        return EstimateFromHistogram(histogram);
    }

    private static long EstimateFromHistogram(ReadOnlySpan<int> histogram)
    {
        const double m = Registers;
        double z = m * Tau((m - histogram[Q + 1]) / m);
        for (int j = Q; j >= 1; j--)
        {
            z += histogram[j];
            z *= 0.5;
        }
        z += m * Sigma(histogram[0] / m);
        return (long)Math.Round(AlphaInf * m * m / z, MidpointRounding.AwayFromZero);
    }

    /// <summary>Ertl's sigma(x) = x + sum over k≥1 of x^(2^k) 2^(k-1), for the small-range correction.</summary>
    private static double Sigma(double x)
    {
        if (x == 1.0) return double.PositiveInfinity;
        double y = 1, z = x, zPrev;
        do
        {
            x *= x;
            zPrev = z;
            z += x * y;
            y += y;
        } while (zPrev != z);
        return z;
    }

    /// <summary>Ertl's tau(x), for the large-range correction of saturated registers.</summary>
    private static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0) return 0.0;
        double y = 1.0, z = 1 - x, zPrev;
        do
        {
            x = Math.Sqrt(x);
            zPrev = z;
            y *= 0.5;
            double d = 1 - x;
            z -= d * d * y;
        } while (zPrev != z);
        return z / 3;
    }
}

using System.Buffers.Text;

namespace Tiered.CrashTest;

/// <summary>
/// Self-describing values, so that any value read back after a crash can be judged on its own.
///
/// Why: after a kill -9 the checker must tell apart "the last acknowledged write", "an older write" (lost update),
/// "a write that was in flight" and "bytes no writer ever sent" (torn or corrupt). Storing the whole history of
/// 1 KB values is out of the question for a million keys, so each value names its origin in a short text header
/// and the rest is regenerated from that header: the checker rebuilds the value the header claims and compares every
/// byte. A torn write (a prefix of one value followed by another's bytes, a truncated value, a zeroed page) fails the
/// comparison; a genuine value tells exactly which write it was.
///
///   0                     h            h+(n-h)/2                 n
///   | key|writer|seq|     | random bytes | lowercase text          |
///     ASCII header          both halves from SplitMix64(key, writer, seq)
///
/// Half random (incompressible, as real data mostly is: the cold tier LZ4-compresses values) and half text
/// (compressible), so the codec path of the engine is exercised both ways.
/// </summary>
public static class ValueCodec
{
    /// <summary>Smallest value size: the header is at most 20+1+10+1+20+1 bytes.</summary>
    public const int MinSize = 64;

    /// <summary>Writes the value of write (key, writer, seq), exactly dst.Length bytes.</summary>
    public static void Encode(Span<byte> dst, long key, int writer, long seq)
    {
        int pos = 0;
        pos += Format(dst[pos..], key);
        dst[pos++] = (byte)'|';
        pos += Format(dst[pos..], writer);
        dst[pos++] = (byte)'|';
        pos += Format(dst[pos..], seq);
        dst[pos++] = (byte)'|';
        Fill(dst[pos..], key, writer, seq);
    }

    /// <summary>
    /// True if <paramref name="value"/> is exactly the value some write (key, writer, seq) of <paramref name="key"/>
    /// with this size would have sent; then writer and seq say which. <paramref name="scratch"/> needs value.Length bytes.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> value, long key, int size, Span<byte> scratch, out int writer, out long seq)
    {
        writer = -1;
        seq = -1;
        if (value.Length != size)
            return false;
        if (!Utf8Parser.TryParse(value, out long k, out int used) || k != key || used >= value.Length || value[used] != (byte)'|')
            return false;
        ReadOnlySpan<byte> rest = value[(used + 1)..];
        if (!Utf8Parser.TryParse(rest, out int w, out used) || w < 0 || used >= rest.Length || rest[used] != (byte)'|')
            return false;
        rest = rest[(used + 1)..];
        if (!Utf8Parser.TryParse(rest, out long s, out used) || s < 0 || used >= rest.Length || rest[used] != (byte)'|')
            return false;
        Span<byte> expect = scratch[..size];
        Encode(expect, key, w, s);
        if (!expect.SequenceEqual(value))
            return false;
        writer = w;
        seq = s;
        return true;
    }

    private static int Format(Span<byte> dst, long v)
    {
        if (!Utf8Formatter.TryFormat(v, dst, out int n))
            throw new ArgumentException("value too small for its header");
        return n;
    }

    private static void Fill(Span<byte> dst, long key, int writer, long seq)
    {
        ulong state = (ulong)key * 0x9E3779B97F4A7C15UL ^ ((ulong)writer << 40) ^ (ulong)seq * 0xD1B54A32D192ED03UL;
        int half = dst.Length / 2;
        int i = 0;
        for (; i + 8 <= half; i += 8)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(dst[i..], Next(ref state));
        for (; i < half; i++)
            dst[i] = (byte)Next(ref state);
        for (; i < dst.Length; i++)
        {
            ulong r = Next(ref state) % 32;
            dst[i] = r >= 26 ? (byte)' ' : (byte)('a' + (int)r);
        }
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

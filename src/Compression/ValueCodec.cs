// ValueCodec: how one value is stored on the cold tier.
//
// Why LZ4, and why the block format. Cold values are read back one at a time, on a client's GET, while the client
// waits; the codec sits on that latency path, so decoding speed matters more than ratio. LZ4 decodes at GB/s per
// core and compresses at hundreds of MB/s, which keeps demotion (compression) and promotion (decompression) well
// under the cost of the SSD read itself. The block format, not the frame format, because a value is small and is
// always handled whole: frames add a magic number, descriptors, block checksums and streaming state (tens of bytes
// and allocations) to solve problems a single value does not have. Integrity is the job of the log record around the
// value, which carries its own checksum; the codec does not duplicate it.
//
// Why a raw fallback. Much of a real workload does not compress: short values, random tokens, already compressed
// images. Storing those "compressed" would make them bigger and still cost a decode on every read. So a value is kept
// compressed only if it is at least MinCompressSize bytes and LZ4 saves at least RequiredSaving of it (1/8 by default);
// otherwise it is stored as is. A useful consequence: the encoded form is never more than the value plus a 6-byte
// header, so MaxEncodedLength is tiny and exact, not LZ4's worst-case bound.
//
// Why a self-describing header. The engine keeps any value either way, and the choice is made per value at demotion
// time; the reader must not need an index flag, a config setting or a per-file codec to decode it. One id byte says
// how the payload is stored (and leaves room for another codec later), and the original length lets the reader size
// its buffer before decoding and lets the decoder check that the block expands to exactly that many bytes.
//
//   encoded value (its total length is known to the container, e.g. the log record):
//
//   +--------+---------------------+--------------------------------------------+
//   | id (1) | original length     | payload                                    |
//   |        | varint, 1..5 bytes  |   id 0 (raw): the value's bytes, exactly    |
//   |        | 7 bits/byte, LSB    |               "original length" of them     |
//   |        | first, high bit =   |   id 1 (LZ4): one LZ4 block that decodes to |
//   |        | "more bytes follow" |               exactly "original length"     |
//   +--------+---------------------+--------------------------------------------+
//
//   e.g. a 300-byte value stored raw:  00 AC 02 <300 bytes>        (300 = 0b10_0101100 -> AC 02)
//
// Robustness. Encoded values are read from disk, so decoding treats its input as untrusted: an unknown id, a
// truncated, overlong or non-minimal varint, a length that disagrees with the payload, or an LZ4 block that is
// malformed or does not expand to exactly the declared length all make TryDecode return false. It never throws and
// never writes outside the destination span (LZ4 decoding is the bounds-checked "safe" variant, limited to the
// declared length).

using System.Runtime.CompilerServices;
using K4os.Compression.LZ4;

namespace Tiered.Compression;

/// <summary>
/// Encodes a value compressed (LZ4 block) or raw behind a small self-describing header, and decodes it back, on spans
/// without allocating. See the top of this file for the layout and the reasons. Thread-safe (no shared state; the
/// fast level's encoder keeps one match table per thread, Lz4Block.cs).
/// </summary>
public static class ValueCodec
{
    /// <summary>Codec id of a value stored as is.</summary>
    public const byte RawId = 0;

    /// <summary>Codec id of a value stored as one LZ4 block.</summary>
    public const byte Lz4Id = 1;

    /// <summary>Longest header: the id byte and a 5-byte varint.</summary>
    public const int MaxHeaderLength = 6;

    /// <summary>
    /// An LZ4 block cannot expand more than 255 times (each extra length byte adds at most 255 bytes of output), so a
    /// declared length above this times the block size is corrupt, whatever the block holds.
    /// </summary>
    private const int MaxLz4Ratio = 255;

    /// <summary>Largest encoded size of a value of <paramref name="length"/> bytes: the header plus the value (the raw case).</summary>
    public static int MaxEncodedLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, int.MaxValue - MaxHeaderLength);
        return 1 + VarintLength((uint)length) + length;
    }

    /// <summary>
    /// Encodes <paramref name="value"/> into <paramref name="dest"/> (LZ4 when it pays off by the rules of
    /// <paramref name="options"/>, raw otherwise) and returns the bytes written. <paramref name="dest"/> must hold at
    /// least <see cref="MaxEncodedLength"/> bytes and must not overlap <paramref name="value"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dest"/> is shorter than <see cref="MaxEncodedLength"/>.</exception>
    public static int Encode(ReadOnlySpan<byte> value, Span<byte> dest, CodecOptions? options = null)
    {
        int length = value.Length;
        if (dest.Length < MaxEncodedLength(length))
            throw new ArgumentException($"Destination has {dest.Length} bytes; {MaxEncodedLength(length)} are needed.", nameof(dest));
        options ??= CodecOptions.Default;
        int header = 1 + VarintLength((uint)length);

        if (length > 0 && length >= options.MinCompressSize)
        {
            int limit = options.MaxCompressedLength(length);
            if (limit > 0)
            {
                // LZ4 with a destination of exactly the largest acceptable size: it gives up (returns <= 0) as soon as
                // the output would not fit, so an incompressible value costs a partial attempt, not a full one.
                Span<byte> block = dest.Slice(header, limit);
                int compressed = options.Level == LZ4Level.L00_FAST ? Lz4Block.Encode(value, block) : LZ4Codec.Encode(value, block, options.Level);
                if (compressed > 0)
                {
                    dest[0] = Lz4Id;
                    WriteVarint(dest[1..], (uint)length);
                    return header + compressed;
                }
            }
        }

        dest[0] = RawId;
        WriteVarint(dest[1..], (uint)length);
        value.CopyTo(dest[header..]);
        return header + length;
    }

    /// <summary>
    /// The original length of an encoded value, read from its header, or -1 if the header is invalid or disagrees
    /// with the payload size (so a caller may size a buffer from it without trusting garbage). Never throws.
    /// </summary>
    public static int DecodedLength(ReadOnlySpan<byte> encoded)
        => TryReadHeader(encoded, out _, out int length, out _) ? length : -1;

    /// <summary>
    /// Decodes <paramref name="encoded"/> (exactly one encoded value) into <paramref name="dest"/>. Returns false,
    /// with <paramref name="written"/> 0, when the input is truncated or corrupt or when <paramref name="dest"/> is
    /// shorter than <see cref="DecodedLength"/>. Never throws and never writes past the decoded length in
    /// <paramref name="dest"/>; on failure the first decoded-length bytes of <paramref name="dest"/> may hold garbage.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, Span<byte> dest, out int written)
    {
        written = 0;
        if (!TryReadHeader(encoded, out byte id, out int length, out int header)) return false;
        if (dest.Length < length) return false;
        ReadOnlySpan<byte> payload = encoded[header..];
        if (id == RawId)
        {
            payload.CopyTo(dest);
        }
        else
        {
            int decoded = LZ4Codec.Decode(payload, dest[..length]);
            if (decoded != length) return false;
        }
        written = length;
        return true;
    }

    /// <summary>Parses and checks the header: known id, minimal varint, a length consistent with the payload size.</summary>
    private static bool TryReadHeader(ReadOnlySpan<byte> encoded, out byte id, out int length, out int header)
    {
        id = 0;
        length = 0;
        header = 0;
        if (encoded.IsEmpty) return false;
        id = encoded[0];
        if (id > Lz4Id) return false;
        if (!TryReadVarint(encoded[1..], out length, out int varintLength)) return false;
        header = 1 + varintLength;
        int payload = encoded.Length - header;
        if (id == RawId) return payload == length;
        // An LZ4 value is never empty (the encoder stores short values raw), and cannot expand beyond MaxLz4Ratio.
        return payload > 0 && length > 0 && length / MaxLz4Ratio <= payload;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int VarintLength(uint value)
        => value < 1u << 7 ? 1 : value < 1u << 14 ? 2 : value < 1u << 21 ? 3 : value < 1u << 28 ? 4 : 5;

    private static void WriteVarint(Span<byte> dest, uint value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            dest[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dest[i] = (byte)value;
    }

    /// <summary>
    /// Reads a varint holding a non-negative int. Rejects truncation, more than 5 bytes, values above int.MaxValue and
    /// non-minimal forms (a final 0x00 after a continuation byte), so each length has exactly one valid encoding.
    /// </summary>
    private static bool TryReadVarint(ReadOnlySpan<byte> src, out int value, out int bytesRead)
    {
        value = 0;
        bytesRead = 0;
        uint result = 0;
        for (int i = 0; i < 5; i++)
        {
            if (i >= src.Length) return false;
            byte b = src[i];
            if (i == 4 && b > 0x07) return false; // 28 bits read: only 3 more fit in an int, and no continuation
            result |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                if (b == 0 && i > 0) return false;
                if (result > int.MaxValue) return false;
                value = (int)result;
                bytesRead = i + 1;
                return true;
            }
        }
        return false;
    }
}

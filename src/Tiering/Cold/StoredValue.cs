using Tiered.Compression;

namespace Tiered.Tiering.Cold;

/// <summary>
/// The value part of a PUT record: <c>ValueCodec(ValueFormat(kind, version, payload, crc))</c>, the one encoding the
/// journal, demotion and recovery share. The record's flags byte carries the kind too, so recovery can index a record
/// without decompressing it.
/// </summary>
public static class StoredValue
{
    /// <summary>
    /// Encodes <paramref name="value"/> of kind <paramref name="kind"/> into <paramref name="buffer"/> (a pooled array,
    /// replaced by a larger one when needed) and returns the encoded length; <paramref name="logical"/> is the
    /// uncompressed ValueFormat length. Objects are walked here: call under the store lock.
    /// </summary>
    public static int Encode(ValueKind kind, object value, ref byte[] buffer, out int logical)
    {
        if (value is byte[] s)
        {
            // Strings (every SET) go through pooled buffers only: no allocation per write.
            byte[] envelope = ArrayPool<byte>.Shared.Rent(ValueFormat.StringSize(s.Length));
            try
            {
                logical = ValueFormat.EncodeString(s, envelope);
                return Compress(envelope.AsSpan(0, logical), ref buffer);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(envelope);
            }
        }
        byte[] payload = ValueFormat.Encode(kind, value);
        logical = payload.Length;
        return Compress(payload, ref buffer);
    }

    private static int Compress(ReadOnlySpan<byte> payload, ref byte[] buffer)
    {
        int max = ValueCodec.MaxEncodedLength(payload.Length);
        if (buffer.Length < max)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(max);
        }
        return ValueCodec.Encode(payload, buffer);
    }

    /// <summary>The uncompressed length of an encoded value (a header read), or -1 when it is damaged.</summary>
    public static int LogicalLength(ReadOnlySpan<byte> stored) => ValueCodec.DecodedLength(stored);

    /// <summary>Decodes a record's value into a string or a typed object; throws <see cref="ColdReadException"/> when damaged.</summary>
    public static object Decode(ReadOnlySpan<byte> stored, ValueKind expected, long address)
    {
        int length = ValueCodec.DecodedLength(stored);
        if (length < 0) throw Damaged(address);
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            if (!ValueCodec.TryDecode(stored, rented, out int written)
                || !ValueFormat.TryDecode(rented.AsSpan(0, written), out ValueKind kind, out object? value)
                || kind != expected || value is null)
                throw Damaged(address);
            if (value is ValueObject obj) obj.AccountedBytes = obj.SizeBytes;
            return value;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Decodes a record's string value into <paramref name="scratch"/> (grown when needed, never shrunk) and returns its
    /// bytes, a slice of it: no allocation once the scratch is big enough. Throws <see cref="ColdReadException"/> when
    /// damaged or not a string.
    /// </summary>
    public static ReadOnlySpan<byte> DecodeString(ReadOnlySpan<byte> stored, ref byte[] scratch, long address)
    {
        int length = ValueCodec.DecodedLength(stored);
        if (length < 0) throw Damaged(address);
        if (scratch.Length < length) scratch = new byte[Math.Max(Math.Max(length, 4096), scratch.Length * 2)];
        if (!ValueCodec.TryDecode(stored, scratch, out int written)
            || !ValueFormat.TryReadString(scratch.AsSpan(0, written), out ReadOnlySpan<byte> s))
            throw Damaged(address);
        return s;
    }

    private static ColdReadException Damaged(long address)
        => new(address, ColdReadFailure.Corrupt, $"the value at address {address} is damaged");
}

using System.IO.Hashing;

namespace Tiered.Tiering.Base;

/// <summary>
/// The serialized form of a value, shared by the SSD tier and persistence.
///
///   +------+---------+----------------+-----------------+-----------+
///   | kind | version | payload length | payload ...     | crc32c    |
///   | 1 B  | 1 B     | 4 B LE         | length bytes    | 4 B LE    |
///   +------+---------+----------------+-----------------+-----------+
///
/// Strings (kind 1) have version 0 and their bytes as payload. The checksum covers kind, version, length and payload,
/// so a torn or corrupted record is detected before any type decoder sees it. Decoders must also be robust: they
/// receive only checksummed bytes, but a version from a future release must be refused, not misread.
/// </summary>
public static class ValueFormat
{
    internal const int HeaderSize = 6;
    internal const int TrailerSize = 4;

    /// <summary>Bytes of the serialized form of a string of <paramref name="length"/> bytes.</summary>
    public static int StringSize(int length) => HeaderSize + length + TrailerSize;

    /// <summary>
    /// Serializes a string into <paramref name="dest"/> (at least <see cref="StringSize"/> bytes) without allocating
    /// (the journal's path for every SET); the bytes equal <c>Encode(ValueKind.String, s)</c>. Returns the length.
    /// </summary>
    public static int EncodeString(ReadOnlySpan<byte> s, Span<byte> dest)
    {
        dest[0] = (byte)ValueKind.String;
        dest[1] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(dest[2..], s.Length);
        s.CopyTo(dest[HeaderSize..]);
        int n = HeaderSize + s.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(dest[n..], Crc32.HashToUInt32(dest[..n]));
        return n + TrailerSize;
    }

    /// <summary>Serializes <paramref name="value"/> (a byte[] string or a <see cref="ValueObject"/>).</summary>
    public static byte[] Encode(ValueKind kind, object value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Span<byte> header = buffer.GetSpan(HeaderSize);
        header[0] = (byte)kind;
        buffer.Advance(HeaderSize);
        byte version;
        if (value is byte[] s)
        {
            version = 0;
            buffer.Write(s);
        }
        else
        {
            var obj = (ValueObject)value;
            version = obj.FormatVersion;
            obj.Serialize(buffer);
        }
        byte[] result = new byte[buffer.WrittenCount + TrailerSize];
        buffer.WrittenSpan.CopyTo(result);
        result[1] = version;
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(2), buffer.WrittenCount - HeaderSize);
        uint crc = Crc32.HashToUInt32(result.AsSpan(0, buffer.WrittenCount));
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(buffer.WrittenCount), crc);
        return result;
    }

    /// <summary>Checks the envelope and decodes the value; false on any corruption or unknown kind/version.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out ValueKind kind, out object? value)
    {
        value = null;
        if (!TryOpen(data, out kind, out byte version, out ReadOnlySpan<byte> payload)) return false;
        value = Decode(kind, version, payload);
        return value != null;
    }

    /// <summary>
    /// Checks the envelope of a string and hands out its bytes, a slice of <paramref name="data"/>, without allocating
    /// (a cold GET served from its record); false on any corruption or when it is not a version-0 string.
    /// </summary>
    public static bool TryReadString(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> s)
    {
        if (TryOpen(data, out ValueKind kind, out byte version, out s) && kind == ValueKind.String && version == 0) return true;
        s = default;
        return false;
    }

    /// <summary>Checks the envelope's length and checksum; hands out kind, version and payload.</summary>
    private static bool TryOpen(ReadOnlySpan<byte> data, out ValueKind kind, out byte version, out ReadOnlySpan<byte> payload)
    {
        kind = ValueKind.None;
        version = 0;
        payload = default;
        if (data.Length < HeaderSize + TrailerSize) return false;
        int length = BinaryPrimitives.ReadInt32LittleEndian(data[2..]);
        if (length < 0 || length != data.Length - HeaderSize - TrailerSize) return false;
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data[(HeaderSize + length)..]);
        if (Crc32.HashToUInt32(data[..(HeaderSize + length)]) != crc) return false;
        kind = (ValueKind)data[0];
        version = data[1];
        payload = data.Slice(HeaderSize, length);
        return true;
    }

    /// <summary>
    /// Reads one type's payload of format <paramref name="version"/>; null for a version it does not know or a payload
    /// it cannot parse.
    /// </summary>
    public delegate object? Reader(byte version, ReadOnlySpan<byte> payload);

    /// <summary>
    /// The reader of each kind, indexed by <see cref="ValueKind"/>. Filled once, when the assembly loads, by the type
    /// registry (TypeRegistry.cs at the root of the engine), before any value is read; read-only after that.
    /// </summary>
    private static readonly Reader?[] Readers = new Reader?[256];

    /// <summary>Installs the reader of <paramref name="kind"/>'s payloads (called by the type registry only).</summary>
    internal static void Register(ValueKind kind, Reader reader) => Readers[(byte)kind] = reader;

    /// <summary>Dispatches to the type's reader; strings are their payload.</summary>
    private static object? Decode(ValueKind kind, byte version, ReadOnlySpan<byte> payload)
    {
        if (kind == ValueKind.String) return version == 0 ? payload.ToArray() : null;
        return Readers[(byte)kind]?.Invoke(version, payload);
    }
}

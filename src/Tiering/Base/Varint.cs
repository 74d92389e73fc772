namespace Tiered.Tiering.Base;

/// <summary>
/// The one varint and length-prefix codec of every value encoding (lists, hashes, sets, sorted sets, streams) and
/// of operation records: LEB128 unsigned varints, 7 bits a byte, low bits first; a byte string is its length as a
/// varint, then its bytes.
///
///     300 = 0b1_0010_1100  ->  1010_1100 0000_0010      "abc"  ->  03 61 62 63
///                              (low 7 bits, more) (rest)
///
/// Readers refuse what they cannot trust: a varint cut short or longer than 64 bits, a length past the end.
/// </summary>
public static class Varint
{
    /// <summary>Most bytes a 64-bit varint takes.</summary>
    public const int MaxLength = 10;

    /// <summary>Bytes <paramref name="value"/> takes as a varint.</summary>
    public static int Size(ulong value)
    {
        int n = 1;
        while (value >= 0x80) { value >>= 7; n++; }
        return n;
    }

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="dest"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> dest, ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            dest[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dest[n++] = (byte)value;
        return n;
    }

    /// <summary>Appends <paramref name="value"/> to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, ulong value) => output.Advance(Write(output.GetSpan(MaxLength), value));

    /// <summary>Appends <paramref name="bytes"/> with its length in front.</summary>
    public static void WriteBytes(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        Write(output, (ulong)bytes.Length);
        output.Write(bytes);
    }

    /// <summary>Reads a varint at <paramref name="pos"/> and moves past it; false when truncated or longer than 64 bits.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) return false;
            byte b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }

    /// <summary>
    /// Reads a length-prefixed byte string at <paramref name="pos"/> (a slice of <paramref name="data"/>) and moves past
    /// it; false when the length is cut short or runs past the end.
    /// </summary>
    public static bool TryReadBytes(ReadOnlySpan<byte> data, ref int pos, out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        if (!TryRead(data, ref pos, out ulong length) || length > (ulong)(data.Length - pos)) return false;
        bytes = data.Slice(pos, (int)length);
        pos += (int)length;
        return true;
    }
}

namespace Tiered.Tiering.Base;

/// <summary>LEB128 unsigned varints (7 bits a byte, low first), as the value encodings use.</summary>
public static class Varint
{
    /// <summary>Most bytes a 64-bit varint takes.</summary>
    public const int MaxLength = 10;

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
}

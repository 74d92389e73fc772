namespace Tiered.Tiering.Rdb;

// Reads the RDB primitives RdbWriter.cs describes (its comment has the layouts), from a span, failing softly: every
// method returns false on truncated or malformed input, so a damaged payload becomes Redis's "Bad data format"
// rather than an exception. Besides the forms Redis 7.0 writes it reads the old ones it still loads: scores as
// text (a length byte, 253 NaN, 254 +inf, 255 -inf, else that many ASCII characters) and the 64-bit length.

/// <summary>A cursor over RDB bytes: lengths, strings, doubles, times.</summary>
public ref struct RdbReader(ReadOnlySpan<byte> data)
{
    /// <summary>The largest string a payload may declare (Redis's proto-max-bulk-len ceiling).</summary>
    private const long MaxString = 512L * 1024 * 1024;

    private readonly ReadOnlySpan<byte> _data = data;

    /// <summary>The read position.</summary>
    public int Position { get; private set; }

    /// <summary>Bytes left to read.</summary>
    public readonly int Remaining => _data.Length - Position;

    public bool Byte(out byte b)
    {
        b = 0;
        if (Position >= _data.Length) return false;
        b = _data[Position++];
        return true;
    }

    public bool Raw(int n, out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        if (n < 0 || n > Remaining) return false;
        bytes = _data.Slice(Position, n);
        Position += n;
        return true;
    }

    /// <summary>A length; <paramref name="encoding"/> is the special string encoding (0-3) when the top bits are 11, else -1.</summary>
    public bool Length(out ulong n, out int encoding)
    {
        n = 0;
        encoding = -1;
        if (Remaining < 1) return false;
        int size = LengthPrefix(_data[Position..], out n, out encoding);
        if (size == 0 || size > Remaining) return false;
        Position += size;
        return true;
    }

    /// <summary>
    /// The length at the start of <paramref name="b"/> (at least one byte): the bytes it takes (1, 2, 5 or 9), 0 when
    /// the first byte is no length prefix. When <paramref name="b"/> is shorter than that, <paramref name="n"/> is 0.
    /// </summary>
    internal static int LengthPrefix(ReadOnlySpan<byte> b, out ulong n, out int encoding)
    {
        n = 0;
        encoding = -1;
        byte first = b[0];
        switch (first >> 6)
        {
            case 0: n = (ulong)(first & 0x3f); return 1;
            case 1:
                if (b.Length >= 2) n = (ulong)(((first & 0x3f) << 8) | b[1]);
                return 2;
            case 2:
                if (first == 0x80) { if (b.Length >= 5) n = BinaryPrimitives.ReadUInt32BigEndian(b[1..]); return 5; }
                if (first == 0x81) { if (b.Length >= 9) n = BinaryPrimitives.ReadUInt64BigEndian(b[1..]); return 9; }
                return 0;
            default:
                encoding = first & 0x3f;
                return 1;
        }
    }

    /// <summary>A plain length (not a string's special encoding).</summary>
    public bool Length(out ulong n) => Length(out n, out int encoding) && encoding == -1;

    /// <summary>A length that counts items of at least one byte each, so it cannot exceed what is left.</summary>
    public bool Count(out int n)
    {
        n = 0;
        if (!Length(out ulong v) || v > (ulong)Remaining) return false;
        n = (int)v;
        return true;
    }

    /// <summary>A string in any of its encodings (integers come back as their decimal digits).</summary>
    public bool String(out byte[] s)
    {
        s = [];
        if (!Length(out ulong len, out int encoding)) return false;
        switch (encoding)
        {
            case -1:
                if (!Raw(len > (ulong)Remaining ? -1 : (int)len, out ReadOnlySpan<byte> plain)) return false;
                s = plain.ToArray();
                return true;
            case 0 or 1 or 2:
            {
                if (!Raw(1 << encoding, out ReadOnlySpan<byte> b)) return false;
                long v = encoding == 0 ? (sbyte)b[0] : encoding == 1 ? BinaryPrimitives.ReadInt16LittleEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b);
                s = Digits(v);
                return true;
            }
            case 3:
            {
                if (!Length(out ulong clen) || !Length(out ulong plainLen) || plainLen > MaxString || plainLen == 0) return false;
                if (!Raw(clen > (ulong)Remaining ? -1 : (int)clen, out ReadOnlySpan<byte> packed)) return false;
                byte[]? d = Lzf.Decompress(packed, (int)plainLen);
                if (d is null) return false;
                s = d;
                return true;
            }
            default: return false;
        }
    }

    /// <summary>The decimal digits of <paramref name="v"/>.</summary>
    public static byte[] Digits(long v)
    {
        Span<byte> buf = stackalloc byte[20];
        Utf8Formatter.TryFormat(v, buf, out int n);
        return buf[..n].ToArray();
    }

    /// <summary>A binary double (ZSET_2).</summary>
    public bool BinaryDouble(out double d)
    {
        d = 0;
        if (!Raw(8, out ReadOnlySpan<byte> b)) return false;
        d = BinaryPrimitives.ReadDoubleLittleEndian(b);
        return true;
    }

    /// <summary>A double as text (the old ZSET type): 253 NaN, 254 +inf, 255 -inf, else a length and the characters.</summary>
    public bool TextDouble(out double d)
    {
        d = 0;
        if (!Byte(out byte len)) return false;
        switch (len)
        {
            case 253: d = double.NaN; return true;
            case 254: d = double.PositiveInfinity; return true;
            case 255: d = double.NegativeInfinity; return true;
        }
        return Raw(len, out ReadOnlySpan<byte> text)
            && double.TryParse(System.Text.Encoding.ASCII.GetString(text), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    /// <summary>A time in milliseconds (8 bytes little-endian).</summary>
    public bool Millis(out long ms)
    {
        ms = 0;
        if (!Raw(8, out ReadOnlySpan<byte> b)) return false;
        ms = BinaryPrimitives.ReadInt64LittleEndian(b);
        return true;
    }
}

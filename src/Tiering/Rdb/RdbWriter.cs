namespace Tiered.Tiering.Rdb;

// The primitives every RDB object is written with: lengths, strings, doubles and times, into a growable buffer.
//
// Why these exact choices: a DUMP payload (and later a full-sync RDB file) is compared with, and loaded by,
// redis-server, so each primitive picks the form rdbSave* picks for the same input:
//
//   length   00LLLLLL                      < 64
//            01LLLLLL LLLLLLLL             < 16384 (14 bits, big-endian)
//            10000000 + 4 bytes BE         < 2^32
//            10000001 + 8 bytes BE         otherwise
//   string   a canonical integer of at most 11 characters that fits 32 bits:
//            11000000 int8 | 11000001 int16 LE | 11000010 int32 LE
//            longer than 20 bytes, when compression is on and LZF saves at least 4 bytes:
//            11000011 length(compressed) length(plain) LZF bytes
//            otherwise length + bytes
//   double   8 bytes, IEEE 754 little-endian (ZSET_2)
//   time     8 bytes little-endian milliseconds (stream PEL delivery times, consumers' seen times)

/// <summary>Writes RDB primitives into a growable buffer (one object or one file).</summary>
public sealed class RdbWriter
{
    private byte[] _buf = new byte[256];
    private int _len;

    /// <summary>Whether strings longer than 20 bytes are LZF-compressed (Redis's rdbcompression, on by default).</summary>
    public bool Compress { get; init; } = true;

    /// <summary>Bytes written so far.</summary>
    public int Size => _len;

    /// <summary>The bytes written so far (valid until the next write).</summary>
    public ReadOnlySpan<byte> Written => _buf.AsSpan(0, _len);

    public byte[] ToArray() => _buf.AsSpan(0, _len).ToArray();

    /// <summary>Forgets what was written, keeping the buffer (a file writer reuses one writer per key).</summary>
    public void Clear() => _len = 0;

    private Span<byte> Grow(int n)
    {
        if (_len + n > _buf.Length) Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + n));
        Span<byte> s = _buf.AsSpan(_len, n);
        _len += n;
        return s;
    }

    public void Byte(byte b) => Grow(1)[0] = b;

    public void Raw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

    /// <summary>An RDB length (rdbSaveLen).</summary>
    public void Length(ulong n)
    {
        if (n < 64) Byte((byte)n);
        else if (n < 16384)
        {
            Span<byte> s = Grow(2);
            s[0] = (byte)(0x40 | (n >> 8));
            s[1] = (byte)n;
        }
        else if (n <= uint.MaxValue)
        {
            Span<byte> s = Grow(5);
            s[0] = 0x80;
            BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)n);
        }
        else
        {
            Span<byte> s = Grow(9);
            s[0] = 0x81;
            BinaryPrimitives.WriteUInt64BigEndian(s[1..], n);
        }
    }

    /// <summary>A string as rdbSaveRawString writes it: integer-encoded, LZF-compressed or plain.</summary>
    public void String(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 11 && Numbers.ParseInteger(s, out long v) && TryIntegerEncoding(v)) return;
        if (Compress && s.Length > 20)
        {
            byte[]? packed = Lzf.Compress(s, s.Length - 4);
            if (packed is not null)
            {
                Byte(0xC3);
                Length((ulong)packed.Length);
                Length((ulong)s.Length);
                Raw(packed);
                return;
            }
        }
        Length((ulong)s.Length);
        Raw(s);
    }

    /// <summary>An integer as a string (rdbSaveLongLongAsStringObject): integer-encoded when it fits 32 bits, else its digits.</summary>
    public void Integer(long v)
    {
        if (TryIntegerEncoding(v)) return;
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(v, digits, out int n);
        Length((ulong)n);
        Raw(digits[..n]);
    }

    private bool TryIntegerEncoding(long v)
    {
        if (v >= sbyte.MinValue && v <= sbyte.MaxValue)
        {
            Span<byte> s = Grow(2);
            s[0] = 0xC0;
            s[1] = (byte)(sbyte)v;
        }
        else if (v >= short.MinValue && v <= short.MaxValue)
        {
            Span<byte> s = Grow(3);
            s[0] = 0xC1;
            BinaryPrimitives.WriteInt16LittleEndian(s[1..], (short)v);
        }
        else if (v >= int.MinValue && v <= int.MaxValue)
        {
            Span<byte> s = Grow(5);
            s[0] = 0xC2;
            BinaryPrimitives.WriteInt32LittleEndian(s[1..], (int)v);
        }
        else return false;
        return true;
    }

    /// <summary>A double in binary form (rdbSaveBinaryDoubleValue).</summary>
    public void BinaryDouble(double d) => BinaryPrimitives.WriteDoubleLittleEndian(Grow(8), d);

    /// <summary>A time in milliseconds (rdbSaveMillisecondTime).</summary>
    public void Millis(long ms) => BinaryPrimitives.WriteInt64LittleEndian(Grow(8), ms);

    /// <summary>A 64-bit little-endian word (the CRC64 trailer).</summary>
    public void UInt64(ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(Grow(8), v);
}

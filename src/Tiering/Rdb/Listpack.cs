namespace Tiered.Tiering.Rdb;

// Redis's listpack: the flat encoding of small hashes, sorted sets and lists (each quicklist node), and of every
// stream node. An RDB file stores it as one string, the bytes exactly as redis-server keeps them in memory.
//
//   ┌──────────────┬───────────┬─────────────────────────────┬─────────────────────┬──────┐
//   │ total bytes  │ elements  │ element: encoding + data    │ ... more elements   │ 0xFF │
//   │ 4 B LE       │ 2 B LE    │ + backlen (1-5 B)           │                     │      │
//   └──────────────┴───────────┴─────────────────────────────┴─────────────────────┴──────┘
//   (elements is 65535 when the count does not fit: then it is counted by walking.)
//
//   encoding  0xxxxxxx                 7-bit unsigned integer          10LLLLLL + data   string < 64 B
//             110xxxxx xxxxxxxx        13-bit signed integer           1110LLLL LLLLLLLL string < 4096 B
//             0xF1/F2/F3/F4 + 2/3/4/8 B signed integer, little-endian  0xF0 + 4 B LE len string
//   backlen   the element's encoding + data length, 7 bits per byte, so the list can be walked backwards.
//
// Why we build it exactly as Redis does: a listpack is the payload of most small values, and a payload that is byte
// for byte redis-server's can be checked against it; that needs Redis's choices: a string that is a canonical
// 64-bit integer (string2ll) is stored as the smallest integer encoding that holds it, any other string with the
// smallest length form.

/// <summary>Builds a listpack element by element, as lpAppend does.</summary>
public sealed class ListpackBuilder
{
    private const int HeaderSize = 6;

    private byte[] _buf = new byte[64];
    private int _len = HeaderSize;

    /// <summary>Elements appended.</summary>
    public int Count { get; private set; }

    /// <summary>The size the listpack has so far, with its terminator (lpBytes).</summary>
    public int Bytes => _len + 1;

    private Span<byte> Grow(int n)
    {
        if (_len + n + 1 > _buf.Length) Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + n + 1));
        Span<byte> s = _buf.AsSpan(_len, n);
        _len += n;
        return s;
    }

    /// <summary>Appends a string, stored as an integer when it is a canonical 64-bit integer.</summary>
    public void Append(ReadOnlySpan<byte> s)
    {
        if (Numbers.ParseInteger(s, out long v)) { AppendInteger(v); return; }
        int len = s.Length;
        int head = len < 64 ? 1 : len < 4096 ? 2 : 5;
        Span<byte> e = Grow(head + len);
        if (head == 1) e[0] = (byte)(0x80 | len);
        else if (head == 2)
        {
            e[0] = (byte)(0xE0 | (len >> 8));
            e[1] = (byte)len;
        }
        else
        {
            e[0] = 0xF0;
            BinaryPrimitives.WriteInt32LittleEndian(e[1..], len);
        }
        s.CopyTo(e[head..]);
        Backlen(head + len);
    }

    /// <summary>Appends an integer in its smallest encoding.</summary>
    public void AppendInteger(long v)
    {
        int size;
        if (v is >= 0 and <= 127) { Grow(1)[0] = (byte)v; size = 1; }
        else if (v is >= -4096 and <= 4095)
        {
            Span<byte> e = Grow(2);
            int u = (int)(v & 0x1FFF);
            e[0] = (byte)(0xC0 | (u >> 8));
            e[1] = (byte)u;
            size = 2;
        }
        else
        {
            int bytes = v is >= short.MinValue and <= short.MaxValue ? 2 : v is >= -(1 << 23) and < 1 << 23 ? 3 : v is >= int.MinValue and <= int.MaxValue ? 4 : 8;
            Span<byte> e = Grow(1 + bytes);
            e[0] = bytes switch { 2 => 0xF1, 3 => 0xF2, 4 => 0xF3, _ => 0xF4 };
            for (int i = 0; i < bytes; i++) e[1 + i] = (byte)(v >> (8 * i));
            size = 1 + bytes;
        }
        Backlen(size);
    }

    private void Backlen(int l)
    {
        int n = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
        Span<byte> b = Grow(n);
        for (int i = 0; i < n; i++)
        {
            int shift = 7 * (n - 1 - i);
            b[i] = (byte)(((l >> shift) & 127) | (i == 0 ? 0 : 128));
        }
        Count++;
    }

    /// <summary>The listpack: header, elements, terminator.</summary>
    public byte[] ToArray()
    {
        byte[] lp = new byte[_len + 1];
        _buf.AsSpan(HeaderSize, _len - HeaderSize).CopyTo(lp.AsSpan(HeaderSize));
        BinaryPrimitives.WriteUInt32LittleEndian(lp, (uint)lp.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(lp.AsSpan(4), (ushort)Math.Min(Count, 65535));
        lp[^1] = 0xFF;
        return lp;
    }

    /// <summary>Empties the builder for the next listpack.</summary>
    public void Clear()
    {
        _len = HeaderSize;
        Count = 0;
    }
}

/// <summary>Walks a listpack's elements front to back, checking every length against the bytes.</summary>
public ref struct ListpackReader
{
    private readonly ReadOnlySpan<byte> _lp;
    private int _pos;

    /// <summary>False when the header does not match the bytes (then <see cref="Next"/> reads nothing).</summary>
    public bool Valid { get; }

    public ListpackReader(ReadOnlySpan<byte> lp)
    {
        _lp = lp;
        _pos = 6;
        Valid = lp.Length >= 7 && BinaryPrimitives.ReadUInt32LittleEndian(lp) == (uint)lp.Length && lp[^1] == 0xFF;
        if (!Valid) _pos = lp.Length;
    }

    /// <summary>The current element is an integer (<see cref="Integer"/>), else a string (<see cref="String"/>).</summary>
    public bool IsInteger { get; private set; }

    public long Integer { get; private set; }

    public ReadOnlySpan<byte> String { get; private set; }

    /// <summary>True when the walk reached the terminator exactly (and the listpack was valid).</summary>
    public readonly bool AtEnd => Valid && _pos == _lp.Length - 1;

    /// <summary>The current element's bytes: a string's own, an integer's digits.</summary>
    public readonly byte[] ToBytes() => IsInteger ? RdbReader.Digits(Integer) : String.ToArray();

    /// <summary>Moves to the next element; false at the end or on a malformed element.</summary>
    public bool Next()
    {
        int end = _lp.Length - 1;
        if (_pos >= end) return false;
        byte b = _lp[_pos];
        int size;
        IsInteger = true;
        String = default;
        if (b < 0x80) { Integer = b; size = 1; }
        else if (b < 0xC0) { size = 1 + (b & 0x3f); if (!Str(1, size - 1)) return false; }
        else if (b < 0xE0)
        {
            if (_pos + 2 > end) return Fail();
            int u = ((b & 0x1f) << 8) | _lp[_pos + 1];
            Integer = u >= 1 << 12 ? u - (1 << 13) : u;
            size = 2;
        }
        else if (b < 0xF0)
        {
            if (_pos + 2 > end) return Fail();
            int len = ((b & 0x0f) << 8) | _lp[_pos + 1];
            size = 2 + len;
            if (!Str(2, len)) return false;
        }
        else if (b == 0xF0)
        {
            if (_pos + 5 > end) return Fail();
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(_lp[(_pos + 1)..]);
            if (len > (uint)(end - _pos)) return Fail();
            size = 5 + (int)len;
            if (!Str(5, (int)len)) return false;
        }
        else if (b is >= 0xF1 and <= 0xF4)
        {
            int bytes = b switch { 0xF1 => 2, 0xF2 => 3, 0xF3 => 4, _ => 8 };
            if (_pos + 1 + bytes > end) return Fail();
            long v = 0;
            for (int i = 0; i < bytes; i++) v |= (long)_lp[_pos + 1 + i] << (8 * i);
            int shift = 64 - 8 * bytes;
            Integer = (v << shift) >> shift;
            size = 1 + bytes;
        }
        else return Fail();
        int back = size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
        if (_pos + size + back > end) return Fail();
        _pos += size + back;
        return true;
    }

    private bool Str(int head, int len)
    {
        IsInteger = false;
        if (_pos + head + len > _lp.Length - 1) return Fail();
        String = _lp.Slice(_pos + head, len);
        return true;
    }

    private bool Fail()
    {
        _pos = _lp.Length;
        return false;
    }

    /// <summary>Every element of <paramref name="lp"/> as bytes; false when it is malformed.</summary>
    public static bool Decode(ReadOnlySpan<byte> lp, List<byte[]> into)
    {
        var r = new ListpackReader(lp);
        while (r.Next()) into.Add(r.ToBytes());
        return r.AtEnd;
    }
}

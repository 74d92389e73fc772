using System.Text;

namespace Tiered.LoadGen.Resp;

/// <summary>
/// Writes GET/SET requests as raw RESP into a caller's buffer. The fixed parts (array header, command, key length,
/// key prefix) are prebuilt once; per request only the zero-padded key digits and the value are copied, so the hot
/// loop allocates nothing. Keys are "&lt;prefix&gt;&lt;n&gt;" with n zero-padded to the width of the largest key.
/// </summary>
public sealed class RequestWriter
{
    private readonly byte[] _getHead;
    private readonly byte[] _setHead;
    private readonly int _digits;

    public RequestWriter(string keyPrefix, long keyCount)
    {
        if (keyCount < 1)
            throw new ArgumentOutOfRangeException(nameof(keyCount));
        _digits = (keyCount - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        int keyLen = Encoding.UTF8.GetByteCount(keyPrefix) + _digits;
        _getHead = Encoding.UTF8.GetBytes($"*2\r\n$3\r\nGET\r\n${keyLen}\r\n{keyPrefix}");
        _setHead = Encoding.UTF8.GetBytes($"*3\r\n$3\r\nSET\r\n${keyLen}\r\n{keyPrefix}");
    }

    /// <summary>Bytes of a GET request.</summary>
    public int GetLength => _getHead.Length + _digits + 2;

    /// <summary>Upper bound of the bytes of a SET request with a value of <paramref name="valueLength"/> bytes.</summary>
    public int MaxSetLength(int valueLength) => _setHead.Length + _digits + 2 + 1 + 10 + 2 + valueLength + 2;

    /// <summary>The key text for key index <paramref name="key"/> (for tests and messages; allocates).</summary>
    public string KeyName(long key)
    {
        Span<byte> buf = stackalloc byte[_getHead.Length + _digits + 2];
        int n = WriteGet(buf, key);
        int prefixStart = Array.LastIndexOf(_getHead, (byte)'\n') + 1;
        return Encoding.UTF8.GetString(buf[prefixStart..(n - 2)]);
    }

    public int WriteGet(Span<byte> dst, long key)
    {
        _getHead.CopyTo(dst);
        int pos = _getHead.Length;
        WriteDigits(dst.Slice(pos, _digits), key);
        pos += _digits;
        dst[pos++] = (byte)'\r';
        dst[pos++] = (byte)'\n';
        return pos;
    }

    public int WriteSet(Span<byte> dst, long key, ReadOnlySpan<byte> value)
    {
        _setHead.CopyTo(dst);
        int pos = _setHead.Length;
        WriteDigits(dst.Slice(pos, _digits), key);
        pos += _digits;
        dst[pos++] = (byte)'\r';
        dst[pos++] = (byte)'\n';
        dst[pos++] = (byte)'$';
        value.Length.TryFormat(dst[pos..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        pos += written;
        dst[pos++] = (byte)'\r';
        dst[pos++] = (byte)'\n';
        value.CopyTo(dst[pos..]);
        pos += value.Length;
        dst[pos++] = (byte)'\r';
        dst[pos++] = (byte)'\n';
        return pos;
    }

    private static void WriteDigits(Span<byte> dst, long value)
    {
        for (int i = dst.Length - 1; i >= 0; i--)
        {
            dst[i] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
    }
}

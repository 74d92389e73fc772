using System.Buffers;
using System.Runtime.CompilerServices;

namespace Tiered.Server.Protocol;

/// <summary>
/// Writes RESP2 or RESP3 replies into one growable pooled buffer that the connection sends after each batch.
///
/// The protocol switch lives here and nowhere else: a command writes "a null", "a map of n pairs", "a double", and
/// the writer emits <c>$-1</c> or <c>_</c>, <c>*2n</c> or <c>%n</c>, a bulk string or <c>,</c> according to the
/// connection's HELLO version. Nothing is allocated per reply.
///
/// Shared state rule: owned by one connection; only the thread running that connection's batch writes to it.
/// </summary>
public sealed class RespWriter : IDisposable
{
    private const int InitialSize = 4096;
    private byte[] _buf;
    private int _pos;

    public RespWriter() => _buf = ArrayPool<byte>.Shared.Rent(InitialSize);

    /// <summary>2 or 3 (HELLO).</summary>
    public int Protocol { get; set; } = 2;

    /// <summary>Bytes waiting to be sent.</summary>
    public int Length => _pos;

    /// <summary>Error replies written so far (for failed_calls and errorstats).</summary>
    public long ErrorCount { get; private set; }

    /// <summary>The bytes waiting to be sent.</summary>
    public ReadOnlyMemory<byte> Pending => new(_buf, 0, _pos);

    /// <summary>Forgets the sent bytes; gives back an oversized buffer.</summary>
    public void Clear()
    {
        _pos = 0;
        if (_buf.Length > 1024 * 1024)
        {
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = ArrayPool<byte>.Shared.Rent(InitialSize);
        }
    }

    /// <summary>Drops bytes written after <paramref name="length"/> (to undo a partial reply).</summary>
    public void Truncate(int length) => _pos = length;

    public void Dispose()
    {
        byte[] b = _buf;
        _buf = [];
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int n)
    {
        if (_buf.Length - _pos < n) Grow(n);
        return _buf.AsSpan(_pos);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int n)
    {
        long want = Math.Max((long)_buf.Length * 2, (long)_pos + n);
        if (want > System.Array.MaxLength) want = System.Array.MaxLength;
        byte[] nb = ArrayPool<byte>.Shared.Rent((int)want);
        _buf.AsSpan(0, _pos).CopyTo(nb);
        if (_buf.Length > 0) ArrayPool<byte>.Shared.Return(_buf);
        _buf = nb;
    }

    /// <summary>Writes bytes as they are.</summary>
    public void Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _pos += bytes.Length;
    }

    /// <summary>+OK</summary>
    public void Ok() => Raw("+OK\r\n"u8);

    /// <summary>+QUEUED and other fixed simple strings.</summary>
    public void Simple(ReadOnlySpan<byte> text) => Line((byte)'+', text);

    /// <summary>A simple string from text (CR and LF are replaced by spaces, as Redis does).</summary>
    public void Simple(string text) => Line((byte)'+', text);

    /// <summary>
    /// An error reply. <paramref name="text"/> includes its code (<c>ERR ...</c>, <c>WRONGTYPE ...</c>); newlines
    /// are replaced by spaces so a client-supplied string cannot break the protocol.
    /// </summary>
    public void Error(string text)
    {
        ErrorCount++;
        Line((byte)'-', text);
    }

    /// <summary>An error reply from a UTF-8 constant that already starts with its code.</summary>
    public void Error(ReadOnlySpan<byte> text)
    {
        ErrorCount++;
        Line((byte)'-', text);
    }

    /// <summary>A prefix, bytes that hold no CR or LF, and CRLF.</summary>
    private void Line(byte prefix, ReadOnlySpan<byte> text)
    {
        Span<byte> s = Reserve(text.Length + 3);
        s[0] = prefix;
        text.CopyTo(s[1..]);
        s[text.Length + 1] = (byte)'\r';
        s[text.Length + 2] = (byte)'\n';
        _pos += text.Length + 3;
    }

    private void Line(byte prefix, string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> s = Reserve(max + 3);
        s[0] = prefix;
        int n = Encoding.UTF8.GetBytes(text, s[1..]);
        for (int i = 1; i <= n; i++)
            if (s[i] is (byte)'\r' or (byte)'\n') s[i] = (byte)' ';
        s[n + 1] = (byte)'\r';
        s[n + 2] = (byte)'\n';
        _pos += n + 3;
    }

    /// <summary>:n</summary>
    public void Integer(long value)
    {
        Span<byte> s = Reserve(24);
        s[0] = (byte)':';
        Utf8Formatter.TryFormat(value, s[1..], out int n);
        s[n + 1] = (byte)'\r';
        s[n + 2] = (byte)'\n';
        _pos += n + 3;
    }

    /// <summary>A bulk string.</summary>
    public void Bulk(ReadOnlySpan<byte> value)
    {
        Span<byte> s = Reserve(value.Length + 16);
        s[0] = (byte)'$';
        Utf8Formatter.TryFormat(value.Length, s[1..], out int n);
        s[n + 1] = (byte)'\r';
        s[n + 2] = (byte)'\n';
        value.CopyTo(s[(n + 3)..]);
        int p = n + 3 + value.Length;
        s[p] = (byte)'\r';
        s[p + 1] = (byte)'\n';
        _pos += p + 2;
    }

    /// <summary>A bulk string from text (UTF-8).</summary>
    public void Bulk(string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= 512)
        {
            Span<byte> tmp = stackalloc byte[max];
            Bulk(tmp[..Encoding.UTF8.GetBytes(text, tmp)]);
        }
        else Bulk(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>A bulk string holding the decimal form of <paramref name="value"/>.</summary>
    public void BulkInteger(long value)
    {
        Span<byte> tmp = stackalloc byte[24];
        Utf8Formatter.TryFormat(value, tmp, out int n);
        Bulk(tmp[..n]);
    }

    /// <summary>The null bulk string: <c>$-1</c> in RESP2, <c>_</c> in RESP3.</summary>
    public void Null() => Raw(Protocol == 3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>The null array: <c>*-1</c> in RESP2, <c>_</c> in RESP3.</summary>
    public void NullArray() => Raw(Protocol == 3 ? "_\r\n"u8 : "*-1\r\n"u8);

    /// <summary>An array header of <paramref name="count"/> elements.</summary>
    public void Array(long count) => Header((byte)'*', count);

    /// <summary>A map header: <c>%n</c> in RESP3, an array of 2n elements in RESP2.</summary>
    public void Map(long pairs)
    {
        if (Protocol == 3) Header((byte)'%', pairs);
        else Header((byte)'*', pairs * 2);
    }

    /// <summary>A set header: <c>~n</c> in RESP3, an array in RESP2.</summary>
    public void Set(long count) => Header(Protocol == 3 ? (byte)'~' : (byte)'*', count);

    /// <summary>A push header: <c>&gt;n</c> in RESP3, an array in RESP2 (pub/sub messages).</summary>
    public void Push(long count) => Header(Protocol == 3 ? (byte)'>' : (byte)'*', count);

    /// <summary>A boolean: <c>#t</c>/<c>#f</c> in RESP3, <c>:1</c>/<c>:0</c> in RESP2.</summary>
    public void Boolean(bool value)
    {
        if (Protocol == 3) Raw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        else Raw(value ? ":1\r\n"u8 : ":0\r\n"u8);
    }

    /// <summary>A double: <c>,</c> in RESP3, a bulk string in RESP2, formatted like Redis (shortest round-trip, inf/-inf).</summary>
    public void Double(double value)
    {
        Span<byte> tmp = stackalloc byte[40];
        int n = FormatDouble(value, tmp);
        if (Protocol == 3)
        {
            Span<byte> s = Reserve(n + 3);
            s[0] = (byte)',';
            tmp[..n].CopyTo(s[1..]);
            s[n + 1] = (byte)'\r';
            s[n + 2] = (byte)'\n';
            _pos += n + 3;
        }
        else Bulk(tmp[..n]);
    }

    /// <summary>A double already formatted by the caller: <c>,</c> in RESP3, a bulk string in RESP2.</summary>
    public void DoubleText(ReadOnlySpan<byte> text)
    {
        if (Protocol == 3) Line((byte)',', text);
        else Bulk(text);
    }

    /// <summary>Long text such as INFO: a verbatim string (<c>=len\r\ntxt:...</c>) in RESP3, a bulk string in RESP2.</summary>
    public void Verbatim(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (Protocol == 3)
        {
            Header((byte)'=', bytes.Length + 4);
            Raw("txt:"u8);
            Raw(bytes);
            Raw("\r\n"u8);
        }
        else Bulk(bytes);
    }

    private void Header(byte prefix, long count)
    {
        Span<byte> s = Reserve(24);
        s[0] = prefix;
        Utf8Formatter.TryFormat(count, s[1..], out int n);
        s[n + 1] = (byte)'\r';
        s[n + 2] = (byte)'\n';
        _pos += n + 3;
    }

    /// <summary>Formats a double the way Redis 7.0 replies with it ("%.17g"): integers without a fraction, inf, -inf, nan.</summary>
    public static int FormatDouble(double value, Span<byte> dest)
    {
        if (double.IsPositiveInfinity(value)) { "inf"u8.CopyTo(dest); return 3; }
        if (double.IsNegativeInfinity(value)) { "-inf"u8.CopyTo(dest); return 4; }
        if (double.IsNaN(value)) { "nan"u8.CopyTo(dest); return 3; }
        if (value == Math.Floor(value) && Math.Abs(value) < 1e17)
        {
            Utf8Formatter.TryFormat((long)value, dest, out int w);
            if (value == 0 && double.IsNegative(value)) { "-0"u8.CopyTo(dest); return 2; }
            return w;
        }
        // Redis 7.0 prints "%.17g" (0.1 is 0.10000000000000001); .NET's G17 has the same digits and switch to
        // exponent form, but writes 1E+20 where C writes 1e+20.
        value.TryFormat(dest, out int n, "G17", CultureInfo.InvariantCulture);
        for (int i = 0; i < n; i++) if (dest[i] == 'E') dest[i] = (byte)'e';
        return n;
    }
}

using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tiered.CrashTest;

/// <summary>The server answered with an error reply (the text after '-').</summary>
public sealed class RespErrorException(string message) : Exception(message);

/// <summary>An error reply as a value (<see cref="RespConnection.ReadReply"/>): the text after '-'.</summary>
public sealed record RespError(string Message);

/// <summary>
/// A blocking RESP2 connection with its own receive buffer: enough for the harness's SET/DEL/GET/PING/INFO/FLUSHALL.
/// Any socket failure surfaces as <see cref="IOException"/> or <see cref="SocketException"/>, which writers read as
/// "the server died".
/// </summary>
public sealed class RespConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buf = new byte[64 * 1024];
    private int _start;
    private int _end;

    public RespConnection(int port, TimeSpan timeout)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            _socket.Connect(IPAddress.Loopback, port);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        _socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        _socket.SendTimeout = (int)timeout.TotalMilliseconds;
    }

    public void Send(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = _socket.Send(data);
            data = data[n..];
        }
    }

    /// <summary>Sends a command and returns a simple/integer/bulk reply as text (null for nil); errors throw.</summary>
    public string? Command(params string[] args)
    {
        Send(Encoding.UTF8.GetBytes(Format(args)));
        ReadOnlySpan<byte> line = ReadLine();
        byte type = line[0];
        string body = Encoding.UTF8.GetString(line[1..]);
        switch (type)
        {
            case (byte)'+':
            case (byte)':':
                return body;
            case (byte)'-':
                throw new RespErrorException(body);
            case (byte)'$':
            {
                int n = int.Parse(body, System.Globalization.CultureInfo.InvariantCulture);
                if (n < 0)
                    return null;
                byte[] data = new byte[n + 2];
                ReadExactly(data);
                return Encoding.UTF8.GetString(data, 0, n);
            }
            default:
                throw new IOException($"unexpected reply type '{(char)type}'");
        }
    }

    /// <summary>Reads a one-line reply (+OK, :1, -ERR ...). Returns true for a non-error; <paramref name="error"/> otherwise.</summary>
    public bool ReadStatus(out string? error)
    {
        ReadOnlySpan<byte> line = ReadLine();
        if (line[0] == (byte)'-')
        {
            error = Encoding.UTF8.GetString(line[1..]);
            return false;
        }
        if (line[0] is not ((byte)'+' or (byte)':'))
            throw new IOException($"unexpected reply type '{(char)line[0]}' to a write");
        error = null;
        return true;
    }

    /// <summary>
    /// Reads a bulk reply into <paramref name="dst"/> (at most dst.Length bytes kept; longer values are read and
    /// reported by length). Returns the length, or -1 for nil. Error replies throw <see cref="RespErrorException"/>.
    /// </summary>
    public int ReadBulk(Span<byte> dst)
    {
        ReadOnlySpan<byte> line = ReadLine();
        byte type = line[0];
        if (type == (byte)'-')
            throw new RespErrorException(Encoding.UTF8.GetString(line[1..]));
        if (type != (byte)'$' || !Utf8Parser.TryParse(line[1..], out int n, out _))
            throw new IOException($"expected a bulk reply, got '{Encoding.UTF8.GetString(line)}'");
        if (n < 0)
            return -1;
        int keep = Math.Min(n, dst.Length);
        ReadExactly(dst[..keep]);
        Skip(n - keep + 2);
        return n;
    }

    /// <summary>
    /// Reads any reply: simple and bulk strings as string, integers as long, nil as null, arrays as object?[] (RESP3
    /// sets and pushes likewise, maps as flat key/value arrays, doubles as their text), errors as <see cref="RespError"/>
    /// (returned, not thrown). Used by the collection writers and their checker.
    /// </summary>
    public object? ReadReply()
    {
        ReadOnlySpan<byte> line = ReadLine();
        byte type = line[0];
        ReadOnlySpan<byte> body = line[1..];
        switch (type)
        {
            case (byte)'+':
            case (byte)',':
                return Encoding.UTF8.GetString(body);
            case (byte)'-':
                return new RespError(Encoding.UTF8.GetString(body));
            case (byte)':':
                if (!Utf8Parser.TryParse(body, out long v, out int used) || used != body.Length)
                    throw new IOException($"bad integer reply '{Encoding.UTF8.GetString(line)}'");
                return v;
            case (byte)'_':
                return null;
            case (byte)'#':
                return body.Length > 0 && body[0] == (byte)'t' ? 1L : 0L;
            case (byte)'$':
            {
                int n = ParseLength(line);
                if (n < 0)
                    return null;
                byte[] data = new byte[n];
                ReadExactly(data);
                Skip(2);
                return Encoding.UTF8.GetString(data);
            }
            case (byte)'*':
            case (byte)'~':
            case (byte)'>':
            case (byte)'%':
            {
                int n = ParseLength(line);
                if (n < 0)
                    return null;
                if (type == (byte)'%')
                    n *= 2;
                var items = new object?[n];
                for (int i = 0; i < n; i++)
                    items[i] = ReadReply();
                return items;
            }
            default:
                throw new IOException($"unexpected reply type '{(char)type}'");
        }
    }

    private static int ParseLength(ReadOnlySpan<byte> line)
    {
        if (!Utf8Parser.TryParse(line[1..], out int n, out int used) || used != line.Length - 1)
            throw new IOException($"bad length in reply '{Encoding.UTF8.GetString(line)}'");
        return n;
    }

    public static string Format(params string[] args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (string a in args)
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        return sb.ToString();
    }

    private ReadOnlySpan<byte> ReadLine()
    {
        int scanned = 0;
        while (true)
        {
            int nl = _buf.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                int lineEnd = _start + scanned + nl;
                if (lineEnd == _start || _buf[lineEnd - 1] != (byte)'\r')
                    throw new IOException("RESP protocol error: line not terminated by CRLF");
                var line = new ReadOnlySpan<byte>(_buf, _start, lineEnd - 1 - _start);
                _start = lineEnd + 1;
                if (line.IsEmpty)
                    throw new IOException("RESP protocol error: empty line");
                return line;
            }
            scanned = _end - _start;
            if (_start > 0)
            {
                Buffer.BlockCopy(_buf, _start, _buf, 0, scanned);
                _start = 0;
                _end = scanned;
            }
            if (_end == _buf.Length)
                throw new IOException("RESP protocol error: line too long");
            Fill();
        }
    }

    private void ReadExactly(Span<byte> dst)
    {
        while (!dst.IsEmpty)
        {
            if (_start == _end)
            {
                _start = _end = 0;
                Fill();
            }
            int n = Math.Min(dst.Length, _end - _start);
            _buf.AsSpan(_start, n).CopyTo(dst);
            _start += n;
            dst = dst[n..];
        }
    }

    private void Skip(int count)
    {
        while (count > 0)
        {
            if (_start == _end)
            {
                _start = _end = 0;
                Fill();
            }
            int n = Math.Min(count, _end - _start);
            _start += n;
            count -= n;
        }
    }

    private void Fill()
    {
        int n = _socket.Receive(_buf, _end, _buf.Length - _end, SocketFlags.None);
        if (n == 0)
            throw new IOException("connection closed by server");
        _end += n;
    }

    public void Dispose() => _socket.Dispose();
}

using System.Buffers.Text;

namespace Tiered.LoadGen.Resp;

/// <summary>What a complete top-level reply was, as far as the load generator cares.</summary>
public enum ReplyKind : byte
{
    Value,
    Nil,
    Error,
}

/// <summary>Receives each complete top-level reply, in order. <paramref name="errorMessage"/> is empty unless an error.</summary>
public interface IReplySink
{
    void OnReply(ReplyKind kind, ReadOnlySpan<byte> errorMessage);
}

/// <summary>
/// A streaming RESP2 reply reader that counts replies without materialising them. Bytes may arrive split anywhere;
/// the reader keeps only a small line buffer and a "bytes left to skip" counter for bulk payloads, plus a stack of
/// remaining element counts for (nested) arrays. It allocates nothing after construction.
/// Also accepts the RESP3 scalar types (_ , # , ( ) and treats a simple line it cannot classify as a protocol error.
/// </summary>
public sealed class ReplyReader
{
    private const int MaxLine = 256;
    private const int MaxDepth = 64;

    private readonly byte[] _line = new byte[MaxLine];
    private readonly long[] _remaining = new long[MaxDepth];
    private int _lineLength;      // bytes of the current line kept (capped at MaxLine)
    private long _skip;           // bulk payload + CRLF still to skip
    private int _depth;           // open arrays
    private ReplyKind _topKind;   // kind of the top-level reply being read
    private int _errorLength;     // bytes of the top-level error message kept in _error
    private readonly byte[] _error = new byte[MaxLine];

    /// <summary>Complete top-level replies seen so far.</summary>
    public long Replies { get; private set; }

    /// <summary>True between replies (no partial reply buffered).</summary>
    public bool IsIdle => _lineLength == 0 && _skip == 0 && _depth == 0;

    /// <summary>Consumes <paramref name="data"/>, calling <paramref name="sink"/> once per complete top-level reply.</summary>
    public void Feed(ReadOnlySpan<byte> data, IReplySink sink)
    {
        while (!data.IsEmpty)
        {
            if (_skip > 0)
            {
                int n = (int)Math.Min(_skip, data.Length);
                _skip -= n;
                data = data[n..];
                if (_skip == 0)
                    ElementDone(sink);
                continue;
            }

            int nl = data.IndexOf((byte)'\n');
            if (nl < 0)
            {
                AppendLine(data);
                return;
            }
            AppendLine(data[..nl]);
            data = data[(nl + 1)..];
            int len = Math.Min(_lineLength, MaxLine);
            if (len == 0 || _line[len - 1] != (byte)'\r')
                throw new InvalidDataException("RESP protocol error: line not terminated by CRLF");
            ReadOnlySpan<byte> line = _line.AsSpan(0, len - 1);
            _lineLength = 0;
            OnLine(line, sink);
        }
    }

    private void AppendLine(ReadOnlySpan<byte> part)
    {
        int room = MaxLine - _lineLength;
        if (part.Length <= room)
        {
            part.CopyTo(_line.AsSpan(_lineLength));
            _lineLength += part.Length;
        }
        else
        {
            // Keep the start (type, number, error prefix) and the final byte, so the CR check still works.
            if (room > 1)
                part[..(room - 1)].CopyTo(_line.AsSpan(_lineLength));
            _line[MaxLine - 1] = part[^1];
            _lineLength = MaxLine;
        }
    }

    private void OnLine(ReadOnlySpan<byte> line, IReplySink sink)
    {
        if (line.IsEmpty)
            throw new InvalidDataException("RESP protocol error: empty line");
        byte type = line[0];
        ReadOnlySpan<byte> body = line[1..];
        bool top = _depth == 0;
        switch (type)
        {
            case (byte)'+':
            case (byte)':':
            case (byte)',':
            case (byte)'#':
            case (byte)'(':
                if (top)
                    _topKind = ReplyKind.Value;
                ElementDone(sink);
                break;
            case (byte)'_':
                if (top)
                    _topKind = ReplyKind.Nil;
                ElementDone(sink);
                break;
            case (byte)'-':
                if (top)
                {
                    _topKind = ReplyKind.Error;
                    _errorLength = Math.Min(body.Length, _error.Length);
                    body[.._errorLength].CopyTo(_error);
                }
                ElementDone(sink);
                break;
            case (byte)'$':
            {
                long n = ParseLength(body);
                if (n < 0)
                {
                    if (top)
                        _topKind = ReplyKind.Nil;
                    ElementDone(sink);
                }
                else
                {
                    if (top)
                        _topKind = ReplyKind.Value;
                    _skip = n + 2;
                }
                break;
            }
            case (byte)'*':
            {
                long n = ParseLength(body);
                if (top)
                    _topKind = n < 0 ? ReplyKind.Nil : ReplyKind.Value;
                if (n <= 0)
                {
                    ElementDone(sink);
                }
                else
                {
                    if (_depth == MaxDepth)
                        throw new InvalidDataException("RESP protocol error: arrays nested too deeply");
                    _remaining[_depth++] = n;
                }
                break;
            }
            default:
                throw new InvalidDataException($"RESP protocol error: unexpected type byte 0x{type:x2}");
        }
    }

    /// <summary>One element finished: complete the reply at top level, else count it against the open array(s).</summary>
    private void ElementDone(IReplySink sink)
    {
        while (_depth > 0)
        {
            if (--_remaining[_depth - 1] > 0)
                return;
            _depth--;
        }
        Replies++;
        ReplyKind kind = _topKind;
        ReadOnlySpan<byte> err = kind == ReplyKind.Error ? _error.AsSpan(0, _errorLength) : default;
        _topKind = ReplyKind.Value;
        sink.OnReply(kind, err);
    }

    private static long ParseLength(ReadOnlySpan<byte> body)
    {
        if (!Utf8Parser.TryParse(body, out long n, out int used) || used != body.Length || n < -1)
            throw new InvalidDataException("RESP protocol error: bad length");
        return n;
    }

    /// <summary>The first word of an error message ("ERR", "WRONGTYPE", "OOM"...), used to count errors by kind.</summary>
    public static string ErrorPrefix(ReadOnlySpan<byte> message)
    {
        int sp = message.IndexOf((byte)' ');
        ReadOnlySpan<byte> word = sp < 0 ? message : message[..sp];
        if (word.IsEmpty)
            return "(empty)";
        return System.Text.Encoding.ASCII.GetString(word[..Math.Min(word.Length, 32)]);
    }
}

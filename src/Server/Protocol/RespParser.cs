namespace Tiered.Server.Protocol;

/// <summary>Outcome of parsing one command.</summary>
public enum ParseStatus : byte
{
    /// <summary>A whole command was parsed; the arguments are ready.</summary>
    Complete,
    /// <summary>A whole command is not there yet: read more bytes and try again.</summary>
    Incomplete,
    /// <summary>The bytes are not RESP: reply with the error and close the connection, like Redis.</summary>
    Error,
    /// <summary>An empty line or an empty multibulk (<c>*0</c>): nothing to run, the bytes are consumed.</summary>
    Empty,
}

/// <summary>
/// Parses client requests: RESP multibulk (<c>*2\r\n$3\r\nGET\r\n$1\r\nk\r\n</c>) and inline commands
/// (<c>GET k\n</c>, so telnet and nc work), with Redis's limits and error texts.
///
/// Why it works on a span of one array and not on a ReadOnlySequence: nearly every command lies inside one network
/// segment, and a span parse with offsets is several times cheaper than a SequenceReader. The connection copies the
/// rare straddling command into a scratch array and parses that.
///
/// A multibulk request is parsed in one pass; when it is incomplete, <c>needed</c> gives a lower bound of the bytes
/// the command needs (known once a bulk header was read), so a 100 MB value arriving in 16 KB reads is not
/// re-parsed 6,400 times.
/// </summary>
public static class RespParser
{
    /// <summary>Longest inline command or header line without a newline (Redis's PROTO_INLINE_MAX_SIZE).</summary>
    public const int InlineMax = 64 * 1024;

    /// <summary>Multibulk limit before AUTH (Redis allows 10 arguments to unauthenticated clients).</summary>
    public const int UnauthMultibulk = 10;

    /// <summary>Bulk length limit before AUTH.</summary>
    public const int UnauthBulk = 16384;

    /// <summary>
    /// Parses one command from <paramref name="buf"/> (which starts at array offset <paramref name="baseOffset"/>
    /// of <paramref name="array"/>) and fills <paramref name="args"/> on success.
    /// </summary>
    /// <param name="consumed">Bytes of the command (Complete or Empty).</param>
    /// <param name="needed">When Incomplete: at least this many bytes from the start are needed (0 if unknown).</param>
    /// <param name="error">When Error: the text after "-ERR ".</param>
    public static ParseStatus Parse(byte[] array, int baseOffset, int length, ArgList args, long maxBulk, bool authenticated,
        ref byte[] scratch, out int consumed, out int needed, out string? error)
    {
        consumed = 0;
        needed = 0;
        error = null;
        ReadOnlySpan<byte> buf = new(array, baseOffset, length);
        if (buf.IsEmpty) return ParseStatus.Incomplete;
        if (buf[0] != (byte)'*') return ParseInline(buf, args, ref scratch, out consumed, out error);

        // *<count>\r\n
        int nl = buf.IndexOf((byte)'\n');
        if (nl < 0)
        {
            if (buf.Length > InlineMax) { error = "Protocol error: too big mbulk count string"; return ParseStatus.Error; }
            return ParseStatus.Incomplete;
        }
        if (nl < 2 || buf[nl - 1] != '\r' || !TryParseLong(buf[1..(nl - 1)], out long count) || count > int.MaxValue)
        {
            error = "Protocol error: invalid multibulk length";
            return ParseStatus.Error;
        }
        if (!authenticated && count > UnauthMultibulk)
        {
            error = "Protocol error: unauthenticated multibulk length";
            return ParseStatus.Error;
        }
        int pos = nl + 1;
        if (count <= 0)
        {
            consumed = pos;
            return ParseStatus.Empty;
        }
        args.Reset(array);
        for (long n = 0; n < count; n++)
        {
            if (pos >= buf.Length) { needed = pos + 4; return ParseStatus.Incomplete; }
            if (buf[pos] != '$')
            {
                error = $"Protocol error: expected '$', got '{(char)buf[pos]}'";
                return ParseStatus.Error;
            }
            int hdrEnd = buf[pos..].IndexOf((byte)'\n');
            if (hdrEnd < 0)
            {
                if (buf.Length - pos > InlineMax) { error = "Protocol error: too big bulk count string"; return ParseStatus.Error; }
                return ParseStatus.Incomplete;
            }
            hdrEnd += pos;
            if (hdrEnd - pos < 2 || buf[hdrEnd - 1] != '\r' || !TryParseLong(buf[(pos + 1)..(hdrEnd - 1)], out long len)
                || len < 0 || len > maxBulk)
            {
                error = "Protocol error: invalid bulk length";
                return ParseStatus.Error;
            }
            if (!authenticated && len > UnauthBulk)
            {
                error = "Protocol error: unauthenticated bulk length";
                return ParseStatus.Error;
            }
            int dataStart = hdrEnd + 1;
            long end = dataStart + len + 2;
            if (end > buf.Length)
            {
                needed = end > int.MaxValue ? int.MaxValue : (int)end;
                return ParseStatus.Incomplete;
            }
            // Redis does not check the two bytes after the data; we do not either, so clients that end with \n\n work alike.
            args.Add(baseOffset + dataStart, (int)len);
            pos = (int)end;
        }
        consumed = pos;
        return ParseStatus.Complete;
    }

    private static ParseStatus ParseInline(ReadOnlySpan<byte> buf, ArgList args, ref byte[] scratch, out int consumed, out string? error)
    {
        consumed = 0;
        error = null;
        int nl = buf.IndexOf((byte)'\n');
        if (nl < 0)
        {
            if (buf.Length > InlineMax) { error = "Protocol error: too big inline request"; return ParseStatus.Error; }
            return ParseStatus.Incomplete;
        }
        consumed = nl + 1;
        ReadOnlySpan<byte> line = buf[..nl];
        if (!line.IsEmpty && line[^1] == '\r') line = line[..^1];
        if (scratch.Length < line.Length) scratch = new byte[Math.Max(line.Length, 256)];
        args.Reset(scratch);
        if (!SplitArgs(line, args, scratch))
        {
            error = "Protocol error: unbalanced quotes in request";
            return ParseStatus.Error;
        }
        return args.Count == 0 ? ParseStatus.Empty : ParseStatus.Complete;
    }

    /// <summary>
    /// Splits an inline line into arguments with redis-cli's quoting rules (Redis's sdssplitargs): "double quotes"
    /// with \n \r \t \b \a \\ \" \xHH escapes, 'single quotes' with \', and a closing quote must end the argument.
    /// Unquoted arguments are written to <paramref name="scratch"/> as well, so all arguments share one array.
    /// </summary>
    public static bool SplitArgs(ReadOnlySpan<byte> line, ArgList args, byte[] scratch)
    {
        int w = 0;
        int p = 0;
        while (true)
        {
            while (p < line.Length && IsSpace(line[p])) p++;
            if (p >= line.Length) return true;
            int start = w;
            bool inDq = false, inSq = false, done = false;
            while (!done)
            {
                if (inDq)
                {
                    if (p >= line.Length) return false;
                    byte ch = line[p];
                    if (ch == '\\' && p + 3 < line.Length && line[p + 1] == 'x' && IsHex(line[p + 2]) && IsHex(line[p + 3]))
                    {
                        scratch[w++] = (byte)(Hex(line[p + 2]) * 16 + Hex(line[p + 3]));
                        p += 3;
                    }
                    else if (ch == '\\' && p + 1 < line.Length)
                    {
                        p++;
                        scratch[w++] = line[p] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var other => other,
                        };
                    }
                    else if (ch == '"')
                    {
                        if (p + 1 < line.Length && !IsSpace(line[p + 1])) return false;
                        done = true;
                    }
                    else scratch[w++] = ch;
                }
                else if (inSq)
                {
                    if (p >= line.Length) return false;
                    byte ch = line[p];
                    if (ch == '\\' && p + 1 < line.Length && line[p + 1] == '\'')
                    {
                        p++;
                        scratch[w++] = (byte)'\'';
                    }
                    else if (ch == '\'')
                    {
                        if (p + 1 < line.Length && !IsSpace(line[p + 1])) return false;
                        done = true;
                    }
                    else scratch[w++] = ch;
                }
                else
                {
                    if (p >= line.Length) { done = true; break; }
                    byte ch = line[p];
                    switch (ch)
                    {
                        case (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0: done = true; break;
                        case (byte)'"': inDq = true; break;
                        case (byte)'\'': inSq = true; break;
                        default: scratch[w++] = ch; break;
                    }
                }
                if (p < line.Length) p++;
            }
            args.Add(start, w - start);
        }
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)'\v' or (byte)'\f';

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    private static int Hex(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>Strict decimal parse of a header number (optional '-' sign, digits only, like string2ll).</summary>
    public static bool TryParseLong(ReadOnlySpan<byte> s, out long value)
        => Utf8Parser.TryParse(s, out value, out int used) && used == s.Length && s.Length > 0 && s[0] != '+';

    /// <summary>
    /// Looks ahead over the whole multibulk commands in <c>array[start..end)</c>, up to <paramref name="keyStart"/>'s
    /// length of them, and records where each one's second argument lies (for most commands, the first key), so the
    /// engine can prefetch those keys before the batch runs. Validates nothing beyond the framing and changes no
    /// state: it stops at the first inline command, incomplete command or malformed header, which
    /// <see cref="Parse"/> then deals with as usual. Returns the offset after the last command looked at; commands of
    /// one argument are passed over without a key.
    /// </summary>
    public static int SkimKeys(byte[] array, int start, int end, Span<int> keyStart, Span<int> keyLength, out int count)
    {
        count = 0;
        int last = start;
        int p = start;
        while (count < keyStart.Length && p < end && array[p] == (byte)'*')
        {
            p++;
            if (!SkimNumber(array, ref p, end, out int n) || n < 1) break;
            int k = 0;
            for (; k < n; k++)
            {
                if (p >= end || array[p] != (byte)'$') break;
                p++;
                if (!SkimNumber(array, ref p, end, out int len) || len < 0 || len > end - p - 2) break;
                if (k == 1) { keyStart[count] = p; keyLength[count] = len; }
                p += len + 2;
            }
            if (k < n) break;
            if (n >= 2) count++;
            last = p;
        }
        return last;
    }

    // Decimal digits ending in CRLF, at most 9 of them, from p; p moves past the CRLF.
    private static bool SkimNumber(byte[] array, ref int p, int end, out int value)
    {
        value = 0;
        int digits = 0;
        while (p < end && array[p] != (byte)'\r')
        {
            int d = array[p] - '0';
            if ((uint)d > 9 || ++digits > 9) return false;
            value = value * 10 + d;
            p++;
        }
        if (digits == 0 || p + 1 >= end || array[p + 1] != (byte)'\n') return false;
        p += 2;
        return true;
    }
}

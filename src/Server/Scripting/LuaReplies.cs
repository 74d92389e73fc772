using static Tiered.Server.Scripting.LuaNative;

namespace Tiered.Server.Scripting;

// Conversions between RESP and Lua values, by Redis 7.0's rules (redis.io, "Data type conversion"):
//
//   a command's reply, as redis.call returns it           a script's return value, as the client gets it
//   ---------------------------------------------         --------------------------------------------------
//   :n                  -> number                         number             -> :n (truncated toward zero)
//   $n bulk             -> string                         string             -> bulk
//   $-1 / *-1 (RESP2)   -> false                          false              -> null (script in RESP2), #f (RESP3)
//   *n                  -> array table                    true               -> :1 (script in RESP2), #t (RESP3)
//   +OK                 -> { ok = "OK" }                  nil, others        -> null
//   -ERR x              -> raises (pcall: { err = ... })  { ok = s }         -> +s          { err = s } -> -s
//   _ (RESP3)           -> nil                            { double = d }     -> ,d          { map = t } -> %n
//   #t #f               -> boolean                        { set = t }        -> ~n (its keys)
//   ,d                  -> { double = d }                 { big_number = s } -> (s
//   %n                  -> { map = { k = v } }            { verbatim_string = { format = f, string = s } } -> =n
//   ~n                  -> { set = { m = true } }         other tables       -> array, up to the first nil
//   (n  =n              -> { big_number = s }, { verbatim_string = ... }
//
// The RESP3 forms of the right column fall back to their RESP2 shapes for a RESP2 client (RespWriter does that).
// A command's reply is parsed from the bytes the command wrote, exactly as Redis does (it runs the command on a fake
// client and reads its reply buffer), so a script sees every command the way a client would.

/// <summary>RESP replies to Lua values and Lua values to RESP replies.</summary>
internal static class LuaReplies
{
    private const int MaxDepth = 1000;

    /// <summary>Pushes the Lua value of the reply at <paramref name="pos"/>; returns the position after it.</summary>
    public static int Push(IntPtr L, ReadOnlySpan<byte> r, int pos, int depth = 0)
    {
        if (depth > MaxDepth || lua_checkstack(L, 4) == 0) throw new InvalidOperationException("reply nested too deeply");
        byte type = r[pos];
        int eol = r[pos..].IndexOf((byte)'\r') + pos;
        ReadOnlySpan<byte> line = r[(pos + 1)..eol];
        pos = eol + 2;
        switch (type)
        {
            case (byte)'+': PushField(L, "ok"u8, line); return pos;
            case (byte)'-': PushField(L, "err"u8, line); return pos;
            case (byte)':': lua_pushinteger(L, ParseLong(line)); return pos;
            case (byte)'_': lua_pushnil(L); return pos;
            case (byte)'#': lua_pushboolean(L, line.Length > 0 && line[0] == (byte)'t' ? 1 : 0); return pos;
            case (byte)',':
                lua_createtable(L, 0, 1);
                lua_pushnumber(L, ParseDouble(line));
                RawSetField(L, -2, "double"u8);
                return pos;
            case (byte)'(': PushField(L, "big_number"u8, line); return pos;
            case (byte)'$' or (byte)'=':
            {
                long n = ParseLong(line);
                if (n < 0) { lua_pushboolean(L, 0); return pos; }
                ReadOnlySpan<byte> body = r.Slice(pos, (int)n);
                if (type == (byte)'$') PushBytes(L, body);
                else
                {
                    lua_createtable(L, 0, 1);
                    lua_createtable(L, 0, 2);
                    PushBytes(L, body[..Math.Min(3, body.Length)]);
                    RawSetField(L, -2, "format"u8);
                    PushBytes(L, body.Length > 4 ? body[4..] : default);
                    RawSetField(L, -2, "string"u8);
                    RawSetField(L, -2, "verbatim_string"u8);
                }
                return pos + (int)n + 2;
            }
            case (byte)'*' or (byte)'>':
            {
                long n = ParseLong(line);
                if (n < 0) { lua_pushboolean(L, 0); return pos; }
                lua_createtable(L, (int)Math.Min(n, 1 << 16), 0);
                for (long i = 1; i <= n; i++)
                {
                    pos = Push(L, r, pos, depth + 1);
                    lua_rawseti(L, -2, i);
                }
                return pos;
            }
            case (byte)'%' or (byte)'~':
            {
                long n = ParseLong(line);
                lua_createtable(L, 0, 1);
                lua_createtable(L, 0, (int)Math.Min(n, 1 << 16));
                for (long i = 0; i < n; i++)
                {
                    pos = Push(L, r, pos, depth + 1);
                    if (type == (byte)'%') pos = Push(L, r, pos, depth + 1);
                    else lua_pushboolean(L, 1);
                    if (lua_type(L, -2) == TypeNil) Pop(L, 2);
                    else lua_rawset(L, -3);
                }
                RawSetField(L, -2, type == (byte)'%' ? "map"u8 : "set"u8);
                return pos;
            }
            case (byte)'|':
            {
                // An attribute: skipped; the value it annotates follows.
                long n = ParseLong(line);
                for (long i = 0; i < 2 * n; i++)
                {
                    pos = Push(L, r, pos, depth + 1);
                    Pop(L, 1);
                }
                return Push(L, r, pos, depth);
            }
            default: throw new InvalidOperationException("unexpected reply type " + (char)type);
        }
    }

    /// <summary>Writes the Lua value at <paramref name="idx"/> as a reply (<paramref name="scriptResp"/>: the script's redis.setresp).</summary>
    public static void Write(IntPtr L, int idx, RespWriter w, int scriptResp, int depth = 0)
    {
        idx = lua_absindex(L, idx);
        if (depth > MaxDepth || lua_checkstack(L, 4) == 0)
        {
            w.Error("ERR reached lua stack limit"u8);
            return;
        }
        switch (lua_type(L, idx))
        {
            case TypeString: w.Bulk(ToBytes(L, idx)); return;
            case TypeBoolean:
                bool b = lua_toboolean(L, idx) != 0;
                if (scriptResp == 3) w.Boolean(b);
                else if (b) w.Integer(1);
                else w.Null();
                return;
            case TypeNumber: w.Integer(ToInteger(L, idx)); return;
            case TypeTable: WriteTable(L, idx, w, scriptResp, depth); return;
            default: w.Null(); return;
        }
    }

    private static void WriteTable(IntPtr L, int t, RespWriter w, int scriptResp, int depth)
    {
        if (RawGetField(L, t, "err"u8) == TypeString)
        {
            w.Error(Sanitized(ToBytes(L, -1)));
            Pop(L, 1);
            return;
        }
        Pop(L, 1);
        if (RawGetField(L, t, "ok"u8) == TypeString)
        {
            w.Simple(Encoding.UTF8.GetString(ToBytes(L, -1)));   // newlines become spaces, as in Redis
            Pop(L, 1);
            return;
        }
        Pop(L, 1);
        if (RawGetField(L, t, "double"u8) == TypeNumber)
        {
            w.Double(ToNumber(L, -1));
            Pop(L, 1);
            return;
        }
        Pop(L, 1);
        if (RawGetField(L, t, "big_number"u8) == TypeString)
        {
            ReadOnlySpan<byte> s = ToBytes(L, -1);
            if (w.Protocol == 3)
            {
                w.Raw("("u8);
                w.Raw(Sanitized(s));
                w.Raw("\r\n"u8);
            }
            else w.Bulk(s);
            Pop(L, 1);
            return;
        }
        Pop(L, 1);
        if (RawGetField(L, t, "map"u8) == TypeTable)
        {
            WritePairs(L, w, scriptResp, depth, values: true);
            return;
        }
        Pop(L, 1);
        if (RawGetField(L, t, "set"u8) == TypeTable)
        {
            WritePairs(L, w, scriptResp, depth, values: false);
            return;
        }
        Pop(L, 1);
        if (RawGetField(L, t, "verbatim_string"u8) == TypeTable && WriteVerbatim(L, lua_absindex(L, -1), w))
        {
            Pop(L, 1);
            return;
        }
        Pop(L, 1);
        int n = 0;
        while (lua_rawgeti(L, t, n + 1) != TypeNil)
        {
            Pop(L, 1);
            n++;
        }
        Pop(L, 1);
        w.Array(n);
        for (int i = 1; i <= n; i++)
        {
            lua_rawgeti(L, t, i);
            Write(L, -1, w, scriptResp, depth + 1);
            Pop(L, 1);
        }
    }

    /// <summary>The table on top (popped) as a map of its pairs, or as a set of its keys.</summary>
    private static void WritePairs(IntPtr L, RespWriter w, int scriptResp, int depth, bool values)
    {
        int t = lua_absindex(L, -1);
        int n = CountPairs(L, t);
        if (values) w.Map(n);
        else w.Set(n);
        lua_pushnil(L);
        while (lua_next(L, t) != 0)
        {
            Write(L, -2, w, scriptResp, depth + 1);
            if (values) Write(L, -1, w, scriptResp, depth + 1);
            Pop(L, 1);
        }
        Pop(L, 1);
    }

    private static bool WriteVerbatim(IntPtr L, int v, RespWriter w)
    {
        if (RawGetField(L, v, "format"u8) != TypeString || RawGetField(L, v, "string"u8) != TypeString)
        {
            Pop(L, 2);
            return false;
        }
        ReadOnlySpan<byte> format = ToBytes(L, -2), text = ToBytes(L, -1);
        if (w.Protocol == 3 && format.Length == 3)
        {
            w.Raw(Encoding.ASCII.GetBytes("=" + (text.Length + 4) + "\r\n"));
            w.Raw(format);
            w.Raw(":"u8);
            w.Raw(text);
            w.Raw("\r\n"u8);
        }
        else w.Bulk(text);
        Pop(L, 2);
        return true;
    }

    private static int CountPairs(IntPtr L, int t)
    {
        int n = 0;
        lua_pushnil(L);
        while (lua_next(L, t) != 0)
        {
            Pop(L, 1);
            n++;
        }
        return n;
    }

    /// <summary>A Lua number as Redis's (long long) cast gives it: truncated; out of range (and NaN) as x86 gives it.</summary>
    public static long ToInteger(IntPtr L, int idx)
    {
        if (lua_isinteger(L, idx) != 0) return lua_tointegerx(L, idx, IntPtr.Zero);
        double d = ToNumber(L, idx);
        return d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (long)d : long.MinValue;
    }

    /// <summary>
    /// A Lua number as an argument of redis.call: Redis formats it with %.17g (so 0.1 is "0.10000000000000001" and
    /// an integer stays as it is written), after turning it into a double as Lua 5.1 holds every number.
    /// </summary>
    public static int FormatArgument(double d, Span<byte> dest)
    {
        string s;
        if (double.IsNaN(d)) s = BitConverter.DoubleToInt64Bits(d) < 0 ? "-nan" : "nan";
        else if (double.IsInfinity(d)) s = d > 0 ? "inf" : "-inf";
        else s = d.ToString("G17", CultureInfo.InvariantCulture).Replace('E', 'e');
        return Encoding.ASCII.GetBytes(s, dest);
    }

    private static void PushField(IntPtr L, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        lua_createtable(L, 0, 1);
        PushBytes(L, value);
        RawSetField(L, -2, name);
    }

    private static byte[] Sanitized(ReadOnlySpan<byte> s)
    {
        byte[] copy = s.ToArray();
        for (int i = 0; i < copy.Length; i++)
            if (copy[i] is (byte)'\r' or (byte)'\n') copy[i] = (byte)' ';
        return copy;
    }

    private static long ParseLong(ReadOnlySpan<byte> s) => Utf8Parser.TryParse(s, out long v, out _) ? v : 0;

    private static double ParseDouble(ReadOnlySpan<byte> s)
    {
        if (s.SequenceEqual("inf"u8)) return double.PositiveInfinity;
        if (s.SequenceEqual("-inf"u8)) return double.NegativeInfinity;
        return double.TryParse(Encoding.ASCII.GetString(s), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : double.NaN;
    }
}

using System.Buffers;
using static Tiered.Server.Scripting.LuaNative;

namespace Tiered.Server.Scripting;

// cjson for scripts: the encode/decode pair Redis ships (lua-cjson 2.1 with Redis's settings), by its documented
// rules, since queue libraries keep their payloads as cjson-encoded strings (errors: ScriptEngine.RaiseLater):
//
//   encode                                                 decode
//   nil, cjson.null -> null      true/false -> true/false  null -> cjson.null (a light userdata NULL)
//   number -> %.14g; NaN and Inf are refused              number -> a Lua number (an integer when it is one)
//   string -> "..." escaping " \ / and control characters  string -> string (\uXXXX to UTF-8, pairs joined)
//   table with keys 1..n only (holes as null) -> [...]     [...] -> a table 1..n       {...} -> a table
//   other tables -> {...} (number keys as strings); an empty table -> {}
//   an array whose largest index exceeds both 10 and twice its count -> "excessively sparse array"
//
// One difference stays: the order of an object's keys is the order Lua 5.4's table iteration gives, which is not
// Lua 5.1's, so a script that compares encoded objects as strings can see another order than on Redis.

/// <summary>cjson.encode and cjson.decode for the script engine (called by prelude.lua's wrappers).</summary>
internal static unsafe class CJson
{
    private const int MaxDepth = 1000;

    [UnmanagedCallersOnly]
    public static int Encode(IntPtr L)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        string? error;
        try
        {
            error = lua_gettop(L) != 1 ? "bad argument #1 to 'encode' (expected 1 argument)" : EncodeValue(L, 1, buffer, 0);
        }
        catch (Exception ex)
        {
            error = ex.Message;
        }
        if (error != null)
        {
            ScriptEngine.RaiseLater(L, error, plain: false);
            return 0;
        }
        lua_settop(L, 0);
        PushBytes(L, buffer.WrittenSpan);
        return 1;
    }

    private static string? EncodeValue(IntPtr L, int idx, ArrayBufferWriter<byte> o, int depth)
    {
        idx = lua_absindex(L, idx);
        switch (lua_type(L, idx))
        {
            case TypeNil: Write(o, "null"u8); return null;
            case TypeBoolean: Write(o, lua_toboolean(L, idx) != 0 ? "true"u8 : "false"u8); return null;
            case TypeLightUserData when lua_touserdata(L, idx) == IntPtr.Zero: Write(o, "null"u8); return null;
            case TypeNumber:
            {
                double d = ToNumber(L, idx);
                if (double.IsNaN(d) || double.IsInfinity(d)) return "Cannot serialise number: must not be NaN or Inf";
                WriteNumber(o, d);
                return null;
            }
            case TypeString: WriteString(o, ToBytes(L, idx)); return null;
            case TypeTable:
                if (depth >= MaxDepth) return $"Cannot serialise, excessive nesting ({depth + 1})";
                if (lua_checkstack(L, 4) == 0) return "Cannot serialise, excessive nesting";
                return EncodeTable(L, idx, o, depth + 1);
            default:
                return $"Cannot serialise {TypeName(lua_type(L, idx))}: type not supported";
        }
    }

    private static string? EncodeTable(IntPtr L, int t, ArrayBufferWriter<byte> o, int depth)
    {
        // An array when every key is a positive integer (then its length is the largest), else an object.
        long max = 0, count = 0;
        bool array = true;
        lua_pushnil(L);
        while (lua_next(L, t) != 0)
        {
            Pop(L, 1);
            count++;
            if (array && lua_type(L, -1) == TypeNumber)
            {
                double k = ToNumber(L, -1);
                if (k >= 1 && k == Math.Floor(k) && k < long.MaxValue) { max = Math.Max(max, (long)k); continue; }
            }
            array = false;
        }
        if (array && count > 0)
        {
            if (max > 10 && max > count * 2) return "Cannot serialise table: excessively sparse array";
            Write(o, "["u8);
            for (long i = 1; i <= max; i++)
            {
                if (i > 1) Write(o, ","u8);
                lua_rawgeti(L, t, i);
                string? e = EncodeValue(L, -1, o, depth);
                Pop(L, 1);
                if (e != null) return e;
            }
            Write(o, "]"u8);
            return null;
        }
        Write(o, "{"u8);
        bool first = true;
        lua_pushnil(L);
        while (lua_next(L, t) != 0)
        {
            if (!first) Write(o, ","u8);
            first = false;
            int keyType = lua_type(L, -2);
            if (keyType == TypeString) WriteString(o, ToBytes(L, -2));
            else if (keyType == TypeNumber)
            {
                Write(o, "\""u8);
                WriteNumber(o, ToNumber(L, -2));
                Write(o, "\""u8);
            }
            else
            {
                Pop(L, 2);
                return "Cannot serialise table: table key must be a number or string";
            }
            Write(o, ":"u8);
            string? e = EncodeValue(L, -1, o, depth);
            Pop(L, 1);
            if (e != null)
            {
                Pop(L, 1);
                return e;
            }
        }
        Write(o, "}"u8);
        return null;
    }

    private static void WriteNumber(ArrayBufferWriter<byte> o, double d)
    {
        string s = d.ToString("G14", CultureInfo.InvariantCulture).Replace('E', 'e');
        Span<byte> dest = o.GetSpan(s.Length);
        int n = Encoding.ASCII.GetBytes(s, dest);
        o.Advance(n);
    }

    private static void WriteString(ArrayBufferWriter<byte> o, ReadOnlySpan<byte> s)
    {
        Write(o, "\""u8);
        foreach (byte b in s)
        {
            switch (b)
            {
                case (byte)'"': Write(o, "\\\""u8); break;
                case (byte)'\\': Write(o, "\\\\"u8); break;
                case (byte)'/': Write(o, "\\/"u8); break;
                case (byte)'\b': Write(o, "\\b"u8); break;
                case (byte)'\f': Write(o, "\\f"u8); break;
                case (byte)'\n': Write(o, "\\n"u8); break;
                case (byte)'\r': Write(o, "\\r"u8); break;
                case (byte)'\t': Write(o, "\\t"u8); break;
                default:
                    if (b < 0x20)
                    {
                        Span<byte> u = o.GetSpan(6);
                        "\\u00"u8.CopyTo(u);
                        u[4] = (byte)"0123456789abcdef"[b >> 4];
                        u[5] = (byte)"0123456789abcdef"[b & 15];
                        o.Advance(6);
                    }
                    else
                    {
                        o.GetSpan(1)[0] = b;
                        o.Advance(1);
                    }
                    break;
            }
        }
        Write(o, "\""u8);
    }

    private static void Write(ArrayBufferWriter<byte> o, ReadOnlySpan<byte> s) => o.Write(s);

    private static string TypeName(int type) => type switch
    {
        TypeFunction => "function",
        TypeUserData or TypeLightUserData => "userdata",
        TypeThread => "thread",
        TypeNil => "nil",
        TypeBoolean => "boolean",
        TypeTable => "table",
        _ => "value",
    };

    // ---- decode ----

    [UnmanagedCallersOnly]
    public static int Decode(IntPtr L)
    {
        string? error;
        try
        {
            if (lua_gettop(L) != 1) error = "bad argument #1 to 'decode' (expected 1 argument)";
            else if (lua_type(L, 1) is not (TypeString or TypeNumber)) error = "bad argument #1 to 'decode' (string expected, got " + TypeName(lua_type(L, 1)) + ")";
            else
            {
                byte[] json = ToBytes(L, 1).ToArray();
                lua_settop(L, 0);
                var p = new Parser(json);
                error = p.Value(L, 0);
                if (error == null)
                {
                    p.SkipSpace();
                    if (p.Pos < json.Length) error = p.Expected("the end");
                }
                if (error == null)
                {
                    lua_settop(L, 1);
                    return 1;
                }
            }
        }
        catch (Exception ex)
        {
            error = ex.Message;
        }
        ScriptEngine.RaiseLater(L, error, plain: false);
        return 0;
    }

    private sealed class Parser(byte[] json)
    {
        public int Pos;

        public void SkipSpace()
        {
            while (Pos < json.Length && json[Pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') Pos++;
        }

        /// <summary>lua-cjson's message for an unexpected token at the current position.</summary>
        public string Expected(string what)
        {
            string found = Pos >= json.Length ? "T_END" : json[Pos] switch
            {
                (byte)'{' => "T_OBJ_BEGIN",
                (byte)'}' => "T_OBJ_END",
                (byte)'[' => "T_ARR_BEGIN",
                (byte)']' => "T_ARR_END",
                (byte)',' => "T_COMMA",
                (byte)':' => "T_COLON",
                (byte)'"' => "T_STRING",
                (byte)'-' or (>= (byte)'0' and <= (byte)'9') => "T_NUMBER",
                (byte)'t' or (byte)'f' => "T_BOOLEAN",
                (byte)'n' => "T_NULL",
                _ => "invalid token",
            };
            return $"Expected {what} but found {found} at character {Pos + 1}";
        }

        /// <summary>Pushes the value at the current position; an error message, or null.</summary>
        public string? Value(IntPtr L, int depth)
        {
            SkipSpace();
            if (Pos >= json.Length) return Expected("value");
            switch (json[Pos])
            {
                case (byte)'{': return Object(L, depth + 1);
                case (byte)'[': return Array(L, depth + 1);
                case (byte)'"': return String(L);
                case (byte)'t' when Word("true"u8): lua_pushboolean(L, 1); return null;
                case (byte)'f' when Word("false"u8): lua_pushboolean(L, 0); return null;
                case (byte)'n' when Word("null"u8): lua_pushlightuserdata(L, IntPtr.Zero); return null;
                case (byte)'-' or (>= (byte)'0' and <= (byte)'9'): return Number(L);
                default: return Expected("value");
            }
        }

        private bool Word(ReadOnlySpan<byte> w)
        {
            if (!json.AsSpan(Pos).StartsWith(w)) return false;
            Pos += w.Length;
            return true;
        }

        private string? Number(IntPtr L)
        {
            int start = Pos;
            bool integral = true;
            while (Pos < json.Length && json[Pos] is (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E' or (>= (byte)'0' and <= (byte)'9'))
            {
                if (json[Pos] is (byte)'.' or (byte)'e' or (byte)'E') integral = false;
                Pos++;
            }
            if (!double.TryParse(Encoding.ASCII.GetString(json, start, Pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            {
                Pos = start;
                return Expected("value");
            }
            if (integral && Math.Abs(d) <= 9007199254740992.0) lua_pushinteger(L, (long)d);
            else lua_pushnumber(L, d);
            return null;
        }

        private string? String(IntPtr L)
        {
            int start = Pos++;
            var s = new ArrayBufferWriter<byte>(16);
            while (true)
            {
                if (Pos >= json.Length) { Pos = start; return Expected("value"); }
                byte b = json[Pos++];
                if (b == (byte)'"') break;
                if (b != (byte)'\\')
                {
                    s.GetSpan(1)[0] = b;
                    s.Advance(1);
                    continue;
                }
                if (Pos >= json.Length) { Pos = start; return Expected("value"); }
                byte e = json[Pos++];
                byte plain = e switch
                {
                    (byte)'"' => (byte)'"', (byte)'\\' => (byte)'\\', (byte)'/' => (byte)'/', (byte)'b' => (byte)'\b',
                    (byte)'f' => (byte)'\f', (byte)'n' => (byte)'\n', (byte)'r' => (byte)'\r', (byte)'t' => (byte)'\t',
                    _ => 0,
                };
                if (plain != 0)
                {
                    s.GetSpan(1)[0] = plain;
                    s.Advance(1);
                    continue;
                }
                if (e != (byte)'u' || !Hex4(out int cp)) { Pos = start; return "Expected value but found invalid unicode escape code at character " + (start + 1); }
                if (cp is >= 0xD800 and < 0xDC00)
                {
                    if (!(Pos + 1 < json.Length && json[Pos] == (byte)'\\' && json[Pos + 1] == (byte)'u')) { Pos = start; return "Expected value but found invalid unicode escape code at character " + (start + 1); }
                    Pos += 2;
                    if (!Hex4(out int low) || low is < 0xDC00 or > 0xDFFF) { Pos = start; return "Expected value but found invalid unicode escape code at character " + (start + 1); }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                Span<byte> utf8 = s.GetSpan(4);
                int n = new Rune(cp is >= 0xDC00 and <= 0xDFFF ? 0xFFFD : cp).EncodeToUtf8(utf8);
                s.Advance(n);
            }
            PushBytes(L, s.WrittenSpan);
            return null;
        }

        private bool Hex4(out int value)
        {
            value = 0;
            if (Pos + 4 > json.Length) return false;
            for (int i = 0; i < 4; i++)
            {
                int h = HexValue(json[Pos + i]);
                if (h < 0) return false;
                value = value * 16 + h;
            }
            Pos += 4;
            return true;
        }

        private static int HexValue(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };

        private string? Array(IntPtr L, int depth)
        {
            if (depth > MaxDepth || lua_checkstack(L, 4) == 0) return $"Found too many nested data structures ({depth}) at character {Pos + 1}";
            Pos++;
            lua_createtable(L, 0, 0);
            SkipSpace();
            if (Pos < json.Length && json[Pos] == (byte)']') { Pos++; return null; }
            for (long i = 1; ; i++)
            {
                string? e = Value(L, depth);
                if (e != null) return e;
                lua_rawseti(L, -2, i);
                SkipSpace();
                if (Pos < json.Length && json[Pos] == (byte)',') { Pos++; continue; }
                if (Pos < json.Length && json[Pos] == (byte)']') { Pos++; return null; }
                return Expected("comma or array end");
            }
        }

        private string? Object(IntPtr L, int depth)
        {
            if (depth > MaxDepth || lua_checkstack(L, 4) == 0) return $"Found too many nested data structures ({depth}) at character {Pos + 1}";
            Pos++;
            lua_createtable(L, 0, 0);
            SkipSpace();
            if (Pos < json.Length && json[Pos] == (byte)'}') { Pos++; return null; }
            while (true)
            {
                SkipSpace();
                if (Pos >= json.Length || json[Pos] != (byte)'"') return Expected("object key string");
                string? e = String(L);
                if (e != null) return e;
                SkipSpace();
                if (Pos >= json.Length || json[Pos] != (byte)':') return Expected("colon");
                Pos++;
                e = Value(L, depth);
                if (e != null) return e;
                lua_rawset(L, -3);
                SkipSpace();
                if (Pos < json.Length && json[Pos] == (byte)',') { Pos++; continue; }
                if (Pos < json.Length && json[Pos] == (byte)'}') { Pos++; return null; }
                return Expected("comma or object end");
            }
        }
    }
}

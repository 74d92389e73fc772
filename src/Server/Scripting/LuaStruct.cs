using System.Buffers;
using System.Globalization;
using static Tiered.Server.Scripting.LuaNative;

namespace Tiered.Server.Scripting;

// struct for scripts: the binary pack/unpack library Redis 7.0 embeds (Roberto Ierusalimschy's lua_struct 0.2 with
// Redis's hardening). Scripts use it to read and write fixed binary layouts (counters packed into one string,
// headers of blobs kept by an application), so its results, sizes and error texts must be redis-server 7.0.15's,
// on x86-64 (little endian native, long and size_t of 8 bytes, int of 4, doubles aligned on 8).
//
//   struct.pack(fmt, v1, ...) -> string     struct.unpack(fmt, s [, init]) -> v1, ..., next position     struct.size(fmt)
//
//   fmt:  >  big endian        <  little endian (the default; there is no '=')        ' '  ignored
//         ![n]  alignment n (a power of 2; 8 without n); every value is aligned on min(its size, n), 1 at the start
//         x  one zero byte     b/B  signed/unsigned char    h/H  short (2)   l/L  long (8)   T  size_t (8)
//         i[n]/I[n]  an integer of n bytes (4 without n, 0..32; bytes past the 8th are zero, and read as such)
//         c[n]  n bytes of a string (1 without n); c0: pack the whole string, unpack as many bytes as the value
//               unpacked just before it says
//         s  a zero-terminated string      f  float (4)    d  double (8)
//         a number in fmt past INT_MAX -> "integral size overflow"
//
// Numbers cross as Lua 5.1's do: every argument becomes a double first, integers convert to and from 64 bits as
// x86 does (out of range and NaN as the CPU gives them), and every value unpacked is a double. Lua 5.4 prints a
// float with ".0", so a value that is integral and below 1e14 (where %.14g would print every digit) is handed to
// the script as a Lua integer; any other prints as Lua 5.1 prints it. Errors are raised with the caller's
// position (ScriptEngine.RaiseLater), as luaL_error and luaL_argerror do.

/// <summary>struct.pack, struct.unpack and struct.size for the script engine.</summary>
internal static unsafe class LuaStruct
{
    private const int MaxIntSize = 32;
    private const int MaxAlign = 8;
    // Lua 5.1 lets a C function hold this many stack slots (LUAI_MAXCSTACK less the slot luaL_checkstack asks for).
    private const int MaxSlots = 7999;

    private sealed class StructError(string message) : Exception(message);

    [UnmanagedCallersOnly]
    public static int Pack(IntPtr L) => Guarded(L, &PackValues);

    [UnmanagedCallersOnly]
    public static int Unpack(IntPtr L) => Guarded(L, &UnpackValues);

    [UnmanagedCallersOnly]
    public static int Size(IntPtr L) => Guarded(L, &SizeOf);

    private static int Guarded(IntPtr L, delegate*<IntPtr, int> body)
    {
        try
        {
            return body(L);
        }
        catch (StructError e)
        {
            ScriptEngine.RaiseLater(L, e.Message, plain: false);
            return 0;
        }
    }

    // ---- the format ----

    private ref struct FormatReader(ReadOnlySpan<byte> text, string function)
    {
        private readonly ReadOnlySpan<byte> _text = text;
        private int _at;
        public bool Little = true;
        public int Align = 1;

        public readonly bool More => _at < _text.Length;

        public byte Next() => _text[_at++];

        private int Number(int fallback)
        {
            if (_at >= _text.Length || !char.IsAsciiDigit((char)_text[_at])) return fallback;
            int a = 0;
            do
            {
                int digit = _text[_at] - '0';
                if (a > int.MaxValue / 10 || a * 10 > int.MaxValue - digit) throw new StructError("integral size overflow");
                a = a * 10 + digit;
                _at++;
            } while (_at < _text.Length && char.IsAsciiDigit((char)_text[_at]));
            return a;
        }

        /// <summary>The size option <paramref name="opt"/> stands for (its count read); 0 for the others.</summary>
        public long SizeOf(byte opt)
        {
            switch (opt)
            {
                case (byte)'b' or (byte)'B' or (byte)'x': return 1;
                case (byte)'h' or (byte)'H': return 2;
                case (byte)'l' or (byte)'L' or (byte)'T' or (byte)'d': return 8;
                case (byte)'f': return 4;
                case (byte)'c': return Number(1);
                case (byte)'i' or (byte)'I':
                    int n = Number(4);
                    if (n > MaxIntSize) throw new StructError($"integral size {n} is larger than limit of {MaxIntSize}");
                    return n;
                default: return 0;
            }
        }

        /// <summary>Zero bytes to put before a value of <paramref name="size"/> at offset <paramref name="at"/>.</summary>
        public readonly ulong Padding(ulong at, byte opt, long size)
        {
            if (size == 0 || opt == 'c') return 0;
            ulong s = (ulong)Math.Min(size, Align);
            return (s - (at & (s - 1))) & (s - 1);
        }

        /// <summary>Endianness, alignment and spaces; anything else is an invalid option.</summary>
        public void Control(byte opt)
        {
            switch (opt)
            {
                case (byte)' ': return;
                case (byte)'>': Little = false; return;
                case (byte)'<': Little = true; return;
                case (byte)'!':
                    int a = Number(MaxAlign);
                    if (a <= 0 || (a & (a - 1)) != 0) throw new StructError($"alignment {a} is not a power of 2");
                    Align = a;
                    return;
                default:
                    throw ArgError(1, function, $"invalid format option '{(char)opt}'");
            }
        }
    }

    private static StructError ArgError(int arg, string function, string message)
        => new($"bad argument #{arg} to '{function}' ({message})");

    // ---- pack ----

    private static int PackValues(IntPtr L)
    {
        int top = lua_gettop(L);
        byte[] fmtText = CheckString(L, 1, top, "pack", noneIsNil: false).ToArray();
        var f = new FormatReader(fmtText, "pack");
        var o = new ArrayBufferWriter<byte>(32);
        int arg = 2;
        ulong total = 0;
        while (f.More)
        {
            byte opt = f.Next();
            long size = f.SizeOf(opt);
            ulong pad = f.Padding(total, opt, size);
            total += pad;
            o.GetSpan((int)pad + 1)[..(int)pad].Clear();
            o.Advance((int)pad);
            switch (opt)
            {
                case (byte)'b' or (byte)'B' or (byte)'h' or (byte)'H' or (byte)'l' or (byte)'L' or (byte)'T' or (byte)'i' or (byte)'I':
                    PutInteger(o, ToUnsigned(CheckNumber(L, arg++, top, "pack")), (int)size, f.Little);
                    break;
                case (byte)'x':
                    o.Write((ReadOnlySpan<byte>)[0]);
                    break;
                case (byte)'f':
                {
                    Span<byte> b = o.GetSpan(4)[..4];
                    BitConverter.TryWriteBytes(b, (float)CheckNumber(L, arg++, top, "pack"));
                    if (!f.Little) b.Reverse();
                    o.Advance(4);
                    break;
                }
                case (byte)'d':
                {
                    Span<byte> b = o.GetSpan(8)[..8];
                    BitConverter.TryWriteBytes(b, CheckNumber(L, arg++, top, "pack"));
                    if (!f.Little) b.Reverse();
                    o.Advance(8);
                    break;
                }
                case (byte)'c' or (byte)'s':
                {
                    ReadOnlySpan<byte> s = CheckString(L, arg++, top, "pack", noneIsNil: true);
                    if (size == 0) size = s.Length;
                    if (s.Length < size) throw ArgError(arg, "pack", "string too short");   // arg is already the next one, as in Redis
                    o.Write(s[..(int)size]);
                    if (opt == 's')
                    {
                        o.Write((ReadOnlySpan<byte>)[0]);
                        size++;
                    }
                    break;
                }
                default:
                    f.Control(opt);
                    break;
            }
            total += (ulong)size;
        }
        PushBytes(L, o.WrittenSpan);
        return 1;
    }

    /// <summary>A Lua number as lua_struct turns it into 64 bits: negative through long, others through unsigned long, as x86-64 converts.</summary>
    private static ulong ToUnsigned(double n)
    {
        const double Two63 = 9223372036854775808.0;
        if (n < 0) return n >= -Two63 ? (ulong)(long)n : 0x8000000000000000UL;
        if (double.IsNaN(n)) return 0x8000000000000000UL;
        if (n < Two63) return (ulong)(long)n;
        return n - Two63 < Two63 ? (ulong)(long)(n - Two63) ^ 0x8000000000000000UL : 0;
    }

    private static void PutInteger(ArrayBufferWriter<byte> o, ulong value, int size, bool little)
    {
        Span<byte> b = o.GetSpan(Math.Max(size, 1))[..size];
        for (int i = 0; i < size; i++)
        {
            b[little ? i : size - 1 - i] = (byte)value;
            value >>= 8;
        }
        o.Advance(size);
    }

    // ---- unpack ----

    /// <summary>A value unpacked: a number, or the string data[Start, Start + Length).</summary>
    private readonly record struct Unpacked(double Number, long Start, long Length, bool IsString);

    private static int UnpackValues(IntPtr L)
    {
        int top = lua_gettop(L);
        byte[] fmtText = CheckString(L, 1, top, "unpack", noneIsNil: false).ToArray();
        ReadOnlySpan<byte> data = CheckString(L, 2, top, "unpack", noneIsNil: false);
        long init = 1;
        if (top >= 3 && lua_type(L, 3) != TypeNil) init = Truncate(CheckNumber(L, 3, top, "unpack"));
        if (init == 0) throw ArgError(3, "unpack", "offset must be 1 or greater");
        ulong pos = (ulong)init - 1, length = (ulong)data.Length;
        var f = new FormatReader(fmtText, "unpack");
        var values = new List<Unpacked>();
        while (f.More)
        {
            byte opt = f.Next();
            long size = f.SizeOf(opt);
            pos += f.Padding(pos, opt, size);
            if (!Fits(pos, (ulong)size, length)) throw ArgError(2, "unpack", "data string too short");
            if (2 + values.Count + 1 > MaxSlots) throw new StructError("stack overflow (too many results)");
            ReadOnlySpan<byte> at = pos <= length ? data[(int)pos..] : default;
            switch (opt)
            {
                case (byte)'b' or (byte)'B' or (byte)'h' or (byte)'H' or (byte)'l' or (byte)'L' or (byte)'T' or (byte)'i' or (byte)'I':
                    values.Add(new Unpacked(GetInteger(at[..(int)size], f.Little, signed: opt is >= (byte)'a' and <= (byte)'z'), 0, 0, false));
                    break;
                case (byte)'x':
                    break;
                case (byte)'f':
                {
                    Span<byte> b = stackalloc byte[4];
                    at[..4].CopyTo(b);
                    if (!f.Little) b.Reverse();
                    values.Add(new Unpacked(BitConverter.ToSingle(b), 0, 0, false));
                    break;
                }
                case (byte)'d':
                {
                    Span<byte> b = stackalloc byte[8];
                    at[..8].CopyTo(b);
                    if (!f.Little) b.Reverse();
                    values.Add(new Unpacked(BitConverter.ToDouble(b), 0, 0, false));
                    break;
                }
                case (byte)'c':
                    if (size == 0)
                    {
                        if (values.Count == 0 || !IsNumber(values[^1], data, out double n))
                            throw new StructError("format 'c0' needs a previous size");
                        ulong wanted = ToUnsigned(n);
                        values.RemoveAt(values.Count - 1);
                        if (!Fits(pos, wanted, length)) throw ArgError(2, "unpack", "data string too short");
                        size = (long)wanted;
                    }
                    values.Add(new Unpacked(0, (long)pos, size, true));
                    break;
                case (byte)'s':
                {
                    int end = at.IndexOf((byte)0);
                    if (end < 0) throw new StructError("unfinished string in data");
                    values.Add(new Unpacked(0, (long)pos, end, true));
                    size = end + 1;
                    break;
                }
                default:
                    f.Control(opt);
                    break;
            }
            pos += (ulong)size;
        }
        if (lua_checkstack(L, values.Count + 1) == 0) throw new StructError("stack overflow (too many results)");
        // The arguments stay below the results, so data stays valid while they are pushed.
        foreach (Unpacked v in values)
        {
            if (v.IsString) PushBytes(L, data.Slice((int)v.Start, (int)v.Length));
            else PushNumber(L, v.Number);
        }
        PushNumber(L, (long)(pos + 1));
        return values.Count + 1;
    }

    /// <summary>size bytes from pos lie within the data (no wrapping, as Redis checks).</summary>
    private static bool Fits(ulong pos, ulong size, ulong length) => size <= length && pos <= length - size;

    private static double GetInteger(ReadOnlySpan<byte> b, bool little, bool signed)
    {
        int size = b.Length;
        ulong l = 0;
        for (int i = 0; i < size; i++) l = (l << 8) | b[little ? size - 1 - i : i];
        if (!signed) return l;
        ulong mask = ulong.MaxValue << (size * 8 - 1);   // the shift count is taken mod 64, as on x86
        if ((l & mask) != 0) l |= mask;
        return (long)l;
    }

    /// <summary>lua_isnumber and lua_tonumber of Lua 5.1 on a value unpacked before a c0.</summary>
    private static bool IsNumber(Unpacked v, ReadOnlySpan<byte> data, out double n)
    {
        if (!v.IsString)
        {
            n = v.Number;
            return true;
        }
        return ParseNumber(data.Slice((int)v.Start, (int)v.Length), out n);
    }

    /// <summary>Lua 5.1's string to number: strtod (hex through strtoul), spaces around, up to a zero byte.</summary>
    private static bool ParseNumber(ReadOnlySpan<byte> s, out double n)
    {
        n = 0;
        int zero = s.IndexOf((byte)0);
        if (zero >= 0) s = s[..zero];
        string t = Encoding.Latin1.GetString(s).Trim(' ', '\t', '\n', '\v', '\f', '\r');
        if (t.Length == 0) return false;
        string body = t.TrimStart('+', '-');
        bool negative = t[0] == '-';
        if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (!ulong.TryParse(body.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong u)) return false;
            n = negative ? (double)(ulong)(-(long)u) : u;
            return true;
        }
        if (body.Equals("inf", StringComparison.OrdinalIgnoreCase) || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            n = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (body.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            n = double.NaN;
            return true;
        }
        return body.Length > 0 && char.IsAsciiDigit(body[0]) || body.StartsWith('.')
            ? double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out n)
            : false;
    }

    // ---- size ----

    private static int SizeOf(IntPtr L)
    {
        int top = lua_gettop(L);
        byte[] fmtText = CheckString(L, 1, top, "size", noneIsNil: false).ToArray();
        var f = new FormatReader(fmtText, "size");
        ulong pos = 0;
        while (f.More)
        {
            byte opt = f.Next();
            long size = f.SizeOf(opt);
            pos += f.Padding(pos, opt, size);
            if (opt == 's') throw ArgError(1, "size", "option 's' has no fixed size");
            if (opt == 'c' && size == 0) throw ArgError(1, "size", "option 'c0' has no fixed size");
            if (!char.IsAsciiLetterOrDigit((char)opt)) f.Control(opt);
            pos += (ulong)size;
        }
        lua_pushinteger(L, (long)pos);
        return 1;
    }

    // ---- arguments and results, as Lua 5.1 converts them ----

    /// <summary>
    /// luaL_checklstring: a string, or a number written as Lua 5.1 writes it (%.14g); a format stops at a zero byte
    /// (it is a C string), which the callers' loops see as its end. pack's missing arguments are nil (its marker).
    /// </summary>
    private static ReadOnlySpan<byte> CheckString(IntPtr L, int idx, int top, string function, bool noneIsNil)
    {
        int type = idx > top ? TypeNone : lua_type(L, idx);
        ReadOnlySpan<byte> s;
        if (type == TypeString) s = ToBytes(L, idx);
        else if (type == TypeNumber) s = Encoding.ASCII.GetBytes(Lua51Number(ToNumber(L, idx)));
        else throw ArgError(idx, function, "string expected, got " + TypeName(type, noneIsNil));
        if (idx == 1)
        {
            int zero = s.IndexOf((byte)0);
            if (zero >= 0) s = s[..zero];
        }
        return s;
    }

    /// <summary>luaL_checknumber: a number (as a double, as Lua 5.1 holds it) or a string that converts to one.</summary>
    private static double CheckNumber(IntPtr L, int idx, int top, string function)
    {
        int type = idx > top ? TypeNone : lua_type(L, idx);
        if (type == TypeNumber) return ToNumber(L, idx);
        if (type == TypeString && ParseNumber(ToBytes(L, idx), out double n)) return n;
        throw ArgError(idx, function, "number expected, got " + TypeName(type, noneIsNil: function == "pack"));
    }

    /// <summary>A double to lua_Integer as Lua 5.1 casts on x86-64: truncated; out of range and NaN give long.MinValue.</summary>
    private static long Truncate(double d) => d >= -9223372036854775808.0 && d < 9223372036854775808.0 ? (long)d : long.MinValue;

    private static string TypeName(int type, bool noneIsNil) => type switch
    {
        TypeNone => noneIsNil ? "nil" : "no value",
        TypeNil => "nil",
        TypeBoolean => "boolean",
        TypeNumber => "number",
        TypeString => "string",
        TypeTable => "table",
        TypeFunction => "function",
        TypeThread => "thread",
        _ => "userdata",
    };

    /// <summary>A Lua 5.1 number (a double) to the script: an integer when %.14g would print all its digits, else a float.</summary>
    private static void PushNumber(IntPtr L, double d)
    {
        if (Math.Abs(d) < 1e14 && d == Math.Floor(d) && !(d == 0 && double.IsNegative(d))) lua_pushinteger(L, (long)d);
        else lua_pushnumber(L, d);
    }

    /// <summary>A number as Lua 5.1's tostring writes it (LUAI_NUMFFORMAT "%.14g").</summary>
    private static string Lua51Number(double d)
    {
        if (double.IsNaN(d)) return BitConverter.DoubleToInt64Bits(d) < 0 ? "-nan" : "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        return d.ToString("G14", CultureInfo.InvariantCulture).Replace('E', 'e');
    }
}

using System.Buffers;
using System.Buffers.Binary;
using static Tiered.Server.Scripting.LuaNative;

namespace Tiered.Server.Scripting;

// cmsgpack for scripts: MessagePack as lua-cmsgpack (the library Redis ships; job queues such as BullMQ keep their
// options in it) writes and reads it:
//
//   pack(v, ...)  each value in turn:          unpack(s)  every value in s, as multiple results
//     nil -> c0   false/true -> c2/c3            unpack_one(s [, offset])        -> next offset (-1 at the end), value
//     an integral number -> the smallest int     unpack_limit(s, limit [, offset]) -> next offset, up to limit values
//       (fixint, u8..u64, i8..i64); others -> f32 when exact, else f64
//     string -> fixstr / str8 / str16 / str32    reads every type, bin as a string, ext as nil
//     a table with keys 1..n only -> array, any other table -> map (an empty table is an empty array);
//     tables nested deeper than 16 and functions, userdata, threads -> nil
//
// As with cjson, a map's pairs come in Lua 5.4's iteration order, which is not always Lua 5.1's.

/// <summary>cmsgpack.pack, unpack, unpack_one and unpack_limit for the script engine.</summary>
internal static unsafe class CMsgPack
{
    private const int MaxNesting = 16;

    [UnmanagedCallersOnly]
    public static int Pack(IntPtr L)
    {
        try
        {
            int n = lua_gettop(L);
            if (n == 0)
            {
                ScriptEngine.RaiseLater(L, "bad argument #0 to 'pack' (MessagePack pack needs input.)", plain: false);
                return 0;
            }
            var o = new ArrayBufferWriter<byte>(64);
            for (int i = 1; i <= n; i++) Encode(L, i, o, 0);
            lua_settop(L, 0);
            PushBytes(L, o.WrittenSpan);
            return 1;
        }
        catch (Exception ex)
        {
            ScriptEngine.RaiseLater(L, ex.Message, plain: false);
            return 0;
        }
    }

    private static void Encode(IntPtr L, int idx, ArrayBufferWriter<byte> o, int level)
    {
        idx = lua_absindex(L, idx);
        switch (lua_type(L, idx))
        {
            case TypeBoolean: Byte(o, lua_toboolean(L, idx) != 0 ? (byte)0xc3 : (byte)0xc2); return;
            case TypeNumber: Number(L, idx, o); return;
            case TypeString: Bytes(o, ToBytes(L, idx)); return;
            case TypeTable when level < MaxNesting && lua_checkstack(L, 4) != 0: Table(L, idx, o, level + 1); return;
            default: Byte(o, 0xc0); return;
        }
    }

    private static void Number(IntPtr L, int idx, ArrayBufferWriter<byte> o)
    {
        long i;
        if (lua_isinteger(L, idx) != 0) i = lua_tointegerx(L, idx, IntPtr.Zero);
        else
        {
            double d = ToNumber(L, idx);
            if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != Math.Floor(d))
            {
                float f = (float)d;
                if (f == d)
                {
                    Byte(o, 0xca);
                    BinaryPrimitives.WriteSingleBigEndian(o.GetSpan(4), f);
                    o.Advance(4);
                }
                else
                {
                    Byte(o, 0xcb);
                    BinaryPrimitives.WriteDoubleBigEndian(o.GetSpan(8), d);
                    o.Advance(8);
                }
                return;
            }
            i = (long)d;
        }
        Integer(o, i);
    }

    private static void Integer(ArrayBufferWriter<byte> o, long i)
    {
        Span<byte> s = o.GetSpan(9);
        int n;
        if (i >= 0)
        {
            if (i <= 127) { s[0] = (byte)i; n = 1; }
            else if (i <= 0xff) { s[0] = 0xcc; s[1] = (byte)i; n = 2; }
            else if (i <= 0xffff) { s[0] = 0xcd; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)i); n = 3; }
            else if (i <= 0xffffffffL) { s[0] = 0xce; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)i); n = 5; }
            else { s[0] = 0xcf; BinaryPrimitives.WriteUInt64BigEndian(s[1..], (ulong)i); n = 9; }
        }
        else
        {
            if (i >= -32) { s[0] = (byte)(sbyte)i; n = 1; }
            else if (i >= sbyte.MinValue) { s[0] = 0xd0; s[1] = (byte)(sbyte)i; n = 2; }
            else if (i >= short.MinValue) { s[0] = 0xd1; BinaryPrimitives.WriteInt16BigEndian(s[1..], (short)i); n = 3; }
            else if (i >= int.MinValue) { s[0] = 0xd2; BinaryPrimitives.WriteInt32BigEndian(s[1..], (int)i); n = 5; }
            else { s[0] = 0xd3; BinaryPrimitives.WriteInt64BigEndian(s[1..], i); n = 9; }
        }
        o.Advance(n);
    }

    private static void Bytes(ArrayBufferWriter<byte> o, ReadOnlySpan<byte> b)
    {
        if (b.Length < 32) Byte(o, (byte)(0xa0 | b.Length));
        else if (b.Length <= 0xff) { Byte(o, 0xd9); Byte(o, (byte)b.Length); }
        else if (b.Length <= 0xffff) Header(o, 0xda, (uint)b.Length, 2);
        else Header(o, 0xdb, (uint)b.Length, 4);
        o.Write(b);
    }

    private static void Table(IntPtr L, int t, ArrayBufferWriter<byte> o, int level)
    {
        // An array when its keys are exactly 1..n (lua-cmsgpack's table_is_an_array), else a map.
        long count = 0, max = 0;
        bool array = true;
        lua_pushnil(L);
        while (lua_next(L, t) != 0)
        {
            Pop(L, 1);
            count++;
            if (array && lua_type(L, -1) == TypeNumber)
            {
                double k = ToNumber(L, -1);
                if (k >= 1 && k == Math.Floor(k)) { max = Math.Max(max, (long)k); continue; }
            }
            array = false;
        }
        if (array && max == count)
        {
            if (count < 16) Byte(o, (byte)(0x90 | count));
            else if (count <= 0xffff) Header(o, 0xdc, (uint)count, 2);
            else Header(o, 0xdd, (uint)count, 4);
            for (long i = 1; i <= count; i++)
            {
                lua_rawgeti(L, t, i);
                Encode(L, -1, o, level);
                Pop(L, 1);
            }
            return;
        }
        if (count < 16) Byte(o, (byte)(0x80 | count));
        else if (count <= 0xffff) Header(o, 0xde, (uint)count, 2);
        else Header(o, 0xdf, (uint)count, 4);
        lua_pushnil(L);
        while (lua_next(L, t) != 0)
        {
            Encode(L, -2, o, level);
            Encode(L, -1, o, level);
            Pop(L, 1);
        }
    }

    private static void Byte(ArrayBufferWriter<byte> o, byte b)
    {
        o.GetSpan(1)[0] = b;
        o.Advance(1);
    }

    private static void Header(ArrayBufferWriter<byte> o, byte type, uint length, int size)
    {
        Span<byte> s = o.GetSpan(1 + size);
        s[0] = type;
        if (size == 2) BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)length);
        else BinaryPrimitives.WriteUInt32BigEndian(s[1..], length);
        o.Advance(1 + size);
    }

    // ---- unpack ----

    [UnmanagedCallersOnly]
    public static int Unpack(IntPtr L) => UnpackValues(L, "unpack", limitArg: 0, offsetArg: 0);

    [UnmanagedCallersOnly]
    public static int UnpackOne(IntPtr L) => UnpackValues(L, "unpack_one", limitArg: -1, offsetArg: 2);

    [UnmanagedCallersOnly]
    public static int UnpackLimit(IntPtr L) => UnpackValues(L, "unpack_limit", limitArg: 2, offsetArg: 3);

    /// <summary>
    /// Decodes values from argument 1: all of them (unpack), or the number given by argument <paramref name="limitArg"/>
    /// (-1: one), from the offset in argument <paramref name="offsetArg"/>; the limited forms return the next offset first.
    /// </summary>
    private static int UnpackValues(IntPtr L, string name, int limitArg, int offsetArg)
    {
        try
        {
            int type = lua_type(L, 1);
            if (type is not (TypeString or TypeNumber))
            {
                string got = type switch { TypeNone => "no value", TypeNil => "nil", TypeBoolean => "boolean", TypeTable => "table", TypeFunction => "function", _ => "userdata" };
                ScriptEngine.RaiseLater(L, $"bad argument #1 to '{name}' (string expected, got {got})", plain: false);
                return 0;
            }
            byte[] data = ToBytes(L, 1).ToArray();
            long limit = limitArg < 0 ? 1 : limitArg == 0 ? long.MaxValue : lua_type(L, limitArg) == TypeNumber ? LuaReplies.ToInteger(L, limitArg) : 0;
            if (limit <= 0) limit = long.MaxValue;
            long offset = offsetArg > 0 && lua_type(L, offsetArg) == TypeNumber ? LuaReplies.ToInteger(L, offsetArg) : 0;
            if (offset < 0 || offset > data.Length)
            {
                ScriptEngine.RaiseLater(L, "Start offset " + offset + " greater than input length " + data.Length + ".", plain: false);
                return 0;
            }
            lua_settop(L, 0);
            bool limited = limitArg != 0;
            if (limited) lua_pushnil(L);   // the next offset, set below
            int pos = (int)offset, count = 0;
            while (pos < data.Length && count < limit)
            {
                if (lua_checkstack(L, 8) == 0) throw new InvalidOperationException("Too many return values.");
                string? error = Decode(L, data, ref pos, 0);
                if (error != null)
                {
                    ScriptEngine.RaiseLater(L, error, plain: false);
                    return 0;
                }
                count++;
            }
            if (!limited) return count;
            return FinishLimited(L, pos < data.Length ? pos : -1, count);
        }
        catch (Exception ex)
        {
            ScriptEngine.RaiseLater(L, ex.Message, plain: false);
            return 0;
        }
    }

    private static int FinishLimited(IntPtr L, long next, int count)
    {
        // Slot 1 holds a nil placed before the values: replace it with the next offset.
        lua_pushinteger(L, next);
        lua_copy(L, -1, 1);
        Pop(L, 1);
        return count + 1;
    }

    private static string? Decode(IntPtr L, byte[] d, ref int pos, int depth)
    {
        if (depth > 1000) return "Bad data format in input.";
        byte b = d[pos++];
        if (b <= 0x7f) { lua_pushinteger(L, b); return null; }
        if (b >= 0xe0) { lua_pushinteger(L, (sbyte)b); return null; }
        if ((b & 0xe0) == 0xa0) return Str(L, d, ref pos, b & 0x1f);
        if ((b & 0xf0) == 0x90) return Arr(L, d, ref pos, b & 0x0f, depth);
        if ((b & 0xf0) == 0x80) return Map(L, d, ref pos, b & 0x0f, depth);
        int need = b switch
        {
            0xcc or 0xd0 or 0xd9 or 0xc4 => 1,
            0xcd or 0xd1 or 0xda or 0xc5 or 0xdc or 0xde => 2,
            0xce or 0xd2 or 0xdb or 0xc6 or 0xdd or 0xdf or 0xca => 4,
            0xcf or 0xd3 or 0xcb => 8,
            0xd4 => 2, 0xd5 => 3, 0xd6 => 5, 0xd7 => 9, 0xd8 => 17,
            0xc7 => 1, 0xc8 => 2, 0xc9 => 4,
            _ => 0,
        };
        if (pos + need > d.Length) return "Missing bytes in input.";
        ReadOnlySpan<byte> s = d.AsSpan(pos, need);
        pos += need;
        switch (b)
        {
            case 0xc0: lua_pushnil(L); return null;
            case 0xc2: lua_pushboolean(L, 0); return null;
            case 0xc3: lua_pushboolean(L, 1); return null;
            case 0xcc: lua_pushinteger(L, s[0]); return null;
            case 0xcd: lua_pushinteger(L, BinaryPrimitives.ReadUInt16BigEndian(s)); return null;
            case 0xce: lua_pushinteger(L, BinaryPrimitives.ReadUInt32BigEndian(s)); return null;
            case 0xcf:
                ulong u = BinaryPrimitives.ReadUInt64BigEndian(s);
                if (u <= long.MaxValue) lua_pushinteger(L, (long)u);
                else lua_pushnumber(L, u);
                return null;
            case 0xd0: lua_pushinteger(L, (sbyte)s[0]); return null;
            case 0xd1: lua_pushinteger(L, BinaryPrimitives.ReadInt16BigEndian(s)); return null;
            case 0xd2: lua_pushinteger(L, BinaryPrimitives.ReadInt32BigEndian(s)); return null;
            case 0xd3: lua_pushinteger(L, BinaryPrimitives.ReadInt64BigEndian(s)); return null;
            case 0xca: lua_pushnumber(L, BinaryPrimitives.ReadSingleBigEndian(s)); return null;
            case 0xcb: lua_pushnumber(L, BinaryPrimitives.ReadDoubleBigEndian(s)); return null;
            case 0xd9 or 0xc4: return Str(L, d, ref pos, s[0]);
            case 0xda or 0xc5: return Str(L, d, ref pos, BinaryPrimitives.ReadUInt16BigEndian(s));
            case 0xdb or 0xc6: return Str(L, d, ref pos, BinaryPrimitives.ReadUInt32BigEndian(s));
            case 0xdc: return Arr(L, d, ref pos, BinaryPrimitives.ReadUInt16BigEndian(s), depth);
            case 0xdd: return Arr(L, d, ref pos, BinaryPrimitives.ReadUInt32BigEndian(s), depth);
            case 0xde: return Map(L, d, ref pos, BinaryPrimitives.ReadUInt16BigEndian(s), depth);
            case 0xdf: return Map(L, d, ref pos, BinaryPrimitives.ReadUInt32BigEndian(s), depth);
            case 0xd4 or 0xd5 or 0xd6 or 0xd7 or 0xd8: lua_pushnil(L); return null;   // fixext: type and data skipped
            case 0xc7 or 0xc8 or 0xc9:
            {
                long len = b == 0xc7 ? s[0] : b == 0xc8 ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
                if (pos + 1 + len > d.Length) return "Missing bytes in input.";
                pos += 1 + (int)len;
                lua_pushnil(L);
                return null;
            }
            default: return "Bad data format in input.";
        }
    }

    private static string? Str(IntPtr L, byte[] d, ref int pos, long len)
    {
        if (pos + len > d.Length) return "Missing bytes in input.";
        PushBytes(L, d.AsSpan(pos, (int)len));
        pos += (int)len;
        return null;
    }

    private static string? Arr(IntPtr L, byte[] d, ref int pos, long n, int depth)
    {
        if (lua_checkstack(L, 4) == 0) return "Bad data format in input.";
        lua_createtable(L, (int)Math.Min(n, 1 << 16), 0);
        for (long i = 1; i <= n; i++)
        {
            if (pos >= d.Length) return "Missing bytes in input.";
            string? e = Decode(L, d, ref pos, depth + 1);
            if (e != null) return e;
            lua_rawseti(L, -2, i);
        }
        return null;
    }

    private static string? Map(IntPtr L, byte[] d, ref int pos, long n, int depth)
    {
        if (lua_checkstack(L, 4) == 0) return "Bad data format in input.";
        lua_createtable(L, 0, (int)Math.Min(n, 1 << 16));
        for (long i = 0; i < n; i++)
        {
            if (pos >= d.Length) return "Missing bytes in input.";
            string? e = Decode(L, d, ref pos, depth + 1);
            if (e != null) return e;
            if (pos >= d.Length) return "Missing bytes in input.";
            e = Decode(L, d, ref pos, depth + 1);
            if (e != null) return e;
            if (lua_type(L, -2) == TypeNil) Pop(L, 2);
            else lua_rawset(L, -3);
        }
        return null;
    }
}

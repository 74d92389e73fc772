namespace Tiered.Server.Scripting;

/// <summary>
/// The few functions of the Lua 5.4 C API the script engine calls itself, bound to the native library KeraLua ships
/// (runtimes/*/native/liblua54). KeraLua's managed wrapper converts strings through an Encoding and allocates a byte
/// array per string; a script's arguments and replies must stay byte-exact and cheap, so strings cross as pointers
/// here. C API macros (lua_pop, lua_newtable, lua_upvalueindex...) are written out as the functions they expand to.
/// </summary>
/// <remarks>
/// Lua reports errors with longjmp, which must never cross a managed frame: every callback Lua makes into C#
/// (<see cref="ScriptEngine"/>'s [UnmanagedCallersOnly] functions) returns normally and lets Lua code raise the error
/// (Scripting/prelude.lua), and nothing here that may raise (allocation failure aside) is called from C#.
/// </remarks>
internal static unsafe class LuaNative
{
    private const string Lib = "lua54";

    public const int RegistryIndex = -1000000 - 1000;   // LUA_REGISTRYINDEX
    public const int TypeNone = -1, TypeNil = 0, TypeBoolean = 1, TypeLightUserData = 2, TypeNumber = 3, TypeString = 4,
        TypeTable = 5, TypeFunction = 6, TypeUserData = 7, TypeThread = 8;
    public const int GcCount = 3, GcCountB = 4, GcCollect = 2;

    public static int UpValueIndex(int i) => RegistryIndex - i;

    [DllImport(Lib)] public static extern IntPtr luaL_newstate();
    [DllImport(Lib)] public static extern void luaL_openlibs(IntPtr L);
    [DllImport(Lib)] public static extern void lua_close(IntPtr L);
    [DllImport(Lib)] public static extern int lua_gettop(IntPtr L);
    [DllImport(Lib)] public static extern void lua_settop(IntPtr L, int idx);
    [DllImport(Lib)] public static extern int lua_type(IntPtr L, int idx);
    [DllImport(Lib)] public static extern int lua_checkstack(IntPtr L, int n);
    [DllImport(Lib)] public static extern byte* lua_tolstring(IntPtr L, int idx, out nuint len);
    [DllImport(Lib)] public static extern double lua_tonumberx(IntPtr L, int idx, IntPtr isnum);
    [DllImport(Lib)] public static extern long lua_tointegerx(IntPtr L, int idx, IntPtr isnum);
    [DllImport(Lib)] public static extern int lua_isinteger(IntPtr L, int idx);
    [DllImport(Lib)] public static extern int lua_toboolean(IntPtr L, int idx);
    [DllImport(Lib)] public static extern IntPtr lua_touserdata(IntPtr L, int idx);
    [DllImport(Lib)] public static extern IntPtr lua_pushlstring(IntPtr L, byte* s, nuint len);
    [DllImport(Lib)] public static extern void lua_pushinteger(IntPtr L, long n);
    [DllImport(Lib)] public static extern void lua_pushnumber(IntPtr L, double n);
    [DllImport(Lib)] public static extern void lua_pushboolean(IntPtr L, int b);
    [DllImport(Lib)] public static extern void lua_pushnil(IntPtr L);
    [DllImport(Lib)] public static extern void lua_pushvalue(IntPtr L, int idx);
    [DllImport(Lib)] public static extern void lua_pushlightuserdata(IntPtr L, IntPtr p);
    [DllImport(Lib)] public static extern void lua_pushcclosure(IntPtr L, delegate* unmanaged<IntPtr, int> fn, int n);
    [DllImport(Lib)] public static extern void lua_createtable(IntPtr L, int narr, int nrec);
    [DllImport(Lib)] public static extern void lua_rawseti(IntPtr L, int idx, long n);
    [DllImport(Lib)] public static extern int lua_rawgeti(IntPtr L, int idx, long n);
    [DllImport(Lib)] public static extern void lua_rawset(IntPtr L, int idx);
    [DllImport(Lib)] public static extern int lua_rawget(IntPtr L, int idx);
    [DllImport(Lib)] public static extern nuint lua_rawlen(IntPtr L, int idx);
    [DllImport(Lib)] public static extern int lua_next(IntPtr L, int idx);
    [DllImport(Lib)] public static extern int lua_absindex(IntPtr L, int idx);
    [DllImport(Lib)] public static extern void lua_copy(IntPtr L, int from, int to);
    [DllImport(Lib)] public static extern int luaL_ref(IntPtr L, int t);
    [DllImport(Lib)] public static extern void luaL_unref(IntPtr L, int t, int r);
    [DllImport(Lib)] public static extern int luaL_loadbufferx(IntPtr L, byte* buff, nuint sz, byte* name, byte* mode);
    [DllImport(Lib)] public static extern int lua_pcallk(IntPtr L, int nargs, int nresults, int errfunc, IntPtr ctx, IntPtr k);
    [DllImport(Lib)] public static extern int lua_gc(IntPtr L, int what, int arg);

    public static void Pop(IntPtr L, int n) => lua_settop(L, -n - 1);

    public static void PushBytes(IntPtr L, ReadOnlySpan<byte> s)
    {
        fixed (byte* p = s) lua_pushlstring(L, p, (nuint)s.Length);
    }

    public static void PushString(IntPtr L, string s)
    {
        Span<byte> buf = s.Length <= 256 ? stackalloc byte[s.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(s.Length)];
        int n = Encoding.UTF8.GetBytes(s, buf);
        PushBytes(L, buf[..n]);
    }

    /// <summary>The string (or number, converted in place by Lua) at <paramref name="idx"/>; valid while it stays on the stack.</summary>
    public static ReadOnlySpan<byte> ToBytes(IntPtr L, int idx)
    {
        byte* p = lua_tolstring(L, idx, out nuint len);
        return p == null ? default : new ReadOnlySpan<byte>(p, checked((int)len));
    }

    public static double ToNumber(IntPtr L, int idx) => lua_tonumberx(L, idx, IntPtr.Zero);

    /// <summary>Pushes t[key] of the table at <paramref name="idx"/>, without metamethods; returns its type.</summary>
    public static int RawGetField(IntPtr L, int idx, ReadOnlySpan<byte> key)
    {
        idx = lua_absindex(L, idx);
        PushBytes(L, key);
        return lua_rawget(L, idx);
    }

    /// <summary>Sets t[key] = the value on top (popped), without metamethods.</summary>
    public static void RawSetField(IntPtr L, int idx, ReadOnlySpan<byte> key)
    {
        idx = lua_absindex(L, idx);
        PushBytes(L, key);
        lua_pushvalue(L, -2);
        lua_rawset(L, idx);
        Pop(L, 1);
    }

    /// <summary>Compiles <paramref name="chunk"/> with <paramref name="name"/>; pushes the function or the error message.</summary>
    public static int Load(IntPtr L, ReadOnlySpan<byte> chunk, string name)
    {
        Span<byte> nameZ = stackalloc byte[Encoding.UTF8.GetByteCount(name) + 1];
        Encoding.UTF8.GetBytes(name, nameZ);
        nameZ[^1] = 0;
        ReadOnlySpan<byte> mode = "t\0"u8;
        fixed (byte* p = chunk)
        fixed (byte* n = nameZ)
        fixed (byte* m = mode)
            return luaL_loadbufferx(L, p, (nuint)chunk.Length, n, m);
    }

    public static int PCall(IntPtr L, int nargs, int nresults, int errfunc) => lua_pcallk(L, nargs, nresults, errfunc, IntPtr.Zero, IntPtr.Zero);
}

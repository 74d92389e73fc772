// The Lua script engine: one Lua state per server, the script cache, and the bridge a script's redis.call crosses.
//
// Why it is built this way. A Redis script runs atomically: nothing else runs between its commands, and its writes
// reach the log as the effects of the commands it called (Redis 7 replicates effects, never the script text). Tiered
// gets both from what a transaction already has: the server runs EVAL with the store lock held, and each redis.call
// runs through the ordinary dispatcher on a fake client that is marked "in EXEC", so its changes join the EVAL's and
// are logged together when the EVAL ends, and its keys, if cold, are read from the SSD by the EVAL's prefetch (the
// keys a script declares) or synchronously (any other key), exactly as in a transaction.
//
//   EVAL body 1 k a ──> ScriptingCommands ──> ScriptEngine.Run ──> prelude.lua run(f, KEYS, ARGV) ──> the script
//                                                                                                       │ redis.call
//   reply ◄── LuaReplies.Write ◄── the script's return value          IScriptHost.Call ◄── call_raw ◄───┘
//                                                                      (the dispatcher, on the fake client;
//                                                                       its reply bytes -> LuaReplies.Push)
//
// A compiled script is a Lua function kept in the registry under its SHA1 (EVAL and SCRIPT LOAD compile, EVALSHA
// finds it). Lua's errors (longjmp) never cross a C# frame: the C# functions Lua calls return a status and the
// prelude's wrappers raise (see prelude.lua).

using System.Reflection;
using System.Security.Cryptography;
using static Tiered.Server.Scripting.LuaNative;

namespace Tiered.Server.Scripting;

/// <summary>What a script engine needs from the server: running a command for a script, and the script's protocol.</summary>
public interface IScriptHost
{
    /// <summary>The arguments of the command a script calls (the engine fills them before <see cref="Call"/>).</summary>
    ArgList Args { get; }

    /// <summary>Where <see cref="Call"/> writes the command's reply; the engine reads it, then clears it.</summary>
    RespWriter Reply { get; }

    /// <summary>
    /// Runs <see cref="Args"/> for the running script. Null when the command ran (its reply, an error or not, is in
    /// <see cref="Reply"/>); otherwise the error text of a rule scripts must follow (unknown command, not allowed...).
    /// </summary>
    string? Call();

    /// <summary>redis.setresp: the protocol the script's commands reply in from now on (2 at the start of every run).</summary>
    void SetProtocol(int resp);

    /// <summary>redis.log.</summary>
    void Log(int level, string message);

    /// <summary>Called every so many Lua instructions of a running script: true to stop it (SCRIPT KILL).</summary>
    bool Tick();
}

/// <summary>Script flags of a shebang (<c>#!lua flags=...</c>, Redis 7).</summary>
[Flags]
public enum ScriptFlags
{
    None = 0,
    /// <summary>The script has a shebang line: Redis 7's rules rather than EVAL's compatibility mode.</summary>
    Shebang = 1,
    NoWrites = 2,
    AllowOom = 4,
    AllowStale = 8,
    NoCluster = 16,
    AllowCrossSlotKeys = 32,
}

/// <summary>A compiled script.</summary>
public sealed class Script(byte[] body, string sha, ScriptFlags flags, int functionRef)
{
    public byte[] Body { get; } = body;
    /// <summary>The SHA1 of the body, 40 lowercase hex digits.</summary>
    public string Sha { get; } = sha;
    public ScriptFlags Flags { get; } = flags;
    internal int FunctionRef { get; } = functionRef;
}

/// <summary>
/// The Lua state and script cache of one server. Shared state rule: every member runs under the store lock (scripts
/// are commands); <see cref="Dispose"/> runs once the server has stopped.
/// </summary>
public sealed unsafe class ScriptEngine : IDisposable
{
    private readonly IScriptHost _host;
    private readonly Dictionary<string, Script> _scripts = new(StringComparer.Ordinal);
    private IntPtr _L;
    private GCHandle _self;
    private readonly int _compileRef, _runRef, _onErrorRef, _raiseLaterRef, _compileLibraryRef, _loadLibraryRef, _callFunctionRef;
    private byte[] _args = new byte[256];
    private int[] _lengths = new int[16];
    private int _resp = 2;   // the running script's redis.setresp

    public ScriptEngine(IScriptHost host, string version, int versionNumber)
    {
        _host = host;
        _L = luaL_newstate();
        if (_L == IntPtr.Zero) throw new InvalidOperationException("Lua could not make a state");
        luaL_openlibs(_L);
        _self = GCHandle.Alloc(this);
        byte[] prelude = ReadPrelude();
        if (LuaNative.Load(_L, prelude, "=prelude") != 0) throw new InvalidOperationException("prelude.lua: " + Encoding.UTF8.GetString(ToBytes(_L, -1)));
        PushFunction(&CallRaising);
        PushFunction(&CallProtected);
        PushFunction(&SetResp);
        PushFunction(&Log);
        PushFunction(&Sha1HexOf);
        PushFunction(&SetRepl);
        PushFunction(&CJson.Encode);
        PushFunction(&CJson.Decode);
        PushFunction(&CMsgPack.Pack);
        PushFunction(&CMsgPack.Unpack);
        PushFunction(&CMsgPack.UnpackOne);
        PushFunction(&CMsgPack.UnpackLimit);
        PushFunction(&LuaStruct.Pack);
        PushFunction(&LuaStruct.Unpack);
        PushFunction(&LuaStruct.Size);
        PushFunction(&Tick);
        lua_pushlightuserdata(_L, IntPtr.Zero);   // cjson.null
        PushString(_L, version);
        lua_pushinteger(_L, versionNumber);
        if (PCall(_L, 19, 7, 0) != 0) throw new InvalidOperationException("prelude.lua: " + Encoding.UTF8.GetString(ToBytes(_L, -1)));
        _callFunctionRef = luaL_ref(_L, RegistryIndex);
        _loadLibraryRef = luaL_ref(_L, RegistryIndex);
        _compileLibraryRef = luaL_ref(_L, RegistryIndex);
        _raiseLaterRef = luaL_ref(_L, RegistryIndex);
        _onErrorRef = luaL_ref(_L, RegistryIndex);
        _runRef = luaL_ref(_L, RegistryIndex);
        _compileRef = luaL_ref(_L, RegistryIndex);
        Functions = new FunctionLibraries(this);
    }

    /// <summary>The function libraries (FUNCTION LOAD, FCALL).</summary>
    public FunctionLibraries Functions { get; }

    /// <summary>Scripts in the cache (INFO number_of_cached_scripts).</summary>
    public int Count => _scripts.Count;

    /// <summary>Bytes of the cached scripts' bodies (INFO used_memory_scripts_eval).</summary>
    public long BodyBytes { get; private set; }

    /// <summary>Bytes the Lua state holds (INFO used_memory_lua).</summary>
    public long MemoryBytes => _L == IntPtr.Zero ? 0 : (long)lua_gc(_L, GcCount, 0) * 1024 + lua_gc(_L, GcCountB, 0);

    /// <summary>The cached script whose SHA1 is <paramref name="sha"/> (hex, any case), or null.</summary>
    public Script? Find(ReadOnlySpan<byte> sha)
    {
        if (sha.Length != 40) return null;
        Span<char> lower = stackalloc char[40];
        for (int i = 0; i < 40; i++) lower[i] = (char)(sha[i] | 0x20);
        return _scripts.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(lower, out Script? s) ? s : null;
    }

    /// <summary>
    /// The script of <paramref name="body"/>, compiled and cached on first use (EVAL, SCRIPT LOAD). Null with
    /// <paramref name="error"/> (Redis's text) when its shebang or its Lua is wrong.
    /// </summary>
    public Script? Load(ReadOnlySpan<byte> body, out string? error)
    {
        string sha = Sha1Hex(body);
        if (_scripts.TryGetValue(sha, out Script? known))
        {
            error = null;
            return known;
        }
        ScriptFlags flags = ParseShebang(body, out error);
        if (error != null) return null;
        IntPtr L = _L;
        lua_settop(L, 0);
        lua_rawgeti(L, RegistryIndex, _compileRef);
        if ((flags & ScriptFlags.Shebang) != 0)
        {
            // The shebang line becomes a comment: Lua does not take "#!" in a string chunk, and line numbers stay.
            byte[] chunk = new byte[body.Length + 2];
            "--"u8.CopyTo(chunk);
            body.CopyTo(chunk.AsSpan(2));
            PushBytes(L, chunk);
        }
        else PushBytes(L, body);
        if (PCall(L, 1, 2, 0) != 0 || lua_type(L, 1) != TypeFunction)
        {
            error = "ERR Error compiling script (new function): " + Encoding.UTF8.GetString(ToBytes(L, -1));
            lua_settop(L, 0);
            return null;
        }
        lua_settop(L, 1);
        var script = new Script(body.ToArray(), sha, flags, luaL_ref(L, RegistryIndex));
        _scripts[sha] = script;
        BodyBytes += script.Body.Length;
        return script;
    }

    /// <summary>SCRIPT FLUSH: forgets every script and collects the Lua heap.</summary>
    public void Flush()
    {
        foreach (Script s in _scripts.Values) luaL_unref(_L, RegistryIndex, s.FunctionRef);
        _scripts.Clear();
        BodyBytes = 0;
        lua_gc(_L, GcCollect, 0);
    }

    /// <summary>
    /// Runs <paramref name="script"/> with KEYS = arguments [keysAt, keysAt + numKeys) of <paramref name="args"/> and ARGV
    /// = the rest, and writes its return value (or its error) to <paramref name="reply"/>.
    /// </summary>
    public void Run(Script script, ArgList args, int keysAt, int numKeys, RespWriter reply)
        => Execute(_runRef, script.FunctionRef, script.Sha, args, keysAt, numKeys, reply);

    /// <summary>FCALL: runs <paramref name="function"/> with keys and args taken from <paramref name="args"/> as <see cref="Run"/> does.</summary>
    public void Run(LuaFunction function, ArgList args, int keysAt, int numKeys, RespWriter reply)
        => Execute(_callFunctionRef, function.FunctionRef, function.Name, args, keysAt, numKeys, reply);

    private void Execute(int entryRef, int functionRef, string name, ArgList args, int keysAt, int numKeys, RespWriter reply)
    {
        IntPtr L = _L;
        lua_settop(L, 0);
        lua_checkstack(L, 8);
        lua_rawgeti(L, RegistryIndex, _onErrorRef);
        lua_rawgeti(L, RegistryIndex, entryRef);
        lua_rawgeti(L, RegistryIndex, functionRef);
        PushArray(L, args, keysAt, numKeys);
        PushArray(L, args, keysAt + numKeys, args.Count - keysAt - numKeys);
        _resp = 2;
        _host.SetProtocol(2);
        int rc = PCall(L, 3, 1, 1);
        if (rc == 0) LuaReplies.Write(L, -1, reply, _resp);
        else reply.Error(ErrorText(L, rc, name));
        lua_settop(L, 0);
    }

    /// <summary>
    /// Compiles a library's <paramref name="code"/> (its first line, the shebang, as a comment) and runs it to collect
    /// the functions it registers; null with Redis's <paramref name="error"/> when it does not compile or fails.
    /// </summary>
    internal List<LuaFunction>? LoadLibrary(byte[] code, FunctionLibrary library, out string? error)
    {
        IntPtr L = _L;
        lua_settop(L, 0);
        lua_rawgeti(L, RegistryIndex, _compileLibraryRef);
        byte[] chunk = new byte[code.Length + 2];
        "--"u8.CopyTo(chunk);
        code.CopyTo(chunk.AsSpan(2));
        PushBytes(L, chunk);
        if (PCall(L, 1, 2, 0) != 0 || lua_type(L, 1) != TypeFunction)
        {
            error = "ERR Error compiling function: " + Encoding.UTF8.GetString(ToBytes(L, -1));
            lua_settop(L, 0);
            return null;
        }
        lua_settop(L, 1);
        lua_rawgeti(L, RegistryIndex, _loadLibraryRef);
        lua_pushvalue(L, 1);
        if (PCall(L, 1, 2, 0) != 0 || lua_type(L, -2) != TypeTable)
        {
            error = "ERR Error registering functions: " + Encoding.UTF8.GetString(ToBytes(L, -1));
            lua_settop(L, 0);
            return null;
        }
        var functions = new List<LuaFunction>();
        int t = lua_absindex(L, -2);
        for (int i = 1; lua_rawgeti(L, t, i) == TypeTable; i++)
        {
            int r = lua_absindex(L, -1);
            lua_rawgeti(L, r, 1);
            string name = Encoding.UTF8.GetString(ToBytes(L, -1));
            Pop(L, 1);
            lua_rawgeti(L, r, 3);
            var flagNames = new List<string>();
            for (int f = 1; lua_rawgeti(L, -1, f) == TypeString; f++)
            {
                flagNames.Add(Encoding.UTF8.GetString(ToBytes(L, -1)));
                Pop(L, 1);
            }
            Pop(L, 2);
            lua_rawgeti(L, r, 4);
            string? description = lua_type(L, -1) == TypeString ? Encoding.UTF8.GetString(ToBytes(L, -1)) : null;
            Pop(L, 1);
            lua_rawgeti(L, r, 2);
            int fnRef = luaL_ref(L, RegistryIndex);
            functions.Add(new LuaFunction(name, library, fnRef, FlagsOf(flagNames), [.. flagNames], description));
            Pop(L, 1);
        }
        lua_settop(L, 0);
        if (functions.Count == 0)
        {
            error = "ERR No functions registered";
            return null;
        }
        error = null;
        return functions;
    }

    /// <summary>Lets go of compiled functions (a library replaced or deleted).</summary>
    internal void Release(IEnumerable<LuaFunction> functions)
    {
        foreach (LuaFunction f in functions) luaL_unref(_L, RegistryIndex, f.FunctionRef);
    }

    private static ScriptFlags FlagsOf(List<string> names)
    {
        ScriptFlags flags = ScriptFlags.Shebang;
        foreach (string n in names)
            flags |= n switch
            {
                "no-writes" => ScriptFlags.NoWrites,
                "allow-oom" => ScriptFlags.AllowOom,
                "allow-stale" => ScriptFlags.AllowStale,
                "no-cluster" => ScriptFlags.NoCluster,
                _ => ScriptFlags.AllowCrossSlotKeys,
            };
        return flags;
    }

    private static void PushArray(IntPtr L, ArgList args, int from, int count)
    {
        lua_createtable(L, count, 0);
        for (int i = 0; i < count; i++)
        {
            PushBytes(L, args[from + i]);
            lua_rawseti(L, -2, i + 1);
        }
    }

    /// <summary>The reply to a failed run: the message, then " script: sha (or function), on @user_script:line." as Redis 7 adds.</summary>
    private static string ErrorText(IntPtr L, int rc, string name)
    {
        if (lua_type(L, -1) != TypeTable)
            return rc == 4 ? "ERR Lua ran out of memory" : "ERR " + Encoding.UTF8.GetString(ToBytes(L, -1));
        RawGetField(L, -1, "err"u8);
        string message = Encoding.UTF8.GetString(ToBytes(L, -1));
        RawGetField(L, -2, "source"u8);
        RawGetField(L, -3, "line"u8);
        if (lua_type(L, -2) == TypeString && lua_type(L, -1) == TypeNumber)
            message += $" script: {name}, on {Encoding.UTF8.GetString(ToBytes(L, -2))}:{lua_tointegerx(L, -1, IntPtr.Zero)}.";
        Pop(L, 3);
        return message;
    }

    // ---- the functions Lua calls (prelude.lua wraps them); each returns normally, see LuaNative ----

    private void PushFunction(delegate* unmanaged<IntPtr, int> fn)
    {
        lua_pushlightuserdata(_L, GCHandle.ToIntPtr(_self));
        lua_pushcclosure(_L, fn, 1);
    }

    private static ScriptEngine Self(IntPtr L) => (ScriptEngine)GCHandle.FromIntPtr(lua_touserdata(L, UpValueIndex(1))).Target!;

    /// <summary>
    /// Raises <paramref name="message"/> in the script as the running C# function returns (prelude.lua's raise_later):
    /// as it is when <paramref name="plain"/> (Redis's errors), else with the caller's position (a Lua error). The
    /// caller returns 0 right after.
    /// </summary>
    internal static void RaiseLater(IntPtr L, string message, bool plain)
    {
        lua_settop(L, 0);
        lua_rawgeti(L, RegistryIndex, Self(L)._raiseLaterRef);
        PushString(L, message);
        lua_pushboolean(L, plain ? 1 : 0);
        PCall(L, 2, 0, 0);
        lua_settop(L, 0);
    }

    /// <summary>redis.call: the reply, or the command's error raised.</summary>
    [UnmanagedCallersOnly]
    private static int CallRaising(IntPtr L) => Call(L, raise: true);

    /// <summary>redis.pcall: the reply, or the error as a table { err = ... }.</summary>
    [UnmanagedCallersOnly]
    private static int CallProtected(IntPtr L) => Call(L, raise: false);

    private static int Call(IntPtr L, bool raise)
    {
        string? error;
        try
        {
            error = Self(L).Call(L);
        }
        catch (Exception ex)
        {
            error = "ERR " + ex.Message;
        }
        if (error is null) return 1;
        if (raise)
        {
            RaiseLater(L, error, plain: true);
            return 0;
        }
        lua_settop(L, 0);
        lua_createtable(L, 0, 1);
        PushString(L, error);
        RawSetField(L, -2, "err"u8);
        return 1;
    }

    /// <summary>Runs the command in the arguments; pushes its reply and returns null, or returns the error text.</summary>
    private string? Call(IntPtr L)
    {
        int n = lua_gettop(L);
        if (n == 0) return "ERR Please specify at least one argument for this redis lib call";
        if (_lengths.Length < n) _lengths = new int[Math.Max(n, _lengths.Length * 2)];
        Span<byte> number = stackalloc byte[32];
        int total = 0;
        for (int i = 1; i <= n; i++)
        {
            int type = lua_type(L, i);
            if (type == TypeNumber) _lengths[i - 1] = LuaReplies.FormatArgument(ToNumber(L, i), number);
            else if (type == TypeString) _lengths[i - 1] = ToBytes(L, i).Length;
            else return "ERR Lua redis lib command arguments must be strings or integers";
            total += _lengths[i - 1];
        }
        if (_args.Length < total) _args = new byte[Math.Max(total, _args.Length * 2)];
        ArgList list = _host.Args;
        list.Reset(_args);
        int at = 0;
        for (int i = 1; i <= n; i++)
        {
            Span<byte> dest = _args.AsSpan(at, _lengths[i - 1]);
            if (lua_type(L, i) == TypeNumber) LuaReplies.FormatArgument(ToNumber(L, i), dest);
            else ToBytes(L, i).CopyTo(dest);
            list.Add(at, dest.Length);
            at += dest.Length;
        }
        string? refused = _host.Call();
        lua_settop(L, 0);
        if (refused != null) return refused;
        RespWriter reply = _host.Reply;
        try
        {
            ReadOnlySpan<byte> r = reply.Pending.Span;
            if (r.Length > 0 && r[0] == (byte)'-') return Encoding.UTF8.GetString(r[1..r.IndexOf((byte)'\r')]);
            if (r.Length == 0) lua_pushnil(L);
            else LuaReplies.Push(L, r, 0);
            return null;
        }
        finally
        {
            reply.Clear();
        }
    }

    /// <summary>check_time() for prelude.lua's instruction-count hook: true when the script must stop.</summary>
    [UnmanagedCallersOnly]
    private static int Tick(IntPtr L)
    {
        bool stop;
        try
        {
            stop = Self(L)._host.Tick();
        }
        catch (Exception)
        {
            stop = false;
        }
        lua_pushboolean(L, stop ? 1 : 0);
        return 1;
    }

    [UnmanagedCallersOnly]
    private static int SetResp(IntPtr L)
    {
        if (lua_gettop(L) != 1) return Raise(L, "ERR redis.setresp() requires one argument.");
        long resp = lua_type(L, 1) == TypeNumber ? LuaReplies.ToInteger(L, 1) : 0;
        if (resp is not (2 or 3)) return Raise(L, "ERR RESP version must be 2 or 3.");
        ScriptEngine e = Self(L);
        e._resp = (int)resp;
        e._host.SetProtocol(e._resp);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int Log(IntPtr L)
    {
        int n = lua_gettop(L);
        if (n < 2) return Raise(L, "ERR redis.log() requires two arguments or more.");
        if (lua_type(L, 1) != TypeNumber) return Raise(L, "ERR First argument must be a number (log level).");
        long level = LuaReplies.ToInteger(L, 1);
        if (level is < 0 or > 3) return Raise(L, "ERR Invalid debug level.");
        var message = new StringBuilder();
        for (int i = 2; i <= n; i++)
        {
            if (i > 2) message.Append(' ');
            if (lua_type(L, i) is TypeString or TypeNumber) message.Append(Encoding.UTF8.GetString(ToBytes(L, i)));
        }
        try
        {
            Self(L)._host.Log((int)level, message.ToString());
        }
        catch (Exception)
        {
            // a log line that could not be written is not the script's failure
        }
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int Sha1HexOf(IntPtr L)
    {
        if (lua_gettop(L) != 1) return Raise(L, "ERR wrong number of arguments");
        Span<byte> hex = stackalloc byte[40];
        Sha1Hex(lua_type(L, 1) is TypeString or TypeNumber ? ToBytes(L, 1) : default, hex);
        PushBytes(L, hex);
        return 1;
    }

    /// <summary>redis.set_repl: checked as Redis does; Tiered always logs a script's effects (REPL_ALL).</summary>
    [UnmanagedCallersOnly]
    private static int SetRepl(IntPtr L)
    {
        if (lua_gettop(L) != 1) return Raise(L, "ERR redis.set_repl() requires one argument.");
        long flags = lua_type(L, 1) == TypeNumber ? LuaReplies.ToInteger(L, 1) : -1;
        if (flags is < 0 or > 3) return Raise(L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
        return 0;
    }

    private static int Raise(IntPtr L, string message)
    {
        RaiseLater(L, message, plain: true);
        return 0;
    }

    // ---- helpers ----

    /// <summary>SHA1 of <paramref name="data"/> as 40 lowercase hex digits.</summary>
    public static string Sha1Hex(ReadOnlySpan<byte> data)
    {
        Span<byte> hex = stackalloc byte[40];
        Sha1Hex(data, hex);
        return Encoding.ASCII.GetString(hex);
    }

    private static void Sha1Hex(ReadOnlySpan<byte> data, Span<byte> hex)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(data, hash);
        for (int i = 0; i < 20; i++)
        {
            hex[2 * i] = (byte)"0123456789abcdef"[hash[i] >> 4];
            hex[2 * i + 1] = (byte)"0123456789abcdef"[hash[i] & 15];
        }
    }

    /// <summary>The flags of a <c>#!lua</c> first line, with Redis 7.0's errors.</summary>
    internal static ScriptFlags ParseShebang(ReadOnlySpan<byte> body, out string? error)
    {
        error = null;
        if (!body.StartsWith("#!"u8)) return ScriptFlags.None;
        int eol = body.IndexOf((byte)'\n');
        string line = Encoding.UTF8.GetString(eol < 0 ? body : body[..eol]);
        string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] != "#!lua")
        {
            error = "ERR Unexpected engine in script shebang: " + (parts.Length > 0 ? parts[0] : line);
            return ScriptFlags.None;
        }
        ScriptFlags flags = ScriptFlags.Shebang;
        for (int i = 1; i < parts.Length; i++)
        {
            if (!parts[i].StartsWith("flags=", StringComparison.Ordinal))
            {
                error = "ERR Unknown lua shebang option: " + parts[i];
                return ScriptFlags.None;
            }
            foreach (string f in parts[i]["flags=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                ScriptFlags flag = f switch
                {
                    "no-writes" => ScriptFlags.NoWrites,
                    "allow-oom" => ScriptFlags.AllowOom,
                    "allow-stale" => ScriptFlags.AllowStale,
                    "no-cluster" => ScriptFlags.NoCluster,
                    "allow-cross-slot-keys" => ScriptFlags.AllowCrossSlotKeys,
                    _ => ScriptFlags.None,
                };
                if (flag == ScriptFlags.None)
                {
                    error = "ERR Unexpected flag in script shebang: " + f;
                    return ScriptFlags.None;
                }
                flags |= flag;
            }
        }
        return flags;
    }

    private static byte[] ReadPrelude()
    {
        using Stream s = Assembly.GetExecutingAssembly().GetManifestResourceStream("prelude.lua")
            ?? throw new InvalidOperationException("prelude.lua is not embedded");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    public void Dispose()
    {
        if (_L == IntPtr.Zero) return;
        lua_close(_L);
        _L = IntPtr.Zero;
        _self.Free();
    }
}

// Redis 7 functions: libraries of Lua functions loaded once (FUNCTION LOAD) and called by name (FCALL).
//
//   FUNCTION LOAD "#!lua name=lib\n redis.register_function('f', function(keys, args) ... end)"
//        │ the shebang names the library; its code runs once and registers functions (ScriptEngine.LoadLibrary)
//        ▼
//   libraries: lib -> { code, [f, g] }        functions: f -> (lib, compiled function, flags, description)
//
// A library is replaced whole (REPLACE) or not at all; a function name belongs to one library. The libraries are
// kept across restarts as their DUMP payload (Redis's format, FunctionPayload.cs), written whenever they change.

namespace Tiered.Server.Scripting;

/// <summary>A function a library registered.</summary>
public sealed class LuaFunction(string name, FunctionLibrary library, int functionRef, ScriptFlags flags, string[] flagNames, string? description)
{
    public string Name { get; } = name;
    public FunctionLibrary Library { get; } = library;
    internal int FunctionRef { get; } = functionRef;
    public ScriptFlags Flags { get; } = flags;
    /// <summary>The flags as registered, in their order (FUNCTION LIST).</summary>
    public string[] FlagNames { get; } = flagNames;
    public string? Description { get; } = description;
}

/// <summary>A loaded library: its code and its functions.</summary>
public sealed class FunctionLibrary(string name, byte[] code)
{
    public string Name { get; } = name;
    public byte[] Code { get; } = code;
    public List<LuaFunction> Functions { get; } = [];
}

/// <summary>The libraries of one server. Shared state rule: used under the store lock, as every command.</summary>
public sealed class FunctionLibraries
{
    private readonly ScriptEngine _engine;
    private readonly SortedDictionary<string, FunctionLibrary> _libraries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LuaFunction> _functions = new(StringComparer.Ordinal);

    internal FunctionLibraries(ScriptEngine engine) => _engine = engine;

    /// <summary>Called after every change with the new DUMP payload (the server writes it to disk).</summary>
    public Action<byte[]>? Changed { get; set; }

    /// <summary>The libraries, by name.</summary>
    public IEnumerable<FunctionLibrary> Libraries => _libraries.Values;

    public int LibraryCount => _libraries.Count;

    public int FunctionCount => _functions.Count;

    public LuaFunction? Find(string name) => _functions.GetValueOrDefault(name);

    /// <summary>FUNCTION LOAD: the library's name, or null with Redis's <paramref name="error"/>.</summary>
    public string? Load(byte[] code, bool replace, out string? error)
    {
        string? name = Load(code, replace, notify: true, out error);
        return name;
    }

    private string? Load(byte[] code, bool replace, bool notify, out string? error)
    {
        string? name = LibraryName(code, out error);
        if (name is null) return null;
        _libraries.TryGetValue(name, out FunctionLibrary? old);
        if (old != null && !replace)
        {
            error = $"ERR Library '{name}' already exists";
            return null;
        }
        var library = new FunctionLibrary(name, code);
        List<LuaFunction>? functions = _engine.LoadLibrary(code, library, out error);
        if (functions is null) return null;
        foreach (LuaFunction f in functions)
            if (_functions.TryGetValue(f.Name, out LuaFunction? taken) && taken.Library != old)
            {
                _engine.Release(functions);
                error = $"ERR Function {f.Name} already exists";
                return null;
            }
        if (old != null) Remove(old);
        library.Functions.AddRange(functions);
        _libraries[name] = library;
        foreach (LuaFunction f in functions) _functions[f.Name] = f;
        if (notify) Changed?.Invoke(Dump());
        return name;
    }

    /// <summary>FUNCTION DELETE: false when there is no such library.</summary>
    public bool Delete(string name)
    {
        if (!_libraries.TryGetValue(name, out FunctionLibrary? library)) return false;
        Remove(library);
        Changed?.Invoke(Dump());
        return true;
    }

    /// <summary>FUNCTION FLUSH.</summary>
    public void Flush()
    {
        foreach (FunctionLibrary l in _libraries.Values.ToArray()) Remove(l);
        Changed?.Invoke(Dump());
    }

    private void Remove(FunctionLibrary library)
    {
        foreach (LuaFunction f in library.Functions) _functions.Remove(f.Name);
        _engine.Release(library.Functions);
        _libraries.Remove(library.Name);
    }

    /// <summary>FUNCTION DUMP: every library's code in Redis's payload format.</summary>
    public byte[] Dump()
    {
        var codes = new List<byte[]>();
        foreach (FunctionLibrary l in _libraries.Values) codes.Add(l.Code);
        return FunctionPayload.Write(codes);
    }

    /// <summary>
    /// FUNCTION RESTORE with policy FLUSH, APPEND or REPLACE (and the load at start): null when done, else Redis's
    /// error; on an error nothing changes.
    /// </summary>
    public string? Restore(ReadOnlySpan<byte> payload, string policy, bool notify = true)
    {
        List<byte[]>? codes = FunctionPayload.Read(payload);
        if (codes is null) return "ERR DUMP payload version or checksum are wrong";
        byte[] before = Dump();
        if (policy == "FLUSH") foreach (FunctionLibrary l in _libraries.Values.ToArray()) Remove(l);
        foreach (byte[] code in codes)
        {
            if (policy == "APPEND" && LibraryName(code, out _) is { } n && _libraries.ContainsKey(n))
            {
                RestoreExactly(before);
                return $"ERR Library {n} already exists";
            }
            if (Load(code, replace: true, notify: false, out string? error) is null)
            {
                RestoreExactly(before);
                return error;
            }
        }
        if (notify) Changed?.Invoke(Dump());
        return null;
    }

    private void RestoreExactly(byte[] payload)
    {
        foreach (FunctionLibrary l in _libraries.Values.ToArray()) Remove(l);
        foreach (byte[] code in FunctionPayload.Read(payload)!) Load(code, replace: true, notify: false, out _);
    }

    /// <summary>The name a library's shebang gives (<c>#!lua name=lib</c>), with Redis 7.0's errors.</summary>
    internal static string? LibraryName(byte[] code, out string? error)
    {
        error = null;
        ReadOnlySpan<byte> body = code;
        if (!body.StartsWith("#!"u8))
        {
            error = "ERR Missing library metadata";
            return null;
        }
        int eol = body.IndexOf((byte)'\n');
        string[] parts = Encoding.UTF8.GetString(eol < 0 ? body[2..] : body[2..eol]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] != "lua")
        {
            error = $"ERR Engine '{(parts.Length > 0 ? parts[0] : "")}' not found";
            return null;
        }
        string? name = null;
        for (int i = 1; i < parts.Length; i++)
        {
            if (!parts[i].StartsWith("name=", StringComparison.Ordinal))
            {
                error = "ERR Invalid metadata value given: " + parts[i];
                return null;
            }
            name = parts[i]["name=".Length..];
        }
        if (name is null)
        {
            error = "ERR Library name was not given";
            return null;
        }
        if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_'))
        {
            error = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
            return null;
        }
        return name;
    }
}

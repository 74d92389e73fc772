using Tiered.Server.Scripting;

namespace Tiered.Server.Commands;

/// <summary>Functions: FCALL FCALL_RO and FUNCTION (the libraries: Scripting/FunctionLibraries.cs).</summary>
public static class FunctionCommands
{
    [Command("fcall")] private static void FCall(CommandContext c) => Call(c, readOnly: false);

    [Command("fcall_ro")] private static void FCallRo(CommandContext c) => Call(c, readOnly: true);

    private static void Call(CommandContext c, bool readOnly)
    {
        if (!ScriptingCommands.ParseNumKeys(c, "ERR Bad number of keys provided"u8, out int numKeys)) return;
        LuaFunction? function = c.Server.Scripts.Functions.Find(c.Str(1));
        if (function is null) { c.Writer.Error("ERR Function not found"u8); return; }
        bool noWrites = (function.Flags & ScriptFlags.NoWrites) != 0;
        if (readOnly && !noWrites) { c.Writer.Error("ERR Can not execute a script with write flag using *_ro command."u8); return; }
        ScriptCaller caller = c.Server.ScriptCaller;
        caller.Begin(c.Client, noWrites);
        try
        {
            c.Server.Scripts.Run(function, c.Args, 3, numKeys, c.Writer);
        }
        finally
        {
            caller.End();
        }
    }

    [Command("function|load")] private static void Load(CommandContext c)
    {
        bool replace = c.Count == 4 && c.Is(2, "REPLACE"u8);
        if (c.Count == 4 && !replace) { c.Writer.Error("ERR Unknown option given: " + c.Str(2)); return; }
        string? name = c.Server.Scripts.Functions.Load(c.Args.Memory(c.Count - 1).ToArray(), replace, out string? error);
        if (name is null) { c.Writer.Error(error!); return; }
        c.Writer.Bulk(name);
        c.Server.Replicas.Propagate(c.Args);
    }

    [Command("function|delete")] private static void Delete(CommandContext c)
    {
        if (!c.Server.Scripts.Functions.Delete(c.Str(2))) { c.Writer.Error("ERR Library not found"u8); return; }
        c.Writer.Ok();
        c.Server.Replicas.Propagate(c.Args);
    }

    [Command("function|flush")] private static void Flush(CommandContext c)
    {
        if (c.Count > 3 || c.Count == 3 && !c.Is(2, "ASYNC"u8) && !c.Is(2, "SYNC"u8))
        {
            c.Writer.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"u8);
            return;
        }
        c.Server.Scripts.Functions.Flush();
        c.Writer.Ok();
        c.Server.Replicas.Propagate(c.Args);
    }

    [Command("function|list")] private static void List(CommandContext c)
    {
        bool withCode = false;
        byte[]? pattern = null;
        for (int i = 2; i < c.Count; i++)
        {
            if (c.Is(i, "WITHCODE"u8)) withCode = true;
            else if (c.Is(i, "LIBRARYNAME"u8) && i + 1 < c.Count) pattern = c[++i].ToArray();
            else if (c.Is(i, "LIBRARYNAME"u8)) { c.Writer.Error("ERR library name argument was not given"u8); return; }
            else { c.Writer.Error("ERR Unknown argument " + c.Str(i)); return; }
        }
        var libraries = new List<FunctionLibrary>();
        foreach (FunctionLibrary l in c.Server.Scripts.Functions.Libraries)
            if (pattern is null || Glob.Match(pattern, Encoding.UTF8.GetBytes(l.Name))) libraries.Add(l);
        RespWriter w = c.Writer;
        w.Array(libraries.Count);
        foreach (FunctionLibrary l in libraries)
        {
            w.Map(withCode ? 4 : 3);
            w.Bulk("library_name"u8); w.Bulk(l.Name);
            w.Bulk("engine"u8); w.Bulk("LUA"u8);
            w.Bulk("functions"u8);
            w.Array(l.Functions.Count);
            foreach (LuaFunction f in l.Functions)
            {
                w.Map(3);
                w.Bulk("name"u8); w.Bulk(f.Name);
                w.Bulk("description"u8);
                if (f.Description is null) w.Null();
                else w.Bulk(f.Description);
                w.Bulk("flags"u8);
                w.Set(f.FlagNames.Length);
                foreach (string flag in f.FlagNames) w.Simple(flag);
            }
            if (withCode) { w.Bulk("library_code"u8); w.Bulk(l.Code); }
        }
    }

    [Command("function|stats")] private static void Stats(CommandContext c)
    {
        FunctionLibraries functions = c.Server.Scripts.Functions;
        RespWriter w = c.Writer;
        w.Map(2);
        w.Bulk("running_script"u8); w.Null();   // under the store lock no script runs
        w.Bulk("engines"u8);
        w.Map(1);
        w.Bulk("LUA"u8);
        w.Map(2);
        w.Bulk("libraries_count"u8); w.Integer(functions.LibraryCount);
        w.Bulk("functions_count"u8); w.Integer(functions.FunctionCount);
    }

    /// <summary>As SCRIPT KILL: a busy function is killed from outside the store lock (ScriptCaller.AnswerWhileBusy).</summary>
    [Command("function|kill")] private static void Kill(CommandContext c) => c.Writer.Error("NOTBUSY No scripts in execution right now."u8);

    [Command("function|dump")] private static void Dump(CommandContext c) => c.Writer.Bulk(c.Server.Scripts.Functions.Dump());

    [Command("function|restore")] private static void Restore(CommandContext c)
    {
        string policy = c.Count == 4 ? c.Str(3).ToUpperInvariant() : "APPEND";
        if (policy is not ("FLUSH" or "APPEND" or "REPLACE"))
        {
            c.Writer.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."u8);
            return;
        }
        string? error = c.Server.Scripts.Functions.Restore(c[2], policy);
        if (error is not null) { c.Writer.Error(error); return; }
        c.Writer.Ok();
        c.Server.Replicas.Propagate(c.Args);
    }
}

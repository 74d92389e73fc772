using Microsoft.Extensions.Logging;
using Tiered.Server.Scripting;
using Tiered.Server.Session;

namespace Tiered.Server.Commands;

/// <summary>
/// Scripting: EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT (the engine and why it is built so: Scripting/ScriptEngine.cs).
/// </summary>
public static class ScriptingCommands
{
    [Command("eval")] private static void Eval(CommandContext c) => Run(c, bySha: false, readOnly: false);

    [Command("evalsha")] private static void EvalSha(CommandContext c) => Run(c, bySha: true, readOnly: false);

    [Command("eval_ro")] private static void EvalRo(CommandContext c) => Run(c, bySha: false, readOnly: true);

    [Command("evalsha_ro")] private static void EvalShaRo(CommandContext c) => Run(c, bySha: true, readOnly: true);

    private static void Run(CommandContext c, bool bySha, bool readOnly)
    {
        if (!ParseNumKeys(c, "ERR value is not an integer or out of range"u8, out int numKeys)) return;
        ScriptEngine engine = c.Server.Scripts;
        Script? script;
        if (bySha)
        {
            script = engine.Find(c[1]);
            if (script is null) { c.Writer.Error("NOSCRIPT No matching script. Please use EVAL."u8); return; }
        }
        else
        {
            script = engine.Load(c[1], out string? error);
            if (script is null) { c.Writer.Error(error!); return; }
        }
        ScriptCaller caller = c.Server.ScriptCaller;
        caller.Begin(c.Client, readOnly || (script.Flags & ScriptFlags.NoWrites) != 0);
        try
        {
            engine.Run(script, c.Args, 3, numKeys, c.Writer);
        }
        finally
        {
            caller.End();
        }
    }

    /// <summary>EVAL's and FCALL's numkeys (argument 2), with Redis's errors (<paramref name="notANumber"/> differs).</summary>
    internal static bool ParseNumKeys(CommandContext c, ReadOnlySpan<byte> notANumber, out int numKeys)
    {
        numKeys = 0;
        if (!c.TryLong(2, out long n)) { c.Writer.Error(notANumber); return false; }
        if (n < 0) { c.Writer.Error("ERR Number of keys can't be negative"u8); return false; }
        if (n > c.Count - 3) { c.Writer.Error("ERR Number of keys can't be greater than number of args"u8); return false; }
        numKeys = (int)n;
        return true;
    }

    [Command("script|load")] private static void Load(CommandContext c)
    {
        Script? script = c.Server.Scripts.Load(c[2], out string? error);
        if (script is null) c.Writer.Error(error!);
        else c.Writer.Bulk(script.Sha);
    }

    [Command("script|exists")] private static void Exists(CommandContext c)
    {
        ScriptEngine engine = c.Server.Scripts;
        c.Writer.Array(c.Count - 2);
        for (int i = 2; i < c.Count; i++) c.Writer.Integer(engine.Find(c[i]) is null ? 0 : 1);
    }

    [Command("script|flush")] private static void Flush(CommandContext c)
    {
        if (c.Count > 3 || c.Count == 3 && !c.Is(2, "ASYNC"u8) && !c.Is(2, "SYNC"u8))
        {
            c.Writer.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option"u8);
            return;
        }
        c.Server.Scripts.Flush();
        c.Writer.Ok();
    }

    /// <summary>Redis's Lua debugger (LDB) is an interactive session over the connection; Tiered has none.</summary>
    [Command("script|debug")] private static void Debug(CommandContext c)
    {
        if (c.Is(2, "NO"u8)) c.Writer.Ok();
        else if (c.Is(2, "YES"u8) || c.Is(2, "SYNC"u8)) c.Writer.Error("ERR SCRIPT DEBUG is not supported: Tiered has no Lua debugger"u8);
        else c.Writer.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO"u8);
    }

    /// <summary>
    /// Under the store lock no script runs (they run whole under it): NOTBUSY. A busy script is killed from outside the
    /// lock, by <see cref="ScriptCaller.AnswerWhileBusy"/>.
    /// </summary>
    [Command("script|kill")] private static void Kill(CommandContext c) => c.Writer.Error("NOTBUSY No scripts in execution right now."u8);
}

/// <summary>
/// How a script's redis.call reaches the command table: Redis's fake "lua client". It has its own session (selected
/// database, protocol), marked as inside EXEC so its changes are logged with the script's command and its cold keys
/// are read as a transaction's are, and it applies the rules for commands called from scripts first.
/// </summary>
/// <remarks>
/// The time limit (busy-reply-threshold): the engine's hook calls <see cref="Tick"/> every so many instructions; once
/// a script has run past the threshold it is busy, and the other clients' connections, which cannot get the store
/// lock, have their commands answered by <see cref="AnswerWhileBusy"/> without it: -BUSY, or SCRIPT KILL, which asks
/// the next tick to stop the script (refused once the script has written: its writes cannot be undone).
/// Shared state rule: <see cref="Begin"/>, <see cref="End"/>, <see cref="Call"/> and <see cref="Tick"/> run on the
/// script's thread under the store lock; <c>_busy</c> and <c>_kill</c> are also read and set by other connections'
/// threads without the lock (volatile), and <c>_wrote</c> is read by them once <c>_busy</c> is seen.
/// </remarks>
public sealed class ScriptCaller : IScriptHost
{
    private readonly ServerCore _server;
    private readonly ClientSession _session;
    private readonly CommandContext _context;
    private bool _readOnly;
    private bool _running;
    private volatile bool _wrote;
    private volatile bool _busy;
    private volatile bool _kill;
    private long _startedAt;

    public ScriptCaller(ServerCore server)
    {
        _server = server;
        _session = new ClientSession(0, "", "", server.Store.Clock.NowMs, static () => { }) { Authenticated = true, InExec = true, IsScript = true };
        _context = new CommandContext(server, _session, Args, Reply);
    }

    public ArgList Args { get; } = new();

    public RespWriter Reply { get; } = new();

    /// <summary>Before a run: the caller's database; whether the script may write.</summary>
    public void Begin(ClientSession caller, bool readOnly)
    {
        _session.DbIndex = caller.DbIndex;
        _readOnly = readOnly;
        _wrote = false;
        _kill = false;
        _startedAt = Stopwatch.GetTimestamp();
        _running = true;
    }

    /// <summary>After a run: no script is busy any more.</summary>
    public void End()
    {
        _running = false;
        _busy = false;
        _kill = false;
    }

    public bool Tick()
    {
        if (!_running) return false;
        if (!_busy && Stopwatch.GetElapsedTime(_startedAt).TotalMilliseconds >= _server.Options.BusyReplyThreshold)
        {
            _busy = true;
            _server.Logger.LogWarning("Slow script detected: still in execution after {Ms} milliseconds. You can try killing the script using the SCRIPT KILL command.",
                (long)Stopwatch.GetElapsedTime(_startedAt).TotalMilliseconds);
        }
        return _kill;
    }

    /// <summary>
    /// For a connection that cannot get the store lock: while a script is busy, answers the command parsed into
    /// <paramref name="c"/> without the lock (SCRIPT KILL, else -BUSY) and returns true; false when no script is busy.
    /// </summary>
    public bool AnswerWhileBusy(CommandContext c)
    {
        if (!_busy) return false;
        if (c.Count == 2 && (c.Is(0, "SCRIPT"u8) || c.Is(0, "FUNCTION"u8)) && c.Is(1, "KILL"u8))
        {
            if (_wrote)
            {
                c.Writer.Error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."u8);
                return true;
            }
            _kill = true;
            c.Writer.Ok();
            return true;
        }
        c.Writer.Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."u8);
        return true;
    }

    public string? Call()
    {
        CommandDef? cmd = _server.Commands.Find(Args[0]);
        if (cmd is null) return "ERR Unknown Redis command called from script";
        if (!cmd.ArityOk(Args.Count)) return "ERR Wrong number of args calling Redis command from script";
        CommandFlags flags = cmd.Flags;
        if (cmd.Subcommands.Length > 0 && Subcommands.Find(cmd, Args[1]) is { } sub) flags |= sub.Flags;
        if ((flags & CommandFlags.NoScript) != 0) return "ERR This Redis command is not allowed from script";
        if ((flags & CommandFlags.Write) != 0)
        {
            if (_readOnly) return "ERR Write commands are not allowed from read-only scripts.";
            _wrote = true;
        }
        _server.Dispatcher.Execute(_context);
        return null;
    }

    public void SetProtocol(int resp)
    {
        _session.Protocol = resp;
        Reply.Protocol = resp;
    }

    public void Log(int level, string message)
    {
        LogLevel l = level switch { 0 or 1 => LogLevel.Debug, 2 => LogLevel.Information, _ => LogLevel.Warning };
        _server.Logger.Log(l, "script: {Message}", message);
    }
}

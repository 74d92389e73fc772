using Tiered.Server.Admin;
using Tiered.Server.Session;

namespace Tiered.Server.Commands;

/// <summary>
/// What a command handler sees: the arguments, the reply writer, the client's session and the server.
/// One per connection, reused for every command. Handlers run with the store lock held.
/// </summary>
public sealed class CommandContext(ServerCore server, ClientSession client, ArgList args, RespWriter writer)
{
    public ServerCore Server { get; } = server;
    public ClientSession Client { get; } = client;
    public ArgList Args { get; } = args;
    public RespWriter Writer { get; } = writer;

    /// <summary>The definition of the command being run.</summary>
    public CommandDef Command { get; internal set; } = null!;

    /// <summary>The connection running the commands (pub/sub pushes); null only in tests that build a context by hand.</summary>
    public Network.Connection? Connection => Client.Connection;

    /// <summary>The engine.</summary>
    public Store Store => Server.Store;

    /// <summary>The client's selected database.</summary>
    public Database Db => Server.Store.Databases[Client.DbIndex];

    /// <summary>Number of arguments, the command name included.</summary>
    public int Count => Args.Count;

    /// <summary>Argument <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> this[int i] => Args[i];

    /// <summary>Argument <paramref name="i"/> decoded as UTF-8 (for rare, non-hot paths).</summary>
    public string Str(int i) => Encoding.UTF8.GetString(Args[i]);

    /// <summary>True if argument <paramref name="i"/> equals the ASCII word <paramref name="upper"/>, ignoring case.</summary>
    public bool Is(int i, ReadOnlySpan<byte> upper) => Ascii.EqualsIgnoreCase(Args[i], upper);

    /// <summary>Parses argument <paramref name="i"/> as a 64-bit integer, as Redis's string2ll (no spaces, no '+').</summary>
    public bool TryLong(int i, out long value) => ParseLong(Args[i], out value);

    /// <summary>Parses argument <paramref name="i"/> as an integer, replying Redis's error on failure.</summary>
    public bool Long(int i, out long value)
    {
        if (ParseLong(Args[i], out value)) return true;
        Writer.Error("ERR value is not an integer or out of range"u8);
        return false;
    }

    /// <summary>Parses argument <paramref name="i"/> as a double, replying Redis's error on failure.</summary>
    public bool Double(int i, out double value)
    {
        if (ParseDouble(Args[i], out value)) return true;
        Writer.Error("ERR value is not a valid float"u8);
        return false;
    }

    /// <summary>Strict integer parse (Redis's string2ll: optional '-', digits, no spaces, fits in 64 bits).</summary>
    public static bool ParseLong(ReadOnlySpan<byte> s, out long value) => Numbers.ParseInteger(s, out value);

    /// <summary>Float parse like Redis's strtold use: no spaces, "inf"/"-inf" allowed, NaN refused.</summary>
    public static bool ParseDouble(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 256) return false;
        if (s[0] is (byte)' ' or (byte)'\t' || s[^1] is (byte)' ' or (byte)'\t') return false;
        Span<char> chars = stackalloc char[s.Length];
        for (int i = 0; i < s.Length; i++) chars[i] = (char)s[i];
        if (chars.Equals("inf", StringComparison.OrdinalIgnoreCase) || chars.Equals("+inf", StringComparison.OrdinalIgnoreCase)
            || chars.Equals("infinity", StringComparison.OrdinalIgnoreCase)) { value = double.PositiveInfinity; return true; }
        if (chars.Equals("-inf", StringComparison.OrdinalIgnoreCase) || chars.Equals("-infinity", StringComparison.OrdinalIgnoreCase)) { value = double.NegativeInfinity; return true; }
        if (!double.TryParse(chars, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return false;
        return !double.IsNaN(value);
    }

    /// <summary>The integer reply when the engine answered Ok, else the status's error.</summary>
    public void Integer(Status status, long value)
    {
        if (status == Status.Ok) Writer.Integer(value);
        else Error(status);
    }

    /// <summary>WRONGTYPE's error, else the integer (a missing key's answer is the caller's value, usually 0).</summary>
    public void IntegerUnlessWrongType(Status status, long value)
    {
        if (status == Status.WrongType) Error(status);
        else Writer.Integer(value);
    }

    /// <summary>1 when the engine found it (Ok), 0 when not (NotFound), or WRONGTYPE's error: HEXISTS, SISMEMBER...</summary>
    public void OneIfFound(Status status) => IntegerUnlessWrongType(status, status == Status.Ok ? 1 : 0);

    /// <summary>Writes the reply for a non-Ok engine status (the one place statuses become RESP errors).</summary>
    public void Error(Status status)
    {
        switch (status)
        {
            case Status.WrongType: Writer.Error("WRONGTYPE Operation against a key holding the wrong kind of value"u8); break;
            case Status.NotInteger: Writer.Error("ERR value is not an integer or out of range"u8); break;
            case Status.NotFloat: Writer.Error("ERR value is not a valid float"u8); break;
            case Status.Overflow: Writer.Error("ERR increment or decrement would overflow"u8); break;
            case Status.NanOrInfinity: Writer.Error("ERR increment would produce NaN or Infinity"u8); break;
            case Status.TooLarge: Writer.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)"u8); break;
            case Status.OutOfMemory: Writer.Error("OOM command not allowed when used memory > 'maxmemory'."u8); break;
            case Status.NotFound: Writer.Error("ERR no such key"u8); break;
            default: Writer.Error("ERR " + status); break;
        }
    }

    /// <summary>-ERR syntax error</summary>
    public void SyntaxError() => Writer.Error("ERR syntax error"u8);

    /// <summary>Redis's arity error for the running command.</summary>
    public void WrongArity() => Writer.Error($"ERR wrong number of arguments for '{Command.FullName}' command");

    /// <summary>Redis's reply to an unknown subcommand.</summary>
    public void UnknownSubcommand()
        => Writer.Error($"ERR unknown subcommand '{Truncate(Str(1), 128)}'. Try {Command.Name.ToUpperInvariant()} HELP.");

    // ---- Blocking commands (the mechanism is described in Session/Blocking.cs) ----

    /// <summary>
    /// True when a blocking command must not block but write its timeout reply: its deadline passed, or it runs
    /// inside EXEC.
    /// </summary>
    public bool TimedOut => Client.BlockState == BlockState.TimedOut || Client.InExec;

    /// <summary>
    /// Blocks the running command on the keys in arguments <paramref name="firstKeyArg"/>..<paramref name="lastKeyArg"/>
    /// (inclusive) for <paramref name="timeoutMs"/> milliseconds (0: forever). The handler must have written nothing
    /// and must return right after. The command is run again from the same bytes when one of the keys is written,
    /// or with <see cref="TimedOut"/> set at the deadline; a re-run that blocks again keeps the first deadline.
    /// </summary>
    public void BlockOn(int firstKeyArg, int lastKeyArg, long timeoutMs) => BlockOn(firstKeyArg, lastKeyArg, timeoutMs, null);

    /// <summary>
    /// <see cref="BlockOn(int, int, long)"/> keeping <paramref name="resume"/>, which re-runs of this command read back
    /// from <see cref="BlockResume"/> (state resolved once, at the first run, such as XREAD's "$").
    /// </summary>
    public void BlockOn(int firstKeyArg, int lastKeyArg, long timeoutMs, object? resume)
    {
        if (TimedOut) throw new InvalidOperationException("a command must not block when TimedOut is set");
        ClientSession s = Client;
        long deadline = s.BlockState == BlockState.Woken && s.Block != null ? s.Block.DeadlineMs
            : timeoutMs <= 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        var keys = new byte[lastKeyArg - firstKeyArg + 1][];
        for (int i = firstKeyArg; i <= lastKeyArg; i++) keys[i - firstKeyArg] = Args[i].ToArray();
        var wait = new BlockedWait(s, s.DbIndex, keys, deadline) { Resume = resume };
        s.Block = wait;
        s.BlockState = BlockState.Blocked;
        Server.Blocking.Add(wait);
    }

    /// <summary>True while the command runs again after blocking (woken by a write, or at its deadline).</summary>
    public bool IsBlockRerun => (Client.BlockState is BlockState.Woken or BlockState.TimedOut) && Client.Block != null;

    /// <summary>The state given to <see cref="BlockOn(int, int, long, object?)"/> when this run is a re-run, else null.</summary>
    public object? BlockResume => IsBlockRerun ? Client.Block!.Resume : null;

    /// <summary>
    /// For a handler whose write the dispatcher does not see (a subcommand of a container without the Write flag, as
    /// XGROUP): marks the watchers of <paramref name="key"/> dirty and wakes the commands blocked on it.
    /// </summary>
    public void KeyModified(ReadOnlySpan<byte> key)
    {
        if (Server.KeyInterest != 0) KeyEvents.Touch(Server, Client.DbIndex, key, Client);
    }

    /// <summary>
    /// Keyspace notification for <paramref name="key"/>, which this command changed (Redis's notifyKeyspaceEvent, with
    /// the client's database): <paramref name="name"/> is the event ("sadd", "lpush", "expire"...), published when
    /// notify-keyspace-events enables <paramref name="eventClass"/>. One flag test when disabled.
    /// </summary>
    public void Notify(KeyspaceEventFlags eventClass, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key)
        => Server.Notifications.Publish(eventClass, name, Client.DbIndex, key);

    /// <summary><see cref="Notify(KeyspaceEventFlags, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> for the command's first argument, the key of most commands.</summary>
    public void Notify(KeyspaceEventFlags eventClass, ReadOnlySpan<byte> name) => Notify(eventClass, name, Args[1]);

    /// <summary>
    /// <see cref="Notify(KeyspaceEventFlags, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> for a write that removes from a collection (SREM, LPOP, HDEL...), followed by Redis's
    /// generic "del" when it left the key empty and so deleted it.
    /// </summary>
    public void NotifyRemoved(KeyspaceEventFlags eventClass, ReadOnlySpan<byte> name, ReadOnlySpan<byte> key)
    {
        KeyspaceNotifications n = Server.Notifications;
        if (!n.Enabled(eventClass | KeyspaceEventFlags.Generic)) return;
        n.Publish(eventClass, name, Client.DbIndex, key);
        if (!Db.Contains(key)) n.Publish(KeyspaceEventFlags.Generic, "del"u8, Client.DbIndex, key);
    }

    /// <summary>
    /// Whether <paramref name="key"/> exists, asked before a STORE command overwrites it, only when its "del" event
    /// could be published (an empty result deletes the destination, and Redis reports that only if it existed).
    /// </summary>
    public bool ExistsForEvents(ReadOnlySpan<byte> key) => Server.Notifications.Enabled(KeyspaceEventFlags.Generic) && Db.Contains(key);

    /// <summary>The events of a STORE command's destination: <paramref name="name"/> when it stored a result, "del" when an empty result deleted an existing key.</summary>
    public void NotifyStored(KeyspaceEventFlags eventClass, ReadOnlySpan<byte> name, ReadOnlySpan<byte> destination, bool stored, bool existed)
    {
        if (stored) Notify(eventClass, name, destination);
        else if (existed) Notify(KeyspaceEventFlags.Generic, "del"u8, destination);
    }

    /// <summary><see cref="NotifyRemoved(KeyspaceEventFlags, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> for the command's first argument.</summary>
    public void NotifyRemoved(KeyspaceEventFlags eventClass, ReadOnlySpan<byte> name) => NotifyRemoved(eventClass, name, Args[1]);

    /// <summary>
    /// Parses a blocking command's timeout in seconds (a float, as Redis 6+) into milliseconds, replying Redis's
    /// errors on failure. 0 means forever.
    /// </summary>
    public bool BlockTimeout(int i, out long ms)
    {
        ms = 0;
        if (!ParseDouble(Args[i], out double seconds) || double.IsInfinity(seconds) || seconds * 1000 > long.MaxValue / 2)
        {
            Writer.Error("ERR timeout is not a float or out of range"u8);
            return false;
        }
        if (seconds < 0) { Writer.Error("ERR timeout is negative"u8); return false; }
        ms = (long)Math.Ceiling(seconds * 1000);
        return true;
    }

    /// <summary>
    /// A timeout in milliseconds (XREAD BLOCK, WAIT, CLIENT PAUSE): an integer ≥ 0, replying Redis's errors otherwise.
    /// </summary>
    public bool TimeoutMs(int i, out long ms)
    {
        if (!TryLong(i, out ms)) { Writer.Error("ERR timeout is not an integer or out of range"u8); return false; }
        if (ms < 0) { Writer.Error("ERR timeout is negative"u8); return false; }
        return true;
    }

    internal static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}

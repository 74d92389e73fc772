using System.Collections.Frozen;
using Tiered.Server.Admin;

namespace Tiered.Server.Commands;

/// <summary>A command handler: parse the arguments, make one store call, write the reply.</summary>
public delegate void CommandHandler(CommandContext c);

/// <summary>Command flags, in Redis's COMMAND INFO vocabulary.</summary>
[Flags]
public enum CommandFlags
{
    None = 0,
    /// <summary>May modify the dataset.</summary>
    Write = 1 << 0,
    /// <summary>Never modifies the dataset.</summary>
    ReadOnly = 1 << 1,
    /// <summary>May take more memory: refused with -OOM when over budget under noeviction.</summary>
    DenyOom = 1 << 2,
    /// <summary>Administrative.</summary>
    Admin = 1 << 3,
    /// <summary>O(1) or O(log N).</summary>
    Fast = 1 << 4,
    /// <summary>Allowed before AUTH.</summary>
    NoAuth = 1 << 5,
    /// <summary>Allowed while the dataset is loading.</summary>
    Loading = 1 << 6,
    /// <summary>Allowed on a stale replica.</summary>
    Stale = 1 << 7,
    /// <summary>Not allowed in scripts.</summary>
    NoScript = 1 << 8,
    /// <summary>May block the client.</summary>
    Blocking = 1 << 9,
    /// <summary>Pub/sub command.</summary>
    PubSub = 1 << 10,
    /// <summary>Refused while a replica loads a dataset asynchronously.</summary>
    NoAsyncLoading = 1 << 11,
    /// <summary>Allowed while a script is busy (past busy-reply-threshold).</summary>
    AllowBusy = 1 << 12,
    /// <summary>Not fed to MONITOR as it arrives (a script is fed before its calls).</summary>
    SkipMonitor = 1 << 13,
    /// <summary>Not recorded by the slow log (EXEC: its commands are).</summary>
    SkipSlowlog = 1 << 14,
    /// <summary>COMMAND GETKEYS answers an empty array, not an error, when no key is named (EVAL s 0).</summary>
    NoMandatoryKeys = 1 << 15,
    /// <summary>Refused inside MULTI.</summary>
    NoMulti = 1 << 16,
    /// <summary>Allowed on an importing cluster slot after ASKING.</summary>
    Asking = 1 << 17,
}

/// <summary>
/// One command's definition: name, arity (negative: at least |arity|), flags, key positions (for COMMAND INFO and,
/// later, cluster slot routing), documentation for COMMAND DOCS, the handler, and its statistics.
///
/// Shared state rule: definitions are built at startup and never change; the counters are updated only under the
/// store lock (commands run under it) and read by INFO commandstats under it.
/// </summary>
public sealed class CommandDef
{
    public CommandDef(string name, int arity, CommandFlags flags, int firstKey, int lastKey, int step,
        string group, string summary, string since, string complexity, CommandHandler handler)
    {
        Name = name;
        Arity = arity;
        Flags = flags;
        FirstKey = firstKey;
        LastKey = lastKey;
        Step = step;
        Group = group;
        Summary = summary;
        Since = since;
        Complexity = complexity;
        Handler = handler;
        Keys = KeyFinders.For(name);
    }

    public string Name { get; }

    /// <summary><see cref="Name"/> in UTF-8: the keyspace event of commands whose event is their name (SINTERSTORE, ZUNIONSTORE...).</summary>
    public byte[] NameBytes => _nameBytes ??= System.Text.Encoding.UTF8.GetBytes(Name);
    private byte[]? _nameBytes;
    public int Arity { get; }
    public CommandFlags Flags { get; }
    public int FirstKey { get; }
    public int LastKey { get; }
    public int Step { get; }
    public string Group { get; }
    public string Summary { get; }
    public string Since { get; }
    public string Complexity { get; }
    public CommandHandler Handler { get; }

    /// <summary>Subcommands (CLIENT ID, CONFIG GET...) for COMMAND INFO/DOCS; dispatch happens in the handler.</summary>
    public CommandDef[] Subcommands { get; init; } = [];

    /// <summary>
    /// Finds the keys of commands whose keys the (first, last, step) triple cannot describe (LMPOP, ZUNIONSTORE,
    /// XREAD...: Redis's "movablekeys"); null for the others. Set from <see cref="KeyFinders"/> by name unless given.
    /// </summary>
    public KeyFinder? Keys { get; init; }

    /// <summary>
    /// Redis's key specs (commands.json's "key_specs", recorded from redis-server; see <see cref="KeySpecs"/>), or
    /// specs made from first/last/step for a command Redis does not have. COMMAND INFO shows them; COMMAND GETKEYS
    /// and GETKEYSANDFLAGS evaluate them.
    /// </summary>
    public KeySpec[] KeySpecs
    {
        get => _keySpecs;
        init
        {
            _keySpecs = value;
            NotKey = value.Length > 0 && Array.TrueForAll(value, s => (s.Flags & KeySpecFlags.NotKey) != 0);
        }
    }
    private readonly KeySpec[] _keySpecs = [];

    /// <summary>Redis's command tips (nondeterministic_output, request_policy:all_shards...), for COMMAND INFO.</summary>
    public string[] Tips { get; init; } = [];

    /// <summary>
    /// Every key spec is flagged <c>not_key</c> (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH): the positions are shard
    /// channels, shown by COMMAND INFO for cluster routing, but no keys: never prefetched, watched or tracked, and
    /// COMMAND GETKEYS finds none.
    /// </summary>
    public bool NotKey { get; private init; }

    /// <summary>True if this command has key arguments (Redis's doesCommandHaveKeys).</summary>
    public bool HasKeys => Keys != null || Array.Exists(KeySpecs, s => (s.Flags & KeySpecFlags.NotKey) == 0);

    /// <summary>Redis's <c>movablekeys</c>: some spec is not a fixed index and range (a count, a keyword, unknown).</summary>
    public bool MovableKeys => Array.Exists(KeySpecs, s => !s.IsFixed);

    /// <summary>
    /// The argument indexes (0 = the command name) of every key of this invocation, written into
    /// <paramref name="positions"/>; returns the number of keys, which may exceed the span's length ("too many":
    /// only the first ones were written). Uses the key finder, else the subcommand named by argument 1 for a
    /// container (OBJECT FREQ k, XGROUP CREATE k ...), else first/last/step. Never allocates. Invalid arguments give 0.
    /// </summary>
    public int GetKeyPositions(CommandArgs args, Span<int> positions)
    {
        if (NotKey) return 0;
        if (Keys != null) return Keys(args, positions);
        if (Subcommands.Length > 0)
            return args.Count > 1 && Commands.Subcommands.Find(this, args[1]) is { } sub ? sub.GetKeyPositions(args, positions) : 0;
        return KeyFinders.Range(args, FirstKey, LastKey, Step, positions);
    }

    /// <summary><see cref="GetKeyPositions(CommandArgs, Span{int})"/> for the command a context is running.</summary>
    public int GetKeyPositions(CommandContext c, Span<int> positions) => GetKeyPositions(new CommandArgs(c.Args), positions);

    /// <summary>A HELP subcommand's lines (commands.json's "help"), between Redis's first line and HELP's own.</summary>
    public string[] Help { get; init; } = [];

    /// <summary>
    /// ACL categories when the group and flags do not give Redis's (commands.json's "acl": SORT is in the generic
    /// group but Redis files it under @set @sortedset @list @dangerous); empty: derived.
    /// </summary>
    public string[] Acl { get; init; } = [];

    /// <summary>The container command, for a subcommand.</summary>
    public string? Parent { get; init; }

    /// <summary>"get", or "config|get" for a subcommand.</summary>
    public string FullName => Parent is null ? Name : Parent + "|" + Name;

    // Statistics (INFO commandstats).
    public long Calls;
    public long Ticks;
    public long RejectedCalls;
    public long FailedCalls;

    /// <summary>LATENCY HISTOGRAM's counts; null until the command first runs with latency-tracking on.</summary>
    public LatencyHistogram? Latency;

    /// <summary>Records one run of <paramref name="stopwatchTicks"/> when <paramref name="tracking"/> (latency-tracking) is on.</summary>
    public void ObserveLatency(bool tracking, long stopwatchTicks)
    {
        if (tracking) (Latency ??= new LatencyHistogram()).Record(ServerStats.Micros(stopwatchTicks));
    }

    /// <summary>True if <paramref name="argc"/> arguments (name included) satisfy the arity.</summary>
    public bool ArityOk(int argc) => Arity >= 0 ? argc == Arity : argc >= -Arity;

    public void ResetStats()
    {
        Calls = Ticks = RejectedCalls = FailedCalls = 0;
        Latency = null;
        foreach (CommandDef s in Subcommands) s.ResetStats();
    }
}

/// <summary>
/// All commands, looked up by name without allocating: the name is lower-cased into a stack buffer of chars and
/// found through a frozen dictionary's span lookup.
/// </summary>
public sealed class CommandTable
{
    private readonly Dictionary<string, CommandDef> _building = new(StringComparer.OrdinalIgnoreCase);
    private FrozenDictionary<string, CommandDef>? _frozen;
    private FrozenDictionary<string, CommandDef>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <summary>Registers a command (CommandRegistry, from commands.json, at startup).</summary>
    public void Add(CommandDef def)
    {
        if (_frozen != null) throw new InvalidOperationException("table is frozen");
        _building.Add(def.Name, def);
    }

    /// <summary>Ends registration.</summary>
    public void Freeze()
    {
        _frozen = _building.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _lookup = _frozen.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Every command, for COMMAND and INFO commandstats.</summary>
    public IEnumerable<CommandDef> All => _frozen!.Values;

    public int Count => _frozen!.Count;

    /// <summary>Finds a command by its name as sent by the client (any case); null if unknown.</summary>
    public CommandDef? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || name.Length > 64) return null;
        Span<char> chars = stackalloc char[name.Length];
        for (int i = 0; i < name.Length; i++) chars[i] = (char)name[i];
        return _lookup.TryGetValue(chars, out CommandDef? def) ? def : null;
    }

    /// <summary>Finds a command by its name.</summary>
    public CommandDef? Find(string name) => _frozen!.TryGetValue(name, out CommandDef? d) ? d : null;
}

using System.Text.Json;

namespace Tiered.Server.Commands;

// Why this file exists
// --------------------
// Redis 7 describes where a command's keys are with key specs: each spec says how to find the first key (begin
// search) and how to find the rest from there (find keys), and what the command does to those keys (flags). Client
// libraries read them from COMMAND INFO to route commands in a cluster, and COMMAND GETKEYS / GETKEYSANDFLAGS answer
// by evaluating them. The specs are data, recorded from redis-server into commands.json ("key_specs"):
//
//   begin search                         find keys                               example
//   "index": 1       the argument at 1   "range": [0, 1, 0]   just that one       GET k
//   "index": 1                           "range": [-1, 2, 0]  to the end, by 2    MSET k v k v
//   "index": 2                           "keynum": [0, 1, 1]  count at first+0,   LMPOP 2 a b LEFT: BLMPOP's count
//                                                             keys from first+1   sits at index 2
//   "keyword": "STREAMS", "startfrom": 1 "range": [-1, 1, 2]  half of the rest    XREAD COUNT 2 STREAMS a b 0 0
//   "unknown": true  (SORT's BY/GET/STORE keys: only the command itself can find them)
//
//   range [lastkey, keystep, limit]: lastkey >= 0 is relative to the first key; -1 the last argument (-2 the one
//   before...); with lastkey -1 a limit N > 1 keeps 1/N of the arguments left (XREAD's keys and IDs).
//   keynum [keynumidx, firstkey, keystep]: the count is at first+keynumidx, the keys start at first+firstkey.
//
// Evaluation follows Redis's getKeysFromCommandWithSpecs: specs flagged not_key (SPUBLISH's shard channel) are
// skipped; a keyword that is absent finds nothing for that spec; a spec that is unknown, incomplete (MIGRATE's KEYS)
// or out of bounds, or a command whose flags depend on its arguments (variable_flags: SET ... GET, BITFIELD), falls
// back to the command's own key finder (KeyFinders, Redis's getkeys procs), whose keys take the flags Redis's procs
// give. The hot path never comes here: prefetch, WATCH and tracking use CommandDef.GetKeyPositions, and a test checks
// that both find the same keys for valid commands.

/// <summary>Redis's key-spec flags: what a command does to a key (COMMAND INFO, GETKEYSANDFLAGS).</summary>
[Flags]
public enum KeySpecFlags
{
    None = 0,
    /// <summary>Read-only access.</summary>
    RO = 1 << 0,
    /// <summary>Read and write.</summary>
    RW = 1 << 1,
    /// <summary>Overwrite: the old value is not read.</summary>
    OW = 1 << 2,
    /// <summary>Deletes the key.</summary>
    RM = 1 << 3,
    /// <summary>Returns, copies or uses user data from the value.</summary>
    Access = 1 << 4,
    /// <summary>Updates the value (or its metadata).</summary>
    Update = 1 << 5,
    /// <summary>Only adds data to the value.</summary>
    Insert = 1 << 6,
    /// <summary>Explicitly deletes some content of the value.</summary>
    Delete = 1 << 7,
    /// <summary>Not a key (a shard channel): shown for routing, never looked up.</summary>
    NotKey = 1 << 8,
    /// <summary>The spec may not find every key.</summary>
    Incomplete = 1 << 9,
    /// <summary>The flags depend on the arguments.</summary>
    VariableFlags = 1 << 10,
}

/// <summary>How a spec finds its first key.</summary>
public enum BeginSearch { Index, Keyword, Unknown }

/// <summary>How a spec finds the keys after its first.</summary>
public enum FindKeys { Range, KeyNum, Unknown }

/// <summary>
/// One key spec, as commands.json records it (see the comment at the top of this file). Built at startup, never changed.
/// </summary>
public sealed class KeySpec
{
    public string? Notes { get; init; }
    public KeySpecFlags Flags { get; init; }
    public BeginSearch Begin { get; init; }
    /// <summary>Begin search by index: the argument of the first key.</summary>
    public int Index { get; init; }
    /// <summary>Begin search by keyword: the word, and where the scan starts (negative: from the end, scanning back).</summary>
    public string Keyword { get; init; } = "";
    public int StartFrom { get; init; }
    public FindKeys Find { get; init; }
    /// <summary>Range: the last key (relative to the first, or negative from the end), the step, the limit.</summary>
    public int LastKey { get; init; }
    public int KeyStep { get; init; }
    public int Limit { get; init; }
    /// <summary>Keynum: where the count is and where the keys start, both relative to the first key.</summary>
    public int KeyNumIndex { get; init; }
    public int FirstKey { get; init; }

    /// <summary>True when the legacy triple could describe this spec (an index search with a range).</summary>
    public bool IsFixed => Begin == BeginSearch.Index && Find == FindKeys.Range;

    /// <summary>A spec from commands.json's compact form.</summary>
    public static KeySpec Parse(string command, JsonElement e)
    {
        KeySpecFlags flags = KeySpecFlags.None;
        foreach (JsonElement f in e.GetProperty("flags").EnumerateArray()) flags |= KeySpecs.Flag(command, f.GetString()!);
        string? notes = e.TryGetProperty("notes", out JsonElement n) ? n.GetString() : null;
        if (e.TryGetProperty("unknown", out _))
            return new KeySpec { Notes = notes, Flags = flags, Begin = BeginSearch.Unknown, Find = FindKeys.Unknown };
        bool keyword = e.TryGetProperty("keyword", out JsonElement kw);
        bool range = e.TryGetProperty("range", out JsonElement r);
        JsonElement k = range ? r : e.GetProperty("keynum");
        return new KeySpec
        {
            Notes = notes,
            Flags = flags,
            Begin = keyword ? BeginSearch.Keyword : BeginSearch.Index,
            Index = keyword ? 0 : e.GetProperty("index").GetInt32(),
            Keyword = keyword ? kw.GetString()! : "",
            StartFrom = keyword ? e.GetProperty("startfrom").GetInt32() : 0,
            Find = range ? FindKeys.Range : FindKeys.KeyNum,
            LastKey = range ? k[0].GetInt32() : 0,
            KeyStep = range ? k[1].GetInt32() : k[2].GetInt32(),
            Limit = range ? k[2].GetInt32() : 0,
            KeyNumIndex = range ? 0 : k[0].GetInt32(),
            FirstKey = range ? 0 : k[1].GetInt32(),
        };
    }

    /// <summary>
    /// The spec of a command Redis does not have (BF.ADD...), from its first/last/step: writes RW update, reads RO access.
    /// </summary>
    public static KeySpec FromLegacy(int first, int last, int step, bool write) => new()
    {
        Flags = write ? KeySpecFlags.RW | KeySpecFlags.Update : KeySpecFlags.RO | KeySpecFlags.Access,
        Begin = BeginSearch.Index,
        Index = first,
        Find = FindKeys.Range,
        LastKey = last < 0 ? last : last - first,
        KeyStep = step,
    };
}

/// <summary>One key an invocation names: its argument index and what the command does to it.</summary>
public readonly record struct KeyRef(int Position, KeySpecFlags Flags);

/// <summary>Evaluates key specs (COMMAND GETKEYS, GETKEYSANDFLAGS) and writes them (COMMAND INFO). See the top of the file.</summary>
public static class KeySpecs
{
    /// <summary>Flag names in Redis's order.</summary>
    private static readonly (string Name, KeySpecFlags Flag)[] FlagNames =
    [
        ("RO", KeySpecFlags.RO), ("RW", KeySpecFlags.RW), ("OW", KeySpecFlags.OW), ("RM", KeySpecFlags.RM),
        ("access", KeySpecFlags.Access), ("update", KeySpecFlags.Update), ("insert", KeySpecFlags.Insert),
        ("delete", KeySpecFlags.Delete), ("not_key", KeySpecFlags.NotKey), ("incomplete", KeySpecFlags.Incomplete),
        ("variable_flags", KeySpecFlags.VariableFlags),
    ];

    internal static KeySpecFlags Flag(string command, string name)
    {
        foreach ((string n, KeySpecFlags f) in FlagNames)
            if (n == name) return f;
        throw new InvalidOperationException($"commands.json: '{command}' has an unknown key-spec flag '{name}'");
    }

    /// <summary>A set of flag names, as Redis replies them.</summary>
    public static void WriteFlags(RespWriter w, KeySpecFlags flags)
    {
        int n = 0;
        foreach ((_, KeySpecFlags f) in FlagNames)
            if ((flags & f) != 0) n++;
        w.Set(n);
        foreach ((string name, KeySpecFlags f) in FlagNames)
            if ((flags & f) != 0) w.Simple(name);
    }

    /// <summary>One spec of COMMAND INFO: {notes?, flags, begin_search {type, spec}, find_keys {type, spec}}.</summary>
    public static void Write(RespWriter w, KeySpec s)
    {
        w.Map(s.Notes is null ? 3 : 4);
        if (s.Notes is not null) { w.Bulk("notes"u8); w.Bulk(s.Notes); }
        w.Bulk("flags"u8);
        WriteFlags(w, s.Flags);
        w.Bulk("begin_search"u8);
        switch (s.Begin)
        {
            case BeginSearch.Index:
                Typed(w, "index"u8, 1);
                w.Bulk("index"u8); w.Integer(s.Index);
                break;
            case BeginSearch.Keyword:
                Typed(w, "keyword"u8, 2);
                w.Bulk("keyword"u8); w.Bulk(s.Keyword);
                w.Bulk("startfrom"u8); w.Integer(s.StartFrom);
                break;
            default:
                Typed(w, "unknown"u8, 0);
                break;
        }
        w.Bulk("find_keys"u8);
        switch (s.Find)
        {
            case FindKeys.Range:
                Typed(w, "range"u8, 3);
                w.Bulk("lastkey"u8); w.Integer(s.LastKey);
                w.Bulk("keystep"u8); w.Integer(s.KeyStep);
                w.Bulk("limit"u8); w.Integer(s.Limit);
                break;
            case FindKeys.KeyNum:
                Typed(w, "keynum"u8, 3);
                w.Bulk("keynumidx"u8); w.Integer(s.KeyNumIndex);
                w.Bulk("firstkey"u8); w.Integer(s.FirstKey);
                w.Bulk("keystep"u8); w.Integer(s.KeyStep);
                break;
            default:
                Typed(w, "unknown"u8, 0);
                break;
        }
    }

    /// <summary>{type: <paramref name="type"/>, spec: {...}}, up to the spec's <paramref name="fields"/> pairs.</summary>
    private static void Typed(RespWriter w, ReadOnlySpan<byte> type, int fields)
    {
        w.Map(2);
        w.Bulk("type"u8); w.Bulk(type);
        w.Bulk("spec"u8);
        w.Map(fields);
    }

    /// <summary>
    /// The keys of one invocation (<paramref name="args"/>[0] is the command name) with their flags, as Redis's
    /// getKeysFromCommandWithSpecs finds them: from the specs when they are reliable, else the command's own finder.
    /// Empty when the arguments name no key (COMMAND GETKEYS then says so, or replies an empty array for commands
    /// flagged no_mandatory_keys).
    /// </summary>
    public static List<KeyRef> Find(CommandDef d, CommandArgs args)
    {
        var found = new List<KeyRef>();
        bool reliable = false, variable = false;
        foreach (KeySpec s in d.KeySpecs)
        {
            if ((s.Flags & KeySpecFlags.NotKey) == 0) reliable = true;
            if ((s.Flags & KeySpecFlags.VariableFlags) != 0) variable = true;
        }
        if (reliable && !variable && FromSpecs(d, args, found)) return found;
        found.Clear();
        // Redis's getkeys procs: the movable commands' finders, and SET's and BITFIELD's (their key is fixed, only
        // its flags vary). A command with neither has nothing more to try.
        if (d.Keys is null && !variable) return found;
        int n = d.Keys?.Invoke(args, []) ?? KeyFinders.Range(args, d.FirstKey, d.LastKey, d.Step, []);
        Span<int> positions = n <= 64 ? stackalloc int[n] : new int[n];
        if (d.Keys is null) KeyFinders.Range(args, d.FirstKey, d.LastKey, d.Step, positions);
        else d.Keys(args, positions);
        for (int i = 0; i < n; i++) found.Add(new KeyRef(positions[i], ProcFlags(d, args, positions[i])));
        return found;
    }

    /// <summary>Redis's getKeysUsingKeySpecs; false when a spec is unknown, incomplete or out of bounds.</summary>
    private static bool FromSpecs(CommandDef d, CommandArgs args, List<KeyRef> found)
    {
        int argc = args.Count;
        foreach (KeySpec s in d.KeySpecs)
        {
            if ((s.Flags & KeySpecFlags.NotKey) != 0) continue;
            int first = 0;
            if (s.Begin == BeginSearch.Index) first = s.Index;
            else if (s.Begin == BeginSearch.Keyword)
            {
                int start = s.StartFrom > 0 ? s.StartFrom : argc + s.StartFrom;
                int end = s.StartFrom > 0 ? argc - 1 : 1;
                for (int i = start; i != end; i = start <= end ? i + 1 : i - 1)
                {
                    if (i >= argc || i < 1) break;
                    if (System.Text.Ascii.EqualsIgnoreCase(args[i], s.Keyword)) { first = i + 1; break; }
                }
                if (first == 0) continue;   // an optional keyword that is absent: no keys from this spec
            }
            else return false;

            int last, step;
            if (s.Find == FindKeys.Range)
            {
                if (s.LastKey >= 0) last = first + s.LastKey;
                else if (s.Limit == 0) last = argc + s.LastKey;
                else last = first + ((argc - first) / s.Limit + s.LastKey);
                step = s.KeyStep;
            }
            else if (s.Find == FindKeys.KeyNum)
            {
                if (first + s.KeyNumIndex >= argc) return false;
                if (!CommandContext.ParseLong(args[first + s.KeyNumIndex], out long numKeys) || numKeys < 0) return false;
                first += s.FirstKey;
                last = first + (int)Math.Min(numKeys, int.MaxValue / 2) - 1;
                step = s.KeyStep;
            }
            else return false;

            if (last >= argc || last < first || first >= argc) return false;
            for (int i = first; i <= last; i += step) found.Add(new KeyRef(i, s.Flags));
            if ((s.Flags & KeySpecFlags.Incomplete) != 0) return false;
        }
        return true;
    }

    /// <summary>The flags Redis's getkeys procs give the keys they find (only SET, BITFIELD, SORT and MIGRATE set any).</summary>
    private static KeySpecFlags ProcFlags(CommandDef d, CommandArgs args, int position)
    {
        switch (d.Name)
        {
            case "set":
                for (int i = 3; i < args.Count; i++)
                    if (System.Text.Ascii.EqualsIgnoreCase(args[i], "GET"u8)) return KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update;
                return KeySpecFlags.OW | KeySpecFlags.Update;
            case "bitfield":
                return BitfieldReadOnly(args) ? KeySpecFlags.RO | KeySpecFlags.Access : KeySpecFlags.RW | KeySpecFlags.Access | KeySpecFlags.Update;
            case "sort":
                return position == 1 ? KeySpecFlags.RO | KeySpecFlags.Access : KeySpecFlags.OW | KeySpecFlags.Update;
            case "sort_ro":
                return KeySpecFlags.RO | KeySpecFlags.Access;
            default:
                return KeySpecFlags.None;
        }
    }

    /// <summary>BITFIELD with only GET and OVERFLOW operations, each with its arguments (a syntax error counts as a write).</summary>
    private static bool BitfieldReadOnly(CommandArgs args)
    {
        for (int i = 2; i < args.Count; i++)
        {
            int rest = args.Count - i - 1;
            if (System.Text.Ascii.EqualsIgnoreCase(args[i], "GET"u8) && rest >= 2) i += 2;
            else if (System.Text.Ascii.EqualsIgnoreCase(args[i], "OVERFLOW"u8) && rest >= 1) i += 1;
            else return false;
        }
        return true;
    }
}

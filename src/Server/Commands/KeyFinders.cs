using System.Collections.Frozen;

namespace Tiered.Server.Commands;

// Why this file exists
// --------------------
// Most commands keep their keys at fixed places that Redis's legacy triple (first, last, step) describes: GET k,
// MSET k v k v (1, -1, 2), BLPOP k k timeout (1, -2, 1). A few cannot be described that way because the arguments
// themselves say where the keys are:
//
//   LMPOP   numkeys k1 k2 LEFT            -> keys after a count         (1 = index of numkeys)
//   BLMPOP  timeout numkeys k1 k2 LEFT    -> the same, count at index 2
//   ZUNIONSTORE dst numkeys k1 k2         -> a fixed key, then keys after a count
//   XREAD   COUNT 2 STREAMS k1 k2 id1 id2 -> the first half of what follows the STREAMS keyword
//   OBJECT  FREQ k / XGROUP CREATE k g $  -> a container: the subcommand named by argument 1 knows
//   GEORADIUS src lon lat r unit STORE d  -> the source, then the key after STORE, then after STOREDIST
//   SORT    src BY w_* LIMIT 0 5 STORE d  -> the source, then the key after the last STORE (options skipped)
//
// Redis reports such commands with the "movablekeys" flag and finds their keys with a per-command function. Here a
// command may carry a KeyFinder; CommandDef.GetKeyPositions uses it, or the subcommand's positions for a container,
// or the triple. Every consumer of "which arguments are keys" goes through that one method: WATCH invalidation and
// blocking wake-ups (KeyEvents), COMMAND GETKEYS, and the engine's prefetch of cold keys. The last one runs for every
// command, so a finder never allocates: it writes argument indexes into a caller's span and returns how many keys
// there are (a count larger than the span means "too many for you", and nothing past the span is written).
//
// The finders are attached by command name (ByName below) when a CommandDef is built, so a family that registers
// one of these commands gets the right keys without knowing about this file; a definition can still pass its own
// finder with the Keys init property. Invalid arguments (numkeys not a positive integer, more keys than arguments,
// no STREAMS keyword, an odd number of stream arguments) yield no keys, which COMMAND GETKEYS reports as Redis does:
// "ERR Invalid arguments specified for command".

/// <summary>A command's arguments as a key finder sees them: index 0 is the command name. Allocation-free view.</summary>
public readonly ref struct CommandArgs
{
    private readonly ArgList _list;
    private readonly int _start;

    /// <summary>The arguments of <paramref name="list"/> from <paramref name="start"/> on (COMMAND GETKEYS skips two).</summary>
    public CommandArgs(ArgList list, int start = 0)
    {
        _list = list;
        _start = start;
    }

    public int Count => _list.Count - _start;

    public ReadOnlySpan<byte> this[int i] => _list[_start + i];
}

/// <summary>
/// Writes the argument indexes of the keys of one invocation into <paramref name="positions"/> (only as many as fit)
/// and returns the number of keys. Must not allocate.
/// </summary>
public delegate int KeyFinder(CommandArgs args, Span<int> positions);

/// <summary>The key finders of the commands whose keys move with their arguments. See the comment at the top.</summary>
public static class KeyFinders
{
    private static readonly KeyFinder AfterCount1 = (a, p) => AfterCount(a, 1, p, 0);
    private static readonly KeyFinder AfterCount2 = (a, p) => AfterCount(a, 2, p, 0);

    private static readonly FrozenDictionary<string, KeyFinder> ByName = new Dictionary<string, KeyFinder>
    {
        ["lmpop"] = AfterCount1,
        ["zmpop"] = AfterCount1,
        ["sintercard"] = AfterCount1,
        ["zintercard"] = AfterCount1,
        ["zunion"] = AfterCount1,
        ["zinter"] = AfterCount1,
        ["zdiff"] = AfterCount1,
        ["blmpop"] = AfterCount2,
        ["bzmpop"] = AfterCount2,
        ["eval"] = AfterCount2,
        ["evalsha"] = AfterCount2,
        ["eval_ro"] = AfterCount2,
        ["evalsha_ro"] = AfterCount2,
        ["fcall"] = AfterCount2,
        ["fcall_ro"] = AfterCount2,
        ["zunionstore"] = DestinationThenCount,
        ["zinterstore"] = DestinationThenCount,
        ["zdiffstore"] = DestinationThenCount,
        ["georadius"] = (a, p) => GeoRadius(a, 6, p),
        ["georadiusbymember"] = (a, p) => GeoRadius(a, 5, p),
        ["sort"] = Sort,
        ["sort_ro"] = (a, p) => KeyFinders.Range(a, 1, 1, 1, p),   // Redis reports it movablekeys (its BY/GET keys)
        ["xread"] = Streams,
        ["xreadgroup"] = Streams,
    }.ToFrozenDictionary();

    /// <summary>The finder Redis's command of that name needs, or null when the triple describes its keys.</summary>
    public static KeyFinder? For(string name) => ByName.TryGetValue(name, out KeyFinder? f) ? f : null;

    /// <summary>The legacy triple: keys from <paramref name="first"/> to <paramref name="last"/> (negative: from the end) by <paramref name="step"/>.</summary>
    public static int Range(CommandArgs args, int first, int last, int step, Span<int> positions)
    {
        if (first <= 0) return 0;
        int argc = args.Count;
        int end = last < 0 ? argc + last : Math.Min(last, argc - 1);
        if (step < 1) step = 1;
        int n = 0;
        for (int i = first; i <= end; i += step)
        {
            if (n < positions.Length) positions[n] = i;
            n++;
        }
        return n;
    }

    /// <summary>
    /// numkeys at <paramref name="countArg"/>, then that many keys; <paramref name="already"/> positions were written
    /// before (a destination key). No keys when numkeys is not an integer ≥ 1 or exceeds the arguments left.
    /// </summary>
    private static int AfterCount(CommandArgs args, int countArg, Span<int> positions, int already)
    {
        if (countArg >= args.Count || !CommandContext.ParseLong(args[countArg], out long numKeys)
            || numKeys < 1 || numKeys > args.Count - countArg - 1)
            return 0;
        int n = already;
        for (int i = 0; i < numKeys; i++)
        {
            if (n < positions.Length) positions[n] = countArg + 1 + i;
            n++;
        }
        return n;
    }

    /// <summary>ZUNIONSTORE dst numkeys k...: the destination, then the sources.</summary>
    private static int DestinationThenCount(CommandArgs args, Span<int> positions)
    {
        if (args.Count < 4) return 0;
        if (positions.Length > 0) positions[0] = 1;
        return AfterCount(args, 2, positions, 1);   // 0 (no keys at all) when numkeys is invalid
    }

    /// <summary>
    /// XREAD / XREADGROUP: the options before STREAMS are skipped with their arguments (BLOCK ms, COUNT n,
    /// GROUP g c, NOACK), so a group or consumer called "streams" is not taken for the keyword; the keys are the first
    /// half of what follows it.
    /// </summary>
    private static int Streams(CommandArgs args, Span<int> positions)
    {
        int streamsArg = -1;
        for (int i = 1; i < args.Count; i++)
        {
            ReadOnlySpan<byte> a = args[i];
            if (System.Text.Ascii.EqualsIgnoreCase(a, "BLOCK"u8) || System.Text.Ascii.EqualsIgnoreCase(a, "COUNT"u8)) i++;
            else if (System.Text.Ascii.EqualsIgnoreCase(a, "GROUP"u8)) i += 2;
            else if (System.Text.Ascii.EqualsIgnoreCase(a, "NOACK"u8)) { }
            else if (System.Text.Ascii.EqualsIgnoreCase(a, "STREAMS"u8)) { streamsArg = i; break; }
            else break;
        }
        int rest = args.Count - streamsArg - 1;
        if (streamsArg < 0 || rest == 0 || rest % 2 != 0) return 0;
        int keys = rest / 2;
        for (int k = 0; k < keys && k < positions.Length; k++) positions[k] = streamsArg + 1 + k;
        return keys;
    }
    /// <summary>
    /// GEORADIUS / GEORADIUSBYMEMBER, as Redis's key specs find them: the source, then the argument after the first
    /// STORE from <paramref name="from"/> on, then the one after the first STOREDIST.
    /// </summary>
    private static int GeoRadius(CommandArgs args, int from, Span<int> positions)
    {
        if (args.Count < 2) return 0;
        int n = 0;
        Put(positions, ref n, 1);
        int store = KeyAfter(args, from, "STORE"u8), storeDist = KeyAfter(args, from, "STOREDIST"u8);
        if (store > 0) Put(positions, ref n, store);
        if (storeDist > 0) Put(positions, ref n, storeDist);
        return n;
    }

    private static int KeyAfter(CommandArgs args, int from, ReadOnlySpan<byte> keyword)
    {
        for (int i = from; i < args.Count - 1; i++)
            if (System.Text.Ascii.EqualsIgnoreCase(args[i], keyword)) return i + 1;
        return 0;
    }

    private static void Put(Span<int> positions, ref int n, int position)
    {
        if (n < positions.Length) positions[n] = position;
        n++;
    }

    /// <summary>
    /// SORT (Redis's sortGetKeys): the source, and the key after the last STORE; LIMIT's two arguments and GET's
    /// and BY's one are skipped, any other word is taken as an option without arguments.
    /// </summary>
    private static int Sort(CommandArgs args, Span<int> positions)
    {
        if (args.Count < 2) return 0;
        int n = 0, store = 0;
        Put(positions, ref n, 1);
        for (int i = 2; i < args.Count; i++)
        {
            ReadOnlySpan<byte> a = args[i];
            if (System.Text.Ascii.EqualsIgnoreCase(a, "LIMIT"u8)) i += 2;
            else if (System.Text.Ascii.EqualsIgnoreCase(a, "GET"u8) || System.Text.Ascii.EqualsIgnoreCase(a, "BY"u8)) i++;
            else if (System.Text.Ascii.EqualsIgnoreCase(a, "STORE"u8) && i + 1 < args.Count) store = i + 1;
        }
        if (store > 0) Put(positions, ref n, store);
        return n;
    }
}

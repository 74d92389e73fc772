using Tiered.Tiering.Types.HyperLogLogs;

namespace Tiered.Server.Commands;

/// <summary>
/// HyperLogLog commands: PFADD PFCOUNT PFMERGE. Each handler makes one <see cref="HyperLogLogOps"/> call and writes
/// the reply; the HLL-specific errors (a string that is not an HLL, a corrupt sparse body) are worded as Redis's.
/// </summary>
public static class HyperLogLogCommands
{
    private const string Group = "hyperloglog";

    public static void Register(CommandTable t)
    {

        t.Add(new("pfadd", -2, WOomF, 1, 1, 1, Group, "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.", "2.8.9", "O(1) to add every element.", PfAdd));
        t.Add(new("pfcount", -2, CommandFlags.ReadOnly, 1, -1, 1, Group, "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).", "2.8.9", "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.", PfCount));
        t.Add(new("pfmerge", -2, WOom, 1, -1, 1, Group, "Merges one or more HyperLogLog values into a single key.", "2.8.9", "O(N) to merge N HyperLogLogs, but with high constant times.", PfMerge));
    }

    private static void PfAdd(CommandContext c)
    {
        Status s = HyperLogLogOps.Add(c.Db, c[1], new ArgStrings(c, 2, c.Count - 2), out bool changed);
        if (s == Status.Ok) c.Writer.Integer(changed ? 1 : 0);
        else Error(c, s);
    }

    private static void PfCount(CommandContext c)
    {
        Status s = HyperLogLogOps.Count(c.Db, new ArgStrings(c, 1, c.Count - 1), out long count);
        if (s == Status.Ok) c.Writer.Integer(count);
        else Error(c, s);
    }

    private static void PfMerge(CommandContext c)
    {
        // Redis merges argv[1..]: the destination's own registers are part of the union.
        Status s = HyperLogLogOps.Merge(c.Db, c[1], new ArgStrings(c, 1, c.Count - 1));
        if (s == Status.Ok) c.Writer.Ok();
        else Error(c, s);
    }

    private static void Error(CommandContext c, Status s)
    {
        if (s == Status.NotHyperLogLog) c.Writer.Error("WRONGTYPE Key is not a valid HyperLogLog string value."u8);
        else if (s == Status.Corrupted) c.Writer.Error("INVALIDOBJ Corrupted HLL object detected"u8);
        else c.Error(s);
    }
}

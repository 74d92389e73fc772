using Tiered.Server.Admin;
using Tiered.Tiering.Types.HyperLogLogs;

namespace Tiered.Server.Commands;

/// <summary>
/// HyperLogLog commands: PFADD PFCOUNT PFMERGE. Each handler makes one <see cref="HyperLogLogOps"/> call and writes
/// the reply; the HLL-specific errors (a string that is not an HLL, a corrupt sparse body) are worded as Redis's.
/// </summary>
public static class HyperLogLogCommands
{
    [Command("pfadd")] private static void PfAdd(CommandContext c)
    {
        Status s = HyperLogLogOps.Add(c.Db, c[1], new ArgStrings(c, 2, c.Count - 2), out bool changed);
        if (changed) c.Notify(KeyspaceEventFlags.String, "pfadd"u8);
        if (s == Status.Ok) c.Writer.Integer(changed ? 1 : 0);
        else Error(c, s);
    }

    [Command("pfcount")] private static void PfCount(CommandContext c)
    {
        Status s = HyperLogLogOps.Count(c.Db, new ArgStrings(c, 1, c.Count - 1), out long count);
        if (s == Status.Ok) c.Writer.Integer(count);
        else Error(c, s);
    }

    [Command("pfmerge")] private static void PfMerge(CommandContext c)
    {
        // Redis merges argv[1..]: the destination's own registers are part of the union.
        Status s = HyperLogLogOps.Merge(c.Db, c[1], new ArgStrings(c, 1, c.Count - 1));
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.String, "pfadd"u8);
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

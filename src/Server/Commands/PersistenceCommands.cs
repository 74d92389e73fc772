using Tiered.Tiering.Durability;
using Tiered.Tiering.Movement;

namespace Tiered.Server.Commands;

/// <summary>
/// Persistence commands: SAVE BGSAVE LASTSAVE BGREWRITEAOF. Tiered's only persistence is its write log (see
/// src/Tiering/Durability/Journal.cs): "saving" means making the log durable up to now, and "rewriting the AOF" means
/// compacting it. Without appendonly there is nothing to save and the commands succeed without doing anything.
/// </summary>
public static class PersistenceCommands
{
    /// <summary>SAVE: +OK once the log is durable up to every write made so far (the reply waits for the commit).</summary>
    [Command("save")] private static void Save(CommandContext c)
    {
        if (c.Store.Journal is { } journal)
        {
            c.Client.DurableUntil = Math.Max(c.Client.DurableUntil, journal.AppendedUntil);
            journal.Kick();
        }
        c.Writer.Ok();
    }

    /// <summary>BGSAVE [SCHEDULE]: starts a commit of the log.</summary>
    [Command("bgsave")] private static void BgSave(CommandContext c)
    {
        if (c.Count == 2 && !c.Is(1, "SCHEDULE"u8)) { c.SyntaxError(); return; }
        c.Store.Journal?.Kick();
        c.Writer.Simple("Background saving started"u8);
    }

    [Command("lastsave")] private static void LastSave(CommandContext c)
        => c.Writer.Integer((c.Store.Journal?.LastCommitMs ?? c.Server.StartedAt.ToUnixTimeMilliseconds()) / 1000);

    /// <summary>BGREWRITEAOF: a compaction pass over the oldest segment of the log, in the background.</summary>
    [Command("bgrewriteaof")] private static void BgRewriteAof(CommandContext c)
    {
        if (c.Store.Compactor is { } compactor) _ = Task.Run(() => compactor.CompactOnceAsync());
        c.Writer.Simple("Background append only file rewriting started"u8);
    }
}

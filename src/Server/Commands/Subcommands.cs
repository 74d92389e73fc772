namespace Tiered.Server.Commands;

/// <summary>
/// Dispatch for container commands (CLIENT, CONFIG, COMMAND, SLOWLOG, LATENCY): finds the subcommand named by
/// argument 1, checks its arity with Redis's <c>'client|kill'</c> wording, runs it and keeps its own statistics so
/// INFO commandstats can show <c>cmdstat_client|list</c> like Redis 7.
/// </summary>
public static class Subcommands
{
    /// <summary>The handler of a container command: runs the subcommand named by argument 1.</summary>
    public static void Dispatch(CommandContext c)
    {
        CommandDef container = c.Command;
        CommandDef? sub = Find(container, c[1]);
        if (sub is null)
        {
            c.UnknownSubcommand();
            return;
        }
        c.Command = sub;
        try
        {
            if (!sub.ArityOk(c.Count))
            {
                sub.RejectedCalls++;
                c.WrongArity();
                return;
            }
            long errorsBefore = c.Writer.ErrorCount;
            long t0 = Stopwatch.GetTimestamp();
            sub.Handler(c);
            long dt = Stopwatch.GetTimestamp() - t0;
            sub.Ticks += dt;
            sub.ObserveLatency(c.Server.Options.LatencyTracking, dt);
            sub.Calls++;
            if (c.Writer.ErrorCount != errorsBefore) sub.FailedCalls++;
        }
        finally
        {
            c.Command = container;
        }
    }

    /// <summary>Finds a subcommand by name, ignoring case.</summary>
    public static CommandDef? Find(CommandDef container, ReadOnlySpan<byte> name)
    {
        foreach (CommandDef s in container.Subcommands)
            if (System.Text.Ascii.EqualsIgnoreCase(name, s.Name)) return s;
        return null;
    }

    /// <summary>
    /// Redis's HELP reply for the HELP subcommand being run: a first line naming the container, then its help lines
    /// from commands.json, then HELP itself, each a status string.
    /// </summary>
    public static void Help(CommandContext c)
    {
        CommandDef help = c.Command;
        string container = (help.Parent ?? help.Name).ToUpperInvariant();
        // A list that ends with its own HELP entry keeps it (SCRIPT and FUNCTION word it "Prints this help.").
        bool ownHelp = help.Help.Length >= 2 && help.Help[^2] == "HELP";
        c.Writer.Array(help.Help.Length + (ownHelp ? 1 : 3));
        c.Writer.Simple($"{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        foreach (string l in help.Help) c.Writer.Simple(l);
        if (ownHelp) return;
        c.Writer.Simple("HELP");
        c.Writer.Simple("    Print this help.");
    }
}

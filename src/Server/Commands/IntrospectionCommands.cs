using Tiered.Server.Admin;

namespace Tiered.Server.Commands;

/// <summary>Introspection: COMMAND (INFO DOCS COUNT LIST GETKEYS GETKEYSANDFLAGS), SLOWLOG, LATENCY.</summary>
public static class IntrospectionCommands
{
    // ---- COMMAND ----

    [Command("command")] private static void Command(CommandContext c)
    {
        if (c.Count > 1) { Subcommands.Dispatch(c); return; }
        List<CommandDef> all = Sorted(c);
        c.Writer.Array(all.Count);
        foreach (CommandDef d in all) CommandInfoWriter.Info(c.Writer, d);
    }

    private static List<CommandDef> Sorted(CommandContext c)
        => c.Server.Commands.All.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();

    [Command("command|count")] private static void Count(CommandContext c) => c.Writer.Integer(c.Server.Commands.Count);

    /// <summary>Finds "get" or "config|get".</summary>
    private static CommandDef? Lookup(CommandContext c, string name)
    {
        int bar = name.IndexOf('|');
        if (bar < 0) return c.Server.Commands.Find(name);
        CommandDef? parent = c.Server.Commands.Find(name[..bar]);
        return parent is null ? null : Subcommands.Find(parent, Encoding.UTF8.GetBytes(name[(bar + 1)..]));
    }

    [Command("command|info")] private static void Info(CommandContext c)
    {
        if (c.Count == 2)
        {
            List<CommandDef> all = Sorted(c);
            c.Writer.Array(all.Count);
            foreach (CommandDef d in all) CommandInfoWriter.Info(c.Writer, d);
            return;
        }
        c.Writer.Array(c.Count - 2);
        for (int i = 2; i < c.Count; i++)
        {
            CommandDef? d = Lookup(c, c.Str(i));
            if (d is null) c.Writer.NullArray();
            else CommandInfoWriter.Info(c.Writer, d);
        }
    }

    [Command("command|docs")] private static void Docs(CommandContext c)
    {
        var found = new List<CommandDef>();
        if (c.Count == 2) found = Sorted(c);
        else
            for (int i = 2; i < c.Count; i++)
                if (Lookup(c, c.Str(i)) is { } d) found.Add(d);
        c.Writer.Map(found.Count);
        foreach (CommandDef d in found)
        {
            c.Writer.Bulk(d.FullName);
            CommandInfoWriter.Docs(c.Writer, d);
        }
    }

    /// <summary>COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern], subcommands included.</summary>
    [Command("command|list")] private static void List(CommandContext c)
    {
        Func<CommandDef, bool> keep = _ => true;
        if (c.Count == 5 && c.Is(2, "FILTERBY"u8))
        {
            string arg = c.Str(4);
            if (c.Is(3, "MODULE"u8)) keep = _ => false;
            else if (c.Is(3, "ACLCAT"u8))
                keep = d => CommandInfoWriter.AclCategories(d).Contains("@" + arg.ToLowerInvariant());
            else if (c.Is(3, "PATTERN"u8))
            {
                byte[] pattern = Encoding.UTF8.GetBytes(arg);
                keep = d => Glob.Match(pattern, Encoding.UTF8.GetBytes(d.FullName), noCase: true);
            }
            else { c.SyntaxError(); return; }
        }
        else if (c.Count != 2) { c.SyntaxError(); return; }

        var names = new List<string>();
        foreach (CommandDef d in Sorted(c))
        {
            if (keep(d)) names.Add(d.FullName);
            foreach (CommandDef s in d.Subcommands)
                if (keep(s)) names.Add(s.FullName);
        }
        c.Writer.Array(names.Count);
        foreach (string n in names) c.Writer.Bulk(n);
    }

    /// <summary>COMMAND GETKEYS command arg...: the keys of that invocation.</summary>
    [Command("command|getkeys")] private static void GetKeys(CommandContext c) => GetKeys(c, withFlags: false);

    /// <summary>COMMAND GETKEYSANDFLAGS command arg...: each key with what the command does to it.</summary>
    [Command("command|getkeysandflags")] private static void GetKeysAndFlags(CommandContext c) => GetKeys(c, withFlags: true);

    /// <summary>
    /// Both found by <see cref="KeySpecs.Find"/>, a container's subcommand looked up as Redis 7 does. Redis's checks
    /// in Redis's order: unknown command or subcommand, no key arguments at all, arity, then arguments that name no
    /// key (a bad numkeys, no STREAMS...), which is an empty array for a command flagged no_mandatory_keys (EVAL s 0).
    /// </summary>
    private static void GetKeys(CommandContext c, bool withFlags)
    {
        CommandDef? d = c.Server.Commands.Find(c[2]);
        int argc = c.Count - 2;
        if (d != null && argc > 1 && d.Subcommands.Length > 0) d = Subcommands.Find(d, c[3]);
        if (d is null) { c.Writer.Error("ERR Invalid command specified"u8); return; }
        if (!d.HasKeys) { c.Writer.Error("ERR The command has no key arguments"u8); return; }
        if (!d.ArityOk(argc)) { c.Writer.Error("ERR Invalid number of arguments specified for command"u8); return; }
        List<KeyRef> keys = KeySpecs.Find(d, new CommandArgs(c.Args, 2));
        if (keys.Count == 0 && (d.Flags & CommandFlags.NoMandatoryKeys) == 0) { c.Writer.Error("ERR Invalid arguments specified for command"u8); return; }
        c.Writer.Array(keys.Count);
        foreach (KeyRef k in keys)
        {
            if (!withFlags) { c.Writer.Bulk(c[2 + k.Position]); continue; }
            c.Writer.Array(2);
            c.Writer.Bulk(c[2 + k.Position]);
            KeySpecs.WriteFlags(c.Writer, k.Flags);
        }
    }

    // ---- SLOWLOG ----

    [Command("slowlog|get")] private static void SlowlogGet(CommandContext c)
    {
        long count = 10;
        if (c.Count > 3) { c.SyntaxError(); return; }
        if (c.Count == 3)
        {
            if (!c.TryLong(2, out count) || count < -1) { c.Writer.Error("ERR count should be greater than or equal to -1"u8); return; }
            if (count == -1) count = c.Server.SlowLog.Count;
        }
        int n = (int)Math.Min(count, c.Server.SlowLog.Count);
        c.Writer.Array(n);
        foreach (SlowLogEntry e in c.Server.SlowLog.Entries.Take(n))
        {
            c.Writer.Array(6);
            c.Writer.Integer(e.Id);
            c.Writer.Integer(e.UnixTime);
            c.Writer.Integer(e.Micros);
            c.Writer.Array(e.Args.Length);
            foreach (string a in e.Args) c.Writer.Bulk(a);
            c.Writer.Bulk(e.ClientAddress);
            c.Writer.Bulk(e.ClientName);
        }
    }

    [Command("slowlog|len")] private static void SlowlogLen(CommandContext c) => c.Writer.Integer(c.Server.SlowLog.Count);

    [Command("slowlog|reset")] private static void SlowlogReset(CommandContext c)
    {
        c.Server.SlowLog.Reset();
        c.Writer.Ok();
    }

    // ---- LATENCY ----

    [Command("latency|latest")] private static void LatencyLatest(CommandContext c)
    {
        IReadOnlyDictionary<string, LatencyEvent> events = c.Server.Latency.Events;
        c.Writer.Array(events.Count);
        foreach (var (name, e) in events)
        {
            c.Writer.Array(4);
            c.Writer.Bulk(name);
            c.Writer.Integer(e.Latest.UnixTime);
            c.Writer.Integer(e.Latest.Millis);
            c.Writer.Integer(e.Max);
        }
    }

    [Command("latency|history")] private static void LatencyHistory(CommandContext c)
    {
        if (!c.Server.Latency.Events.TryGetValue(c.Str(2), out LatencyEvent? e)) { c.Writer.Array(0); return; }
        List<LatencySample> samples = e.Samples.ToList();
        c.Writer.Array(samples.Count);
        foreach (LatencySample s in samples)
        {
            c.Writer.Array(2);
            c.Writer.Integer(s.UnixTime);
            c.Writer.Integer(s.Millis);
        }
    }

    [Command("latency|doctor")] private static void LatencyDoctor(CommandContext c)
        => c.Writer.Verbatim(LatencyReport.Doctor(c.Server.Latency, c.Server.Options, c.Store.Clock.NowMs / 1000));

    [Command("latency|graph")] private static void LatencyGraph(CommandContext c)
    {
        string name = c.Str(2);
        if (!c.Server.Latency.Events.TryGetValue(name, out LatencyEvent? e))
        {
            c.Writer.Error($"ERR No samples available for event '{name}'");
            return;
        }
        c.Writer.Verbatim(LatencyReport.Graph(name, e, c.Store.Clock.NowMs / 1000));
    }

    /// <summary>
    /// LATENCY HISTOGRAM [command ...]: each named command (a container stands for its subcommands; unknown names are
    /// skipped, repeats repeated), or every command, that has recorded calls: its calls and cumulative counts.
    /// </summary>
    [Command("latency|histogram")] private static void LatencyHistogram(CommandContext c)
    {
        var found = new List<CommandDef>();
        if (c.Count == 2)
            foreach (CommandDef d in Sorted(c)) AddWithHistogram(found, d);
        else
            for (int i = 2; i < c.Count; i++)
                if (Lookup(c, c.Str(i)) is { } d) AddWithHistogram(found, d);
        c.Writer.Map(found.Count);
        foreach (CommandDef d in found)
        {
            LatencyHistogram h = d.Latency!;
            c.Writer.Bulk(d.FullName);
            c.Writer.Map(2);
            c.Writer.Bulk("calls"u8);
            c.Writer.Integer(h.Calls);
            c.Writer.Bulk("histogram_usec"u8);
            c.Writer.Map(h.Filled());
            RespWriter w = c.Writer;
            h.Cumulative((micros, calls) =>
            {
                w.Integer(micros);
                w.Integer(calls);
            });
        }
    }

    private static void AddWithHistogram(List<CommandDef> found, CommandDef d)
    {
        if (d.Latency != null) found.Add(d);
        foreach (CommandDef s in d.Subcommands)
            if (s.Latency != null) found.Add(s);
    }

    [Command("latency|reset")] private static void LatencyReset(CommandContext c)
    {
        if (c.Count == 2) { c.Writer.Integer(c.Server.Latency.Reset()); return; }
        int n = 0;
        for (int i = 2; i < c.Count; i++) n += c.Server.Latency.Reset(c.Str(i));
        c.Writer.Integer(n);
    }
}

using Tiered.Server.Admin;
using Tiered.Tiering.Metrics;

namespace Tiered.Server.Commands;

/// <summary>CONFIG GET SET RESETSTAT REWRITE HELP.</summary>
public static class ConfigCommands
{
    /// <summary>CONFIG GET pattern [pattern ...]: every matching setting once, as a map of name to value.</summary>
    [Command("config|get")] private static void Get(CommandContext c)
    {
        var matched = new List<Setting>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 2; i < c.Count; i++)
        {
            ReadOnlySpan<byte> pattern = c[i];
            foreach (Setting s in c.Server.Config.All)
                if (!seen.Contains(s.Name) && Glob.Match(pattern, Encoding.UTF8.GetBytes(s.Name), noCase: true) && seen.Add(s.Name))
                    matched.Add(s);
        }
        c.Writer.Map(matched.Count);
        foreach (Setting s in matched)
        {
            c.Writer.Bulk(s.Name);
            c.Writer.Bulk(s.Get());
        }
    }

    /// <summary>
    /// CONFIG SET name value [name value ...], all or nothing like Redis: names are checked first (unknown,
    /// immutable, repeated), then values are applied in order; if one is refused the ones already applied are put
    /// back.
    /// </summary>
    [Command("config|set")] private static void Set(CommandContext c)
    {
        if ((c.Count & 1) != 0) { c.SyntaxError(); return; }
        int n = (c.Count - 2) / 2;
        var settings = new Setting[n];
        string? unknown = null, badArg = null, reason = null;
        for (int i = 0; i < n; i++)
        {
            string name = c.Str(2 + 2 * i);
            Setting? s = c.Server.Config.Find(name);
            if (s is null) { unknown ??= name; continue; }
            if (unknown != null || badArg != null) continue;
            if (!s.Mutable) { badArg = name; reason = "can't set immutable config"; continue; }
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(settings[j], s)) { badArg = name; reason = "duplicate parameter"; break; }
            settings[i] = s;
        }
        if (unknown != null)
        {
            c.Writer.Error($"ERR Unknown option or number of arguments for CONFIG SET - '{unknown}'");
            return;
        }
        if (badArg != null)
        {
            c.Writer.Error($"ERR CONFIG SET failed (possibly related to argument '{badArg}') - {reason}");
            return;
        }
        var old = new string[n];
        for (int i = 0; i < n; i++) old[i] = settings[i].Get();
        for (int i = 0; i < n; i++)
        {
            string? err = settings[i].Set(c.Str(3 + 2 * i));
            if (err is null) continue;
            for (int j = i - 1; j >= 0; j--) settings[j].Set(old[j]);
            c.Writer.Error($"ERR CONFIG SET failed (possibly related to argument '{settings[i].Name}') - {err}");
            return;
        }
        c.Writer.Ok();
    }

    /// <summary>Zeroes the server, engine and command statistics; the slow log and latency history stay.</summary>
    [Command("config|resetstat")] private static void ResetStat(CommandContext c)
    {
        c.Server.Stats.Reset();
        c.Store.Stats.Reset();
        c.Store.TierStats.Reset();
        c.Server.Metrics.Reset();
        foreach (CommandDef d in c.Server.Commands.All) d.ResetStats();
        c.Writer.Ok();
    }

    [Command("config|rewrite")] private static void Rewrite(CommandContext c)
    {
        string? path = c.Server.Options.ConfigFile;
        if (path is null) { c.Writer.Error("ERR The server is running without a config file"u8); return; }
        string? err = ConfigRewriter.Rewrite(path, c.Server.Config);
        if (err is null) c.Writer.Ok();
        else c.Writer.Error("ERR Rewriting config file: " + err);
    }
}

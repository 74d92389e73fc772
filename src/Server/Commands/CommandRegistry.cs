// The command table is data; the handlers are code.
//
// Why. Redis keeps every command's metadata (arity, flags, key positions, group, documentation) as data,
// src/commands/*.json, and binds each to its C function by name. Here the same split: Commands/commands.json (an
// embedded resource) holds what COMMAND INFO, COMMAND DOCS, the dispatcher's arity and flag checks and the key
// finders' first/last/step read, and each handler names the command it serves with [Command("name")]. A command file
// is then only its handlers, each a thin adapter (parse, one engine call, one reply), and the table can later be
// compared with, or filled from, redis-server's own COMMAND DOCS without touching a handler.
//
//   commands.json                          handlers (any class of this assembly)
//   "hset": { "arity": -4,         <---   [Command("hset")]
//             "flags": [...], ... }        private static void HSet(CommandContext c) { ... }
//   "client": { ...,                       (a container without a handler of its own runs Subcommands.Dispatch)
//     "subcommands": { "id": {...},    <-- [Command("client|id")]
//       "help": { ..., "help": [...] } } } (a HELP subcommand with "help" lines replies them: Subcommands.Help)
//
// Binding is checked both ways at startup: a command of the data without a handler, or a handler whose name the data
// does not have, stops the server with the name in the message (the server tests start it, so CI catches both).

using System.Reflection;
using System.Text.Json;

namespace Tiered.Server.Commands;

/// <summary>Names the command (or <c>container|subcommand</c>) a static <see cref="CommandHandler"/>-shaped method serves.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CommandAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>Builds the command table from Commands/commands.json and the handlers marked <see cref="CommandAttribute"/>.</summary>
public static class CommandRegistry
{
    /// <summary>Flag names in the data: Redis's COMMAND INFO words, in the order COMMAND INFO lists them (movablekeys, derived, goes before allow_busy).</summary>
    internal static readonly (string Name, CommandFlags Flag)[] FlagNames =
    [
        ("write", CommandFlags.Write), ("readonly", CommandFlags.ReadOnly), ("denyoom", CommandFlags.DenyOom),
        ("admin", CommandFlags.Admin), ("pubsub", CommandFlags.PubSub), ("noscript", CommandFlags.NoScript),
        ("blocking", CommandFlags.Blocking), ("loading", CommandFlags.Loading), ("stale", CommandFlags.Stale),
        ("skip_monitor", CommandFlags.SkipMonitor), ("skip_slowlog", CommandFlags.SkipSlowlog), ("asking", CommandFlags.Asking),
        ("fast", CommandFlags.Fast), ("no_auth", CommandFlags.NoAuth), ("no_mandatory_keys", CommandFlags.NoMandatoryKeys),
        ("no_async_loading", CommandFlags.NoAsyncLoading), ("no_multi", CommandFlags.NoMulti), ("allow_busy", CommandFlags.AllowBusy),
    ];

    public static CommandTable Build(IEnumerable<CommandDef>? extra = null)
    {
        using Stream data = OpenData();
        return Build(data, extra);
    }

    /// <summary>The embedded commands.json.</summary>
    internal static Stream OpenData() => typeof(CommandRegistry).Assembly.GetManifestResourceStream("commands.json")
        ?? throw new InvalidOperationException("commands.json is not embedded in the server");

    /// <summary>The table from <paramref name="data"/> (a commands.json) and this assembly's handlers.</summary>
    internal static CommandTable Build(Stream data, IEnumerable<CommandDef>? extra)
    {
        var handlers = new Dictionary<string, CommandHandler>(s_handlers, StringComparer.Ordinal);   // bound ones are removed
        var t = new CommandTable();
        foreach (CommandDef d in extra ?? []) t.Add(d);
        using (JsonDocument doc = JsonDocument.Parse(data))
        {
            foreach (JsonProperty p in doc.RootElement.EnumerateObject()) t.Add(Def(p.Name, null, p.Value, handlers));
        }
        if (handlers.Count > 0)
            throw new InvalidOperationException("commands.json has no entry for the handlers of: " + string.Join(", ", handlers.Keys.Order(StringComparer.Ordinal)));
        t.Freeze();
        return t;
    }

    private static CommandDef Def(string name, string? parent, JsonElement e, Dictionary<string, CommandHandler> handlers)
    {
        string full = parent is null ? name : parent + "|" + name;
        CommandDef[] subs = [];
        if (e.TryGetProperty("subcommands", out JsonElement subElement))
        {
            var list = new List<CommandDef>();
            foreach (JsonProperty s in subElement.EnumerateObject()) list.Add(Def(s.Name, name, s.Value, handlers));
            subs = [.. list];
        }
        string[] help = [];
        if (e.TryGetProperty("help", out JsonElement helpElement))
        {
            var lines = new List<string>();
            foreach (JsonElement l in helpElement.EnumerateArray()) lines.Add(l.GetString()!);
            help = [.. lines];
        }
        CommandHandler handler;
        if (handlers.Remove(full, out CommandHandler? bound)) handler = bound;
        else if (subs.Length > 0) handler = Subcommands.Dispatch;
        else if (help.Length > 0) handler = Subcommands.Help;
        else throw new InvalidOperationException($"commands.json: '{full}' has no handler ([Command(\"{full}\")])");
        CommandFlags flags = CommandFlags.None;
        foreach (JsonElement f in e.GetProperty("flags").EnumerateArray()) flags |= Flag(full, f.GetString()!);
        string[] acl = Strings(e, "acl"), tips = Strings(e, "tips");
        int first = 0, last = 0, step = 0;
        if (e.TryGetProperty("keys", out JsonElement keys))
        {
            first = keys[0].GetInt32();
            last = keys[1].GetInt32();
            step = keys[2].GetInt32();
        }
        KeySpec[] specs;
        if (e.TryGetProperty("key_specs", out JsonElement specElement))
        {
            var list = new List<KeySpec>();
            foreach (JsonElement k in specElement.EnumerateArray()) list.Add(KeySpec.Parse(full, k));
            specs = [.. list];
        }
        else specs = first > 0 ? [KeySpec.FromLegacy(first, last, step, (flags & CommandFlags.Write) != 0)] : [];
        return new CommandDef(name, e.GetProperty("arity").GetInt32(), flags, first, last, step, e.GetProperty("group").GetString()!,
            e.GetProperty("summary").GetString()!, e.GetProperty("since").GetString()!, e.TryGetProperty("complexity", out JsonElement cx) ? cx.GetString()! : "", handler)
        {
            Parent = parent,
            Subcommands = subs,
            Help = help,
            Acl = acl,
            Tips = tips,
            KeySpecs = specs,
        };
    }

    /// <summary>A list of strings, or none.</summary>
    private static string[] Strings(JsonElement e, string property)
    {
        if (!e.TryGetProperty(property, out JsonElement list)) return [];
        var items = new List<string>();
        foreach (JsonElement a in list.EnumerateArray()) items.Add(a.GetString()!);
        return [.. items];
    }

    private static CommandFlags Flag(string command, string name)
    {
        foreach ((string n, CommandFlags f) in FlagNames)
            if (n == name) return f;
        throw new InvalidOperationException($"commands.json: '{command}' has an unknown flag '{name}'");
    }

    /// <summary>Every method of this assembly marked [Command], found once (each server built in a process reuses it).</summary>
    private static readonly Dictionary<string, CommandHandler> s_handlers = Handlers();

    /// <summary>Every method of this assembly marked [Command], by the command name it gives.</summary>
    private static Dictionary<string, CommandHandler> Handlers()
    {
        var found = new Dictionary<string, CommandHandler>(StringComparer.Ordinal);
        const BindingFlags statics = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (Type type in typeof(CommandRegistry).Assembly.GetTypes())
            foreach (MethodInfo m in type.GetMethods(statics))
                foreach (CommandAttribute a in m.GetCustomAttributes<CommandAttribute>())
                    if (!found.TryAdd(a.Name, m.CreateDelegate<CommandHandler>()))
                        throw new InvalidOperationException($"two handlers for '{a.Name}' ({type.Name}.{m.Name} and another)");
        return found;
    }
}

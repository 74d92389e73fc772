namespace Tiered.Server.Commands;

/// <summary>
/// Writes a command's COMMAND INFO entry and COMMAND DOCS map in Redis 7's shapes. Flags, ACL categories and key
/// specs are derived from the <see cref="CommandDef"/> (its flags, group and first/last/step key positions).
/// </summary>
public static class CommandInfoWriter
{
    /// <summary>The flags COMMAND INFO lists: Redis's, not Tiered's own (connection, random).</summary>
    private static readonly (string Name, CommandFlags Flag)[] FlagNames =
        [.. CommandRegistry.FlagNames.Where(f => f.Flag is not (CommandFlags.Connection or CommandFlags.Random))];

    /// <summary>[name, arity, flags, first, last, step, acl categories, tips, key specs, subcommands]</summary>
    public static void Info(RespWriter w, CommandDef d)
    {
        w.Array(10);
        w.Bulk(d.FullName);
        w.Integer(d.Arity);
        var flags = FlagNames.Where(f => (d.Flags & f.Flag) != 0).ToList();
        bool movable = d.Keys != null;
        w.Set(flags.Count + (movable ? 1 : 0));
        foreach (var f in flags) w.Simple(f.Name);
        if (movable) w.Simple("movablekeys"u8);
        w.Integer(d.FirstKey);
        w.Integer(d.LastKey);
        w.Integer(d.Step);
        List<string> acl = AclCategories(d);
        w.Set(acl.Count);
        foreach (string a in acl) w.Simple(a);
        if ((d.Flags & CommandFlags.Random) != 0)
        {
            w.Array(1);
            w.Simple("nondeterministic_output"u8);
        }
        else w.Set(0);
        KeySpecs(w, d);
        w.Array(d.Subcommands.Length);
        foreach (CommandDef s in d.Subcommands) Info(w, s);
    }

    /// <summary>Redis's ACL categories (<c>@read</c>, <c>@string</c>, <c>@fast</c>...) in Redis's order.</summary>
    public static List<string> AclCategories(CommandDef d)
    {
        if (d.Acl.Length > 0) return [.. d.Acl];
        var list = new List<string>();
        if (d.Group == "generic") list.Add("@keyspace");
        if ((d.Flags & CommandFlags.ReadOnly) != 0) list.Add("@read");
        if ((d.Flags & CommandFlags.Write) != 0) list.Add("@write");
        switch (d.Group)
        {
            case "set": list.Add("@set"); break;
            case "sorted-set": list.Add("@sortedset"); break;
            case "list": list.Add("@list"); break;
            case "hash": list.Add("@hash"); break;
            case "string": list.Add("@string"); break;
            case "bitmap": list.Add("@bitmap"); break;
            case "hyperloglog": list.Add("@hyperloglog"); break;
            case "geo": list.Add("@geo"); break;
            case "stream": list.Add("@stream"); break;
            case "pubsub": list.Add("@pubsub"); break;
        }
        if ((d.Flags & CommandFlags.Admin) != 0) list.Add("@admin");
        list.Add((d.Flags & CommandFlags.Fast) != 0 ? "@fast" : "@slow");
        if ((d.Flags & CommandFlags.Blocking) != 0) list.Add("@blocking");
        if ((d.Flags & CommandFlags.Admin) != 0) list.Add("@dangerous");
        switch (d.Group)
        {
            case "connection": list.Add("@connection"); break;
            case "transactions": list.Add("@transaction"); break;
            case "scripting": list.Add("@scripting"); break;
        }
        return list;
    }

    /// <summary>One key spec (begin at index first, a range to last by step), or none for keyless commands; shard channels are flagged not_key.</summary>
    private static void KeySpecs(RespWriter w, CommandDef d)
    {
        if (d.FirstKey <= 0) { w.Array(0); return; }
        w.Array(1);
        w.Map(3);
        w.Bulk("flags"u8);
        bool write = (d.Flags & CommandFlags.Write) != 0;
        if (d.NotKey)
        {
            w.Set(1);
            w.Simple("not_key"u8);
        }
        else
        {
            w.Set(2);
            w.Simple(write ? "RW"u8 : "RO"u8);
            w.Simple(write ? "update"u8 : "access"u8);   // Redis writes the access words in lower case
        }
        w.Bulk("begin_search"u8);
        w.Map(2);
        w.Bulk("type"u8); w.Bulk("index"u8);
        w.Bulk("spec"u8);
        w.Map(1);
        w.Bulk("index"u8); w.Integer(d.FirstKey);
        w.Bulk("find_keys"u8);
        w.Map(2);
        w.Bulk("type"u8); w.Bulk("range"u8);
        w.Bulk("spec"u8);
        w.Map(3);
        w.Bulk("lastkey"u8); w.Integer(d.LastKey < 0 ? d.LastKey : d.LastKey - d.FirstKey);
        w.Bulk("keystep"u8); w.Integer(d.Step);
        w.Bulk("limit"u8); w.Integer(0);
    }

    /// <summary>{summary, since, group, complexity[, subcommands: {name: docs}]}</summary>
    public static void Docs(RespWriter w, CommandDef d)
    {
        w.Map((d.Subcommands.Length > 0 ? 5 : 4) - (d.Complexity.Length == 0 ? 1 : 0));   // Redis omits an absent complexity (MONITOR)
        w.Bulk("summary"u8); w.Bulk(d.Summary);
        w.Bulk("since"u8); w.Bulk(d.Since);
        w.Bulk("group"u8); w.Bulk(d.Group);
        if (d.Complexity.Length > 0) { w.Bulk("complexity"u8); w.Bulk(d.Complexity); }
        if (d.Subcommands.Length == 0) return;
        w.Bulk("subcommands"u8);
        w.Map(d.Subcommands.Length);
        foreach (CommandDef s in d.Subcommands)
        {
            w.Bulk(s.FullName);
            Docs(w, s);
        }
    }
}

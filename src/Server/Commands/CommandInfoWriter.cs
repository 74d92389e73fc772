namespace Tiered.Server.Commands;

/// <summary>
/// Writes a command's COMMAND INFO entry and COMMAND DOCS map in Redis 7's shapes, from the <see cref="CommandDef"/>
/// (commands.json holds Redis's flags, ACL categories, tips and key specs; only commands Redis does not have derive
/// their ACL categories from group and flags).
/// </summary>
public static class CommandInfoWriter
{
    /// <summary>[name, arity, flags, first, last, step, acl categories, tips, key specs, subcommands]; the lists are sets in RESP3.</summary>
    public static void Info(RespWriter w, CommandDef d)
    {
        w.Array(10);
        w.Bulk(d.FullName);
        w.Integer(d.Arity);
        int flags = 0;
        foreach ((_, CommandFlags f) in CommandRegistry.FlagNames)
            if ((d.Flags & f) != 0) flags++;
        w.Set(flags + (d.MovableKeys ? 1 : 0));
        foreach ((string name, CommandFlags f) in CommandRegistry.FlagNames)
        {
            if (f == CommandFlags.AllowBusy && d.MovableKeys) w.Simple("movablekeys"u8);
            if ((d.Flags & f) != 0) w.Simple(name);
        }
        w.Integer(d.FirstKey);
        w.Integer(d.LastKey);
        w.Integer(d.Step);
        List<string> acl = AclCategories(d);
        w.Set(acl.Count);
        foreach (string a in acl) w.Simple(a);
        w.Set(d.Tips.Length);
        foreach (string t in d.Tips) w.Bulk(t);   // bulk strings, unlike the flags
        w.Set(d.KeySpecs.Length);
        foreach (KeySpec s in d.KeySpecs) KeySpecs.Write(w, s);
        if (d.Subcommands.Length == 0) w.Set(0);   // Redis: an empty set, but an array of subcommands
        else w.Array(d.Subcommands.Length);
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

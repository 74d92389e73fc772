using Tiered.Tiering;

namespace Tiered.Server.Commands;

/// <summary>String commands: GET SET and friends.</summary>
public static class StringCommands
{
    private const string Group = "string";

    public static void Register(CommandTable t)
    {
        t.Add(new("get", 2, CommandFlags.ReadOnly | CommandFlags.Fast, 1, 1, 1, Group, "Returns the string value of a key.", "1.0.0", "O(1)", Get));
        t.Add(new("set", -3, CommandFlags.Write | CommandFlags.DenyOom, 1, 1, 1, Group, "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "1.0.0", "O(1)", Set));
    }

    private static void Get(CommandContext c)
    {
        Status s = StringOps.Get(c.Db, c[1], out ReadOnlySpan<byte> value);
        if (s == Status.Ok) c.Writer.Bulk(value);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    private static void Set(CommandContext c)
    {
        if (c.Count == 3)
        {
            StringOps.Set(c.Db, c[1], c[2]);
            c.Writer.Ok();
            return;
        }
        c.SyntaxError();
    }
}

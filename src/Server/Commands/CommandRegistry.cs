namespace Tiered.Server.Commands;

/// <summary>Builds the command table from the command families (one family per file).</summary>
public static class CommandRegistry
{
    public static CommandTable Build(IEnumerable<CommandDef>? extra = null)
    {
        var t = new CommandTable();
        foreach (CommandDef d in extra ?? []) t.Add(d);
        ConnectionCommands.Register(t);
        TransactionCommands.Register(t);
        PubSubCommands.Register(t);
        StringCommands.Register(t);
        ListCommands.Register(t);
        KeyCommands.Register(t);
        ServerCommands.Register(t);
        PersistenceCommands.Register(t);
        ConfigCommands.Register(t);
        ClientCommands.Register(t);
        IntrospectionCommands.Register(t);
        BitmapCommands.Register(t);
        HyperLogLogCommands.Register(t);
        BloomCommands.Register(t);
        HashCommands.Register(t);
        SetCommands.Register(t);
        SortedSetCommands.Register(t);
        BlockingListCommands.Register(t);
        BlockingSortedSetCommands.Register(t);
        StreamCommands.Register(t);
        t.Freeze();
        return t;
    }
}

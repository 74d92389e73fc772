namespace Tiered.Server.Commands;

/// <summary>TODO(issue 2): filled in by the command family's author.</summary>
public static class ServerCommands
{
    public static void Register(CommandTable t)
    {
        _ = t;
    }
}

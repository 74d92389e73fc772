namespace Tiered.Server.Commands;

/// <summary>CLIENT and its subcommands.</summary>
public static class ClientCommands
{
    public static void Register(CommandTable t)
    {
        _ = t;
    }

    /// <summary>Redis's rule for client names: printable ASCII without spaces.</summary>
    public static bool ValidName(ReadOnlySpan<byte> name)
    {
        foreach (byte b in name)
            if (b < '!' || b > '~') return false;
        return true;
    }
}

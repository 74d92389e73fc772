namespace Tiered.Server.Commands;

/// <summary>
/// The flag sets most commands carry, named once for every command file's table (<c>using static</c>): read-only,
/// write, fast, may-add-data (denyoom) and blocking, in the combinations Redis's own command table uses.
/// </summary>
internal static class CommandFlagSets
{
    /// <summary>Reads only.</summary>
    public const CommandFlags R = CommandFlags.ReadOnly;
    /// <summary>Reads only, O(1) or O(log N).</summary>
    public const CommandFlags RF = CommandFlags.ReadOnly | CommandFlags.Fast;
    /// <summary>Writes.</summary>
    public const CommandFlags W = CommandFlags.Write;
    /// <summary>Writes, fast.</summary>
    public const CommandFlags WF = CommandFlags.Write | CommandFlags.Fast;
    /// <summary>Writes and may add data (refused with -OOM over maxmemory).</summary>
    public const CommandFlags WOom = CommandFlags.Write | CommandFlags.DenyOom;
    /// <summary>Writes, may add data, fast.</summary>
    public const CommandFlags WOomF = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast;
    /// <summary>Writes and may block the client.</summary>
    public const CommandFlags WB = CommandFlags.Write | CommandFlags.Blocking;
}

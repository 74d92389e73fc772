using Tiered.Server.Session;

namespace Tiered.Server.Commands;

/// <summary>
/// What happens to watchers and blocked clients after a write command succeeded (called by the dispatcher only
/// when <see cref="ServerCore.KeyInterest"/> is non-zero, so a server nobody watches or blocks on pays one compare).
/// The keys come from <see cref="CommandDef.GetKeyPositions(CommandContext, Span{int})"/>, so commands whose keys
/// follow a numkeys argument or a keyword (LMPOP, ZUNIONSTORE, BZMPOP, XREADGROUP...) count too.
/// FLUSHDB, FLUSHALL and SWAPDB have no keys and touch whole databases; MOVE also touches the key in the destination
/// database.
/// </summary>
internal static class KeyEvents
{
    public static void AfterWrite(CommandContext c)
    {
        ServerCore s = c.Server;
        CommandDef cmd = c.Command;
        int db = c.Client.DbIndex;
        Span<int> positions = stackalloc int[16];
        int n = cmd.GetKeyPositions(c, positions);
        if (n > 0)
        {
            int[]? rented = null;
            if (n > positions.Length)
            {
                rented = System.Buffers.ArrayPool<int>.Shared.Rent(n);
                positions = rented;
                n = cmd.GetKeyPositions(c, positions);
            }
            for (int i = 0; i < n; i++) Touch(s, db, c[positions[i]], c.Client);
            if (rented != null) System.Buffers.ArrayPool<int>.Shared.Return(rented);
            if (cmd.Name == "move" && c.Count == 3 && c.TryLong(2, out long to) && to >= 0 && to < s.Store.Databases.Length)
                Touch(s, (int)to, c[1], c.Client);
            return;
        }
        switch (cmd.Name)
        {
            case "flushdb":
                if (s.Tracking.Count != 0) s.Tracking.InvalidateAll(c.Client);
                TouchDb(s, db);
                break;
            case "flushall":
                if (s.Tracking.Count != 0) s.Tracking.InvalidateAll(c.Client);
                for (int i = 0; i < s.Store.Databases.Length; i++) TouchDb(s, i);
                break;
            case "swapdb":
                if (c.TryLong(1, out long a) && c.TryLong(2, out long b))
                {
                    TouchDb(s, (int)a);
                    TouchDb(s, (int)b);
                }
                break;
        }
    }

    internal static void Touch(ServerCore s, int db, ReadOnlySpan<byte> key, ClientSession? writer)
    {
        if (s.Tracking.Count != 0) s.Tracking.Invalidate(key, writer);
        if (s.Watches.Count != 0) s.Watches.Touch(db, key);
        if (s.Blocking.Count != 0) s.Blocking.Wake(db, key);
    }

    private static void TouchDb(ServerCore s, int db)
    {
        s.Watches.TouchDb(db);
        s.Blocking.WakeDb(db);
    }
}

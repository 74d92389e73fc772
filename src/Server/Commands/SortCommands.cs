using Tiered.Server.Admin;
using Tiered.Tiering.Types.Sort;

namespace Tiered.Server.Commands;

/// <summary>
/// SORT and SORT_RO: parse Redis's SQL-like options (BY, LIMIT, GET, ASC|DESC, ALPHA, STORE; SORT_RO has no STORE),
/// one <see cref="SortOps"/> call, one reply: the values, or the stored list's length.
/// </summary>
public static class SortCommands
{
    [Command("sort")] private static void Sort(CommandContext c) => Sort(c, readOnly: false);
    [Command("sort_ro")] private static void SortRo(CommandContext c) => Sort(c, readOnly: true);

    private static void Sort(CommandContext c, bool readOnly)
    {
        var spec = new SortSpec { InScript = c.Client.IsScript };
        int store = -1;
        for (int j = 2; j < c.Count; j++)
        {
            int left = c.Count - j - 1;
            if (c.Is(j, "ASC"u8)) spec.Desc = false;
            else if (c.Is(j, "DESC"u8)) spec.Desc = true;
            else if (c.Is(j, "ALPHA"u8)) spec.Alpha = true;
            else if (c.Is(j, "LIMIT"u8) && left >= 2)
            {
                if (!c.Long(j + 1, out spec.Offset) || !c.Long(j + 2, out spec.Count)) return;
                j += 2;
            }
            else if (!readOnly && c.Is(j, "STORE"u8) && left >= 1) store = ++j;
            else if (c.Is(j, "BY"u8) && left >= 1) spec.By = c[++j].ToArray();
            else if (c.Is(j, "GET"u8) && left >= 1) spec.Gets.Add(c[++j].ToArray());
            else { c.SyntaxError(); return; }
        }
        if (store >= 0)
        {
            Status ss = SortOps.SortStore(c.Db, c[1], spec, c[store], out long stored, out bool deleted);
            if (ss != Status.Ok) { Error(c, ss); return; }
            if (stored > 0) c.Notify(KeyspaceEventFlags.List, "sortstore"u8, c[store]);
            else if (deleted) c.Notify(KeyspaceEventFlags.Generic, "del"u8, c[store]);
            c.Writer.Integer(stored);
            return;
        }
        var values = new List<byte[]?>();
        Status s = SortOps.Sort(c.Db, c[1], spec, values);
        if (s != Status.Ok) { Error(c, s); return; }
        c.Writer.Array(values.Count);
        foreach (byte[]? v in values)
        {
            if (v is null) c.Writer.Null();
            else c.Writer.Bulk(v);
        }
    }

    private static void Error(CommandContext c, Status s)
    {
        if (s == Status.NotFloat) c.Writer.Error("ERR One or more scores can't be converted into double"u8);
        else c.Error(s);
    }
}

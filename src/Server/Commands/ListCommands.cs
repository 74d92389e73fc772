using Tiered.Server.Admin;
using Tiered.Tiering.Types.Lists;

namespace Tiered.Server.Commands;

/// <summary>
/// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH
/// LMPOP. Thin adapters: parse and validate the arguments in Redis 7.0's order (so the first error reported is
/// Redis's), make one <see cref="ListOps"/> call, write the reply. The blocking variants live with the server's
/// blocking machinery and reuse ListOps.TryPop / TryMove / TryMultiPop.
/// </summary>
public static class ListCommands
{
    // Popped or ranged elements and LPOS positions are collected here under the lock, then written; one per thread.
    [ThreadStatic] private static List<byte[]>? t_elements;
    [ThreadStatic] private static List<long>? t_positions;

    [Command("lpush")] private static void LPush(CommandContext c) => Push(c, left: true, onlyIfExists: false);
    [Command("rpush")] private static void RPush(CommandContext c) => Push(c, left: false, onlyIfExists: false);
    [Command("lpushx")] private static void LPushX(CommandContext c) => Push(c, left: true, onlyIfExists: true);
    [Command("rpushx")] private static void RPushX(CommandContext c) => Push(c, left: false, onlyIfExists: true);
    [Command("lpop")] private static void LPop(CommandContext c) => Pop(c, left: true);
    [Command("rpop")] private static void RPop(CommandContext c) => Pop(c, left: false);

    private static List<byte[]> Elements => t_elements ??= [];

    private static void Push(CommandContext c, bool left, bool onlyIfExists)
    {
        Status s = ListOps.Push(c.Db, c[1], new ArgStrings(c, 2, c.Count - 2), left, onlyIfExists, out long length);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.List, left ? "lpush"u8 : "rpush"u8);
        if (s == Status.Ok || s == Status.NotFound) c.Writer.Integer(length);
        else c.Error(s);
    }

    private static void Pop(CommandContext c, bool left)
    {
        if (c.Count > 3) { c.WrongArity(); return; }
        if (c.Count == 2)
        {
            Status one = ListOps.TryPop(c.Db, c[1], left, out byte[]? element);
            if (one == Status.Ok) NotifyPop(c, left, c[1]);
            if (one == Status.Ok) c.Writer.Bulk(element);
            else if (one == Status.NotFound) c.Writer.Null();
            else c.Error(one);
            return;
        }
        if (!PositiveLong(c, 2, out long count)) return;
        List<byte[]> popped = Elements;
        Status s = ListOps.TryPop(c.Db, c[1], left, count, popped);
        if (s == Status.Ok && popped.Count > 0) NotifyPop(c, left, c[1]);
        if (s == Status.Ok) WriteElements(c, popped);
        else if (s == Status.NotFound) c.Writer.NullArray();
        else c.Error(s);
    }

    /// <summary>The events of a pop from <paramref name="key"/>: "lpop" or "rpop", and "del" when it emptied the list.</summary>
    internal static void NotifyPop(CommandContext c, bool left, ReadOnlySpan<byte> key)
        => c.NotifyRemoved(KeyspaceEventFlags.List, left ? "lpop"u8 : "rpop"u8, key);

    /// <summary>The events of LMOVE and its kin: the push to the destination, then the pop from the source.</summary>
    internal static void NotifyMove(CommandContext c, bool fromLeft, bool toLeft)
    {
        c.Notify(KeyspaceEventFlags.List, toLeft ? "lpush"u8 : "rpush"u8, c[2]);
        NotifyPop(c, fromLeft, c[1]);
    }

    [Command("llen")] private static void LLen(CommandContext c)
        => c.IntegerUnlessWrongType(ListOps.Length(c.Db, c[1], out long length), length);

    [Command("lrange")] private static void LRange(CommandContext c)
    {
        if (!c.Long(2, out long start) || !c.Long(3, out long end)) return;
        List<byte[]> range = Elements;
        Status s = ListOps.Range(c.Db, c[1], start, end, range);
        if (s == Status.WrongType) c.Error(s);
        else WriteElements(c, range);
    }

    [Command("lindex")] private static void LIndex(CommandContext c)
    {
        // Redis looks the key up before it parses the index.
        if (!c.TryLong(2, out long index))
        {
            Status probe = ListOps.Length(c.Db, c[1], out _);
            if (probe == Status.NotFound) c.Writer.Null();
            else if (probe == Status.WrongType) c.Error(probe);
            else c.Writer.Error("ERR value is not an integer or out of range"u8);
            return;
        }
        Status s = ListOps.Index(c.Db, c[1], index, out byte[]? element);
        if (s == Status.Ok) c.Writer.Bulk(element);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    [Command("lset")] private static void LSet(CommandContext c)
    {
        // Redis looks the key up (no such key, wrong type) before it parses the index.
        if (!c.TryLong(2, out long index))
        {
            Status probe = ListOps.Check(c.Db, c[1]);
            if (probe != Status.Ok) c.Error(probe);
            else c.Writer.Error("ERR value is not an integer or out of range"u8);
            return;
        }
        Status s = ListOps.Set(c.Db, c[1], index, c[3]);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.List, "lset"u8);
        if (s == Status.Ok) c.Writer.Ok();
        else if (s == Status.ConditionNotMet) c.Writer.Error("ERR index out of range"u8);
        else c.Error(s);
    }

    [Command("linsert")] private static void LInsert(CommandContext c)
    {
        bool before;
        if (c.Is(2, "BEFORE"u8)) before = true;
        else if (c.Is(2, "AFTER"u8)) before = false;
        else { c.SyntaxError(); return; }
        Status s = ListOps.Insert(c.Db, c[1], before, c[3], c[4], out long length);
        if (s == Status.Ok && length > 0) c.Notify(KeyspaceEventFlags.List, "linsert"u8);
        if (s == Status.Ok || s == Status.NotFound) c.Writer.Integer(length);
        else c.Error(s);
    }

    [Command("lrem")] private static void LRem(CommandContext c)
    {
        if (!c.Long(2, out long count)) return;
        Status s = ListOps.Remove(c.Db, c[1], count, c[3], out long removed);
        if (removed > 0) c.NotifyRemoved(KeyspaceEventFlags.List, "lrem"u8);
        c.IntegerUnlessWrongType(s, removed);
    }

    [Command("ltrim")] private static void LTrim(CommandContext c)
    {
        if (!c.Long(2, out long start) || !c.Long(3, out long end)) return;
        Status s = ListOps.Trim(c.Db, c[1], start, end);
        if (s == Status.Ok) c.NotifyRemoved(KeyspaceEventFlags.List, "ltrim"u8);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Ok();
    }

    [Command("lpos")] private static void LPos(CommandContext c)
    {
        long rank = 1, count = -1, maxLen = 0;
        for (int j = 3; j < c.Count; j++)
        {
            bool more = j + 1 < c.Count;
            if (more && c.Is(j, "RANK"u8))
            {
                if (!c.Long(++j, out rank)) return;
                if (rank == long.MinValue)
                {
                    c.Writer.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"u8);
                    return;
                }
                if (rank == 0)
                {
                    c.Writer.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"u8);
                    return;
                }
            }
            else if (more && c.Is(j, "COUNT"u8))
            {
                if (!c.TryLong(++j, out count) || count < 0) { c.Writer.Error("ERR COUNT can't be negative"u8); return; }
            }
            else if (more && c.Is(j, "MAXLEN"u8))
            {
                if (!c.TryLong(++j, out maxLen) || maxLen < 0) { c.Writer.Error("ERR MAXLEN can't be negative"u8); return; }
            }
            else { c.SyntaxError(); return; }
        }
        List<long> found = t_positions ??= [];
        Status s = ListOps.Positions(c.Db, c[1], c[2], rank, count == -1 ? 1 : count, maxLen, found);
        if (s == Status.WrongType) c.Error(s);
        else if (count != -1)
        {
            c.Writer.Array(found.Count);
            foreach (long i in found) c.Writer.Integer(i);
        }
        else if (found.Count > 0) c.Writer.Integer(found[0]);
        else c.Writer.Null();
        found.Clear();
    }

    [Command("lmove")] private static void LMove(CommandContext c)
    {
        if (!Side(c, 3, out bool fromLeft) || !Side(c, 4, out bool toLeft)) return;
        Move(c, fromLeft, toLeft);
    }

    [Command("rpoplpush")] private static void RPopLPush(CommandContext c) => Move(c, fromLeft: false, toLeft: true);

    private static void Move(CommandContext c, bool fromLeft, bool toLeft)
    {
        Status s = ListOps.TryMove(c.Db, c[1], c[2], fromLeft, toLeft, out byte[]? element);
        if (s == Status.Ok) NotifyMove(c, fromLeft, toLeft);
        if (s == Status.Ok) c.Writer.Bulk(element);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    /// <summary>
    /// Parses LMPOP/BLMPOP's <c>numkeys key... LEFT|RIGHT [COUNT n]</c> starting at <paramref name="numKeysArg"/>,
    /// replying Redis's errors. The keys are the <paramref name="numKeys"/> arguments after it.
    /// </summary>
    internal static bool ParseMultiPop(CommandContext c, int numKeysArg, out int numKeys, out bool left, out long count)
    {
        numKeys = 0;
        left = false;
        count = -1;
        if (!c.TryLong(numKeysArg, out long n) || n < 1)
        {
            c.Writer.Error("ERR numkeys should be greater than 0"u8);
            return false;
        }
        if (n > c.Count - numKeysArg - 2) { c.SyntaxError(); return false; }
        numKeys = (int)n;
        int whereArg = numKeysArg + 1 + numKeys;
        if (!Side(c, whereArg, out left)) return false;
        for (int j = whereArg + 1; j < c.Count; j++)
        {
            if (count == -1 && j + 1 < c.Count && c.Is(j, "COUNT"u8))
            {
                if (!c.TryLong(++j, out count) || count < 1)
                {
                    c.Writer.Error("ERR count should be greater than 0"u8);
                    return false;
                }
            }
            else { c.SyntaxError(); return false; }
        }
        if (count == -1) count = 1;
        return true;
    }

    [Command("lmpop")] private static void LMPop(CommandContext c)
    {
        if (!ParseMultiPop(c, 1, out int numKeys, out bool left, out long count)) return;
        List<byte[]> popped = Elements;
        Status s = ListOps.TryMultiPop(c.Db, new ArgStrings(c, 2, numKeys), left, count, popped, out int keyIndex);
        if (s == Status.Ok)
        {
            NotifyPop(c, left, c[2 + keyIndex]);
            c.Writer.Array(2);
            c.Writer.Bulk(c[2 + keyIndex]);
            WriteElements(c, popped);
        }
        else if (s == Status.NotFound) c.Writer.NullArray();
        else c.Error(s);
    }

    /// <summary>LEFT or RIGHT at argument <paramref name="i"/>; replies a syntax error otherwise.</summary>
    /// <summary>LEFT or RIGHT at argument <paramref name="i"/>; replies a syntax error otherwise.</summary>
    internal static bool Side(CommandContext c, int i, out bool left)
    {
        left = c.Is(i, "LEFT"u8);
        if (left || c.Is(i, "RIGHT"u8)) return true;
        c.SyntaxError();
        return false;
    }

    /// <summary>Redis's getPositiveLongFromObjectOrReply without a custom message.</summary>
    private static bool PositiveLong(CommandContext c, int i, out long value)
    {
        if (!c.Long(i, out value)) return false;
        if (value >= 0) return true;
        c.Writer.Error("ERR value is out of range, must be positive"u8);
        return false;
    }

    /// <summary>Writes the collected elements as an array and releases them.</summary>
    private static void WriteElements(CommandContext c, List<byte[]> elements)
    {
        c.Writer.Array(elements.Count);
        foreach (byte[] e in elements) c.Writer.Bulk(e);
        elements.Clear();
    }
}

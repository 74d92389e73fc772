using Tiered.Tiering.Types.Sets;

namespace Tiered.Server.Commands;

/// <summary>
/// Set commands: SADD SREM SISMEMBER SMISMEMBER SMEMBERS SCARD SPOP SRANDMEMBER SMOVE SINTER SUNION SDIFF SINTERSTORE
/// SUNIONSTORE SDIFFSTORE SINTERCARD SSCAN. Each handler parses its arguments, makes one <see cref="SetOps"/> call
/// and writes the reply. Whole-set replies (SMEMBERS, SINTER..., SPOP with count) are RESP3 sets; SRANDMEMBER with a
/// count may repeat members and is an array, as in Redis 7.
/// </summary>
public static class SetCommands
{
    private const string Group = "set";

    public static void Register(CommandTable t)
    {
        const string inter = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.";
        const string total = "O(N) where N is the total number of elements in all given sets.";

        t.Add(new("sadd", -3, WOomF, 1, 1, 1, Group, "Adds one or more members to a set. Creates the key if it doesn't exist.", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", SAdd));
        t.Add(new("srem", -3, WF, 1, 1, 1, Group, "Removes one or more members from a set. Deletes the set if the last member was removed.", "1.0.0", "O(N) where N is the number of members to be removed.", SRem));
        t.Add(new("sismember", 3, RF, 1, 1, 1, Group, "Determines whether a member belongs to a set.", "1.0.0", "O(1)", SIsMember));
        t.Add(new("smismember", -3, RF, 1, 1, 1, Group, "Determines whether multiple members belong to a set.", "6.2.0", "O(N) where N is the number of elements being checked for membership", SMIsMember));
        t.Add(new("smembers", 2, R, 1, 1, 1, Group, "Returns all members of a set.", "1.0.0", "O(N) where N is the set cardinality.", SMembers));
        t.Add(new("scard", 2, RF, 1, 1, 1, Group, "Returns the number of members in a set.", "1.0.0", "O(1)", SCard));
        t.Add(new("spop", -2, WF | CommandFlags.Random, 1, 1, 1, Group, "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", SPop));
        t.Add(new("srandmember", -2, R | CommandFlags.Random, 1, 1, 1, Group, "Get one or multiple random members from a set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", SRandMember));
        t.Add(new("smove", 4, WF, 1, 2, 1, Group, "Moves a member from one set to another.", "1.0.0", "O(1)", SMove));
        t.Add(new("sinter", -2, R, 1, -1, 1, Group, "Returns the intersect of multiple sets.", "1.0.0", inter, SInter));
        t.Add(new("sunion", -2, R, 1, -1, 1, Group, "Returns the union of multiple sets.", "1.0.0", total, SUnion));
        t.Add(new("sdiff", -2, R, 1, -1, 1, Group, "Returns the difference of multiple sets.", "1.0.0", total, SDiff));
        t.Add(new("sinterstore", -3, WOom, 1, -1, 1, Group, "Stores the intersect of multiple sets in a key.", "1.0.0", inter, SInterStore));
        t.Add(new("sunionstore", -3, WOom, 1, -1, 1, Group, "Stores the union of multiple sets in a key.", "1.0.0", total, SUnionStore));
        t.Add(new("sdiffstore", -3, WOom, 1, -1, 1, Group, "Stores the difference of multiple sets in a key.", "1.0.0", total, SDiffStore));
        // Keys follow a numkeys argument (movable keys): no fixed first/last/step, as Redis reports it.
        t.Add(new("sintercard", -3, R, 0, 0, 0, Group, "Returns the number of members of the intersect of multiple sets.", "7.0.0", inter, SInterCard));
        t.Add(new("sscan", -3, R | CommandFlags.Random, 1, 1, 1, Group, "Iterates over members of a set.", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", SScan));
    }

    private static void SAdd(CommandContext c)
    {
        Status s = SetOps.Add(c.Db, c[1], new ArgStrings(c, 2), out long added);
        c.Integer(s, added);
    }

    private static void SRem(CommandContext c)
    {
        Status s = SetOps.Remove(c.Db, c[1], new ArgStrings(c, 2), out long removed);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(removed);
    }

    private static void SIsMember(CommandContext c)
    {
        Status s = SetOps.IsMember(c.Db, c[1], c[2]);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(s == Status.Ok ? 1 : 0);
    }

    private static void SMIsMember(CommandContext c)
    {
        Status s = SetOps.Read(c.Db, c[1], out SetValue? set);
        if (s == Status.WrongType) { c.Error(s); return; }
        c.Writer.Array(c.Count - 2);
        for (int i = 2; i < c.Count; i++) c.Writer.Integer(set != null && set.Contains(c[i]) ? 1 : 0);
    }

    private static void SMembers(CommandContext c)
    {
        Status s = SetOps.Read(c.Db, c[1], out SetValue? set);
        if (s == Status.WrongType) { c.Error(s); return; }
        c.Writer.Set(set?.Count ?? 0);
        if (set is null) return;
        foreach (byte[] m in set) c.Writer.Bulk(m);
    }

    private static void SCard(CommandContext c)
    {
        Status s = SetOps.Card(c.Db, c[1], out long count);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(count);
    }

    private static void SPop(CommandContext c)
    {
        if (c.Count > 3) { c.SyntaxError(); return; }
        if (c.Count == 2)
        {
            var one = new List<byte[]>(1);
            Status s1 = SetOps.Pop(c.Db, c[1], 1, one);
            if (s1 == Status.WrongType) c.Error(s1);
            else if (one.Count == 0) c.Writer.Null();
            else c.Writer.Bulk(one[0]);
            return;
        }
        if (!c.Long(2, out long count)) return;
        if (count < 0) { c.Writer.Error("ERR value is out of range, must be positive"u8); return; }
        var members = new List<byte[]>();
        Status s = SetOps.Pop(c.Db, c[1], count, members);
        if (s == Status.WrongType) { c.Error(s); return; }
        WriteSet(c, members);
    }

    private static void SRandMember(CommandContext c)
    {
        if (c.Count > 3) { c.SyntaxError(); return; }
        if (c.Count == 2)
        {
            Status s1 = SetOps.RandomMember(c.Db, c[1], out byte[]? member);
            if (s1 == Status.WrongType) c.Error(s1);
            else if (member is null) c.Writer.Null();
            else c.Writer.Bulk(member);
            return;
        }
        if (!HashCommands.ParseCount(c, 2, out long count)) return;
        var members = new List<byte[]>();
        Status s = SetOps.RandomMembers(c.Db, c[1], count, members);
        if (s == Status.WrongType) { c.Error(s); return; }
        c.Writer.Array(members.Count);
        foreach (byte[] m in members) c.Writer.Bulk(m);
    }

    private static void SMove(CommandContext c)
    {
        Status s = SetOps.Move(c.Db, c[1], c[2], c[3]);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(s == Status.Ok ? 1 : 0);
    }

    private static void SInter(CommandContext c) => Combine(c, SetAlgebra.Intersection);

    private static void SUnion(CommandContext c) => Combine(c, SetAlgebra.Union);

    private static void SDiff(CommandContext c) => Combine(c, SetAlgebra.Difference);

    private static void Combine(CommandContext c, SetAlgebra op)
    {
        var members = new List<byte[]>();
        Status s = SetOps.Combine(c.Db, op, new ArgStrings(c, 1), members);
        if (s == Status.WrongType) c.Error(s);
        else WriteSet(c, members);
    }

    private static void SInterStore(CommandContext c) => CombineStore(c, SetAlgebra.Intersection);

    private static void SUnionStore(CommandContext c) => CombineStore(c, SetAlgebra.Union);

    private static void SDiffStore(CommandContext c) => CombineStore(c, SetAlgebra.Difference);

    private static void CombineStore(CommandContext c, SetAlgebra op)
    {
        Status s = SetOps.CombineStore(c.Db, op, c[1], new ArgStrings(c, 2), out long count);
        c.Integer(s, count);
    }

    private static void SInterCard(CommandContext c)
    {
        if (!c.TryLong(1, out long numKeys) || numKeys < 1) { c.Writer.Error("ERR numkeys should be greater than 0"u8); return; }
        if (numKeys > c.Count - 2) { c.Writer.Error("ERR Number of keys can't be greater than number of args"u8); return; }
        int end = 2 + (int)numKeys;
        long limit = 0;
        for (int i = end; i < c.Count; i += 2)
        {
            if (c.Is(i, "LIMIT"u8) && i + 1 < c.Count)
            {
                if (!c.TryLong(i + 1, out limit) || limit < 0) { c.Writer.Error("ERR LIMIT can't be negative"u8); return; }
            }
            else { c.SyntaxError(); return; }
        }
        Status s = SetOps.InterCard(c.Db, new ArgStrings(c, 2, end - 2), limit, out long count);
        c.Integer(s, count);
    }

    private static void SScan(CommandContext c)
    {
        if (!HashCommands.ScanArgs.TryParseCursor(c, 2, out ulong cursor)) return;
        HashCommands.ScanArgs.Parse(c, 3, out long count, out int patternArg, out bool syntaxError, out bool notInteger);
        var members = new List<byte[]>();
        Status s = SetOps.Scan(c.Db, c[1], cursor, count, patternArg < 0 ? default : c[patternArg], members, out ulong next);
        if (s == Status.WrongType) { c.Error(s); return; }
        if (s == Status.Ok && HashCommands.ScanArgs.ReplyOptionError(c, syntaxError, notInteger)) return;
        c.Writer.Array(2);
        c.Writer.BulkInteger((long)next);
        c.Writer.Array(members.Count);
        foreach (byte[] m in members) c.Writer.Bulk(m);
    }

    private static void WriteSet(CommandContext c, List<byte[]> members)
    {
        c.Writer.Set(members.Count);
        foreach (byte[] m in members) c.Writer.Bulk(m);
    }
}

using Tiered.Server.Admin;
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
    [Command("sadd")] private static void SAdd(CommandContext c)
    {
        Status s = SetOps.Add(c.Db, c[1], new ArgStrings(c, 2), out long added);
        if (added > 0) c.Notify(KeyspaceEventFlags.Set, "sadd"u8);
        c.Integer(s, added);
    }

    [Command("srem")] private static void SRem(CommandContext c)
    {
        Status s = SetOps.Remove(c.Db, c[1], new ArgStrings(c, 2), out long removed);
        if (removed > 0) c.NotifyRemoved(KeyspaceEventFlags.Set, "srem"u8);
        c.IntegerUnlessWrongType(s, removed);
    }

    [Command("sismember")] private static void SIsMember(CommandContext c)
        => c.OneIfFound(SetOps.IsMember(c.Db, c[1], c[2]));

    [Command("smismember")] private static void SMIsMember(CommandContext c)
    {
        Status s = SetOps.Read(c.Db, c[1], out SetValue? set);
        if (s == Status.WrongType) { c.Error(s); return; }
        c.Writer.Array(c.Count - 2);
        for (int i = 2; i < c.Count; i++) c.Writer.Integer(set != null && set.Contains(c[i]) ? 1 : 0);
    }

    [Command("smembers")] private static void SMembers(CommandContext c)
    {
        Status s = SetOps.Read(c.Db, c[1], out SetValue? set);
        if (s == Status.WrongType) { c.Error(s); return; }
        c.Writer.Set(set?.Count ?? 0);
        if (set is null) return;
        foreach (byte[] m in set) c.Writer.Bulk(m);
    }

    [Command("scard")] private static void SCard(CommandContext c)
        => c.IntegerUnlessWrongType(SetOps.Card(c.Db, c[1], out long count), count);

    [Command("spop")] private static void SPop(CommandContext c)
    {
        if (c.Count > 3) { c.SyntaxError(); return; }
        if (c.Count == 2)
        {
            var one = new List<byte[]>(1);
            Status s1 = SetOps.Pop(c.Db, c[1], 1, one);
            if (one.Count > 0) c.NotifyRemoved(KeyspaceEventFlags.Set, "spop"u8);
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
        if (members.Count > 0) c.NotifyRemoved(KeyspaceEventFlags.Set, "spop"u8);
        WriteSet(c, members);
    }

    [Command("srandmember")] private static void SRandMember(CommandContext c)
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

    [Command("smove")] private static void SMove(CommandContext c)
    {
        KeyspaceNotifications events = c.Server.Notifications;
        events.HoldNew();   // Redis: "srem" of the source, then "new" and "sadd" of the destination
        Status s = SetOps.Move(c.Db, c[1], c[2], c[3]);
        if (s == Status.Ok && !c[1].SequenceEqual(c[2]))
        {
            c.NotifyRemoved(KeyspaceEventFlags.Set, "srem"u8);
            c.Notify(KeyspaceEventFlags.Set, "sadd"u8, c[2]);
        }
        events.ReleaseNew();
        c.OneIfFound(s);
    }

    [Command("sinter")] private static void SInter(CommandContext c) => Combine(c, SetAlgebra.Intersection);

    [Command("sunion")] private static void SUnion(CommandContext c) => Combine(c, SetAlgebra.Union);

    [Command("sdiff")] private static void SDiff(CommandContext c) => Combine(c, SetAlgebra.Difference);

    private static void Combine(CommandContext c, SetAlgebra op)
    {
        var members = new List<byte[]>();
        Status s = SetOps.Combine(c.Db, op, new ArgStrings(c, 1), members);
        if (s == Status.WrongType) c.Error(s);
        else WriteSet(c, members);
    }

    [Command("sinterstore")] private static void SInterStore(CommandContext c) => CombineStore(c, SetAlgebra.Intersection);

    [Command("sunionstore")] private static void SUnionStore(CommandContext c) => CombineStore(c, SetAlgebra.Union);

    [Command("sdiffstore")] private static void SDiffStore(CommandContext c) => CombineStore(c, SetAlgebra.Difference);

    private static void CombineStore(CommandContext c, SetAlgebra op)
    {
        bool existed = c.ExistsForEvents(c[1]);
        Status s = SetOps.CombineStore(c.Db, op, c[1], new ArgStrings(c, 2), out long count);
        if (s == Status.Ok) c.NotifyStored(KeyspaceEventFlags.Set, c.Command.NameBytes, c[1], count > 0, existed);
        c.Integer(s, count);
    }

    [Command("sintercard")] private static void SInterCard(CommandContext c)
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

    [Command("sscan")] private static void SScan(CommandContext c)
    {
        if (!ScanArgs.TryParseCursor(c, 2, out ulong cursor)) return;
        ScanArgs args = ScanArgs.Parse(c, 3);
        var members = new List<byte[]>();
        Status s = SetOps.Scan(c.Db, c[1], cursor, args.Count, args.Pattern(c), members, out ulong next);
        if (s == Status.WrongType) { c.Error(s); return; }
        if (s == Status.Ok && args.ReplyError(c)) return;
        ScanArgs.BeginReply(c, next, members.Count);
        foreach (byte[] m in members) c.Writer.Bulk(m);
    }

    private static void WriteSet(CommandContext c, List<byte[]> members)
    {
        c.Writer.Set(members.Count);
        foreach (byte[] m in members) c.Writer.Bulk(m);
    }
}

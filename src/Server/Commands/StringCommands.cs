using Tiered.Server.Admin;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Server.Commands;

/// <summary>
/// String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX APPEND STRLEN INCR DECR INCRBY
/// DECRBY INCRBYFLOAT GETRANGE SUBSTR SETRANGE. Each handler parses its arguments, makes one <see cref="StringOps"/>
/// call and writes the reply; argument errors are checked in Redis's order so the first error reported is Redis's.
/// </summary>
public static class StringCommands
{
    [Command("get")] private static void Get(CommandContext c)
    {
        Status s = StringOps.GetTransient(c.Db, c[1], out ReadOnlySpan<byte> value);
        if (s == Status.Ok) c.Writer.Bulk(value);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    [Command("set")] private static void Set(CommandContext c)
    {
        if (c.Count == 3)
        {
            StringOps.Set(c.Db, c[1], c[2]);
            c.Notify(KeyspaceEventFlags.String, "set"u8);
            c.Writer.Ok();
            return;
        }
        if (!ParseOptions(c, 3, forSet: true, out Opt opts, out int expireArg)) return;
        long at = 0;
        if (expireArg > 0 && !ReplyExpireError(c, ExpireAt(c, expireArg, opts, out at))) return;
        SetCondition cond = (opts & Opt.NX) != 0 ? SetCondition.IfAbsent : (opts & Opt.XX) != 0 ? SetCondition.IfPresent : SetCondition.Always;
        bool get = (opts & Opt.Get) != 0;
        Status s = StringOps.Set(c.Db, c[1], c[2], cond, at, (opts & Opt.KeepTtl) != 0, get, out byte[]? old);
        if (s == Status.Ok) NotifySet(c, at);
        if (s == Status.WrongType) c.Error(s);
        else if (get) BulkOrNull(c, old);
        else if (s == Status.Ok) c.Writer.Ok();
        else c.Writer.Null();
    }

    [Command("setnx")] private static void SetNx(CommandContext c)
    {
        bool set = StringOps.Set(c.Db, c[1], c[2], SetCondition.IfAbsent) == Status.Ok;
        if (set) NotifySet(c, 0);
        c.Writer.Integer(set ? 1 : 0);
    }

    /// <summary>The events of a string SET: "set", and "expire" when it gave the key a TTL.</summary>
    private static void NotifySet(CommandContext c, long expireAt)
    {
        c.Notify(KeyspaceEventFlags.String, "set"u8);
        if (expireAt != 0) c.Notify(KeyspaceEventFlags.Generic, "expire"u8);
    }

    [Command("setex")] private static void SetEx(CommandContext c) => SetWithExpire(c, Opt.EX);

    [Command("psetex")] private static void PSetEx(CommandContext c) => SetWithExpire(c, Opt.PX);

    private static void SetWithExpire(CommandContext c, Opt unit)
    {
        if (!ReplyExpireError(c, ExpireAt(c, 2, unit, out long at))) return;
        StringOps.Set(c.Db, c[1], c[3], SetCondition.Always, at);
        NotifySet(c, at);
        c.Writer.Ok();
    }

    [Command("getset")] private static void GetSet(CommandContext c)
    {
        Status s = StringOps.Set(c.Db, c[1], c[2], SetCondition.Always, 0, keepTtl: false, returnOld: true, out byte[]? old);
        if (s == Status.WrongType) { c.Error(s); return; }
        NotifySet(c, 0);
        BulkOrNull(c, old);
    }

    [Command("getdel")] private static void GetDel(CommandContext c)
    {
        Status s = StringOps.GetDel(c.Db, c[1], out byte[]? value);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Generic, "del"u8);
        if (s == Status.WrongType) c.Error(s);
        else BulkOrNull(c, value);
    }

    [Command("getex")] private static void GetEx(CommandContext c)
    {
        if (!ParseOptions(c, 2, forSet: false, out Opt opts, out int expireArg)) return;
        long at = 0;
        ExpireResult r = expireArg > 0 ? ExpireAt(c, expireArg, opts, out at) : ExpireResult.Ok;
        if (r != ExpireResult.Ok)
        {
            // Redis looks the key up before it validates the time: a missing key still answers nil.
            Status probe = StringOps.Get(c.Db, c[1], out _);
            if (probe == Status.NotFound) c.Writer.Null();
            else if (probe == Status.WrongType) c.Error(probe);
            else ReplyExpireError(c, r);
            return;
        }
        TtlChange change = expireArg > 0 ? TtlChange.Set : (opts & Opt.Persist) != 0 ? TtlChange.Persist : TtlChange.Keep;
        Status s = StringOps.GetEx(c.Db, c[1], change, at, out ReadOnlySpan<byte> value, out bool ttlChanged);
        if (ttlChanged)
            c.Notify(KeyspaceEventFlags.Generic, change == TtlChange.Persist ? "persist"u8 : at <= c.Store.Clock.NowMs ? "del"u8 : "expire"u8);
        if (s == Status.Ok) c.Writer.Bulk(value);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    [Command("mget")] private static void MGet(CommandContext c)
    {
        c.Writer.Array(c.Count - 1);
        for (int i = 1; i < c.Count; i++)
        {
            // A key of another type reads as nil, not as an error.
            if (StringOps.GetTransient(c.Db, c[i], out ReadOnlySpan<byte> value) == Status.Ok) c.Writer.Bulk(value);
            else c.Writer.Null();
        }
    }

    [Command("mset")] private static void MSet(CommandContext c)
    {
        if (c.Count % 2 == 0) { c.WrongArity(); return; }
        c.Server.Notifications.HoldNew();   // Redis: "new" and "set" key by key
        StringOps.MSet(c.Db, new ArgPairs(c), onlyIfNoneExists: false);
        NotifyMSet(c);
        c.Writer.Ok();
    }

    [Command("msetnx")] private static void MSetNx(CommandContext c)
    {
        if (c.Count % 2 == 0) { c.WrongArity(); return; }
        c.Server.Notifications.HoldNew();
        bool set = StringOps.MSet(c.Db, new ArgPairs(c), onlyIfNoneExists: true) == Status.Ok;
        NotifyMSet(c, set);
        c.Writer.Integer(set ? 1 : 0);
    }

    private static void NotifyMSet(CommandContext c, bool set = true)
    {
        if (set)
            for (int i = 1; i < c.Count; i += 2) c.Notify(KeyspaceEventFlags.String, "set"u8, c[i]);
        c.Server.Notifications.ReleaseNew();
    }

    [Command("append")] private static void Append(CommandContext c)
    {
        Status s = StringOps.Append(c.Db, c[1], c[2], out long length);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.String, "append"u8);
        c.Integer(s, length);
    }

    [Command("strlen")] private static void Strlen(CommandContext c)
        => c.IntegerUnlessWrongType(StringOps.Strlen(c.Db, c[1], out long length), length);

    [Command("incr")] private static void Incr(CommandContext c) => AddInteger(c, 1);

    [Command("decr")] private static void Decr(CommandContext c) => AddInteger(c, -1);

    [Command("incrby")] private static void IncrBy(CommandContext c)
    {
        if (c.Long(2, out long delta)) AddInteger(c, delta);
    }

    [Command("decrby")] private static void DecrBy(CommandContext c)
    {
        if (!c.Long(2, out long delta)) return;
        if (delta == long.MinValue) { c.Writer.Error("ERR decrement would overflow"u8); return; }
        AddInteger(c, -delta);
    }

    private static void AddInteger(CommandContext c, long delta)
    {
        Status s = StringOps.IncrBy(c.Db, c[1], delta, out long value);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.String, "incrby"u8);
        c.Integer(s, value);
    }

    [Command("incrbyfloat")] private static void IncrByFloat(CommandContext c)
    {
        // The engine parses the increment itself: Redis checks the key's type and value before it.
        Status s = StringOps.IncrByFloat(c.Db, c[1], c[2], out ReadOnlySpan<byte> text);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.String, "incrbyfloat"u8);
        if (s == Status.Ok) c.Writer.Bulk(text);
        else c.Error(s);
    }

    [Command("lcs")] private static void Lcs(CommandContext c)
    {
        bool idx = false, len = false, withMatchLength = false;
        long minMatchLength = 0;
        ReadOnlySpan<byte> problem = default;   // Redis checks both keys' types before the options: replied after the lookup
        for (int i = 3; i < c.Count && problem.IsEmpty; i++)
        {
            if (c.Is(i, "IDX"u8)) idx = true;
            else if (c.Is(i, "LEN"u8)) len = true;
            else if (c.Is(i, "WITHMATCHLEN"u8)) withMatchLength = true;
            else if (c.Is(i, "MINMATCHLEN"u8) && i + 1 < c.Count)
            {
                if (!c.TryLong(++i, out minMatchLength)) problem = "ERR value is not an integer or out of range"u8;
                else if (minMatchLength < 0) minMatchLength = 0;
            }
            else problem = "ERR syntax error"u8;
        }
        if (problem.IsEmpty && idx && len) problem = "ERR If you want both the length and indexes, please just use IDX."u8;
        if (!problem.IsEmpty)
        {
            if (StringOps.AreStrings(c.Db, c[1], c[2]) == Status.WrongType) c.Writer.Error(LcsNotStrings);
            else c.Writer.Error(problem);
            return;
        }
        List<LcsMatch>? matches = idx ? [] : null;
        Status s = StringOps.Lcs(c.Db, c[1], c[2], !idx && !len, minMatchLength, matches, out byte[]? lcs, out long length);
        if (s == Status.WrongType) c.Writer.Error(LcsNotStrings);
        else if (s == Status.TooLarge) c.Writer.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"u8);
        else if (len) c.Writer.Integer(length);
        else if (!idx) c.Writer.Bulk(lcs!);
        else
        {
            c.Writer.Map(2);
            c.Writer.Bulk("matches"u8);
            c.Writer.Array(matches!.Count);
            foreach (LcsMatch m in matches)
            {
                c.Writer.Array(withMatchLength ? 3 : 2);
                c.Writer.Array(2);
                c.Writer.Integer(m.AStart);
                c.Writer.Integer(m.AEnd);
                c.Writer.Array(2);
                c.Writer.Integer(m.BStart);
                c.Writer.Integer(m.BEnd);
                if (withMatchLength) c.Writer.Integer(m.Length);
            }
            c.Writer.Bulk("len"u8);
            c.Writer.Integer(length);
        }
    }

    private static ReadOnlySpan<byte> LcsNotStrings => "ERR The specified keys must contain string values"u8;

    [Command("getrange")] [Command("substr")] private static void GetRange(CommandContext c)
    {
        if (!c.Long(2, out long start) || !c.Long(3, out long end)) return;
        Status s = StringOps.GetRange(c.Db, c[1], start, end, out ReadOnlySpan<byte> range);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Bulk(range);
    }

    [Command("setrange")] private static void SetRange(CommandContext c)
    {
        if (!c.Long(2, out long offset)) return;
        if (offset < 0) { c.Writer.Error("ERR offset is out of range"u8); return; }
        Status s = StringOps.SetRange(c.Db, c[1], offset, c[3], out long length);
        if (s == Status.Ok && c[3].Length > 0) c.Notify(KeyspaceEventFlags.String, "setrange"u8);
        c.Integer(s, length);
    }

    private static void BulkOrNull(CommandContext c, byte[]? value)
    {
        if (value is null) c.Writer.Null();
        else c.Writer.Bulk(value);
    }

    /// <summary>SET and GETEX options, as Redis's OBJ_* flags.</summary>
    [Flags]
    private enum Opt
    {
        None = 0,
        NX = 1 << 0,
        XX = 1 << 1,
        Get = 1 << 2,
        KeepTtl = 1 << 3,
        Persist = 1 << 4,
        EX = 1 << 5,
        PX = 1 << 6,
        EXAT = 1 << 7,
        PXAT = 1 << 8,
        AnyExpire = EX | PX | EXAT | PXAT,
    }

    /// <summary>
    /// Parses SET (<paramref name="forSet"/>) or GETEX options from argument <paramref name="from"/> on, in any order,
    /// with Redis's conflict rules (NX/XX, KEEPTTL/PERSIST/one expire unit); replies "syntax error" on failure.
    /// <paramref name="expireArg"/> is the index of the expire time argument, 0 if none.
    /// </summary>
    private static bool ParseOptions(CommandContext c, int from, bool forSet, out Opt opts, out int expireArg)
    {
        opts = Opt.None;
        expireArg = 0;
        for (int j = from; j < c.Count; j++)
        {
            Opt o;
            if (forSet && c.Is(j, "NX"u8) && (opts & Opt.XX) == 0) o = Opt.NX;
            else if (forSet && c.Is(j, "XX"u8) && (opts & Opt.NX) == 0) o = Opt.XX;
            else if (forSet && c.Is(j, "GET"u8)) o = Opt.Get;
            else if (forSet && c.Is(j, "KEEPTTL"u8) && (opts & (Opt.AnyExpire | Opt.Persist)) == 0) o = Opt.KeepTtl;
            else if (!forSet && c.Is(j, "PERSIST"u8) && (opts & (Opt.AnyExpire | Opt.KeepTtl)) == 0) o = Opt.Persist;
            else if (j + 1 < c.Count && (o = ExpireUnit(c, j)) != Opt.None
                     && (opts & (Opt.KeepTtl | Opt.Persist | (Opt.AnyExpire & ~o))) == 0) expireArg = ++j;
            else { c.SyntaxError(); return false; }
            opts |= o;
        }
        return true;
    }

    private static Opt ExpireUnit(CommandContext c, int j)
        => c.Is(j, "EX"u8) ? Opt.EX : c.Is(j, "PX"u8) ? Opt.PX : c.Is(j, "EXAT"u8) ? Opt.EXAT : c.Is(j, "PXAT"u8) ? Opt.PXAT : Opt.None;

    private enum ExpireResult { Ok, NotInteger, Invalid }

    /// <summary>
    /// Converts the expire argument to absolute unix ms, as Redis's getExpireMillisecondsOrReply: the number must be
    /// positive, and neither the unit conversion nor adding "now" (EX, PX) may overflow.
    /// </summary>
    private static ExpireResult ExpireAt(CommandContext c, int arg, Opt unit, out long at)
    {
        at = 0;
        if (!c.TryLong(arg, out long v)) return ExpireResult.NotInteger;
        bool seconds = (unit & (Opt.EX | Opt.EXAT)) != 0;
        if (v <= 0 || seconds && v > long.MaxValue / 1000) return ExpireResult.Invalid;
        if (seconds) v *= 1000;
        if ((unit & (Opt.EX | Opt.PX)) != 0)
        {
            long now = c.Store.Clock.NowMs;
            if (v > long.MaxValue - now) return ExpireResult.Invalid;
            v += now;
        }
        at = v;
        return ExpireResult.Ok;
    }

    /// <summary>Replies the error for a failed <see cref="ExpireAt"/>; true (nothing written) when it succeeded.</summary>
    private static bool ReplyExpireError(CommandContext c, ExpireResult r)
    {
        if (r == ExpireResult.NotInteger) c.Writer.Error("ERR value is not an integer or out of range"u8);
        else if (r == ExpireResult.Invalid) c.Writer.Error($"ERR invalid expire time in '{c.Command.FullName}' command");
        return r == ExpireResult.Ok;
    }

    /// <summary>MSET's key/value pairs over the command's arguments, without copying.</summary>
    private readonly struct ArgPairs(CommandContext c) : IKeyValuePairs
    {
        public int PairCount => (c.Count - 1) / 2;
        public ReadOnlySpan<byte> Key(int i) => c[1 + 2 * i];
        public ReadOnlySpan<byte> Value(int i) => c[2 + 2 * i];
    }
}

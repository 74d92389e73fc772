using Tiered.Tiering.Types.Strings;

namespace Tiered.Server.Commands;

/// <summary>
/// String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX APPEND STRLEN INCR DECR INCRBY
/// DECRBY INCRBYFLOAT GETRANGE SUBSTR SETRANGE. Each handler parses its arguments, makes one <see cref="StringOps"/>
/// call and writes the reply; argument errors are checked in Redis's order so the first error reported is Redis's.
/// </summary>
public static class StringCommands
{
    private const string Group = "string";

    public static void Register(CommandTable t)
    {
        const string substrCost = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.";

        t.Add(new("get", 2, RF, 1, 1, 1, Group, "Returns the string value of a key.", "1.0.0", "O(1)", Get));
        t.Add(new("set", -3, WOom, 1, 1, 1, Group, "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "1.0.0", "O(1)", Set));
        t.Add(new("setnx", 3, WOomF, 1, 1, 1, Group, "Set the string value of a key only when the key doesn't exist.", "1.0.0", "O(1)", SetNx));
        t.Add(new("setex", 4, WOom, 1, 1, 1, Group, "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "2.0.0", "O(1)", SetEx));
        t.Add(new("psetex", 4, WOom, 1, 1, 1, Group, "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "2.6.0", "O(1)", PSetEx));
        t.Add(new("getset", 3, WOomF, 1, 1, 1, Group, "Returns the previous string value of a key after setting it to a new value.", "1.0.0", "O(1)", GetSet));
        t.Add(new("getdel", 2, WF, 1, 1, 1, Group, "Returns the string value of a key after deleting the key.", "6.2.0", "O(1)", GetDel));
        t.Add(new("getex", -2, WF, 1, 1, 1, Group, "Returns the string value of a key after setting its expiration time.", "6.2.0", "O(1)", GetEx));
        t.Add(new("mget", -2, RF, 1, -1, 1, Group, "Atomically returns the string values of one or more keys.", "1.0.0", "O(N) where N is the number of keys to retrieve.", MGet));
        t.Add(new("mset", -3, WOom, 1, -1, 2, Group, "Atomically creates or modifies the string values of one or more keys.", "1.0.1", "O(N) where N is the number of keys to set.", MSet));
        t.Add(new("msetnx", -3, WOom, 1, -1, 2, Group, "Atomically modifies the string values of one or more keys only when all keys don't exist.", "1.0.1", "O(N) where N is the number of keys to set.", MSetNx));
        t.Add(new("append", 3, WOomF, 1, 1, 1, Group, "Appends a string to the value of a key. Creates the key if it doesn't exist.", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", Append));
        t.Add(new("strlen", 2, RF, 1, 1, 1, Group, "Returns the length of a string value.", "2.2.0", "O(1)", Strlen));
        t.Add(new("incr", 2, WOomF, 1, 1, 1, Group, "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0", "O(1)", Incr));
        t.Add(new("decr", 2, WOomF, 1, 1, 1, Group, "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "1.0.0", "O(1)", Decr));
        t.Add(new("incrby", 3, WOomF, 1, 1, 1, Group, "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "1.0.0", "O(1)", IncrBy));
        t.Add(new("decrby", 3, WOomF, 1, 1, 1, Group, "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", "1.0.0", "O(1)", DecrBy));
        t.Add(new("incrbyfloat", 3, WOomF, 1, 1, 1, Group, "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "2.6.0", "O(1)", IncrByFloat));
        t.Add(new("getrange", 4, R, 1, 1, 1, Group, "Returns a substring of the string stored at a key.", "2.4.0", substrCost, GetRange));
        t.Add(new("substr", 4, R, 1, 1, 1, Group, "Returns a substring from string value.", "1.0.0", substrCost, GetRange));
        t.Add(new("setrange", 4, WOom, 1, 1, 1, Group, "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", SetRange));
    }

    private static void Get(CommandContext c)
    {
        Status s = StringOps.GetTransient(c.Db, c[1], out ReadOnlySpan<byte> value);
        if (s == Status.Ok) c.Writer.Bulk(value);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    private static void Set(CommandContext c)
    {
        if (c.Count == 3)
        {
            StringOps.Set(c.Db, c[1], c[2]);
            c.Writer.Ok();
            return;
        }
        if (!ParseOptions(c, 3, forSet: true, out Opt opts, out int expireArg)) return;
        long at = 0;
        if (expireArg > 0 && !ReplyExpireError(c, ExpireAt(c, expireArg, opts, out at))) return;
        SetCondition cond = (opts & Opt.NX) != 0 ? SetCondition.IfAbsent : (opts & Opt.XX) != 0 ? SetCondition.IfPresent : SetCondition.Always;
        bool get = (opts & Opt.Get) != 0;
        Status s = StringOps.Set(c.Db, c[1], c[2], cond, at, (opts & Opt.KeepTtl) != 0, get, out byte[]? old);
        if (s == Status.WrongType) c.Error(s);
        else if (get) BulkOrNull(c, old);
        else if (s == Status.Ok) c.Writer.Ok();
        else c.Writer.Null();
    }

    private static void SetNx(CommandContext c)
        => c.Writer.Integer(StringOps.Set(c.Db, c[1], c[2], SetCondition.IfAbsent) == Status.Ok ? 1 : 0);

    private static void SetEx(CommandContext c) => SetWithExpire(c, Opt.EX);

    private static void PSetEx(CommandContext c) => SetWithExpire(c, Opt.PX);

    private static void SetWithExpire(CommandContext c, Opt unit)
    {
        if (!ReplyExpireError(c, ExpireAt(c, 2, unit, out long at))) return;
        StringOps.Set(c.Db, c[1], c[3], SetCondition.Always, at);
        c.Writer.Ok();
    }

    private static void GetSet(CommandContext c)
    {
        Status s = StringOps.Set(c.Db, c[1], c[2], SetCondition.Always, 0, keepTtl: false, returnOld: true, out byte[]? old);
        if (s == Status.WrongType) c.Error(s);
        else BulkOrNull(c, old);
    }

    private static void GetDel(CommandContext c)
    {
        Status s = StringOps.GetDel(c.Db, c[1], out byte[]? value);
        if (s == Status.WrongType) c.Error(s);
        else BulkOrNull(c, value);
    }

    private static void GetEx(CommandContext c)
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
        Status s = StringOps.GetEx(c.Db, c[1], change, at, out ReadOnlySpan<byte> value);
        if (s == Status.Ok) c.Writer.Bulk(value);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    private static void MGet(CommandContext c)
    {
        c.Writer.Array(c.Count - 1);
        for (int i = 1; i < c.Count; i++)
        {
            // A key of another type reads as nil, not as an error.
            if (StringOps.GetTransient(c.Db, c[i], out ReadOnlySpan<byte> value) == Status.Ok) c.Writer.Bulk(value);
            else c.Writer.Null();
        }
    }

    private static void MSet(CommandContext c)
    {
        if (c.Count % 2 == 0) { c.WrongArity(); return; }
        StringOps.MSet(c.Db, new ArgPairs(c), onlyIfNoneExists: false);
        c.Writer.Ok();
    }

    private static void MSetNx(CommandContext c)
    {
        if (c.Count % 2 == 0) { c.WrongArity(); return; }
        c.Writer.Integer(StringOps.MSet(c.Db, new ArgPairs(c), onlyIfNoneExists: true) == Status.Ok ? 1 : 0);
    }

    private static void Append(CommandContext c)
    {
        Status s = StringOps.Append(c.Db, c[1], c[2], out long length);
        c.Integer(s, length);
    }

    private static void Strlen(CommandContext c)
    {
        Status s = StringOps.Strlen(c.Db, c[1], out long length);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(length);
    }

    private static void Incr(CommandContext c) => AddInteger(c, 1);

    private static void Decr(CommandContext c) => AddInteger(c, -1);

    private static void IncrBy(CommandContext c)
    {
        if (c.Long(2, out long delta)) AddInteger(c, delta);
    }

    private static void DecrBy(CommandContext c)
    {
        if (!c.Long(2, out long delta)) return;
        if (delta == long.MinValue) { c.Writer.Error("ERR decrement would overflow"u8); return; }
        AddInteger(c, -delta);
    }

    private static void AddInteger(CommandContext c, long delta)
    {
        Status s = StringOps.IncrBy(c.Db, c[1], delta, out long value);
        c.Integer(s, value);
    }

    private static void IncrByFloat(CommandContext c)
    {
        // The engine parses the increment itself: Redis checks the key's type and value before it.
        Status s = StringOps.IncrByFloat(c.Db, c[1], c[2], out ReadOnlySpan<byte> text);
        if (s == Status.Ok) c.Writer.Bulk(text);
        else c.Error(s);
    }

    private static void GetRange(CommandContext c)
    {
        if (!c.Long(2, out long start) || !c.Long(3, out long end)) return;
        Status s = StringOps.GetRange(c.Db, c[1], start, end, out ReadOnlySpan<byte> range);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Bulk(range);
    }

    private static void SetRange(CommandContext c)
    {
        if (!c.Long(2, out long offset)) return;
        if (offset < 0) { c.Writer.Error("ERR offset is out of range"u8); return; }
        Status s = StringOps.SetRange(c.Db, c[1], offset, c[3], out long length);
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

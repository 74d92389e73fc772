using Tiered.Tiering.Types.Hashes;

namespace Tiered.Server.Commands;

/// <summary>
/// Hash commands: HSET HSETNX HGET HMGET HMSET HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT
/// HRANDFIELD HSCAN. Each handler parses its arguments, makes one <see cref="HashOps"/> call and writes the reply;
/// argument errors are checked in Redis's order so the first error reported is Redis's.
/// </summary>
public static class HashCommands
{
    private const string Group = "hash";

    public static void Register(CommandTable t)
    {
        const string all = "O(N) where N is the size of the hash.";

        t.Add(new("hset", -4, WOomF, 1, 1, 1, Group, "Creates or modifies the value of a field in a hash.", "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", HSet));
        t.Add(new("hsetnx", 4, WOomF, 1, 1, 1, Group, "Sets the value of a field in a hash only when the field doesn't exist.", "2.0.0", "O(1)", HSetNx));
        t.Add(new("hget", 3, RF, 1, 1, 1, Group, "Returns the value of a field in a hash.", "2.0.0", "O(1)", HGet));
        t.Add(new("hmget", -3, RF, 1, 1, 1, Group, "Returns the values of all fields in a hash.", "2.0.0", "O(N) where N is the number of fields being requested.", HMGet));
        t.Add(new("hmset", -4, WOomF, 1, 1, 1, Group, "Sets the values of multiple fields.", "2.0.0", "O(N) where N is the number of fields being set.", HMSet));
        t.Add(new("hdel", -3, WF, 1, 1, 1, Group, "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", "2.0.0", "O(N) where N is the number of fields to be removed.", HDel));
        t.Add(new("hexists", 3, RF, 1, 1, 1, Group, "Determines whether a field exists in a hash.", "2.0.0", "O(1)", HExists));
        t.Add(new("hlen", 2, RF, 1, 1, 1, Group, "Returns the number of fields in a hash.", "2.0.0", "O(1)", HLen));
        t.Add(new("hstrlen", 3, RF, 1, 1, 1, Group, "Returns the length of the value of a field.", "3.2.0", "O(1)", HStrLen));
        t.Add(new("hkeys", 2, R, 1, 1, 1, Group, "Returns all fields in a hash.", "2.0.0", all, HKeys));
        t.Add(new("hvals", 2, R, 1, 1, 1, Group, "Returns all values in a hash.", "2.0.0", all, HVals));
        t.Add(new("hgetall", 2, R, 1, 1, 1, Group, "Returns all fields and values in a hash.", "2.0.0", all, HGetAll));
        t.Add(new("hincrby", 4, WOomF, 1, 1, 1, Group, "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", "2.0.0", "O(1)", HIncrBy));
        t.Add(new("hincrbyfloat", 4, WOomF, 1, 1, 1, Group, "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", "2.6.0", "O(1)", HIncrByFloat));
        t.Add(new("hrandfield", -2, R | CommandFlags.Random, 1, 1, 1, Group, "Returns one or more random fields from a hash.", "6.2.0", "O(N) where N is the number of fields returned", HRandField));
        t.Add(new("hscan", -3, R | CommandFlags.Random, 1, 1, 1, Group, "Iterates over fields and values of a hash.", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", HScan));
    }

    private static void HSet(CommandContext c)
    {
        if (c.Count % 2 != 0) { c.WrongArity(); return; }
        Status s = HashOps.Set(c.Db, c[1], new ArgPairs(c, 2), out long added);
        c.Integer(s, added);
    }

    private static void HMSet(CommandContext c)
    {
        if (c.Count % 2 != 0) { c.WrongArity(); return; }
        Status s = HashOps.Set(c.Db, c[1], new ArgPairs(c, 2), out _);
        if (s == Status.Ok) c.Writer.Ok();
        else c.Error(s);
    }

    private static void HSetNx(CommandContext c)
    {
        Status s = HashOps.SetNx(c.Db, c[1], c[2], c[3]);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(s == Status.Ok ? 1 : 0);
    }

    private static void HGet(CommandContext c)
    {
        Status s = HashOps.Get(c.Db, c[1], c[2], out ReadOnlySpan<byte> value);
        if (s == Status.Ok) c.Writer.Bulk(value);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    private static void HMGet(CommandContext c)
    {
        Status s = HashOps.Read(c.Db, c[1], out HashValue? hash);
        if (s == Status.WrongType) { c.Error(s); return; }
        c.Writer.Array(c.Count - 2);
        for (int i = 2; i < c.Count; i++)
        {
            if (hash != null && hash.TryGet(c[i], out ReadOnlySpan<byte> value)) c.Writer.Bulk(value);
            else c.Writer.Null();
        }
    }

    private static void HDel(CommandContext c)
    {
        Status s = HashOps.Delete(c.Db, c[1], new ArgStrings(c, 2), out long removed);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(removed);
    }

    private static void HExists(CommandContext c)
    {
        Status s = HashOps.Exists(c.Db, c[1], c[2]);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(s == Status.Ok ? 1 : 0);
    }

    private static void HLen(CommandContext c)
    {
        Status s = HashOps.Len(c.Db, c[1], out long length);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(length);
    }

    private static void HStrLen(CommandContext c)
    {
        Status s = HashOps.StrLen(c.Db, c[1], c[2], out long length);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Integer(length);
    }

    private static void HKeys(CommandContext c) => GetAll(c, fields: true, values: false);

    private static void HVals(CommandContext c) => GetAll(c, fields: false, values: true);

    private static void HGetAll(CommandContext c) => GetAll(c, fields: true, values: true);

    /// <summary>HGETALL replies with a map (a flat array in RESP2); HKEYS and HVALS with an array.</summary>
    private static void GetAll(CommandContext c, bool fields, bool values)
    {
        Status s = HashOps.Read(c.Db, c[1], out HashValue? hash);
        if (s == Status.WrongType) { c.Error(s); return; }
        long n = hash?.Count ?? 0;
        if (fields && values) c.Writer.Map(n);
        else c.Writer.Array(n);
        if (hash is null) return;
        foreach (HashEntry e in hash)
        {
            if (fields) c.Writer.Bulk(e.Field);
            if (values) c.Writer.Bulk(e.Value);
        }
    }

    private static void HIncrBy(CommandContext c)
    {
        if (!c.Long(3, out long delta)) return;
        Status s = HashOps.IncrBy(c.Db, c[1], c[2], delta, out long value);
        if (s == Status.Ok) c.Writer.Integer(value);
        else if (s == Status.NotInteger) c.Writer.Error("ERR hash value is not an integer"u8);
        else c.Error(s);
    }

    private static void HIncrByFloat(CommandContext c)
    {
        if (!Numbers.ParseFloat(c[3], out double increment)) { c.Error(Status.NotFloat); return; }
        if (!double.IsFinite(increment)) { c.Writer.Error("ERR value is NaN or Infinity"u8); return; }
        Status s = HashOps.IncrByFloat(c.Db, c[1], c[2], c[3], increment, out ReadOnlySpan<byte> text);
        if (s == Status.Ok) c.Writer.Bulk(text);
        else if (s == Status.NotFloat) c.Writer.Error("ERR hash value is not a float"u8);
        else c.Error(s);
    }

    private static void HRandField(CommandContext c)
    {
        if (c.Count == 2)
        {
            Status one = HashOps.RandomField(c.Db, c[1], out HashEntry entry);
            if (one == Status.Ok) c.Writer.Bulk(entry.Field);
            else if (one == Status.NotFound) c.Writer.Null();
            else c.Error(one);
            return;
        }
        if (!ParseCount(c, 2, out long count)) return;
        bool withValues = false;
        if (c.Count > 4 || c.Count == 4 && !c.Is(3, "WITHVALUES"u8)) { c.SyntaxError(); return; }
        if (c.Count == 4)
        {
            withValues = true;
            if (count < -long.MaxValue / 2 || count > long.MaxValue / 2) { c.Writer.Error("ERR value is out of range"u8); return; }
        }
        var entries = new List<HashEntry>();
        Status s = HashOps.RandomFields(c.Db, c[1], count, entries);
        if (s == Status.WrongType) { c.Error(s); return; }
        bool nested = withValues && c.Writer.Protocol == 3;
        c.Writer.Array(withValues && !nested ? entries.Count * 2L : entries.Count);
        foreach (HashEntry e in entries)
        {
            if (nested) c.Writer.Array(2);
            c.Writer.Bulk(e.Field);
            if (withValues) c.Writer.Bulk(e.Value);
        }
    }

    private static void HScan(CommandContext c)
    {
        if (!ScanArgs.TryParseCursor(c, 2, out ulong cursor)) return;
        ScanArgs.Parse(c, 3, out long count, out int patternArg, out bool syntaxError, out bool notInteger);
        var entries = new List<HashEntry>();
        Status s = HashOps.Scan(c.Db, c[1], cursor, count, patternArg < 0 ? default : c[patternArg], entries, out ulong next);
        if (s == Status.WrongType) { c.Error(s); return; }
        if (s == Status.Ok && ScanArgs.ReplyOptionError(c, syntaxError, notInteger)) return;
        c.Writer.Array(2);
        c.Writer.BulkInteger((long)next);
        c.Writer.Array(entries.Count * 2L);
        foreach (HashEntry e in entries)
        {
            c.Writer.Bulk(e.Field);
            c.Writer.Bulk(e.Value);
        }
    }

    /// <summary>A count argument as Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) reads it.</summary>
    internal static bool ParseCount(CommandContext c, int arg, out long count)
    {
        if (!c.Long(arg, out count)) return false;
        if (count != long.MinValue) return true;
        c.Writer.Error("ERR value is out of range, must be between -9223372036854775807 and 9223372036854775807"u8);
        return false;
    }

    /// <summary>HSET's field/value pairs over the command's arguments, without copying.</summary>
    private readonly struct ArgPairs(CommandContext c, int from) : IKeyValuePairs
    {
        public int PairCount => (c.Count - from) / 2;
        public ReadOnlySpan<byte> Key(int i) => c[from + 2 * i];
        public ReadOnlySpan<byte> Value(int i) => c[from + 2 * i + 1];
    }

    /// <summary>The cursor and options of HSCAN and SSCAN: <c>cursor [MATCH pattern] [COUNT count]</c>.</summary>
    internal static class ScanArgs
    {
        /// <summary>Parses the cursor, replying "invalid cursor" on failure.</summary>
        public static bool TryParseCursor(CommandContext c, int arg, out ulong cursor)
        {
            if (System.Buffers.Text.Utf8Parser.TryParse(c[arg], out cursor, out int used) && used == c[arg].Length) return true;
            c.Writer.Error("ERR invalid cursor"u8);
            return false;
        }

        /// <summary>
        /// Parses MATCH and COUNT from <paramref name="from"/> on without replying: Redis looks the key up before it
        /// validates the options, so a missing key answers an empty scan even with bad options.
        /// </summary>
        public static void Parse(CommandContext c, int from, out long count, out int patternArg, out bool syntaxError, out bool notInteger)
        {
            count = 10;
            patternArg = -1;
            syntaxError = notInteger = false;
            for (int i = from; i < c.Count; i += 2)
            {
                bool hasValue = i + 1 < c.Count;
                if (c.Is(i, "COUNT"u8) && hasValue)
                {
                    if (!c.TryLong(i + 1, out count)) { notInteger = true; count = 10; return; }
                    if (count < 1) { syntaxError = true; count = 10; return; }
                }
                else if (c.Is(i, "MATCH"u8) && hasValue) patternArg = i + 1;
                else { syntaxError = true; return; }
            }
        }

        /// <summary>Replies the option error found by <see cref="Parse"/>; true if there was one.</summary>
        public static bool ReplyOptionError(CommandContext c, bool syntaxError, bool notInteger)
        {
            if (notInteger) c.Writer.Error("ERR value is not an integer or out of range"u8);
            else if (syntaxError) c.SyntaxError();
            return notInteger || syntaxError;
        }
    }
}

using Tiered.Server.Admin;
using Tiered.Tiering.Types.Hashes;

namespace Tiered.Server.Commands;

/// <summary>
/// Hash commands: HSET HSETNX HGET HMGET HMSET HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS HGETALL HINCRBY HINCRBYFLOAT
/// HRANDFIELD HSCAN. Each handler parses its arguments, makes one <see cref="HashOps"/> call and writes the reply;
/// argument errors are checked in Redis's order so the first error reported is Redis's.
/// </summary>
public static class HashCommands
{
    [Command("hset")] private static void HSet(CommandContext c)
    {
        if (c.Count % 2 != 0) { c.WrongArity(); return; }
        Status s = HashOps.Set(c.Db, c[1], new ArgPairs(c, 2), out long added);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Hash, "hset"u8);
        c.Integer(s, added);
    }

    [Command("hmset")] private static void HMSet(CommandContext c)
    {
        if (c.Count % 2 != 0) { c.WrongArity(); return; }
        Status s = HashOps.Set(c.Db, c[1], new ArgPairs(c, 2), out _);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Hash, "hset"u8);
        if (s == Status.Ok) c.Writer.Ok();
        else c.Error(s);
    }

    [Command("hsetnx")] private static void HSetNx(CommandContext c)
    {
        Status s = HashOps.SetNx(c.Db, c[1], c[2], c[3]);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Hash, "hset"u8);
        c.OneIfFound(s);
    }

    [Command("hget")] private static void HGet(CommandContext c)
    {
        Status s = HashOps.Get(c.Db, c[1], c[2], out ReadOnlySpan<byte> value);
        if (s == Status.Ok) c.Writer.Bulk(value);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    [Command("hmget")] private static void HMGet(CommandContext c)
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

    [Command("hdel")] private static void HDel(CommandContext c)
    {
        Status s = HashOps.Delete(c.Db, c[1], new ArgStrings(c, 2), out long removed);
        if (removed > 0) c.NotifyRemoved(KeyspaceEventFlags.Hash, "hdel"u8);
        c.IntegerUnlessWrongType(s, removed);
    }

    [Command("hexists")] private static void HExists(CommandContext c)
        => c.OneIfFound(HashOps.Exists(c.Db, c[1], c[2]));

    [Command("hlen")] private static void HLen(CommandContext c)
        => c.IntegerUnlessWrongType(HashOps.Len(c.Db, c[1], out long length), length);

    [Command("hstrlen")] private static void HStrLen(CommandContext c)
        => c.IntegerUnlessWrongType(HashOps.StrLen(c.Db, c[1], c[2], out long length), length);

    [Command("hkeys")] private static void HKeys(CommandContext c) => GetAll(c, fields: true, values: false);

    [Command("hvals")] private static void HVals(CommandContext c) => GetAll(c, fields: false, values: true);

    [Command("hgetall")] private static void HGetAll(CommandContext c) => GetAll(c, fields: true, values: true);

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

    [Command("hincrby")] private static void HIncrBy(CommandContext c)
    {
        if (!c.Long(3, out long delta)) return;
        Status s = HashOps.IncrBy(c.Db, c[1], c[2], delta, out long value);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Hash, "hincrby"u8);
        if (s == Status.Ok) c.Writer.Integer(value);
        else if (s == Status.NotInteger) c.Writer.Error("ERR hash value is not an integer"u8);
        else c.Error(s);
    }

    [Command("hincrbyfloat")] private static void HIncrByFloat(CommandContext c)
    {
        if (!Numbers.ParseFloat(c[3], out double increment)) { c.Error(Status.NotFloat); return; }
        if (!double.IsFinite(increment)) { c.Writer.Error("ERR value is NaN or Infinity"u8); return; }
        Status s = HashOps.IncrByFloat(c.Db, c[1], c[2], c[3], increment, out ReadOnlySpan<byte> text);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Hash, "hincrbyfloat"u8);
        if (s == Status.Ok) c.Writer.Bulk(text);
        else if (s == Status.NotFloat) c.Writer.Error("ERR hash value is not a float"u8);
        else c.Error(s);
    }

    [Command("hrandfield")] private static void HRandField(CommandContext c)
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

    [Command("hscan")] private static void HScan(CommandContext c)
    {
        if (!ScanArgs.TryParseCursor(c, 2, out ulong cursor)) return;
        ScanArgs args = ScanArgs.Parse(c, 3);
        var entries = new List<HashEntry>();
        Status s = HashOps.Scan(c.Db, c[1], cursor, args.Count, args.Pattern(c), entries, out ulong next);
        if (s == Status.WrongType) { c.Error(s); return; }
        if (s == Status.Ok && args.ReplyError(c)) return;
        ScanArgs.BeginReply(c, next, entries.Count * 2L);
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
}

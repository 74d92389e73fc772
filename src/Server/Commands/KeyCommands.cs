using Tiered.Server.Admin;
using Tiered.Tiering.Types.Keys;

namespace Tiered.Server.Commands;

/// <summary>
/// Generic key commands (DEL EXISTS TYPE EXPIRE TTL RENAME KEYS SCAN OBJECT COPY ...) and the keyspace-wide server
/// commands (DBSIZE FLUSHDB FLUSHALL SWAPDB). Thin adapters: parse and validate the arguments, make one
/// <see cref="KeyOps"/> call, write the reply. Error texts are Redis 7.0's.
/// </summary>
public static class KeyCommands
{
    // KEYS and SCAN collect key references here while the lock is held; one list per thread, reused.
    [ThreadStatic] private static List<byte[]>? t_keys;

    [Command("expire")] private static void Expire(CommandContext c) => ExpireGeneric(c, seconds: true, relative: true);
    [Command("pexpire")] private static void PExpire(CommandContext c) => ExpireGeneric(c, seconds: false, relative: true);
    [Command("expireat")] private static void ExpireAt(CommandContext c) => ExpireGeneric(c, seconds: true, relative: false);
    [Command("pexpireat")] private static void PExpireAt(CommandContext c) => ExpireGeneric(c, seconds: false, relative: false);
    [Command("ttl")] private static void Ttl(CommandContext c) => Ttl(c, TtlForm.Seconds);
    [Command("pttl")] private static void PTtl(CommandContext c) => Ttl(c, TtlForm.Milliseconds);
    [Command("expiretime")] private static void ExpireTime(CommandContext c) => Ttl(c, TtlForm.UnixSeconds);
    [Command("pexpiretime")] private static void PExpireTime(CommandContext c) => Ttl(c, TtlForm.UnixMilliseconds);
    [Command("rename")] private static void Rename(CommandContext c) => Rename(c, nx: false);
    [Command("renamenx")] private static void RenameNx(CommandContext c) => Rename(c, nx: true);
    [Command("flushdb")] private static void FlushDb(CommandContext c) => Flush(c, all: false);
    [Command("flushall")] private static void FlushAll(CommandContext c) => Flush(c, all: true);

    [Command("del")] [Command("unlink")] private static void Del(CommandContext c)
    {
        Database db = c.Db;
        long n = 0;
        for (int i = 1; i < c.Count; i++)
        {
            if (!KeyOps.Delete(db, c[i])) continue;
            c.Notify(KeyspaceEventFlags.Generic, "del"u8, c[i]);
            n++;
        }
        c.Writer.Integer(n);
    }

    [Command("exists")] private static void Exists(CommandContext c) => CountKeys(c, KeyOps.Exists);

    [Command("touch")] private static void Touch(CommandContext c) => CountKeys(c, KeyOps.Touch);

    /// <summary>EXISTS, TOUCH: applies <paramref name="op"/> to every key argument and replies how many said yes.</summary>
    private static void CountKeys(CommandContext c, Func<Database, ReadOnlySpan<byte>, bool> op)
    {
        Database db = c.Db;
        long n = 0;
        for (int i = 1; i < c.Count; i++)
            if (op(db, c[i])) n++;
        c.Writer.Integer(n);
    }

    [Command("type")] private static void Type(CommandContext c) => c.Writer.Simple(KeyOps.TypeName(KeyOps.TypeOf(c.Db, c[1])));

    private static void ExpireGeneric(CommandContext c, bool seconds, bool relative)
    {
        UpdateCondition cond = UpdateCondition.None;
        for (int j = 3; j < c.Count; j++)
        {
            if (c.Is(j, "NX"u8)) cond |= UpdateCondition.Nx;
            else if (c.Is(j, "XX"u8)) cond |= UpdateCondition.Xx;
            else if (c.Is(j, "GT"u8)) cond |= UpdateCondition.Gt;
            else if (c.Is(j, "LT"u8)) cond |= UpdateCondition.Lt;
            else { c.Writer.Error("ERR Unsupported option " + c.Str(j)); return; }
        }
        if ((cond & UpdateCondition.Nx) != 0 && (cond & (UpdateCondition.Xx | UpdateCondition.Gt | UpdateCondition.Lt)) != 0)
        {
            c.Writer.Error("ERR NX and XX, GT or LT options at the same time are not compatible"u8);
            return;
        }
        if ((cond & (UpdateCondition.Gt | UpdateCondition.Lt)) == (UpdateCondition.Gt | UpdateCondition.Lt))
        {
            c.Writer.Error("ERR GT and LT options at the same time are not compatible"u8);
            return;
        }
        if (!c.Long(2, out long when)) return;
        if (!KeyOps.TryAbsoluteExpire(when, seconds, relative, c.Store.Clock.NowMs, out long abs))
        {
            c.Writer.Error("ERR invalid expire time in '" + c.Command.Name + "' command");
            return;
        }
        Status s = KeyOps.Expire(c.Db, c[1], abs, cond);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Generic, abs <= c.Store.Clock.NowMs ? "del"u8 : "expire"u8);
        c.Writer.Integer(s == Status.Ok ? 1 : 0);
    }

    private static void Ttl(CommandContext c, TtlForm form) => c.Writer.Integer(KeyOps.Ttl(c.Db, c[1], form));

    [Command("persist")] private static void Persist(CommandContext c)
    {
        bool removed = KeyOps.Persist(c.Db, c[1]);
        if (removed) c.Notify(KeyspaceEventFlags.Generic, "persist"u8);
        c.Writer.Integer(removed ? 1 : 0);
    }

    private static void Rename(CommandContext c, bool nx)
    {
        Status s = KeyOps.Rename(c.Db, c[1], c[2], nx);
        if (s == Status.Ok && !c[1].SequenceEqual(c[2]))
        {
            c.Notify(KeyspaceEventFlags.Generic, "rename_from"u8, c[1]);
            c.Notify(KeyspaceEventFlags.Generic, "rename_to"u8, c[2]);
        }
        if (s == Status.NotFound) c.Writer.Error("ERR no such key"u8);
        else if (nx) c.Writer.Integer(s == Status.Ok ? 1 : 0);
        else c.Writer.Ok();
    }

    [Command("move")] private static void Move(CommandContext c)
    {
        if (!c.TryLong(2, out long id) || id < int.MinValue || id > int.MaxValue) { c.Writer.Error("ERR value is not an integer or out of range"u8); return; }
        if (id < 0 || id >= c.Store.Databases.Length) { c.Writer.Error("ERR DB index is out of range"u8); return; }
        Database dst = c.Store.Databases[id];
        if (dst == c.Db) { c.Writer.Error("ERR source and destination objects are the same"u8); return; }
        bool moved = KeyOps.Move(c.Db, c[1], dst) == Status.Ok;
        if (moved)
        {
            c.Notify(KeyspaceEventFlags.Generic, "move_from"u8);
            c.Server.Notifications.Publish(KeyspaceEventFlags.Generic, "move_to"u8, dst.Id, c[1]);
        }
        c.Writer.Integer(moved ? 1 : 0);
    }

    [Command("copy")] private static void Copy(CommandContext c)
    {
        Database src = c.Db;
        Database dst = src;
        bool replace = false;
        for (int j = 3; j < c.Count; j++)
        {
            if (c.Is(j, "REPLACE"u8)) replace = true;
            else if (c.Is(j, "DB"u8) && j + 1 < c.Count)
            {
                if (!c.Long(j + 1, out long id)) return;
                if (id < 0 || id >= c.Store.Databases.Length) { c.Writer.Error("ERR DB index is out of range"u8); return; }
                dst = c.Store.Databases[id];
                j++;
            }
            else { c.SyntaxError(); return; }
        }
        if (src == dst && c[1].SequenceEqual(c[2]))
        {
            c.Writer.Error("ERR source and destination objects are the same"u8);
            return;
        }
        Status s = KeyOps.Copy(src, c[1], dst, c[2], replace);
        if (s == Status.Ok) c.Server.Notifications.Publish(KeyspaceEventFlags.Generic, "copy_to"u8, dst.Id, c[2]);
        if (s == Status.Ok) c.Writer.Integer(1);
        else if (s is Status.NotFound or Status.ConditionNotMet) c.Writer.Integer(0);
        else c.Error(s);
    }

    private static List<byte[]> RentKeyList() => t_keys ??= new List<byte[]>();

    private static void ReturnKeyList(List<byte[]> keys)
    {
        keys.Clear();
        if (keys.Capacity > 1 << 16) t_keys = null; // do not pin a huge array after one big KEYS
    }

    [Command("keys")] private static void Keys(CommandContext c)
    {
        List<byte[]> keys = RentKeyList();
        KeyOps.Keys(c.Db, c[1], keys);
        c.Writer.Array(keys.Count);
        foreach (byte[] k in keys) c.Writer.Bulk(k);
        ReturnKeyList(keys);
    }

    [Command("scan")] private static void Scan(CommandContext c)
    {
        if (!ScanArgs.TryParseCursor(c, 1, out ulong cursor)) return;
        ScanArgs args = ScanArgs.Parse(c, 2, allowType: true);
        if (args.ReplyError(c)) return;
        List<byte[]> keys = RentKeyList();
        ulong next = KeyOps.Scan(c.Db, cursor, args.Count, args.Pattern(c), args.FilterType, args.Type, keys);
        ScanArgs.BeginReply(c, next, keys.Count);
        foreach (byte[] k in keys) c.Writer.Bulk(k);
        ReturnKeyList(keys);
    }

    [Command("randomkey")] private static void RandomKey(CommandContext c)
    {
        byte[]? key = KeyOps.RandomKey(c.Db);
        if (key is null) c.Writer.Null();
        else c.Writer.Bulk(key);
    }

    [Command("dbsize")] private static void DbSize(CommandContext c) => c.Writer.Integer(KeyOps.Size(c.Db));

    private static void Flush(CommandContext c, bool all)
    {
        // ASYNC and SYNC are accepted; the flush is synchronous either way (dropping the arrays is cheap here).
        if (c.Count > 2 || c.Count == 2 && !c.Is(1, "SYNC"u8) && !c.Is(1, "ASYNC"u8)) { c.SyntaxError(); return; }
        if (all) KeyOps.FlushAll(c.Store);
        else KeyOps.Flush(c.Db);
        c.Writer.Ok();
    }

    [Command("swapdb")] private static void SwapDb(CommandContext c)
    {
        if (!c.TryLong(1, out long a) || a < int.MinValue || a > int.MaxValue) { c.Writer.Error("ERR invalid first DB index"u8); return; }
        if (!c.TryLong(2, out long b) || b < int.MinValue || b > int.MaxValue) { c.Writer.Error("ERR invalid second DB index"u8); return; }
        if (!KeyOps.SwapDb(c.Store, a, b)) { c.Writer.Error("ERR DB index is out of range"u8); return; }
        c.Writer.Ok();
    }

    [Command("object|encoding")] private static void ObjectEncoding(CommandContext c)
    {
        if (KeyOps.ObjectEncoding(c.Db, c[2], out string encoding)) c.Writer.Bulk(encoding);
        else c.Writer.Null();
    }

    [Command("object|freq")] private static void ObjectFreq(CommandContext c) => IntegerOrNull(c, KeyOps.ObjectFreq(c.Db, c[2], out int freq), freq);

    [Command("object|idletime")] private static void ObjectIdleTime(CommandContext c) => IntegerOrNull(c, KeyOps.ObjectIdleTime(c.Db, c[2], out long seconds), seconds);

    [Command("object|refcount")] private static void ObjectRefCount(CommandContext c) => IntegerOrNull(c, KeyOps.ObjectRefCount(c.Db, c[2], out int refCount), refCount);

    /// <summary>OBJECT's reply for a key's number: the integer, or nil when the key does not exist.</summary>
    private static void IntegerOrNull(CommandContext c, bool found, long value)
    {
        if (found) c.Writer.Integer(value);
        else c.Writer.Null();
    }
}

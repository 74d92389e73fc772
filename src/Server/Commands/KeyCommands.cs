using Tiered.Tiering.Types.Keys;

namespace Tiered.Server.Commands;

/// <summary>
/// Generic key commands (DEL EXISTS TYPE EXPIRE TTL RENAME KEYS SCAN OBJECT COPY ...) and the keyspace-wide server
/// commands (DBSIZE FLUSHDB FLUSHALL SWAPDB). Thin adapters: parse and validate the arguments, make one
/// <see cref="KeyOps"/> call, write the reply. Error texts are Redis 7.0's.
/// </summary>
public static class KeyCommands
{
    private const string Group = "generic";
    private const string ServerGroup = "server";

    // KEYS and SCAN collect key references here while the lock is held; one list per thread, reused.
    [ThreadStatic] private static List<byte[]>? t_keys;


    public static void Register(CommandTable t)
    {

        t.Add(new("del", -2, W, 1, -1, 1, Group, "Deletes one or more keys.", "1.0.0",
            "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", Del));
        t.Add(new("unlink", -2, WF, 1, -1, 1, Group, "Asynchronously deletes one or more keys.", "4.0.0",
            "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", Del));
        t.Add(new("exists", -2, RF, 1, -1, 1, Group, "Determines whether one or more keys exist.", "1.0.0",
            "O(N) where N is the number of keys to check.", Exists));
        t.Add(new("touch", -2, RF, 1, -1, 1, Group, "Returns the number of existing keys out of those specified after updating the time they were last accessed.", "3.2.1",
            "O(N) where N is the number of keys that will be touched.", Touch));
        t.Add(new("type", 2, RF, 1, 1, 1, Group, "Determines the type of value stored at a key.", "1.0.0", "O(1)", Type));

        t.Add(new("expire", -3, WF, 1, 1, 1, Group, "Sets the expiration time of a key in seconds.", "1.0.0", "O(1)", Expire));
        t.Add(new("pexpire", -3, WF, 1, 1, 1, Group, "Sets the expiration time of a key in milliseconds.", "2.6.0", "O(1)", PExpire));
        t.Add(new("expireat", -3, WF, 1, 1, 1, Group, "Sets the expiration time of a key to a Unix timestamp.", "1.2.0", "O(1)", ExpireAt));
        t.Add(new("pexpireat", -3, WF, 1, 1, 1, Group, "Sets the expiration time of a key to a Unix milliseconds timestamp.", "2.6.0", "O(1)", PExpireAt));
        t.Add(new("ttl", 2, RF, 1, 1, 1, Group, "Returns the expiration time in seconds of a key.", "1.0.0", "O(1)", Ttl));
        t.Add(new("pttl", 2, RF, 1, 1, 1, Group, "Returns the expiration time in milliseconds of a key.", "2.6.0", "O(1)", PTtl));
        t.Add(new("expiretime", 2, RF, 1, 1, 1, Group, "Returns the expiration time of a key as a Unix timestamp.", "7.0.0", "O(1)", ExpireTime));
        t.Add(new("pexpiretime", 2, RF, 1, 1, 1, Group, "Returns the expiration time of a key as a Unix milliseconds timestamp.", "7.0.0", "O(1)", PExpireTime));
        t.Add(new("persist", 2, WF, 1, 1, 1, Group, "Removes the expiration time of a key.", "2.2.0", "O(1)", Persist));

        t.Add(new("rename", 3, W, 1, 2, 1, Group, "Renames a key and overwrites the destination.", "1.0.0", "O(1)", Rename));
        t.Add(new("renamenx", 3, WF, 1, 2, 1, Group, "Renames a key only when the target key name doesn't exist.", "1.0.0", "O(1)", RenameNx));
        t.Add(new("move", 3, WF, 1, 1, 1, Group, "Moves a key to another database.", "1.0.0", "O(1)", Move));
        t.Add(new("copy", -3, W | CommandFlags.DenyOom, 1, 2, 1, Group, "Copies the value of a key to a new key.", "6.2.0",
            "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", Copy));

        t.Add(new("keys", 2, R, 0, 0, 0, Group, "Returns all key names that match a pattern.", "1.0.0",
            "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", Keys));
        t.Add(new("scan", -2, R, 0, 0, 0, Group, "Iterates over the key names in the database.", "2.8.0",
            "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", Scan));
        t.Add(new("randomkey", 1, R | CommandFlags.Random, 0, 0, 0, Group, "Returns a random key name from the database.", "1.0.0", "O(1)", RandomKey));

        CommandDef[] objectSubcommands =
        [
            new("encoding", 3, R, 2, 2, 1, Group, "Returns the internal encoding of a Redis object.", "2.2.3", "O(1)", ObjectEncoding) { Parent = "object" },
            new("freq", 3, R, 2, 2, 1, Group, "Returns the logarithmic access frequency counter of a Redis object.", "4.0.0", "O(1)", ObjectFreq) { Parent = "object" },
            new("idletime", 3, R, 2, 2, 1, Group, "Returns the time since the last access to a Redis object.", "2.2.3", "O(1)", ObjectIdleTime) { Parent = "object" },
            new("refcount", 3, R, 2, 2, 1, Group, "Returns the reference count of a value of a key.", "2.2.3", "O(1)", ObjectRefCount) { Parent = "object" },
            new("help", 2, CommandFlags.Loading | CommandFlags.Stale, 0, 0, 0, Group, "Returns helpful text about the different subcommands.", "6.2.0", "O(1)", ObjectHelp) { Parent = "object" },
        ];
        t.Add(new("object", -2, CommandFlags.None, 0, 0, 0, Group, "A container for object introspection commands.", "2.2.3", "Depends on subcommand.", Subcommands.Dispatch)
        {
            Subcommands = objectSubcommands,
        });

        t.Add(new("dbsize", 1, RF, 0, 0, 0, ServerGroup, "Returns the number of keys in the database.", "1.0.0", "O(1)", DbSize));
        t.Add(new("flushdb", -1, W, 0, 0, 0, ServerGroup, "Remove all keys from the current database.", "1.0.0",
            "O(N) where N is the number of keys in the selected database", FlushDb));
        t.Add(new("flushall", -1, W, 0, 0, 0, ServerGroup, "Removes all keys from all databases.", "1.0.0",
            "O(N) where N is the total number of keys in all databases", FlushAll));
        t.Add(new("swapdb", 3, WF, 0, 0, 0, ServerGroup, "Swaps two Redis databases.", "4.0.0",
            "O(N) where N is the count of clients watching or blocking on keys from both databases.", SwapDb));
    }

    private static void Expire(CommandContext c) => ExpireGeneric(c, seconds: true, relative: true);
    private static void PExpire(CommandContext c) => ExpireGeneric(c, seconds: false, relative: true);
    private static void ExpireAt(CommandContext c) => ExpireGeneric(c, seconds: true, relative: false);
    private static void PExpireAt(CommandContext c) => ExpireGeneric(c, seconds: false, relative: false);
    private static void Ttl(CommandContext c) => Ttl(c, TtlForm.Seconds);
    private static void PTtl(CommandContext c) => Ttl(c, TtlForm.Milliseconds);
    private static void ExpireTime(CommandContext c) => Ttl(c, TtlForm.UnixSeconds);
    private static void PExpireTime(CommandContext c) => Ttl(c, TtlForm.UnixMilliseconds);
    private static void Rename(CommandContext c) => Rename(c, nx: false);
    private static void RenameNx(CommandContext c) => Rename(c, nx: true);
    private static void FlushDb(CommandContext c) => Flush(c, all: false);
    private static void FlushAll(CommandContext c) => Flush(c, all: true);

    private static void Del(CommandContext c) => CountKeys(c, KeyOps.Delete);

    private static void Exists(CommandContext c) => CountKeys(c, KeyOps.Exists);

    private static void Touch(CommandContext c) => CountKeys(c, KeyOps.Touch);

    /// <summary>DEL, EXISTS, TOUCH: applies <paramref name="op"/> to every key argument and replies how many said yes.</summary>
    private static void CountKeys(CommandContext c, Func<Database, ReadOnlySpan<byte>, bool> op)
    {
        Database db = c.Db;
        long n = 0;
        for (int i = 1; i < c.Count; i++)
            if (op(db, c[i])) n++;
        c.Writer.Integer(n);
    }

    private static void Type(CommandContext c) => c.Writer.Simple(KeyOps.TypeName(KeyOps.TypeOf(c.Db, c[1])));

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
        c.Writer.Integer(s == Status.Ok ? 1 : 0);
    }

    private static void Ttl(CommandContext c, TtlForm form) => c.Writer.Integer(KeyOps.Ttl(c.Db, c[1], form));

    private static void Persist(CommandContext c) => c.Writer.Integer(KeyOps.Persist(c.Db, c[1]) ? 1 : 0);

    private static void Rename(CommandContext c, bool nx)
    {
        Status s = KeyOps.Rename(c.Db, c[1], c[2], nx);
        if (s == Status.NotFound) c.Writer.Error("ERR no such key"u8);
        else if (nx) c.Writer.Integer(s == Status.Ok ? 1 : 0);
        else c.Writer.Ok();
    }

    private static void Move(CommandContext c)
    {
        if (!c.TryLong(2, out long id) || id < int.MinValue || id > int.MaxValue) { c.Writer.Error("ERR value is not an integer or out of range"u8); return; }
        if (id < 0 || id >= c.Store.Databases.Length) { c.Writer.Error("ERR DB index is out of range"u8); return; }
        Database dst = c.Store.Databases[id];
        if (dst == c.Db) { c.Writer.Error("ERR source and destination objects are the same"u8); return; }
        c.Writer.Integer(KeyOps.Move(c.Db, c[1], dst) == Status.Ok ? 1 : 0);
    }

    private static void Copy(CommandContext c)
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

    private static void Keys(CommandContext c)
    {
        List<byte[]> keys = RentKeyList();
        KeyOps.Keys(c.Db, c[1], keys);
        c.Writer.Array(keys.Count);
        foreach (byte[] k in keys) c.Writer.Bulk(k);
        ReturnKeyList(keys);
    }

    private static void Scan(CommandContext c)
    {
        if (!System.Buffers.Text.Utf8Parser.TryParse(c[1], out ulong cursor, out int used) || used != c[1].Length)
        {
            c.Writer.Error("ERR invalid cursor"u8);
            return;
        }
        long count = 10;
        int patternArg = -1;
        bool filterType = false;
        ValueKind type = ValueKind.None;
        for (int i = 2; i < c.Count; i += 2)
        {
            bool hasValue = i + 1 < c.Count;
            if (c.Is(i, "COUNT"u8) && hasValue)
            {
                if (!c.Long(i + 1, out count)) return;
                if (count < 1) { c.SyntaxError(); return; }
            }
            else if (c.Is(i, "MATCH"u8) && hasValue) patternArg = i + 1;
            else if (c.Is(i, "TYPE"u8) && hasValue)
            {
                filterType = true;
                KeyOps.TryParseTypeName(c[i + 1], out type); // an unknown name matches no key (Redis 7.0)
            }
            else { c.SyntaxError(); return; }
        }
        List<byte[]> keys = RentKeyList();
        ulong next = KeyOps.Scan(c.Db, cursor, count, patternArg < 0 ? default : c[patternArg], filterType, type, keys);
        c.Writer.Array(2);
        c.Writer.BulkInteger((long)next);
        c.Writer.Array(keys.Count);
        foreach (byte[] k in keys) c.Writer.Bulk(k);
        ReturnKeyList(keys);
    }

    private static void RandomKey(CommandContext c)
    {
        byte[]? key = KeyOps.RandomKey(c.Db);
        if (key is null) c.Writer.Null();
        else c.Writer.Bulk(key);
    }

    private static void DbSize(CommandContext c) => c.Writer.Integer(KeyOps.Size(c.Db));

    private static void Flush(CommandContext c, bool all)
    {
        // ASYNC and SYNC are accepted; the flush is synchronous either way (dropping the arrays is cheap here).
        if (c.Count > 2 || c.Count == 2 && !c.Is(1, "SYNC"u8) && !c.Is(1, "ASYNC"u8)) { c.SyntaxError(); return; }
        if (all) KeyOps.FlushAll(c.Store);
        else KeyOps.Flush(c.Db);
        c.Writer.Ok();
    }

    private static void SwapDb(CommandContext c)
    {
        if (!c.TryLong(1, out long a) || a < int.MinValue || a > int.MaxValue) { c.Writer.Error("ERR invalid first DB index"u8); return; }
        if (!c.TryLong(2, out long b) || b < int.MinValue || b > int.MaxValue) { c.Writer.Error("ERR invalid second DB index"u8); return; }
        if (!KeyOps.SwapDb(c.Store, a, b)) { c.Writer.Error("ERR DB index is out of range"u8); return; }
        c.Writer.Ok();
    }

    private static void ObjectEncoding(CommandContext c)
    {
        if (KeyOps.ObjectEncoding(c.Db, c[2], out string encoding)) c.Writer.Bulk(encoding);
        else c.Writer.Null();
    }

    private static void ObjectFreq(CommandContext c) => IntegerOrNull(c, KeyOps.ObjectFreq(c.Db, c[2], out int freq), freq);

    private static void ObjectIdleTime(CommandContext c) => IntegerOrNull(c, KeyOps.ObjectIdleTime(c.Db, c[2], out long seconds), seconds);

    private static void ObjectRefCount(CommandContext c) => IntegerOrNull(c, KeyOps.ObjectRefCount(c.Db, c[2], out int refCount), refCount);

    /// <summary>OBJECT's reply for a key's number: the integer, or nil when the key does not exist.</summary>
    private static void IntegerOrNull(CommandContext c, bool found, long value)
    {
        if (found) c.Writer.Integer(value);
        else c.Writer.Null();
    }

    private static void ObjectHelp(CommandContext c) => Subcommands.Help(c, "OBJECT",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.");
}

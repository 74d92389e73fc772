using System.Globalization;
using Tiered.Tiering.Base;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Rdb;

namespace Tiered.Tiering.Replication;

// Why this file exists
// --------------------
// A replica follows its primary by running the commands the primary sends it, in the primary's order. Redis sends
// each write command as it ran, rewritten where running it again could decide differently (SPOP becomes SREM, EXPIRE
// becomes PEXPIREAT, XADD * gets its ID...). Tiered already writes down what each write decided: the journal's
// records are the key's new state (PUT, DEL) or the effect of a collection write (OP, Base/OpRecord.cs), normalized so
// replay decides nothing. So the replication stream is the log read as commands: each record becomes the Redis
// command that has the same effect, which any Redis replica (or a Tiered one) runs unchanged.
//
//   record                                  command sent
//   PUT string  k v (expire at t)            SET k v [PXAT t]
//   PUT object  k {...}                      RESTORE k t <DUMP payload> REPLACE ABSTTL   (t = 0: no expiry)
//   DEL k / EXPIRE k t                       DEL k / PEXPIREAT k t (PERSIST k when t = 0)
//   OP ListPushLeft a b / ListPushRight      LPUSH k a b / RPUSH k a b
//   OP ListPop left n / ListSet i v          LPOP k n (RPOP) / LSET k i v
//   OP ListRemove n v / ListKeep a b         LREM k n v / LTRIM k a b
//   OP ListRotate                            LMOVE k k LEFT RIGHT (or RIGHT LEFT)
//   OP HashSet / HashDelete                  HSET k f v ... / HDEL k f ...
//   OP SetAdd / SetRemove                    SADD / SREM
//   OP ZSetAdd (score, member)               ZADD k score member ...   (the resulting score, as 17 digits)
//   OP ZSetRemove / StreamAdd id f v         ZREM / XADD k ms-seq f v ...
//   OP StreamDelete                          XDEL k id ...
//   OP ListInsert, StreamTrimHead            the key's state after the command: RESTORE ... REPLACE (or DEL)
//   FLUSH db / all, SWAPDB a b               SELECT db, FLUSHDB / FLUSHALL, SWAPDB a b
//
// A command whose records make more than one command (MSET, EXEC, a script, LMOVE between two keys) is sent inside
// MULTI ... EXEC, so a replica applies it whole, as Redis sends a transaction or a script's effects. SELECT is sent
// when the database changes. Commands are handed over as argument arrays: framing them (RESP), the backlog and the
// replicas' sockets are the server's.
//
// Shared state rule: everything here runs under the store lock, from Journal.EndCommand.

/// <summary>Turns each command's journal records into the commands a replica runs (see the comment at the top).</summary>
public sealed class CommandFeed : IRecordObserver
{
    private readonly Store _store;
    private readonly Action<IReadOnlyList<byte[][]>> _emit;
    private readonly List<byte[][]> _commands = [];
    private readonly List<(int Db, byte[] Key)> _snapshots = [];
    private readonly OpArgs _op = new();
    private byte[] _scratch = [];
    private int _selected = -1;   // the database the stream's last SELECT chose

    /// <param name="emit">Receives each client command's replica commands, in order (an EXEC's come as one list).</param>
    public CommandFeed(Store store, Action<IReadOnlyList<byte[][]>> emit)
    {
        _store = store;
        _emit = emit;
    }

    /// <summary>The stream starts after a snapshot: the next command names its database first.</summary>
    public void ForgetSelectedDb() => _selected = -1;

    public void Record(RecordType type, byte flags, int db, long expireAt, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        switch (type)
        {
            case RecordType.Flush:
                if (db == ushort.MaxValue) Add(-1, "FLUSHALL"u8);
                else Add(db, "FLUSHDB"u8);
                return;
            case RecordType.SwapDb:
                Add(-1, "SWAPDB"u8, Digits(db), Digits(BinaryPrimitives.ReadUInt16LittleEndian(value)));
                return;
        }
        if (IsSnapshot(db, key)) return;   // its state after the command is sent instead
        switch (type)
        {
            case RecordType.Put:
                Put(db, (ValueKind)(flags & 0x0F), expireAt, key, value);
                break;
            case RecordType.Del:
                Add(db, "DEL"u8, key.ToArray());
                break;
            case RecordType.Expire:
                if (expireAt == 0) Add(db, "PERSIST"u8, key.ToArray());
                else Add(db, "PEXPIREAT"u8, key.ToArray(), Digits(expireAt));
                break;
            case RecordType.Op:
                if (!_op.TryParse(value) || !Op(db, key)) _snapshots.Add((db, key.ToArray()));
                break;
        }
    }

    public void EndCommand()
    {
        foreach ((int db, byte[] key) in _snapshots) State(db, key);
        _snapshots.Clear();
        int real = 0;
        foreach (byte[][] c in _commands)
            if (!IsSelect(c)) real++;
        if (real > 1)
        {
            _commands.Insert(0, [[.. "MULTI"u8]]);
            _commands.Add([[.. "EXEC"u8]]);
        }
        if (_commands.Count > 0) _emit(_commands.ToArray());
        _commands.Clear();
    }

    private static bool IsSelect(byte[][] c) => c.Length == 2 && c[0].AsSpan().SequenceEqual("SELECT"u8);

    private bool IsSnapshot(int db, ReadOnlySpan<byte> key)
    {
        foreach ((int d, byte[] k) in _snapshots)
            if (d == db && k.AsSpan().SequenceEqual(key)) return true;
        return false;
    }

    private void Put(int db, ValueKind kind, long expireAt, ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored)
    {
        if (kind == ValueKind.String)
        {
            byte[] v = StoredValue.DecodeString(stored, ref _scratch, 0).ToArray();
            if (expireAt == 0) Add(db, "SET"u8, key.ToArray(), v);
            else Add(db, "SET"u8, key.ToArray(), v, [.. "PXAT"u8], Digits(expireAt));
            return;
        }
        object value = StoredValue.Decode(stored, kind, 0);
        Restore(db, key.ToArray(), RdbPayload.Create(value), expireAt);
    }

    private void Restore(int db, byte[] key, byte[] payload, long expireAt)
        => Add(db, "RESTORE"u8, key, Digits(expireAt), payload, [.. "REPLACE"u8], [.. "ABSTTL"u8]);

    /// <summary>The key's state now (after the command): RESTORE of its value, or DEL when it is gone.</summary>
    private void State(int db, byte[] key)
    {
        Database d = _store.Databases[db];
        int i = d.Lookup(key, KeyIndex.Hash(key));
        byte[]? payload = DumpOps.Dump(d, key);
        if (i < 0 || payload is null) Add(db, "DEL"u8, key);
        else Restore(db, key, payload, d.Index.ExpireAt(i));
    }

    /// <summary>The command of one OP record (parsed in _op); false when none has its effect.</summary>
    private bool Op(int db, ReadOnlySpan<byte> keySpan)
    {
        byte[] key = keySpan.ToArray();
        switch (_op.Code)
        {
            case OpCode.ListPushLeft: Add(db, "LPUSH"u8, key, All(0)); return true;
            case OpCode.ListPushRight: Add(db, "RPUSH"u8, key, All(0)); return true;
            case OpCode.ListPop:
                Add(db, _op.Int(0) == 1 ? "LPOP"u8 : "RPOP"u8, key, Digits(_op.Int(1)));
                return true;
            case OpCode.ListSet: Add(db, "LSET"u8, key, Digits(_op.Int(0)), _op.Get(1).ToArray()); return true;
            case OpCode.ListRemove: Add(db, "LREM"u8, key, Digits(_op.Int(0)), _op.Get(1).ToArray()); return true;
            case OpCode.ListKeep: Add(db, "LTRIM"u8, key, Digits(_op.Int(0)), Digits(_op.Int(1))); return true;
            case OpCode.ListRotate:
                Add(db, "LMOVE"u8, key, key, _op.Int(0) == 1 ? [.. "LEFT"u8] : [.. "RIGHT"u8], _op.Int(0) == 1 ? [.. "RIGHT"u8] : [.. "LEFT"u8]);
                return true;
            case OpCode.HashSet: Add(db, "HSET"u8, key, All(0)); return true;
            case OpCode.HashDelete: Add(db, "HDEL"u8, key, All(0)); return true;
            case OpCode.SetAdd: Add(db, "SADD"u8, key, All(0)); return true;
            case OpCode.SetRemove: Add(db, "SREM"u8, key, All(0)); return true;
            case OpCode.ZSetRemove: Add(db, "ZREM"u8, key, All(0)); return true;
            case OpCode.ZSetAdd:
            {
                var args = new byte[_op.Count][];
                for (int i = 0; i + 1 < _op.Count; i += 2)
                {
                    args[i] = Score(_op.Double(i));
                    args[i + 1] = _op.Get(i + 1).ToArray();
                }
                Add(db, "ZADD"u8, key, args);
                return true;
            }
            case OpCode.StreamAdd:
            {
                var args = new byte[_op.Count][];
                args[0] = IdText(_op.Get(0));
                for (int i = 1; i < _op.Count; i++) args[i] = _op.Get(i).ToArray();
                Add(db, "XADD"u8, key, args);
                return true;
            }
            case OpCode.StreamDelete:
            {
                var ids = new byte[_op.Count][];
                for (int i = 0; i < _op.Count; i++) ids[i] = IdText(_op.Get(i));
                Add(db, "XDEL"u8, key, ids);
                return true;
            }
            default:
                return false;   // ListInsert (an index, not a pivot), StreamTrimHead (a count): the state is sent
        }
    }

    private byte[][] All(int from)
    {
        var args = new byte[_op.Count - from][];
        for (int i = from; i < _op.Count; i++) args[i - from] = _op.Get(i).ToArray();
        return args;
    }

    private static byte[] IdText(ReadOnlySpan<byte> id16)
        => System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{BinaryPrimitives.ReadUInt64LittleEndian(id16)}-{BinaryPrimitives.ReadUInt64LittleEndian(id16[8..])}"));

    private static byte[] Score(double d)
        => System.Text.Encoding.ASCII.GetBytes(double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf"
            : d.ToString("R", CultureInfo.InvariantCulture));

    private static byte[] Digits(long v) => System.Text.Encoding.ASCII.GetBytes(v.ToString(CultureInfo.InvariantCulture));

    private void Add(int db, ReadOnlySpan<byte> name, byte[] key, params byte[][] rest)
    {
        var argv = new byte[2 + rest.Length][];
        argv[0] = name.ToArray();
        argv[1] = key;
        rest.CopyTo(argv, 2);
        Select(db);
        _commands.Add(argv);
    }

    private void Add(int db, ReadOnlySpan<byte> name, byte[] a, byte[] b)
    {
        Select(db);
        _commands.Add([name.ToArray(), a, b]);
    }

    private void Add(int db, ReadOnlySpan<byte> name)
    {
        Select(db);
        _commands.Add([name.ToArray()]);
    }

    /// <summary>SELECT before a command of another database than the stream's (db -1: any database will do).</summary>
    private void Select(int db)
    {
        if (db < 0 || db == _selected) return;
        _commands.Add([[.. "SELECT"u8], Digits(db)]);
        _selected = db;
    }
}

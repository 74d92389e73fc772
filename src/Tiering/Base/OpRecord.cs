// Operation records: what a write to a collection puts in the log instead of the whole collection.
//
// Why operations, and why these. Logging a collection's resulting state after every write (a PUT of the whole value)
// costs the size of the collection per write: an RPUSH to a list of a million elements wrote the million elements
// again. An OP record carries only the effect of the write, so its size is the size of the command's arguments.
// The effect is recorded, not the command: what the command decided at run time is written down, so replay never
// decides anything again and gives the same result whatever the clock, the random generator or a blocked client:
//
//   command                          OP record (opcode: arguments)
//   RPUSH l a b                      ListPushRight: a b
//   LPOP l 3 / BLPOP l 0             ListPop: left=1 count=3        (the pop, not the block)
//   LINSERT l BEFORE p x             ListInsert: index=7 x          (the position the pivot was found at)
//   HINCRBYFLOAT h f 0.1             HashSet: f 10.6                (the result, not the increment)
//   SPOP s 2                         SetRemove: m1 m2               (the members the generator chose)
//   ZINCRBY z 5 m / ZADD z GT 1 m    ZSetAdd: score(8 B) m          (the resulting score, only if it changed)
//   XADD s MAXLEN ~ 1000 * f v       StreamAdd: id(16 B) f v; StreamTrimHead: 12 approx limit (the ID chosen, the trim made)
//
// Commands whose effect has no operation here (SORT ... STORE, ZUNIONSTORE, XREADGROUP's deliveries...) keep being
// logged as the key's resulting state (a PUT), which is always correct, only larger.
//
// Layout of an OP record's value (the record header carries key, db and the value's kind in its flags):
//
//   +--------+------------------------------+------------------------------+-----
//   | opcode | varint len | argument bytes  | varint len | argument bytes  | ...     to the end of the value
//   | 1 B    | 1-5 B      | len             |                              |
//   +--------+------------------------------+------------------------------+-----
//   integers are 8-byte little endian arguments, scores 8-byte IEEE doubles, stream IDs 16 bytes (ms, seq).
//
// A key's operations apply to the key's newest snapshot (PUT) before them in the log: the chain. Replay (Recovery)
// applies them in log order; compaction never drops a chain's snapshot without first writing a newer one
// (Compactor folds the chain), and demotion writes a snapshot before a chained value leaves DRAM.


namespace Tiered.Tiering.Base;

/// <summary>The effect an OP record applies to its key's value (see the file's header). Values are stored: never renumber.</summary>
public enum OpCode : byte
{
    /// <summary>Elements pushed at the head, in argument order (LPUSH a b c leaves c b a).</summary>
    ListPushLeft = 1,
    /// <summary>Elements pushed at the tail, in argument order.</summary>
    ListPushRight = 2,
    /// <summary>Pops: left (1) or right (0), count.</summary>
    ListPop = 3,
    /// <summary>Replaces the element at an index (0-based from the head).</summary>
    ListSet = 4,
    /// <summary>Inserts an element at an index (0-based from the head).</summary>
    ListInsert = 5,
    /// <summary>Removes up to |count| elements equal to the argument (LREM's rule).</summary>
    ListRemove = 6,
    /// <summary>Keeps elements from..to inclusive (already clamped); an empty list when from &gt; to.</summary>
    ListKeep = 7,
    /// <summary>Moves the head to the tail (1) or the tail to the head (0).</summary>
    ListRotate = 8,

    /// <summary>Field/value pairs set.</summary>
    HashSet = 16,
    /// <summary>Fields removed.</summary>
    HashDelete = 17,

    /// <summary>Members added.</summary>
    SetAdd = 32,
    /// <summary>Members removed.</summary>
    SetRemove = 33,

    /// <summary>(score, member) pairs: each member's resulting score (inserted or updated).</summary>
    ZSetAdd = 48,
    /// <summary>Members removed.</summary>
    ZSetRemove = 49,

    /// <summary>An entry appended: its ID, then its field/value strings.</summary>
    StreamAdd = 64,
    /// <summary>Entries deleted by ID.</summary>
    StreamDelete = 65,
    /// <summary>A head trim: entries to remove, approximate (1/0), limit (StreamValue.TrimHead's arguments).</summary>
    StreamTrimHead = 66,
}

/// <summary>
/// The arguments of one OP record's value, parsed once into offsets (replay and the replication stream read them).
/// Never throws on damaged input: <see cref="TryParse"/> returns false.
/// </summary>
public sealed class OpArgs : IByteStrings
{
    private (int Offset, int Length)[] _args = new (int, int)[8];
    private byte[] _data = [];

    /// <summary>The operation.</summary>
    public OpCode Code { get; private set; }

    /// <summary>Number of arguments.</summary>
    public int Count { get; private set; }

    /// <summary>Argument <paramref name="i"/>'s bytes.</summary>
    public ReadOnlySpan<byte> Get(int i) => _data.AsSpan(_args[i].Offset, _args[i].Length);

    /// <summary>Argument <paramref name="i"/> as an 8-byte integer (0 when it is not 8 bytes long).</summary>
    public long Int(int i)
    {
        ReadOnlySpan<byte> a = Get(i);
        return a.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(a) : 0;
    }

    /// <summary>Argument <paramref name="i"/> as an 8-byte double.</summary>
    public double Double(int i) => BitConverter.Int64BitsToDouble(Int(i));

    /// <summary>Removes every argument from <paramref name="members"/> (the replay of HDEL, SREM, ZREM); always true.</summary>
    public bool RemoveEachFrom(IRemovableMembers members)
    {
        for (int i = 0; i < Count; i++) members.Remove(Get(i));
        return true;
    }

    /// <summary>Parses an OP record's value (a copy is kept). False when it is not well formed.</summary>
    public bool TryParse(ReadOnlySpan<byte> value)
    {
        Count = 0;
        if (value.IsEmpty) return false;
        if (_data.Length < value.Length) _data = new byte[Math.Max(value.Length, _data.Length * 2)];
        value.CopyTo(_data);
        Code = (OpCode)value[0];
        int pos = 1;
        while (pos < value.Length)
        {
            if (!Varint.TryReadBytes(value, ref pos, out ReadOnlySpan<byte> arg)) return false;
            if (Count == _args.Length) Array.Resize(ref _args, _args.Length * 2);
            _args[Count++] = (pos - arg.Length, arg.Length);
        }
        return true;
    }
}

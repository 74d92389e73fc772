// One record of the engine's log: the unit the value log stores and the write log replays.
//
// Why one self-contained record format. The same log holds cold values (PUT), the write log's mutations (DEL,
// EXPIRE, OP...) and, later, the replication stream (docs/design-tiering-and-durability.md). Every consumer reads
// the record by itself, without the index: a cold read checks that the record holds the key it looked for (two keys
// with the same 48-bit index hash still get the right answer), compaction finds the record's index entry through its key,
// recovery replays it, a replica turns it into a command. So each record carries its type, database, absolute
// expiry time, full key and value, and a checksum.
//
//   +-------+------+-------+------+-----------+--------+--------+-----------+-----------+--------+
//   | magic | type | flags | db   | expire at | keylen | vallen | key bytes | value     | crc32  |
//   | 1 B   | 1 B  | 1 B   | 2 B  | 8 B (ms)  | 4 B    | 4 B    | keylen    | vallen    | 4 B    |
//   +-------+------+-------+------+-----------+--------+--------+-----------+-----------+--------+
//   0       1      2       3      5           13       17       21                      Size - 4
//   all integers little endian; expire at is Unix time in ms, 0 = no expiry; db is 0..65535.
//   flags: bits 0-3 the value's kind (PUT, OP), 0x10 more parts follow, 0x20 continues the part before,
//          0x40 internal (demotion, compaction), 0x80 last record of a command.
//
// A PUT larger than one record (a log page) is split over consecutive records with the same type, db, expiry and
// key, each carrying a slice of the value (ValueLog.AppendPut):
//
//   | PUT more        | PUT more|continued | ... | PUT continued (end) |
//     value[0..n)       value[n..2n)               value[..len)
//
// The parts are contiguous (every appender holds the store lock), the first part's address names the value, and a
// reader concatenates the slices before decoding. A continued part without its first (the head of the log was
// truncated between parts) is garbage.
//
// Why the CRC covers everything. A torn tail (power loss mid-write) or a flipped bit anywhere, header included,
// fails it; recovery cuts the log there. It is CRC-32 (IEEE, System.IO.Hashing, as ValueFormat uses), not CRC-32C:
// the project already depends on it, it is vectorized, and the choice of polynomial does not change what is caught.
//
// Robustness. Records come back from disk, so TryRead treats its input as untrusted: wrong magic, an unknown type,
// lengths that disagree with the record's size (computed in 64 bits, so huge lengths cannot wrap) or a CRC mismatch
// all return false. It never throws and never reads outside the span.

using System.IO.Hashing;

namespace Tiered.Tiering.Cold;

/// <summary>What a log record means (see docs/design-tiering-and-durability.md).</summary>
public enum RecordType : byte
{
    /// <summary>The key's whole value (a string, or a ValueFormat snapshot of an object), LZ4-encoded by ValueCodec.</summary>
    Put = 1,
    /// <summary>The key was deleted.</summary>
    Del = 2,
    /// <summary>The key's expiry changed to ExpireAt (0: persisted).</summary>
    Expire = 3,
    /// <summary>A write to a collection: its effect (Base/OpRecord.cs), applied to the key's newest PUT before it.</summary>
    Op = 4,
    /// <summary>The database (or all of them) was emptied.</summary>
    Flush = 5,
    /// <summary>Two databases were swapped.</summary>
    SwapDb = 6,
    /// <summary>A checkpoint's file became usable.</summary>
    CheckpointMark = 7,
}

/// <summary>
/// Encodes and checks log records (layout at the top of this file). Static, allocation-free, thread-safe.
/// </summary>
public static class LogRecord
{
    /// <summary>First byte of every record.</summary>
    public const byte Magic = 0xA7;

    /// <summary>Bytes before the key: magic, type, flags, db, expire at, key length, value length.</summary>
    public const int HeaderSize = 21;

    /// <summary>Bytes after the value: the CRC.</summary>
    public const int TrailerSize = 4;

    /// <summary>Size of a record with an empty key and value.</summary>
    public const int Overhead = HeaderSize + TrailerSize;

    /// <summary>Flags bits 0-3 of PUT and OP records: the value's kind (ValueKind).</summary>
    public const byte KindMask = 0x0F;

    /// <summary>Flags bit of a PUT part: another part of the same value follows (see the layout above).</summary>
    public const byte FlagMore = 0x10;

    /// <summary>Flags bit of a PUT part: it continues the value of the part before it.</summary>
    public const byte FlagContinued = 0x20;

    /// <summary>Both part bits: a record with either is one part of a value split over several records.</summary>
    public const byte PartMask = FlagMore | FlagContinued;

    /// <summary>
    /// Flags bit: written by the engine itself (a demotion's snapshot, a compaction's copy, a folded chain), not by a
    /// client's write. Recovery replays it like any record; a replication stream skips it.
    /// </summary>
    public const byte FlagInternal = 0x40;

    /// <summary>
    /// Flags bit: the last record of one command (or of one EXEC): a reader that applies whole commands, like a
    /// replica, applies the records up to and including this one together. Internal records carry it too.
    /// </summary>
    public const byte FlagEnd = 0x80;

    private const int TypeOffset = 1, FlagsOffset = 2, DbOffset = 3, ExpireOffset = 5, KeyLenOffset = 13, ValLenOffset = 17;

    /// <summary>Size in bytes of a record with a key of <paramref name="keyLength"/> and a value of <paramref name="valueLength"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A length is negative or the record would exceed int.MaxValue bytes.</exception>
    public static int Size(int keyLength, int valueLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keyLength);
        ArgumentOutOfRangeException.ThrowIfNegative(valueLength);
        long size = (long)Overhead + keyLength + valueLength;
        if (size > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(valueLength), "record larger than 2 GB");
        return (int)size;
    }

    /// <summary>
    /// Writes one record into <paramref name="dest"/> and returns its size (<see cref="Size"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown type, db outside 0..65535, or a negative expire time.</exception>
    /// <exception cref="ArgumentException"><paramref name="dest"/> is shorter than the record.</exception>
    public static int Write(Span<byte> dest, RecordType type, byte flags, int db, long expireAt,
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (type is < RecordType.Put or > RecordType.CheckpointMark) throw new ArgumentOutOfRangeException(nameof(type));
        if ((uint)db > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(db));
        ArgumentOutOfRangeException.ThrowIfNegative(expireAt);
        int size = Size(key.Length, value.Length);
        if (dest.Length < size) throw new ArgumentException($"Destination has {dest.Length} bytes; the record needs {size}.", nameof(dest));

        dest[0] = Magic;
        dest[TypeOffset] = (byte)type;
        dest[FlagsOffset] = flags;
        BinaryPrimitives.WriteUInt16LittleEndian(dest[DbOffset..], (ushort)db);
        BinaryPrimitives.WriteInt64LittleEndian(dest[ExpireOffset..], expireAt);
        BinaryPrimitives.WriteInt32LittleEndian(dest[KeyLenOffset..], key.Length);
        BinaryPrimitives.WriteInt32LittleEndian(dest[ValLenOffset..], value.Length);
        key.CopyTo(dest[HeaderSize..]);
        value.CopyTo(dest[(HeaderSize + key.Length)..]);
        int body = size - TrailerSize;
        BinaryPrimitives.WriteUInt32LittleEndian(dest[body..], Crc32.HashToUInt32(dest[..body]));
        return size;
    }

    /// <summary>
    /// Checks <paramref name="record"/> (exactly one record: magic, known type, lengths that add up to its size, CRC)
    /// and exposes its fields. False on anything wrong; never throws.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out RecordView view)
    {
        view = default;
        if (record.Length < Overhead || record[0] != Magic) return false;
        byte type = record[TypeOffset];
        if (type is < (byte)RecordType.Put or > (byte)RecordType.CheckpointMark) return false;
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(record[KeyLenOffset..]);
        int valueLength = BinaryPrimitives.ReadInt32LittleEndian(record[ValLenOffset..]);
        if (keyLength < 0 || valueLength < 0 || (long)Overhead + keyLength + valueLength != record.Length) return false;
        long expireAt = BinaryPrimitives.ReadInt64LittleEndian(record[ExpireOffset..]);
        if (expireAt < 0) return false;
        int body = record.Length - TrailerSize;
        if (Crc32.HashToUInt32(record[..body]) != BinaryPrimitives.ReadUInt32LittleEndian(record[body..])) return false;

        view = new RecordView(
            (RecordType)type, record[FlagsOffset], BinaryPrimitives.ReadUInt16LittleEndian(record[DbOffset..]), expireAt,
            record.Slice(HeaderSize, keyLength), record.Slice(HeaderSize + keyLength, valueLength));
        return true;
    }

    /// <summary>The fields of a checked record; the spans point into the record's bytes.</summary>
    /// <param name="Type">The record's type.</param>
    /// <param name="Flags">Type-specific flags (meaning defined by the writer).</param>
    /// <param name="Db">Database number.</param>
    /// <param name="ExpireAt">Absolute expiry, Unix time in ms; 0 = none.</param>
    /// <param name="Key">The key's bytes.</param>
    /// <param name="Value">The value's bytes (meaning depends on <paramref name="Type"/>).</param>
    public readonly ref struct RecordView(RecordType Type, byte Flags, int Db, long ExpireAt, ReadOnlySpan<byte> Key, ReadOnlySpan<byte> Value)
    {
        public RecordType Type { get; } = Type;
        public byte Flags { get; } = Flags;
        public int Db { get; } = Db;
        public long ExpireAt { get; } = ExpireAt;
        public ReadOnlySpan<byte> Key { get; } = Key;
        public ReadOnlySpan<byte> Value { get; } = Value;

        /// <summary>Total size of the record.</summary>
        public int Size => Overhead + Key.Length + Value.Length;
    }
}

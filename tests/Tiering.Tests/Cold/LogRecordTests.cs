using System.Buffers.Binary;
using Tiered.Tiering.Cold;

namespace Tiered.Tiering.Tests.Cold;

public sealed class LogRecordTests
{
    private static byte[] Bytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static byte[] Build(RecordType type, byte flags, int db, long expireAt, byte[] key, byte[] value)
    {
        var record = new byte[LogRecord.Size(key.Length, value.Length)];
        Assert.Equal(record.Length, LogRecord.Write(record, type, flags, db, expireAt, key, value));
        return record;
    }

    [Theory]
    [InlineData(RecordType.Put, 0, 0, 0L, 5, 1000)]
    [InlineData(RecordType.Del, 3, 15, 0L, 12, 0)]
    [InlineData(RecordType.Expire, 0, 65535, 1_900_000_000_000L, 1, 0)]
    [InlineData(RecordType.Op, 255, 7, 42L, 300, 70_000)]
    [InlineData(RecordType.Flush, 1, 2, 0L, 0, 0)]
    [InlineData(RecordType.SwapDb, 0, 1, 0L, 0, 8)]
    [InlineData(RecordType.CheckpointMark, 0, 0, 0L, 0, 16)]
    public void WrittenRecordReadsBackWithEveryField(RecordType type, byte flags, int db, long expireAt, int keyLength, int valueLength)
    {
        byte[] key = Bytes(keyLength, 1), value = Bytes(valueLength, 2);
        byte[] record = Build(type, flags, db, expireAt, key, value);

        Assert.Equal(LogRecord.Overhead + keyLength + valueLength, record.Length);
        Assert.True(LogRecord.TryRead(record, out var view));
        Assert.Equal(type, view.Type);
        Assert.Equal(flags, view.Flags);
        Assert.Equal(db, view.Db);
        Assert.Equal(expireAt, view.ExpireAt);
        Assert.True(view.Key.SequenceEqual(key));
        Assert.True(view.Value.SequenceEqual(value));
        Assert.Equal(record.Length, view.Size);
    }

    [Fact]
    public void HeaderFieldsAreLittleEndianAtTheDocumentedOffsets()
    {
        byte[] record = Build(RecordType.Put, 0x5A, 0x0102, 0x0A0B0C0D0E0F, [0xEE, 0xEF], [0x11]);
        Assert.Equal(LogRecord.Magic, record[0]);
        Assert.Equal((byte)RecordType.Put, record[1]);
        Assert.Equal(0x5A, record[2]);
        Assert.Equal(0x0102, BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(3)));
        Assert.Equal(0x0A0B0C0D0E0FL, BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(5)));
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(13)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(17)));
        Assert.Equal(new byte[] { 0xEE, 0xEF, 0x11 }, record[21..24]);
        Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(record.AsSpan(0, 24)), BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(24)));
    }

    [Fact]
    public void FlippingAnySingleByteMakesTheRecordInvalid()
    {
        byte[] record = Build(RecordType.Put, 1, 3, 123_456, Bytes(10, 3), Bytes(200, 4));
        foreach (byte mask in new byte[] { 0x01, 0x80, 0xFF })
        {
            for (int i = 0; i < record.Length; i++)
            {
                record[i] ^= mask;
                Assert.False(LogRecord.TryRead(record, out _), $"byte {i} xor 0x{mask:x2} went undetected");
                record[i] ^= mask;
            }
        }
        Assert.True(LogRecord.TryRead(record, out _));
    }

    [Fact]
    public void TruncatedOrExtendedRecordIsInvalid()
    {
        byte[] record = Build(RecordType.Put, 0, 0, 0, Bytes(8, 5), Bytes(64, 6));
        for (int n = 0; n < record.Length; n++) Assert.False(LogRecord.TryRead(record.AsSpan(0, n), out _), $"prefix of {n} bytes");
        var longer = new byte[record.Length + 4];
        record.CopyTo(longer, 0);
        Assert.False(LogRecord.TryRead(longer, out _));
    }

    [Fact]
    public void GarbageNeverThrowsAndIsNeverAccepted()
    {
        var random = new Random(7);
        var buffer = new byte[512];
        for (int i = 0; i < 200_000; i++)
        {
            int length = random.Next(buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 2 == 0 && length > 0) buffer[0] = LogRecord.Magic;
            if (i % 4 == 0 && length > 1) buffer[1] = (byte)RecordType.Put;
            Assert.False(LogRecord.TryRead(buffer.AsSpan(0, length), out _));
        }
    }

    [Theory]
    [InlineData(int.MaxValue, 0)]
    [InlineData(0, int.MaxValue)]
    [InlineData(int.MaxValue, int.MaxValue)]
    [InlineData(-1, 5)]
    [InlineData(4, -5)]
    public void HostileLengthsAreRejectedWithoutOverflow(int keyLength, int valueLength)
    {
        byte[] record = Build(RecordType.Put, 0, 0, 0, Bytes(4, 8), Bytes(4, 9));
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(13), keyLength);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(17), valueLength);
        Assert.False(LogRecord.TryRead(record, out _));
    }

    [Fact]
    public void WriteRefusesBadArgumentsBeforeTouchingTheDestination()
    {
        var dest = new byte[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => LogRecord.Write(dest, 0, 0, 0, 0, [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogRecord.Write(dest, (RecordType)8, 0, 0, 0, [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogRecord.Write(dest, RecordType.Put, 0, 65536, 0, [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogRecord.Write(dest, RecordType.Put, 0, -1, 0, [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogRecord.Write(dest, RecordType.Put, 0, 0, -1, [], []));
        Assert.Throws<ArgumentException>(() => LogRecord.Write(dest, RecordType.Put, 0, 0, 0, new byte[30], new byte[30]));
        Assert.All(dest, b => Assert.Equal(0, b));
    }
}

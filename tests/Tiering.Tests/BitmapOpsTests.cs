using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Types.Bitmaps;
using Tiered.Tiering.Types.Blooms;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class BitmapOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private byte[] Raw(string key) => StringOps.Get(Db, B(key), out ReadOnlySpan<byte> v) == Status.Ok ? v.ToArray() : [];

    private readonly struct Keys(params string[] keys) : IByteStrings
    {
        public int Count => keys.Length;
        public ReadOnlySpan<byte> Get(int i) => Encoding.UTF8.GetBytes(keys[i]);
    }

    [Fact]
    public void SetBitGrowsTheStringWithZeroBytesAndReturnsTheOldBit()
    {
        Assert.Equal(Status.Ok, BitmapOps.SetBit(Db, B("k"), 17, 1, out int old, out _));
        Assert.Equal(0, old);
        Assert.Equal(new byte[] { 0, 0, 0x40 }, Raw("k"));
        Assert.Equal(Status.Ok, BitmapOps.SetBit(Db, B("k"), 17, 0, out old, out _));
        Assert.Equal(1, old);
        Assert.Equal(new byte[] { 0, 0, 0 }, Raw("k"));
        BitmapOps.SetBit(Db, B("k"), 0, 1, out _, out _);
        Assert.Equal(0x80, Raw("k")[0]);
    }

    [Fact]
    public void SetBitKeepsTheTtlAndAccountsTheGrowth()
    {
        BitmapOps.SetBit(Db, B("k"), 0, 1, out _, out _);
        int i = Db.Lookup(B("k"), KeyIndex.Hash(B("k")));
        Db.SetExpire(i, _store.Clock.NowMs + 100_000);
        long before = _store.UsedMemory;
        BitmapOps.SetBit(Db, B("k"), 8 * 99, 1, out _, out _);
        Assert.Equal(before + 99, _store.UsedMemory);
        Assert.NotEqual(0, Db.Index.ExpireAt(Db.Lookup(B("k"), KeyIndex.Hash(B("k")))));
    }

    [Fact]
    public void GetBitReadsZeroPastTheEndAndRejectsOtherTypes()
    {
        StringOps.Set(Db, B("k"), [0b1010_0000]);
        Assert.Equal(Status.Ok, BitmapOps.GetBit(Db, B("k"), 0, out int b));
        Assert.Equal(1, b);
        BitmapOps.GetBit(Db, B("k"), 1, out b);
        Assert.Equal(0, b);
        BitmapOps.GetBit(Db, B("k"), 2, out b);
        Assert.Equal(1, b);
        BitmapOps.GetBit(Db, B("k"), 1000, out b);
        Assert.Equal(0, b);
        Assert.Equal(Status.NotFound, BitmapOps.GetBit(Db, B("missing"), 3, out _));
        BloomOps.Reserve(Db, B("bf"), 0.01, 10, 2, false);
        Assert.Equal(Status.WrongType, BitmapOps.GetBit(Db, B("bf"), 3, out _));
        Assert.Equal(Status.WrongType, BitmapOps.SetBit(Db, B("bf"), 3, 1, out _, out _));
    }

    [Theory]
    [InlineData(0, -1, false, 26)]
    [InlineData(1, 1, false, 6)]
    [InlineData(5, 30, true, 17)]
    [InlineData(-3, -1, false, 10)]
    [InlineData(-1, -3, false, 0)]
    [InlineData(100, 200, false, 0)]
    [InlineData(0, 0, true, 0)]
    [InlineData(1, 1, true, 1)]
    public void BitCountFollowsRedisRangeRules(long start, long end, bool bitUnit, long expected)
    {
        // "foobar": the BITCOUNT example from the Redis docs (26 bits; byte 1 'o' has 6; bits 5..30 have 17).
        Assert.Equal(expected, BitmapOps.CountBits(B("foobar"), start, end, bitUnit));
    }

    [Fact]
    public void PopCountCountsWordsAndTail()
    {
        var data = new byte[21];
        Array.Fill(data, (byte)0xFF);
        data[20] = 0x01;
        Assert.Equal(161, BitmapOps.PopCount(data));
    }

    [Fact]
    public void FindBitFollowsRedisEdgeRules()
    {
        byte[] s = [0xFF, 0xF0, 0x00];
        Assert.Equal(12, BitmapOps.FindBit(s, 0, false, 0, false, 0, false));
        Assert.Equal(0, BitmapOps.FindBit(s, 1, false, 0, false, 0, false));
        Assert.Equal(8, BitmapOps.FindBit(s, 1, true, 1, false, 0, false));
        Assert.Equal(-1, BitmapOps.FindBit(s, 1, true, 2, false, 0, false));
        Assert.Equal(9, BitmapOps.FindBit(s, 1, true, 9, false, 0, true));
        Assert.Equal(12, BitmapOps.FindBit(s, 0, true, 7, true, 15, true));
        // All ones: looking for 0 without an end answers the first bit past the string; with an end, -1.
        byte[] ones = [0xFF, 0xFF, 0xFF];
        Assert.Equal(24, BitmapOps.FindBit(ones, 0, false, 0, false, 0, false));
        Assert.Equal(24, BitmapOps.FindBit(ones, 0, true, 0, false, 0, false));
        Assert.Equal(-1, BitmapOps.FindBit(ones, 0, true, 0, true, -1, false));
        Assert.Equal(-1, BitmapOps.FindBit(ones, 0, true, 3, true, 10, true));
        Assert.Equal(-1, BitmapOps.FindBit([], 0, false, 0, false, 0, false));
        Assert.Equal(-1, BitmapOps.FindBit(s, 1, true, 2, true, 1, false));
        // Long runs go through the vectorised skip.
        var big = new byte[1000];
        big[777] = 0x01;
        Assert.Equal(777 * 8 + 7, BitmapOps.FindBit(big, 1, false, 0, false, 0, false));
    }

    [Fact]
    public void BitOpCombinesWithZeroPaddingAndOverwritesDestination()
    {
        StringOps.Set(Db, B("a"), [0xF0, 0x0F, 0xFF]);
        StringOps.Set(Db, B("b"), [0xFF]);
        Assert.Equal(Status.Ok, BitmapOps.BitOp(Db, BitOperation.And, B("d"), new Keys("a", "b"), out long len));
        Assert.Equal(3, len);
        Assert.Equal(new byte[] { 0xF0, 0, 0 }, Raw("d"));
        BitmapOps.BitOp(Db, BitOperation.Or, B("d"), new Keys("a", "b", "missing"), out _);
        Assert.Equal(new byte[] { 0xFF, 0x0F, 0xFF }, Raw("d"));
        BitmapOps.BitOp(Db, BitOperation.Xor, B("d"), new Keys("a", "b"), out _);
        Assert.Equal(new byte[] { 0x0F, 0x0F, 0xFF }, Raw("d"));
        BitmapOps.BitOp(Db, BitOperation.Not, B("d"), new Keys("a"), out _);
        Assert.Equal(new byte[] { 0x0F, 0xF0, 0x00 }, Raw("d"));
        var big = new byte[37];
        Array.Fill(big, (byte)0x5A);
        StringOps.Set(Db, B("big"), big);
        BitmapOps.BitOp(Db, BitOperation.Not, B("d"), new Keys("big"), out len);
        Assert.Equal(37, len);
        Assert.All(Raw("d"), x => Assert.Equal(0xA5, x));
    }

    [Fact]
    public void BitOpWithOnlyEmptySourcesDeletesTheDestination()
    {
        StringOps.Set(Db, B("d"), B("x"));
        Assert.Equal(Status.Ok, BitmapOps.BitOp(Db, BitOperation.Or, B("d"), new Keys("m1", "m2"), out long len));
        Assert.Equal(0, len);
        Assert.Equal(ValueKind.None, KeyOps.TypeOf(Db, B("d")));
    }

    [Fact]
    public void BitOpWithANonStringSourceWritesNothing()
    {
        BloomOps.Reserve(Db, B("bf"), 0.01, 10, 2, false);
        StringOps.Set(Db, B("a"), B("x"));
        Assert.Equal(Status.WrongType, BitmapOps.BitOp(Db, BitOperation.Or, B("d"), new Keys("a", "bf"), out _));
        Assert.Equal(ValueKind.None, KeyOps.TypeOf(Db, B("d")));
    }

    private static BitFieldOp Op(BitFieldAction a, string type, long offset, long value = 0, BitFieldOverflow o = BitFieldOverflow.Wrap)
        => new() { Action = a, Signed = type[0] == 'i', Bits = int.Parse(type[1..]), Offset = offset, Value = value, Overflow = o };

    private (long[] r, bool[] nil) Field(string key, params BitFieldOp[] ops)
    {
        var r = new long[ops.Length];
        var nil = new bool[ops.Length];
        Assert.Equal(Status.Ok, BitmapOps.BitField(Db, B(key), ops, r, nil));
        return (r, nil);
    }

    [Fact]
    public void BitFieldSetGetAndIncrByUseBigEndianFields()
    {
        var (r, _) = Field("k", Op(BitFieldAction.Set, "u8", 0, 255), Op(BitFieldAction.Get, "u4", 0), Op(BitFieldAction.Get, "i8", 0),
            Op(BitFieldAction.IncrBy, "u4", 4, 1), Op(BitFieldAction.Get, "u8", 0));
        Assert.Equal(new long[] { 0, 15, -1, 0, 0xF0 }, r);
        Assert.Equal(new byte[] { 0xF0 }, Raw("k"));
        (r, _) = Field("k", Op(BitFieldAction.Set, "i64", 8, long.MinValue), Op(BitFieldAction.Get, "i64", 8), Op(BitFieldAction.Get, "u63", 9));
        Assert.Equal(long.MinValue, r[1]);
        Assert.Equal(0, r[2]);
        Assert.Equal(9, Raw("k").Length);
    }

    [Fact]
    public void BitFieldOverflowModesMatchRedis()
    {
        var (r, nil) = Field("k",
            Op(BitFieldAction.IncrBy, "u2", 100, 1), Op(BitFieldAction.IncrBy, "u2", 100, 1), Op(BitFieldAction.IncrBy, "u2", 100, 1),
            Op(BitFieldAction.IncrBy, "u2", 100, 1));
        Assert.Equal(new long[] { 1, 2, 3, 0 }, r);
        (r, nil) = Field("s", Op(BitFieldAction.IncrBy, "i8", 0, 200, BitFieldOverflow.Sat), Op(BitFieldAction.IncrBy, "i8", 0, -1000, BitFieldOverflow.Sat),
            Op(BitFieldAction.IncrBy, "i8", 0, -1, BitFieldOverflow.Fail), Op(BitFieldAction.Get, "i8", 0), Op(BitFieldAction.IncrBy, "i8", 0, -1, BitFieldOverflow.Wrap));
        Assert.Equal(new long[] { 127, -128, 0, -128, 127 }, r);
        Assert.Equal(new[] { false, false, true, false, false }, nil);
        (r, nil) = Field("u", Op(BitFieldAction.Set, "u8", 0, -1, BitFieldOverflow.Wrap), Op(BitFieldAction.Get, "u8", 0),
            Op(BitFieldAction.Set, "u8", 0, 300, BitFieldOverflow.Sat), Op(BitFieldAction.Get, "u8", 0),
            Op(BitFieldAction.Set, "u8", 0, 256, BitFieldOverflow.Fail), Op(BitFieldAction.IncrBy, "u8", 0, -256, BitFieldOverflow.Sat));
        Assert.Equal(new long[] { 0, 255, 255, 255, 0, 0 }, r);
        Assert.True(nil[4]);
        (r, _) = Field("w", Op(BitFieldAction.Set, "i64", 0, long.MaxValue), Op(BitFieldAction.IncrBy, "i64", 0, 1, BitFieldOverflow.Wrap));
        Assert.Equal(long.MinValue, r[1]);
    }

    [Fact]
    public void BitFieldReadOnlyOnMissingKeyReadsZeroAndCreatesNothing()
    {
        var (r, _) = Field("k", Op(BitFieldAction.Get, "i16", 5));
        Assert.Equal(0, r[0]);
        Assert.Equal(ValueKind.None, KeyOps.TypeOf(Db, B("k")));
    }

    [Fact]
    public void BitFieldWriteGrowsTheStringEvenWhenFailStopsTheOp()
    {
        var (_, nil) = Field("k", Op(BitFieldAction.IncrBy, "u8", 16, 300, BitFieldOverflow.Fail));
        Assert.True(nil[0]);
        Assert.Equal(new byte[3], Raw("k"));
    }

    [Fact]
    public void BitFieldOnAnotherTypeIsWrongType()
    {
        BloomOps.Reserve(Db, B("bf"), 0.01, 10, 2, false);
        Assert.Equal(Status.WrongType, BitmapOps.BitField(Db, B("bf"), [Op(BitFieldAction.Get, "u8", 0)], new long[1], new bool[1]));
    }
}

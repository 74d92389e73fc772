using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class StringOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private string? Value(string key)
        => StringOps.Get(Db, B(key), out ReadOnlySpan<byte> v) == Status.Ok ? Encoding.UTF8.GetString(v) : null;

    private int IndexOf(string key) => Db.Lookup(B(key), KeyIndex.Hash(B(key)));

    private long Ttl(string key) => Db.Index.ExpireAt(IndexOf(key));

    private void AddList(string key) => Db.Add(B(key), KeyIndex.Hash(B(key)), ValueKind.List, new object(), 0);

    private long Now => _store.Clock.NowMs;

    [Fact]
    public void LcsFindsTheSubsequenceItsLengthAndItsRunsLastFirst()
    {
        StringOps.Set(Db, B("a"), B("ohmytext"));
        StringOps.Set(Db, B("b"), B("mynewtext"));
        var matches = new List<LcsMatch>();
        Assert.Equal(Status.Ok, StringOps.Lcs(Db, B("a"), B("b"), true, 0, matches, out byte[]? lcs, out long length));
        Assert.Equal("mytext", Encoding.UTF8.GetString(lcs!));
        Assert.Equal(6, length);
        Assert.Equal([new LcsMatch(4, 7, 5, 8), new LcsMatch(2, 3, 0, 1)], matches);
        matches.Clear();
        StringOps.Lcs(Db, B("a"), B("b"), false, 3, matches, out _, out _);
        Assert.Equal([new LcsMatch(4, 7, 5, 8)], matches);
        Assert.Equal(Status.Ok, StringOps.Lcs(Db, B("a"), B("missing"), true, 0, null, out lcs, out length));
        Assert.Equal(0, length);
        Assert.Empty(lcs!);
        // The table (9 x 10 cells of 4 bytes) is refused above the limit.
        Assert.False(Lcs.Compute(B("ohmytext"), B("mynewtext"), 9 * 10 * 4 - 1, true, 0, null, out _, out _));
        Assert.True(Lcs.Compute(B("ohmytext"), B("mynewtext"), 9 * 10 * 4, true, 0, null, out _, out _));
        Tiered.Tiering.Types.Lists.ListOps.Push(Db, B("list"), new ByteArrays([B("x")]), left: false, onlyIfExists: false, out _);
        Assert.Equal(Status.WrongType, StringOps.Lcs(Db, B("a"), B("list"), true, 0, null, out _, out _));
    }

    [Fact]
    public void GetOfMissingKeyIsNotFoundAndOfNonStringIsWrongType()
    {
        Assert.Equal(Status.NotFound, StringOps.Get(Db, B("k"), out _));
        AddList("l");
        Assert.Equal(Status.WrongType, StringOps.Get(Db, B("l"), out _));
    }

    [Fact]
    public void SetOverwriteOfEqualLengthReusesTheStoredArray()
    {
        StringOps.Set(Db, B("k"), B("aaaa"));
        object before = Db.At(IndexOf("k")).Value!;
        StringOps.Set(Db, B("k"), B("bbbb"));
        Assert.Same(before, Db.At(IndexOf("k")).Value);
        Assert.Equal("bbbb", Value("k"));
        StringOps.Set(Db, B("k"), B("ccccc"));
        Assert.Equal("ccccc", Value("k"));
    }

    [Fact]
    public void SetWithoutKeepTtlClearsTheTtlAndKeepTtlKeepsIt()
    {
        StringOps.Set(Db, B("k"), B("v"), expireAt: Now + 10_000);
        Assert.Equal(1, Db.Expires);
        StringOps.Set(Db, B("k"), B("w"), keepTtl: true);
        Assert.Equal(Now + 10_000, Ttl("k"));
        StringOps.Set(Db, B("k"), B("x"));
        Assert.Equal(0, Ttl("k"));
        Assert.Equal(0, Db.Expires);
    }

    [Fact]
    public void SetNxAndXxWriteOnlyWhenTheirConditionHolds()
    {
        Assert.Equal(Status.ConditionNotMet, StringOps.Set(Db, B("k"), B("v"), SetCondition.IfPresent));
        Assert.Null(Value("k"));
        Assert.Equal(Status.Ok, StringOps.Set(Db, B("k"), B("v"), SetCondition.IfAbsent));
        Assert.Equal(Status.ConditionNotMet, StringOps.Set(Db, B("k"), B("w"), SetCondition.IfAbsent));
        Assert.Equal("v", Value("k"));
        Assert.Equal(Status.Ok, StringOps.Set(Db, B("k"), B("x"), SetCondition.IfPresent));
        Assert.Equal("x", Value("k"));
    }

    [Fact]
    public void SetGetReturnsTheOldValueEvenWhenNxPreventsTheWrite()
    {
        StringOps.Set(Db, B("k"), B("old"));
        Status s = StringOps.Set(Db, B("k"), B("new"), SetCondition.IfAbsent, 0, false, returnOld: true, out byte[]? old);
        Assert.Equal(Status.ConditionNotMet, s);
        Assert.Equal("old", Encoding.UTF8.GetString(old!));
        Assert.Equal("old", Value("k"));
    }

    [Fact]
    public void SetGetOnNonStringIsWrongTypeAndWritesNothing()
    {
        AddList("l");
        Status s = StringOps.Set(Db, B("l"), B("v"), SetCondition.Always, 0, false, returnOld: true, out byte[]? old);
        Assert.Equal(Status.WrongType, s);
        Assert.Null(old);
        Assert.Equal(ValueKind.List, Db.At(IndexOf("l")).Kind);
    }

    [Fact]
    public void PlainSetOverwritesAKeyOfAnotherType()
    {
        AddList("l");
        Assert.Equal(Status.Ok, StringOps.Set(Db, B("l"), B("v")));
        Assert.Equal("v", Value("l"));
    }

    [Fact]
    public void SetWithAnExpiryInThePastLeavesNoKey()
    {
        StringOps.Set(Db, B("old"), B("v"));
        Assert.Equal(Status.Ok, StringOps.Set(Db, B("old"), B("w"), expireAt: Now - 1));
        Assert.Equal(Status.Ok, StringOps.Set(Db, B("new"), B("w"), expireAt: Now - 1));
        Assert.Equal(0, Db.Count);
        Assert.Equal(0, Db.Expires);
    }

    [Fact]
    public void KeyIsGoneOnceItsTtlPasses()
    {
        StringOps.Set(Db, B("k"), B("v"), expireAt: Now + 100);
        _store.Clock.OffsetMs = 200;
        _store.Clock.Refresh();
        Assert.Null(Value("k"));
        Assert.Equal(0, Db.Count);
    }

    [Fact]
    public void GetDelReturnsAndDeletesAStringButLeavesOtherTypes()
    {
        StringOps.Set(Db, B("k"), B("v"));
        Assert.Equal(Status.Ok, StringOps.GetDel(Db, B("k"), out byte[]? v));
        Assert.Equal("v", Encoding.UTF8.GetString(v!));
        Assert.Equal(0, Db.Count);
        Assert.Equal(Status.NotFound, StringOps.GetDel(Db, B("k"), out _));
        AddList("l");
        Assert.Equal(Status.WrongType, StringOps.GetDel(Db, B("l"), out _));
        Assert.Equal(1, Db.Count);
    }

    [Fact]
    public void GetExSetsPersistsOrDeletesOnPastTime()
    {
        StringOps.Set(Db, B("k"), B("v"));
        Assert.Equal(Status.Ok, StringOps.GetEx(Db, B("k"), TtlChange.Set, Now + 5000, out ReadOnlySpan<byte> v, out _));
        Assert.Equal("v", Encoding.UTF8.GetString(v));
        Assert.Equal(Now + 5000, Ttl("k"));
        StringOps.GetEx(Db, B("k"), TtlChange.Keep, 0, out _, out _);
        Assert.Equal(Now + 5000, Ttl("k"));
        StringOps.GetEx(Db, B("k"), TtlChange.Persist, 0, out _, out _);
        Assert.Equal(0, Ttl("k"));
        Assert.Equal(Status.Ok, StringOps.GetEx(Db, B("k"), TtlChange.Set, Now - 1, out v, out _));
        Assert.Equal("v", Encoding.UTF8.GetString(v));
        Assert.Equal(0, Db.Count);
    }

    private readonly struct Pairs(params string[] kv) : IKeyValuePairs
    {
        public int PairCount => kv.Length / 2;
        public ReadOnlySpan<byte> Key(int i) => B(kv[2 * i]);
        public ReadOnlySpan<byte> Value(int i) => B(kv[2 * i + 1]);
    }

    [Fact]
    public void MSetNxWritesNothingWhenAnyKeyExistsEvenOfAnotherType()
    {
        AddList("l");
        Assert.Equal(Status.ConditionNotMet, StringOps.MSet(Db, new Pairs("a", "1", "l", "2"), onlyIfNoneExists: true));
        Assert.Null(Value("a"));
        Assert.Equal(Status.Ok, StringOps.MSet(Db, new Pairs("a", "1", "b", "2", "a", "3"), onlyIfNoneExists: true));
        Assert.Equal("3", Value("a"));
        Assert.Equal("2", Value("b"));
    }

    [Fact]
    public void MSetOverwritesAndClearsTtls()
    {
        StringOps.Set(Db, B("a"), B("x"), expireAt: Now + 1000);
        Assert.Equal(Status.Ok, StringOps.MSet(Db, new Pairs("a", "1", "b", "2"), onlyIfNoneExists: false));
        Assert.Equal("1", Value("a"));
        Assert.Equal(0, Ttl("a"));
    }

    [Fact]
    public void AppendCreatesExtendsAndKeepsTheTtl()
    {
        Assert.Equal(Status.Ok, StringOps.Append(Db, B("k"), B("Hello"), out long n));
        Assert.Equal(5, n);
        StringOps.GetEx(Db, B("k"), TtlChange.Set, Now + 1000, out _, out _);
        StringOps.Append(Db, B("k"), B(" World"), out n);
        Assert.Equal(11, n);
        Assert.Equal("Hello World", Value("k"));
        Assert.Equal(Now + 1000, Ttl("k"));
    }

    [Fact]
    public void AppendBeyondProtoMaxBulkLenIsRefused()
    {
        _store.Options.ProtoMaxBulkLen = 8;
        StringOps.Set(Db, B("k"), B("12345"));
        Assert.Equal(Status.TooLarge, StringOps.Append(Db, B("k"), B("6789"), out _));
        Assert.Equal("12345", Value("k"));
        Assert.Equal(Status.Ok, StringOps.Append(Db, B("k"), B("678"), out long n));
        Assert.Equal(8, n);
    }

    [Fact]
    public void StrlenIsZeroForMissingKeyAndWrongTypeForOthers()
    {
        Assert.Equal(Status.NotFound, StringOps.Strlen(Db, B("k"), out long n));
        Assert.Equal(0, n);
        StringOps.Set(Db, B("k"), B("abc"));
        StringOps.Strlen(Db, B("k"), out n);
        Assert.Equal(3, n);
        AddList("l");
        Assert.Equal(Status.WrongType, StringOps.Strlen(Db, B("l"), out _));
    }

    [Fact]
    public void IncrByStartsFromZeroAndKeepsTheTtl()
    {
        Assert.Equal(Status.Ok, StringOps.IncrBy(Db, B("k"), 5, out long v));
        Assert.Equal(5, v);
        StringOps.GetEx(Db, B("k"), TtlChange.Set, Now + 1000, out _, out _);
        StringOps.IncrBy(Db, B("k"), -15, out v);
        Assert.Equal(-10, v);
        Assert.Equal("-10", Value("k"));
        Assert.Equal(Now + 1000, Ttl("k"));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("-0")]
    [InlineData("1.0")]
    [InlineData("")]
    [InlineData("9223372036854775808")]
    public void IncrOnNonIntegerValueIsNotInteger(string stored)
    {
        StringOps.Set(Db, B("k"), B(stored));
        Assert.Equal(Status.NotInteger, StringOps.IncrBy(Db, B("k"), 1, out _));
        Assert.Equal(stored, Value("k"));
    }

    [Fact]
    public void IncrByPastLongRangeIsOverflowAndWritesNothing()
    {
        StringOps.Set(Db, B("k"), B("9223372036854775806"));
        Assert.Equal(Status.Ok, StringOps.IncrBy(Db, B("k"), 1, out long v));
        Assert.Equal(long.MaxValue, v);
        Assert.Equal(Status.Overflow, StringOps.IncrBy(Db, B("k"), 1, out _));
        StringOps.Set(Db, B("n"), B("-9223372036854775808"));
        Assert.Equal(Status.Overflow, StringOps.IncrBy(Db, B("n"), -1, out _));
        Assert.Equal(Status.Ok, StringOps.IncrBy(Db, B("n"), long.MaxValue, out v));
        Assert.Equal(-1, v);
    }

    [Fact]
    public void IncrOnNonStringIsWrongType()
    {
        AddList("l");
        Assert.Equal(Status.WrongType, StringOps.IncrBy(Db, B("l"), 1, out _));
        Assert.Equal(Status.WrongType, StringOps.IncrByFloat(Db, B("l"), B("not-a-number"), out _));
    }

    [Theory]
    [InlineData("10.50", "0.1", "10.6")]
    [InlineData("10.6", "-5", "5.6")]
    [InlineData("5.0e3", "2.0e2", "5200")]
    [InlineData("0.1", "0.2", "0.3")]
    [InlineData("3", "-3", "0")]
    [InlineData("1", "1e20", "100000000000000000000")]
    [InlineData("0.5", "1e17", "100000000000000000.5")]
    [InlineData("1e30", "1e30", "2000000000000000039769249677312")]
    [InlineData("0", "1.5e-10", "0.00000000015")]
    [InlineData("0", "1e-20", "0")]
    public void IncrByFloatStoresRedisStyleText(string stored, string increment, string expected)
    {
        StringOps.Set(Db, B("k"), B(stored));
        Assert.Equal(Status.Ok, StringOps.IncrByFloat(Db, B("k"), B(increment), out ReadOnlySpan<byte> text));
        Assert.Equal(expected, Encoding.UTF8.GetString(text));
        Assert.Equal(expected, Value("k"));
    }

    [Fact]
    public void IncrByFloatRefusesBadNumbersAndInfiniteResults()
    {
        StringOps.Set(Db, B("k"), B("abc"));
        Assert.Equal(Status.NotFloat, StringOps.IncrByFloat(Db, B("k"), B("1"), out _));
        StringOps.Set(Db, B("k"), B("1"));
        Assert.Equal(Status.NotFloat, StringOps.IncrByFloat(Db, B("k"), B(" 1"), out _));
        Assert.Equal(Status.NotFloat, StringOps.IncrByFloat(Db, B("k"), B("nan"), out _));
        Assert.Equal(Status.NotFloat, StringOps.IncrByFloat(Db, B("k"), B("1e400"), out _));
        Assert.Equal(Status.NanOrInfinity, StringOps.IncrByFloat(Db, B("k"), B("inf"), out _));
        StringOps.Set(Db, B("m"), B("1.7e308"));
        Assert.Equal(Status.NanOrInfinity, StringOps.IncrByFloat(Db, B("m"), B("1.7e308"), out _));
        Assert.Equal("1", Value("k"));
    }

    [Theory]
    [InlineData(0, 3, "This")]
    [InlineData(-3, -1, "ing")]
    [InlineData(0, -1, "This is a string")]
    [InlineData(10, 100, "string")]
    [InlineData(5, 3, "")]
    [InlineData(-1, -5, "")]
    [InlineData(100, 200, "")]
    [InlineData(-100, 2, "Thi")]
    [InlineData(long.MinValue, long.MaxValue, "This is a string")]
    public void GetRangeHandlesNegativeAndOutOfRangeIndexes(long start, long end, string expected)
    {
        StringOps.Set(Db, B("k"), B("This is a string"));
        Assert.Equal(Status.Ok, StringOps.GetRange(Db, B("k"), start, end, out ReadOnlySpan<byte> r));
        Assert.Equal(expected, Encoding.UTF8.GetString(r));
    }

    [Fact]
    public void GetRangeOfEmptyStringIsEmpty()
    {
        StringOps.Set(Db, B("k"), B(""));
        Assert.Equal(Status.Ok, StringOps.GetRange(Db, B("k"), 0, -1, out ReadOnlySpan<byte> r));
        Assert.True(r.IsEmpty);
    }

    [Fact]
    public void SetRangePadsWithZerosAndOverwritesInPlace()
    {
        Assert.Equal(Status.Ok, StringOps.SetRange(Db, B("k"), 3, B("ab"), out long n));
        Assert.Equal(5, n);
        Assert.Equal("\0\0\0ab", Value("k"));
        StringOps.SetRange(Db, B("k"), 0, B("xy"), out n);
        Assert.Equal(5, n);
        Assert.Equal("xy\0ab", Value("k"));
    }

    [Fact]
    public void SetRangeWithEmptyValueCreatesNothingAndReportsTheLength()
    {
        Assert.Equal(Status.Ok, StringOps.SetRange(Db, B("k"), 10, B(""), out long n));
        Assert.Equal(0, n);
        Assert.Equal(0, Db.Count);
        StringOps.Set(Db, B("s"), B("abc"));
        StringOps.SetRange(Db, B("s"), 100, B(""), out n);
        Assert.Equal(3, n);
        Assert.Equal("abc", Value("s"));
    }

    [Fact]
    public void SetRangeBeyondProtoMaxBulkLenIsTooLarge()
    {
        _store.Options.ProtoMaxBulkLen = 10;
        Assert.Equal(Status.TooLarge, StringOps.SetRange(Db, B("k"), 9, B("ab"), out _));
        Assert.Equal(Status.TooLarge, StringOps.SetRange(Db, B("k"), long.MaxValue, B("a"), out _));
        Assert.Equal(Status.Ok, StringOps.SetRange(Db, B("k"), 8, B("ab"), out long n));
        Assert.Equal(10, n);
        AddList("l");
        Assert.Equal(Status.WrongType, StringOps.SetRange(Db, B("l"), 0, B("a"), out _));
    }

    [Fact]
    public void MemoryAccountingReturnsToZeroAfterGrowthAndDelete()
    {
        StringOps.Set(Db, B("k"), B("a"));
        StringOps.Append(Db, B("k"), B("bcdef"), out _);
        StringOps.SetRange(Db, B("k"), 20, B("x"), out _);
        StringOps.IncrBy(Db, B("n"), 100, out _);
        StringOps.GetDel(Db, B("k"), out _);
        StringOps.GetDel(Db, B("n"), out _);
        Assert.Equal(0, _store.UsedMemory);
    }

    [Fact]
    public void SteadyGetSetAndIncrOfEqualLengthAllocateNothing()
    {
        byte[] key = B("key"), v1 = B("value-1"), v2 = B("value-2"), counter = B("counter");
        StringOps.Set(Db, counter, B("10"));
        for (int warm = 0; warm < 3; warm++)
        {
            StringOps.Set(Db, key, v1);
            StringOps.Get(Db, key, out _);
            StringOps.IncrBy(Db, counter, 1, out _);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int n = 0; n < 50; n++)
        {
            StringOps.Set(Db, key, (n & 1) == 0 ? v2 : v1);
            StringOps.Get(Db, key, out _);
            StringOps.IncrBy(Db, counter, 1, out _);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal("63", Value("counter"));
    }
}

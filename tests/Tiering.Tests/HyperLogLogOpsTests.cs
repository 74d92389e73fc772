using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Blooms;
using Tiered.Tiering.Types.HyperLogLogs;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class HyperLogLogOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private byte[] Raw(string key) => StringOps.Get(Db, B(key), out ReadOnlySpan<byte> v) == Status.Ok ? v.ToArray() : [];

    private readonly struct Items(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => Encoding.UTF8.GetBytes(items[i]);
    }

    /// <summary>Elements "prefix0".."prefix{n-1}" without a string per element.</summary>
    private sealed class Numbered(string prefix, int from, int count) : IByteStrings
    {
        private readonly byte[] _buf = new byte[64];
        public int Count => count;
        public ReadOnlySpan<byte> Get(int i)
        {
            int n = Encoding.ASCII.GetBytes(prefix, _buf);
            (from + i).TryFormat(_buf.AsSpan(n), out int w);
            return _buf.AsSpan(0, n + w);
        }
    }

    private long Count(params string[] keys)
    {
        Assert.Equal(Status.Ok, HyperLogLogOps.Count(Db, new Items(keys), out long c));
        return c;
    }

    [Theory]
    [InlineData("fransisco", 1UL, 0x83fdaf4a6d0d3d9UL)]
    [InlineData("aaaa", 0x9747b28cUL, 0x41da53fdabaf04c8UL)]
    public void MurmurHash64AMatchesPublishedVectors(string input, ulong seed, ulong expected)
        => Assert.Equal(expected, MurmurHash.Hash64A(B(input), seed));

    [Fact]
    public void NewHllIsASparseStringWithRedisHeader()
    {
        Assert.Equal(Status.Ok, HyperLogLogOps.Add(Db, B("h"), new Items(Array.Empty<string>()), out bool changed));
        Assert.True(changed);
        byte[] raw = Raw("h");
        Assert.Equal("HYLL"u8.ToArray(), raw[..4]);
        Assert.Equal(HyperLogLog.EncodingSparse, raw[4]);
        Assert.Equal(18, raw.Length);
        Assert.Equal(new byte[] { 0x7F, 0xFF }, raw[16..]);
        Assert.Equal(ValueKind.String, KeyOps.TypeOf(Db, B("h")));
        Assert.Equal(0, Count("h"));
    }

    [Fact]
    public void AddReportsChangesAndCountsSmallSetsExactly()
    {
        HyperLogLogOps.Add(Db, B("h"), new Items("1", "2", "3", "4", "5"), out bool changed);
        Assert.True(changed);
        Assert.Equal(5, Count("h"));
        HyperLogLogOps.Add(Db, B("h"), new Items("6", "7", "8", "8", "9", "10"), out changed);
        Assert.True(changed);
        Assert.Equal(10, Count("h"));
        HyperLogLogOps.Add(Db, B("h"), new Items("1", "2"), out changed);
        Assert.False(changed);
        Assert.Equal(0, Count("missing"));
    }

    [Fact]
    public void CountIsCachedInTheHeaderAndInvalidatedByAChange()
    {
        HyperLogLogOps.Add(Db, B("h"), new Items("a", "b", "c"), out _);
        Assert.False(HyperLogLog.CacheValid(Raw("h")));
        Assert.Equal(3, Count("h"));
        Assert.True(HyperLogLog.CacheValid(Raw("h")));
        Assert.Equal(3, HyperLogLog.CachedCount(Raw("h")));
        HyperLogLogOps.Add(Db, B("h"), new Items("d"), out _);
        Assert.False(HyperLogLog.CacheValid(Raw("h")));
        Assert.Equal(4, Count("h"));
    }

    [Fact]
    public void ErrorStaysWithinTwoPercentOnAMillionDistinctElements()
    {
        const int n = 1_000_000;
        for (int from = 0; from < n; from += 10_000)
            HyperLogLogOps.Add(Db, B("h"), new Numbered("element:", from, 10_000), out _);
        Assert.Equal(HyperLogLog.EncodingDense, Raw("h")[4]);
        long c = Count("h");
        Assert.InRange(Math.Abs(c - n) / (double)n, 0, 0.02);
    }

    [Fact]
    public void EstimateIsCloseAcrossTheSmallAndMidRange()
    {
        int added = 0;
        foreach (int target in new[] { 100, 1000, 10_000, 100_000 })
        {
            HyperLogLogOps.Add(Db, B("h"), new Numbered("x", added, target - added), out _);
            added = target;
            long c = Count("h");
            Assert.InRange(Math.Abs(c - target) / (double)target, 0, 0.03);
        }
    }

    [Fact]
    public void SparseIsPromotedToDenseAboveTheSizeLimitKeepingTheCount()
    {
        int n = 0;
        long lastSparseCount = 0;
        while (Raw("h").Length == 0 || Raw("h")[4] == HyperLogLog.EncodingSparse)
        {
            HyperLogLogOps.Add(Db, B("h"), new Numbered("p", n, 1), out _);
            n++;
            byte[] raw = Raw("h");
            if (raw[4] == HyperLogLog.EncodingSparse)
            {
                Assert.InRange(raw.Length, 18, HyperLogLog.SparseMaxBytes);
                lastSparseCount = Count("h");
                // Converting the same registers to dense keeps the estimate exactly.
                Assert.Equal(lastSparseCount, HyperLogLog.Count(HyperLogLog.ToDense(raw)!));
            }
        }
        Assert.Equal(HyperLogLog.DenseSize, Raw("h").Length);
        Assert.InRange(n, 500, 5000);
        long denseCount = Count("h");
        Assert.InRange(denseCount, lastSparseCount, lastSparseCount + 3);
        Assert.InRange(Math.Abs(denseCount - n) / (double)n, 0, 0.03);
    }

    [Fact]
    public void SparseEncodingRoundTripsEveryRegister()
    {
        var regs = new byte[HyperLogLog.Registers];
        var rnd = new Random(7);
        for (int i = 0; i < 300; i++) regs[rnd.Next(regs.Length)] = (byte)rnd.Next(1, 33);
        for (int i = 1000; i < 1010; i++) regs[i] = 5; // a run longer than one VAL opcode
        byte[] hll = HyperLogLog.Build(regs, allowSparse: true);
        Assert.Equal(HyperLogLog.EncodingSparse, hll[4]);
        var back = new byte[HyperLogLog.Registers];
        Assert.True(HyperLogLog.Decode(hll, back));
        Assert.Equal(regs, back);
        byte[] dense = HyperLogLog.ToDense(hll)!;
        Assert.True(HyperLogLog.Decode(dense, back));
        Assert.Equal(regs, back);
    }

    [Fact]
    public void ARegisterAbove32ForcesDense()
    {
        var regs = new byte[HyperLogLog.Registers];
        regs[3] = 33;
        Assert.Equal(HyperLogLog.EncodingDense, HyperLogLog.Build(regs, allowSparse: true)[4]);
    }

    [Fact]
    public void MultiKeyCountIsTheUnionAndModifiesNothing()
    {
        HyperLogLogOps.Add(Db, B("a"), new Items("1", "2", "3"), out _);
        HyperLogLogOps.Add(Db, B("b"), new Items("3", "4"), out _);
        byte[] before = Raw("a");
        Assert.Equal(4, Count("a", "b", "missing"));
        Assert.Equal(before, Raw("a"));
    }

    [Fact]
    public void MergeIncludesTheDestinationAndKeepsSparseWhenAllInputsAre()
    {
        HyperLogLogOps.Add(Db, B("a"), new Items("1", "2"), out _);
        HyperLogLogOps.Add(Db, B("b"), new Items("2", "3"), out _);
        HyperLogLogOps.Add(Db, B("d"), new Items("9"), out _);
        Assert.Equal(Status.Ok, HyperLogLogOps.Merge(Db, B("d"), new Items("d", "a", "b")));
        Assert.Equal(4, Count("d"));
        Assert.Equal(HyperLogLog.EncodingSparse, Raw("d")[4]);
        Assert.Equal(Status.Ok, HyperLogLogOps.Merge(Db, B("new"), new Items("new", "missing")));
        Assert.Equal(0, Count("new"));
    }

    [Fact]
    public void MergeWithADenseInputGivesDense()
    {
        HyperLogLogOps.Add(Db, B("big"), new Numbered("e", 0, 5000), out _);
        Assert.Equal(HyperLogLog.EncodingDense, Raw("big")[4]);
        HyperLogLogOps.Add(Db, B("small"), new Items("z"), out _);
        HyperLogLogOps.Merge(Db, B("small"), new Items("small", "big"));
        Assert.Equal(HyperLogLog.EncodingDense, Raw("small")[4]);
        Assert.Equal(Count("big", "small"), Count("small"));
    }

    [Fact]
    public void NonHllStringsAndOtherTypesAreRefused()
    {
        StringOps.Set(Db, B("s"), B("hello world, not an hll"));
        Assert.Equal(Status.NotHyperLogLog, HyperLogLogOps.Add(Db, B("s"), new Items("x"), out _));
        Assert.Equal(Status.NotHyperLogLog, HyperLogLogOps.Count(Db, new Items("s"), out _));
        Assert.Equal(Status.NotHyperLogLog, HyperLogLogOps.Merge(Db, B("d"), new Items("d", "s")));
        BloomOps.Reserve(Db, B("bf"), 0.01, 10, 2, false);
        Assert.Equal(Status.WrongType, HyperLogLogOps.Add(Db, B("bf"), new Items("x"), out _));
        Assert.Equal(Status.WrongType, HyperLogLogOps.Count(Db, new Items("bf", "s"), out _));
        // A dense header with the wrong size is not an HLL either.
        byte[] bad = HyperLogLog.ToDense(HyperLogLog.CreateEmpty())!;
        StringOps.Set(Db, B("short"), bad.AsSpan(0, 100));
        Assert.Equal(Status.NotHyperLogLog, HyperLogLogOps.Count(Db, new Items("short"), out _));
    }

    [Fact]
    public void CorruptSparseBodyIsDetected()
    {
        byte[] hll = HyperLogLog.CreateEmpty();
        hll[16] = 0x7E; // XZERO now covers fewer than 16384 registers
        HyperLogLog.InvalidateCache(hll);
        StringOps.Set(Db, B("h"), hll);
        Assert.Equal(Status.Corrupted, HyperLogLogOps.Count(Db, new Items("h"), out _));
        Assert.Equal(Status.Corrupted, HyperLogLogOps.Add(Db, B("h"), new Items("x"), out _));
    }

    [Fact]
    public void MemoryFollowsTheStringAndReturnsAfterDelete()
    {
        long start = _store.UsedMemory;
        HyperLogLogOps.Add(Db, B("h"), new Numbered("m", 0, 50), out _);
        long afterSparse = _store.UsedMemory;
        Assert.True(afterSparse > start);
        HyperLogLogOps.Add(Db, B("h"), new Numbered("m", 50, 5000), out _);
        Assert.True(_store.UsedMemory >= start + HyperLogLog.DenseSize);
        KeyOps.Delete(Db, B("h"));
        Assert.Equal(start, _store.UsedMemory);
    }
}

using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Blooms;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class BloomOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private readonly struct Items(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => Encoding.UTF8.GetBytes(items[i]);
    }

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

    private BloomValue Filter(string key)
    {
        Assert.Equal(Status.Ok, BloomOps.Get(Db, B(key), out BloomValue? bf));
        return bf!;
    }

    [Fact]
    public void LayerSizingFollowsTheOptimalFormula()
    {
        BloomLayer l = BloomLayer.Create(1000, 0.01);
        Assert.Equal(7, l.Hashes);
        Assert.InRange(l.Bits, 9585, 9585 + 64);
        Assert.Equal(0, l.Bits % 64);
        Assert.Equal(10, BloomLayer.Create(1000, 0.001).Hashes);
    }

    [Fact]
    public void FalsePositiveRateStaysWithinOneAndAHalfTimesTheTargetOnAMillionProbes()
    {
        const int n = 200_000;
        const double error = 0.01;
        Assert.Equal(Status.Ok, BloomOps.Reserve(Db, B("bf"), error, n, 2, nonScaling: true));
        var results = new int[n];
        Assert.Equal(Status.Ok, BloomOps.Add(Db, B("bf"), new Numbered("in:", 0, n), results));
        BloomValue bf = Filter("bf");
        Assert.Single(bf.Layers);
        // No false negatives.
        var probe = new Numbered("in:", 0, n);
        for (int i = 0; i < n; i++) Assert.True(bf.Contains(probe.Get(i)));
        const int probes = 1_000_000;
        var other = new Numbered("out:", 0, probes);
        int falsePositives = 0;
        for (int i = 0; i < probes; i++) if (bf.Contains(other.Get(i))) falsePositives++;
        double rate = falsePositives / (double)probes;
        Assert.InRange(rate, 0, error * 1.5);
        Assert.True(rate > error / 4, $"rate {rate} implausibly low: the filter is oversized");
    }

    [Fact]
    public void AddCreatesADefaultFilterAndReportsDuplicates()
    {
        var r = new int[3];
        Assert.Equal(Status.Ok, BloomOps.Add(Db, B("bf"), new Items("a", "b", "a"), r));
        Assert.Equal(new[] { 1, 1, 0 }, r);
        BloomValue bf = Filter("bf");
        Assert.Equal(BloomOps.DefaultCapacity, bf.TotalCapacity);
        Assert.Equal(2, bf.Items);
        Assert.Equal(BloomOps.DefaultExpansion, bf.Expansion);
        Assert.Equal(ValueKind.Bloom, KeyOps.TypeOf(Db, B("bf")));
        Assert.Equal("MBbloom--", Encoding.ASCII.GetString(KeyOps.TypeName(ValueKind.Bloom)));
    }

    [Fact]
    public void ExistsAnswersPerItemAndFalseForMissingKey()
    {
        BloomOps.Add(Db, B("bf"), new Items("x", "y"), new int[2]);
        var e = new bool[3];
        Assert.Equal(Status.Ok, BloomOps.Exists(Db, B("bf"), new Items("x", "nope", "y"), e));
        Assert.Equal(new[] { true, false, true }, e);
        Assert.Equal(Status.NotFound, BloomOps.Exists(Db, B("missing"), new Items("x"), e));
        Assert.False(e[0]);
    }

    [Fact]
    public void ReserveRefusesAnExistingKey()
    {
        Assert.Equal(Status.Ok, BloomOps.Reserve(Db, B("bf"), 0.01, 10, 2, false));
        Assert.Equal(Status.ConditionNotMet, BloomOps.Reserve(Db, B("bf"), 0.01, 10, 2, false));
        StringOps.Set(Db, B("s"), B("v"));
        Assert.Equal(Status.WrongType, BloomOps.Reserve(Db, B("s"), 0.01, 10, 2, false));
        Assert.Equal(Status.WrongType, BloomOps.Add(Db, B("s"), new Items("a"), new int[1]));
        Assert.Equal(Status.WrongType, BloomOps.Exists(Db, B("s"), new Items("a"), new bool[1]));
    }

    [Fact]
    public void AFullLayerAddsALargerTighterLayer()
    {
        BloomOps.Reserve(Db, B("bf"), 0.01, 100, 3, false);
        BloomOps.Add(Db, B("bf"), new Numbered("i", 0, 1000), new int[1000]);
        BloomValue bf = Filter("bf");
        Assert.True(bf.Layers.Count >= 3);
        Assert.Equal(100, bf.Layers[0].Capacity);
        Assert.Equal(300, bf.Layers[1].Capacity);
        Assert.Equal(0.005, bf.Layers[1].Error, 12);
        Assert.Equal(0.0025, bf.Layers[2].Error, 12);
        Assert.Equal(100, bf.Layers[0].Count);
        Assert.InRange(bf.Items, 960, 1000);
        var probe = new Numbered("i", 0, 1000);
        for (int i = 0; i < 1000; i++) Assert.True(bf.Contains(probe.Get(i)));
    }

    [Fact]
    public void NonScalingFilterRefusesItemsWhenFull()
    {
        BloomOps.Reserve(Db, B("bf"), 0.001, 5, 2, nonScaling: true);
        var r = new int[10];
        BloomOps.Add(Db, B("bf"), new Numbered("i", 0, 10), r);
        Assert.Equal(new[] { 1, 1, 1, 1, 1 }, r[..5]);
        Assert.All(r[5..], x => Assert.Equal(-1, x));
        Assert.Single(Filter("bf").Layers);
        Assert.Equal(5, Filter("bf").Items);
    }

    [Fact]
    public void SerializationRoundTripsAndDetectsCorruption()
    {
        BloomOps.Reserve(Db, B("bf"), 0.01, 50, 4, false);
        BloomOps.Add(Db, B("bf"), new Numbered("i", 0, 300), new int[300]);
        BloomValue bf = Filter("bf");
        byte[] encoded = ValueFormat.Encode(ValueKind.Bloom, bf);
        Assert.True(ValueFormat.TryDecode(encoded, out ValueKind kind, out object? value));
        Assert.Equal(ValueKind.Bloom, kind);
        var copy = (BloomValue)value!;
        Assert.Equal(bf.Items, copy.Items);
        Assert.Equal(bf.Expansion, copy.Expansion);
        Assert.Equal(bf.Layers.Count, copy.Layers.Count);
        Assert.Equal(bf.SizeBytes, copy.SizeBytes);
        Assert.Equal(encoded, ValueFormat.Encode(ValueKind.Bloom, copy));
        var probe = new Numbered("i", 0, 300);
        for (int i = 0; i < 300; i++) Assert.True(copy.Contains(probe.Get(i)));
        for (int at = 0; at < encoded.Length; at += 97)
        {
            byte[] bad = (byte[])encoded.Clone();
            bad[at] ^= 0x10;
            Assert.False(ValueFormat.TryDecode(bad, out _, out _));
        }
        Assert.Null(BloomValue.Read(2, encoded.AsSpan(6, encoded.Length - 10)));
        Assert.Null(BloomValue.Read(1, encoded.AsSpan(6, encoded.Length - 11)));
    }

    [Fact]
    public void DeepCopyIsIndependent()
    {
        BloomOps.Add(Db, B("bf"), new Items("a"), new int[1]);
        BloomValue bf = Filter("bf");
        var copy = (BloomValue)bf.DeepCopy();
        copy.Add(B("b"));
        Assert.True(copy.Contains(B("b")));
        Assert.False(bf.Contains(B("b")));
        Assert.Equal(1, bf.Items);
        Assert.Equal(2, copy.Items);
    }

    [Fact]
    public void MemoryGrowsWithLayersAndReturnsAfterDelete()
    {
        long start = _store.UsedMemory;
        BloomOps.Reserve(Db, B("bf"), 0.01, 100, 2, false);
        long one = _store.UsedMemory;
        Assert.True(one - start > 100);
        BloomOps.Add(Db, B("bf"), new Numbered("i", 0, 1000), new int[1000]);
        Assert.True(_store.UsedMemory > one + 1000);
        Assert.Equal(Filter("bf").AccountedBytes, Filter("bf").SizeBytes);
        KeyOps.Delete(Db, B("bf"));
        Assert.Equal(start, _store.UsedMemory);
    }

    [Fact]
    public void AnEmptyReservedFilterIsKept()
    {
        BloomOps.Reserve(Db, B("bf"), 0.01, 100, 2, false);
        Db.Updated(B("bf"), Filter("bf"));
        Assert.Equal(ValueKind.Bloom, KeyOps.TypeOf(Db, B("bf")));
    }
}

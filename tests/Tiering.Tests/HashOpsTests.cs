using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class HashOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    private readonly struct Pairs(params string[] items) : IKeyValuePairs
    {
        public int PairCount => items.Length / 2;
        public ReadOnlySpan<byte> Key(int i) => B(items[2 * i]);
        public ReadOnlySpan<byte> Value(int i) => B(items[2 * i + 1]);
    }

    private readonly struct Strings(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => B(items[i]);
    }

    private long HSet(string key, params string[] pairs)
    {
        Assert.Equal(Status.Ok, HashOps.Set(Db, B(key), new Pairs(pairs), out long added));
        return added;
    }

    private string? HGet(string key, string field)
        => HashOps.Get(Db, B(key), B(field), out ReadOnlySpan<byte> v) == Status.Ok ? S(v) : null;

    private HashValue Hash(string key)
    {
        Assert.Equal(Status.Ok, HashOps.Read(Db, B(key), out HashValue? h));
        return h!;
    }

    private static List<string> Fields(HashValue h)
    {
        var list = new List<string>();
        foreach (HashEntry e in h) list.Add(S(e.Field));
        return list;
    }

    [Fact]
    public void SetCountsOnlyNewFieldsAndOverwritesValues()
    {
        Assert.Equal(2, HSet("h", "a", "1", "b", "2"));
        Assert.Equal(1, HSet("h", "a", "x", "c", "3"));
        Assert.Equal("x", HGet("h", "a"));
        Assert.Equal("3", HGet("h", "c"));
        Assert.Equal(["a", "b", "c"], Fields(Hash("h")));
    }

    [Fact]
    public void FieldsAndValuesAreBinarySafe()
    {
        byte[] field = [0, 255, 13, 10, 0];
        byte[] value = [1, 0, 2];
        var h = new HashValue();
        Assert.True(h.Set(field, value));
        Assert.True(h.TryGet(field, out ReadOnlySpan<byte> got));
        Assert.Equal(value, got.ToArray());
        Assert.False(h.Contains(field.AsSpan(0, 4)));
    }

    [Fact]
    public void ReadsOfMissingKeyOrFieldAreNotFoundAndOfAStringAreWrongType()
    {
        Assert.Equal(Status.NotFound, HashOps.Get(Db, B("h"), B("f"), out _));
        HSet("h", "f", "v");
        Assert.Equal(Status.NotFound, HashOps.Get(Db, B("h"), B("g"), out _));
        StringOps.Set(Db, B("s"), B("x"));
        Assert.Equal(Status.WrongType, HashOps.Get(Db, B("s"), B("f"), out _));
        Assert.Equal(Status.WrongType, HashOps.Set(Db, B("s"), new Pairs("f", "v"), out _));
        Assert.Equal(Status.WrongType, HashOps.Delete(Db, B("s"), new Strings("f"), out _));
        Assert.Equal(Status.WrongType, HashOps.IncrBy(Db, B("s"), B("f"), 1, out _));
        Assert.Equal(Status.WrongType, HashOps.Len(Db, B("s"), out _));
    }

    [Fact]
    public void SetNxWritesOnlyAbsentFields()
    {
        Assert.Equal(Status.Ok, HashOps.SetNx(Db, B("h"), B("f"), B("1")));
        Assert.Equal(Status.ConditionNotMet, HashOps.SetNx(Db, B("h"), B("f"), B("2")));
        Assert.Equal("1", HGet("h", "f"));
    }

    [Fact]
    public void DeletingTheLastFieldDeletesTheKey()
    {
        HSet("h", "a", "1", "b", "2");
        Assert.Equal(Status.Ok, HashOps.Delete(Db, B("h"), new Strings("a", "zz", "a"), out long removed));
        Assert.Equal(1, removed);
        Assert.Equal(Status.Ok, HashOps.Delete(Db, B("h"), new Strings("b"), out removed));
        Assert.Equal(1, removed);
        Assert.Equal(0, Db.Count);
        Assert.Equal(Status.NotFound, HashOps.Delete(Db, B("h"), new Strings("b"), out removed));
        Assert.Equal(0, removed);
    }

    [Fact]
    public void LenStrLenAndExists()
    {
        HSet("h", "a", "hello", "b", "");
        Assert.Equal(Status.Ok, HashOps.Len(Db, B("h"), out long n));
        Assert.Equal(2, n);
        HashOps.StrLen(Db, B("h"), B("a"), out long len);
        Assert.Equal(5, len);
        HashOps.StrLen(Db, B("h"), B("zz"), out len);
        Assert.Equal(0, len);
        Assert.Equal(Status.Ok, HashOps.Exists(Db, B("h"), B("b")));
        Assert.Equal(Status.NotFound, HashOps.Exists(Db, B("h"), B("c")));
    }

    [Fact]
    public void IncrByCreatesAddsAndRefusesNonIntegersAndOverflow()
    {
        Assert.Equal(Status.Ok, HashOps.IncrBy(Db, B("h"), B("n"), 5, out long v));
        Assert.Equal(5, v);
        Assert.Equal(Status.Ok, HashOps.IncrBy(Db, B("h"), B("n"), -7, out v));
        Assert.Equal(-2, v);
        Assert.Equal("-2", HGet("h", "n"));
        HSet("h", "t", "abc", "big", long.MaxValue.ToString(), "sp", " 1");
        Assert.Equal(Status.NotInteger, HashOps.IncrBy(Db, B("h"), B("t"), 1, out _));
        Assert.Equal(Status.NotInteger, HashOps.IncrBy(Db, B("h"), B("sp"), 1, out _));
        Assert.Equal(Status.Overflow, HashOps.IncrBy(Db, B("h"), B("big"), 1, out _));
        Assert.Equal(long.MaxValue.ToString(), HGet("h", "big"));
    }

    [Theory]
    [InlineData(null, "0.1", "0.1")]
    [InlineData("0.1", "0.2", "0.3")]
    [InlineData("10.5", "0.1", "10.6")]
    [InlineData("5", "-5", "0")]
    [InlineData("1e3", "1", "1001")]
    [InlineData("3", "1.5e1", "18")]
    public void IncrByFloatFormatsLikeIncrByFloat(string? start, string increment, string expected)
    {
        if (start != null) HSet("h", "f", start);
        Numbers.ParseFloat(B(increment), out double inc);
        Assert.Equal(Status.Ok, HashOps.IncrByFloat(Db, B("h"), B("f"), B(increment), inc, out ReadOnlySpan<byte> text));
        Assert.Equal(expected, S(text));
        Assert.Equal(expected, HGet("h", "f"));
        // The same sum through INCRBYFLOAT gives the same text.
        if (start != null) StringOps.Set(Db, B("s"), B(start));
        StringOps.IncrByFloat(Db, B("s"), B(increment), out ReadOnlySpan<byte> viaString);
        Assert.Equal(expected, S(viaString));
    }

    [Fact]
    public void IncrByFloatRefusesNonFloatsAndInfiniteResults()
    {
        HSet("h", "t", "abc", "max", "1.7e308");
        Assert.Equal(Status.NotFloat, HashOps.IncrByFloat(Db, B("h"), B("t"), B("1"), 1, out _));
        Assert.Equal(Status.NanOrInfinity, HashOps.IncrByFloat(Db, B("h"), B("max"), B("1.7e308"), 1.7e308, out _));
        Assert.Equal("1.7e308", HGet("h", "max"));
    }

    [Fact]
    public void EncodingTurnsToHashtableOnManyFieldsOrALongValueAndStaysThere()
    {
        for (int i = 0; i < HashValue.MaxListpackEntries; i++) HSet("h", "f" + i, "v");
        Assert.Equal("listpack", Hash("h").Encoding);
        HSet("h", "one-more", "v");
        Assert.Equal("hashtable", Hash("h").Encoding);
        HashOps.Delete(Db, B("h"), new Strings("one-more", "f1", "f2"), out _);
        Assert.Equal("hashtable", Hash("h").Encoding);

        HSet("g", "f", new string('x', 64));
        Assert.Equal("listpack", Hash("g").Encoding);
        HSet("g", "f", new string('x', 65));
        Assert.Equal("hashtable", Hash("g").Encoding);
        HSet("k", new string('k', 65), "v");
        Assert.Equal("hashtable", Hash("k").Encoding);
    }

    [Fact]
    public void SerializationRoundTripsAndDetectsCorruption()
    {
        var h = new HashValue();
        for (int i = 0; i < 300; i++) h.Set(B("field" + i), B("value" + i * 7));
        for (int i = 0; i < 300; i += 3) h.Remove(B("field" + i));
        h.Set([0, 1, 2], []);
        byte[] encoded = ValueFormat.Encode(ValueKind.Hash, h);
        Assert.True(ValueFormat.TryDecode(encoded, out ValueKind kind, out object? decoded));
        Assert.Equal(ValueKind.Hash, kind);
        var copy = Assert.IsType<HashValue>(decoded);
        Assert.Equal(h.Count, copy.Count);
        Assert.Equal(h.Encoding, copy.Encoding);
        foreach (HashEntry e in h)
        {
            Assert.True(copy.TryGet(e.Field, out ReadOnlySpan<byte> v));
            Assert.Equal(e.Value, v.ToArray());
        }
        Assert.Equal(Fields(h), Fields(copy));

        for (int at = 0; at < encoded.Length; at += 97)
        {
            byte[] bad = (byte[])encoded.Clone();
            bad[at] ^= 0x20;
            Assert.False(ValueFormat.TryDecode(bad, out _, out _));
        }
    }

    [Fact]
    public void ReadRefusesUnknownVersionsAndMalformedPayloads()
    {
        var h = new HashValue();
        h.Set(B("a"), B("1"));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        h.Serialize(buffer);
        byte[] payload = buffer.WrittenSpan.ToArray();
        Assert.NotNull(HashValue.Read(1, payload));
        Assert.Null(HashValue.Read(2, payload));
        Assert.Null(HashValue.Read(1, payload.AsSpan(0, payload.Length - 1)));
        Assert.Null(HashValue.Read(1, [.. payload, 0]));
        Assert.Null(HashValue.Read(1, [2, 1, (byte)'a', 1, (byte)'1', 1, (byte)'a', 1, (byte)'2'])); // duplicate field
    }

    [Fact]
    public void DeepCopyIsIndependent()
    {
        HSet("h", "a", "1", "b", "2");
        var copy = (HashValue)Hash("h").DeepCopy();
        HSet("h", "a", "changed", "c", "3");
        HashOps.Delete(Db, B("h"), new Strings("b"), out _);
        Assert.Equal(2, copy.Count);
        Assert.True(copy.TryGet(B("a"), out ReadOnlySpan<byte> v));
        Assert.Equal("1", S(v));
        Assert.True(copy.Contains(B("b")));
        Assert.False(copy.Contains(B("c")));
    }

    [Fact]
    public void UsedMemoryFollowsTheHashAndReturnsToStartAfterDelete()
    {
        long start = _store.UsedMemory;
        HSet("h", "a", "1");
        long one = _store.UsedMemory;
        Assert.True(one > start);
        for (int i = 0; i < 1000; i++) HSet("h", "field" + i, new string('v', 100));
        long many = _store.UsedMemory;
        Assert.True(many > one + 1000 * 100);
        Assert.Equal(Hash("h").SizeBytes, Hash("h").AccountedBytes);
        for (int i = 0; i < 900; i++) HashOps.Delete(Db, B("h"), new Strings("field" + i), out _);
        Assert.True(_store.UsedMemory < many);
        Assert.True(KeyOps.Delete(Db, B("h")));
        Assert.Equal(start, _store.UsedMemory);

        HSet("g", "a", "1");
        HashOps.Delete(Db, B("g"), new Strings("a"), out _);
        Assert.Equal(start, _store.UsedMemory);
    }

    [Fact]
    public void ScanReturnsEveryFieldPresentForTheWholeScanDespiteChanges()
    {
        for (int i = 0; i < 1000; i++) HSet("h", "f" + i, "v");
        var seen = new HashSet<string>();
        var deleted = new HashSet<string>();
        var page = new List<HashEntry>();
        ulong cursor = 0;
        int step = 0, front = 0, back = 999, compactions = 0;
        do
        {
            page.Clear();
            Assert.Equal(Status.Ok, HashOps.Scan(Db, B("h"), cursor, 25, default, page, out cursor));
            foreach (HashEntry e in page) seen.Add(S(e.Field));
            // Between calls: delete fields at both ends (forcing compactions, which move slots) and add new ones.
            int before = Hash("h").Table.HighWater;
            for (int k = 0; k < 8 && front < back; k++)
            {
                string a = "f" + front++, b = "f" + back--;
                HashOps.Delete(Db, B("h"), new Strings(a, b), out _);
                deleted.Add(a);
                deleted.Add(b);
            }
            for (int k = 0; k < 3; k++) HSet("h", $"new{step}-{k}", "v");
            if (Hash("h").Table.HighWater < before) compactions++;
            step++;
        } while (cursor != 0 && step < 10_000);
        Assert.Equal(0UL, cursor);
        Assert.True(compactions > 0);
        for (int i = 0; i < 1000; i++)
            if (!deleted.Contains("f" + i)) Assert.Contains("f" + i, seen);
    }

    [Fact]
    public void ScanOfACompactHashReturnsEverythingInOneCallAndFiltersByPattern()
    {
        HSet("h", "apple", "1", "banana", "2", "avocado", "3");
        var page = new List<HashEntry>();
        Assert.Equal(Status.Ok, HashOps.Scan(Db, B("h"), 0, 1, B("a*"), page, out ulong next));
        Assert.Equal(0UL, next);
        Assert.Equal(["apple", "avocado"], page.Select(e => S(e.Field)));
        Assert.Equal(Status.NotFound, HashOps.Scan(Db, B("missing"), 0, 10, default, page, out next));
        Assert.Equal(0UL, next);
    }

    [Fact]
    public void RandomFieldsGivesDistinctFieldsForPositiveCountsAndRepeatsForNegative()
    {
        for (int i = 0; i < 200; i++) HSet("h", "f" + i, "v" + i);
        var picked = new List<HashEntry>();
        Assert.Equal(Status.Ok, HashOps.RandomFields(Db, B("h"), 150, picked));
        Assert.Equal(150, picked.Select(e => S(e.Field)).Distinct().Count());
        picked.Clear();
        HashOps.RandomFields(Db, B("h"), 10, picked);
        Assert.Equal(10, picked.Select(e => S(e.Field)).Distinct().Count());
        Assert.All(picked, e => Assert.Equal("v" + S(e.Field)[1..], S(e.Value)));
        picked.Clear();
        HashOps.RandomFields(Db, B("h"), 500, picked);
        Assert.Equal(200, picked.Count);
        picked.Clear();
        HSet("one", "x", "y");
        HashOps.RandomFields(Db, B("one"), -5, picked);
        Assert.Equal(5, picked.Count);
        Assert.All(picked, e => Assert.Equal("x", S(e.Field)));
        picked.Clear();
        Assert.Equal(Status.NotFound, HashOps.RandomFields(Db, B("missing"), 3, picked));
        Assert.Empty(picked);
    }

    [Fact]
    public void RandomPicksStayUniformAfterHeavyDeletion()
    {
        for (int i = 0; i < 1000; i++) HSet("h", "f" + i, "v");
        for (int i = 0; i < 996; i++) HashOps.Delete(Db, B("h"), new Strings("f" + i), out _);
        var counts = new Dictionary<string, int>();
        for (int n = 0; n < 4000; n++)
        {
            HashOps.RandomField(Db, B("h"), out HashEntry e);
            string f = S(e.Field);
            counts[f] = counts.GetValueOrDefault(f) + 1;
        }
        Assert.Equal(4, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 700, 1300));
        Assert.True(Hash("h").Table.HighWater <= 8);
    }

    [Fact]
    public void ExpiredHashReadsAsMissing()
    {
        HSet("h", "a", "1");
        int i = Db.Lookup(B("h"), KeyIndex.Hash(B("h")));
        Db.SetExpire(i, _store.Clock.NowMs - 1);
        Assert.Equal(Status.NotFound, HashOps.Get(Db, B("h"), B("a"), out _));
        Assert.Equal(1, HSet("h", "a", "2"));
    }
}

using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Lists;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class ListOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string S(byte[] b) => Encoding.UTF8.GetString(b);

    private static ByteArrays E(params string[] items)
    {
        var arrays = new byte[items.Length][];
        for (int i = 0; i < items.Length; i++) arrays[i] = B(items[i]);
        return new ByteArrays(arrays);
    }

    private long RPush(string key, params string[] items)
    {
        Assert.Equal(Status.Ok, ListOps.Push(Db, B(key), E(items), left: false, onlyIfExists: false, out long n));
        return n;
    }

    private long LPush(string key, params string[] items)
    {
        Assert.Equal(Status.Ok, ListOps.Push(Db, B(key), E(items), left: true, onlyIfExists: false, out long n));
        return n;
    }

    private string[] All(string key)
    {
        var into = new List<byte[]>();
        ListOps.Range(Db, B(key), 0, -1, into);
        return into.Select(S).ToArray();
    }

    private ListValue Value(string key)
    {
        int i = Db.Lookup(B(key), KeyIndex.Hash(B(key)));
        Assert.True(i >= 0, "key is missing");
        return (ListValue)Db.At(i).Value!;
    }

    private bool Exists(string key) => KeyOps.Exists(Db, B(key));

    [Fact]
    public void PushesAddAtTheRightEndInArgumentOrder()
    {
        Assert.Equal(3, RPush("l", "a", "b", "c"));
        Assert.Equal(5, LPush("l", "x", "y"));
        Assert.Equal(["y", "x", "a", "b", "c"], All("l"));
    }

    [Fact]
    public void PushXOnMissingKeyCreatesNothing()
    {
        Assert.Equal(Status.NotFound, ListOps.Push(Db, B("l"), E("a"), left: true, onlyIfExists: true, out long n));
        Assert.Equal(0, n);
        Assert.False(Exists("l"));
        RPush("l", "a");
        Assert.Equal(Status.Ok, ListOps.Push(Db, B("l"), E("b", "c"), left: false, onlyIfExists: true, out n));
        Assert.Equal(3, n);
    }

    [Fact]
    public void EveryOperationReportsWrongTypeOnAString()
    {
        StringOps.Set(Db, B("s"), B("v"));
        var into = new List<byte[]>();
        Assert.Equal(Status.WrongType, ListOps.Push(Db, B("s"), E("a"), true, false, out _));
        Assert.Equal(Status.WrongType, ListOps.TryPop(Db, B("s"), true, out _));
        Assert.Equal(Status.WrongType, ListOps.TryPop(Db, B("s"), true, 0, into));
        Assert.Equal(Status.WrongType, ListOps.Length(Db, B("s"), out _));
        Assert.Equal(Status.WrongType, ListOps.Range(Db, B("s"), 0, -1, into));
        Assert.Equal(Status.WrongType, ListOps.Index(Db, B("s"), 0, out _));
        Assert.Equal(Status.WrongType, ListOps.Set(Db, B("s"), 0, B("x")));
        Assert.Equal(Status.WrongType, ListOps.Insert(Db, B("s"), true, B("a"), B("b"), out _));
        Assert.Equal(Status.WrongType, ListOps.Remove(Db, B("s"), 0, B("a"), out _));
        Assert.Equal(Status.WrongType, ListOps.Trim(Db, B("s"), 0, 1));
        Assert.Equal(Status.WrongType, ListOps.Positions(Db, B("s"), B("a"), 1, 1, 0, []));
        Assert.Equal(Status.WrongType, ListOps.TryMove(Db, B("s"), B("d"), true, true, out _));
        Assert.Empty(into);
        Assert.True(StringOps.Get(Db, B("s"), out ReadOnlySpan<byte> v) == Status.Ok && v.SequenceEqual(B("v")));
    }

    [Fact]
    public void PoppingTheLastElementDeletesTheKey()
    {
        RPush("l", "a", "b");
        Assert.Equal(Status.Ok, ListOps.TryPop(Db, B("l"), left: false, out byte[]? e));
        Assert.Equal("b", S(e!));
        Assert.Equal(Status.Ok, ListOps.TryPop(Db, B("l"), left: true, out e));
        Assert.Equal("a", S(e!));
        Assert.False(Exists("l"));
        Assert.Equal(Status.NotFound, ListOps.TryPop(Db, B("l"), left: true, out e));
        Assert.Null(e);
    }

    [Fact]
    public void PopWithCountTakesAtMostTheLengthAndZeroTakesNothing()
    {
        RPush("l", "a", "b", "c");
        var into = new List<byte[]>();
        Assert.Equal(Status.Ok, ListOps.TryPop(Db, B("l"), left: false, 0, into));
        Assert.Empty(into);
        Assert.Equal(Status.Ok, ListOps.TryPop(Db, B("l"), left: false, 2, into));
        Assert.Equal(["c", "b"], into.Select(S));
        into.Clear();
        Assert.Equal(Status.Ok, ListOps.TryPop(Db, B("l"), left: true, long.MaxValue, into));
        Assert.Equal(["a"], into.Select(S));
        Assert.False(Exists("l"));
        Assert.Equal(Status.NotFound, ListOps.TryPop(Db, B("l"), true, 5, into));
    }

    [Theory]
    [InlineData(0, -1, "a b c d e")]
    [InlineData(-2, -1, "d e")]
    [InlineData(1, 2, "b c")]
    [InlineData(-100, 1, "a b")]
    [InlineData(3, 100, "d e")]
    [InlineData(4, 2, "")]
    [InlineData(5, 10, "")]
    [InlineData(-1, -2, "")]
    [InlineData(long.MinValue, long.MaxValue, "a b c d e")]
    public void RangeFollowsRedisIndexRules(long start, long end, string expected)
    {
        RPush("l", "a", "b", "c", "d", "e");
        var into = new List<byte[]>();
        Assert.Equal(Status.Ok, ListOps.Range(Db, B("l"), start, end, into));
        Assert.Equal(expected, string.Join(' ', into.Select(S)));
    }

    [Fact]
    public void IndexAndSetAcceptNegativeIndexesAndRejectOutOfRange()
    {
        RPush("l", "a", "b", "c");
        Assert.Equal(Status.Ok, ListOps.Index(Db, B("l"), -1, out byte[]? e));
        Assert.Equal("c", S(e!));
        Assert.Equal(Status.NotFound, ListOps.Index(Db, B("l"), 3, out _));
        Assert.Equal(Status.NotFound, ListOps.Index(Db, B("l"), -4, out _));
        Assert.Equal(Status.Ok, ListOps.Set(Db, B("l"), -3, B("A")));
        Assert.Equal(Status.ConditionNotMet, ListOps.Set(Db, B("l"), 3, B("x")));
        Assert.Equal(Status.ConditionNotMet, ListOps.Set(Db, B("l"), long.MinValue, B("x")));
        Assert.Equal(Status.NotFound, ListOps.Set(Db, B("missing"), 0, B("x")));
        Assert.Equal(["A", "b", "c"], All("l"));
    }

    [Fact]
    public void InsertFindsTheFirstPivotFromTheHead()
    {
        RPush("l", "a", "p", "b", "p");
        Assert.Equal(Status.Ok, ListOps.Insert(Db, B("l"), before: true, B("p"), B("x"), out long n));
        Assert.Equal(5, n);
        Assert.Equal(Status.Ok, ListOps.Insert(Db, B("l"), before: false, B("p"), B("y"), out n));
        Assert.Equal(6, n);
        Assert.Equal(["a", "x", "p", "y", "b", "p"], All("l"));
        Assert.Equal(Status.Ok, ListOps.Insert(Db, B("l"), true, B("nope"), B("z"), out n));
        Assert.Equal(-1, n);
        Assert.Equal(Status.NotFound, ListOps.Insert(Db, B("missing"), true, B("a"), B("z"), out n));
        Assert.Equal(0, n);
        Assert.False(Exists("missing"));
    }

    [Theory]
    [InlineData(2, "b b x x", 2)]
    [InlineData(-2, "x b x b", 2)]
    [InlineData(0, "b b", 4)]
    [InlineData(100, "b b", 4)]
    public void RemoveHonoursCountAndDirection(long count, string expected, long removed)
    {
        RPush("l", "x", "b", "x", "b", "x", "x");
        Assert.Equal(Status.Ok, ListOps.Remove(Db, B("l"), count, B("x"), out long n));
        Assert.Equal(removed, n);
        Assert.Equal(expected, string.Join(' ', All("l")));
    }

    [Fact]
    public void RemovingEveryElementDeletesTheKey()
    {
        RPush("l", "x", "x");
        Assert.Equal(Status.Ok, ListOps.Remove(Db, B("l"), 0, B("x"), out long n));
        Assert.Equal(2, n);
        Assert.False(Exists("l"));
        Assert.Equal(Status.NotFound, ListOps.Remove(Db, B("l"), 0, B("x"), out n));
        Assert.Equal(0, n);
    }

    [Fact]
    public void TrimKeepsTheRangeAndAnEmptyRangeDeletesTheKey()
    {
        RPush("l", "a", "b", "c", "d", "e");
        Assert.Equal(Status.Ok, ListOps.Trim(Db, B("l"), 1, -2));
        Assert.Equal(["b", "c", "d"], All("l"));
        Assert.Equal(Status.Ok, ListOps.Trim(Db, B("l"), -100, 100));
        Assert.Equal(["b", "c", "d"], All("l"));
        Assert.Equal(Status.Ok, ListOps.Trim(Db, B("l"), 2, 1));
        Assert.False(Exists("l"));
        Assert.Equal(Status.NotFound, ListOps.Trim(Db, B("l"), 0, 1));
    }

    [Theory]
    [InlineData(1, 1, 0, "1")]
    [InlineData(2, 1, 0, "3")]
    [InlineData(-1, 1, 0, "6")]
    [InlineData(-2, 0, 0, "3 1")]
    [InlineData(1, 0, 0, "1 3 6")]
    [InlineData(1, 2, 0, "1 3")]
    [InlineData(1, 0, 4, "1 3")]
    [InlineData(-1, 0, 2, "6")]
    [InlineData(-1, 0, 1, "")]
    [InlineData(4, 0, 0, "")]
    public void PositionsHonourRankCountAndMaxLen(long rank, long count, long maxLen, string expected)
    {
        RPush("l", "a", "x", "b", "x", "c", "d", "x", "e");
        var into = new List<long>();
        Assert.Equal(Status.Ok, ListOps.Positions(Db, B("l"), B("x"), rank, count, maxLen, into));
        Assert.Equal(expected, string.Join(' ', into));
        Assert.Equal(Status.NotFound, ListOps.Positions(Db, B("missing"), B("x"), 1, 0, 0, into));
    }

    [Fact]
    public void MoveBetweenListsCreatesTheDestinationAndDeletesAnEmptiedSource()
    {
        RPush("src", "a", "b");
        Assert.Equal(Status.Ok, ListOps.TryMove(Db, B("src"), B("dst"), fromLeft: false, toLeft: true, out byte[]? e));
        Assert.Equal("b", S(e!));
        Assert.Equal(Status.Ok, ListOps.TryMove(Db, B("src"), B("dst"), fromLeft: true, toLeft: false, out e));
        Assert.Equal("a", S(e!));
        Assert.False(Exists("src"));
        Assert.Equal(["b", "a"], All("dst"));
        Assert.Equal(Status.NotFound, ListOps.TryMove(Db, B("src"), B("dst"), true, true, out e));
        Assert.Null(e);
    }

    [Fact]
    public void MoveOntoTheSameKeyRotates()
    {
        RPush("l", "a", "b", "c");
        Assert.Equal(Status.Ok, ListOps.TryMove(Db, B("l"), B("l"), fromLeft: false, toLeft: true, out byte[]? e));
        Assert.Equal("c", S(e!));
        Assert.Equal(["c", "a", "b"], All("l"));
        Assert.Equal(Status.Ok, ListOps.TryMove(Db, B("l"), B("l"), fromLeft: true, toLeft: false, out e));
        Assert.Equal("c", S(e!));
        Assert.Equal(["a", "b", "c"], All("l"));
        Assert.Equal(Status.Ok, ListOps.TryMove(Db, B("l"), B("l"), fromLeft: true, toLeft: true, out e));
        Assert.Equal("a", S(e!));
        Assert.Equal(["a", "b", "c"], All("l"));

        RPush("one", "x");
        Assert.Equal(Status.Ok, ListOps.TryMove(Db, B("one"), B("one"), fromLeft: true, toLeft: false, out e));
        Assert.Equal("x", S(e!));
        Assert.Equal(["x"], All("one"));
    }

    [Fact]
    public void MoveToAWrongTypeDestinationMovesNothing()
    {
        RPush("src", "a");
        StringOps.Set(Db, B("str"), B("v"));
        Assert.Equal(Status.WrongType, ListOps.TryMove(Db, B("src"), B("str"), true, true, out _));
        Assert.Equal(["a"], All("src"));
        // A missing source answers NotFound before the destination's type is looked at, as in Redis.
        Assert.Equal(Status.NotFound, ListOps.TryMove(Db, B("nosrc"), B("str"), true, true, out _));
    }

    [Fact]
    public void MultiPopTakesFromTheFirstNonEmptyList()
    {
        RPush("b", "1", "2", "3");
        RPush("c", "9");
        var into = new List<byte[]>();
        Assert.Equal(Status.Ok, ListOps.TryMultiPop(Db, E("a", "b", "c"), left: false, 2, into, out int k));
        Assert.Equal(1, k);
        Assert.Equal(["3", "2"], into.Select(S));
        into.Clear();
        Assert.Equal(Status.NotFound, ListOps.TryMultiPop(Db, E("x", "y"), true, 1, into, out k));
        Assert.Empty(into);

        StringOps.Set(Db, B("s"), B("v"));
        Assert.Equal(Status.WrongType, ListOps.TryMultiPop(Db, E("a", "s", "b"), true, 1, into, out _));
        Assert.Equal(Status.Ok, ListOps.TryMultiPop(Db, E("a", "b", "s"), true, 1, into, out k));
        Assert.Equal(1, k);
        Assert.Equal(["1"], into.Select(S));
    }

    [Fact]
    public void EncodingIsListpackForSmallListsAndQuicklistBeyondTheThresholds()
    {
        for (int i = 0; i < ListValue.ListpackMaxEntries; i++) RPush("l", "v" + i);
        Assert.Equal("listpack", Value("l").Encoding);
        RPush("l", "one-more");
        Assert.Equal("quicklist", Value("l").Encoding);
        Assert.True(KeyOps.ObjectEncoding(Db, B("l"), out string enc) && enc == "quicklist");
        ListOps.TryPop(Db, B("l"), true, out _);
        Assert.Equal("listpack", Value("l").Encoding);

        RPush("big", "small");
        RPush("big", new string('x', ListValue.ListpackMaxValue + 1));
        Assert.Equal("quicklist", Value("big").Encoding);
        ListOps.TryPop(Db, B("big"), false, out _);
        Assert.Equal("listpack", Value("big").Encoding);
        RPush("edge", new string('x', ListValue.ListpackMaxValue));
        Assert.Equal("listpack", Value("edge").Encoding);
    }

    [Fact]
    public void SerializationRoundTripsAndDetectsCorruption()
    {
        var list = new ListValue();
        list.PushRight(B("a"));
        list.PushRight([]);
        list.PushLeft(new byte[300]);
        list.PushRight(B("ünïcode"));
        byte[] encoded = ValueFormat.Encode(ValueKind.List, list);
        Assert.True(ValueFormat.TryDecode(encoded, out ValueKind kind, out object? decoded));
        Assert.Equal(ValueKind.List, kind);
        Assert.True(list.ContentEquals((ListValue)decoded!));
        Assert.Equal(list.SizeBytes, ((ListValue)decoded!).SizeBytes);

        for (int i = 0; i < encoded.Length; i++)
        {
            byte[] bad = (byte[])encoded.Clone();
            bad[i] ^= 0x01;
            Assert.False(ValueFormat.TryDecode(bad, out _, out _), $"corruption at byte {i} went unnoticed");
        }
    }

    [Fact]
    public void ReaderRefusesUnknownVersionsAndMalformedPayloads()
    {
        var list = new ListValue();
        list.PushRight(B("abc"));
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        list.Serialize(w);
        byte[] payload = w.WrittenSpan.ToArray();
        Assert.NotNull(ListValue.Read(1, payload));
        Assert.Null(ListValue.Read(2, payload));
        Assert.Null(ListValue.Read(1, payload.AsSpan(0, payload.Length - 1)));
        Assert.Null(ListValue.Read(1, [.. payload, 0]));
        Assert.Null(ListValue.Read(1, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]));
        Assert.Null(ListValue.Read(1, []));
    }

    [Fact]
    public void DeepCopyIsIndependent()
    {
        RPush("l", "a", "b");
        ListValue original = Value("l");
        var copy = (ListValue)original.DeepCopy();
        Assert.True(copy.ContentEquals(original));
        copy.PushRight(B("c"));
        copy.SetOwned(0, B("z"));
        Assert.Equal(["a", "b"], All("l"));
        Assert.NotSame(original[1], copy[1]);
        Assert.Equal(Status.Ok, KeyOps.Copy(Db, B("l"), Db, B("l2"), replace: false));
        ListOps.Set(Db, B("l2"), 0, B("changed"));
        Assert.Equal(["a", "b"], All("l"));
        Assert.Equal(["changed", "b"], All("l2"));
    }

    [Fact]
    public void MemoryFollowsPushesAndPopsAndReturnsToStartWhenTheKeyGoes()
    {
        long start = _store.UsedMemory;
        RPush("l", "a");
        long one = _store.UsedMemory;
        Assert.True(one > start);
        for (int i = 0; i < 1000; i++) RPush("l", new string('x', 100));
        long many = _store.UsedMemory;
        Assert.True(many - one >= 1000 * 100, $"1000 × 100 B grew memory by only {many - one}");
        Assert.Equal(many, start + MemoryOf.HotEntry(1) + Value("l").SizeBytes);

        var into = new List<byte[]>();
        ListOps.TryPop(Db, B("l"), true, 900, into);
        Assert.True(_store.UsedMemory < many - 900 * 100);
        Assert.Equal(_store.UsedMemory, start + MemoryOf.HotEntry(1) + Value("l").SizeBytes);
        ListOps.TryPop(Db, B("l"), true, 1000, into);
        Assert.False(Exists("l"));
        Assert.Equal(start, _store.UsedMemory);

        RPush("k", "a", "b", "c");
        ListOps.Set(Db, B("k"), 1, B(new string('y', 500)));
        ListOps.Insert(Db, B("k"), true, B("c"), B("zz"), out _);
        Assert.Equal(_store.UsedMemory, start + MemoryOf.HotEntry(1) + Value("k").SizeBytes);
        Assert.True(KeyOps.Delete(Db, B("k")));
        Assert.Equal(start, _store.UsedMemory);
    }

    [Fact]
    public void RandomOperationsMatchASimpleModel()
    {
        // Exercises wrap-around, growth, shrinking and middle edits of the ring against a List<string>.
        var rng = new Random(12345);
        var model = new List<string>();
        var list = new ListValue();
        for (int step = 0; step < 20000; step++)
        {
            string v = rng.Next(8).ToString();
            int op = rng.Next(9);
            switch (op)
            {
                case 0: list.PushLeft(B(v)); model.Insert(0, v); break;
                case 1: list.PushRight(B(v)); model.Add(v); break;
                case 2 or 3:
                    byte[]? p = list.Pop(op == 2);
                    if (model.Count == 0) { Assert.Null(p); break; }
                    int at = op == 2 ? 0 : model.Count - 1;
                    Assert.Equal(model[at], S(p!));
                    model.RemoveAt(at);
                    break;
                case 4:
                    int pos = rng.Next(model.Count + 1);
                    list.InsertOwned(pos, B(v)); model.Insert(pos, v);
                    break;
                case 5:
                    long limit = rng.Next(-2, 3);
                    int removed = list.RemoveMatches(B(v), limit);
                    Assert.Equal(ModelRemove(model, v, limit), removed);
                    break;
                case 6:
                    if (model.Count == 0) break;
                    int a = rng.Next(model.Count), b = rng.Next(a, model.Count);
                    list.Keep(a, b);
                    model.RemoveRange(b + 1, model.Count - b - 1);
                    model.RemoveRange(0, a);
                    break;
                case 7:
                    bool fromLeft = rng.Next(2) == 0;
                    list.Rotate(fromLeft);
                    if (model.Count > 1)
                    {
                        if (fromLeft) { model.Add(model[0]); model.RemoveAt(0); }
                        else { model.Insert(0, model[^1]); model.RemoveAt(model.Count - 1); }
                    }
                    break;
                case 8:
                    if (model.Count == 0) break;
                    int s = rng.Next(model.Count);
                    list.SetOwned(s, B(v)); model[s] = v;
                    break;
            }
            Assert.Equal(model.Count, list.Length);
            if (step % 97 == 0)
                for (int i = 0; i < model.Count; i++) Assert.Equal(model[i], S(list[i]));
        }
    }

    private static int ModelRemove(List<string> model, string v, long limit)
    {
        long max = limit == 0 ? long.MaxValue : Math.Abs(limit);
        int removed = 0;
        if (limit >= 0)
        {
            for (int i = 0; i < model.Count && removed < max;)
                if (model[i] == v) { model.RemoveAt(i); removed++; } else i++;
        }
        else
        {
            for (int i = model.Count - 1; i >= 0 && removed < max; i--)
                if (model[i] == v) { model.RemoveAt(i); removed++; }
        }
        return removed;
    }
}

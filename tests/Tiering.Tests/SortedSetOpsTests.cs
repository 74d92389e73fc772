using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Sets;
using Tiered.Tiering.Types.SortedSets;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class SortedSetOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private readonly struct Members(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => Encoding.UTF8.GetBytes(items[i]);
    }

    private readonly struct Keys(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => Encoding.UTF8.GetBytes(items[i]);
    }

    private long Add(string key, UpdateCondition flags, params (double Score, string Member)[] pairs)
    {
        double[] scores = pairs.Select(p => p.Score).ToArray();
        Assert.Equal(Status.Ok, SortedSetOps.Add(Db, B(key), flags, scores, new Members(pairs.Select(p => p.Member).ToArray()), out long added, out _));
        return added;
    }

    private long Add(string key, params (double Score, string Member)[] pairs) => Add(key, UpdateCondition.None, pairs);

    private string Range(string key, RangeSpec spec)
    {
        var items = new List<ScoredMember>();
        Assert.Equal(Status.Ok, SortedSetRangeOps.Range(Db, B(key), spec, items));
        return string.Join(",", items.Select(i => Encoding.UTF8.GetString(i.Member) + ":" + i.Score));
    }

    private SortedSetValue? Value(string key)
        => Db.ReadObject(B(key), ValueKind.ZSet, out SortedSetValue? z) == Status.Ok ? z : null;

    [Fact]
    public void AddCountsNewMembersAndConditionsRestrictUpdates()
    {
        Assert.Equal(2, Add("z", (1, "a"), (2, "b")));
        Assert.Equal(0, Add("z", UpdateCondition.Nx, (5, "a")));
        Assert.Equal(1.0, Value("z")!.Find(B("a"))!.Score);
        Assert.Equal(0, Add("z", UpdateCondition.Xx, (5, "a"), (1, "new")));
        Assert.Null(Value("z")!.Find(B("new")));
        Assert.Equal(5.0, Value("z")!.Find(B("a"))!.Score);
        Add("z", UpdateCondition.Gt, (3, "a"));
        Assert.Equal(5.0, Value("z")!.Find(B("a"))!.Score);
        Add("z", UpdateCondition.Lt, (3, "a"));
        Assert.Equal(3.0, Value("z")!.Find(B("a"))!.Score);
        SortedSetOps.Add(Db, B("z"), UpdateCondition.None, [3, 7], new Members("a", "b"), out long added, out long changed);
        Assert.Equal(0, added);
        Assert.Equal(1, changed);
    }

    [Fact]
    public void AddWithXxNeverCreatesTheKeyAndAgainstAStringIsWrongType()
    {
        Assert.Equal(0, Add("z", UpdateCondition.Xx, (1, "a")));
        Assert.Equal(0, Db.Count);
        StringOps.Set(Db, B("s"), B("v"));
        Assert.Equal(Status.WrongType, SortedSetOps.Add(Db, B("s"), UpdateCondition.None, [1], new Members("a"), out _, out _));
        Assert.Equal(Status.WrongType, SortedSetOps.Score(Db, B("s"), B("a"), out _));
    }

    [Fact]
    public void IncrAddsToTheScoreAndRefusesNaNWithoutChangingAnything()
    {
        Assert.Equal(Status.Ok, SortedSetOps.Incr(Db, B("z"), UpdateCondition.None, 2.5, B("a"), out double s));
        Assert.Equal(2.5, s);
        SortedSetOps.Incr(Db, B("z"), UpdateCondition.None, double.PositiveInfinity, B("a"), out s);
        Assert.Equal(double.PositiveInfinity, s);
        Assert.Equal(Status.NanOrInfinity, SortedSetOps.Incr(Db, B("z"), UpdateCondition.None, double.NegativeInfinity, B("a"), out _));
        Assert.Equal(double.PositiveInfinity, Value("z")!.Find(B("a"))!.Score);
        Assert.Equal(Status.ConditionNotMet, SortedSetOps.Incr(Db, B("z"), UpdateCondition.Nx, 1, B("a"), out _));
        Assert.Equal(Status.ConditionNotMet, SortedSetOps.Incr(Db, B("other"), UpdateCondition.Xx, 1, B("a"), out _));
        Assert.Equal(1, Db.Count);
        Assert.Equal(Status.ConditionNotMet, SortedSetOps.Incr(Db, B("z"), UpdateCondition.Lt, 1, B("a"), out _));
    }

    [Fact]
    public void RemovingTheLastMemberDeletesTheKey()
    {
        Add("z", (1, "a"), (2, "b"));
        SortedSetOps.Remove(Db, B("z"), new Members("a", "x"), out long removed);
        Assert.Equal(1, removed);
        SortedSetOps.Remove(Db, B("z"), new Members("b"), out removed);
        Assert.Equal(1, removed);
        Assert.Equal(0, Db.Count);
        Assert.Equal(Status.NotFound, SortedSetOps.Remove(Db, B("z"), new Members("b"), out _));
    }

    [Fact]
    public void CountRankAndMScoreAnswerFromTheOrder()
    {
        Add("z", (1, "a"), (2, "b"), (2, "c"), (3, "d"));
        SortedSetOps.Count(Db, B("z"), new ScoreRange(2, 3), out long n);
        Assert.Equal(3, n);
        SortedSetOps.Count(Db, B("z"), new ScoreRange(1, 2, MinExclusive: true, MaxExclusive: true), out n);
        Assert.Equal(0, n);
        SortedSetOps.Count(Db, B("z"), new LexRange(new LexBound(LexBoundKind.Exclusive, B("a")), LexBound.Max), out n);
        Assert.Equal(3, n);
        SortedSetOps.Rank(Db, B("z"), B("c"), false, out long r);
        Assert.Equal(2, r);
        SortedSetOps.Rank(Db, B("z"), B("c"), true, out r);
        Assert.Equal(1, r);
        Assert.Equal(Status.NotFound, SortedSetOps.Rank(Db, B("z"), B("x"), false, out _));
        double[] scores = new double[2];
        SortedSetOps.MScore(Db, B("z"), new Members("d", "x"), scores);
        Assert.Equal(3.0, scores[0]);
        Assert.True(double.IsNaN(scores[1]));
    }

    [Fact]
    public void RangesByRankScoreAndLexWithReverseAndLimit()
    {
        Add("z", (1, "a"), (2, "b"), (3, "c"), (4, "d"));
        Assert.Equal("a:1,b:2,c:3,d:4", Range("z", RangeSpec.ByRank(0, -1)));
        Assert.Equal("c:3,d:4", Range("z", RangeSpec.ByRank(-2, 100)));
        Assert.Equal("d:4,c:3", Range("z", RangeSpec.ByRank(0, 1, reverse: true)));
        Assert.Equal("", Range("z", RangeSpec.ByRank(3, 1)));
        Assert.Equal("b:2,c:3", Range("z", RangeSpec.ByScore(new ScoreRange(1, 3, MinExclusive: true))));
        Assert.Equal("c:3", Range("z", RangeSpec.ByScore(new ScoreRange(double.NegativeInfinity, double.PositiveInfinity), true, 1, 1)));
        Assert.Equal("", Range("z", RangeSpec.ByScore(new ScoreRange(double.NegativeInfinity, double.PositiveInfinity), false, -1, 1)));
        var lex = new LexRange(new LexBound(LexBoundKind.Inclusive, B("b")), LexBound.Max);
        Add("l", (0, "a"), (0, "b"), (0, "c"));
        Assert.Equal("b:0,c:0", Range("l", RangeSpec.ByLex(lex)));
        Assert.Equal("c:0,b:0", Range("l", RangeSpec.ByLex(lex, reverse: true)));
        Assert.Equal("", Range("missing", RangeSpec.ByRank(0, -1)));
    }

    [Fact]
    public void RemoveRangeDeletesExactlyTheRangeAndTheEmptiedKey()
    {
        Add("z", (1, "a"), (2, "b"), (3, "c"), (4, "d"));
        SortedSetRangeOps.RemoveRange(Db, B("z"), RangeSpec.ByRank(1, 2), out long n);
        Assert.Equal(2, n);
        Assert.Equal("a:1,d:4", Range("z", RangeSpec.ByRank(0, -1)));
        SortedSetRangeOps.RemoveRange(Db, B("z"), RangeSpec.ByScore(new ScoreRange(4, 4)), out n);
        Assert.Equal(1, n);
        SortedSetRangeOps.RemoveRange(Db, B("z"), RangeSpec.ByLex(new LexRange(LexBound.Min, LexBound.Max)), out n);
        Assert.Equal(1, n);
        Assert.Equal(0, Db.Count);
    }

    [Fact]
    public void PopTakesFromEitherEndAndRandomDistinctNeverRepeats()
    {
        Add("z", (1, "a"), (2, "b"), (3, "c"));
        var items = new List<ScoredMember>();
        SortedSetOps.Pop(Db, B("z"), max: true, 2, items);
        Assert.Equal(["c", "b"], items.Select(i => Encoding.UTF8.GetString(i.Member)));
        for (int i = 0; i < 20; i++) Add("r", (i, "m" + i));
        items.Clear();
        SortedSetOps.RandomMembers(Db, B("r"), 15, distinct: true, items);
        Assert.Equal(15, items.Select(i => Encoding.UTF8.GetString(i.Member)).Distinct().Count());
        items.Clear();
        SortedSetOps.RandomMembers(Db, B("r"), 50, distinct: false, items);
        Assert.Equal(50, items.Count);
        items.Clear();
        SortedSetOps.RandomMembers(Db, B("r"), 50, distinct: true, items);
        Assert.Equal(20, items.Count);
    }

    [Fact]
    public void ScanOfALargeSetReturnsEveryMemberPresentThroughoutDespiteDeletes()
    {
        for (int i = 0; i < 1000; i++) Add("z", (i, "m" + i));
        Assert.Equal("skiplist", Value("z")!.Encoding);
        var seen = new HashSet<string>();
        var items = new List<ScoredMember>();
        ulong cursor = 0;
        int calls = 0;
        do
        {
            items.Clear();
            SortedSetOps.Scan(Db, B("z"), cursor, 50, default, items, out cursor);
            foreach (ScoredMember m in items) seen.Add(Encoding.UTF8.GetString(m.Member));
            // Delete some odd members between calls: the even ones must all still be returned.
            SortedSetOps.Remove(Db, B("z"), new Members("m" + (2 * calls + 1)), out _);
            calls++;
        } while (cursor != 0);
        for (int i = 0; i < 1000; i += 2) Assert.Contains("m" + i, seen);
        Assert.True(calls > 1);
    }

    [Fact]
    public void UnionInterDiffApplyWeightsAndAggregates()
    {
        Add("a", (1, "x"), (2, "y"));
        Add("b", (10, "y"), (20, "z"));
        var items = new List<ScoredMember>();
        string Result() => string.Join(",", items.Select(i => Encoding.UTF8.GetString(i.Member) + ":" + i.Score));
        SortedSetRangeOps.Combine(Db, SetAlgebra.Union, new Keys("a", "b"), [2, 1], Aggregate.Sum, items);
        Assert.Equal("x:2,y:14,z:20", Result());
        items.Clear();
        SortedSetRangeOps.Combine(Db, SetAlgebra.Intersection, new Keys("a", "b", "missing"), [], Aggregate.Sum, items);
        Assert.Equal("", Result());
        SortedSetRangeOps.Combine(Db, SetAlgebra.Intersection, new Keys("a", "b"), [], Aggregate.Max, items);
        Assert.Equal("y:10", Result());
        items.Clear();
        SortedSetRangeOps.Combine(Db, SetAlgebra.Difference, new Keys("a", "b"), [], Aggregate.Sum, items);
        Assert.Equal("x:1", Result());
        items.Clear();
        SortedSetRangeOps.Combine(Db, SetAlgebra.Union, new Keys("a"), [0], Aggregate.Sum, items);
        Assert.Equal("x:0,y:0", Result());
        StringOps.Set(Db, B("s"), B("v"));
        Assert.Equal(Status.WrongType, SortedSetRangeOps.Combine(Db, SetAlgebra.Union, new Keys("a", "s"), [], Aggregate.Sum, items));
    }

    [Fact]
    public void InterCardCountsTheIntersectionOfSortedSetsAndSetsUpToTheLimit()
    {
        Add("z1", (1, "a"), (2, "b"), (3, "c"));
        Add("z2", (1, "b"), (1, "c"));
        SetOps.Add(Db, B("s1"), new Members("c", "d"), out _);
        long Card(long limit, params string[] keys)
        {
            Assert.Equal(Status.Ok, SortedSetRangeOps.InterCard(Db, new Keys(keys), limit, out long n));
            return n;
        }
        Assert.Equal(2, Card(0, "z1", "z2"));
        Assert.Equal(1, Card(1, "z1", "z2"));
        Assert.Equal(2, Card(5, "z1", "z2"));
        Assert.Equal(1, Card(0, "z1", "s1"));
        Assert.Equal(3, Card(0, "z1"));
        Assert.Equal(0, Card(0, "z1", "missing"));
        StringOps.Set(Db, B("str"), B("v"));
        Assert.Equal(Status.WrongType, SortedSetRangeOps.InterCard(Db, new Keys("missing", "str"), 0, out _));
    }

    [Fact]
    public void StoreOverwritesAnyTypeDropsTheTtlAndDeletesOnEmptyResult()
    {
        Add("a", (1, "x"), (2, "y"));
        StringOps.Set(Db, B("dst"), B("v"), SetCondition.Always, _store.Clock.NowMs + 100_000);
        Assert.Equal(Status.Ok, SortedSetRangeOps.CombineStore(Db, B("dst"), SetAlgebra.Union, new Keys("a", "a"), [], Aggregate.Sum, out long n));
        Assert.Equal(2, n);
        Assert.Equal("x:2,y:4", Range("dst", RangeSpec.ByRank(0, -1)));
        Assert.Equal(0, Db.Expires);
        SortedSetRangeOps.RangeStore(Db, B("a"), B("a"), RangeSpec.ByRank(1, 1), out n);
        Assert.Equal("y:2", Range("a", RangeSpec.ByRank(0, -1)));
        SortedSetRangeOps.CombineStore(Db, B("dst"), SetAlgebra.Intersection, new Keys("a", "nothing"), [], Aggregate.Sum, out n);
        Assert.Equal(0, n);
        Assert.Null(Value("dst"));
    }

    [Fact]
    public void SerializationRoundTripsAndACorruptedByteIsRefused()
    {
        Add("z", (1.5, "a"), (double.NegativeInfinity, "b"), (-0.25, ""), (1e300, new string('x', 100)));
        SortedSetValue z = Value("z")!;
        byte[] bytes = ValueFormat.Encode(ValueKind.ZSet, z);
        Assert.True(ValueFormat.TryDecode(bytes, out ValueKind kind, out object? decoded));
        Assert.Equal(ValueKind.ZSet, kind);
        var copy = (SortedSetValue)decoded!;
        Assert.Equal(z.Count, copy.Count);
        for (SkipListNode? x = z.List.First, y = copy.List.First; x != null; x = x.Next, y = y!.Next)
        {
            Assert.Equal(x.Member, y!.Member);
            Assert.Equal(x.Score, y.Score);
        }
        Assert.Equal("skiplist", copy.Encoding);
        for (int i = 0; i < bytes.Length; i += 7)
        {
            byte[] bad = (byte[])bytes.Clone();
            bad[i] ^= 0x40;
            Assert.False(ValueFormat.TryDecode(bad, out _, out _));
        }
        Assert.Null(SortedSetValue.Read(2, bytes.AsSpan(6, bytes.Length - 10)));
    }

    [Fact]
    public void DeepCopyIsIndependent()
    {
        Add("z", (1, "a"), (2, "b"));
        var copy = (SortedSetValue)Value("z")!.DeepCopy();
        SortedSetOps.Remove(Db, B("z"), new Members("a"), out _);
        Add("z", (9, "b"));
        Assert.Equal(2, copy.Count);
        Assert.Equal(2.0, copy.Find(B("b"))!.Score);
        Assert.Equal(1.0, copy.Find(B("a"))!.Score);
    }

    [Fact]
    public void MemoryAccountingGrowsWithMembersAndReturnsToStartOnDelete()
    {
        long start = _store.UsedMemory;
        Add("z", (1, "a"));
        long one = _store.UsedMemory;
        for (int i = 0; i < 300; i++) Add("z", (i, "member" + i));
        Assert.True(_store.UsedMemory > one + 300 * 30);
        for (int i = 0; i < 300; i++) SortedSetOps.Remove(Db, B("z"), new Members("member" + i), out _);
        Assert.True(_store.UsedMemory < one + 300 * 30);
        KeyOps.Delete(Db, B("z"));
        Assert.Equal(start, _store.UsedMemory);
        Add("p", (1, "a"), (2, "b"));
        var popped = new List<ScoredMember>();
        SortedSetOps.Pop(Db, B("p"), false, 5, popped);
        Assert.Equal(start, _store.UsedMemory);
    }

    [Fact]
    public void EncodingIsListpackUntilALimitIsCrossedAndThenStaysSkiplist()
    {
        for (int i = 0; i < 128; i++) Add("z", (i, "m" + i));
        Assert.Equal("listpack", Value("z")!.Encoding);
        Add("z", (1, "one-more"));
        Assert.Equal("skiplist", Value("z")!.Encoding);
        SortedSetOps.Remove(Db, B("z"), new Members("one-more"), out _);
        Assert.Equal("skiplist", Value("z")!.Encoding);
        Add("big", (1, new string('x', 65)));
        Assert.Equal("skiplist", Value("big")!.Encoding);
    }
}

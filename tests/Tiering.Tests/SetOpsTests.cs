using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Sets;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class SetOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    private readonly struct Strings(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => B(items[i]);
    }

    private long SAdd(string key, params string[] members)
    {
        Assert.Equal(Status.Ok, SetOps.Add(Db, B(key), new Strings(members), out long added));
        return added;
    }

    private SetValue Set(string key)
    {
        Assert.Equal(Status.Ok, SetOps.Read(Db, B(key), out SetValue? s));
        return s!;
    }

    private static List<string> Members(SetValue s)
    {
        var list = new List<string>();
        foreach (byte[] m in s) list.Add(S(m));
        return list;
    }

    private static List<string> Sorted(List<byte[]> members) => members.Select(m => S(m)).Order().ToList();

    [Fact]
    public void AddCountsNewMembersAndRemoveCountsExistingOnes()
    {
        Assert.Equal(3, SAdd("s", "a", "b", "a", "c"));
        Assert.Equal(1, SAdd("s", "c", "d"));
        Assert.Equal(Status.Ok, SetOps.Card(Db, B("s"), out long n));
        Assert.Equal(4, n);
        Assert.Equal(Status.Ok, SetOps.Remove(Db, B("s"), new Strings("a", "zz", "a"), out long removed));
        Assert.Equal(1, removed);
        Assert.Equal(Status.NotFound, SetOps.IsMember(Db, B("s"), B("a")));
        Assert.Equal(Status.Ok, SetOps.IsMember(Db, B("s"), B("b")));
        Assert.Equal(["b", "c", "d"], Members(Set("s")));
    }

    [Fact]
    public void RemovingTheLastMemberDeletesTheKey()
    {
        SAdd("s", "a");
        SetOps.Remove(Db, B("s"), new Strings("a"), out _);
        Assert.Equal(0, Db.Count);
        Assert.Equal(Status.NotFound, SetOps.Card(Db, B("s"), out long n));
        Assert.Equal(0, n);
    }

    [Fact]
    public void OperationsOnAStringAreWrongType()
    {
        StringOps.Set(Db, B("str"), B("x"));
        Assert.Equal(Status.WrongType, SetOps.Add(Db, B("str"), new Strings("a"), out _));
        Assert.Equal(Status.WrongType, SetOps.IsMember(Db, B("str"), B("a")));
        Assert.Equal(Status.WrongType, SetOps.Pop(Db, B("str"), 1, []));
        Assert.Equal(Status.WrongType, SetOps.Combine(Db, SetAlgebra.Union, new Strings("str"), []));
    }

    [Fact]
    public void EncodingFollowsRedisOneWayPath()
    {
        SAdd("ints", "1", "-5", "9223372036854775807");
        Assert.Equal("intset", Set("ints").Encoding);
        SAdd("ints", "01"); // not canonical: not an integer member
        Assert.Equal("listpack", Set("ints").Encoding);
        SetOps.Remove(Db, B("ints"), new Strings("01"), out _);
        Assert.Equal("listpack", Set("ints").Encoding);

        for (int i = 0; i < SetValue.MaxIntsetEntries; i++) SAdd("big", i.ToString());
        Assert.Equal("intset", Set("big").Encoding);
        SAdd("big", "512");
        Assert.Equal("hashtable", Set("big").Encoding);

        for (int i = 0; i < SetValue.MaxListpackEntries; i++) SAdd("lp", "m" + i);
        Assert.Equal("listpack", Set("lp").Encoding);
        SAdd("lp", "one-more");
        Assert.Equal("hashtable", Set("lp").Encoding);

        SAdd("long", new string('x', 65));
        Assert.Equal("hashtable", Set("long").Encoding);
        for (int i = 0; i < 200; i++) SAdd("mixed", i.ToString());
        SAdd("mixed", "text");
        Assert.Equal("hashtable", Set("mixed").Encoding);
    }

    [Fact]
    public void PopRemovesDistinctMembersAndTheWholeSetDeletesTheKey()
    {
        for (int i = 0; i < 50; i++) SAdd("s", "m" + i);
        var popped = new List<byte[]>();
        Assert.Equal(Status.Ok, SetOps.Pop(Db, B("s"), 20, popped));
        Assert.Equal(20, popped.Select(m => S(m)).Distinct().Count());
        Assert.Equal(30, Set("s").Count);
        foreach (byte[] m in popped) Assert.False(Set("s").Contains(m));
        popped.Clear();
        SetOps.Pop(Db, B("s"), 1000, popped);
        Assert.Equal(30, popped.Count);
        Assert.Equal(0, Db.Count);
        popped.Clear();
        Assert.Equal(Status.NotFound, SetOps.Pop(Db, B("s"), 3, popped));
        Assert.Empty(popped);
    }

    [Fact]
    public void RandomMembersDistinctForPositiveAndRepeatingForNegativeCount()
    {
        for (int i = 0; i < 100; i++) SAdd("s", "m" + i);
        var got = new List<byte[]>();
        SetOps.RandomMembers(Db, B("s"), 60, got);
        Assert.Equal(60, got.Select(m => S(m)).Distinct().Count());
        got.Clear();
        SetOps.RandomMembers(Db, B("s"), 5, got);
        Assert.Equal(5, got.Select(m => S(m)).Distinct().Count());
        got.Clear();
        SetOps.RandomMembers(Db, B("s"), 1000, got);
        Assert.Equal(100, got.Count);
        got.Clear();
        SAdd("two", "a", "b");
        SetOps.RandomMembers(Db, B("two"), -50, got);
        Assert.Equal(50, got.Count);
        Assert.Equal(["a", "b"], got.Select(m => S(m)).Distinct().Order());
        Assert.Equal(100, Set("s").Count);
    }

    [Fact]
    public void MoveTransfersAMemberAndChecksBothTypesFirst()
    {
        SAdd("src", "a", "b");
        Assert.Equal(Status.Ok, SetOps.Move(Db, B("src"), B("dst"), B("a")));
        Assert.Equal(["b"], Members(Set("src")));
        Assert.Equal(["a"], Members(Set("dst")));
        Assert.Equal(Status.NotFound, SetOps.Move(Db, B("src"), B("dst"), B("zz")));
        Assert.Equal(Status.Ok, SetOps.Move(Db, B("src"), B("src"), B("b")));
        Assert.Equal(Status.NotFound, SetOps.Move(Db, B("src"), B("src"), B("a")));
        StringOps.Set(Db, B("str"), B("x"));
        Assert.Equal(Status.WrongType, SetOps.Move(Db, B("src"), B("str"), B("b")));
        Assert.Equal(["b"], Members(Set("src")));
        Assert.Equal(Status.NotFound, SetOps.Move(Db, B("missing"), B("str"), B("b")));
        Assert.Equal(Status.Ok, SetOps.Move(Db, B("src"), B("dst"), B("b")));
        Assert.Equal(Status.NotFound, SetOps.Read(Db, B("src"), out _));
        Assert.Equal(["a", "b"], Members(Set("dst")));
    }

    [Fact]
    public void AlgebraTreatsMissingKeysAsEmptySets()
    {
        SAdd("a", "1", "2", "3", "x");
        SAdd("b", "2", "3", "4");
        SAdd("c", "3", "x", "2");
        var r = new List<byte[]>();
        SetOps.Combine(Db, SetAlgebra.Intersection, new Strings("a", "b", "c"), r);
        Assert.Equal(["2", "3"], Sorted(r));
        r.Clear();
        SetOps.Combine(Db, SetAlgebra.Intersection, new Strings("a", "a"), r);
        Assert.Equal(4, r.Count);
        r.Clear();
        SetOps.Combine(Db, SetAlgebra.Intersection, new Strings("a", "missing"), r);
        Assert.Empty(r);
        SetOps.Combine(Db, SetAlgebra.Union, new Strings("a", "missing", "b"), r);
        Assert.Equal(["1", "2", "3", "4", "x"], Sorted(r));
        r.Clear();
        SetOps.Combine(Db, SetAlgebra.Difference, new Strings("a", "b", "missing"), r);
        Assert.Equal(["1", "x"], Sorted(r));
        r.Clear();
        SetOps.Combine(Db, SetAlgebra.Difference, new Strings("a", "a"), r);
        Assert.Empty(r);
        SetOps.Combine(Db, SetAlgebra.Difference, new Strings("missing", "a"), r);
        Assert.Empty(r);
    }

    [Fact]
    public void AlgebraFailsOnAnyWrongTypeEvenAfterAMissingKey()
    {
        SAdd("a", "1");
        StringOps.Set(Db, B("str"), B("x"));
        foreach (SetAlgebra op in Enum.GetValues<SetAlgebra>())
        {
            Assert.Equal(Status.WrongType, SetOps.Combine(Db, op, new Strings("missing", "a", "str"), []));
            Assert.Equal(Status.WrongType, SetOps.CombineStore(Db, op, B("dst"), new Strings("a", "missing", "str"), out _));
        }
        Assert.Equal(Status.NotFound, SetOps.Read(Db, B("dst"), out _));
        Assert.Equal(Status.WrongType, SetOps.InterCard(Db, new Strings("missing", "str"), 0, out _));
    }

    [Fact]
    public void StoreReplacesAnyDestinationDropsItsTtlAndAnEmptyResultDeletesIt()
    {
        SAdd("a", "1", "2");
        SAdd("b", "2", "3");
        StringOps.Set(Db, B("dst"), B("old"), SetCondition.Always, _store.Clock.NowMs + 100_000);
        Assert.Equal(1, Db.Expires);
        Assert.Equal(Status.Ok, SetOps.CombineStore(Db, SetAlgebra.Union, B("dst"), new Strings("a", "b"), out long n));
        Assert.Equal(3, n);
        Assert.Equal(["1", "2", "3"], Members(Set("dst")).Order());
        Assert.Equal(0, Db.Expires);

        // The destination may be one of the sources.
        SetOps.CombineStore(Db, SetAlgebra.Intersection, B("a"), new Strings("a", "b"), out n);
        Assert.Equal(1, n);
        Assert.Equal(["2"], Members(Set("a")));

        SetOps.CombineStore(Db, SetAlgebra.Difference, B("dst"), new Strings("a", "b"), out n);
        Assert.Equal(0, n);
        Assert.Equal(Status.NotFound, SetOps.Read(Db, B("dst"), out _));

        // The stored set owns its members: changing a source later does not change it.
        SetOps.CombineStore(Db, SetAlgebra.Union, B("u"), new Strings("b"), out _);
        SetOps.Remove(Db, B("b"), new Strings("2"), out _);
        Assert.Equal(["2", "3"], Members(Set("u")));
    }

    [Fact]
    public void InterCardStopsAtTheLimit()
    {
        for (int i = 0; i < 100; i++) SAdd("a", "m" + i);
        for (int i = 50; i < 150; i++) SAdd("b", "m" + i);
        SetOps.InterCard(Db, new Strings("a", "b"), 0, out long n);
        Assert.Equal(50, n);
        SetOps.InterCard(Db, new Strings("a", "b"), 7, out n);
        Assert.Equal(7, n);
        SetOps.InterCard(Db, new Strings("a", "b", "missing"), 0, out n);
        Assert.Equal(0, n);
    }

    [Fact]
    public void ScanReturnsEveryMemberPresentForTheWholeScan()
    {
        for (int i = 0; i < 2000; i++) SAdd("s", "m" + i);
        var seen = new HashSet<string>();
        var page = new List<byte[]>();
        ulong cursor = 0;
        int steps = 0;
        do
        {
            page.Clear();
            SetOps.Scan(Db, B("s"), cursor, 50, default, page, out cursor);
            foreach (byte[] m in page) seen.Add(S(m));
            // Pop a random batch (members not yet seen may go) and add new members between calls.
            SetOps.Pop(Db, B("s"), 20, []);
            SAdd("s", "n" + steps);
            steps++;
        } while (cursor != 0);
        foreach (byte[] m in Set("s"))
        {
            string name = S(m);
            if (name.StartsWith('m')) Assert.Contains(name, seen);
        }
    }

    [Fact]
    public void ScanFiltersByPattern()
    {
        for (int i = 0; i < 300; i++) SAdd("s", "key:" + i);
        var all = new List<byte[]>();
        ulong cursor = 0;
        do
        {
            SetOps.Scan(Db, B("s"), cursor, 7, B("key:1?"), all, out cursor);
        } while (cursor != 0);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => "key:" + i).Order(), Sorted(all));
    }

    [Fact]
    public void SerializationRoundTripsAndDetectsCorruption()
    {
        var s = new SetValue();
        for (int i = 0; i < 600; i++) s.Add(B(i.ToString()));
        byte[] encoded = ValueFormat.Encode(ValueKind.Set, s);
        Assert.True(ValueFormat.TryDecode(encoded, out ValueKind kind, out object? decoded));
        Assert.Equal(ValueKind.Set, kind);
        var copy = Assert.IsType<SetValue>(decoded);
        Assert.Equal(Members(s), Members(copy));
        Assert.Equal("hashtable", copy.Encoding);

        var small = new SetValue();
        small.Add(B("1"));
        small.Add(B("2"));
        Assert.True(ValueFormat.TryDecode(ValueFormat.Encode(ValueKind.Set, small), out _, out object? smallCopy));
        Assert.Equal("intset", ((SetValue)smallCopy!).Encoding);

        byte[] bad = (byte[])encoded.Clone();
        bad[encoded.Length / 2] ^= 1;
        Assert.False(ValueFormat.TryDecode(bad, out _, out _));
        Assert.Null(SetValue.Read(9, [0]));
    }

    [Fact]
    public void DeepCopyIsIndependent()
    {
        SAdd("s", "a", "b");
        var copy = (SetValue)Set("s").DeepCopy();
        SAdd("s", "c");
        SetOps.Remove(Db, B("s"), new Strings("a"), out _);
        Assert.Equal(["a", "b"], Members(copy));
        Assert.Equal(Set("s").Encoding, copy.Encoding);
    }

    [Fact]
    public void UsedMemoryFollowsTheSetAndReturnsToStartAfterDelete()
    {
        long start = _store.UsedMemory;
        SAdd("s", "a");
        long one = _store.UsedMemory;
        Assert.True(one > start);
        for (int i = 0; i < 1000; i++) SAdd("s", "member-" + i);
        long many = _store.UsedMemory;
        Assert.True(many > one + 1000 * 8);
        SetOps.Pop(Db, B("s"), 900, []);
        Assert.True(_store.UsedMemory < many);
        Assert.Equal(Set("s").SizeBytes, Set("s").AccountedBytes);
        Assert.True(KeyOps.Delete(Db, B("s")));
        Assert.Equal(start, _store.UsedMemory);

        SAdd("a", "1", "2");
        SetOps.CombineStore(Db, SetAlgebra.Union, B("u"), new Strings("a"), out _);
        SetOps.Move(Db, B("a"), B("u"), B("1"));
        SetOps.Pop(Db, B("a"), 10, []);
        KeyOps.Delete(Db, B("u"));
        Assert.Equal(start, _store.UsedMemory);
    }

    [Fact]
    public void ExpiredSetIsTreatedAsMissingBySetAlgebra()
    {
        SAdd("a", "1");
        SAdd("b", "1");
        int i = Db.Lookup(B("b"), KeyIndex.Hash(B("b")));
        Db.SetExpire(i, _store.Clock.NowMs - 1);
        var r = new List<byte[]>();
        SetOps.Combine(Db, SetAlgebra.Intersection, new Strings("a", "b"), r);
        Assert.Empty(r);
    }
}

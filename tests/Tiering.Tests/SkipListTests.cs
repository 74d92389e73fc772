using System.Text;
using Tiered.Tiering.Types.SortedSets;

namespace Tiered.Tiering.Tests;

public sealed class SkipListTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static int Cmp((double Score, byte[] Member) a, (double Score, byte[] Member) b)
        => SkipList.Compare(a.Score, a.Member, b.Score, b.Member);

    [Fact]
    public void RanksMatchASortedReferenceAfterThousandsOfRandomInsertsDeletesAndScoreUpdates()
    {
        var rng = new Random(12345);
        var list = new SkipList(new Random(7));
        var reference = new List<(double Score, byte[] Member)>();
        var nodes = new Dictionary<string, SkipListNode>();
        for (int step = 0; step < 6000; step++)
        {
            int op = rng.Next(10);
            string name = "m" + rng.Next(800);
            double score = rng.Next(50); // few distinct scores so member order matters too
            if (op < 5 && !nodes.ContainsKey(name))
            {
                nodes[name] = list.Insert(score, B(name));
                reference.Add((score, B(name)));
            }
            else if (op < 8 && nodes.TryGetValue(name, out SkipListNode? del))
            {
                Assert.Same(del, list.Delete(del.Score, del.Member));
                reference.RemoveAll(e => e.Member.AsSpan().SequenceEqual(del.Member));
                nodes.Remove(name);
            }
            else if (nodes.TryGetValue(name, out SkipListNode? upd))
            {
                reference.RemoveAll(e => e.Member.AsSpan().SequenceEqual(upd.Member));
                list.UpdateScore(upd, score);
                Assert.Equal(score, upd.Score);
                reference.Add((score, upd.Member));
            }
            if (step % 500 == 0) list.Validate();
        }
        list.Validate();
        reference.Sort(Cmp);
        Assert.Equal(reference.Count, list.Count);
        for (int i = 0; i < reference.Count; i++)
        {
            SkipListNode? n = list.ByRank(i + 1);
            Assert.NotNull(n);
            Assert.Equal(reference[i].Score, n.Score);
            Assert.Equal(reference[i].Member, n.Member);
            Assert.Equal(i + 1, list.Rank(reference[i].Score, reference[i].Member));
        }
        Assert.Null(list.ByRank(0));
        Assert.Null(list.ByRank(reference.Count + 1));
        Assert.Equal(0, list.Rank(1000, B("absent")));
    }

    [Fact]
    public void ScoreRangeEndsMatchALinearScan()
    {
        var rng = new Random(99);
        var list = new SkipList(new Random(3));
        var reference = new List<(double Score, byte[] Member)>();
        for (int i = 0; i < 500; i++)
        {
            double s = rng.Next(100);
            list.Insert(s, B("x" + i));
            reference.Add((s, B("x" + i)));
        }
        reference.Sort(Cmp);
        for (int t = 0; t < 300; t++)
        {
            var range = new ScoreRange(rng.Next(-5, 105), rng.Next(-5, 105), rng.Next(2) == 0, rng.Next(2) == 0);
            int first = reference.FindIndex(e => range.Contains(e.Score));
            int last = reference.FindLastIndex(e => range.Contains(e.Score));
            SkipListNode? f = list.FirstInRange(range), l = list.LastInRange(range);
            if (first < 0) { Assert.Null(f); Assert.Null(l); continue; }
            Assert.Equal(reference[first].Member, f!.Member);
            Assert.Equal(reference[last].Member, l!.Member);
        }
    }

    [Fact]
    public void LexRangeEndsHonourInclusiveExclusiveAndInfinities()
    {
        var list = new SkipList();
        foreach (string m in new[] { "a", "b", "c", "d" }) list.Insert(0, B(m));
        var incl = new LexRange(new LexBound(LexBoundKind.Inclusive, B("b")), new LexBound(LexBoundKind.Inclusive, B("c")));
        Assert.Equal("b", Encoding.UTF8.GetString(list.FirstInRange(incl)!.Member));
        Assert.Equal("c", Encoding.UTF8.GetString(list.LastInRange(incl)!.Member));
        var excl = new LexRange(new LexBound(LexBoundKind.Exclusive, B("a")), LexBound.Max);
        Assert.Equal("b", Encoding.UTF8.GetString(list.FirstInRange(excl)!.Member));
        Assert.Equal("d", Encoding.UTF8.GetString(list.LastInRange(excl)!.Member));
        var empty = new LexRange(new LexBound(LexBoundKind.Exclusive, B("b")), new LexBound(LexBoundKind.Exclusive, B("b")));
        Assert.Null(list.FirstInRange(empty));
        Assert.Null(list.FirstInRange(new LexRange(LexBound.Max, LexBound.Min)));
    }

    [Fact]
    public void UpdateScoreThatKeepsOrderStaysInPlaceAndOneThatMovesRelinks()
    {
        var list = new SkipList();
        SkipListNode a = list.Insert(1, B("a"));
        SkipListNode b = list.Insert(2, B("b"));
        list.Insert(3, B("c"));
        list.UpdateScore(b, 2.5);
        Assert.Equal(2, list.Rank(2.5, B("b")));
        list.UpdateScore(a, 10);
        Assert.Equal(3, list.Rank(10, B("a")));
        Assert.Same(a, list.Last);
        list.Validate();
    }
}

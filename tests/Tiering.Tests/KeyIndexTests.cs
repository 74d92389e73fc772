using System.Runtime.CompilerServices;
using System.Text;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Tests;

public sealed class KeyIndexTests
{
    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private static int Add(KeyIndex index, string key) { byte[] k = K(key); return index.Insert(k, KeyIndex.Hash(k)); }

    private static int Find(KeyIndex index, string key) { byte[] k = K(key); return index.Find(k, KeyIndex.Hash(k)); }

    [Fact]
    public void EntryIsFortyBytes() => Assert.Equal(40, Unsafe.SizeOf<Entry>());

    [Fact]
    public void HotItemIsThirtyTwoBytes() => Assert.Equal(32, Unsafe.SizeOf<HotItem>());

    [Fact]
    public void InsertedKeysAreFoundAndAbsentKeysAreNot()
    {
        var index = new KeyIndex();
        int a = Add(index, "a");
        int b = Add(index, "b");
        Assert.Equal(a, Find(index, "a"));
        Assert.Equal(b, Find(index, "b"));
        Assert.Equal(-1, Find(index, "c"));
        Assert.Equal(2, index.Count);
    }

    [Fact]
    public void GrowingKeepsEveryEntryAtItsIndex()
    {
        var index = new KeyIndex();
        var slots = new Dictionary<string, int>();
        for (int i = 0; i < 1000; i++) slots[$"key:{i}"] = Add(index, $"key:{i}");
        Assert.Equal(1000, index.Count);
        foreach ((string key, int slot) in slots)
        {
            Assert.Equal(slot, Find(index, key));
            Assert.Equal(K(key), index.At(slot).Key);
        }
    }

    [Fact]
    public void RemovedSlotIsReusedByTheNextInsert()
    {
        var index = new KeyIndex();
        Add(index, "a");
        int b = Add(index, "b");
        Add(index, "c");
        index.RemoveAt(b);
        Assert.False(index.IsLive(b));
        Assert.Equal(-1, Find(index, "b"));
        Assert.Equal(2, index.Count);
        int d = Add(index, "d");
        Assert.Equal(b, d);
        Assert.Equal(3, index.HighWater);
        Assert.Equal(d, Find(index, "d"));
    }

    [Fact]
    public void KeysSharingOneHashChainAndSurviveRemovalOfAnyLink()
    {
        var index = new KeyIndex();
        const ulong h = 42;
        int x = index.Insert(K("x"), h);
        int y = index.Insert(K("y"), h);
        int z = index.Insert(K("z"), h);
        Assert.Equal(x, index.Find(K("x"), h));
        Assert.Equal(y, index.Find(K("y"), h));
        Assert.Equal(z, index.Find(K("z"), h));

        index.RemoveAt(y); // middle of the chain
        Assert.Equal(-1, index.Find(K("y"), h));
        Assert.Equal(x, index.Find(K("x"), h));
        Assert.Equal(z, index.Find(K("z"), h));

        index.RemoveAt(z); // head of the chain (last inserted)
        Assert.Equal(x, index.Find(K("x"), h));
        Assert.Equal(-1, index.Find(K("z"), h));

        index.RemoveAt(x);
        Assert.Equal(0, index.Count);
        Assert.Equal(-1, index.Find(K("x"), h));
    }

    [Fact]
    public void CollidingChainsSurviveGrowth()
    {
        var index = new KeyIndex();
        var slots = new List<int>();
        for (int i = 0; i < 100; i++) slots.Add(index.Insert(K($"c{i}"), 7));
        for (int i = 0; i < 100; i++) Assert.Equal(slots[i], index.Find(K($"c{i}"), 7));
    }

    [Fact]
    public void ClearEmptiesTheIndex()
    {
        var index = new KeyIndex();
        for (int i = 0; i < 50; i++) Add(index, $"k{i}");
        index.Clear();
        Assert.Equal(0, index.Count);
        Assert.Equal(0, index.HighWater);
        Assert.Equal(-1, Find(index, "k1"));
        Assert.Equal(0, Add(index, "again"));
    }
}

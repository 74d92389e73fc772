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
    public void EntryIsTwentyFourBytes() => Assert.Equal(24, Unsafe.SizeOf<Entry>());

    [Fact]
    public void OnlyKeysWithATtlAreInTheExpiryTable()
    {
        var index = new KeyIndex();
        int[] ids = new int[100];
        for (int n = 0; n < ids.Length; n++) ids[n] = Add(index, "k" + n);
        for (int n = 0; n < ids.Length; n += 10) index.SetExpireAt(ids[n], 1_000 + n);
        Assert.Equal(10, index.VolatileCount);
        Assert.Equal(1_050, index.ExpireAt(ids[50]));
        Assert.Equal(0, index.ExpireAt(ids[51]));
        Assert.True(index.EntryAt(ids[50]).HasExpiry);
        Assert.False(index.EntryAt(ids[51]).HasExpiry);

        index.SetExpireAt(ids[50], 0);   // PERSIST
        Assert.Equal(9, index.VolatileCount);
        Assert.Equal(0, index.ExpireAt(ids[50]));
        Assert.False(index.EntryAt(ids[50]).HasExpiry);
    }

    [Fact]
    public void TheExpiryFlagLeavesTheRecordSizesIntact()
    {
        var index = new KeyIndex();
        int i = Add(index, "k");
        index.SetRecordSize(i, Entry.LargeSize - 1, ushort.MaxValue);
        index.SetExpireAt(i, 5);
        Assert.Equal(Entry.LargeSize - 1, index.StoredOf(i));
        Assert.Equal(ushort.MaxValue, index.LogicalOf(i));
        index.SetRecordSize(i, 3, 7);
        Assert.True(index.EntryAt(i).HasExpiry);
        Assert.Equal(5, index.ExpireAt(i));
        index.SetExpireAt(i, 0);
        Assert.Equal(3, index.StoredOf(i));
        Assert.Equal(7, index.LogicalOf(i));
    }

    [Theory]
    [InlineData(Entry.LargeSize, 10)]          // stored too large for its 15 bits
    [InlineData(100, ushort.MaxValue + 1)]     // logical too large for its 16 bits
    [InlineData(int.MaxValue, int.MaxValue)]   // both, at the largest sizes a record can have
    public void SizesTooLargeForTheEntryAreKeptExactInTheSizeColumn(int stored, int logical)
    {
        var index = new KeyIndex();
        int i = Add(index, "big");
        int j = Add(index, "small");
        index.SetRecordSize(j, 40, 50);
        long before = index.ArrayBytes;
        index.SetRecordSize(i, stored, logical);
        Assert.Equal(stored, index.StoredOf(i));
        Assert.Equal(logical, index.LogicalOf(i));
        Assert.True(index.ArrayBytes > before);
        Assert.Equal(40, index.StoredOf(j));
        Assert.Equal(50, index.LogicalOf(j));

        index.SetStored(i, stored - 1);   // a compaction copy keeps the logical size
        Assert.Equal(stored - 1, index.StoredOf(i));
        Assert.Equal(logical, index.LogicalOf(i));

        index.SetRecordSize(i, 12, 34);   // rewritten small: back in the entry
        Assert.Equal(12, index.StoredOf(i));
        Assert.Equal(34, index.LogicalOf(i));

        index.SetRecordSize(i, stored, logical);
        index.RemoveAt(i);
        int reused = Add(index, "other");
        Assert.Equal(i, reused);
        Assert.Equal(0, index.StoredOf(reused));   // the removed key's sizes went with it
        Assert.Equal(0, index.LogicalOf(reused));
    }

    [Fact]
    public void ColdAddressesAndHotSlotsKeepAllFortyEightBitsAndTheirSign()
    {
        var index = new KeyIndex();
        long far = (1L << 47) - 1;   // 128 TiB into the log
        int i = index.InsertCold(KeyIndex.Hash(K("c")), far);
        index.SetRecordSize(i, Entry.LargeSize - 1, 1);
        index.SetExpireAt(i, 9);
        Assert.Equal(far, index.EntryAt(i).Location);
        Assert.True(index.IsCold(i));
        Assert.Equal(Entry.LargeSize - 1, index.StoredOf(i));
        Assert.Equal(9, index.ExpireAt(i));
        int h = Add(index, "h");
        Assert.True(index.EntryAt(h).Location < 0);
        Assert.False(index.IsCold(h));
        Assert.Equal(h, Find(index, "h"));
        Assert.True(KeyIndex.Hash(K("c")) <= Entry.HashMask);
        Assert.Equal(KeyIndex.Hash(K("c")), index.EntryAt(i).Hash);
    }

    [Fact]
    public void ARemovedKeyTakesItsTtlAlongAndItsReusedSlotHasNone()
    {
        var index = new KeyIndex();
        int a = Add(index, "a");
        int b = Add(index, "b");
        int c = Add(index, "c");
        index.SetExpireAt(a, 10);
        index.SetExpireAt(b, 20);
        index.SetExpireAt(c, 30);
        index.RemoveAt(a);
        Assert.Equal(2, index.VolatileCount);
        int reused = Add(index, "d");
        Assert.Equal(a, reused);
        Assert.Equal(0, index.ExpireAt(reused));
        Assert.Equal(20, index.ExpireAt(b));
        Assert.Equal(30, index.ExpireAt(c));

        // The dense walk the active sweep uses names every key with a TTL exactly once.
        var seen = new Dictionary<int, long>();
        for (int p = 0; p < index.VolatileCount; p++) { int owner = index.VolatileAt(p, out long at); seen.Add(owner, at); }
        Assert.Equal(new Dictionary<int, long> { [b] = 20, [c] = 30 }, seen);

        index.Clear();
        Assert.Equal(0, index.VolatileCount);
    }

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

public sealed class KeyPrefetchTests
{
    private static byte[] K(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    [Fact]
    public void PrefetchOfHotColdAbsentAndFreedKeysChangesNoEntryAndNoLookup()
    {
        var index = new KeyIndex();
        var keys = new List<byte[]>();
        for (int i = 0; i < 200; i++)
        {
            byte[] k = K($"key:{i}");
            keys.Add(k);
            int slot = index.Insert(k, KeyIndex.Hash(k));
            index.At(slot).Value = new byte[] { (byte)i };
            index.At(slot).Lfu = (byte)(i % 7);
        }
        for (int i = 0; i < 200; i += 3) index.MakeCold(index.Find(keys[i], KeyIndex.Hash(keys[i])), 4096 + i, 64, 10);
        for (int i = 1; i < 200; i += 10) index.RemoveAt(index.Find(keys[i], KeyIndex.Hash(keys[i])));
        var before = Snapshot(index, keys);

        var batch = new KeyPrefetch();
        for (int round = 0; round < 20; round++)
        {
            for (int k = 0; k < KeyPrefetch.Capacity + 4; k++) batch.Add(keys[(round * 11 + k) % keys.Count]);
            batch.Add(K("absent"));
            Assert.Equal(KeyPrefetch.Capacity, batch.Count);   // keys beyond the capacity are not taken
            batch.Run(index);
            Assert.Equal(0, batch.Count);
        }

        Assert.Equal(before, Snapshot(index, keys));
    }

    // Every key's slot, kind of tier, LFU counter and location, and the index's counts.
    private static List<(int Slot, bool Cold, byte Lfu, long Location)> Snapshot(KeyIndex index, List<byte[]> keys)
    {
        var list = new List<(int, bool, byte, long)> { (index.Count, false, 0, index.HotCount) };
        foreach (byte[] k in keys)
        {
            int slot = index.Find(k, KeyIndex.Hash(k));
            list.Add(slot < 0 ? (slot, false, 0, 0) : (slot, index.IsCold(slot), index.EntryAt(slot).Lfu, index.EntryAt(slot).Location));
        }
        return list;
    }
}

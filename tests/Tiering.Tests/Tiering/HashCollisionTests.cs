using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Tests.Tiering;

/// <summary>
/// Two keys with the same 64-bit hash. A cold entry holds only the hash, so a lookup reads the record and compares
/// its key: each key must get its own value whether one, both or neither is cold, and deleting one keeps the other.
/// The collision is made by inserting both keys under one chosen hash and looking them up with it (Database's
/// internal Lookup/LookupWrite take the hash as an argument). Compaction is not covered here: it recomputes a record's
/// hash from its key, which for a made-up collision is not the hash the entry was filed under.
/// </summary>
public class HashCollisionTests
{
    private static readonly byte[] A = "alpha"u8.ToArray(), B = "beta"u8.ToArray();
    private static readonly ulong H = KeyIndex.Hash(A);

    private static byte[] Val(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>The string value of <paramref name="key"/> looked up by hash <see cref="H"/>; null when absent.</summary>
    private static byte[]? Get(TieredStore t, byte[] key) => t.Read(db =>
    {
        int i = db.Lookup(key, H);
        if (i < 0) return null;
        Assert.Equal(ValueKind.String, db.At(i).Kind);
        Assert.Equal(key, db.At(i).Key);
        return (byte[])db.At(i).Value!;
    });

    private static bool IsCold(TieredStore t, byte[] key) => t.Read(db =>
    {
        KeyIndex index = db.Index;
        for (int i = index.Find(key, H); i >= 0; i = index.FindAfter(i, key, H))
            if (!index.IsCold(i) || db.Store.Cold!.ReadKey(db, i).AsSpan().SequenceEqual(key)) return index.IsCold(i);
        throw new InvalidOperationException("key not found");
    });

    private static TieredStore WithBoth(bool slowDevice)
    {
        // maxmemory 1: every round demotes every hot key, and a cold key read comes back cold (no room).
        var t = new TieredStore(maxMemory: 1, slowDevice: slowDevice);
        t.Write(db => db.Add(A, H, ValueKind.String, Val("value-of-alpha"), 0));
        t.Write(db => db.Add(B, H, ValueKind.String, Val("value-of-beta"), 0));
        Assert.Equal(2, t.Read(db => db.Index.ColdCandidates(H, stackalloc int[4]) + db.Index.HotCount));
        return t;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BothColdEachReadsItsOwnValue(bool slowDevice)
    {
        using TieredStore t = WithBoth(slowDevice);
        t.Demote();
        Assert.True(IsCold(t, A) && IsCold(t, B));
        Assert.Equal(2, t.Read(db => db.Index.ColdCandidates(H, stackalloc int[4])));
        Assert.Equal(Val("value-of-alpha"), Get(t, A));
        Assert.Equal(Val("value-of-beta"), Get(t, B));
        Assert.Equal(Val("value-of-beta"), Get(t, B));
        Assert.Equal(Val("value-of-alpha"), Get(t, A));
        Assert.Null(t.Read(db => db.Lookup("gamma"u8, H) is var i && i >= 0 ? (object)i : null));
    }

    [Fact]
    public void OneColdOneHotEachReadsItsOwnValue()
    {
        using TieredStore t = WithBoth(false);
        t.Demote();
        // Rewrite beta: it is hot (dirty) again, alpha stays cold; both orders of the chain are walked.
        t.Write(db =>
        {
            int i = db.LookupWrite(B, H);
            db.Replace(i, ValueKind.String, Val("beta-2"));
            return i;
        });
        Assert.False(IsCold(t, B));
        Assert.True(IsCold(t, A));
        Assert.Equal(Val("beta-2"), Get(t, B));
        Assert.Equal(Val("value-of-alpha"), Get(t, A));
        Assert.Equal(Val("beta-2"), Get(t, B));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DeletingOneKeepsTheOther(bool slowDevice)
    {
        using TieredStore t = WithBoth(slowDevice);
        t.Demote();
        Assert.True(t.Write(db =>
        {
            int i = db.LookupWrite(A, H);
            Assert.True(i >= 0);
            db.Delete(i);
            return true;
        }));
        Assert.Null(Get(t, A));
        Assert.Equal(Val("value-of-beta"), Get(t, B));
        Assert.Equal(1, t.Read(db => db.Count));

        // And the other way round, with the survivor cold and the victim deleted while cold-and-unread.
        using TieredStore u = WithBoth(slowDevice);
        u.Demote();
        u.Write(db =>
        {
            // Delete beta without reading alpha's value into DRAM: find beta's cold entry by its record's key.
            KeyIndex index = db.Index;
            for (int i = index.Find(B, H); i >= 0; i = index.FindAfter(i, B, H))
                if (db.Store.Cold!.ReadKey(db, i).AsSpan().SequenceEqual(B)) { db.Delete(i); return true; }
            return false;
        });
        Assert.True(IsCold(u, A));
        Assert.Null(Get(u, B));
        Assert.Equal(Val("value-of-alpha"), Get(u, A));
        TierMetricsTests.AssertGaugesAddUp(u.Store);
    }

    [Fact]
    public void AKeyAddedNextToAColdCollisionDoesNotReplaceIt()
    {
        using TieredStore t = WithBoth(false);
        t.Demote();
        // A write lookup of a third key with the same hash reads both cold candidates, finds neither, and adds.
        t.Write(db =>
        {
            Assert.Equal(-1, db.LookupWrite("gamma"u8, H));
            return db.Add("gamma"u8, H, ValueKind.String, Val("value-of-gamma"), 0);
        });
        Assert.Equal(3, t.Read(db => db.Count));
        Assert.Equal(Val("value-of-gamma"), Get(t, "gamma"u8.ToArray()));
        Assert.Equal(Val("value-of-alpha"), Get(t, A));
        Assert.Equal(Val("value-of-beta"), Get(t, B));
    }
}

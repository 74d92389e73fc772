using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Metrics;
using Tiered.Tiering.Tests.Tiering;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests.Cold;

/// <summary>
/// The cold read set's reusable wait and GET's read of a cold string that admission turns away: served from its
/// record, the key left cold, nothing allocated on the command's thread.
/// </summary>
public class ColdReadSetTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Value(int i) => B($"value {i} " + new string((char)('a' + i % 26), 900));

    /// <summary>A store of <paramref name="n"/> 1 KB strings at a 256 KB budget, demoted: almost every key cold, DRAM full.</summary>
    private static TieredStore ColdStore(int n, bool slowDevice)
    {
        var t = new TieredStore(maxMemory: 256 << 10, slowDevice: slowDevice);
        for (int i = 0; i < n; i++) t.Set("k" + i, Value(i));
        t.Demote();
        return t;
    }

    private static string FirstColdKey(TieredStore t, int n, int from = 0)
    {
        for (int i = from; i < n; i++)
            if (ColdRaceTests.IsCold(t, "k" + i)) return "k" + i;
        throw new InvalidOperationException("no cold key");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AWaitHandedOutStaysValidWhenAReadStartedAfterItFindsItCompleted(bool slowDevice)
    {
        using TieredStore t = ColdStore(2_000, slowDevice);
        string first = FirstColdKey(t, 2_000);
        string later = FirstColdKey(t, 2_000, int.Parse(first[1..]) + 1);
        var set = new ColdReadSet();
        ValueTask wait;
        lock (t.Store.Lock)
        {
            Assert.True(t.Db.PrefetchCold(B(first), set));
            wait = set.WhenDone();
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!wait.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the read never finished");
            await Task.Delay(1);
        }
        lock (t.Store.Lock) Assert.True(t.Db.PrefetchCold(B(later), set));   // a read-ahead, after the wait completed
        await wait;   // still the waiter's own completion, not a reset source under its token
        await set.WhenDone();
        Assert.Equal(2, set.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AColdGetThatAdmissionTurnsAwayIsServedFromItsRecordAndTheKeyStaysCold(bool slowDevice)
    {
        const int n = 2_000;
        using TieredStore t = ColdStore(n, slowDevice);
        var set = new ColdReadSet();
        int served = 0;
        long allocatedUnderLock = 0;
        for (int i = 0; i < n && served < 200; i++)
        {
            string key = "k" + i;
            if (!ColdRaceTests.IsCold(t, key)) continue;
            byte[] k = B(key), expected = Value(i);
            lock (t.Store.Lock) Assert.True(t.Db.PrefetchCold(k, set));
            await set.WhenDone();
            bool turnedAway = false;
            long rejectedBefore = t.Store.TierStats.RejectedPromotions;
            long coldHitsBefore = t.Store.TierStats.ColdHits;
            lock (t.Store.Lock)
            {
                t.Store.BeginBatch();
                Assert.False(t.Db.PrefetchCold(k, set));
                t.Cold.BeginCommand(set);
                long before = GC.GetAllocatedBytesForCurrentThread();
                Status s = StringOps.GetTransient(t.Db, k, out ReadOnlySpan<byte> value);
                bool equal = value.SequenceEqual(expected);
                t.Store.EndCommand();
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.Equal(Status.Ok, s);
                Assert.True(equal, $"{key}: wrong value");
                Assert.Equal(coldHitsBefore + 1, t.Store.TierStats.ColdHits);
                if (t.Store.TierStats.RejectedPromotions == rejectedBefore + 1)
                {
                    served++;
                    if (served > 10) allocatedUnderLock += allocated;   // the scratch buffer is grown by the first ones
                    turnedAway = true;
                }
            }
            if (turnedAway) Assert.True(ColdRaceTests.IsCold(t, key), $"{key} was promoted");
            set.ForgetAll();
        }
        Assert.True(served >= 100, $"only {served} cold GETs were turned away by admission");
        Assert.Equal(0, allocatedUnderLock);
        // A plain read (which promotes) still finds the same bytes.
        for (int i = 0; i < 50; i++) Assert.Equal(Value(i), t.Get("k" + i));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APromotionIntoArraysThatDemotionsFreedAllocatesNothingOnTheCommandsThread(bool slowDevice)
    {
        const int n = 2_000;
        using var t = new TieredStore(maxMemory: 256 << 10, o => o.Tier.Admission = false, slowDevice);   // every cold read is promoted
        for (int i = 0; i < n; i++) t.Set("k" + i.ToString("D4"), Value(i).AsSpan(0, 900).ToArray());
        t.Demote();
        var set = new ColdReadSet();
        int measured = 0;
        long allocatedUnderLock = 0;
        for (int i = 0; i < n && measured < 200; i++)
        {
            string key = "k" + i.ToString("D4");
            if (!ColdRaceTests.IsCold(t, key)) continue;
            byte[] k = B(key);
            lock (t.Store.Lock) Assert.True(t.Db.PrefetchCold(k, set));
            await set.WhenDone();
            byte[] expected = Value(i).AsSpan(0, 900).ToArray();
            long recycledBefore = t.Store.TierStats.RecycledArrays;
            long allocated;
            lock (t.Store.Lock)
            {
                t.Store.BeginBatch();
                t.Cold.BeginCommand(set);
                long before = GC.GetAllocatedBytesForCurrentThread();
                Status s = StringOps.Get(t.Db, k, out ReadOnlySpan<byte> value);
                bool equal = value.SequenceEqual(expected);
                t.Store.EndCommand();
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.Equal(Status.Ok, s);
                Assert.True(equal, $"{key}: wrong value");
            }
            Assert.False(ColdRaceTests.IsCold(t, key), $"{key} was not promoted");
            if (t.Store.TierStats.RecycledArrays == recycledBefore + 2)   // its key and its value came from demoted keys
            {
                measured++;
                if (measured > 10) allocatedUnderLock += allocated;   // the first one grows the decoding scratch
            }
            set.ForgetAll();
            if (i % 50 == 0) t.Demote();   // rounds free more arrays and release them
        }
        Assert.True(measured >= 100, $"only {measured} promotions took recycled arrays");
        Assert.Equal(0, allocatedUnderLock);
    }
}

using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Tests;

/// <summary>The recycler hands a demoted array out again only after a release, by exact length, within its capacity.</summary>
public class ArrayRecyclerTests
{
    [Fact]
    public void ARetiredArrayIsHandedOutAgainOnlyAfterARelease()
    {
        var r = new ArrayRecycler(capacity: 1 << 20);
        long reused = 0;
        byte[] a = new byte[100];
        r.Retire(a);
        Assert.NotSame(a, r.Rent(100, 0, ref reused));   // still possibly referenced: not before the release
        Assert.Equal(0, reused);
        r.Release(0);
        Assert.Same(a, r.Rent(100, 0, ref reused));
        Assert.Equal(1, reused);
        Assert.Equal(0, r.Bytes);
        Assert.NotSame(a, r.Rent(100, 0, ref reused));   // handed out once only
        Assert.Equal(1, reused);
    }

    [Fact]
    public void OnlyAnArrayOfTheExactLengthIsReused()
    {
        var r = new ArrayRecycler(capacity: 1 << 20);
        long reused = 0;
        byte[] a = new byte[64];
        r.Retire(a);
        r.Release(0);
        byte[] other = r.Rent(65, 0, ref reused);
        Assert.Equal(65, other.Length);
        Assert.Equal(0, reused);
        Assert.Same(a, r.Rent(64, 0, ref reused));
    }

    [Fact]
    public void RetiredAndFreeArraysStayWithinTheCapacity()
    {
        var r = new ArrayRecycler(capacity: 1000);
        var retired = new List<byte[]>();
        for (int i = 0; i < 30; i++)
        {
            byte[] a = new byte[100];
            retired.Add(a);
            r.Retire(a);
        }
        Assert.Equal(1000, r.Bytes);
        r.Release(0);
        long reused = 0;
        int handedOut = 0;
        for (int i = 0; i < 30; i++)
            if (retired.Contains(r.Rent(100, 0, ref reused))) handedOut++;
        Assert.Equal(10, handedOut);
        Assert.Equal(10, reused);
        Assert.Equal(0, r.Bytes);
    }

    [Fact]
    public void LoweringTheCapacityLetsTheArraysBeyondItGoAtTheNextRelease()
    {
        var r = new ArrayRecycler(capacity: 1000);
        for (int i = 0; i < 10; i++) r.Retire(new byte[100]);
        r.Capacity = 300;
        r.Release(0);
        Assert.Equal(300, r.Bytes);
    }

    [Fact]
    public void ALengthNoOneAskedForInTheStalePeriodIsDropped()
    {
        var r = new ArrayRecycler(capacity: 1 << 20);
        long reused = 0;
        r.Retire(new byte[10]);
        r.Retire(new byte[20]);
        r.Release(100);
        byte[] keep = new byte[20];
        r.Rent(20, 105, ref reused);   // 20 wanted recently; 10 not since its arrays arrived at 100
        r.Retire(keep);
        r.Release(100 + ArrayRecycler.StaleSeconds + 1);
        Assert.Equal(20, r.Bytes);
        Assert.Same(keep, r.Rent(20, 111, ref reused));
        Assert.Equal(10, r.Rent(10, 111, ref reused).Length);
        Assert.Equal(2, reused);   // the two twenties; the ten was dropped
    }

    [Fact]
    public void EmptyAndHugeArraysAreNotHeld()
    {
        var r = new ArrayRecycler(capacity: 1 << 30);
        r.Retire([]);
        r.Retire(new byte[ArrayRecycler.MaxLength + 1]);
        Assert.Equal(0, r.Bytes);
    }
}

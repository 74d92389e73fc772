using System.Diagnostics;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

/// <summary>BZPOPMIN BZPOPMAX BZMPOP (and ZMPOP): immediate service, wake-up by ZADD, timeouts, RESP3 scores, errors.</summary>
public sealed class BlockingSortedSetCommandTests : ServerTestBase
{
    [Fact]
    public void BZPopMinTakesTheLowestScoreAndBZPopMaxTheHighest()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(3), "ZADD", "z", "2", "b", "1", "a", "3.5", "c");
        c.Roundtrip(Arr("z", "a", "1"), "BZPOPMIN", "none", "z", "0");
        c.Roundtrip(Arr("z", "c", "3.5"), "BZPOPMAX", "z", "0");
        c.Roundtrip(Arr("z", "b", "2"), "BZPOPMAX", "z", "0");
        c.Roundtrip(":0\r\n", "EXISTS", "z");
    }

    [Fact]
    public void ZMPopPopsLikeBZMPopButNeverBlocksWithRedisRepliesAndErrors()
    {
        // Every reply below is redis-server 7.0.15's for the same commands, byte for byte.
        using var c = Server.Raw();
        c.Roundtrip(Int(3), "ZADD", "z", "1", "a", "2", "b", "3", "c");
        c.Roundtrip(Ok, "SET", "str", "x");
        c.Roundtrip("*2\r\n" + Bulk("z") + "*2\r\n" + Arr("c", "3") + Arr("b", "2"), "ZMPOP", "2", "y", "z", "MAX", "COUNT", "2");
        c.Roundtrip("*2\r\n" + Bulk("z") + "*1\r\n" + Arr("a", "1"), "ZMPOP", "1", "z", "MIN", "COUNT", "9");
        c.Roundtrip(NilArray, "ZMPOP", "1", "z", "MIN");
        c.Roundtrip("-ERR numkeys should be greater than 0\r\n", "ZMPOP", "0", "z", "MIN");
        c.Roundtrip("-ERR numkeys should be greater than 0\r\n", "ZMPOP", "x", "z", "MIN");
        c.Roundtrip(Arity("zmpop"), "ZMPOP", "1", "z");
        c.Roundtrip(Arity("zmpop"), "ZMPOP", "2", "z");
        c.Roundtrip("-ERR count should be greater than 0\r\n", "ZMPOP", "1", "z", "MIN", "COUNT", "0");
        c.Roundtrip(WrongType, "ZMPOP", "1", "str", "MIN");
        c.Roundtrip(Int(1), "ZADD", "z", "1", "a");
        c.Roundtrip(Syntax, "ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "2");
        c.Roundtrip(Syntax, "ZMPOP", "1", "z", "MIDDLE");
    }

    [Fact]
    public void Resp3RepliesTheScoreAsADouble()
    {
        using var c = Server.Raw();
        Hello3(c);
        c.Roundtrip(Int(1), "ZADD", "z", "1.5", "m");
        c.Roundtrip("*3\r\n" + Bulk("z") + Bulk("m") + ",1.5\r\n", "BZPOPMIN", "z", "0");
        c.Roundtrip("_\r\n", "BZPOPMIN", "z", "0.05");
    }

    [Fact]
    public async Task BZPopMinBlocksUntilZAddCreatesTheKey()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Command("BZPOPMIN", "z1", "z2", "0");
        await WaitBlocked(1);
        Assert.False(a.HasDataWithin(50));
        b.Roundtrip(Int(2), "ZADD", "z2", "5", "high", "-1", "low");
        a.Expect(Arr("z2", "low", "-1"));
        await WaitBlocked(0);
        b.Roundtrip(Int(1), "ZCARD", "z2");
    }

    [Fact]
    public void TimeoutRepliesNullArrayAfterTheTimeout()
    {
        using var a = Server.Raw();
        var sw = Stopwatch.StartNew();
        a.Roundtrip(NilArray, "BZPOPMAX", "z", "0.2");
        Assert.True(sw.ElapsedMilliseconds >= 150, $"replied after {sw.ElapsedMilliseconds} ms");
        a.Roundtrip(NilArray, "BZMPOP", "0.05", "1", "z", "MIN");
    }

    [Fact]
    public async Task OneZAddServesExactlyOneOfTwoBlockedClients()
    {
        using var a1 = Server.Raw();
        using var a2 = Server.Raw();
        using var b = Server.Raw();
        a1.Command("BZPOPMIN", "z", "0");
        a2.Command("BZPOPMIN", "z", "0");
        await WaitBlocked(2);
        b.Roundtrip(Int(1), "ZADD", "z", "1", "only");
        RawClient? served = null;
        for (int i = 0; i < 100 && served is null; i++)
            served = a1.HasDataWithin(50) ? a1 : a2.HasDataWithin(50) ? a2 : null;
        Assert.NotNull(served);
        served.Expect(Arr("z", "only", "1"));
        RawClient other = served == a1 ? a2 : a1;
        await WaitBlocked(1);
        Assert.False(other.HasDataWithin(100));
        b.Roundtrip(Int(1), "ZADD", "z", "2", "next");
        other.Expect(Arr("z", "next", "2"));
    }

    [Fact]
    public async Task BZMPopPopsCountMembersAsPairs()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Int(3), "ZADD", "z", "1", "a", "2", "b", "3", "c");
        a.Roundtrip("*2\r\n" + Bulk("z") + "*2\r\n" + Arr("c", "3") + Arr("b", "2"), "BZMPOP", "0", "2", "y", "z", "MAX", "COUNT", "2");
        a.Roundtrip("*2\r\n" + Bulk("z") + "*1\r\n" + Arr("a", "1"), "BZMPOP", "0", "1", "z", "MIN", "COUNT", "9");
        a.Command("BZMPOP", "0", "2", "y", "z", "MIN");
        await WaitBlocked(1);
        b.Roundtrip(Int(1), "ZADD", "y", "7", "m");
        a.Expect("*2\r\n" + Bulk("y") + "*1\r\n" + Arr("m", "7"));
    }

    [Fact]
    public void InsideMultiBZPopOnAnEmptyKeyRepliesAtOnce()
    {
        using var a = Server.Raw();
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip("+QUEUED\r\n", "BZPOPMIN", "z", "0");
        a.Roundtrip("+QUEUED\r\n", "BZMPOP", "0", "1", "z", "MIN");
        a.Roundtrip("+QUEUED\r\n", "ZADD", "z", "1", "m");
        a.Roundtrip("+QUEUED\r\n", "BZPOPMAX", "z", "0");
        a.Roundtrip("*4\r\n" + NilArray + NilArray + Int(1) + Arr("z", "m", "1"), "EXEC");
        Assert.Equal(0, Server.Server.Blocking.BlockedClients);
    }

    [Fact]
    public void WrongTypeAndArgumentErrors()
    {
        using var a = Server.Raw();
        a.Roundtrip(Ok, "SET", "s", "x");
        a.Roundtrip(Int(1), "ZADD", "z", "1", "m");
        a.Roundtrip(WrongType, "BZPOPMIN", "s", "z", "0");
        a.Roundtrip(WrongType, "BZMPOP", "0", "2", "s", "z", "MIN");
        a.Roundtrip("-ERR timeout is negative\r\n", "BZPOPMIN", "z", "-1");
        a.Roundtrip("-ERR timeout is not a float or out of range\r\n", "BZPOPMAX", "z", "nan");
        a.Roundtrip(Arity("bzpopmin"), "BZPOPMIN", "z");
        a.Roundtrip(Syntax, "BZMPOP", "0", "1", "z", "MIDDLE");
        a.Roundtrip("-ERR numkeys should be greater than 0\r\n", "BZMPOP", "0", "0", "z", "MIN");
        a.Roundtrip(Int(1), "ZCARD", "z");
    }
}

using System.Diagnostics;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

/// <summary>BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP: immediate service, wake-up by another client, timeouts, errors.</summary>
public sealed class BlockingListCommandTests : ServerTestBase
{
    [Fact]
    public void BLPopServesTheFirstNonEmptyKeyInOrderAtOnce()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(2), "RPUSH", "b", "x", "y");
        c.Roundtrip(Int(1), "RPUSH", "c", "z");
        c.Roundtrip(Arr("b", "x"), "BLPOP", "a", "b", "c", "0");
        c.Roundtrip(Arr("b", "y"), "BRPOP", "a", "b", "c", "0");
        c.Roundtrip(":0\r\n", "EXISTS", "b");
        c.Roundtrip(Arr("c", "z"), "BRPOP", "a", "b", "c", "1");
    }

    [Fact]
    public async Task BLPopBlocksUntilAnotherClientPushes()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Command("BLPOP", "k1", "k2", "0");
        await WaitBlocked(1);
        Assert.False(a.HasDataWithin(50));
        b.Roundtrip(Int(2), "LPUSH", "k2", "first", "second");
        a.Expect(Arr("k2", "second"));
        await WaitBlocked(0);
        b.Roundtrip(Arr("first"), "LRANGE", "k2", "0", "-1");
    }

    [Fact]
    public async Task BRPopIsWokenByRPushAndLMoveCreatingTheKey()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Command("BRPOP", "k", "5");
        await WaitBlocked(1);
        b.Roundtrip(Int(1), "RPUSH", "k", "v");
        a.Expect(Arr("k", "v"));

        a.Command("BRPOP", "dst", "5");
        await WaitBlocked(1);
        b.Roundtrip(Int(1), "RPUSH", "src", "moved");
        b.Roundtrip(Bulk("moved"), "LMOVE", "src", "dst", "LEFT", "RIGHT");
        a.Expect(Arr("dst", "moved"));
    }

    [Fact]
    public void TimeoutRepliesNullArrayAfterTheTimeout()
    {
        using var a = Server.Raw();
        var sw = Stopwatch.StartNew();
        a.Roundtrip(NilArray, "BLPOP", "k", "0.2");
        Assert.True(sw.ElapsedMilliseconds >= 150, $"replied after {sw.ElapsedMilliseconds} ms");
        a.Roundtrip(NilArray, "BRPOPLPUSH", "src", "dst", "0.05");
        a.Roundtrip(NilArray, "BLMPOP", "0.05", "1", "k", "LEFT");
        a.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public void TimeoutInResp3RepliesNull()
    {
        using var a = Server.Raw();
        Hello3(a);
        var sw = Stopwatch.StartNew();
        a.Roundtrip("_\r\n", "BRPOP", "k", "0.1");
        Assert.True(sw.ElapsedMilliseconds >= 80, $"replied after {sw.ElapsedMilliseconds} ms");
        a.Roundtrip("_\r\n", "BLMOVE", "src", "dst", "LEFT", "LEFT", "0.05");
    }

    [Fact]
    public void BLMoveMovesAnElementToTheDestination()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(3), "RPUSH", "src", "a", "b", "c");
        c.Roundtrip(Bulk("c"), "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0");
        c.Roundtrip(Bulk("a"), "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0");
        c.Roundtrip(Bulk("b"), "BRPOPLPUSH", "src", "dst", "0");
        c.Roundtrip(Arr("b", "c", "a"), "LRANGE", "dst", "0", "-1");
        c.Roundtrip(":0\r\n", "EXISTS", "src");
    }

    [Fact]
    public async Task BLMoveBlocksUntilTheSourceIsPushed()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Command("BLMOVE", "src", "dst", "LEFT", "LEFT", "0");
        await WaitBlocked(1);
        b.Roundtrip(Int(1), "RPUSH", "src", "v");
        a.Expect(Bulk("v"));
        b.Roundtrip(Arr("v"), "LRANGE", "dst", "0", "-1");
        b.Roundtrip(":0\r\n", "EXISTS", "src");
    }

    [Fact]
    public async Task BLMPopPopsCountFromTheFirstNonEmptyKeyAndBlocksOtherwise()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Int(3), "RPUSH", "l2", "a", "b", "c");
        a.Roundtrip("*2\r\n" + Bulk("l2") + Arr("c", "b"), "BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2");
        a.Roundtrip("*2\r\n" + Bulk("l2") + Arr("a"), "BLMPOP", "0", "2", "l1", "l2", "LEFT", "COUNT", "5");
        a.Command("BLMPOP", "0", "2", "l1", "l2", "LEFT");
        await WaitBlocked(1);
        b.Roundtrip(Int(2), "RPUSH", "l1", "x", "y");
        a.Expect("*2\r\n" + Bulk("l1") + Arr("x"));
    }

    [Fact]
    public async Task OnePushServesExactlyOneOfTwoBlockedClients()
    {
        using var a1 = Server.Raw();
        using var a2 = Server.Raw();
        using var b = Server.Raw();
        a1.Command("BLPOP", "k", "0");
        a2.Command("BLPOP", "k", "0");
        await WaitBlocked(2);
        b.Roundtrip(Int(1), "LPUSH", "k", "only");

        RawClient? served = null;
        for (int i = 0; i < 100 && served is null; i++)
            served = a1.HasDataWithin(50) ? a1 : a2.HasDataWithin(50) ? a2 : null;
        Assert.NotNull(served);
        served.Expect(Arr("k", "only"));
        RawClient other = served == a1 ? a2 : a1;
        await WaitBlocked(1);
        Assert.False(other.HasDataWithin(100));
        b.Roundtrip(Int(1), "LPUSH", "k", "next");
        other.Expect(Arr("k", "next"));
        await WaitBlocked(0);
    }

    [Fact]
    public void InsideMultiBlockingCommandsOnEmptyKeysReplyAtOnce()
    {
        using var a = Server.Raw();
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip("+QUEUED\r\n", "BLPOP", "k", "0");
        a.Roundtrip("+QUEUED\r\n", "BLMOVE", "k", "d", "LEFT", "LEFT", "0");
        a.Roundtrip("+QUEUED\r\n", "BLMPOP", "0", "1", "k", "LEFT");
        a.Roundtrip("+QUEUED\r\n", "RPUSH", "k", "v");
        a.Roundtrip("+QUEUED\r\n", "BRPOP", "k", "0");
        a.Roundtrip("*5\r\n" + NilArray + Nil + NilArray + Int(1) + Arr("k", "v"), "EXEC");
        Assert.Equal(0, Server.Server.Blocking.BlockedClients);
    }

    [Fact]
    public void WrongTypeKeysAreReportedInOrder()
    {
        using var a = Server.Raw();
        a.Roundtrip(Ok, "SET", "s", "x");
        a.Roundtrip(Int(1), "RPUSH", "l", "v");
        a.Roundtrip(WrongType, "BLPOP", "s", "l", "0");
        a.Roundtrip(Arr("l", "v"), "BLPOP", "missing", "l", "s", "0");
        a.Roundtrip(WrongType, "BLMOVE", "s", "d", "LEFT", "LEFT", "0");
        a.Roundtrip(Int(1), "RPUSH", "l", "v");
        a.Roundtrip(WrongType, "BRPOPLPUSH", "l", "s", "0");
        a.Roundtrip(WrongType, "BLMPOP", "0", "2", "s", "l", "LEFT");
    }

    [Fact]
    public void ArgumentErrorsFollowRedis()
    {
        using var a = Server.Raw();
        a.Roundtrip("-ERR timeout is negative\r\n", "BLPOP", "k", "-1");
        a.Roundtrip("-ERR timeout is not a float or out of range\r\n", "BRPOP", "k", "soon");
        a.Roundtrip(Arity("blpop"), "BLPOP", "k");
        a.Roundtrip(Syntax, "BLMOVE", "s", "d", "UP", "LEFT", "0");
        a.Roundtrip("-ERR timeout is negative\r\n", "BLMOVE", "s", "d", "LEFT", "LEFT", "-0.5");
        a.Roundtrip("-ERR numkeys should be greater than 0\r\n", "BLMPOP", "0", "0", "k", "LEFT");
        a.Roundtrip("-ERR count should be greater than 0\r\n", "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0");
        a.Roundtrip("-ERR timeout is not a float or out of range\r\n", "BLMPOP", "x", "1", "k", "LEFT");
    }
}

using StackExchange.Redis;
using System.Diagnostics;
using static Tiered.Server.Tests.Infrastructure.Replies;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Hot;

namespace Tiered.Server.Tests;

/// <summary>XREAD BLOCK and XREADGROUP BLOCK: wake-up by XADD, "$" resolved once, timeouts, MULTI, destroyed groups.</summary>
public sealed class StreamBlockingTests : ServerTestBase
{
    private static string Entry(string id, params string[] fv) => "*2\r\n" + Bulk(id) + Arr(fv);

    /// <summary>RESP2 XREAD / XREADGROUP reply for one stream with the given entries.</summary>
    private static string OneStream(string key, params string[] entries) => "*1\r\n*2\r\n" + Bulk(key) + $"*{entries.Length}\r\n" + string.Concat(entries);

    [Fact]
    public async Task XReadBlockDollarWaitsForTheNextEntryAndIsNotReResolved()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        b.Roundtrip(Bulk("1-0"), "XADD", "s", "1-0", "f", "old");
        a.Command("XREAD", "BLOCK", "0", "STREAMS", "other", "s", "$", "$");
        await WaitBlocked(1);
        // A write to another key does not serve the reader.
        b.Roundtrip(Bulk("1-0"), "XADD", "unrelated", "1-0", "f", "v");
        Assert.False(a.HasDataWithin(50));
        // The re-run after this XADD must still mean "after 1-0", not "after the new last ID 2-0".
        b.Roundtrip(Bulk("2-0"), "XADD", "s", "2-0", "f", "new");
        a.Expect(OneStream("s", Entry("2-0", "f", "new")));
        await WaitBlocked(0);
    }

    [Fact]
    public async Task XReadBlockOnAMissingStreamIsServedWhenXAddCreatesIt()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        Hello3(a);
        a.Command("XREAD", "COUNT", "1", "BLOCK", "5000", "STREAMS", "s", "$");
        await WaitBlocked(1);
        b.Roundtrip(Bulk("7-0"), "XADD", "s", "7-0", "k", "v");
        a.Expect("%1\r\n" + Bulk("s") + "*1\r\n" + Entry("7-0", "k", "v"));
    }

    [Fact]
    public void XReadBlockTimesOutWithANullArrayAndServesAtOnceWhenDataIsThere()
    {
        using var c = Server.Raw();
        var sw = Stopwatch.StartNew();
        c.Roundtrip(NilArray, "XREAD", "BLOCK", "150", "STREAMS", "s", "0");
        Assert.True(sw.ElapsedMilliseconds >= 120, $"replied after {sw.ElapsedMilliseconds} ms");
        c.Roundtrip(Bulk("1-0"), "XADD", "s", "1-0", "f", "v");
        c.Roundtrip(OneStream("s", Entry("1-0", "f", "v")), "XREAD", "BLOCK", "0", "STREAMS", "s", "0");
        Hello3(c);
        c.Roundtrip("_\r\n", "XREAD", "BLOCK", "20", "STREAMS", "s", "$");
    }

    [Fact]
    public void XReadBlockErrorsAndMulti()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR timeout is negative\r\n", "XREAD", "BLOCK", "-1", "STREAMS", "s", "0");
        c.Roundtrip("-ERR timeout is not an integer or out of range\r\n", "XREAD", "BLOCK", "1.5", "STREAMS", "s", "0");
        c.Roundtrip("-ERR timeout is not an integer or out of range\r\n", "XREADGROUP", "GROUP", "g", "c", "BLOCK", "x", "STREAMS", "s", ">");
        // Inside MULTI a blocking read does not block: it replies its timeout value.
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip("+QUEUED\r\n", "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        c.Roundtrip("*1\r\n" + NilArray, "EXEC");
        c.Command("COMMAND", "INFO", "XREAD");
        Assert.Contains("+blocking\r\n", c.ReadReply());
    }

    [Fact]
    public async Task XReadGroupBlockDeliversTheNewEntryAndRecordsItAsPending()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        b.Roundtrip(Ok, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        a.Command("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
        await WaitBlocked(1);
        b.Roundtrip(Bulk("1-0"), "XADD", "s", "1-0", "f", "v");
        a.Expect(OneStream("s", Entry("1-0", "f", "v")));
        await WaitBlocked(0);
        b.Roundtrip("*4\r\n" + Int(1) + Bulk("1-0") + Bulk("1-0") + "*1\r\n" + Arr("alice", "1"), "XPENDING", "s", "g");
        // With a history ID the command never blocks, even when the history is empty.
        a.Roundtrip(OneStream("s"), "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", "0");
        a.Roundtrip(NilArray, "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "30", "STREAMS", "s", ">");
    }

    [Fact]
    public async Task XReadGroupBlockedOnADestroyedGroupGetsNoGroup()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        b.Roundtrip(Ok, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        a.Command("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">");
        await WaitBlocked(1);
        b.Roundtrip(Int(1), "XGROUP", "DESTROY", "s", "g");
        a.Expect("-NOGROUP the consumer group this client was blocked on no longer exists\r\n");
        await WaitBlocked(0);
    }

    [Fact]
    public async Task XReadGroupBlockedOnADeletedStreamKeepsWaitingUntilTheTimeout()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        b.Roundtrip(Ok, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        a.Command("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "400", "STREAMS", "s", ">");
        await WaitBlocked(1);
        b.Roundtrip(Int(1), "DEL", "s");
        Assert.False(a.HasDataWithin(100));
        a.Expect(NilArray);
    }

    [Fact]
    public async Task StackExchangeRedisSeesEntriesAddedWhileAnotherClientBlocks()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        using var raw = Server.Raw();
        raw.Command("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
        await WaitBlocked(1);
        await db.StreamAddAsync("s", "f", "v", "5-0");
        raw.Expect(OneStream("s", Entry("5-0", "f", "v")));
        Assert.Equal(1, await db.StreamLengthAsync("s"));
    }
}

using StackExchange.Redis;
using System.Text.RegularExpressions;
using static Tiered.Server.Tests.Infrastructure.Replies;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Server.Tests;

/// <summary>XPENDING (extended), XCLAIM, XAUTOCLAIM, XGROUP SETID/CREATECONSUMER/DELCONSUMER, XINFO GROUPS/CONSUMERS/STREAM FULL.</summary>
public sealed class StreamClaimCommandTests : ServerTestBase
{
    private const string Idle = "\u0001";   // placeholder for an idle time or timestamp in expected replies

    private static string Entry(string id, params string[] fv) => "*2\r\n" + Bulk(id) + Arr(fv);

    /// <summary>Asserts the next reply equals <paramref name="expected"/>, where <see cref="Idle"/> stands for any integer.</summary>
    private static void Like(RawClient c, string expected, params string[] command)
    {
        c.Command(command);
        string reply = c.ReadReply();
        string pattern = "^" + string.Join(@"-?\d+", expected.Split(Idle).Select(Regex.Escape)) + "$";
        Assert.Matches(new Regex(pattern, RegexOptions.Singleline), reply);
    }

    private static string Row(string id, string consumer, long count) => "*4\r\n" + Bulk(id) + Bulk(consumer) + ":" + Idle + "\r\n" + Int(count);

    /// <summary>Stream s with entries 1-0, 2-0, 3-0; group g; alice got 1-0 and 2-0, bob got 3-0.</summary>
    private static void Setup(RawClient c)
    {
        c.Roundtrip(Ok, "XGROUP", "CREATE", "s", "g", "0", "MKSTREAM");
        foreach (string id in new[] { "1-0", "2-0", "3-0" }) c.Roundtrip(Bulk(id), "XADD", "s", id, "f", id);
        c.Command("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">");
        c.ReadReply();
        c.Command("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">");
        c.ReadReply();
    }

    private void AdvanceClock(long ms)
    {
        lock (Server.Server.Store.Lock) Server.Server.Store.Clock.OffsetMs += ms;
    }

    [Fact]
    public void XPendingExtendedFormFiltersByRangeConsumerAndIdle()
    {
        using var c = Server.Raw();
        Setup(c);
        Like(c, "*3\r\n" + Row("1-0", "alice", 1) + Row("2-0", "alice", 1) + Row("3-0", "bob", 1), "XPENDING", "s", "g", "-", "+", "10");
        Like(c, "*1\r\n" + Row("2-0", "alice", 1), "XPENDING", "s", "g", "(1-0", "+", "1");
        Like(c, "*1\r\n" + Row("3-0", "bob", 1), "XPENDING", "s", "g", "-", "+", "10", "bob");
        c.Roundtrip(Empty, "XPENDING", "s", "g", "-", "+", "10", "nobody");
        c.Roundtrip(Empty, "XPENDING", "s", "g", "-", "+", "-5");
        c.Roundtrip(Empty, "XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10");
        AdvanceClock(200_000);
        Like(c, "*2\r\n" + Row("1-0", "alice", 1) + Row("2-0", "alice", 1), "XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10", "alice");
    }

    [Fact]
    public void XPendingErrorsComeInRedisOrder()
    {
        using var c = Server.Raw();
        Setup(c);
        c.Roundtrip(Syntax, "XPENDING", "s", "g", "-");
        c.Roundtrip(Syntax, "XPENDING", "s", "g", "-", "+");
        c.Roundtrip(Syntax, "XPENDING", "s", "g", "IDLE", "10", "-", "+");
        c.Roundtrip(NotInteger, "XPENDING", "s", "g", "IDLE", "x", "-", "+", "1");
        c.Roundtrip(NotInteger, "XPENDING", "s", "g", "-", "+", "many");
        c.Roundtrip("-ERR Invalid stream ID specified as stream command argument\r\n", "XPENDING", "s", "g", "x", "+", "1");
        // Arguments are checked before the key: a bad count wins over a missing group.
        c.Roundtrip(NotInteger, "XPENDING", "s", "nogroup", "-", "+", "many");
        c.Roundtrip("-NOGROUP No such key 's' or consumer group 'nogroup'\r\n", "XPENDING", "s", "nogroup", "-", "+", "1");
        c.Roundtrip(Ok, "SET", "str", "v");
        c.Roundtrip(WrongType, "XPENDING", "str", "g", "-", "+", "1");
    }

    [Fact]
    public void XClaimMovesIdleEntriesToTheClaimer()
    {
        using var c = Server.Raw();
        Setup(c);
        // Not idle long enough: nothing moves, and the claimer is not created.
        c.Roundtrip(Empty, "XCLAIM", "s", "g", "carol", "100000", "1-0");
        c.Roundtrip("*2\r\n" + Entry("1-0", "f", "1-0") + Entry("2-0", "f", "2-0"), "XCLAIM", "s", "g", "carol", "0", "1-0", "2-0", "9-9");
        Like(c, "*3\r\n" + Row("1-0", "carol", 2) + Row("2-0", "carol", 2) + Row("3-0", "bob", 1), "XPENDING", "s", "g", "-", "+", "10");
        // JUSTID replies IDs and leaves the delivery count; RETRYCOUNT sets it; IDLE sets the idle time.
        c.Roundtrip(Arr("3-0"), "XCLAIM", "s", "g", "carol", "0", "3-0", "JUSTID");
        c.Roundtrip(Arr("1-0"), "XCLAIM", "s", "g", "dave", "0", "1-0", "RETRYCOUNT", "7", "IDLE", "500000", "JUSTID");
        Like(c, "*1\r\n" + Row("1-0", "dave", 7), "XPENDING", "s", "g", "IDLE", "400000", "-", "+", "10");
        Like(c, "*1\r\n" + Row("3-0", "carol", 1), "XPENDING", "s", "g", "(2-0", "+", "10");
    }

    [Fact]
    public void XClaimForceLastIdAndDeletedEntries()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        c.Roundtrip(Bulk("1-0"), "XADD", "s", "1-0", "f", "v");
        c.Roundtrip(Bulk("2-0"), "XADD", "s", "2-0", "f", "v");
        // Not pending: only FORCE adds it (an ID that is not in the stream is never added).
        c.Roundtrip(Empty, "XCLAIM", "s", "g", "c", "0", "1-0");
        c.Roundtrip(Arr("1-0"), "XCLAIM", "s", "g", "c", "0", "1-0", "5-0", "FORCE", "JUSTID", "LASTID", "2-0");
        c.Command("XINFO", "GROUPS", "s");
        Assert.Contains(Bulk("last-delivered-id") + Bulk("2-0"), c.ReadReply());
        c.Roundtrip(Int(1), "XDEL", "s", "1-0");
        c.Roundtrip(Empty, "XCLAIM", "s", "g", "c", "0", "1-0");
        c.Roundtrip("*4\r\n" + Int(0) + Nil + Nil + NilArray, "XPENDING", "s", "g");
    }

    [Fact]
    public void XClaimErrors()
    {
        using var c = Server.Raw();
        Setup(c);
        c.Roundtrip("-NOGROUP No such key 'nokey' or consumer group 'g'\r\n", "XCLAIM", "nokey", "g", "c", "0", "1-0");
        c.Roundtrip("-ERR Invalid min-idle-time argument for XCLAIM\r\n", "XCLAIM", "s", "g", "c", "x", "1-0");
        c.Roundtrip("-ERR Unrecognized XCLAIM option 'BOGUS'\r\n", "XCLAIM", "s", "g", "c", "0", "1-0", "BOGUS");
        c.Roundtrip("-ERR Invalid IDLE option argument for XCLAIM\r\n", "XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "x");
        c.Roundtrip("-ERR Invalid RETRYCOUNT option argument for XCLAIM\r\n", "XCLAIM", "s", "g", "c", "0", "1-0", "RETRYCOUNT", "x");
        c.Roundtrip(Arity("xclaim"), "XCLAIM", "s", "g", "c", "0");
        // Nothing was claimed by the failed calls.
        Like(c, "*1\r\n" + Row("1-0", "alice", 1), "XPENDING", "s", "g", "-", "1-0", "10");
    }

    [Fact]
    public void XAutoClaimWalksThePelWithACursorAndReportsDeletedEntries()
    {
        using var c = Server.Raw();
        Setup(c);
        c.Roundtrip("*3\r\n" + Bulk("2-0") + "*1\r\n" + Entry("1-0", "f", "1-0") + Empty, "XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "1");
        c.Roundtrip(Int(1), "XDEL", "s", "2-0");
        c.Roundtrip("*3\r\n" + Bulk("0-0") + Arr("3-0") + Arr("2-0"), "XAUTOCLAIM", "s", "g", "carol", "0", "2-0", "JUSTID");
        Like(c, "*2\r\n" + Row("1-0", "carol", 2) + Row("3-0", "carol", 1), "XPENDING", "s", "g", "-", "+", "10");
        // Min idle time not reached: nothing claimed, the cursor ends the walk.
        c.Roundtrip("*3\r\n" + Bulk("0-0") + Empty + Empty, "XAUTOCLAIM", "s", "g", "dave", "100000", "-");
        c.Command("XINFO", "CONSUMERS", "s", "g");
        Assert.DoesNotContain("dave", c.ReadReply());
    }

    [Fact]
    public void XAutoClaimErrors()
    {
        using var c = Server.Raw();
        Setup(c);
        c.Roundtrip("-ERR Invalid min-idle-time argument for XAUTOCLAIM\r\n", "XAUTOCLAIM", "s", "g", "c", "x", "0");
        c.Roundtrip("-ERR COUNT must be > 0\r\n", "XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0");
        c.Roundtrip(Syntax, "XAUTOCLAIM", "s", "g", "c", "0", "0", "BOGUS");
        c.Roundtrip("-ERR Invalid stream ID specified as stream command argument\r\n", "XAUTOCLAIM", "s", "g", "c", "0", "x");
        c.Roundtrip("-NOGROUP No such key 's' or consumer group 'x'\r\n", "XAUTOCLAIM", "s", "x", "c", "0", "0");
        c.Roundtrip(Arity("xautoclaim"), "XAUTOCLAIM", "s", "g", "c", "0");
    }

    [Fact]
    public void Resp3XAutoClaimAndXInfoGroupsUseMapsAndNulls()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "XGROUP", "CREATE", "s", "g", "0", "MKSTREAM");
        foreach (string id in new[] { "1-0", "2-0", "3-0" }) c.Roundtrip(Bulk(id), "XADD", "s", id, "f", id);
        c.Command("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">");
        c.ReadReply();
        Hello3(c);
        c.Roundtrip("*3\r\n" + Bulk("0-0") + Arr("1-0") + "*0\r\n", "XAUTOCLAIM", "s", "g", "bob", "0", "0", "JUSTID");
        // A hole after the group's position (XDEL 2-0) makes its lag unknowable: nil, as Redis.
        c.Roundtrip(Int(1), "XDEL", "s", "2-0");
        c.Roundtrip("*1\r\n%6\r\n" + Bulk("name") + Bulk("g") + Bulk("consumers") + Int(2) + Bulk("pending") + Int(1)
            + Bulk("last-delivered-id") + Bulk("1-0") + Bulk("entries-read") + Int(1) + Bulk("lag") + "_\r\n", "XINFO", "GROUPS", "s");
    }

    [Fact]
    public void XInfoGroupsAndConsumers()
    {
        using var c = Server.Raw();
        Setup(c);
        c.Roundtrip(Bulk("4-0"), "XADD", "s", "4-0", "f", "4-0");
        c.Roundtrip("*1\r\n*12\r\n" + Bulk("name") + Bulk("g") + Bulk("consumers") + Int(2) + Bulk("pending") + Int(3)
            + Bulk("last-delivered-id") + Bulk("3-0") + Bulk("entries-read") + Int(3) + Bulk("lag") + Int(1), "XINFO", "GROUPS", "s");
        Like(c, "*2\r\n*6\r\n" + Bulk("name") + Bulk("alice") + Bulk("pending") + Int(2) + Bulk("idle") + ":" + Idle + "\r\n"
            + "*6\r\n" + Bulk("name") + Bulk("bob") + Bulk("pending") + Int(1) + Bulk("idle") + ":" + Idle + "\r\n", "XINFO", "CONSUMERS", "s", "g");
        c.Roundtrip("-NOGROUP No such consumer group 'x' for key name 's'\r\n", "XINFO", "CONSUMERS", "s", "x");
        c.Roundtrip("-ERR no such key\r\n", "XINFO", "GROUPS", "missing");
        c.Roundtrip(Bulk("1-0"), "XADD", "plain", "1-0", "f", "v");
        c.Roundtrip(Empty, "XINFO", "GROUPS", "plain");
    }

    [Fact]
    public void XInfoStreamFullListsEntriesGroupsPelAndConsumers()
    {
        using var c = Server.Raw();
        Setup(c);
        c.Command("XINFO", "STREAM", "s", "FULL", "COUNT", "1");
        string reply = c.ReadReply();
        Assert.StartsWith("*18\r\n" + Bulk("length") + Int(3), reply);
        Assert.Contains(Bulk("entries") + "*1\r\n" + Entry("1-0", "f", "1-0") + Bulk("groups") + "*1\r\n*14\r\n" + Bulk("name") + Bulk("g"), reply);
        Assert.Contains(Bulk("pel-count") + Int(3) + Bulk("pending") + "*1\r\n*4\r\n" + Bulk("1-0") + Bulk("alice"), reply);
        Assert.Contains(Bulk("consumers") + "*2\r\n*8\r\n" + Bulk("name") + Bulk("alice"), reply);
        c.Roundtrip("-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\r\n", "XINFO", "STREAM", "s", "FULLY");
        c.Roundtrip(NotInteger, "XINFO", "STREAM", "s", "FULL", "COUNT", "x");
    }

    [Fact]
    public void XGroupSetIdCreateConsumerAndDelConsumer()
    {
        using var c = Server.Raw();
        Setup(c);
        c.Roundtrip(Int(1), "XGROUP", "CREATECONSUMER", "s", "g", "carol");
        c.Roundtrip(Int(0), "XGROUP", "CREATECONSUMER", "s", "g", "carol");
        c.Roundtrip(Int(2), "XGROUP", "DELCONSUMER", "s", "g", "alice");
        c.Roundtrip(Int(0), "XGROUP", "DELCONSUMER", "s", "g", "nobody");
        Like(c, "*1\r\n" + Row("3-0", "bob", 1), "XPENDING", "s", "g", "-", "+", "10");
        c.Roundtrip(Ok, "XGROUP", "SETID", "s", "g", "1-0", "ENTRIESREAD", "1");
        c.Command("XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", ">");
        Assert.Equal("*1\r\n*2\r\n" + Bulk("s") + "*2\r\n" + Entry("2-0", "f", "2-0") + Entry("3-0", "f", "3-0"), c.ReadReply());
        c.Roundtrip(Ok, "XGROUP", "SETID", "s", "g", "$");
        c.Roundtrip(NilArray, "XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", ">");
        c.Roundtrip("-NOGROUP No such consumer group 'x' for key name 's'\r\n", "XGROUP", "SETID", "s", "x", "0");
        c.Roundtrip("-NOGROUP No such consumer group 'x' for key name 's'\r\n", "XGROUP", "CREATECONSUMER", "s", "x", "c");
        c.Roundtrip("-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n",
            "XGROUP", "DELCONSUMER", "nokey", "g", "c");
        c.Roundtrip("-ERR value for ENTRIESREAD must be positive or -1\r\n", "XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "-5");
        c.Roundtrip("-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.\r\n", "XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD");
        c.Roundtrip(Arity("xgroup|createconsumer"), "XGROUP", "CREATECONSUMER", "s", "g");
    }

    [Fact]
    public async Task StackExchangeRedisRecoversMessagesOfADeadConsumer()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        Assert.True(await db.StreamCreateConsumerGroupAsync("jobs", "workers", StreamPosition.NewMessages, createStream: true));
        for (int i = 1; i <= 3; i++) await db.StreamAddAsync("jobs", "job", i, $"{i}-0");
        // alice takes two jobs and dies; bob takes the third and acknowledges it.
        Assert.Equal(2, (await db.StreamReadGroupAsync("jobs", "workers", "alice", StreamPosition.NewMessages, count: 2)).Length);
        StreamEntry bobs = Assert.Single(await db.StreamReadGroupAsync("jobs", "workers", "bob", StreamPosition.NewMessages));
        Assert.Equal(1, await db.StreamAcknowledgeAsync("jobs", "workers", bobs.Id));
        // Too early: alice's messages are not idle long enough.
        StreamAutoClaimResult early = await db.StreamAutoClaimAsync("jobs", "workers", "bob", 60_000, "0-0", 10);
        Assert.Empty(early.ClaimedEntries);
        AdvanceClock(61_000);
        StreamAutoClaimResult late = await db.StreamAutoClaimAsync("jobs", "workers", "bob", 60_000, "0-0", 10);
        Assert.Equal(["1-0", "2-0"], late.ClaimedEntries.Select(e => (string)e.Id!));
        Assert.Equal("1", (string?)late.ClaimedEntries[0]["job"]);
        Assert.Equal("0-0", (string?)late.NextStartId);
        Assert.Empty(late.DeletedIds);
        StreamPendingMessageInfo[] rows = await db.StreamPendingMessagesAsync("jobs", "workers", 10, RedisValue.Null);
        Assert.All(rows, r => Assert.Equal("bob", (string?)r.ConsumerName));
        Assert.All(rows, r => Assert.Equal(2, r.DeliveryCount));
        Assert.Equal(2, await db.StreamAcknowledgeAsync("jobs", "workers", late.ClaimedEntries.Select(e => e.Id).ToArray()));
        StreamPendingInfo pending = await db.StreamPendingAsync("jobs", "workers");
        Assert.Equal(0, pending.PendingMessageCount);
        Assert.Empty(pending.Consumers);
        StreamConsumerInfo[] consumers = await db.StreamConsumerInfoAsync("jobs", "workers");
        Assert.Equal(["alice", "bob"], consumers.Select(x => x.Name));
        Assert.All(consumers, x => Assert.Equal(0, x.PendingMessageCount));
    }
}

using StackExchange.Redis;
using static Tiered.Server.Tests.Infrastructure.Replies;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Hot;

namespace Tiered.Server.Tests;

public sealed class StreamCommandTests : ServerTestBase
{
    private const string InvalidId = "-ERR Invalid stream ID specified as stream command argument\r\n";
    private const string TooSmall = "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n";

    /// <summary>One entry as [id, [field, value, ...]].</summary>
    private static string Entry(string id, params string[] fv) => "*2\r\n" + Bulk(id) + Arr(fv);

    private static string Entries(params string[] entries) => $"*{entries.Length}\r\n" + string.Concat(entries);

    private static void Fill(RawClient c, string key, params string[] ids)
    {
        foreach (string id in ids) c.Roundtrip(Bulk(id), "XADD", key, id, "f", id);
    }

    [Fact]
    public void XSetIdAnswersAsRedisDoes()
    {
        // Replies and error texts as redis-server 7.0.15 gives them for the same commands.
        using var c = Server.Raw();
        c.Roundtrip("-ERR no such key\r\n", "XSETID", "s", "1-1");
        c.Roundtrip("+OK\r\n", "SET", "str", "v");
        c.Roundtrip("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "XSETID", "str", "1-1");
        c.Roundtrip(Bulk("5-1"), "XADD", "s", "5-1", "f", "v");
        c.Roundtrip(Bulk("6-1"), "XADD", "s", "6-1", "f", "v");
        c.Roundtrip("-ERR The ID specified in XSETID is smaller than the target stream top item\r\n", "XSETID", "s", "5-0");
        c.Roundtrip("+OK\r\n", "XSETID", "s", "6-1");
        c.Roundtrip("-ERR The entries_added specified in XSETID is smaller than the target stream length\r\n", "XSETID", "s", "7-0", "ENTRIESADDED", "1");
        c.Roundtrip("-ERR entries_added must be positive\r\n", "XSETID", "s", "7-0", "ENTRIESADDED", "-1");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "XSETID", "s", "7-0", "ENTRIESADDED", "x");
        c.Roundtrip("-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n", "XSETID", "s", "7-0", "MAXDELETEDID", "8-0");
        c.Roundtrip("-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n", "XSETID", "nokey", "7-0", "MAXDELETEDID", "8-0");
        c.Roundtrip("-ERR Invalid stream ID specified as stream command argument\r\n", "XSETID", "s", "7-0", "MAXDELETEDID", "abc");
        c.Roundtrip("-ERR Invalid stream ID specified as stream command argument\r\n", "XSETID", "s", "abc");
        c.Roundtrip("-ERR Invalid stream ID specified as stream command argument\r\n", "XSETID", "s", "*");
        c.Roundtrip(Syntax, "XSETID", "s", "7-0", "FOO");
        c.Roundtrip(Syntax, "XSETID", "s", "7-0", "ENTRIESADDED");
        c.Roundtrip("+OK\r\n", "XSETID", "s", "10", "ENTRIESADDED", "5", "MAXDELETEDID", "3-0");
        c.Command("XINFO", "STREAM", "s");
        string info = c.ReadReply();
        Assert.Contains(Bulk("last-generated-id") + Bulk("10-0") + Bulk("max-deleted-entry-id") + Bulk("3-0") + Bulk("entries-added") + ":5\r\n", info);
        // An empty stream may go below its deleted entries' IDs (Redis 7.0 checks only against live entries).
        c.Roundtrip(Bulk("1-1"), "XADD", "e", "1-1", "f", "v");
        c.Roundtrip(":1\r\n", "XDEL", "e", "1-1");
        c.Roundtrip("+OK\r\n", "XSETID", "e", "0-5");
        c.Roundtrip("-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n", "XADD", "e", "0-5", "f", "v");
        c.Roundtrip(Bulk("0-6"), "XADD", "e", "0-6", "f", "v");
    }

    [Fact]
    public void XAddReturnsTheIdAndXLenCounts()
    {
        using var c = Server.Raw();
        c.Roundtrip(Bulk("1-1"), "XADD", "s", "1-1", "a", "1", "b", "2");
        c.Roundtrip(Bulk("1-2"), "XADD", "s", "1-*", "a", "1");
        c.Roundtrip(Bulk("5-0"), "XADD", "s", "5", "a", "1");
        c.Roundtrip(Bulk("5-1"), "XADD", "s", "5-*", "a", "1");
        c.Roundtrip(Int(4), "XLEN", "s");
        c.Roundtrip(Int(0), "XLEN", "missing");
        c.Roundtrip("+stream\r\n", "TYPE", "s");
        c.Roundtrip(Bulk("stream"), "OBJECT", "ENCODING", "s");
    }

    [Fact]
    public void XAddStarUsesTheCurrentTime()
    {
        using var c = Server.Raw();
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        c.Command("XADD", "s", "*", "f", "v");
        string id = BulkText(c.ReadReply());
        long ms = long.Parse(id[..id.IndexOf('-')]);
        Assert.InRange(ms, before - 5000, before + 5000);
        c.Roundtrip(Bulk("0-1"), "XADD", "t", "0-*", "f", "v");
    }

    [Fact]
    public void XAddRefusesSmallAndZeroAndMalformedIds()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR The ID specified in XADD must be greater than 0-0\r\n", "XADD", "s", "0-0", "f", "v");
        c.Roundtrip("-ERR The ID specified in XADD must be greater than 0-0\r\n", "XADD", "s", "0", "f", "v");
        c.Roundtrip(Int(0), "EXISTS", "s");
        c.Roundtrip(Bulk("5-5"), "XADD", "s", "5-5", "f", "v");
        c.Roundtrip(TooSmall, "XADD", "s", "5-5", "f", "v");
        c.Roundtrip(TooSmall, "XADD", "s", "4-9", "f", "v");
        c.Roundtrip(TooSmall, "XADD", "s", "4-*", "f", "v");
        c.Roundtrip(InvalidId, "XADD", "s", "abc", "f", "v");
        c.Roundtrip(InvalidId, "XADD", "s", "1-x", "f", "v");
        c.Roundtrip(InvalidId, "XADD", "s", "-", "f", "v");
        c.Roundtrip(InvalidId, "XADD", "s", "18446744073709551616-0", "f", "v");
        c.Roundtrip(Arity("xadd"), "XADD", "s", "*", "f");
        c.Roundtrip(Arity("xadd"), "XADD", "s", "*", "f", "v", "g");
        c.Roundtrip(Arity("xadd"), "XADD", "s", "*");
        c.Roundtrip(Bulk("18446744073709551615-18446744073709551615"), "XADD", "m", "18446744073709551615-18446744073709551615", "f", "v");
        c.Roundtrip("-ERR The stream has exhausted the last possible ID, unable to add more items\r\n", "XADD", "m", "*", "f", "v");
        c.Roundtrip(Int(1), "XLEN", "s");
    }

    [Fact]
    public void XAddNoMkStreamAndTrimOptions()
    {
        using var c = Server.Raw();
        c.Roundtrip(Nil, "XADD", "s", "NOMKSTREAM", "*", "f", "v");
        c.Roundtrip(Int(0), "EXISTS", "s");
        for (int i = 1; i <= 5; i++) c.Roundtrip(Bulk($"{i}-0"), "XADD", "s", $"{i}-0", "f", "v");
        c.Roundtrip(Bulk("6-0"), "XADD", "s", "NOMKSTREAM", "MAXLEN", "3", "6-0", "f", "v");
        c.Roundtrip(Int(3), "XLEN", "s");
        c.Roundtrip(Bulk("7-0"), "XADD", "s", "MAXLEN", "=", "2", "7-0", "f", "v");
        c.Roundtrip(Int(2), "XLEN", "s");
        c.Roundtrip(Bulk("8-0"), "XADD", "s", "MINID", "7", "8-0", "f", "v");
        c.Roundtrip(Int(2), "XLEN", "s");
        c.Roundtrip(Bulk("9-0"), "XADD", "s", "MAXLEN", "~", "1", "9-0", "f", "v");
        c.Roundtrip(Int(3), "XLEN", "s"); // "~" trims whole 100-entry nodes only
        c.Roundtrip(Bulk("10-0"), "XADD", "s", "MAXLEN", "~", "1", "LIMIT", "5", "10-0", "f", "v");
        c.Roundtrip("-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n", "XADD", "s", "MAXLEN", "1", "LIMIT", "5", "*", "f", "v");
        c.Roundtrip("-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n", "XADD", "s", "MAXLEN", "1", "MINID", "5", "*", "f", "v");
        c.Roundtrip("-ERR The MAXLEN argument must be >= 0.\r\n", "XADD", "s", "MAXLEN", "-1", "*", "f", "v");
        c.Roundtrip(NotInteger, "XADD", "s", "MAXLEN", "x", "*", "f", "v");
        c.Roundtrip("-ERR The LIMIT argument must be >= 0.\r\n", "XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-1", "*", "f", "v");
        c.Roundtrip(Int(4), "XLEN", "s");
    }

    [Fact]
    public void XRangeAndXRevRangeWithSpecialExclusiveAndCount()
    {
        using var c = Server.Raw();
        c.Roundtrip(Bulk("1-0"), "XADD", "s", "1-0", "a", "1", "b", "2");
        Fill(c, "s", "2-0", "2-1", "3-0");
        string e1 = Entry("1-0", "a", "1", "b", "2"), e2 = Entry("2-0", "f", "2-0"), e3 = Entry("2-1", "f", "2-1"), e4 = Entry("3-0", "f", "3-0");
        c.Roundtrip(Entries(e1, e2, e3, e4), "XRANGE", "s", "-", "+");
        c.Roundtrip(Entries(e2, e3), "XRANGE", "s", "2", "2");
        c.Roundtrip(Entries(e3, e4), "XRANGE", "s", "(2-0", "+");
        c.Roundtrip(Entries(e1, e2), "XRANGE", "s", "-", "(2-1");
        c.Roundtrip(Entries(e1, e2), "XRANGE", "s", "-", "+", "COUNT", "2");
        c.Roundtrip(NilArray, "XRANGE", "s", "-", "+", "COUNT", "0");
        c.Roundtrip(NilArray, "XRANGE", "s", "-", "+", "COUNT", "-3"); // Redis clamps a negative COUNT to 0
        c.Roundtrip(Empty, "XRANGE", "s", "3-1", "+");
        c.Roundtrip(Empty, "XRANGE", "s", "3", "1");
        c.Roundtrip(Empty, "XRANGE", "missing", "-", "+");
        c.Roundtrip(Entries(e4, e3, e2, e1), "XREVRANGE", "s", "+", "-");
        c.Roundtrip(Entries(e4, e3), "XREVRANGE", "s", "+", "-", "COUNT", "2");
        c.Roundtrip(Entries(e3, e2), "XREVRANGE", "s", "(3-0", "(1-0");
        c.Roundtrip(InvalidId, "XRANGE", "s", "x", "+");
        c.Roundtrip(InvalidId, "XRANGE", "s", "(-", "+");
        c.Roundtrip("-ERR invalid start ID for the interval\r\n", "XRANGE", "s", "(18446744073709551615-18446744073709551615", "+");
        c.Roundtrip("-ERR invalid end ID for the interval\r\n", "XRANGE", "s", "-", "(0-0");
        c.Roundtrip(Syntax, "XRANGE", "s", "-", "+", "LIMIT", "2");
        c.Roundtrip(Syntax, "XRANGE", "s", "-", "+", "COUNT");
        c.Roundtrip(NotInteger, "XRANGE", "s", "-", "+", "COUNT", "x");
        c.Roundtrip(Arity("xrange"), "XRANGE", "s", "-");
    }

    [Fact]
    public void XDelAndXTrim()
    {
        using var c = Server.Raw();
        Fill(c, "s", "1-0", "2-0", "3-0", "4-0", "5-0", "6-0");
        c.Roundtrip(Int(2), "XDEL", "s", "2-0", "4", "9-9");
        c.Roundtrip(Int(0), "XDEL", "missing", "1-0");
        c.Roundtrip(InvalidId, "XDEL", "s", "+");
        c.Roundtrip(Int(4), "XLEN", "s");
        c.Roundtrip(Int(1), "XTRIM", "s", "MAXLEN", "3");
        c.Roundtrip(Int(2), "XTRIM", "s", "MINID", "=", "6");
        c.Roundtrip(Int(0), "XTRIM", "s", "MAXLEN", "~", "0");
        c.Roundtrip(Int(1), "XTRIM", "s", "MAXLEN", "0");
        c.Roundtrip(Int(0), "XLEN", "s");
        c.Roundtrip(Int(1), "EXISTS", "s"); // an emptied stream is kept, as in Redis
        c.Roundtrip(Int(0), "XTRIM", "missing", "MAXLEN", "0");
        c.Roundtrip("-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n", "XTRIM", "s", "LIMIT", "5");
        c.Roundtrip("-ERR syntax error, XTRIM must be called with a trimming strategy\r\n", "XTRIM", "s", "LIMIT", "0");
        c.Roundtrip(Syntax, "XTRIM", "s", "FOO", "5");
        c.Roundtrip(Arity("xtrim"), "XTRIM", "s", "MAXLEN");
        c.Roundtrip(Arity("xdel"), "XDEL", "s");
    }

    [Fact]
    public void XReadRepliesAnArrayInResp2AndAMapInResp3()
    {
        using var c = Server.Raw();
        Fill(c, "a", "1-0", "2-0", "3-0");
        Fill(c, "b", "5-0");
        string a2 = Entry("2-0", "f", "2-0"), a3 = Entry("3-0", "f", "3-0"), b5 = Entry("5-0", "f", "5-0");
        c.Roundtrip("*2\r\n*2\r\n" + Bulk("a") + Entries(a2, a3) + "*2\r\n" + Bulk("b") + Entries(b5),
            "XREAD", "STREAMS", "a", "b", "1-0", "0");
        c.Roundtrip("*1\r\n*2\r\n" + Bulk("a") + Entries(a2), "XREAD", "COUNT", "1", "STREAMS", "a", "b", "1", "5-0");
        c.Roundtrip(NilArray, "XREAD", "STREAMS", "a", "b", "missing", "$", "$", "0");
        c.Roundtrip("-ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.\r\n", "XREAD", "STREAMS", "a", "b", "0");
        c.Roundtrip("-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.\r\n", "XREAD", "STREAMS", "a", ">");
        c.Roundtrip(Syntax, "XREAD", "COUNT", "1", "a", "0");
        c.Roundtrip(InvalidId, "XREAD", "STREAMS", "a", "x");
        Hello3(c);
        c.Roundtrip("%1\r\n" + Bulk("b") + Entries(b5), "XREAD", "STREAMS", "a", "b", "3-0", "0");
        c.Roundtrip("_\r\n", "XREAD", "STREAMS", "a", "$");
    }

    [Fact]
    public void XInfoStreamShowsTheBasicFields()
    {
        using var c = Server.Raw();
        Fill(c, "s", "1-0", "2-0", "3-0");
        c.Roundtrip(Int(1), "XDEL", "s", "2-0");
        string expected = "*20\r\n"
            + Bulk("length") + Int(2) + Bulk("radix-tree-keys") + Int(1) + Bulk("radix-tree-nodes") + Int(2)
            + Bulk("last-generated-id") + Bulk("3-0") + Bulk("max-deleted-entry-id") + Bulk("2-0")
            + Bulk("entries-added") + Int(3) + Bulk("recorded-first-entry-id") + Bulk("1-0") + Bulk("groups") + Int(0)
            + Bulk("first-entry") + Entry("1-0", "f", "1-0") + Bulk("last-entry") + Entry("3-0", "f", "3-0");
        c.Roundtrip(expected, "XINFO", "STREAM", "s");
        c.Roundtrip("-ERR no such key\r\n", "XINFO", "STREAM", "missing");
        c.Roundtrip(Int(2), "XTRIM", "s", "MAXLEN", "0");
        Hello3(c);
        c.Roundtrip("%10\r\n"
            + Bulk("length") + Int(0) + Bulk("radix-tree-keys") + Int(0) + Bulk("radix-tree-nodes") + Int(1)
            + Bulk("last-generated-id") + Bulk("3-0") + Bulk("max-deleted-entry-id") + Bulk("2-0")
            + Bulk("entries-added") + Int(3) + Bulk("recorded-first-entry-id") + Bulk("0-0") + Bulk("groups") + Int(0)
            + Bulk("first-entry") + "_\r\n" + Bulk("last-entry") + "_\r\n", "XINFO", "STREAM", "s");
        c.Roundtrip("-ERR wrong number of arguments for 'xinfo|stream' command\r\n", "XINFO", "STREAM");
    }

    [Fact]
    public void EveryStreamCommandRefusesAStringKey()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "k", "v");
        string[][] commands =
        [
            ["XADD", "k", "*", "f", "v"], ["XLEN", "k"], ["XRANGE", "k", "-", "+"], ["XREVRANGE", "k", "+", "-"],
            ["XDEL", "k", "1-0"], ["XTRIM", "k", "MAXLEN", "0"], ["XREAD", "STREAMS", "k", "0"], ["XINFO", "STREAM", "k"],
        ];
        foreach (string[] cmd in commands) c.Roundtrip(WrongType, cmd);
        c.Roundtrip(Bulk("v"), "GET", "k");
    }

    [Fact]
    public void XGroupCreateAndDestroy()
    {
        using var c = Server.Raw();
        const string noKey = "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n";
        c.Roundtrip(noKey, "XGROUP", "CREATE", "s", "g", "$");
        c.Roundtrip(Ok, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        c.Roundtrip(Int(0), "XLEN", "s");
        c.Roundtrip("-BUSYGROUP Consumer Group name already exists\r\n", "XGROUP", "CREATE", "s", "g", "0");
        c.Roundtrip(InvalidId, "XGROUP", "CREATE", "s", "h", "x");
        c.Roundtrip(Syntax, "XGROUP", "CREATE", "s", "h", "0", "FOO");
        c.Roundtrip(Int(1), "XGROUP", "DESTROY", "s", "g");
        c.Roundtrip(Int(0), "XGROUP", "DESTROY", "s", "g");
        c.Roundtrip(noKey, "XGROUP", "DESTROY", "missing", "g");
        c.Roundtrip(Arity("xgroup|destroy"), "XGROUP", "DESTROY", "s");
        c.Roundtrip(Ok, "SET", "k", "v");
        c.Roundtrip(WrongType, "XGROUP", "CREATE", "k", "g", "$");
    }

    [Fact]
    public void XReadGroupDeliversNewEntriesAndReplaysHistory()
    {
        using var c = Server.Raw();
        Fill(c, "s", "1-0", "2-0", "3-0");
        c.Roundtrip(Ok, "XGROUP", "CREATE", "s", "g", "0");
        string e1 = Entry("1-0", "f", "1-0"), e2 = Entry("2-0", "f", "2-0"), e3 = Entry("3-0", "f", "3-0");
        c.Roundtrip("*1\r\n*2\r\n" + Bulk("s") + Entries(e1, e2), "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">");
        c.Roundtrip("*1\r\n*2\r\n" + Bulk("s") + Entries(e3), "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">");
        c.Roundtrip(NilArray, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">");
        c.Roundtrip("*1\r\n*2\r\n" + Bulk("s") + Entries(e1, e2), "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0");
        c.Roundtrip("*1\r\n*2\r\n" + Bulk("s") + Empty, "XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0");
        c.Roundtrip(Int(1), "XDEL", "s", "2-0");
        c.Roundtrip("*1\r\n*2\r\n" + Bulk("s") + "*1\r\n*2\r\n" + Bulk("2-0") + NilArray, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "1-0");
        c.Roundtrip("*4\r\n" + Int(3) + Bulk("1-0") + Bulk("3-0") + "*2\r\n" + Arr("alice", "2") + Arr("bob", "1"), "XPENDING", "s", "g");
        c.Roundtrip(Int(2), "XACK", "s", "g", "1-0", "3-0", "9-0");
        c.Roundtrip(Int(0), "XACK", "s", "nogroup", "1-0");
        c.Roundtrip(InvalidId, "XACK", "s", "g", "x");
        c.Roundtrip("*4\r\n" + Int(1) + Bulk("2-0") + Bulk("2-0") + "*1\r\n" + Arr("alice", "1"), "XPENDING", "s", "g");
        c.Roundtrip(Int(1), "XACK", "s", "g", "2-0");
        c.Roundtrip("*4\r\n" + Int(0) + Nil + Nil + NilArray, "XPENDING", "s", "g");
        c.Roundtrip("-NOGROUP No such key 's' or consumer group 'x'\r\n", "XPENDING", "s", "x");
        c.Roundtrip("-NOGROUP No such key 's' or consumer group 'x' in XREADGROUP with GROUP option\r\n", "XREADGROUP", "GROUP", "x", "c", "STREAMS", "s", ">");
        c.Roundtrip("-NOGROUP No such key 'missing' or consumer group 'g' in XREADGROUP with GROUP option\r\n", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "missing", ">");
        c.Roundtrip("-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.\r\n", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$");
        c.Roundtrip("-ERR Missing GROUP option for XREADGROUP\r\n", "XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">");
        Fill(c, "s", "4-0");
        Hello3(c);
        c.Roundtrip("%1\r\n" + Bulk("s") + Entries(Entry("4-0", "f", "4-0")), "XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">");
        c.Roundtrip("*4\r\n" + Int(0) + "_\r\n_\r\n_\r\n", "XPENDING", "s", "g");
    }

    [Fact]
    public async Task StackExchangeRedisConsumerGroupRoundTrip()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        Assert.True(await db.StreamCreateConsumerGroupAsync("s", "g", StreamPosition.NewMessages, createStream: true));
        await db.StreamAddAsync("s", "k", "v", "1-0");
        await db.StreamAddAsync("s", "k", "w", "2-0");
        StreamEntry[] got = await db.StreamReadGroupAsync("s", "g", "c", StreamPosition.NewMessages);
        Assert.Equal(["1-0", "2-0"], got.Select(e => (string)e.Id!));
        StreamPendingInfo pending = await db.StreamPendingAsync("s", "g");
        Assert.Equal(2, pending.PendingMessageCount);
        Assert.Equal("c", (string?)Assert.Single(pending.Consumers).Name);
        Assert.Equal(2, await db.StreamAcknowledgeAsync("s", "g", ["1-0", "2-0"]));
        Assert.Equal(0, (await db.StreamPendingAsync("s", "g")).PendingMessageCount);
    }

    [Fact]
    public async Task StackExchangeRedisAddsAndReadsRanges()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        RedisValue id1 = await db.StreamAddAsync("s", "name", "ada", "1-1");
        RedisValue id2 = await db.StreamAddAsync("s", [new NameValueEntry("x", "1"), new NameValueEntry("y", "2")], "2-0");
        Assert.Equal("1-1", (string?)id1);
        Assert.Equal("2-0", (string?)id2);
        Assert.Equal(2, await db.StreamLengthAsync("s"));
        StreamEntry[] all = await db.StreamRangeAsync("s");
        Assert.Equal(2, all.Length);
        Assert.Equal("1-1", (string?)all[0].Id);
        Assert.Equal("ada", (string?)all[0]["name"]);
        Assert.Equal("2", (string?)all[1]["y"]);
        StreamEntry[] rev = await db.StreamRangeAsync("s", messageOrder: Order.Descending, count: 1);
        Assert.Equal("2-0", (string?)Assert.Single(rev).Id);
        StreamEntry[] read = await db.StreamReadAsync("s", "1-1");
        Assert.Equal("2-0", (string?)Assert.Single(read).Id);
        Assert.Equal(1, await db.StreamDeleteAsync("s", ["1-1"]));
        StreamInfo info = await db.StreamInfoAsync("s");
        Assert.Equal(1, info.Length);
        Assert.Equal("2-0", (string?)info.LastGeneratedId);
    }
}

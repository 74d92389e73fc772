using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;
using static Tiered.Server.Tests.PubSubTests;

namespace Tiered.Server.Tests;

/// <summary>
/// Sharded pub/sub (SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, PUBSUB SHARDCHANNELS/SHARDNUMSUB): every expected reply is
/// redis-server 7.0.15's, recorded byte for byte in non-cluster mode.
/// </summary>
public sealed class ShardPubSubTests : ServerTestBase
{
    private const string Refused = "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";

    [Fact]
    public void SsubscribeConfirmsEachShardChannelAndReceivesSmessagesInResp2()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        sub.Command("SSUBSCRIBE", "x", "y", "x");
        sub.Expect(Confirm('*', "ssubscribe", "x", 1) + Confirm('*', "ssubscribe", "y", 2) + Confirm('*', "ssubscribe", "x", 2));
        pub.Roundtrip(":1\r\n", "SPUBLISH", "x", "hello");
        sub.Expect("*3\r\n$8\r\nsmessage\r\n$1\r\nx\r\n$5\r\nhello\r\n");
        pub.Roundtrip(":0\r\n", "SPUBLISH", "nobody", "m");
        pub.Roundtrip(Arity("spublish"), "SPUBLISH", "x");
        pub.Roundtrip(Arity("ssubscribe"), "SSUBSCRIBE");
    }

    [Fact]
    public void ShardCountsAreKeptApartFromChannelAndPatternCounts()
    {
        using var sub = Server.Raw();
        sub.Command("SSUBSCRIBE", "x", "y");
        sub.Expect(Confirm('*', "ssubscribe", "x", 1) + Confirm('*', "ssubscribe", "y", 2));
        sub.Command("SUBSCRIBE", "c1");
        sub.Expect(Confirm('*', "subscribe", "c1", 1));
        sub.Command("PSUBSCRIBE", "c*");
        sub.Expect(Confirm('*', "psubscribe", "c*", 2));
        sub.Command("SSUBSCRIBE", "z");
        sub.Expect(Confirm('*', "ssubscribe", "z", 3));
        sub.Command("SUNSUBSCRIBE", "x", "nope");
        sub.Expect(Confirm('*', "sunsubscribe", "x", 2) + Confirm('*', "sunsubscribe", "nope", 2));
        sub.Command("UNSUBSCRIBE");
        sub.Expect(Confirm('*', "unsubscribe", "c1", 1));
        sub.Command("PUNSUBSCRIBE");
        sub.Expect(Confirm('*', "punsubscribe", "c*", 0));
        // Channels and patterns are gone but shard channels remain: still in subscribed mode.
        sub.Roundtrip($"-ERR Can't execute 'get': {Refused}\r\n", "GET", "k");
        sub.Roundtrip("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", "UNSUBSCRIBE");
    }

    [Fact]
    public void ShardChannelsAndClassicChannelsAreSeparateNamespaces()
    {
        using var shard = Server.Raw();
        using var classic = Server.Raw();
        using var pattern = Server.Raw();
        using var pub = Server.Raw();
        shard.Command("SSUBSCRIBE", "news");
        shard.Expect(Confirm('*', "ssubscribe", "news", 1));
        classic.Command("SUBSCRIBE", "news");
        classic.Expect(Confirm('*', "subscribe", "news", 1));
        pattern.Command("PSUBSCRIBE", "*");
        pattern.Expect(Confirm('*', "psubscribe", "*", 1));
        pub.Roundtrip(":1\r\n", "SPUBLISH", "news", "s");
        pub.Roundtrip(":2\r\n", "PUBLISH", "news", "p");
        // Each subscriber's next frame shows which publish reached it.
        shard.Expect(Frame('*', "smessage", "news", "s"));
        classic.Expect(Frame('*', "message", "news", "p"));
        pattern.Expect(Frame('*', "pmessage", "*", "news", "p"));
        shard.Roundtrip("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING");
        pub.Roundtrip("*2\r\n$4\r\nnews\r\n:1\r\n", "PUBSUB", "NUMSUB", "news");
        pub.Roundtrip("*2\r\n$4\r\nnews\r\n:1\r\n", "PUBSUB", "SHARDNUMSUB", "news");
    }

    [Fact]
    public void SunsubscribeWithoutArgumentsLeavesEveryShardChannel()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        sub.Command("SSUBSCRIBE", "a", "b");
        sub.Expect(Confirm('*', "ssubscribe", "a", 1) + Confirm('*', "ssubscribe", "b", 2));
        sub.Command("SUNSUBSCRIBE");
        var left = new HashSet<string>();
        for (int expectCount = 1; expectCount >= 0; expectCount--)
        {
            string r = sub.ReadReply();
            Assert.StartsWith("*3\r\n$12\r\nsunsubscribe\r\n$1\r\n", r);
            Assert.EndsWith($":{expectCount}\r\n", r);
            left.Add(r.Substring("*3\r\n$12\r\nsunsubscribe\r\n$1\r\n".Length, 1));
        }
        Assert.Equal(["a", "b"], left.Order());
        sub.Roundtrip("*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n", "SUNSUBSCRIBE");
        sub.Roundtrip(Nil, "GET", "k");   // out of subscribed mode
        pub.Roundtrip(":0\r\n", "SPUBLISH", "a", "x");
    }

    [Fact]
    public void SunsubscribeWithNothingSubscribedRepliesANilChannel()
    {
        using var c = Server.Raw();
        c.Roundtrip("*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n", "SUNSUBSCRIBE");
        c.Roundtrip("*3\r\n$12\r\nsunsubscribe\r\n$1\r\nq\r\n:0\r\n", "SUNSUBSCRIBE", "q");
        c.Roundtrip(Nil, "GET", "k");
        Hello3(c);
        c.Roundtrip(">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n", "SUNSUBSCRIBE");
    }

    [Fact]
    public void Resp2ShardSubscribedModeRefusesOtherCommandsWithRedisText()
    {
        using var sub = Server.Raw();
        sub.Command("SSUBSCRIBE", "only");
        sub.Expect(Confirm('*', "ssubscribe", "only", 1));
        sub.Roundtrip($"-ERR Can't execute 'get': {Refused}\r\n", "GET", "k");
        sub.Roundtrip($"-ERR Can't execute 'spublish': {Refused}\r\n", "SPUBLISH", "x", "m");
        sub.Roundtrip($"-ERR Can't execute 'publish': {Refused}\r\n", "PUBLISH", "x", "m");
        sub.Roundtrip($"-ERR Can't execute 'client|info': {Refused}\r\n", "CLIENT", "INFO");
        sub.Roundtrip($"-ERR Can't execute 'pubsub|channels': {Refused}\r\n", "PUBSUB", "CHANNELS", "a", "b");
        // Unknown commands, unknown subcommands and arity errors come first, as in Redis.
        sub.Roundtrip("-ERR unknown command 'nope', with args beginning with: \r\n", "nope");
        sub.Roundtrip(Arity("get"), "GET");
        sub.Roundtrip(Arity("client|info"), "CLIENT", "INFO", "x");
        sub.Roundtrip("-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n", "CLIENT", "FOO");
        sub.Roundtrip("*2\r\n$4\r\npong\r\n$2\r\nhi\r\n", "PING", "hi");
        sub.Command("UNSUBSCRIBE");   // no classic channels: a nil confirmation, and still subscribed
        sub.Expect("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
        sub.Roundtrip($"-ERR Can't execute 'get': {Refused}\r\n", "GET", "k");
        sub.Command("SUNSUBSCRIBE");
        sub.Expect(Confirm('*', "sunsubscribe", "only", 0));
        sub.Roundtrip(Nil, "GET", "k");
        sub.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public void Resp3UsesPushFramesAndAllowsAnyCommandWhileShardSubscribed()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        Hello3(sub);
        sub.Command("SSUBSCRIBE", "x", "y");
        sub.Expect(Confirm('>', "ssubscribe", "x", 1) + Confirm('>', "ssubscribe", "y", 2));
        sub.Roundtrip("_\r\n", "GET", "k");
        sub.Roundtrip("+PONG\r\n", "PING");
        pub.Roundtrip(":1\r\n", "SPUBLISH", "x", "hi");
        sub.Expect(">3\r\n$8\r\nsmessage\r\n$1\r\nx\r\n$2\r\nhi\r\n");
        sub.Command("SUNSUBSCRIBE", "x");
        sub.Expect(Confirm('>', "sunsubscribe", "x", 1));
        sub.Command("SUNSUBSCRIBE");
        sub.Expect(Confirm('>', "sunsubscribe", "y", 0));
        sub.Roundtrip(">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n", "SUNSUBSCRIBE");
    }

    [Fact]
    public void SsubscribeInsideMultiIsRefusedAtExec()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip("+QUEUED\r\n", "SSUBSCRIBE", "x");
        c.Roundtrip("+QUEUED\r\n", "SPUBLISH", "x", "m");
        c.Roundtrip("+QUEUED\r\n", "SUNSUBSCRIBE", "x");
        c.Roundtrip("*3\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n:0\r\n*3\r\n$12\r\nsunsubscribe\r\n$1\r\nx\r\n:0\r\n", "EXEC");
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip(Arity("ssubscribe"), "SSUBSCRIBE");
        c.Roundtrip("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
        c.Roundtrip(Nil, "GET", "k");   // never entered subscribed mode
        Hello3(c);
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip("+QUEUED\r\n", "SSUBSCRIBE", "x");
        c.Roundtrip("+QUEUED\r\n", "SUNSUBSCRIBE");
        c.Roundtrip("*2\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n>3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n", "EXEC");
    }

    [Fact]
    public void ScriptsMaySpublishButNotSsubscribe()
    {
        using var sub = Server.Raw();
        using var c = Server.Raw();
        sub.Command("SSUBSCRIBE", "x");
        sub.Expect(Confirm('*', "ssubscribe", "x", 1));
        c.Roundtrip("-ERR This Redis command is not allowed from script script: 5ebe3737052c33343013a4ffc04dc78c967c64e5, on @user_script:1.\r\n",
            "EVAL", "return redis.call('ssubscribe','x')", "0");
        c.Roundtrip("-ERR This Redis command is not allowed from script script: 31535fa6cee312efa46e13023df7e664a9e615df, on @user_script:1.\r\n",
            "EVAL", "return redis.call('sunsubscribe','x')", "0");
        c.Roundtrip("-ERR This Redis command is not allowed from script\r\n", "EVAL", "return redis.pcall('ssubscribe','x')", "0");
        c.Roundtrip(":1\r\n", "EVAL", "return redis.call('spublish','x','m')", "0");
        sub.Expect(Frame('*', "smessage", "x", "m"));
        c.Roundtrip(Bulk("l"), "FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('f', function() return redis.call('ssubscribe','x') end)");
        c.Roundtrip("-ERR This Redis command is not allowed from script script: f, on @user_function:2.\r\n", "FCALL", "f", "0");
    }

    [Fact]
    public void ShardChannelArgumentsAreNotKeysButKeySpecsNameThem()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR The command has no key arguments\r\n", "COMMAND", "GETKEYS", "SSUBSCRIBE", "a", "b");
        c.Roundtrip("-ERR The command has no key arguments\r\n", "COMMAND", "GETKEYS", "SPUBLISH", "a", "b");
        c.Roundtrip("-ERR The command has no key arguments\r\n", "COMMAND", "GETKEYS", "SUNSUBSCRIBE", "a", "b");
        static string Spec(int lastKey) =>
            "*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+not_key\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
            + $"$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:{lastKey}\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";
        c.Roundtrip("*3\r\n"
            + "*10\r\n$10\r\nssubscribe\r\n:-2\r\n*4\r\n+pubsub\r\n+noscript\r\n+loading\r\n+stale\r\n:1\r\n:-1\r\n:1\r\n*2\r\n+@pubsub\r\n+@slow\r\n*0\r\n" + Spec(-1)
            + "*10\r\n$12\r\nsunsubscribe\r\n:-1\r\n*4\r\n+pubsub\r\n+noscript\r\n+loading\r\n+stale\r\n:1\r\n:-1\r\n:1\r\n*2\r\n+@pubsub\r\n+@slow\r\n*0\r\n" + Spec(-1)
            + "*10\r\n$8\r\nspublish\r\n:3\r\n*4\r\n+pubsub\r\n+loading\r\n+stale\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*2\r\n+@pubsub\r\n+@fast\r\n*0\r\n" + Spec(0),
            "COMMAND", "INFO", "SSUBSCRIBE", "SUNSUBSCRIBE", "SPUBLISH");
    }

    [Fact]
    public void PubSubShardIntrospection()
    {
        using var s1 = Server.Raw();
        using var s2 = Server.Raw();
        using var c = Server.Raw();
        s1.Command("SSUBSCRIBE", "news", "weather");
        s1.Expect(Confirm('*', "ssubscribe", "news", 1) + Confirm('*', "ssubscribe", "weather", 2));
        s2.Command("SSUBSCRIBE", "news");
        s2.Expect(Confirm('*', "ssubscribe", "news", 1));
        s2.Command("SUBSCRIBE", "classic");
        s2.Expect(Confirm('*', "subscribe", "classic", 1));
        c.Roundtrip("*6\r\n$4\r\nnews\r\n:2\r\n$7\r\nmissing\r\n:0\r\n$7\r\nclassic\r\n:0\r\n", "PUBSUB", "SHARDNUMSUB", "news", "missing", "classic");
        c.Roundtrip("*4\r\n$1\r\na\r\n:0\r\n$1\r\na\r\n:0\r\n", "PUBSUB", "SHARDNUMSUB", "a", "a");
        c.Roundtrip(Empty, "PUBSUB", "SHARDNUMSUB");
        c.Roundtrip("*1\r\n$7\r\nweather\r\n", "PUBSUB", "SHARDCHANNELS", "w*");
        c.Roundtrip("*1\r\n$7\r\nclassic\r\n", "PUBSUB", "CHANNELS");
        foreach (string[] all in new[] { new[] { "PUBSUB", "SHARDCHANNELS" }, ["PUBSUB", "SHARDCHANNELS", "*"] })
        {
            c.Command(all);
            string r = c.ReadReply();
            Assert.StartsWith("*2\r\n", r);
            Assert.Contains(Bulk("news"), r);
            Assert.Contains(Bulk("weather"), r);
        }
        c.Roundtrip("-ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. Try PUBSUB HELP.\r\n", "PUBSUB", "SHARDCHANNELS", "a", "b");
        c.Roundtrip("-ERR unknown subcommand or wrong number of arguments for 'shardchannels'. Try PUBSUB HELP.\r\n", "PUBSUB", "shardchannels", "a", "b");
        Dictionary<string, string> stats = Fields(Info(c, "stats"));
        Assert.Equal("1", stats["pubsub_channels"]);
        Assert.Equal("0", stats["pubsub_patterns"]);
        Assert.Equal("2", stats["pubsubshard_channels"]);
        Assert.Contains("pubsub_patterns:0\r\npubsubshard_channels:2\r\n", Info(c, "stats"));
        c.Command("PUBSUB", "HELP");
        string help = c.ReadReply();
        Assert.StartsWith("*14\r\n", help);
        Assert.Contains("+    pattern subscriptions(default: no channels).\r\n"
            + "+SHARDCHANNELS [<pattern>]\r\n+    Return the currently active shard level channels matching a <pattern> (default: '*').\r\n"
            + "+SHARDNUMSUB [<shardchannel> ...]\r\n+    Return the number of subscribers for the specified shard level channel(s)\r\n"
            + "+HELP\r\n", help);
    }

    [Fact]
    public void ClientListAndInfoShowShardSubscriptions()
    {
        using var sub = Server.Raw();
        using var c = Server.Raw();
        Hello3(sub);
        sub.Command("SSUBSCRIBE", "a", "b");
        sub.Expect(Confirm('>', "ssubscribe", "a", 1) + Confirm('>', "ssubscribe", "b", 2));
        sub.Command("PSUBSCRIBE", "x*");
        sub.Expect(Confirm('>', "psubscribe", "x*", 1));
        sub.Command("CLIENT", "INFO");
        Assert.Contains(" flags=P db=0 sub=0 psub=1 ssub=2 multi=-1 ", sub.ReadReply());
        sub.Command("PUNSUBSCRIBE");
        sub.Expect(Confirm('>', "punsubscribe", "x*", 0));
        // Shard channels alone make a pubsub client.
        c.Command("CLIENT", "LIST", "TYPE", "pubsub");
        string list = c.ReadReply();
        Assert.Contains(" flags=P db=0 sub=0 psub=0 ssub=2 multi=-1 ", list);
        Assert.Equal(2, list.Split(" addr=").Length);
        c.Command("CLIENT", "INFO");
        Assert.Contains(" flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 ", c.ReadReply());
        c.Roundtrip(":1\r\n", "CLIENT", "KILL", "TYPE", "pubsub");
        Assert.True(sub.IsClosedByServer());
    }

    [Fact]
    public void ResetLeavesShardChannels()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        Hello3(sub);
        sub.Command("SSUBSCRIBE", "x");
        sub.Expect(Confirm('>', "ssubscribe", "x", 1));
        sub.Roundtrip("+RESET\r\n", "RESET");
        pub.Roundtrip(":0\r\n", "SPUBLISH", "x", "hi");
        pub.Roundtrip("*2\r\n$1\r\nx\r\n:0\r\n", "PUBSUB", "SHARDNUMSUB", "x");
        sub.Roundtrip("*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n", "SUNSUBSCRIBE");   // RESP2 again, nothing left
        sub.Command("SSUBSCRIBE", "x");
        sub.Expect(Confirm('*', "ssubscribe", "x", 1));
        sub.Roundtrip("+RESET\r\n", "RESET");
        sub.Roundtrip(Nil, "GET", "k");
    }

    [Fact]
    public async Task DisconnectedShardSubscribersAreRemoved()
    {
        using var pub = Server.Raw();
        using (var sub = Server.Raw())
        {
            sub.Command("SSUBSCRIBE", "a", "b");
            sub.Expect(Confirm('*', "ssubscribe", "a", 1) + Confirm('*', "ssubscribe", "b", 2));
            pub.Roundtrip(":1\r\n", "SPUBLISH", "a", "x");
        }
        for (int i = 0; i < 200 && Server.Server.PubSub.ShardChannelCount != 0; i++)
            await Task.Delay(20);
        pub.Roundtrip(":0\r\n", "SPUBLISH", "a", "x");
        pub.Roundtrip(Empty, "PUBSUB", "SHARDCHANNELS");
        Assert.Contains("pubsubshard_channels:0\r\n", Info(pub, "stats"));
    }

    [Fact]
    public void AResp2TrackingRedirectSubscribedOnlyToAShardChannelHearsInvalidations()
    {
        using var target = Server.Raw();
        using var tracked = Server.Raw();
        using var writer = Server.Raw();
        target.Command("CLIENT", "ID");
        string id = target.ReadReply()[1..^2];
        target.Command("SSUBSCRIBE", "q");
        target.Expect(Confirm('*', "ssubscribe", "q", 1));
        tracked.Roundtrip(Ok, "CLIENT", "TRACKING", "on", "REDIRECT", id);
        tracked.Roundtrip(Nil, "GET", "tk");
        writer.Roundtrip(Ok, "SET", "tk", "1");
        target.Expect("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$2\r\ntk\r\n");
    }

    [Fact]
    public void KeyspaceNotificationsGoToClassicSubscribersOnly()
    {
        using var shard = Server.Raw();
        using var classic = Server.Raw();
        using var c = Server.Raw();
        c.Roundtrip(Ok, "CONFIG", "SET", "notify-keyspace-events", "KEA");
        shard.Command("SSUBSCRIBE", "__keyspace@0__:tk");
        shard.Expect(Confirm('*', "ssubscribe", "__keyspace@0__:tk", 1));
        classic.Command("SUBSCRIBE", "__keyspace@0__:tk");
        classic.Expect(Confirm('*', "subscribe", "__keyspace@0__:tk", 1));
        c.Roundtrip(Ok, "SET", "tk", "2");
        classic.Expect(Frame('*', "message", "__keyspace@0__:tk", "set"));
        c.Roundtrip(":1\r\n", "SPUBLISH", "__keyspace@0__:tk", "mine");
        // The shard subscriber's first frame is SPUBLISH's, so the notification never reached it.
        shard.Expect(Frame('*', "smessage", "__keyspace@0__:tk", "mine"));
    }

    [Fact]
    public async Task ShardChannelsNamedLikeColdKeysLeaveTheKeysOnTheSsd()
    {
        await using var s = new ColdServer(1);
        using RawClient sub = s.Server.Raw();
        using RawClient pub = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        pub.Roundtrip(Ok, "SET", "k", "v");
        Dictionary<string, string> before = ColdWait.WaitAllCold(info, "SSUBSCRIBE");
        sub.Command("SSUBSCRIBE", "k");
        sub.Expect(Confirm('*', "ssubscribe", "k", 1));
        pub.Roundtrip(":1\r\n", "SPUBLISH", "k", "m");
        sub.Expect(Frame('*', "smessage", "k", "m"));
        Dictionary<string, string> after = ColdWait.Tiering(info);
        Assert.Equal("0", after["tier_hot_keys"]);
        foreach (string counter in new[] { "tier_sync_reads", "tier_ssd_aio_reads", "tier_cold_hits" })
            Assert.Equal(before[counter], after[counter]);   // no prefetch: channel names are not keys
        pub.Roundtrip(Bulk("v"), "GET", "k");
    }

    [Fact]
    public async Task StackExchangeClientSpublishesToARawShardSubscriber()
    {
        // StackExchange.Redis 2.8.16 has no sharded subscriber API; it sends SPUBLISH and PUBSUB SHARDNUMSUB as
        // ad hoc commands and parses their replies, over RESP2 and RESP3.
        using var sub = Server.Raw();
        sub.Command("SSUBSCRIBE", "events");
        sub.Expect(Confirm('*', "ssubscribe", "events", 1));
        foreach (string protocol in new[] { "protocol=resp2", "protocol=resp3" })
        {
            await using ConnectionMultiplexer mux = await Server.ConnectAsync(protocol);
            IDatabase db = mux.GetDatabase();
            Assert.Equal(1, (long)await db.ExecuteAsync("SPUBLISH", "events", protocol));
            sub.Expect(Frame('*', "smessage", "events", protocol));
            RedisResult[] numsub = (RedisResult[])(await db.ExecuteAsync("PUBSUB", "SHARDNUMSUB", "events", "none"))!;
            Assert.Equal(["events", "1", "none", "0"], numsub.Select(r => r.ToString()));
            RedisResult[] channels = (RedisResult[])(await db.ExecuteAsync("PUBSUB", "SHARDCHANNELS"))!;
            Assert.Equal(["events"], channels.Select(r => r.ToString()));
        }
    }
}

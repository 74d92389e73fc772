using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

public sealed class PubSubTests : ServerTestBase
{
    internal static string Frame(char head, params string[] bulks)
        => head + bulks.Length.ToString() + "\r\n" + string.Concat(bulks.Select(Bulk));

    internal static string Confirm(char head, string kind, string name, int count)
        => $"{head}3\r\n{Bulk(kind)}{Bulk(name)}:{count}\r\n";

    [Fact]
    public void SubscribeConfirmsEachChannelAndReceivesMessagesInResp2()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        sub.Command("SUBSCRIBE", "a", "b");
        sub.Expect(Confirm('*', "subscribe", "a", 1) + Confirm('*', "subscribe", "b", 2));
        pub.Roundtrip(":1\r\n", "PUBLISH", "a", "hello");
        sub.Expect(Frame('*', "message", "a", "hello"));
        pub.Roundtrip(":0\r\n", "PUBLISH", "nobody", "x");
        pub.Roundtrip(":1\r\n", "PUBLISH", "b", "");
        sub.Expect(Frame('*', "message", "b", ""));
    }

    [Fact]
    public void SubscribingTwiceToAChannelKeepsOneSubscription()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        sub.Command("SUBSCRIBE", "a", "a");
        sub.Expect(Confirm('*', "subscribe", "a", 1) + Confirm('*', "subscribe", "a", 1));
        pub.Roundtrip(":1\r\n", "PUBLISH", "a", "once");
        sub.Expect(Frame('*', "message", "a", "once"));
    }

    [Fact]
    public void PatternSubscriptionsReceivePMessages()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        sub.Command("PSUBSCRIBE", "news.*");
        sub.Expect(Confirm('*', "psubscribe", "news.*", 1));
        sub.Command("SUBSCRIBE", "news.tech");
        sub.Expect(Confirm('*', "subscribe", "news.tech", 2));
        // Both the channel and the pattern subscription receive it: two receivers.
        pub.Roundtrip(":2\r\n", "PUBLISH", "news.tech", "m");
        sub.Expect(Frame('*', "message", "news.tech", "m") + Frame('*', "pmessage", "news.*", "news.tech", "m"));
        pub.Roundtrip(":0\r\n", "PUBLISH", "sport", "m");
        sub.Command("PUNSUBSCRIBE", "news.*");
        sub.Expect(Confirm('*', "punsubscribe", "news.*", 1));
    }

    [Fact]
    public void Resp2SubscribedModeAllowsOnlyPubSubPingQuitReset()
    {
        using var sub = Server.Raw();
        sub.Command("SUBSCRIBE", "a");
        sub.Expect(Confirm('*', "subscribe", "a", 1));
        sub.Roundtrip("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", "GET", "k");
        sub.Roundtrip("-ERR unknown command 'nope', with args beginning with: \r\n", "nope");
        sub.Roundtrip("*2\r\n$4\r\npong\r\n$0\r\n\r\n", "PING");
        sub.Roundtrip("*2\r\n$4\r\npong\r\n$2\r\nhi\r\n", "PING", "hi");
        sub.Command("UNSUBSCRIBE");
        sub.Expect(Confirm('*', "unsubscribe", "a", 0));
        // Out of subscribed mode: everything is allowed again.
        sub.Roundtrip("$-1\r\n", "GET", "k");
        sub.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public void UnsubscribeWithoutArgumentsLeavesEveryChannel()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        sub.Command("SUBSCRIBE", "a", "b", "c");
        sub.Expect(Confirm('*', "subscribe", "a", 1) + Confirm('*', "subscribe", "b", 2) + Confirm('*', "subscribe", "c", 3));
        sub.Command("UNSUBSCRIBE");
        var left = new HashSet<string>();
        for (int expectCount = 2; expectCount >= 0; expectCount--)
        {
            string r = sub.ReadReply();
            Assert.StartsWith("*3\r\n$11\r\nunsubscribe\r\n$1\r\n", r);
            Assert.EndsWith($":{expectCount}\r\n", r);
            left.Add(r.Substring("*3\r\n$11\r\nunsubscribe\r\n$1\r\n".Length, 1));
        }
        Assert.Equal(["a", "b", "c"], left.Order());
        pub.Roundtrip(":0\r\n", "PUBLISH", "a", "x");
    }

    [Fact]
    public void UnsubscribeWithNothingSubscribedRepliesANilChannel()
    {
        using var c = Server.Raw();
        c.Roundtrip("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", "UNSUBSCRIBE");
        c.Roundtrip("*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n", "PUNSUBSCRIBE");
        Hello3(c);
        c.Roundtrip(">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n", "UNSUBSCRIBE");
    }

    [Fact]
    public void UnsubscribeFromAChannelNotSubscribedStillConfirms()
    {
        using var c = Server.Raw();
        c.Command("SUBSCRIBE", "a");
        c.Expect(Confirm('*', "subscribe", "a", 1));
        c.Command("UNSUBSCRIBE", "zzz");
        c.Expect(Confirm('*', "unsubscribe", "zzz", 1));
    }

    [Fact]
    public void Resp3UsesPushFramesAndAllowsAnyCommandWhileSubscribed()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        Hello3(sub);
        sub.Command("SUBSCRIBE", "a");
        sub.Expect(Confirm('>', "subscribe", "a", 1));
        sub.Roundtrip("_\r\n", "GET", "k");
        sub.Roundtrip("+PONG\r\n", "PING");
        pub.Roundtrip(":1\r\n", "PUBLISH", "a", "hi");
        sub.Expect(Frame('>', "message", "a", "hi"));
        sub.Command("PSUBSCRIBE", "a*");
        sub.Expect(Confirm('>', "psubscribe", "a*", 2));
        pub.Roundtrip(":2\r\n", "PUBLISH", "a", "both");
        sub.Expect(Frame('>', "message", "a", "both") + Frame('>', "pmessage", "a*", "a", "both"));
    }

    [Fact]
    public void PubSubIntrospection()
    {
        using var s1 = Server.Raw();
        using var s2 = Server.Raw();
        using var c = Server.Raw();
        s1.Command("SUBSCRIBE", "news", "weather");
        s1.Expect(Confirm('*', "subscribe", "news", 1) + Confirm('*', "subscribe", "weather", 2));
        s2.Command("SUBSCRIBE", "news");
        s2.Expect(Confirm('*', "subscribe", "news", 1));
        s2.Command("PSUBSCRIBE", "n*", "w*");
        s2.Expect(Confirm('*', "psubscribe", "n*", 2) + Confirm('*', "psubscribe", "w*", 3));
        c.Roundtrip("*4\r\n$4\r\nnews\r\n:2\r\n$7\r\nmissing\r\n:0\r\n", "PUBSUB", "NUMSUB", "news", "missing");
        c.Roundtrip("*0\r\n", "PUBSUB", "NUMSUB");
        c.Roundtrip(":2\r\n", "PUBSUB", "NUMPAT");
        c.Roundtrip("*1\r\n$7\r\nweather\r\n", "PUBSUB", "CHANNELS", "w*");
        c.Command("PUBSUB", "CHANNELS");
        string all = c.ReadReply();
        Assert.StartsWith("*2\r\n", all);
        Assert.Contains(Bulk("news"), all);
        Assert.Contains(Bulk("weather"), all);
        c.Roundtrip("-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n", "PUBSUB", "CHANNELS", "a", "b");
        c.Roundtrip("-ERR wrong number of arguments for 'publish' command\r\n", "PUBLISH", "a");
        c.Command("INFO", "stats");
        string info = c.ReadReply();
        Assert.Contains("pubsub_channels:2\r\n", info);
        Assert.Contains("pubsub_patterns:2\r\n", info);
    }

    [Fact]
    public void ClientListShowsSubscriptionsAndPubSubType()
    {
        using var sub = Server.Raw();
        using var c = Server.Raw();
        sub.Command("SUBSCRIBE", "a", "b");
        sub.Command("PSUBSCRIBE", "x*");
        sub.Expect(Confirm('*', "subscribe", "a", 1) + Confirm('*', "subscribe", "b", 2) + Confirm('*', "psubscribe", "x*", 3));
        c.Command("CLIENT", "LIST", "TYPE", "pubsub");
        string list = c.ReadReply();
        Assert.Contains(" flags=P ", list);
        Assert.Contains(" sub=2 psub=1 ", list);
        Assert.Equal(2, list.Split(" addr=").Length);   // exactly one client line
        c.Command("CLIENT", "LIST", "TYPE", "normal");
        Assert.DoesNotContain(" flags=P ", c.ReadReply());
        c.Roundtrip(":1\r\n", "CLIENT", "KILL", "TYPE", "pubsub");
        Assert.True(sub.IsClosedByServer());
    }

    [Fact]
    public async Task DisconnectedSubscribersAreRemoved()
    {
        using var pub = Server.Raw();
        using (var sub = Server.Raw())
        {
            sub.Command("SUBSCRIBE", "a");
            sub.Command("PSUBSCRIBE", "*");
            sub.Expect(Confirm('*', "subscribe", "a", 1) + Confirm('*', "psubscribe", "*", 2));
            pub.Roundtrip(":2\r\n", "PUBLISH", "a", "x");
        }
        for (int i = 0; i < 200 && Server.Server.PubSub.ChannelCount + Server.Server.PubSub.PatternCount != 0; i++)
            await Task.Delay(20);
        pub.Roundtrip(":0\r\n", "PUBLISH", "a", "x");
        pub.Roundtrip(":0\r\n", "PUBSUB", "NUMPAT");
    }

    [Fact]
    public void ResetLeavesSubscribedMode()
    {
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        sub.Command("SUBSCRIBE", "a");
        sub.Expect(Confirm('*', "subscribe", "a", 1));
        sub.Roundtrip("+RESET\r\n", "RESET");
        pub.Roundtrip(":0\r\n", "PUBLISH", "a", "x");
        sub.Roundtrip("$-1\r\n", "GET", "k");
    }

    [Fact]
    public void SwitchingToResp2WhileSubscribedRestrictsCommands()
    {
        using var sub = Server.Raw();
        Hello3(sub);
        sub.Command("SUBSCRIBE", "a");
        sub.Expect(Confirm('>', "subscribe", "a", 1));
        sub.Command("HELLO", "2");
        Assert.StartsWith("*14\r\n", sub.ReadReply());
        sub.Roundtrip("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", "GET", "k");
    }

    [Fact]
    public async Task RepliesAndMessagesNeverInterleaveMidFrame()
    {
        // A RESP3 subscriber runs commands while another client publishes: every frame must parse whole, and the
        // messages must arrive in publish order.
        using var sub = Server.Raw();
        using var pub = Server.Raw();
        Hello3(sub);
        sub.Command("SUBSCRIBE", "ch");
        sub.Expect(Confirm('>', "subscribe", "ch", 1));
        const int N = 300;
        string payload = new('p', 3000);
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < N; i++) sb.Append("*2\r\n$4\r\nECHO\r\n$").Append(payload.Length).Append("\r\n").Append(payload).Append("\r\n");
        string echoes = sb.ToString();
        var publisher = Task.Run(() =>
        {
            for (int i = 0; i < N; i++) pub.Roundtrip(":1\r\n", "PUBLISH", "ch", "m" + i);
        });
        sub.Send(echoes);
        int echoCount = 0, next = 0;
        for (int i = 0; i < 2 * N; i++)
        {
            string r = sub.ReadReply();
            if (r.StartsWith('>'))
            {
                Assert.Equal(Frame('>', "message", "ch", "m" + next), r);
                next++;
            }
            else
            {
                Assert.Equal(Bulk(payload), r);
                echoCount++;
            }
        }
        await publisher.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(N, echoCount);
        Assert.Equal(N, next);
    }

    [Fact]
    public async Task StackExchangeSubscriberRoundTrip()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        ISubscriber subscriber = mux.GetSubscriber();
        var got = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await subscriber.SubscribeAsync(RedisChannel.Literal("events"), (_, v) => got.TrySetResult(v!));
        long receivers = await subscriber.PublishAsync(RedisChannel.Literal("events"), "hello");
        Assert.Equal(1, receivers);
        Assert.Equal("hello", await got.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        // The database connection still works alongside the subscription connection.
        Assert.True(await mux.GetDatabase().StringSetAsync("k", "v"));
    }

    [Fact]
    public async Task StackExchangePatternSubscriberOverResp3()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync("protocol=resp3");
        ISubscriber subscriber = mux.GetSubscriber();
        var got = new TaskCompletionSource<(string, string)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await subscriber.SubscribeAsync(RedisChannel.Pattern("ev.*"), (ch, v) => got.TrySetResult((ch!, v!)));
        Assert.Equal(1, await subscriber.PublishAsync(RedisChannel.Literal("ev.one"), "payload"));
        Assert.Equal(("ev.one", "payload"), await got.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        IDatabase db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("k", "v"));
        Assert.Equal("v", (string?)await db.StringGetAsync("k"));
    }
}

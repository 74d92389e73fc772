// Keyspace notifications for the keys the engine removes on its own: "expired" (by a lookup or the active cycle,
// hot or cold) and "evicted", on the keyspace and keyevent channels, with notify-keyspace-events parsed and written
// back as redis-server 7.0.15 does.

using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class KeyspaceNotificationTests
{
    private static string Message(string channel, string payload)
        => $"*3\r\n$7\r\nmessage\r\n${channel.Length}\r\n{channel}\r\n${payload.Length}\r\n{payload}\r\n";

    private static string Push(string channel, string payload)
        => $">3\r\n$7\r\nmessage\r\n${channel.Length}\r\n{channel}\r\n${payload.Length}\r\n{payload}\r\n";

    [Theory]
    [InlineData("KEA", "AKE")]
    [InlineData("Ex", "xE")]
    [InlineData("Kx", "xK")]
    [InlineData("gx$KE", "g$xKE")]
    [InlineData("AKEmn", "AKEm")]
    [InlineData("EA", "AE")]
    [InlineData("K", "K")]
    [InlineData("", "")]
    public async Task NotifyKeyspaceEventsReadsBackAsRedisWritesIt(string set, string get)
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "notify-keyspace-events", set);
        c.Roundtrip($"*2\r\n$22\r\nnotify-keyspace-events\r\n${get.Length}\r\n{get}\r\n", "CONFIG", "GET", "notify-keyspace-events");
    }

    [Fact]
    public async Task AnUnknownEventClassIsRefusedWithRedissText()
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        c.Roundtrip("-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n",
            "CONFIG", "SET", "notify-keyspace-events", "q");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task AKeyThatExpiresIsPublishedOnBothChannels(int protocol)
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        using RawClient sub = s.Raw();
        if (protocol == 3) Replies.Resp3(sub);
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "notify-keyspace-events", "KEx");
        sub.Command("SUBSCRIBE", "__keyevent@0__:expired");
        sub.ReadReply();
        sub.Command("PSUBSCRIBE", "__keyspace@0__:*");
        sub.ReadReply();
        c.Roundtrip(Replies.Ok, "SET", "session:42", "v", "PX", "50");
        c.Roundtrip(Replies.Ok, "SET", "kept", "v");
        // The active cycle (hz) or this lookup finds it expired; either way one event on each channel.
        Thread.Sleep(120);
        c.Roundtrip("$-1\r\n", "GET", "session:42");
        string pattern = protocol == 2
            ? "*4\r\n$8\r\npmessage\r\n$16\r\n__keyspace@0__:*\r\n$25\r\n__keyspace@0__:session:42\r\n$7\r\nexpired\r\n"
            : ">4\r\n$8\r\npmessage\r\n$16\r\n__keyspace@0__:*\r\n$25\r\n__keyspace@0__:session:42\r\n$7\r\nexpired\r\n";
        sub.Expect(pattern);
        sub.Expect(protocol == 2 ? Message("__keyevent@0__:expired", "session:42") : Push("__keyevent@0__:expired", "session:42"));
        c.Roundtrip(":1\r\n", "EXISTS", "kept");
        Assert.Contains("expired_keys:1\r\n", Replies.Info(c, "stats"));
    }

    [Fact]
    public async Task AColdKeyThatExpiresIsPublishedWithItsNameReadFromTheSsd()
    {
        await using var s = new ColdServer(1);
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        using RawClient sub = s.Server.Raw();
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "notify-keyspace-events", "Ex");
        sub.Command("SUBSCRIBE", "__keyevent@0__:expired");
        sub.ReadReply();
        c.Roundtrip(Replies.Ok, "SET", "cold:session", "v", "PX", "4000");   // long enough to be demoted first on a loaded machine
        ColdWait.WaitAllCold(info, "the expiry");
        Assert.Equal(1, ColdWait.Field(ColdWait.Tiering(info), "tier_cold_keys"));
        sub.Expect(Message("__keyevent@0__:expired", "cold:session"));   // the active cycle, within a few seconds
        c.Roundtrip(":0\r\n", "DBSIZE");
    }

    [Fact]
    public async Task EvictedKeysArePublished()
    {
        await using var s = new TestServer((_, e) =>
        {
            e.Memory.MaxMemory = 1;
            e.Memory.MaxMemoryPolicy = "allkeys-lru";
        });
        using RawClient c = s.Raw();
        using RawClient sub = s.Raw();
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "notify-keyspace-events", "Ee");
        sub.Command("SUBSCRIBE", "__keyevent@0__:evicted");
        sub.ReadReply();
        c.Roundtrip(Replies.Ok, "SET", "first", "v");   // over the 1-byte budget: the next write evicts it
        c.Roundtrip(Replies.Ok, "SET", "second", "v");
        sub.Expect(Message("__keyevent@0__:evicted", "first"));
    }
}

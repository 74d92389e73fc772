// Client-side caching (CLIENT TRACKING): invalidation pushes and messages, byte for byte as redis-server 7.0.15 sends
// them for the same commands (recorded from it), with the cached keys in DRAM and on the SSD.

using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

public sealed class ClientTrackingTests
{
    private static string Invalidate(params string[] keys)
        => ">2\r\n$10\r\ninvalidate\r\n*" + keys.Length + "\r\n" + string.Concat(keys.Select(k => $"${k.Length}\r\n{k}\r\n"));

    private const string InvalidateAll = ">2\r\n$10\r\ninvalidate\r\n_\r\n";

    private static RawClient Resp3(TestServer s)
    {
        RawClient c = s.Raw();
        Hello3(c);
        return c;
    }

    private static void NothingArrives(RawClient c) => Assert.False(c.HasDataWithin(100), "an invalidation arrived");

    [Fact]
    public async Task AKeyACachingClientReadIsInvalidatedWhenAnotherClientWritesIt()
    {
        await using var s = new TestServer();
        using RawClient a = Resp3(s);
        using RawClient b = s.Raw();
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on");
        b.Roundtrip(Ok, "SET", "k", "1");
        a.Roundtrip("$1\r\n1\r\n", "GET", "k");
        b.Roundtrip(Ok, "SET", "k", "2");
        a.Expect(Invalidate("k"));
        // Sent once: the key is forgotten until it is read again.
        b.Roundtrip(Ok, "SET", "k", "3");
        NothingArrives(a);
        a.Roundtrip("$1\r\n3\r\n", "GET", "k");
        b.Roundtrip(Int(1), "DEL", "k");
        a.Expect(Invalidate("k"));
        Assert.Contains("tracking_clients:1\r\n", Info(b, "clients"));
    }

    [Fact]
    public async Task AColdKeyIsInvalidatedAsAHotOneIs()
    {
        await using var s = new ColdServer(1);
        using RawClient a = Resp3(s.Server);
        using RawClient b = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on");
        b.Roundtrip(Int(3), "RPUSH", "cold:list", "a", "b", "c");
        ColdWait.WaitAllCold(info, "the read");
        a.Roundtrip("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "LRANGE", "cold:list", "0", "-1");
        ColdWait.WaitAllCold(info, "the write");
        b.Roundtrip(Int(4), "RPUSH", "cold:list", "d");
        a.Expect(Invalidate("cold:list"));
        // A cold key that expires is invalidated too (the engine reads its name from the SSD).
        b.Roundtrip(Ok, "SET", "cold:session", "v", "PX", "1500");
        a.Roundtrip("$1\r\nv\r\n", "GET", "cold:session");
        ColdWait.WaitAllCold(info, "the expiry");
        a.Expect(Invalidate("cold:session"));
    }

    [Fact]
    public async Task AClientsOwnWriteIsInvalidatedAfterItsReplyUnlessNoloop()
    {
        await using var s = new TestServer();
        using RawClient a = Resp3(s);
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on");
        a.Roundtrip("_\r\n", "GET", "k");
        a.Roundtrip(Ok + Invalidate("k"), "SET", "k", "3");
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on", "NOLOOP");
        a.Roundtrip("$1\r\n3\r\n", "GET", "k");
        a.Roundtrip(Ok, "SET", "k", "4");
        NothingArrives(a);
    }

    [Fact]
    public async Task FlushingSendsANullInvalidationToEveryTrackingClient()
    {
        await using var s = new TestServer();
        using RawClient a = Resp3(s);
        using RawClient b = s.Raw();
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on");
        a.Roundtrip("*2\r\n_\r\n_\r\n", "MGET", "k", "k2");
        b.Roundtrip(Ok, "FLUSHALL");
        a.Expect(InvalidateAll);
        Assert.Contains("tracking_total_keys:0\r\n", Info(b, "stats"));
    }

    [Fact]
    public async Task OptinCachesOnlyAfterCachingYesAndOptoutSkipsAfterCachingNo()
    {
        await using var s = new TestServer();
        using RawClient a = Resp3(s);
        using RawClient b = s.Raw();
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on", "OPTIN");
        a.Roundtrip("%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\noptin\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n", "CLIENT", "TRACKINGINFO");
        b.Roundtrip(Ok, "SET", "x", "1");
        a.Roundtrip("$1\r\n1\r\n", "GET", "x");
        b.Roundtrip(Ok, "SET", "x", "2");
        NothingArrives(a);
        a.Roundtrip(Ok, "CLIENT", "CACHING", "yes");
        a.Roundtrip("$1\r\n2\r\n", "GET", "x");
        b.Roundtrip(Ok, "SET", "x", "3");
        a.Expect(Invalidate("x"));
        a.Roundtrip("-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n", "CLIENT", "CACHING", "no");
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "off");
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on", "OPTOUT");
        a.Roundtrip(Ok, "CLIENT", "CACHING", "no");
        a.Roundtrip("_\r\n", "GET", "z");
        b.Roundtrip(Ok, "SET", "z", "1");
        NothingArrives(a);
        a.Roundtrip("$1\r\n1\r\n", "GET", "z");
        b.Roundtrip(Ok, "SET", "z", "2");
        a.Expect(Invalidate("z"));
    }

    [Fact]
    public async Task BroadcastSendsEveryWriteUnderAPrefixWithOneMessagePerCommand()
    {
        await using var s = new TestServer();
        using RawClient a = Resp3(s);
        using RawClient b = s.Raw();
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:");
        a.Roundtrip("%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$4\r\nobj:\r\n$5\r\nuser:\r\n", "CLIENT", "TRACKINGINFO");
        b.Roundtrip(Ok, "SET", "user:1", "a");
        a.Expect(Invalidate("user:1"));
        b.Roundtrip(Ok, "SET", "other", "a");
        b.Roundtrip(Ok, "MSET", "obj:1", "a", "obj:2", "b");
        a.Expect(Invalidate("obj:1", "obj:2"));
        Assert.Contains("tracking_total_prefixes:2\r\n", Info(b, "stats"));
    }

    [Fact]
    public async Task ARedirectSendsInvalidationsToAResp2SubscriberOfRedisInvalidate()
    {
        await using var s = new TestServer();
        using RawClient a = Resp3(s);
        using RawClient b = s.Raw();
        using RawClient r = s.Raw();
        r.Command("CLIENT", "ID");
        string id = r.ReadReply()[1..^2];
        r.Roundtrip("*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n", "SUBSCRIBE", "__redis__:invalidate");
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on", "REDIRECT", id, "NOLOOP");
        a.Roundtrip($":{id}\r\n", "CLIENT", "GETREDIR");
        a.Roundtrip("_\r\n", "GET", "k");
        b.Roundtrip(Ok, "SET", "k", "x");
        r.Expect("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n");
        a.Roundtrip("$1\r\nx\r\n", "GET", "k");
        a.Roundtrip(Ok, "SET", "k", "y");   // NOLOOP: its own write is not sent
        NothingArrives(r);
        a.Roundtrip("$1\r\ny\r\n", "GET", "k");
        b.Roundtrip(Ok, "FLUSHDB");
        r.Expect("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n_\r\n");   // Redis sends RESP3's null here too
        NothingArrives(a);
    }

    [Theory]
    [InlineData("-ERR The client ID you want redirect to does not exist\r\n", "on", "REDIRECT", "99999")]
    [InlineData("-ERR syntax error\r\n", "maybe")]
    [InlineData("-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n", "on", "OPTIN", "OPTOUT")]
    [InlineData("-ERR PREFIX option requires BCAST mode to be enabled\r\n", "on", "PREFIX", "a")]
    [InlineData("-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.\r\n", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab")]
    [InlineData("-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n", "on", "OPTIN", "BCAST")]
    [InlineData("-ERR syntax error\r\n", "on", "FOO")]
    public async Task TrackingOptionsAreCheckedWithRedissErrors(string error, params string[] args)
    {
        await using var s = new TestServer();
        using RawClient a = Resp3(s);
        a.Roundtrip(error, ["CLIENT", "TRACKING", .. args]);
        a.Roundtrip(":-1\r\n", "CLIENT", "GETREDIR");
        a.Roundtrip("%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n", "CLIENT", "TRACKINGINFO");
        a.Roundtrip("-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n", "CLIENT", "CACHING", "yes");
    }

    [Fact]
    public async Task TrackingInfoIsAFlatArrayInResp2AndTheClientListShowsTheTrackingFlag()
    {
        await using var s = new TestServer();
        using RawClient a = s.Raw();
        a.Roundtrip(Ok, "CLIENT", "TRACKING", "on");
        a.Roundtrip("*6\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n", "CLIENT", "TRACKINGINFO");
        a.Command("CLIENT", "INFO");
        string line = a.ReadReply();
        Assert.Contains(" flags=t ", line);
        Assert.Contains(" redir=0 ", line);
    }
}

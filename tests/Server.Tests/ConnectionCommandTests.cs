using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class ConnectionCommandTests : ServerTestBase
{
    [Fact]
    public void PingRepliesPongAndEchoesItsArgument()
    {
        using var c = Server.Raw();
        c.Roundtrip("+PONG\r\n", "PING");
        c.Roundtrip("$5\r\nhello\r\n", "PING", "hello");
        c.Roundtrip("-ERR wrong number of arguments for 'ping' command\r\n", "PING", "a", "b");
    }

    [Fact]
    public void InlineCommandsWorkLikeTelnet()
    {
        using var c = Server.Raw();
        c.Send("PING\r\n");
        c.Expect("+PONG\r\n");
        c.Send("ECHO \"hello world\"\n");
        c.Expect("$11\r\nhello world\r\n");
    }

    [Fact]
    public void UnknownCommandGetsRedisErrorAndConnectionStaysOpen()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n", "foo", "a", "b");
        c.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public void HelloThreeSwitchesToResp3Nulls()
    {
        using var c = Server.Raw();
        c.Command("HELLO", "3");
        string hello = c.ReadReply();
        Assert.StartsWith("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n", hello);
        Assert.Contains("$5\r\nproto\r\n:3\r\n", hello);
        c.Roundtrip("_\r\n", "GET", "missing");
    }

    [Fact]
    public void MalformedFrameGetsProtocolErrorAndIsClosed()
    {
        using var c = Server.Raw();
        c.Send("*1\r\n%3\r\nfoo\r\n");
        c.Expect("-ERR Protocol error: expected '$', got '%'\r\n");
        Assert.True(c.IsClosedByServer());
    }

    [Fact]
    public async Task StackExchangeRedisCanSetAndGet()
    {
        await using var mux = await Server.ConnectAsync();
        var db = mux.GetDatabase();
        Assert.True(await db.StringSetAsync("k", "v"));
        Assert.Equal("v", (string?)await db.StringGetAsync("k"));
    }
}

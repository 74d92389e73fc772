using System.Text;
using Tiered.Server.Network.Transport;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests.Transport;

/// <summary>
/// The same wire traffic through both client transports (our epoll loops and .NET's sockets): every other server
/// test runs on the default one, so these make sure the other still serves requests, pipelines, pushes, blocking
/// wake-ups and kills.
/// </summary>
public sealed class TransportServerTests
{
    public static TheoryData<bool> Transports() => new() { true, false };

    private static TestServer Start(bool native) => new((o, _) => o.NativeSockets = native);

    [Fact]
    public async Task TheDefaultServerRunsItsClientsOnTheEpollLoopsAndLetsGoOfThem()
    {
        await using var server = new TestServer();
        Assert.Equal(Native.Supported, server.Server.Sockets!.Native);
        if (!Native.Supported) return;
        using (var c = server.Raw())
        {
            c.Roundtrip("+PONG\r\n", "PING");
            Assert.Equal(1, server.Server.Sockets.Registered);
        }
        for (int i = 0; i < 200 && server.Server.Sockets.Registered > 0; i++) await Task.Delay(10);
        Assert.Equal(0, server.Server.Sockets.Registered);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ALongPipelineSentAtOnceGetsEveryReplyInOrder(bool native)
    {
        await using var server = Start(native);
        using var c = server.Raw();
        var sb = new StringBuilder();
        var expected = new StringBuilder();
        for (int i = 0; i < 10_000; i++)
        {
            string v = "v" + i;
            sb.Append($"*3\r\n$3\r\nSET\r\n${("k" + i).Length}\r\nk{i}\r\n${v.Length}\r\n{v}\r\n");
            sb.Append($"*2\r\n$3\r\nGET\r\n${("k" + i).Length}\r\nk{i}\r\n");
            expected.Append($"+OK\r\n${v.Length}\r\n{v}\r\n");
        }
        c.Send(sb.ToString());
        c.Expect(expected.ToString());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task PublishReachesASubscriberAndABlockedPopIsWoken(bool native)
    {
        await using var server = Start(native);
        using var sub = server.Raw();
        using var other = server.Raw();
        sub.Command("SUBSCRIBE", "ch");
        sub.Expect("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
        other.Roundtrip(":1\r\n", "PUBLISH", "ch", "hi");
        sub.Expect("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");

        using var blocked = server.Raw();
        blocked.Command("BLPOP", "q", "10");
        await server.WaitBlocked(1);
        other.Roundtrip(":1\r\n", "RPUSH", "q", "job");
        blocked.Expect("*2\r\n$1\r\nq\r\n$3\r\njob\r\n");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ClientKillClosesTheKilledConnection(bool native)
    {
        await using var server = Start(native);
        using var victim = server.Raw();
        victim.Command("CLIENT", "ID");
        string id = victim.ReadReply().Trim().TrimStart(':');
        using var admin = server.Raw();
        admin.Roundtrip(":1\r\n", "CLIENT", "KILL", "ID", id);
        Assert.Empty(victim.ReadBytes(1));   // the end of the stream, not a reply
    }
}

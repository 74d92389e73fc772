using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

/// <summary>Many simultaneous connections: held idle, then all served; concurrent clients never see each other's data.</summary>
public sealed class ManyClientsTests : ServerTestBase
{
    [Fact]
    public async Task ThousandIdleConnectionsAllAnswerPing()
    {
        const int count = 1000;
        var sockets = new List<Socket>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 10_000 };
                sockets.Add(s);
                s.Connect(IPAddress.Loopback, Server.Port);
            }
            // All are accepted and registered while idle.
            for (int i = 0; i < 200 && Server.Server.Clients.Count < count; i++) await Task.Delay(50);
            Assert.Equal(count, Server.Server.Clients.Count);
            await Task.Delay(200);   // idle a little longer, then wake every one

            for (int i = 0; i < count; i++) sockets[i].Send(Resp.Command("ECHO", "c" + i));
            var buf = new byte[64];
            for (int i = 0; i < count; i++)
            {
                string expected = $"${("c" + i).Length}\r\nc{i}\r\n";
                int got = 0;
                while (got < expected.Length)
                {
                    int n = sockets[i].Receive(buf, got, expected.Length - got, SocketFlags.None);
                    Assert.True(n > 0, $"connection {i} was closed");
                    got += n;
                }
                Assert.Equal(expected, Encoding.ASCII.GetString(buf, 0, got));
            }
        }
        finally
        {
            foreach (Socket s in sockets) s.Dispose();
        }
        for (int i = 0; i < 200 && Server.Server.Clients.Count > 0; i++) await Task.Delay(50);
        Assert.Equal(0, Server.Server.Clients.Count);
    }

    [Fact]
    public async Task ConcurrentRawClientsReadBackExactlyTheirOwnValues()
    {
        const int clients = 50, rounds = 100;
        // Asynchronous sockets: the server runs in this process, and 50 blocked thread-pool threads would starve it.
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async t =>
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Server.Port), timeout.Token);
            var buf = new byte[1024];
            for (int r = 0; r < rounds; r++)
            {
                string key = $"raw:{t}:{r % 10}";
                string value = $"value-{t}-{r}-" + new string((char)('a' + t % 26), r * 7 % 300);
                // SET and GET pipelined in one write.
                await s.SendAsync(Resp.Command("SET", key, value).Concat(Resp.Command("GET", key)).ToArray(), SocketFlags.None, timeout.Token);
                string expected = $"+OK\r\n${value.Length}\r\n{value}\r\n";
                int got = 0;
                while (got < expected.Length)
                {
                    int n = await s.ReceiveAsync(buf.AsMemory(got, expected.Length - got), SocketFlags.None, timeout.Token);
                    Assert.True(n > 0, $"client {t} was closed");
                    got += n;
                }
                Assert.Equal(expected, Encoding.ASCII.GetString(buf, 0, got));
            }
        }));
    }

    [Fact]
    public async Task ConcurrentStackExchangeRedisTasksReadBackExactlyTheirOwnValues()
    {
        const int tasks = 50, rounds = 100;
        await using var mux = await Server.ConnectAsync();
        await using var mux2 = await Server.ConnectAsync();
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            IDatabase db = (t % 2 == 0 ? mux : mux2).GetDatabase();
            for (int r = 0; r < rounds; r++)
            {
                string key = $"se:{t}:{r % 10}";
                string value = $"value-{t}-{r}";
                Assert.True(await db.StringSetAsync(key, value));
                Assert.Equal(value, (string?)await db.StringGetAsync(key));
            }
        })));
    }

    [Fact]
    public async Task ClientBeyondMaxClientsIsRefusedWithAnErrorAndOthersKeepWorking()
    {
        await using var server = new TestServer((o, _) => o.MaxClients = 2);
        using var a = server.Raw();
        using var b = server.Raw();
        a.Roundtrip("+PONG\r\n", "PING");
        b.Roundtrip("+PONG\r\n", "PING");
        using (var c = server.Raw())
        {
            c.Expect("-ERR max number of clients reached\r\n");
            Assert.True(c.IsClosedByServer());
        }
        a.Roundtrip("+PONG\r\n", "PING");
    }
}

using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class ExpiryTests : ServerTestBase
{
    [Fact]
    public async Task ActiveExpiryRemovesKeysNobodyReads()
    {
        using var c = Server.Raw();
        const int n = 500;
        for (int i = 0; i < n; i++)
        {
            c.Command("SET", $"tmp:{i}", "v");
            c.Command("PEXPIRE", $"tmp:{i}", "100");
        }
        for (int i = 0; i < n; i++) c.Expect("+OK\r\n:1\r\n");
        c.Roundtrip("+OK\r\n", "SET", "keep", "v");
        c.Roundtrip($":{n + 1}\r\n", "DBSIZE");

        // Only DBSIZE is sent: nothing looks the keys up, so only the background cycle can remove them.
        string size = "";
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            c.Command("DBSIZE");
            size = c.ReadReply();
            if (size == ":1\r\n") break;
        }
        Assert.Equal(":1\r\n", size);
        c.Roundtrip("$1\r\nv\r\n", "GET", "keep");
    }

    [Fact]
    public async Task ExpiredKeyIsGoneWhenRead()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "v");
        c.Roundtrip(":1\r\n", "PEXPIRE", "a", "50");
        await Task.Delay(150);
        c.Roundtrip("$-1\r\n", "GET", "a");
        c.Roundtrip(":-2\r\n", "PTTL", "a");
        c.Roundtrip(":0\r\n", "EXISTS", "a");
    }

    [Fact]
    public async Task StackExchangeRedisKeyExpireAndTimeToLive()
    {
        await using var mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        await db.StringSetAsync("k", "v");
        Assert.Null(await db.KeyTimeToLiveAsync("k"));
        Assert.Null(await db.KeyTimeToLiveAsync("missing"));
        Assert.True(await db.KeyExpireAsync("k", TimeSpan.FromSeconds(100)));
        TimeSpan? ttl = await db.KeyTimeToLiveAsync("k");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value.TotalSeconds, 98, 100);
        Assert.False(await db.KeyExpireAsync("k", TimeSpan.FromSeconds(50), ExpireWhen.GreaterThanCurrentExpiry));
        Assert.True(await db.KeyExpireAsync("k", TimeSpan.FromSeconds(50), ExpireWhen.LessThanCurrentExpiry));
        DateTime? at = await db.KeyExpireTimeAsync("k");
        Assert.NotNull(at);
        Assert.InRange((at.Value - DateTime.UtcNow).TotalSeconds, 45, 51);
        Assert.True(await db.KeyPersistAsync("k"));
        Assert.Null(await db.KeyTimeToLiveAsync("k"));
        Assert.True(await db.KeyExpireAsync("k", DateTime.UtcNow.AddMinutes(-1)));
        Assert.False(await db.KeyExistsAsync("k"));
    }
}

using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Engine;

namespace Tiered.Server.Tests;

/// <summary>Restarts of an in-process server on the same directory: what was written comes back, hot and cold.</summary>
public sealed class DurabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tiered-durability-").FullName;

    private TestServer Start(string fsync = "everysec") => new((_, e) =>
    {
        e.SsdPath = _dir;
        e.Durability.Dir = _dir;
        e.Durability.AppendFsync = fsync;
        e.Memory.MaxMemory = 512 << 10;
        e.Memory.MaxMemoryPolicy = "allkeys-lfu";
    });

    private static Dictionary<string, string> Info(IServer server, string section)
    {
        var d = new Dictionary<string, string>();
        foreach (IGrouping<string, KeyValuePair<string, string>> g in server.Info(section))
            foreach (KeyValuePair<string, string> kv in g) d[kv.Key] = kv.Value;
        return d;
    }

    [Fact]
    public async Task ACleanShutdownRestartLoadsHotAndColdDataWithConsistentTierMetrics()
    {
        const int n = 3000;
        await using (TestServer s = Start())
        {
            await s.Server.Ready;
            using ConnectionMultiplexer m = await s.ConnectAsync();
            IDatabase db = m.GetDatabase();
            var writes = new List<Task>();
            for (int i = 0; i < n; i++) writes.Add(db.StringSetAsync("key:" + i, new string((char)('a' + i % 26), 600) + i));
            writes.Add(db.HashSetAsync("h", [new HashEntry("f1", "v1"), new HashEntry("f2", "v2")]));
            writes.Add(db.KeyExpireAsync("key:1", TimeSpan.FromHours(1)));
            await Task.WhenAll(writes);
            await db.KeyDeleteAsync("key:2");
        }
        await using (TestServer s = Start())
        {
            await s.Server.Ready;
            using ConnectionMultiplexer m = await s.ConnectAsync();
            IDatabase db = m.GetDatabase();
            IServer server = m.GetServer(s.EndPoint);
            Dictionary<string, string> tier = Info(server, "tiering");
            long hot = long.Parse(tier["tier_hot_keys"]), cold = long.Parse(tier["tier_cold_keys"]);
            Assert.Equal(n, hot + cold);   // n strings - key:2 + h
            Assert.Equal(n, await server.DatabaseSizeAsync());
            Assert.True(hot > 0 && cold > 0, $"hot {hot}, cold {cold}: both tiers should be loaded");
            Assert.True(long.Parse(tier["tier_cold_stored_bytes"]) > 0);
            Assert.Equal("1", Info(server, "persistence")["aof_enabled"]);
            Assert.True(long.Parse(Info(server, "persistence")["recovery_records"]) >= n);
            for (int i = 0; i < n; i++)
                if (i != 2) Assert.Equal(new string((char)('a' + i % 26), 600) + i, (string?)await db.StringGetAsync("key:" + i));
            Assert.False(await db.KeyExistsAsync("key:2"));
            Assert.InRange((await db.KeyTimeToLiveAsync("key:1"))!.Value.TotalMinutes, 50, 60);
            Assert.Equal("v2", (string?)await db.HashGetAsync("h", "f2"));
        }
    }

    [Fact]
    public async Task ClientsGetLoadingWhileTheLogIsReplayed()
    {
        await using (TestServer s = Start())
        {
            await s.Server.Ready;
            using ConnectionMultiplexer m = await s.ConnectAsync();
            for (int i = 0; i < 2000; i++) _ = m.GetDatabase().StringSetAsync("k" + i, "v");
            await m.GetDatabase().PingAsync();
        }
        await using TestServer again = Start();
        using RawClient c = again.Raw();
        c.Command("GET", "k1");
        string reply = c.ReadReply();
        await again.Server.Ready;
        // Either the replay was still running (Redis's LOADING error) or it was already done (the value).
        Assert.True(reply == "-LOADING Tiered is loading the dataset in memory\r\n" || reply == "$1\r\nv\r\n", reply);
        c.Roundtrip("$1\r\nv\r\n", "GET", "k1");
    }

    [Fact]
    public async Task SaveRepliesOnceEverythingWrittenIsDurable()
    {
        await using TestServer s = Start(fsync: "no");
        await s.Server.Ready;
        using RawClient c = s.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip("+OK\r\n", "SAVE");
        Tiered.Tiering.Durability.Journal j = s.Server.Store.Journal!;
        Assert.True(j.CommittedUntil >= j.AppendedUntil, $"committed {j.CommittedUntil} < appended {j.AppendedUntil}");
        c.Roundtrip("+Background saving started\r\n", "BGSAVE");
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

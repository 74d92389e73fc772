using StackExchange.Redis;
using System.Text;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Metrics;

namespace Tiered.Server.Tests;

/// <summary>
/// Commands over cold keys through the real server (ssd-path on a temp dir, a tiny maxmemory): clients see exactly
/// the replies a hot key gives, pipelines and transactions keep their order, and INFO/CONFIG/DBSIZE count both tiers.
/// </summary>
public sealed class TieringCommandTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tiered-srv-test-" + Guid.NewGuid().ToString("N"));
    private TestServer _cold = null!;

    /// <summary>maxmemory 1: the demoter moves every key to the SSD log, and a cold read stays cold (no room).</summary>
    public Task InitializeAsync()
    {
        _cold = new TestServer((_, e) =>
        {
            e.SsdPath = _dir;
            e.Memory.MaxMemory = 1;
            e.Memory.MaxMemoryPolicy = "allkeys-lfu";
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _cold.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private Store Store => _cold.Server.Store;

    /// <summary>Waits until the background demoter has made every key cold.</summary>
    private void WaitAllCold()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            long hot, total;
            lock (Store.Lock) (hot, total) = (Store.HotKeys(), Store.TotalKeys());
            if (hot == 0) { Assert.True(total > 0); return; }
            Assert.True(DateTime.UtcNow < deadline, $"{hot} keys still hot");
            Thread.Sleep(5);
        }
    }

    private static readonly string[][] Setup =
    [
        ["SET", "s", "hello"], ["RPUSH", "l", "a", "b", "c"], ["HSET", "h", "f", "v", "g", "w"], ["SET", "n", "10"],
        ["SADD", "set", "x"], ["ZADD", "z", "1", "m"], ["PEXPIREAT", "s", "4102444800000"],
    ];

    private static readonly string[][] Queries =
    [
        ["OBJECT", "FREQ", "n"], ["GET", "s"], ["TYPE", "s"], ["TYPE", "l"], ["TYPE", "h"], ["TYPE", "set"], ["TYPE", "z"],
        ["PEXPIRETIME", "s"], ["TTL", "n"], ["TTL", "missing"], ["EXISTS", "s", "l", "missing", "h"], ["LRANGE", "l", "0", "-1"],
        ["HGET", "h", "g"], ["GET", "l"], ["HGET", "s", "f"], ["LPUSH", "h", "x"], ["INCR", "n"], ["GET", "n"],
        ["OBJECT", "ENCODING", "l"], ["STRLEN", "s"], ["RENAME", "s", "s2"], ["GET", "s"], ["GET", "s2"],
        ["PEXPIRETIME", "s2"], ["RENAME", "missing", "x"], ["DEL", "l", "h", "missing"], ["EXISTS", "l"], ["DBSIZE"],
        ["SET", "n", "new"], ["GET", "n"], ["ZSCORE", "z", "m"], ["SISMEMBER", "set", "x"],
    ];

    [Fact]
    public async Task ColdKeysGiveTheSameReplyBytesAsHotKeys()
    {
        await using var hot = new TestServer((_, e) => e.Memory.MaxMemoryPolicy = "allkeys-lfu");
        using var h = hot.Raw();
        using var c = _cold.Raw();
        foreach (string[] cmd in Setup)
        {
            h.Command(cmd);
            c.Command(cmd);
            Assert.Equal(h.ReadReply(), c.ReadReply());
        }
        foreach (string[] cmd in Queries)
        {
            WaitAllCold();
            h.Command(cmd);
            c.Command(cmd);
            string expected = h.ReadReply();
            Assert.Equal(expected, c.ReadReply());
        }
        lock (Store.Lock) Assert.True(Store.TierStats.ColdHits > 10, "the queries should have read cold keys");
        // Spot checks that the hot server's replies are Redis's.
        c.Roundtrip("+string\r\n", "TYPE", "s2");
        c.Roundtrip("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "LLEN", "s2");
    }

    [Fact]
    public void PipelinedGetsOfColdKeysReturnInOrder()
    {
        using var c = _cold.Raw();
        const int n = 60;
        for (int i = 0; i < n; i++) c.Roundtrip("+OK\r\n", "SET", "p" + i, "value-" + i + new string('x', i * 10));
        WaitAllCold();
        var sb = new StringBuilder();
        var expected = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            string key = i % 7 == 3 ? "absent" + i : "p" + (n - 1 - i);
            sb.Append("*2\r\n$3\r\nGET\r\n$").Append(key.Length).Append("\r\n").Append(key).Append("\r\n");
            if (key.StartsWith("absent")) expected.Append("$-1\r\n");
            else
            {
                string v = "value-" + (n - 1 - i) + new string('x', (n - 1 - i) * 10);
                expected.Append('$').Append(v.Length).Append("\r\n").Append(v).Append("\r\n");
            }
        }
        c.Send(sb.ToString());
        c.Expect(expected.ToString());
        lock (Store.Lock) Assert.True(Store.TierStats.ColdHits >= n - n / 7 - 1);
    }

    [Fact]
    public void MultiExecOverColdKeys()
    {
        using var c = _cold.Raw();
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        c.Roundtrip(":2\r\n", "RPUSH", "q", "x", "y");
        c.Roundtrip(":1\r\n", "HSET", "hh", "f", "v");
        WaitAllCold();
        c.Roundtrip("+OK\r\n", "MULTI");
        c.Roundtrip("+QUEUED\r\n", "GET", "a");
        c.Roundtrip("+QUEUED\r\n", "INCR", "a");
        c.Roundtrip("+QUEUED\r\n", "LPOP", "q");
        c.Roundtrip("+QUEUED\r\n", "HGET", "hh", "f");
        c.Roundtrip("+QUEUED\r\n", "GET", "q");
        c.Roundtrip("+QUEUED\r\n", "GET", "nothing");
        c.Roundtrip("*6\r\n$1\r\n1\r\n:2\r\n$1\r\nx\r\n$1\r\nv\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n$-1\r\n", "EXEC");
        WaitAllCold();
        c.Roundtrip("$1\r\n2\r\n", "GET", "a");
        c.Roundtrip("*1\r\n$1\r\ny\r\n", "LRANGE", "q", "0", "-1");
    }

    [Fact]
    public void WatchOnAColdKeyIsAbortedByAWrite()
    {
        using var c = _cold.Raw();
        using var other = _cold.Raw();
        c.Roundtrip("+OK\r\n", "SET", "w", "1");
        c.Roundtrip("+OK\r\n", "SET", "quiet", "1");
        WaitAllCold();
        c.Roundtrip("+OK\r\n", "WATCH", "w");
        other.Roundtrip("+OK\r\n", "SET", "w", "2");
        c.Roundtrip("+OK\r\n", "MULTI");
        c.Roundtrip("+QUEUED\r\n", "SET", "w", "3");
        c.Roundtrip("*-1\r\n", "EXEC");
        c.Roundtrip("$1\r\n2\r\n", "GET", "w");

        // Watching a cold key nobody writes does not abort (reading it from the log is not a change).
        WaitAllCold();
        c.Roundtrip("+OK\r\n", "WATCH", "quiet");
        other.Roundtrip("$1\r\n1\r\n", "GET", "quiet");
        WaitAllCold();
        c.Roundtrip("+OK\r\n", "MULTI");
        c.Roundtrip("+QUEUED\r\n", "INCR", "quiet");
        c.Roundtrip("*1\r\n:2\r\n", "EXEC");
    }

    private static Dictionary<string, string> Info(RawClient c, string section)
    {
        c.Command("INFO", section);
        string reply = c.ReadReply();
        var fields = new Dictionary<string, string>();
        foreach (string line in reply.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && !line.StartsWith('#') && !line.StartsWith('$')) fields[line[..colon]] = line[(colon + 1)..];
        }
        return fields;
    }

    private static readonly string[] IssueFields =
    [
        "tiering_enabled", "tier_hot_keys", "tier_cold_keys", "tier_hot_bytes", "tier_cold_logical_bytes",
        "tier_cold_stored_bytes", "tier_compression_ratio", "tier_hot_hits", "tier_cold_hits", "tier_misses",
        "tier_hot_hit_ratio", "tier_promotions", "tier_demotions", "tier_ssd_read_items", "tier_ssd_read_bytes",
        "tier_ssd_write_items", "tier_ssd_write_bytes", "tier_ssd_log_bytes", "tier_compactions",
    ];

    [Fact]
    public void InfoTieringHasEveryFieldAndDbsizeIsHotPlusCold()
    {
        using var c = _cold.Raw();
        for (int i = 0; i < 50; i++) c.Roundtrip("+OK\r\n", "SET", "k" + i, new string((char)('a' + i % 26), 500));
        WaitAllCold();
        c.Roundtrip("+OK\r\n", "SET", "fresh", "hot for a moment");
        for (int i = 0; i < 10; i++) c.Roundtrip("$500\r\n" + new string((char)('a' + i % 26), 500) + "\r\n", "GET", "k" + i);
        c.Roundtrip("$-1\r\n", "GET", "nope");
        Dictionary<string, string> info = Info(c, "tiering");
        foreach (string f in IssueFields) Assert.True(info.ContainsKey(f), $"INFO tiering lacks {f}");
        Assert.Equal("1", info["tiering_enabled"]);
        c.Command("DBSIZE");
        long dbsize = long.Parse(c.ReadReply()[1..].Trim());
        Assert.Equal(51, dbsize);
        // The server is idle between the two replies but the demoter may run: read both under one INFO.
        Dictionary<string, string> all = Info(c, "tiering");
        Assert.Equal(dbsize, long.Parse(all["tier_hot_keys"]) + long.Parse(all["tier_cold_keys"]));
        Assert.True(long.Parse(all["tier_cold_keys"]) > 0);
        Assert.True(long.Parse(all["tier_cold_hits"]) >= 10);
        Assert.True(long.Parse(all["tier_misses"]) >= 1);
        Assert.True(long.Parse(all["tier_ssd_write_items"]) >= 50);
        Assert.True(long.Parse(all["tier_cold_logical_bytes"]) > long.Parse(all["tier_cold_stored_bytes"]), "500 equal bytes compress");
        Dictionary<string, string> keyspace = Info(c, "keyspace");
        Assert.StartsWith("keys=51,", keyspace["db0"]);
    }

    [Fact]
    public void APipelineOfColdGetsIsReadThroughAioInFewerSubmissionsThanReads()
    {
        using var c = _cold.Raw();
        for (int i = 0; i < 40; i++) c.Roundtrip("+OK\r\n", "SET", "k" + i, new string((char)('a' + i % 26), 700));
        WaitAllCold();
        Dictionary<string, string> before = Info(c, "tiering");
        var pipeline = new System.Text.StringBuilder();
        for (int i = 0; i < 40; i++) pipeline.Append($"*2\r\n$3\r\nGET\r\n${("k" + i).Length}\r\nk{i}\r\n");
        c.Send(pipeline.ToString());   // one write: the server finds the forty keys cold in one round
        for (int i = 0; i < 40; i++) c.Expect("$700\r\n" + new string((char)('a' + i % 26), 700) + "\r\n");
        Dictionary<string, string> after = Info(c, "tiering");
        long reads = long.Parse(after["tier_ssd_aio_reads"]) - long.Parse(before["tier_ssd_aio_reads"]);
        long submits = long.Parse(after["tier_ssd_aio_submits"]) - long.Parse(before["tier_ssd_aio_submits"]);
        Assert.True(reads >= 40, $"{reads} AIO reads for 40 cold GETs");
        Assert.True(submits < reads, $"{submits} io_submit calls carried {reads} reads: no batching");
    }

    [Fact]
    public void ColdKeysReadAheadForAPipelineGiveWayToWritesEarlierInThatPipeline()
    {
        using var c = _cold.Raw();
        foreach (string k in new[] { "a", "b", "c", "d" }) c.Roundtrip("+OK\r\n", "SET", k, "old-" + k);
        WaitAllCold();
        // GET a waits for its read; b, c and d are read ahead, then the SET, DEL and RENAME before their GETs change them.
        c.Send("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$3\r\nnew\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n"
            + "*2\r\n$3\r\nDEL\r\n$1\r\nc\r\n*2\r\n$3\r\nGET\r\n$1\r\nc\r\n"
            + "*3\r\n$6\r\nRENAME\r\n$1\r\na\r\n$1\r\nd\r\n*2\r\n$3\r\nGET\r\n$1\r\nd\r\n");
        c.Expect("$5\r\nold-a\r\n+OK\r\n$3\r\nnew\r\n:1\r\n$-1\r\n+OK\r\n$5\r\nold-a\r\n");
        c.Roundtrip("$-1\r\n", "GET", "a");
    }

    [Fact]
    public void ConfigResetStatZeroesTierCounters()
    {
        using var c = _cold.Raw();
        for (int i = 0; i < 20; i++) c.Roundtrip("+OK\r\n", "SET", "k" + i, "v" + i);
        WaitAllCold();
        for (int i = 0; i < 20; i++) c.Roundtrip($"${("v" + i).Length}\r\nv{i}\r\n", "GET", "k" + i);
        Dictionary<string, string> before = Info(c, "tiering");
        Assert.NotEqual("0", before["tier_cold_hits"]);
        Assert.NotEqual("0", before["tier_demotions"]);
        Assert.NotEqual("0", before["tier_ssd_read_items"]);
        c.Roundtrip("+OK\r\n", "CONFIG", "RESETSTAT");
        Dictionary<string, string> after = Info(c, "tiering");
        foreach (string f in new[] { "tier_hot_hits", "tier_cold_hits", "tier_misses", "tier_promotions", "tier_ssd_read_items",
                     "tier_ssd_read_bytes", "tier_ssd_write_items", "tier_ssd_write_bytes", "tier_compactions" })
            Assert.True(after[f] == "0", $"{f} is {after[f]} after CONFIG RESETSTAT");
        // Gauges follow the data: still 20 keys, still cold bytes.
        Assert.Equal(20, long.Parse(after["tier_hot_keys"]) + long.Parse(after["tier_cold_keys"]));
        Assert.NotEqual("0", after["tier_cold_stored_bytes"]);
    }

    [Fact]
    public async Task TwentyThousandKeysOf1KbAgainst1MbReadBackExactlyWithConcurrentClients()
    {
        await using var server = new TestServer((_, e) =>
        {
            e.SsdPath = Path.Combine(_dir, "big");   // removed with _dir after the test
            e.Memory.MaxMemory = 1 << 20;
            e.Memory.MaxMemoryPolicy = "allkeys-lfu";
        });
        {
            const int n = 20_000, clients = 4;
            static byte[] Value(int i)
            {
                var v = new byte[1024];
                new Random(i).NextBytes(v.AsSpan(0, 512));
                for (int k = 512; k < 1024; k++) v[k] = (byte)('a' + (k + i) % 7);
                return v;
            }
            var muxes = new ConnectionMultiplexer[clients];
            for (int m = 0; m < clients; m++) muxes[m] = await server.ConnectAsync();
            try
            {
                await Task.WhenAll(Enumerable.Range(0, clients).Select(async m =>
                {
                    IDatabase db = muxes[m].GetDatabase();
                    for (int start = m; start < n; start += clients * 100)
                    {
                        var batch = new List<Task>();
                        for (int i = start; i < Math.Min(n, start + clients * 100); i += clients)
                            batch.Add(db.StringSetAsync("key:" + i, Value(i)));
                        await Task.WhenAll(batch);
                    }
                }));
                IServer admin = muxes[0].GetServer(server.EndPoint);
                Assert.Equal(n, await admin.DatabaseSizeAsync());
                // Read back in a different split, every client over the whole key range, concurrently.
                await Task.WhenAll(Enumerable.Range(0, clients).Select(async m =>
                {
                    IDatabase db = muxes[m].GetDatabase();
                    for (int start = 0; start < n; start += 256)
                    {
                        var keys = new List<(int, Task<RedisValue>)>();
                        for (int i = start + m; i < Math.Min(n, start + 256); i += clients)
                            keys.Add((i, db.StringGetAsync("key:" + i)));
                        foreach ((int i, Task<RedisValue> t) in keys)
                        {
                            byte[]? got = await t;
                            Assert.True(got is not null, $"key:{i} is missing");
                            Assert.True(Value(i).AsSpan().SequenceEqual(got), $"key:{i} read back wrong");
                        }
                    }
                }));
                string info = (await admin.InfoRawAsync("tiering"))!;
                long cold = long.Parse(info.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).First(l => l.StartsWith("tier_cold_keys:"))["tier_cold_keys:".Length..]);
                Assert.True(cold > n / 2, $"only {cold} cold keys: the SSD tier was barely used");
                lock (server.Server.Store.Lock)
                    Assert.True(server.Server.Store.UsedMemory <= (1 << 20) * 110 / 100, $"hot bytes {server.Server.Store.UsedMemory} over budget");
            }
            finally
            {
                foreach (ConnectionMultiplexer mux in muxes) await mux.DisposeAsync();
            }
        }
    }
}

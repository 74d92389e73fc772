// Tiered as a replica of a real redis-server 7.0 primary (REPLICAOF): the full sync of every type, hot and with the
// replica's keys on its SSD, then the primary's command stream; -READONLY for clients' writes; ROLE and INFO
// replication as a Redis replica reports them; REPLICAOF NO ONE keeps the data and takes writes. Equality is checked
// with DEBUG DIGEST, which Tiered computes with Redis's algorithm (same 40 hex digits for the same dataset).

using System.Diagnostics;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class ReplicationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tiered-repl-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Data of every type, with TTLs, in two databases, and a function library.</summary>
    private static readonly string[][] Dataset =
    [
        ["SET", "s:int", "12345"], ["SET", "s:embstr", "hello"], ["SET", "s:raw", new string('r', 200)], ["SET", "s:big", new string('b', 70_000)],
        ["SET", "s:ttl", "v", "PX", "600000"],
        ["RPUSH", "l:small", "a", "b", "c"], ["RPUSH", "l:big", .. Enumerable.Range(0, 300).Select(i => "element-" + i)],
        ["SADD", "set:int", "1", "2", "3"], ["SADD", "set:str", "x", "y"], ["SADD", "set:big", .. Enumerable.Range(0, 200).Select(i => "m" + i)],
        ["ZADD", "z:small", "1", "a", "2.5", "b"], ["ZADD", "z:big", .. Enumerable.Range(0, 200).SelectMany(i => new[] { i.ToString(), "m" + i })],
        ["HSET", "h:small", "f1", "v1", "f2", "v2"], ["HSET", "h:big", .. Enumerable.Range(0, 200).SelectMany(i => new[] { "f" + i, "v" + i })],
        ["XADD", "x", "1-1", "f", "v"], ["XADD", "x", "2-1", "g", "w"], ["XGROUP", "CREATE", "x", "grp", "0"],
        ["XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "x", ">"],
        ["PFADD", "hll", "a", "b", "c"], ["SETBIT", "bits", "100", "1"], ["EXPIRE", "h:small", "600"],
        ["SELECT", "3"], ["SET", "db3:key", "in three"], ["SELECT", "0"],
        ["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('echo1', function(keys, args) return args[1] end)"],
    ];

    /// <summary>Writes of every kind, sent to the primary after the sync.</summary>
    private static readonly string[][] Stream =
    [
        ["SET", "s:int", "999"], ["INCR", "s:int"], ["APPEND", "s:embstr", " world"], ["DEL", "s:raw"],
        ["LPUSH", "l:small", "z"], ["RPOP", "l:big"], ["LSET", "l:small", "0", "zz"],
        ["SADD", "set:int", "4"], ["SREM", "set:str", "x"], ["SPOP", "set:big"],
        ["ZINCRBY", "z:small", "10", "a"], ["ZREM", "z:big", "m5"], ["HSET", "h:small", "f3", "v3"], ["HDEL", "h:big", "f7"],
        ["XADD", "x", "*", "new", "entry"], ["XACK", "x", "grp", "1-1"], ["XTRIM", "x", "MAXLEN", "2"],
        ["MULTI"], ["SET", "tx:a", "1"], ["INCRBY", "tx:a", "41"], ["EXEC"],
        ["EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incr', KEYS[2])", "2", "lua:a", "lua:n", "from-lua"],
        ["SET", "s:expiring", "v", "EX", "1000"], ["PERSIST", "s:ttl"], ["RENAME", "hll", "hll2"],
        ["SELECT", "3"], ["SET", "db3:other", "x"], ["SELECT", "0"], ["FLUSHDB"], ["SET", "after-flush", "1"],
    ];

    private static void Build(RawClient primary)
    {
        foreach (string[] command in Dataset) Assert.DoesNotMatch("^-", Run(primary, command));
    }

    private static string Run(RawClient c, string[] command)
    {
        c.Command(command);
        return c.ReadReply();
    }

    private static Dictionary<string, string> Replication(RawClient c) => Replies.Fields(Replies.Info(c, "replication"));

    /// <summary>Waits (30 s at most) until the replica's link is up and its offset reached the primary's.</summary>
    private static void WaitInSync(RawClient primary, RawClient replica)
    {
        var sw = Stopwatch.StartNew();
        Dictionary<string, string> mine = [];
        string target = "";
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            target = Replication(primary)["master_repl_offset"];
            mine = Replication(replica);
            if (mine.GetValueOrDefault("master_link_status") == "up" && mine["slave_repl_offset"] == target) return;
            Thread.Sleep(50);
        }
        Assert.Fail($"not in sync after 30 s: primary offset {target}, replica {string.Join(' ', mine.Select(kv => kv.Key + ":" + kv.Value))}");
    }

    /// <summary>DEBUG DIGEST of the selected database's server: 40 hex digits, never those of an empty dataset.</summary>
    private static string Digest(RawClient c)
    {
        string d = Run(c, ["DEBUG", "DIGEST"]);
        Assert.Matches("^\\+[0-9a-f]{40}\r\n$", d);
        Assert.NotEqual("+" + new string('0', 40) + "\r\n", d);
        return d;
    }

    private static TestServer Replica(string? ssd = null) => new((o, e) =>
    {
        o.EnableDebugCommand = "yes";
        if (ssd != null)
        {
            e.SsdPath = ssd;
            e.Memory.MaxMemory = 1;   // every key is pushed to the SSD
        }
    });

    [Theory]
    [InlineData("yes")]   // diskless: the RDB between $EOF:<mark> and the mark
    [InlineData("no")]    // disk-based: $<length>
    public async Task AReplicaOfRedisLoadsEveryTypeThenFollowsTheCommandStream(string diskless)
    {
        using var redis = new RedisServerProcess("--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0");
        using RawClient primary = redis.Raw();
        Build(primary);
        await using TestServer tiered = Replica();
        using RawClient replica = tiered.Raw();
        replica.Roundtrip("+OK\r\n", "REPLICAOF", "127.0.0.1", redis.Port.ToString());
        WaitInSync(primary, replica);
        Assert.Equal(Digest(primary), Digest(replica));
        Assert.Equal("$7\r\nenabled\r\n", Run(replica, ["FCALL", "echo1", "0", "enabled"]));
        Assert.Equal(Run(primary, ["PTTL", "s:ttl"])[..4], Run(replica, ["PTTL", "s:ttl"])[..4]);

        foreach (string[] command in Stream) Assert.DoesNotMatch("^-", Run(primary, command));
        WaitInSync(primary, replica);
        Assert.Equal(Digest(primary), Digest(replica));
        Assert.Equal(Run(primary, ["DBSIZE"]), Run(replica, ["DBSIZE"]));
        replica.Roundtrip("+OK\r\n", "SELECT", "3");
        primary.Roundtrip("+OK\r\n", "SELECT", "3");
        Assert.Equal(Digest(primary), Digest(replica));
    }

    /// <summary>A Tiered primary: the write log on (it is the stream), optionally every key on its SSD.</summary>
    private static TestServer Primary(string dir, bool cold) => new((o, e) =>
    {
        o.EnableDebugCommand = "yes";
        e.Durability.Dir = dir;
        if (!cold) return;
        e.SsdPath = dir;
        e.Memory.MaxMemory = 1;
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARedisReplicaOfTieredLoadsItsSnapshotThenFollowsItsWrites(bool cold)
    {
        await using TestServer tiered = Primary(_dir, cold);
        await tiered.Server.Ready;
        using RawClient primary = tiered.Raw();
        Build(primary);
        if (cold) ColdWait.WaitAllCold(primary, "the sync");
        using var redis = new RedisServerProcess("--replicaof", "127.0.0.1", tiered.Port.ToString());
        using RawClient replica = redis.Raw();
        WaitInSync(primary, replica);
        Assert.Equal(Digest(primary), Digest(replica));
        Assert.Contains("$5\r\necho1\r\n", Run(replica, ["FUNCTION", "LIST"]));   // the library came with the snapshot

        foreach (string[] command in Stream) Assert.DoesNotMatch("^-", Run(primary, command));
        WaitInSync(primary, replica);
        Assert.Equal(Digest(primary), Digest(replica));
        Dictionary<string, string> info = Replication(primary);
        Assert.Equal("1", info["connected_slaves"]);
        Assert.Matches("^ip=127\\.0\\.0\\.1,port=" + redis.Port + ",state=online,offset=\\d+,lag=\\d+$", info["slave0"]);
        Assert.Equal("1", info["repl_backlog_active"]);
        Assert.StartsWith("*3\r\n$6\r\nmaster\r\n:" + info["master_repl_offset"] + "\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n", Run(primary, ["ROLE"]));

        // What the log does not hold goes to the replica as the command: function libraries and PUBLISH.
        using RawClient subscriber = redis.Raw();
        subscriber.Command("SUBSCRIBE", "news");
        subscriber.ReadReply();
        Assert.DoesNotMatch("^-", Run(primary, ["FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('echo2', function(keys, args) return args[1] end)"]));
        Assert.DoesNotMatch("^-", Run(primary, ["FUNCTION", "DELETE", "lib"]));
        Run(primary, ["PUBLISH", "news", "hello replicas"]);
        subscriber.Expect("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$14\r\nhello replicas\r\n");
        WaitInSync(primary, replica);
        string libraries = Run(replica, ["FUNCTION", "LIST"]);
        Assert.Contains("$5\r\necho2\r\n", libraries);
        Assert.DoesNotContain("$5\r\necho1\r\n", libraries);
    }

    [Fact]
    public async Task ATieredReplicaOfATieredPrimaryHoldsTheSameData()
    {
        await using TestServer first = Primary(_dir, cold: false);
        await first.Server.Ready;
        using RawClient primary = first.Raw();
        Build(primary);
        await using TestServer second = Replica();
        using RawClient replica = second.Raw();
        replica.Roundtrip("+OK\r\n", "REPLICAOF", "127.0.0.1", first.Port.ToString());
        WaitInSync(primary, replica);
        Assert.Equal(Digest(primary), Digest(replica));
        foreach (string[] command in Stream) Assert.DoesNotMatch("^-", Run(primary, command));
        WaitInSync(primary, replica);
        Assert.Equal(Digest(primary), Digest(replica));
    }

    [Fact]
    public async Task MinReplicasToWriteRefusesWritesUntilAGoodReplicaAcknowledges()
    {
        await using TestServer tiered = Primary(_dir, cold: false);
        await tiered.Server.Ready;
        using RawClient c = tiered.Raw();
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "min-replicas-to-write", "1");
        c.Roundtrip("-NOREPLICAS Not enough good replicas to write.\r\n", "SET", "k", "v");
        c.Roundtrip("$-1\r\n", "GET", "k");   // reads are not refused
        c.Roundtrip("+OK\r\n", "MULTI");
        c.Roundtrip("-NOREPLICAS Not enough good replicas to write.\r\n", "SET", "k", "v");
        c.Roundtrip("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
        using var redis = new RedisServerProcess("--replicaof", "127.0.0.1", tiered.Port.ToString());
        using RawClient replica = redis.Raw();
        WaitInSync(c, replica);
        var sw = Stopwatch.StartNew();
        string reply;
        do reply = Run(c, ["SET", "k", "v"]);
        while (reply != "+OK\r\n" && sw.Elapsed < TimeSpan.FromSeconds(10) && Sleep());   // until its first ACK arrives
        Assert.Equal("+OK\r\n", reply);
    }

    [Fact]
    public async Task WaitReturnsOnceEnoughReplicasAcknowledgedTheClientsWrites()
    {
        await using TestServer tiered = Primary(_dir, cold: false);
        await tiered.Server.Ready;
        using RawClient c = tiered.Raw();
        c.Roundtrip(":0\r\n", "WAIT", "0", "0");
        using var redis = new RedisServerProcess("--replicaof", "127.0.0.1", tiered.Port.ToString());
        using RawClient replica = redis.Raw();
        WaitInSync(c, replica);
        await using TestServer second = Replica();
        using RawClient other = second.Raw();
        other.Roundtrip("+OK\r\n", "REPLICAOF", "127.0.0.1", tiered.Port.ToString());
        WaitInSync(c, other);
        for (int i = 0; i < 20; i++)
        {
            c.Roundtrip("+OK\r\n", "SET", "k" + i, "v");
            c.Roundtrip(":2\r\n", "WAIT", "2", "5000");   // both acknowledged this write, well before the timeout
            Assert.Equal("$1\r\nv\r\n", Run(replica, ["GET", "k" + i]));
            Assert.Equal("$1\r\nv\r\n", Run(other, ["GET", "k" + i]));
        }
        var sw = Stopwatch.StartNew();
        c.Roundtrip(":2\r\n", "WAIT", "3", "300");   // only two exist: the timeout ends it with their count
        Assert.True(sw.ElapsedMilliseconds >= 250, $"WAIT 3 returned after {sw.ElapsedMilliseconds} ms");
        c.Roundtrip("+OK\r\n", "MULTI");
        c.Roundtrip("+QUEUED\r\n", "WAIT", "3", "0");
        c.Roundtrip("*1\r\n:2\r\n", "EXEC");   // inside a transaction it cannot block
        other.Roundtrip("-ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.\r\n", "WAIT", "0", "0");
    }

    private static bool Sleep()
    {
        Thread.Sleep(50);
        return true;
    }

    [Fact]
    public async Task AReplicaWhoseLinkIsDownAnswersMasterdownWhenItMustNotServeStaleData()
    {
        await using TestServer tiered = Replica();
        using RawClient c = tiered.Raw();
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "replica-serve-stale-data", "no");
        var unused = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        unused.Start();
        int port = ((System.Net.IPEndPoint)unused.LocalEndpoint).Port;
        unused.Stop();   // nothing listens there: the link stays down
        c.Roundtrip("+OK\r\n", "REPLICAOF", "127.0.0.1", port.ToString());
        c.Roundtrip("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n", "GET", "k");
        Assert.Equal("down", Replication(c)["master_link_status"]);   // INFO is a stale command: it answers
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "replica-serve-stale-data", "yes");
        c.Roundtrip("$-1\r\n", "GET", "k");
    }

    /// <summary>redis-cli --rdb asks for the snapshot alone (REPLCONF rdb-only 1, SYNC) and gets one redis-check-rdb accepts.</summary>
    [Fact]
    public async Task RedisCliRdbSavesASnapshotRedisCheckRdbAccepts()
    {
        await using TestServer tiered = Primary(_dir, cold: false);
        await tiered.Server.Ready;
        using RawClient c = tiered.Raw();
        Build(c);
        string file = Path.Combine(_dir, "snapshot.rdb");
        Assert.Contains("Transfer finished with success", Tool("redis-cli", "-p", tiered.Port.ToString(), "--rdb", file));
        string check = Tool("redis-check-rdb", file);
        Assert.Contains("RDB looks OK!", check);
        long keys = long.Parse(Run(c, ["DBSIZE"])[1..^2]);
        c.Roundtrip("+OK\r\n", "SELECT", "3");
        keys += long.Parse(Run(c, ["DBSIZE"])[1..^2]);
        Assert.Contains($"[info] {keys} keys read", check);
        Assert.Equal("0", Replication(c)["connected_slaves"]);   // it did not stay as a replica
    }

    private static string Tool(string name, params string[] args)
    {
        var psi = new ProcessStartInfo(name) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            Assert.Fail(name + " did not finish in 30 s");
        }
        return stdout.Result + stderr.Result;
    }

    /// <summary>PSYNC with the primary's ID and an offset its backlog still holds: +CONTINUE and exactly the bytes after it.</summary>
    [Fact]
    public async Task PsyncWithinTheBacklogContinuesWithTheStreamFromThatOffset()
    {
        await using TestServer tiered = Primary(_dir, cold: false);
        await tiered.Server.Ready;
        using RawClient c = tiered.Raw();
        using RawClient first = tiered.Raw();
        first.Command("PSYNC", "?", "-1");   // attaches a replica: the stream and its backlog start
        string fullsync = first.ReadReply().TrimEnd();
        Assert.StartsWith("+FULLRESYNC ", fullsync);
        string replId = fullsync.Split(' ')[1];
        c.Roundtrip("+OK\r\n", "SET", "a", "1");
        long middle = long.Parse(Replication(c)["master_repl_offset"]) + 1;
        c.Roundtrip("+OK\r\n", "SET", "b", "2");
        using RawClient second = tiered.Raw();
        second.Command("PSYNC", replId, middle.ToString());
        Assert.Equal("+CONTINUE " + replId + "\r\n", second.ReadReply());
        second.Expect("*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
        using RawClient third = tiered.Raw();
        third.Command("PSYNC", replId, "0");   // before the backlog's first byte: a full resync
        Assert.StartsWith("+FULLRESYNC " + replId + " ", third.ReadReply());
    }

    /// <summary>Past its size the backlog wraps: the newest bytes still come back exact, the overwritten ones are gone.</summary>
    [Fact]
    public async Task TheBacklogRingKeepsItsNewestBytesWhenItWraps()
    {
        await using TestServer tiered = Primary(_dir, cold: false);
        await tiered.Server.Ready;
        using RawClient c = tiered.Raw();
        c.Roundtrip("+OK\r\n", "CONFIG", "SET", "repl-backlog-size", "16384");
        using RawClient first = tiered.Raw();
        first.Command("PSYNC", "?", "-1");
        string replId = first.ReadReply().Split(' ')[1];
        string value = new('v', 1000);
        for (int i = 0; i < 30; i++) c.Roundtrip("+OK\r\n", "SET", "k" + i, value);   // about 31 KB of stream: twice round
        long last = long.Parse(Replication(c)["master_repl_offset"]);
        string frame = $"*3\r\n$3\r\nSET\r\n$3\r\nk29\r\n$1000\r\n{value}\r\n";
        using RawClient second = tiered.Raw();
        second.Command("PSYNC", replId, (last - frame.Length + 1).ToString());
        Assert.Equal("+CONTINUE " + replId + "\r\n", second.ReadReply());
        second.Expect(frame);
        using RawClient third = tiered.Raw();
        third.Command("PSYNC", replId, (last - 20_000).ToString());   // overwritten already
        Assert.StartsWith("+FULLRESYNC ", third.ReadReply());
    }

    [Fact]
    public async Task AReplicaWithItsKeysOnTheSsdAppliesTheStreamToColdKeys()
    {
        using var redis = new RedisServerProcess("--repl-diskless-sync-delay", "0");
        using RawClient primary = redis.Raw();
        Build(primary);
        await using TestServer tiered = Replica(_dir);
        using RawClient replica = tiered.Raw();
        replica.Roundtrip("+OK\r\n", "REPLICAOF", "127.0.0.1", redis.Port.ToString());
        WaitInSync(primary, replica);
        ColdWait.WaitAllCold(replica, "the stream");
        long coldReadsBefore = ColdWait.Field(ColdWait.Tiering(replica), "tier_ssd_read_items");
        foreach (string[] command in Stream) Assert.DoesNotMatch("^-", Run(primary, command));
        WaitInSync(primary, replica);
        Assert.True(ColdWait.Field(ColdWait.Tiering(replica), "tier_ssd_read_items") > coldReadsBefore, "the stream read no cold key");
        Assert.Equal(Digest(primary), Digest(replica));
    }

    /// <summary>A dropped link comes back with PSYNC at its offset: redis-server continues (no new snapshot) and nothing is lost.</summary>
    [Fact]
    public async Task ADroppedLinkResumesWithAPartialResynchronization()
    {
        using var redis = new RedisServerProcess("--repl-diskless-sync-delay", "0");
        using RawClient primary = redis.Raw();
        Build(primary);
        await using TestServer tiered = Replica();
        using RawClient replica = tiered.Raw();
        replica.Roundtrip("+OK\r\n", "REPLICAOF", "127.0.0.1", redis.Port.ToString());
        WaitInSync(primary, replica);
        Assert.Equal(":1\r\n", Run(primary, ["CLIENT", "KILL", "TYPE", "replica"]));
        foreach (string[] command in Stream.Take(10)) Assert.DoesNotMatch("^-", Run(primary, command));   // while the link is down
        WaitInSync(primary, replica);
        Assert.Equal(Digest(primary), Digest(replica));
        Dictionary<string, string> stats = Replies.Fields(Replies.Info(primary, "stats"));
        Assert.Equal("1", stats["sync_full"]);
        Assert.Equal("1", stats["sync_partial_ok"]);
    }

    [Fact]
    public async Task AReplicaRefusesClientsWritesReportsItsRoleAndBecomesAPrimaryOnReplicaofNoOne()
    {
        using var redis = new RedisServerProcess("--repl-diskless-sync-delay", "0");
        using RawClient primary = redis.Raw();
        primary.Roundtrip("+OK\r\n", "SET", "k", "from-primary");
        await using TestServer tiered = Replica();
        using RawClient replica = tiered.Raw();
        string port = redis.Port.ToString();
        replica.Roundtrip("+OK\r\n", "REPLICAOF", "127.0.0.1", port);
        replica.Roundtrip("+OK Already connected to specified master\r\n", "REPLICAOF", "127.0.0.1", port);
        replica.Roundtrip("-ERR Invalid master port\r\n", "REPLICAOF", "127.0.0.1", "abc");
        WaitInSync(primary, replica);

        replica.Roundtrip("-READONLY You can't write against a read only replica.\r\n", "SET", "k", "mine");
        replica.Roundtrip("+OK\r\n", "MULTI");
        replica.Roundtrip("+QUEUED\r\n", "GET", "k");
        replica.Roundtrip("-READONLY You can't write against a read only replica.\r\n", "SET", "k", "mine");
        replica.Roundtrip("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC");
        replica.Roundtrip("$12\r\nfrom-primary\r\n", "GET", "k");

        string offset = Replication(primary)["master_repl_offset"];
        string role = Run(replica, ["ROLE"]);
        Assert.Equal($"*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$9\r\nconnected\r\n:{offset}\r\n", role);
        Dictionary<string, string> info = Replication(replica);
        Assert.Equal("slave", info["role"]);
        Assert.Equal(port, info["master_port"]);
        Assert.Equal("0", info["master_sync_in_progress"]);
        Assert.Equal("1", info["slave_read_only"]);
        Assert.Equal("100", info["slave_priority"]);
        Assert.Equal(Replication(primary)["master_replid"], info["master_replid"]);

        replica.Roundtrip("+OK\r\n", "REPLICAOF", "NO", "ONE");
        primary.Roundtrip("+OK\r\n", "SET", "k", "after");   // no longer followed
        replica.Roundtrip("+OK\r\n", "SET", "k2", "mine");
        replica.Roundtrip("$12\r\nfrom-primary\r\n", "GET", "k");
        Assert.NotEqual(Digest(primary), Digest(replica));   // the histories have parted
        Assert.Equal("master", Replication(replica)["role"]);
        Assert.StartsWith("*3\r\n$6\r\nmaster\r\n", Run(replica, ["ROLE"]));
    }
}

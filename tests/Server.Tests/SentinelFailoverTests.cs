// Automatic failover with unmodified redis-sentinel (Debian's package): three sentinels watch a Tiered primary and
// two Tiered replicas, all real processes; the primary is killed with kill -9; the sentinels agree it is down,
// promote a replica (MULTI, SLAVEOF NO ONE, CONFIG REWRITE, CLIENT KILL, EXEC), repoint the other, and turn the old
// primary into a replica of the new one when it comes back. What Tiered must answer as Redis does for that: INFO
// (run_id, role, slaveN, master_link_*), PING, ROLE, REPLICAOF, SUBSCRIBE/PUBLISH on __sentinel__:hello.

using System.Diagnostics;
using System.Globalization;
using Tiered.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Tiered.Server.Tests;

public sealed class SentinelFailoverTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tiered-sentinel-").FullName;
    private readonly List<ChildProcess> _processes = [];

    public void Dispose()
    {
        foreach (ChildProcess p in _processes) p.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private ChildProcess Tiered(int port, int? primary = null)
    {
        string data = Path.Combine(_dir, "tiered-" + port);
        Directory.CreateDirectory(data);
        var args = new List<string> { ServerBinary.Find()!, "--port", P(port), "--bind", "127.0.0.1", "--dir", data };
        if (primary is { } p) args.AddRange(["--replicaof", "127.0.0.1 " + P(p)]);
        var process = new ChildProcess("dotnet", [.. args], _dir);
        _processes.Add(process);
        Until(() => TryRun(port, "PING") == "+PONG\r\n", TimeSpan.FromSeconds(30), $"Tiered on {port} answers PING");
        return process;
    }

    private void Sentinel(int port, int primary)
    {
        string conf = Path.Combine(_dir, "sentinel-" + port + ".conf");
        File.WriteAllText(conf, $"""
            port {port}
            bind 127.0.0.1
            dir {_dir}
            sentinel monitor mymaster 127.0.0.1 {primary} 2
            sentinel down-after-milliseconds mymaster 2000
            sentinel failover-timeout mymaster 10000
            sentinel parallel-syncs mymaster 1

            """);
        _processes.Add(new ChildProcess("redis-sentinel", [conf], _dir));
        Until(() => TryRun(port, "PING") == "+PONG\r\n", TimeSpan.FromSeconds(10), $"sentinel on {port} answers PING");
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string? TryRun(int port, params string[] command)
    {
        try
        {
            using var c = new RawClient(port);
            c.Command(command);
            return c.ReadReply();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>INFO replication's fields, or none while the server does not answer.</summary>
    private static Dictionary<string, string> Replication(int port)
    {
        try
        {
            using var c = new RawClient(port);
            return Replies.Fields(Replies.Info(c, "replication"));
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            return [];
        }
    }

    private static void Until(Func<bool> done, TimeSpan limit, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            if (sw.Elapsed > limit) Assert.Fail($"not within {limit.TotalSeconds} s: {what}");
            Thread.Sleep(100);
        }
    }

    /// <summary>The primary's port as a sentinel reports it.</summary>
    private static int? PrimaryOf(int sentinel)
    {
        string? r = TryRun(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster");
        if (r is null || !r.StartsWith("*2", StringComparison.Ordinal)) return null;
        string[] lines = r.Split("\r\n");
        return int.Parse(lines[4], CultureInfo.InvariantCulture);
    }

    [ServerBinaryFact]
    public void ThreeSentinelsPromoteAReplicaWhenThePrimaryIsKilledAndTheOldPrimaryRejoinsAsAReplica()
    {
        int p1 = FreePort(), p2 = FreePort(), p3 = FreePort();
        ChildProcess primary = Tiered(p1);
        Tiered(p2, p1);
        Tiered(p3, p1);
        Until(() => Replication(p1).GetValueOrDefault("connected_slaves") == "2", TimeSpan.FromSeconds(30), "both replicas attached");
        Assert.Equal("+OK\r\n", TryRun(p1, "SET", "before", "failover"));
        Assert.Equal(":2\r\n", TryRun(p1, "WAIT", "2", "5000"));

        int[] sentinels = [FreePort(), FreePort(), FreePort()];
        foreach (int s in sentinels) Sentinel(s, p1);
        Until(() => sentinels.All(s => TryRun(s, "SENTINEL", "REPLICAS", "mymaster") is { } r && r.StartsWith("*2", StringComparison.Ordinal)
            && TryRun(s, "SENTINEL", "SENTINELS", "mymaster") is { } o && o.StartsWith("*2", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "every sentinel knows both replicas and the two other sentinels");

        var sw = Stopwatch.StartNew();
        primary.KillHard();
        Until(() => sentinels.All(s => PrimaryOf(s) is { } p && p != p1), TimeSpan.FromSeconds(30), "the sentinels name a new primary");
        output.WriteLine($"new primary after {sw.ElapsedMilliseconds} ms");
        int promoted = PrimaryOf(sentinels[0])!.Value, other = promoted == p2 ? p3 : p2;
        Assert.Equal("master", Replication(promoted)["role"]);
        Assert.Equal("$8\r\nfailover\r\n", TryRun(promoted, "GET", "before"));
        Until(() => Replication(other) is { } r && r.GetValueOrDefault("master_port") == P(promoted) && r.GetValueOrDefault("master_link_status") == "up",
            TimeSpan.FromSeconds(30), "the other replica follows the new primary");
        Assert.Equal("+OK\r\n", TryRun(promoted, "SET", "after", "failover"));
        Assert.Equal(":1\r\n", TryRun(promoted, "WAIT", "1", "5000"));
        Assert.Equal("$8\r\nfailover\r\n", TryRun(other, "GET", "after"));

        Tiered(p1);   // the old primary comes back, alone: the sentinels make it a replica of the new one
        Until(() => Replication(p1) is { } r && r.GetValueOrDefault("role") == "slave" && r.GetValueOrDefault("master_port") == P(promoted)
            && r.GetValueOrDefault("master_link_status") == "up", TimeSpan.FromSeconds(60), "the old primary rejoins as a replica");
        Assert.Equal("$8\r\nfailover\r\n", TryRun(p1, "GET", "after"));
    }
}

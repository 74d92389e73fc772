using Tiered.LoadGen.Cli;
using Tiered.LoadGen.Peers;

namespace Tiered.LoadGen.Tests;

/// <summary>
/// The <c>peers</c> command: medians and ratios on known data, the Markdown report, the servers' command lines,
/// that children and scratch directories are really gone after dispose, and one short real run against a
/// redis-server it starts itself. No timing assertions: only that throughput is there and counts add up.
/// </summary>
public class PeersTests
{
    private static PeerCell Cell(string server, params double[] ops) => new()
    {
        Server = server,
        Rounds = ops.Select((o, i) => new PeerMeasurement { Round = i + 1, OpsPerSecond = o, P99Us = 100 * (i + 1), Requests = 10, Replies = 10 }).ToList(),
    };

    [Fact]
    public void Median_takes_the_middle_value_or_the_mean_of_the_two_middle_values()
    {
        Assert.Equal(3, PeerStats.Median([5, 1, 3]));
        Assert.Equal(2.5, PeerStats.Median([4, 1, 2, 3]));
        Assert.Equal(7, PeerStats.Median([7]));
        Assert.Throws<ArgumentException>(() => PeerStats.Median([]));
    }

    [Fact]
    public void Ratio_is_missing_when_either_side_is_missing_or_zero()
    {
        Assert.Equal(0.5, PeerStats.Ratio(50, 100));
        Assert.Null(PeerStats.Ratio(null, 100));
        Assert.Null(PeerStats.Ratio(50, null));
        Assert.Null(PeerStats.Ratio(50, 0));
    }

    [Fact]
    public void Row_ratios_compare_median_throughput_over_rounds()
    {
        var row = new PeerRow
        {
            Workload = "classic",
            Phase = "GET P=1",
            Cells = [Cell("Tiered", 90, 300, 100), Cell("Redis", 40, 50, 60), Cell("Garnet", 400, 200)],
        };

        Assert.Equal(100, row.Cell("Tiered")!.MedianOps);
        Assert.Equal(200, row.Cell("Tiered")!.MedianP99Us);
        Assert.Equal(2.0, row.TieredOverRedis);
        Assert.Equal(100.0 / 300, row.TieredOverGarnet);
    }

    [Fact]
    public void A_round_without_any_reply_is_flagged_and_left_out_of_the_median()
    {
        PeerCell cell = Cell("Garnet", 100, 300, 0);
        cell.Rounds[2].Requests = 0;
        cell.Rounds[2].Replies = 0;
        var report = new PeersReport { Servers = ["Garnet"], Rows = [new PeerRow { Workload = "zipf-fits", Phase = "90% GET", Cells = [cell] }] };

        Assert.Equal(200, cell.MedianOps);
        string md = PeersMarkdown.Render(report);
        Assert.Contains("| 200 ⚠ |", md);
        Assert.Contains("no reply at all during the measured phase of round 3", md);
    }

    [Fact]
    public void Report_shows_ratios_persistence_machine_and_servers_that_cannot_run()
    {
        var report = new PeersReport
        {
            CommandLine = "Tiered.LoadGen peers --rounds 3",
            Machine = new MachineFacts { Cores = 2, Cpu = "Test CPU", Memory = "1.0 GB", LoadAverageAtStart = "1 1 1" },
            Versions = { ["Redis"] = "Redis server v=7.0.15" },
            Persistence = "off for all servers (test)",
            Rounds = 3,
            Servers = ["Tiered", "Redis", "Garnet"],
            Rows =
            [
                new PeerRow { Workload = "classic", Phase = "SET P=1", Cells = [Cell("Tiered", 200), Cell("Redis", 100), Cell("Garnet", 400)] },
                new PeerRow
                {
                    Workload = "zipf-10x", Phase = "90% GET",
                    Cells = [Cell("Tiered", 10), new PeerCell { Server = "Redis", Note = "cannot hold (needs ≈1.1 GB DRAM)" }, Cell("Garnet", 20)],
                },
            ],
        };
        report.Rows[1].Cells[0].Rounds[0].ErrorReplies = 7;
        report.Rows[1].Cells[0].Rounds[0].Errors["OOM"] = 7;

        string md = PeersMarkdown.Render(report);

        Assert.Contains("persistence: off for all servers (test)", md);
        Assert.Contains("`Tiered.LoadGen peers --rounds 3`", md);
        Assert.Contains("2 cores", md);
        Assert.Contains("Test CPU", md);
        Assert.Contains("shared 2-core machine", md);
        Assert.Contains("Redis server v=7.0.15", md);
        Assert.Contains("| Tiered/Redis | Tiered/Garnet |", md);
        Assert.Contains("| classic | SET P=1 | 200 | 100 | 100 | 100 | 400 | 100 | 2.00x | 0.50x |", md);
        Assert.Contains("cannot hold (needs ≈1.1 GB DRAM)", md);
        Assert.Contains("zipf-10x / 90% GET / Tiered: 7 error replies (OOM 7)", md);
        Assert.Contains("\"persistence\": \"off for all servers (test)\"", report.ToJson());
    }

    [Fact]
    public void Every_server_binds_loopback_only_and_gets_the_persistence_and_tier_flags_asked_for()
    {
        var tiered = new PeerServer { Kind = PeerKind.Tiered };
        var redis = new PeerServer { Kind = PeerKind.Redis };
        var garnet = new PeerServer { Kind = PeerKind.Garnet };
        var plain = new ServerConfig(null, Aof: false);
        var tieredAof = new ServerConfig(100L << 20, Aof: true);

        foreach (PeerServer s in new[] { tiered, redis, garnet })
        {
            IReadOnlyList<string> a = s.ServerArgs(7000, plain, "/tmp/x");
            Assert.Equal("127.0.0.1", a[a.ToList().IndexOf("--bind") + 1]);
            Assert.Equal("7000", a[a.ToList().IndexOf("--port") + 1]);
        }
        Assert.Contains("--appendonly no", string.Join(' ', redis.ServerArgs(1, plain, "/t")));
        Assert.Contains("--appendonly no", string.Join(' ', tiered.ServerArgs(1, plain, "/t")));   // Tiered logs by default
        Assert.Contains("--appendonly yes --appendfsync everysec", string.Join(' ', redis.ServerArgs(1, tieredAof, "/t")));
        Assert.Contains("--maxmemory 100mb --ssd-path /t", string.Join(' ', tiered.ServerArgs(1, tieredAof, "/t")));
        string g = string.Join(' ', garnet.ServerArgs(1, tieredAof, "/t"));
        Assert.Contains("--storage-tier --device-type RandomAccess -m 100m -i 32m --logdir /t -p 4m --minthreads 64", g);   // pages and thread floor: see ServerArgs
        Assert.Contains("--aof", g);
        Assert.DoesNotContain("--logdir", string.Join(' ', garnet.ServerArgs(1, plain, "/t")));
        Assert.DoesNotContain("--minthreads", string.Join(' ', garnet.ServerArgs(1, plain, "/t")));
    }

    [Fact]
    public void Disposing_a_child_kills_its_whole_process_tree()
    {
        // bash starts a grandchild and prints its pid; both must be gone after dispose.
        var child = ChildProcess.Start("dummy", "/bin/bash", ["-c", "sleep 300 & echo grandchild $!; wait"]);
        int pid = child.Pid;
        int grandchild = 0;
        for (int i = 0; i < 100 && grandchild == 0; i++)
        {
            string? line = child.OutputTail.Split('\n').FirstOrDefault(l => l.StartsWith("grandchild ", StringComparison.Ordinal));
            if (line is not null)
                grandchild = int.Parse(line["grandchild ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            else
                Thread.Sleep(50);
        }
        Assert.NotEqual(0, grandchild);
        Assert.True(IsAlive(pid));
        Assert.True(IsAlive(grandchild));

        child.Dispose();

        Assert.True(child.HasExited);
        for (int i = 0; i < 100 && IsAlive(grandchild); i++)
            Thread.Sleep(50);
        Assert.False(IsAlive(pid));
        Assert.False(IsAlive(grandchild));
    }

    [Fact]
    public void Scratch_directory_is_deleted_with_its_contents_on_dispose()
    {
        var scratch = new ScratchDirectory("test");
        File.WriteAllText(Path.Combine(scratch.Path, "data"), "x");
        Directory.CreateDirectory(Path.Combine(scratch.Path, "sub"));

        scratch.Dispose();

        Assert.False(Directory.Exists(scratch.Path));
    }

    [Fact]
    public async Task Short_run_against_redis_only_reports_throughput_for_every_classic_phase_and_leaves_nothing_running()
    {
        string[] args = ["--servers", "redis", "--duration", "1s", "--rounds", "1", "--workloads", "classic"];
        PeersCommand.Settings settings = PeersCommand.Parse(new ArgReader(args, new HashSet<string> { "build" }), args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        PeersReport report = await PeersCommand.RunAsync(settings, TextWriter.Null, timeout.Token);

        Assert.False(timeout.IsCancellationRequested);
        Assert.DoesNotContain(report.Notes, n => n.Contains("skipped", StringComparison.Ordinal));
        Assert.Equal(["SET P=1", "GET P=1", "SET P=16", "GET P=16"], report.Rows.Select(r => r.Phase));
        foreach (PeerRow row in report.Rows)
        {
            PeerCell redis = Assert.Single(row.Cells);
            Assert.Equal("Redis", redis.Server);
            Assert.True(redis.MedianOps > 0, $"{row.Phase}: no throughput");
            Assert.Equal(0, redis.ErrorReplies);
            Assert.Equal(0, redis.LostReplies);
        }
        Assert.StartsWith("Redis server", report.Versions["Redis"]);
        string md = PeersMarkdown.Render(report);
        Assert.Contains("persistence: off for all servers", md);
        Assert.Contains("--save '' --appendonly no", md);
        Assert.Equal(0, ChildProcess.LiveCount);
        Assert.DoesNotContain(report.Workloads[0].ServerArgs["Redis"], "/tmp/tiered-peers");
    }

    private static bool IsAlive(int pid)
    {
        // A killed process whose parent (init in a container) has not reaped it yet is a zombie: dead for our purpose.
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            char state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

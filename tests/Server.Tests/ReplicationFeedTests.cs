// The replication feed (Tiering/Replication/CommandFeed.cs): every write of the keyspace-event corpus (266 write
// steps over every type: random pops, XADD *, relative TTLs, blocking pops served at once, renames, SWAPDB,
// FLUSHALL...) run on a primary with its journal on, its feed's commands run on a second server one step behind,
// and after every step both hold the same data (DEBUG DIGEST: Redis's algorithm over every database), with the
// primary's keys in DRAM and with every one of them on its SSD.

using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Replication;

namespace Tiered.Server.Tests;

public sealed class ReplicationFeedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tiered-feed-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Run(RawClient c, string[] command)
    {
        c.Command(command);
        return c.ReadReply();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EveryWriteReachesAReplicaAsCommandsThatRebuildTheSameData(bool cold)
    {
        await using var primary = new TestServer((o, e) =>
        {
            o.EnableDebugCommand = "yes";
            e.Durability.Dir = _dir;
            if (!cold) return;
            e.SsdPath = _dir;
            e.Memory.MaxMemory = 1;   // every key is pushed to the SSD
        });
        await primary.Server.Ready;
        var feed = new List<byte[][]>();
        lock (primary.Server.Store.Lock)
            primary.Server.Store.Journal!.Observer = new CommandFeed(primary.Server.Store, commands => feed.AddRange(commands));
        await using var replica = new TestServer((o, _) => o.EnableDebugCommand = "yes");
        using RawClient p = primary.Raw();
        using RawClient r = replica.Raw();
        int sent = 0, compared = 0, multi = 0, restores = 0;
        foreach (KeyspaceEventCorpus.Step step in KeyspaceEventCorpus.Events)
        {
            Run(p, step.Command);
            for (; sent < feed.Count; sent++)
            {
                byte[][] argv = feed[sent];
                r.Command(argv);
                string reply = r.ReadReply();
                string name = System.Text.Encoding.ASCII.GetString(argv[0]);
                Assert.False(reply.StartsWith('-'), $"after {string.Join(' ', step.Command)}: {name} failed on the replica: {reply}");
                if (name == "MULTI") multi++;
                if (name == "RESTORE") restores++;
            }
            string expected = Run(p, ["DEBUG", "DIGEST"]);
            Assert.True(expected == Run(r, ["DEBUG", "DIGEST"]), $"after {string.Join(' ', step.Command)} the replica's data differs");
            if (expected != "+" + new string('0', 40) + "\r\n") compared++;
        }
        Assert.True(compared > 200, $"only {compared} steps compared a non-empty dataset");
        Assert.True(multi > 5, $"only {multi} commands came as MULTI/EXEC");
        Assert.True(restores > 0, "no key was sent as its state");
        if (cold) Assert.True(ColdWait.Field(ColdWait.Tiering(p), "tier_ssd_read_items") > 0, "no step read a cold key");
    }
}

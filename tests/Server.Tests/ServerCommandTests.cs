using System.Text.RegularExpressions;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class ServerCommandTests : ServerTestBase
{
    [Fact]
    public void TimeIsUnixSecondsAndMicrosecondsAsBulkStrings()
    {
        using var c = Server.Raw();
        c.Command("TIME");
        string reply = c.ReadReply();
        Match m = Regex.Match(reply, @"^\*2\r\n\$(\d+)\r\n(\d+)\r\n\$(\d+)\r\n(\d+)\r\n$");
        Assert.True(m.Success, reply);
        Assert.Equal(m.Groups[2].Length, int.Parse(m.Groups[1].Value));
        Assert.Equal(m.Groups[4].Length, int.Parse(m.Groups[3].Value));
        Assert.InRange(long.Parse(m.Groups[2].Value), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        Assert.InRange(long.Parse(m.Groups[4].Value), 0, 999_999);
        c.Roundtrip("-ERR wrong number of arguments for 'time' command\r\n", "TIME", "now");
    }

    [Fact]
    public async Task StackExchangeRedisReadsServerTime()
    {
        await using var mux = await Server.ConnectAsync();
        DateTime t = await mux.GetServer(Server.EndPoint).TimeAsync();
        Assert.InRange(t, DateTime.UtcNow.AddSeconds(-5), DateTime.UtcNow.AddSeconds(5));
    }

    [Fact]
    public void MemoryPurgeRunsAFullCollectionAndRepliesOk()
    {
        using var c = Server.Raw();
        long before = Gen2Collections(c);
        c.Roundtrip("+OK\r\n", "MEMORY", "PURGE");
        Assert.True(Gen2Collections(c) > before);
    }

    private static long Gen2Collections(RawClient c) =>
        long.Parse(Replies.Fields(Replies.Info(c, "memory"))["dotnet_gc_gen2_collections"]);

    [Fact]
    public void MemoryUnknownSubcommandsAndPurgeArityFailAsInRedis()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR unknown subcommand 'foo'. Try MEMORY HELP.\r\n", "MEMORY", "foo", "k");
        c.Roundtrip("-ERR wrong number of arguments for 'memory|purge' command\r\n", "MEMORY", "PURGE", "x");
    }

    [Fact]
    public void RoleIsAMasterWithoutReplicas()
    {
        using var c = Server.Raw();
        c.Roundtrip("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n", "ROLE");
    }

    [Fact]
    public async Task StackExchangeRedisSeesAMaster()
    {
        await using var mux = await Server.ConnectAsync();
        var role = await mux.GetServer(Server.EndPoint).RoleAsync();
        Assert.Equal("master", role.Value);
        Assert.False(mux.GetServer(Server.EndPoint).IsReplica);
    }

    [Fact]
    public void ClusterSupportIsDisabled()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR This instance has cluster support disabled\r\n", "CLUSTER", "INFO");
        c.Roundtrip("-ERR This instance has cluster support disabled\r\n", "CLUSTER", "NODES");
    }

    [Fact]
    public void ShutdownAsksTheHostToStopAndClosesWithoutReply()
    {
        using var c = Server.Raw();
        Assert.False(Server.ShutdownRequested);
        c.Command("SHUTDOWN", "NOSAVE", "NOW");
        Replies.AssertClosed(c);
        Assert.True(Server.ShutdownRequested);
    }

    [Fact]
    public void ShutdownAbortWithoutAShutdownInProgressFails()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR No shutdown in progress.\r\n", "SHUTDOWN", "ABORT");
        Assert.False(Server.ShutdownRequested);
    }

    [Fact]
    public void ShutdownSaveFailsBecauseNothingCanBeSavedUnlessForced()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR Errors trying to SHUTDOWN. Check logs.\r\n", "SHUTDOWN", "SAVE");
        Assert.False(Server.ShutdownRequested);
        c.Command("SHUTDOWN", "SAVE", "FORCE");
        Replies.AssertClosed(c);
        Assert.True(Server.ShutdownRequested);
    }

    [Fact]
    public void ShutdownRefusesUnknownAndConflictingOptions()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR syntax error\r\n", "SHUTDOWN", "LATER");
        c.Roundtrip("-ERR syntax error\r\n", "SHUTDOWN", "SAVE", "NOSAVE");
        c.Roundtrip("-ERR syntax error\r\n", "SHUTDOWN", "ABORT", "NOW");
        Assert.False(Server.ShutdownRequested);
    }
}

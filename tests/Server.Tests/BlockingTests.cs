using CommandFlags = Tiered.Server.Commands.CommandFlags;
using System.Diagnostics;
using static Tiered.Server.Tests.Infrastructure.Replies;
using Tiered.Server.Commands;
using Tiered.Server.Session;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Server.Tests;

/// <summary>
/// The blocking mechanism, proven through a test-only command registered from here:
/// TESTBPOP key [key ...] timeout — pops (GETDEL) the first existing string key and replies [key, value]; blocks
/// when none exists; replies a null array at the timeout. It follows the handler contract of Session/Blocking.cs.
/// </summary>
public sealed class BlockingTests : ServerTestBase
{
    private static readonly CommandDef s_testBPop = new("testbpop", -3, CommandFlags.Write | CommandFlags.Blocking, 1, -2, 1,
        "test", "Pops a string key, blocking until one exists.", "0.0.0", "O(N)", TestBPop);

    private static void TestBPop(CommandContext c)
    {
        if (!c.BlockTimeout(c.Count - 1, out long ms)) return;
        for (int i = 1; i < c.Count - 1; i++)
        {
            if (StringOps.GetDel(c.Db, c[i], out byte[]? v) != Status.Ok) continue;
            c.Writer.Array(2);
            c.Writer.Bulk(c[i]);
            c.Writer.Bulk(v!);
            return;
        }
        if (c.TimedOut) { c.Writer.NullArray(); return; }
        c.BlockOn(1, c.Count - 2, ms);
    }

    protected override TestServer CreateServer() => new(extraCommands: [s_testBPop]);

    private static string Popped(string key, string value) => "*2\r\n" + Bulk(key) + Bulk(value);

    private BlockingRegistry Blocking => Server.Server.Blocking;

    [Fact]
    public void ServedAtOnceWhenTheKeyExists()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "SET", "k2", "v");
        c.Roundtrip(Popped("k2", "v"), "TESTBPOP", "k1", "k2", "0");
        Assert.Equal(0, Blocking.BlockedClients);
    }

    [Fact]
    public async Task BlockedClientIsServedByAnotherClientsWrite()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Command("TESTBPOP", "k", "0");
        await WaitBlocked(1);
        b.Command("INFO", "clients");
        Assert.Contains("blocked_clients:1\r\n", b.ReadReply());
        Assert.False(a.HasDataWithin(50));
        b.Roundtrip("+OK\r\n", "SET", "k", "hello");
        a.Expect(Popped("k", "hello"));
        b.Roundtrip("$-1\r\n", "GET", "k");
        await WaitBlocked(0);
        b.Command("INFO", "clients");
        Assert.Contains("blocked_clients:0\r\n", b.ReadReply());
    }

    [Fact]
    public async Task AnyOfSeveralKeysWakesTheClient()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Command("TESTBPOP", "k1", "k2", "k3", "0");
        await WaitBlocked(1);
        b.Roundtrip("+OK\r\n", "SET", "other", "x");
        Assert.False(a.HasDataWithin(50));
        b.Roundtrip("+OK\r\n", "SET", "k3", "three");
        a.Expect(Popped("k3", "three"));
    }

    [Fact]
    public void TimeoutRepliesNullArrayAfterTheTimeout()
    {
        using var a = Server.Raw();
        var sw = Stopwatch.StartNew();
        a.Roundtrip("*-1\r\n", "TESTBPOP", "k", "0.2");
        Assert.True(sw.ElapsedMilliseconds >= 150, $"replied after {sw.ElapsedMilliseconds} ms");
        Assert.Equal(0, Blocking.BlockedClients);
        // The connection goes on normally afterwards.
        a.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public void TimeoutInResp3RepliesNull()
    {
        using var a = Server.Raw();
        a.Command("HELLO", "3");
        Assert.StartsWith("%7\r\n", a.ReadReply());
        a.Roundtrip("_\r\n", "TESTBPOP", "k", "0.05");
    }

    [Fact]
    public async Task OneWriteServesExactlyOneOfTwoBlockedClients()
    {
        using var a1 = Server.Raw();
        using var a2 = Server.Raw();
        using var b = Server.Raw();
        a1.Command("TESTBPOP", "k", "0");
        a2.Command("TESTBPOP", "k", "0");
        await WaitBlocked(2);
        b.Roundtrip("+OK\r\n", "SET", "k", "first");

        // Exactly one of them gets the value; the other keeps waiting.
        RawClient? served = null;
        for (int i = 0; i < 100 && served is null; i++)
            served = a1.HasDataWithin(50) ? a1 : a2.HasDataWithin(50) ? a2 : null;
        Assert.NotNull(served);
        served.Expect(Popped("k", "first"));
        RawClient other = served == a1 ? a2 : a1;
        await WaitBlocked(1);
        Assert.False(other.HasDataWithin(100));

        b.Roundtrip("+OK\r\n", "SET", "k", "second");
        other.Expect(Popped("k", "second"));
        await WaitBlocked(0);
    }

    [Fact]
    public async Task PipelinedCommandsAfterABlockingCommandRunOnlyAfterIt()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Send("*3\r\n$8\r\nTESTBPOP\r\n$1\r\nk\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n*1\r\n$4\r\nPING\r\n");
        await WaitBlocked(1);
        b.Roundtrip("$-1\r\n", "GET", "after");
        // More commands sent while blocked are buffered too.
        a.Command("INCR", "after");
        Assert.False(a.HasDataWithin(50));
        b.Roundtrip("$-1\r\n", "GET", "after");
        b.Roundtrip("+OK\r\n", "SET", "k", "v");
        a.Expect(Popped("k", "v") + "+OK\r\n+PONG\r\n:2\r\n");
        b.Roundtrip(Bulk("2"), "GET", "after");
    }

    [Fact]
    public void RepliesBeforeTheBlockingCommandAreSentWhileItWaits()
    {
        using var a = Server.Raw();
        a.Send("*1\r\n$4\r\nPING\r\n*3\r\n$8\r\nTESTBPOP\r\n$1\r\nk\r\n$3\r\n0.3\r\n");
        a.Expect("+PONG\r\n");
        a.Expect("*-1\r\n");
    }

    [Fact]
    public async Task ReblockingAfterAWakeUpWithoutDataKeepsTheOriginalDeadline()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Command("CLIENT", "ID");
        long id = long.Parse(a.ReadReply()[1..^2]);
        ClientSession session = Server.Server.Clients.Find(id)!;
        a.Command("TESTBPOP", "k", "30");
        await WaitBlocked(1);
        BlockedWait first;
        lock (Server.Server.Store.Lock) first = session.Block!;
        // DEL is a write to k that leaves nothing to pop: the client wakes, finds nothing and blocks again.
        b.Roundtrip(":0\r\n", "DEL", "k");
        BlockedWait? second = null;
        for (int i = 0; i < 500; i++)
        {
            lock (Server.Server.Store.Lock)
                if (session.Block != first && session.BlockState == BlockState.Blocked) second = session.Block;
            if (second != null) break;
            await Task.Delay(10);
        }
        Assert.NotNull(second);
        Assert.Equal(first.DeadlineMs, second.DeadlineMs);
        Assert.False(a.HasDataWithin(50));
        b.Roundtrip("+OK\r\n", "SET", "k", "v");
        a.Expect(Popped("k", "v"));
    }

    [Fact]
    public void InsideMultiABlockingCommandTimesOutAtOnce()
    {
        using var a = Server.Raw();
        a.Roundtrip("+OK\r\n", "MULTI");
        a.Roundtrip("+QUEUED\r\n", "TESTBPOP", "k", "0");
        a.Roundtrip("+QUEUED\r\n", "SET", "k", "v");
        a.Roundtrip("+QUEUED\r\n", "TESTBPOP", "k", "0");
        a.Roundtrip("*3\r\n*-1\r\n+OK\r\n" + Popped("k", "v"), "EXEC");
        Assert.Equal(0, Blocking.BlockedClients);
    }

    [Fact]
    public async Task ClientKillEndsABlockedWait()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Command("CLIENT", "ID");
        string id = a.ReadReply()[1..^2];
        a.Command("TESTBPOP", "k", "0");
        await WaitBlocked(1);
        b.Roundtrip(":1\r\n", "CLIENT", "KILL", "ID", id);
        Assert.True(a.IsClosedByServer());
        await WaitBlocked(0);
    }

    [Fact]
    public async Task DisconnectEndsABlockedWait()
    {
        using (var a = Server.Raw())
        {
            a.Command("TESTBPOP", "k", "0");
            await WaitBlocked(1);
        }
        await WaitBlocked(0);
        using var b = Server.Raw();
        b.Roundtrip("+OK\r\n", "SET", "k", "v");
        b.Roundtrip(Bulk("v"), "GET", "k");
    }

    [Fact]
    public void TimeoutArgumentErrors()
    {
        using var a = Server.Raw();
        a.Roundtrip("-ERR timeout is negative\r\n", "TESTBPOP", "k", "-1");
        a.Roundtrip("-ERR timeout is not a float or out of range\r\n", "TESTBPOP", "k", "soon");
        a.Roundtrip("-ERR wrong number of arguments for 'testbpop' command\r\n", "TESTBPOP", "k");
    }
}

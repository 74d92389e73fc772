// CLIENT PAUSE / UNPAUSE and WAIT, with the replies and the held/let-through rules recorded from redis-server 7.0.15.

using Tiered.Server.Session;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

public sealed class ClientPauseTests
{
    /// <summary>Waits (bounded, 5 s) until <paramref name="n"/> clients' commands are held by the pause.</summary>
    private static async Task WaitHeld(TestServer s, int n)
    {
        for (int i = 0; i < 500; i++)
        {
            lock (s.Server.Store.Lock)
                if (s.Server.Pause.Waiting == n) return;
            await Task.Delay(10);
        }
        Assert.Fail($"expected {n} held clients, have {s.Server.Pause.Waiting}");
    }

    [Fact]
    public async Task PauseAndWaitArgumentsAreCheckedAsRedisChecksThem()
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        c.Roundtrip("-ERR timeout is not an integer or out of range\r\n", "CLIENT", "PAUSE", "x");
        c.Roundtrip("-ERR timeout is not an integer or out of range\r\n", "CLIENT", "PAUSE", "1.5");
        c.Roundtrip("-ERR timeout is not an integer or out of range\r\n", "CLIENT", "PAUSE", "99999999999999999999");
        c.Roundtrip("-ERR timeout is negative\r\n", "CLIENT", "PAUSE", "-1");
        c.Roundtrip("-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n", "CLIENT", "PAUSE", "10", "bad");
        c.Roundtrip("-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n", "CLIENT", "PAUSE", "10", "write", "x");
        c.Roundtrip("-ERR wrong number of arguments for 'client|pause' command\r\n", "CLIENT", "PAUSE");
        c.Roundtrip("-ERR wrong number of arguments for 'client|unpause' command\r\n", "CLIENT", "UNPAUSE", "x");
        c.Roundtrip(Ok, "CLIENT", "PAUSE", "0");
        c.Roundtrip(Ok, "CLIENT", "UNPAUSE");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "WAIT", "x", "0");
        c.Roundtrip("-ERR value is not an integer or out of range\r\n", "WAIT", "x", "-1");   // replicas are parsed first
        c.Roundtrip("-ERR timeout is not an integer or out of range\r\n", "WAIT", "0", "x");
        c.Roundtrip("-ERR timeout is negative\r\n", "WAIT", "0", "-1");
        c.Roundtrip("-ERR wrong number of arguments for 'wait' command\r\n", "WAIT", "0");
        c.Roundtrip(":0\r\n", "WAIT", "0", "0");
        c.Roundtrip(":0\r\n", "WAIT", "-5", "0");
    }

    [Fact]
    public async Task AWritePauseHoldsWritesUntilUnpauseWhileReadsGoOn()
    {
        await using var s = new TestServer();
        using RawClient a = s.Raw();
        using RawClient b = s.Raw();
        using RawClient r = s.Raw();
        a.Roundtrip(Ok, "SET", "x", "old");
        b.Roundtrip(Ok, "CLIENT", "SETNAME", "writer");
        a.Roundtrip(Ok, "CLIENT", "PAUSE", "60000", "WRITE");
        b.Command("SET", "x", "new");
        b.Command("GET", "x");   // pipelined behind the held write: waits with it
        await WaitHeld(s, 1);
        r.Roundtrip("$3\r\nold\r\n", "GET", "x");
        r.Roundtrip(":1\r\n", "EXISTS", "x");
        r.Command("CLIENT", "LIST");
        string list = r.ReadReply();
        Assert.Matches(@"name=writer [^\n]* flags=b [^\n]* cmd=set ", list);
        r.Command("INFO", "clients");
        Assert.Contains("blocked_clients:1\r\n", r.ReadReply());
        Assert.False(b.HasDataWithin(50));
        r.Roundtrip(Ok, "CLIENT", "UNPAUSE");
        b.Expect(Ok);
        b.Expect("$3\r\nnew\r\n");
        r.Command("INFO", "clients");
        Assert.Contains("blocked_clients:0\r\n", r.ReadReply());
    }

    [Fact]
    public async Task AWritePauseHoldsScriptsThatMayWriteAndCommandsThatMayPropagate()
    {
        await using var s = new TestServer();
        using RawClient a = s.Raw();
        using RawClient b = s.Raw();
        b.Roundtrip("$1\r\nx\r\n", "FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() return 1 end)");
        (string reply, string[] args)[] held =
        [
            (":1\r\n", ["EVAL", "return 1", "0"]),
            (":1\r\n", ["FCALL", "f", "0"]),
            ("-ERR Can not execute a script with write flag using *_ro command.\r\n", ["FCALL_RO", "f", "0"]),
            (":0\r\n", ["PUBLISH", "ch", "m"]),
            (":0\r\n", ["PFCOUNT", "h"]),
            (":0\r\n", ["EXPIRE", "q", "1"]),
            (Ok, ["FLUSHALL"]),
        ];
        foreach ((string reply, string[] args) in held)
        {
            a.Roundtrip(Ok, "CLIENT", "PAUSE", "60000", "WRITE");
            b.Command(args);
            await WaitHeld(s, 1);
            Assert.False(b.HasDataWithin(20));
            a.Roundtrip(Ok, "CLIENT", "UNPAUSE");
            b.Expect(reply);
        }
        a.Roundtrip(Ok, "CLIENT", "PAUSE", "60000", "WRITE");
        b.Roundtrip(":1\r\n", "EVAL", "#!lua flags=no-writes\nreturn 1", "0");
        b.Roundtrip(":1\r\n", "EVAL_RO", "return 1", "0");
        b.Roundtrip("-ERR Function not found\r\n", "FCALL_RO", "nosuch", "0");
        b.Roundtrip("+PONG\r\n", "PING");
        b.Roundtrip(Ok, "SELECT", "0");
        b.Roundtrip(":0\r\n", "WAIT", "0", "0");
        b.Roundtrip(Ok, "CLIENT", "PAUSE", "1", "WRITE");   // administrative: not a write; the pause keeps its end
        b.Roundtrip("-ERR wrong number of arguments for 'set' command\r\n", "SET", "x");   // refused at once
        b.Roundtrip("-ERR unknown command 'NOSUCH', with args beginning with: \r\n", "NOSUCH");
        a.Roundtrip(Ok, "CLIENT", "UNPAUSE");
    }

    [Fact]
    public async Task ATransactionsWritesAreHeldWhenQueuedAndItsExecOnlyWhenItWrites()
    {
        await using var s = new TestServer();
        using RawClient a = s.Raw();
        using RawClient b = s.Raw();
        a.Roundtrip(Ok, "CLIENT", "PAUSE", "60000", "WRITE");
        b.Roundtrip(Ok, "MULTI");
        b.Roundtrip("+QUEUED\r\n", "GET", "x");
        b.Command("SET", "x", "1");
        await WaitHeld(s, 1);
        a.Roundtrip(Ok, "CLIENT", "UNPAUSE");
        b.Expect("+QUEUED\r\n");
        a.Roundtrip(Ok, "CLIENT", "PAUSE", "60000", "WRITE");
        b.Command("EXEC");
        await WaitHeld(s, 1);
        a.Roundtrip(Ok, "CLIENT", "UNPAUSE");
        b.Expect("*2\r\n$-1\r\n+OK\r\n");
        a.Roundtrip(Ok, "CLIENT", "PAUSE", "60000", "WRITE");
        b.Roundtrip(Ok, "MULTI");
        b.Roundtrip("+QUEUED\r\n", "GET", "x");
        b.Roundtrip("+QUEUED\r\n", "WAIT", "1", "0");   // inside a transaction WAIT answers at once
        b.Roundtrip("*2\r\n$1\r\n1\r\n:0\r\n", "EXEC");
        a.Roundtrip(Ok, "CLIENT", "UNPAUSE");
    }

    [Fact]
    public async Task AnAllPauseHoldsEveryCommandEvenUnpauseUntilItsTimeout()
    {
        await using var s = new TestServer();
        using RawClient a = s.Raw();
        using RawClient b = s.Raw();
        a.Roundtrip(Ok, "CLIENT", "PAUSE", "400", "ALL");
        b.Command("CLIENT", "UNPAUSE");
        a.Command("PING");
        await WaitHeld(s, 2);
        lock (s.Server.Store.Lock) Assert.Equal(PauseKind.All, s.Server.Pause.Kind);   // UNPAUSE did not run
        b.Expect(Ok);   // the timeout ends the pause; both run
        a.Expect("+PONG\r\n");
        await WaitHeld(s, 0);
    }

    [Fact]
    public void APauseOnlyGrowsItsEndAndWidensItsKindUntilUnpaused()
    {
        var gate = new Lock();
        using var pause = new ClientPause(gate);
        lock (gate)
        {
            pause.Pause(100, PauseKind.Write);
            pause.Pause(60_000, PauseKind.All);
            long end = pause.EndMs;
            pause.Pause(10, PauseKind.Write);
            Assert.Equal(PauseKind.All, pause.Kind);
            Assert.Equal(end, pause.EndMs);
            Task ended = pause.WhenEnded;
            Assert.False(ended.IsCompleted);
            pause.Unpause();
            Assert.False(pause.Active);
            Assert.True(ended.IsCompletedSuccessfully);
        }
    }

    [Fact]
    public async Task AHeldClientThatDisconnectsIsNoLongerCounted()
    {
        await using var s = new TestServer();
        using RawClient a = s.Raw();
        using (RawClient b = s.Raw())
        {
            a.Roundtrip(Ok, "CLIENT", "PAUSE", "60000", "WRITE");
            b.Command("SET", "x", "1");
            await WaitHeld(s, 1);
        }
        await WaitHeld(s, 0);
        a.Roundtrip(Ok, "CLIENT", "UNPAUSE");
        a.Roundtrip(":0\r\n", "EXISTS", "x");
    }

    [Fact]
    public async Task TheActiveExpiryCycleWaitsWhilePaused()
    {
        await using var s = new TestServer();
        using RawClient a = s.Raw();
        a.Roundtrip(Ok, "SET", "k", "v", "PX", "1");
        a.Roundtrip(Ok, "CLIENT", "PAUSE", "60000", "WRITE");
        await Task.Delay(400);   // several cycles at hz 10: none may delete k
        a.Roundtrip(":1\r\n", "DBSIZE");
        a.Roundtrip(Ok, "CLIENT", "UNPAUSE");
        for (int i = 0; i < 500; i++)
        {
            a.Command("DBSIZE");
            if (a.ReadReply() == ":0\r\n") return;
            await Task.Delay(10);
        }
        Assert.Fail("the expired key was never deleted after UNPAUSE");
    }

    [Fact]
    public async Task WaitWithoutReplicasBlocksUntilItsTimeoutAndAnswersZero()
    {
        await using var s = new TestServer();
        using RawClient a = s.Raw();
        using RawClient b = s.Raw();
        b.Command("WAIT", "1", "300");
        await s.WaitBlocked(1);
        a.Command("INFO", "clients");
        Assert.Contains("blocked_clients:1\r\n", a.ReadReply());
        b.Expect(":0\r\n");
        await s.WaitBlocked(0);
        b.Command("WAIT", "1", "0");   // forever: ends only with the connection
        await s.WaitBlocked(1);
        a.Roundtrip(Ok, "FLUSHDB");    // wakes waiters in the database; WAIT blocks again
        Assert.False(b.HasDataWithin(50));
        await s.WaitBlocked(1);
    }
}

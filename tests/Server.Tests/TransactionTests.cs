using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

public sealed class TransactionTests : ServerTestBase
{
    private const string Queued = "+QUEUED\r\n";
    private const string ExecAbort = "-EXECABORT Transaction discarded because of previous errors.\r\n";

    [Fact]
    public void ExecRunsQueuedCommandsAndRepliesWithAnArrayOfTheirReplies()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip(Queued, "SET", "k", "v");
        c.Roundtrip(Queued, "GET", "k");
        c.Roundtrip(Queued, "GET", "missing");
        c.Roundtrip(Queued, "INCR", "n");
        c.Roundtrip("*4\r\n" + Ok + Bulk("v") + "$-1\r\n:1\r\n", "EXEC");
        c.Roundtrip(Bulk("v"), "GET", "k");
    }

    [Fact]
    public void ExecInResp3UsesResp3NullsInsideTheArray()
    {
        using var c = Server.Raw();
        Hello3(c);
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip(Queued, "GET", "missing");
        c.Roundtrip(Queued, "EXISTS", "missing");
        c.Roundtrip("*2\r\n_\r\n:0\r\n", "EXEC");
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip("*0\r\n", "EXEC");
    }

    [Fact]
    public void CommandsAreNotRunBeforeExec()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "SET", "k", "v");
        b.Roundtrip("$-1\r\n", "GET", "k");
        a.Roundtrip("*1\r\n" + Ok, "EXEC");
        b.Roundtrip(Bulk("v"), "GET", "k");
    }

    [Fact]
    public void ControlCommandErrorsUseRedisTexts()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR EXEC without MULTI\r\n", "EXEC");
        c.Roundtrip("-ERR DISCARD without MULTI\r\n", "DISCARD");
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip("-ERR MULTI calls can not be nested\r\n", "MULTI");
        c.Roundtrip("-ERR WATCH inside MULTI is not allowed\r\n", "WATCH", "k");
        c.Roundtrip(Queued, "SET", "k", "1");
        // None of those errors aborts the transaction.
        c.Roundtrip("*1\r\n" + Ok, "EXEC");
        c.Roundtrip("-ERR wrong number of arguments for 'multi' command\r\n", "MULTI", "x");
    }

    [Fact]
    public void UnknownCommandWhileQueueingAbortsTheTransaction()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip(Queued, "SET", "k", "v");
        c.Roundtrip("-ERR unknown command 'NOPE', with args beginning with: 'x' \r\n", "NOPE", "x");
        c.Roundtrip(ExecAbort, "EXEC");
        c.Roundtrip("$-1\r\n", "GET", "k");
        // The client has left MULTI.
        c.Roundtrip("-ERR EXEC without MULTI\r\n", "EXEC");
    }

    [Fact]
    public void WrongArityWhileQueueingAbortsTheTransaction()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip("-ERR wrong number of arguments for 'get' command\r\n", "GET");
        c.Roundtrip(Queued, "SET", "k", "v");
        c.Roundtrip(ExecAbort, "EXEC");
        c.Roundtrip("$-1\r\n", "GET", "k");
    }

    [Fact]
    public void RuntimeErrorsAreRepliedInPlaceAndTheOtherCommandsStillRun()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "SET", "s", "abc");
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip(Queued, "INCR", "s");
        c.Roundtrip(Queued, "SET", "k", "v");
        c.Roundtrip("*2\r\n-ERR value is not an integer or out of range\r\n" + Ok, "EXEC");
        c.Roundtrip(Bulk("v"), "GET", "k");
    }

    [Fact]
    public void DiscardDropsTheQueue()
    {
        using var c = Server.Raw();
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip(Queued, "SET", "k", "v");
        c.Roundtrip(Ok, "DISCARD");
        c.Roundtrip("$-1\r\n", "GET", "k");
        c.Roundtrip("-ERR EXEC without MULTI\r\n", "EXEC");
    }

    [Fact]
    public void PipelinedTransactionRepliesInOrder()
    {
        using var c = Server.Raw();
        c.Send("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*1\r\n$4\r\nEXEC\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        c.Expect(Ok + Queued + Queued + "*2\r\n" + Ok + ":2\r\n" + Bulk("2"));
    }

    [Fact]
    public void WatchedKeyModifiedByAnotherClientMakesExecReplyNullArray()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "WATCH", "k");
        b.Roundtrip(Ok, "SET", "k", "theirs");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "SET", "k", "mine");
        a.Roundtrip("*-1\r\n", "EXEC");
        a.Roundtrip(Bulk("theirs"), "GET", "k");
        // EXEC forgot the watch: the next transaction runs.
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "SET", "k", "mine");
        a.Roundtrip("*1\r\n" + Ok, "EXEC");
    }

    [Fact]
    public void WatchFailureInResp3IsANull()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        Hello3(a);
        a.Roundtrip(Ok, "WATCH", "k");
        b.Roundtrip(":1\r\n", "INCR", "k");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "GET", "k");
        a.Roundtrip("_\r\n", "EXEC");
    }

    [Fact]
    public void UnmodifiedWatchedKeysLetExecRun()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "WATCH", "k", "j");
        b.Roundtrip(Ok, "SET", "other", "x");
        b.Roundtrip(Bulk("x"), "GET", "other");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "SET", "k", "v");
        a.Roundtrip("*1\r\n" + Ok, "EXEC");
    }

    [Fact]
    public void WatchOnlyCoversTheDatabaseItWasIssuedIn()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "WATCH", "k");
        b.Roundtrip(Ok, "SELECT", "1");
        b.Roundtrip(Ok, "SET", "k", "db1");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "GET", "k");
        a.Roundtrip("*1\r\n$-1\r\n", "EXEC");
    }

    [Fact]
    public void UnwatchForgetsModifications()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "WATCH", "k");
        b.Roundtrip(Ok, "SET", "k", "x");
        a.Roundtrip(Ok, "UNWATCH");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "GET", "k");
        a.Roundtrip("*1\r\n" + Bulk("x"), "EXEC");
        Assert.Equal(0, Server.Server.Watches.Count);
    }

    [Fact]
    public void DiscardAlsoForgetsWatches()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "WATCH", "k");
        b.Roundtrip(Ok, "SET", "k", "x");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Ok, "DISCARD");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "GET", "k");
        a.Roundtrip("*1\r\n" + Bulk("x"), "EXEC");
    }

    [Fact]
    public void OwnWriteAfterWatchAlsoFailsTheTransaction()
    {
        using var a = Server.Raw();
        a.Roundtrip(Ok, "WATCH", "k");
        a.Roundtrip(Ok, "SET", "k", "1");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "SET", "k", "2");
        a.Roundtrip("*-1\r\n", "EXEC");
        a.Roundtrip(Bulk("1"), "GET", "k");
    }

    [Fact]
    public void NoOpWriteCountsAsAModification()
    {
        // Documented over-approximation: SET NX that did not set still touches the watched key.
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "SET", "k", "1");
        a.Roundtrip(Ok, "WATCH", "k");
        b.Roundtrip("$-1\r\n", "SET", "k", "2", "NX");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "GET", "k");
        a.Roundtrip("*-1\r\n", "EXEC");
    }

    [Fact]
    public void FailedWriteDoesNotTouchWatchers()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "SET", "k", "abc");
        a.Roundtrip(Ok, "WATCH", "k");
        b.Roundtrip("-ERR value is not an integer or out of range\r\n", "INCR", "k");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "GET", "k");
        a.Roundtrip("*1\r\n" + Bulk("abc"), "EXEC");
    }

    [Theory]
    [InlineData("FLUSHDB")]
    [InlineData("FLUSHALL")]
    public void FlushTouchesEveryWatcher(string flush)
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "WATCH", "absent");
        b.Roundtrip(Ok, flush);
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "PING");
        a.Roundtrip("*-1\r\n", "EXEC");
    }

    [Fact]
    public void SwapDbTouchesWatchersOfBothDatabases()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip(Ok, "SELECT", "1");
        a.Roundtrip(Ok, "WATCH", "k");
        b.Roundtrip(Ok, "SET", "k", "in0");
        b.Roundtrip(Ok, "SWAPDB", "0", "1");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "GET", "k");
        a.Roundtrip("*-1\r\n", "EXEC");
    }

    [Fact]
    public void WatchedKeyThatExpiresBeforeExecCountsAsModified()
    {
        using var a = Server.Raw();
        a.Roundtrip(Ok, "SET", "k", "v", "PX", "50");
        a.Roundtrip(Ok, "WATCH", "k");
        Thread.Sleep(150);
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "GET", "k");
        a.Roundtrip("*-1\r\n", "EXEC");
    }

    [Fact]
    public void ResetLeavesMultiAndForgetsWatches()
    {
        using var a = Server.Raw();
        a.Roundtrip(Ok, "WATCH", "k");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip(Queued, "SET", "k", "v");
        a.Roundtrip("+RESET\r\n", "RESET");
        a.Roundtrip("-ERR EXEC without MULTI\r\n", "EXEC");
        a.Roundtrip("$-1\r\n", "GET", "k");
        Assert.Equal(0, Server.Server.Watches.Count);
    }

    [Fact]
    public async Task DisconnectForgetsWatches()
    {
        using (var a = Server.Raw()) a.Roundtrip(Ok, "WATCH", "k", "j");
        for (int i = 0; i < 200 && Server.Server.Watches.Count != 0; i++) await Task.Delay(20);
        Assert.Equal(0, Server.Server.Watches.Count);
    }

    [Fact]
    public async Task StackExchangeTransactionWithConditionCommitsWhenItHolds()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        await db.StringSetAsync("acct", "10");
        ITransaction tran = db.CreateTransaction();
        tran.AddCondition(Condition.StringEqual("acct", "10"));
        _ = tran.StringIncrementAsync("acct", 5);
        _ = tran.StringSetAsync("log", "credited");
        Assert.True(await tran.ExecuteAsync());
        Assert.Equal("15", (string?)await db.StringGetAsync("acct"));
        Assert.Equal("credited", (string?)await db.StringGetAsync("log"));
    }

    [Fact]
    public async Task StackExchangeTransactionWithFailingConditionDoesNothing()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        await db.StringSetAsync("acct", "10");
        ITransaction tran = db.CreateTransaction();
        tran.AddCondition(Condition.StringEqual("acct", "99"));
        Task<long> incr = tran.StringIncrementAsync("acct", 5);
        Assert.False(await tran.ExecuteAsync());
        Assert.True(incr.IsCanceled);
        Assert.Equal("10", (string?)await db.StringGetAsync("acct"));
        Assert.Equal(0, Server.Server.Watches.Count);
    }

    [Fact]
    public async Task StackExchangeTransactionWithoutConditionRunsAtomically()
    {
        await using ConnectionMultiplexer mux = await Server.ConnectAsync();
        IDatabase db = mux.GetDatabase();
        ITransaction tran = db.CreateTransaction();
        Task<long> a = tran.StringIncrementAsync("n");
        Task<long> b = tran.StringIncrementAsync("n");
        Assert.True(await tran.ExecuteAsync());
        Assert.Equal(1, await a);
        Assert.Equal(2, await b);
    }
}

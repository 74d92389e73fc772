using Tiered.Server.Commands;
using Tiered.Server.Protocol;
using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

/// <summary>
/// Key positions of commands whose keys move with their arguments (numkeys, STREAMS, subcommands): COMMAND GETKEYS,
/// WATCH invalidation and the allocation-free finder itself.
/// </summary>
public sealed class KeyPositionTests : ServerTestBase
{
    private const string InvalidArgs = "-ERR Invalid arguments specified for command\r\n";

    private static string GetKeys(RawClient c, params string[] command)
    {
        c.Command(["COMMAND", "GETKEYS", .. command]);
        return c.ReadReply();
    }

    [Fact]
    public void GetKeysFindsKeysAfterNumkeys()
    {
        using var c = Server.Raw();
        Assert.Equal(Arr("a", "b"), GetKeys(c, "LMPOP", "2", "a", "b", "LEFT", "COUNT", "3"));
        Assert.Equal(Arr("a", "b", "c"), GetKeys(c, "BLMPOP", "0", "3", "a", "b", "c", "RIGHT"));
        Assert.Equal(Arr("z"), GetKeys(c, "BZMPOP", "1.5", "1", "z", "MIN"));
        Assert.Equal(Arr("s1", "s2"), GetKeys(c, "SINTERCARD", "2", "s1", "s2", "LIMIT", "5"));
        Assert.Equal(Arr("z1", "z2"), GetKeys(c, "ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "2"));
        Assert.Equal(Arr("z1"), GetKeys(c, "ZINTER", "1", "z1", "WITHSCORES"));
        Assert.Equal(Arr("z1", "z2"), GetKeys(c, "ZDIFF", "2", "z1", "z2"));
    }

    [Fact]
    public void GetKeysOfStoreCommandsListsTheDestinationThenTheSources()
    {
        using var c = Server.Raw();
        Assert.Equal(Arr("dst", "z1", "z2"), GetKeys(c, "ZUNIONSTORE", "dst", "2", "z1", "z2", "AGGREGATE", "MAX"));
        Assert.Equal(Arr("dst", "z1"), GetKeys(c, "ZINTERSTORE", "dst", "1", "z1"));
        Assert.Equal(Arr("dst", "a", "b", "c"), GetKeys(c, "ZDIFFSTORE", "dst", "3", "a", "b", "c"));
    }

    [Fact]
    public void GetKeysOfXReadTakesTheFirstHalfAfterStreams()
    {
        using var c = Server.Raw();
        Assert.Equal(Arr("s1", "s2"), GetKeys(c, "XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", "s1", "s2", "0", "$"));
        Assert.Equal(Arr("s"), GetKeys(c, "XREAD", "STREAMS", "s", "0"));
        // A group and a consumer called "streams" are option arguments, not the keyword.
        Assert.Equal(Arr("k"), GetKeys(c, "XREADGROUP", "GROUP", "streams", "streams", "NOACK", "STREAMS", "k", ">"));
        // Redis's key spec keeps half of what follows STREAMS, rounded down, even when the count is odd.
        Assert.Equal(Arr("s1"), GetKeys(c, "XREAD", "STREAMS", "s1", "s2", "0"));
        Assert.Equal(InvalidArgs, GetKeys(c, "XREAD", "COUNT", "1", "s1", "0"));
    }

    [Fact]
    public void GetKeysOfSubcommandsYieldsTheirKey()
    {
        using var c = Server.Raw();
        Assert.Equal(Arr("k"), GetKeys(c, "OBJECT", "FREQ", "k"));
        Assert.Equal(Arr("k"), GetKeys(c, "object", "encoding", "k"));
        Assert.Equal(Arr("s"), GetKeys(c, "XINFO", "STREAM", "s"));
        Assert.Equal(Arr("s"), GetKeys(c, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"));
        Assert.Equal("-ERR The command has no key arguments\r\n", GetKeys(c, "XGROUP", "HELP"));
        Assert.Equal("-ERR wrong number of arguments for 'command|getkeys' command\r\n", GetKeys(c, "OBJECT"));
        Assert.Equal("-ERR Invalid command specified\r\n", GetKeys(c, "XINFO", "NOSUCH", "s"));
        Assert.Equal("-ERR Invalid number of arguments specified for command\r\n", GetKeys(c, "OBJECT", "FREQ", "k", "extra"));
    }

    [Fact]
    public void GetKeysRejectsABadNumkeys()
    {
        using var c = Server.Raw();
        Assert.Equal(InvalidArgs, GetKeys(c, "LMPOP", "0", "a", "LEFT"));
        Assert.Equal(InvalidArgs, GetKeys(c, "LMPOP", "3", "a", "LEFT"));
        Assert.Equal(InvalidArgs, GetKeys(c, "LMPOP", "x", "a", "LEFT"));
        Assert.Equal(InvalidArgs, GetKeys(c, "ZUNIONSTORE", "dst", "-1", "a"));
        Assert.Equal(InvalidArgs, GetKeys(c, "BZMPOP", "0", "3", "a", "MIN"));
        Assert.Equal("-ERR Invalid number of arguments specified for command\r\n", GetKeys(c, "LMPOP", "1", "a"));
        // Arity passes first, then the keys: a keyless command is refused before its arity is looked at.
        Assert.Equal("-ERR The command has no key arguments\r\n", GetKeys(c, "PING", "a", "b", "c"));
    }

    [Fact]
    public void CommandInfoFlagsMovableKeys()
    {
        using var c = Server.Raw();
        c.Command("COMMAND", "INFO", "LMPOP");
        Assert.Contains("+movablekeys\r\n", c.ReadReply());
        c.Command("COMMAND", "INFO", "LPOP");
        Assert.DoesNotContain("movablekeys", c.ReadReply());
    }

    [Fact]
    public void WatchedListPoppedByLMPopAbortsExec()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        b.Roundtrip(Int(2), "RPUSH", "l", "x", "y");
        a.Roundtrip(Ok, "WATCH", "l");
        b.Roundtrip("*2\r\n" + Bulk("l") + Arr("x"), "LMPOP", "2", "missing", "l", "LEFT");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip("+QUEUED\r\n", "LLEN", "l");
        a.Roundtrip(NilArray, "EXEC");
    }

    [Fact]
    public void WatchedDestinationOfZUnionStoreAbortsExec()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        b.Roundtrip(Int(1), "ZADD", "src", "1", "m");
        a.Roundtrip(Ok, "WATCH", "dst");
        b.Roundtrip(Int(1), "ZUNIONSTORE", "dst", "1", "src");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip("+QUEUED\r\n", "ZCARD", "dst");
        a.Roundtrip(NilArray, "EXEC");
    }

    [Fact]
    public void WatchedSortedSetPoppedByBZMPopAbortsExec()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        b.Roundtrip(Int(1), "ZADD", "z", "1", "m");
        a.Roundtrip(Ok, "WATCH", "z");
        b.Roundtrip("*2\r\n" + Bulk("z") + "*1\r\n" + Arr("m", "1"), "BZMPOP", "0", "1", "z", "MIN");
        a.Roundtrip(Ok, "MULTI");
        a.Roundtrip("+QUEUED\r\n", "ZCARD", "z");
        a.Roundtrip(NilArray, "EXEC");
    }

    [Fact]
    public async Task BlockedBZMPopIsWokenByZUnionStoreOnItsSecondKey()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        b.Command("BZMPOP", "0", "2", "other", "dst", "MAX");
        await WaitBlocked(1);
        a.Roundtrip(Int(1), "ZADD", "src", "2", "m");
        Assert.False(b.HasDataWithin(50));
        a.Roundtrip(Int(1), "ZUNIONSTORE", "dst", "1", "src");
        b.Expect("*2\r\n" + Bulk("dst") + "*1\r\n" + Arr("m", "2"));
        await WaitBlocked(0);
        a.Roundtrip(Int(0), "EXISTS", "dst");
    }

    [Fact]
    public void ACommandRegisteredByNameGetsItsFinderAndTheFinderDoesNotAllocate()
    {
        var zmpop = new CommandDef("zmpop", -4, CommandFlags.Write, 0, 0, 0, "sorted-set", "", "7.0.0", "", _ => { });
        var args = Args("ZMPOP", "2", "a", "b", "MIN", "COUNT", "2");
        Span<int> positions = stackalloc int[4];
        Assert.Equal(2, zmpop.GetKeyPositions(new CommandArgs(args), positions));
        Assert.Equal([2, 3], positions[..2].ToArray());

        var mset = new CommandDef("mset", -3, CommandFlags.Write, 1, -1, 2, "string", "", "1.0.1", "", _ => { });
        var msetArgs = Args("MSET", "k1", "v1", "k2", "v2", "k3", "v3");
        Span<int> two = stackalloc int[2];
        Assert.Equal(3, mset.GetKeyPositions(new CommandArgs(msetArgs), two));   // too many: the caller falls back
        Assert.Equal([1, 3], two.ToArray());

        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = 0;
        for (int i = 0; i < 1000; i++)
        {
            total += zmpop.GetKeyPositions(new CommandArgs(args), positions);
            total += mset.GetKeyPositions(new CommandArgs(msetArgs), positions);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(5000, total);
    }

    internal static ArgList Args(params string[] args)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(string.Concat(args));
        var list = new ArgList();
        list.Reset(bytes);
        int pos = 0;
        foreach (string a in args)
        {
            list.Add(pos, a.Length);
            pos += a.Length;
        }
        return list;
    }
}

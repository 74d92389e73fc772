using Tiered.Server.Tests.Infrastructure;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

/// <summary>
/// SORT and SORT_RO against redis-server 7.0.15's own replies (SortCorpus.Rules, hot and cold, RESP2 and
/// RESP3), plus what the rules cannot show: the STORE destination as a key, pattern keys read from the SSD, and
/// the stored list's independence from the values it copied.
/// </summary>
public sealed class SortCommandTests : ServerTestBase
{
    public static TheoryData<int> Protocols => new() { 2, 3 };

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task EverySortRuleRepliesAsRedisDoesWithTheKeysInDram(int protocol) => RuleReplay.InDram(SortCorpus.Rules, protocol);

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task EverySortRuleRepliesAsRedisDoesWithEveryKeyOnTheSsd(int protocol)
    {
        int coldReads = await RuleReplay.OnTheSsd(SortCorpus.Rules, protocol);
        Assert.True(coldReads >= 40, $"only {coldReads} steps read a cold key");
    }

    [Fact]
    public void TheStoreDestinationIsAKeyOfTheCommand()
    {
        using var c = Server.Raw();
        using var other = Server.Raw();
        c.Roundtrip(Arr("src", "dst"), "COMMAND", "GETKEYS", "SORT", "src", "BY", "w_*", "GET", "#", "STORE", "dst", "LIMIT", "0", "1");
        c.Roundtrip(Arr("src", "b"), "COMMAND", "GETKEYS", "SORT", "src", "store", "a", "store", "b");
        c.Roundtrip(Arr("src"), "COMMAND", "GETKEYS", "SORT", "src", "LIMIT", "0", "1", "STORE");
        c.Roundtrip(Arr("src"), "COMMAND", "GETKEYS", "SORT_RO", "src", "GET", "x");
        c.Roundtrip(Int(2), "RPUSH", "src", "2", "1");
        c.Roundtrip(Ok, "WATCH", "dst");
        other.Roundtrip(Int(2), "SORT", "src", "STORE", "dst");
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip("+QUEUED\r\n", "GET", "x");
        c.Roundtrip("*-1\r\n", "EXEC");
    }

    [Fact]
    public void AStoredListDoesNotShareTheValuesItCopied()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(1), "RPUSH", "src", "a");
        c.Roundtrip(Ok, "SET", "v_a", "value");
        c.Roundtrip(Int(1), "SORT", "src", "BY", "nosort", "GET", "v_*", "STORE", "dst");
        c.Roundtrip(":10\r\n", "APPEND", "v_a", "more!");
        c.Roundtrip(Arr("value"), "LRANGE", "dst", "0", "-1");
    }

    [Fact]
    public async Task PatternKeysOnTheSsdAreReadSynchronously()
    {
        await using var s = new ColdServer(1);
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        c.Roundtrip(Int(3), "RPUSH", "l", "a", "b", "c");
        c.Roundtrip(Ok, "MSET", "w_a", "3", "w_b", "1", "w_c", "2", "v_b", "B");
        c.Roundtrip(Int(2), "HSET", "h_c", "f", "C", "g", "0");
        Dictionary<string, string> before = ColdWait.WaitAllCold(info, "SORT");
        c.Roundtrip("*6\r\n$1\r\nB\r\n$-1\r\n$-1\r\n$1\r\nC\r\n$-1\r\n$-1\r\n", "SORT", "l", "BY", "w_*", "GET", "v_*", "GET", "h_*->f");
        Dictionary<string, string> after = ColdWait.Tiering(info);
        // The list is declared (prefetched); the three weights and the pattern values are not.
        Assert.True(ColdWait.Field(after, "tier_sync_reads") >= ColdWait.Field(before, "tier_sync_reads") + 4,
            $"sync reads {ColdWait.Field(before, "tier_sync_reads")} -> {ColdWait.Field(after, "tier_sync_reads")}");
    }

    [Fact]
    public void AHugeLimitIsClampedToTheCollection()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(3), "RPUSH", "l", "3", "1", "2");
        c.Roundtrip(Arr("2", "3"), "SORT", "l", "LIMIT", "1", "9223372036854775807");
        c.Roundtrip(Arr("1", "3"), "SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "9223372036854775807");
        c.Roundtrip("*0\r\n", "SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807");
        c.Roundtrip(Arr("1", "2", "3"), "SORT", "l", "LIMIT", "-9223372036854775808", "-5");
    }
}

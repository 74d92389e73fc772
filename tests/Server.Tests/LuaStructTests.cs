// The struct library of scripts against redis-server's own replies (LuaStructCorpus.cs, recorded from redis-server
// 7.0.15 by Corpus/lua-struct.py): every format letter, endianness and alignment, pack -> unpack round trips, the
// next position unpack returns, how unpacked numbers print, struct.size, and every error text, byte for byte in
// RESP2 and RESP3; then packed strings kept in keys, with the keys in DRAM and on the SSD.

using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class LuaStructTests
{
    public static TheoryData<int> Protocols => new() { 2, 3 };

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task EveryStructRuleRepliesAsRedisDoes(int protocol) => RuleReplay.InDram(LuaStructCorpus.Rules, protocol);

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task PackedStringsInKeysReadBackAsOnRedisWithTheKeysInDram(int protocol) => RuleReplay.InDram(LuaStructCorpus.KeyRules, protocol);

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task PackedStringsInKeysReadBackAsOnRedisWithEveryKeyOnTheSsd(int protocol)
    {
        int coldReads = await RuleReplay.OnTheSsd(LuaStructCorpus.KeyRules, protocol);
        Assert.True(coldReads >= 4, $"only {coldReads} steps read a cold key");
    }
}

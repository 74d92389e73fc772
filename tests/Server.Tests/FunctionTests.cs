// Redis 7 functions against redis-server's own replies (ScriptCorpus.FunctionRules, recorded from redis-server
// 7.0.15), FUNCTION DUMP payloads exchanged with redis-server, libraries kept across a restart, and a function's
// declared cold keys read before it runs.

using System.Text;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class FunctionTests
{
    public static TheoryData<int> Protocols => new() { 2, 3 };

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task EveryFunctionRuleRepliesAsRedisDoes(int protocol)
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        if (protocol == 3) Replies.Resp3(c);
        foreach (var step in ScriptCorpus.FunctionRules)
        {
            string expected = protocol == 2 ? step.Resp2 : step.Resp3;
            string reply = ColdWait.Run(c, step.Command);
            Assert.True(expected == reply, $"{string.Join(' ', step.Command)}\nexpected {expected}\nactual   {reply}");
        }
    }

    /// <summary>FUNCTION DUMP of redis-server 7.0.15 holding one library (its code LZF-compressed, as Redis writes it).</summary>
    private const string RedisPayload = "9cNAu0DNHSMhbHVhIG5hbWU9aW50ZXJvcApyZWRpcy5yZWdpcyAQCV9mdW5jdGlvbnvACABfYC0RJ2dyZWV0JywgY2FsbGJhY2s9wB8eKGtleXMsIGFyZ3MpIHJldHVybiAnaGVsbG8gJyAuLmAYH1sxXSBlbmQsIGZsYWdzPXsnbm8td3JpdGVzJ30sIGRlBHNjcmlwQHUGPSdzYXlzIIA+EXRvIHdob2V2ZXIgYXNrcyBmbyAIACBgiARpbmcnfQoAMapzyqZ3Ek8=";

    private static void Send(RawClient c, string command, string sub, byte[] payload, params string[] rest)
        => c.Command([Encoding.ASCII.GetBytes(command), Encoding.ASCII.GetBytes(sub), payload, .. rest.Select(Encoding.ASCII.GetBytes)]);

    [Fact]
    public async Task APayloadRedisDumpedRestoresAndItsFunctionsRun()
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        Send(c, "FUNCTION", "RESTORE", Convert.FromBase64String(RedisPayload));
        c.Expect(Replies.Ok);
        c.Roundtrip("$9\r\nhello you\r\n", "FCALL_RO", "greet", "0", "you");
        c.Command("FUNCTION", "LIST", "WITHCODE");
        string list = c.ReadReply();
        Assert.Contains("$41\r\nsays hello to whoever asks for a greeting\r\n", list);
        Assert.Contains("+no-writes\r\n", list);
        Assert.Contains("#!lua name=interop\nredis.register_function{function_name='greet'", list);

        // Tiered's own payload is redis-server's and restores too, and a damaged one is refused as Redis refuses it.
        c.Command("FUNCTION", "DUMP");
        byte[] payload = c.ReadBulkBytes()!;
        Assert.Equal(Convert.FromBase64String(RedisPayload), payload);   // LZF as Redis compresses: the same bytes
        Send(c, "FUNCTION", "RESTORE", payload);
        c.Expect("-ERR Library interop already exists\r\n");
        Send(c, "FUNCTION", "RESTORE", payload, "FLUSH");
        c.Expect(Replies.Ok);
        c.Roundtrip("$11\r\nhello again\r\n", "FCALL", "greet", "0", "again");
        payload[5] ^= 1;
        Send(c, "FUNCTION", "RESTORE", payload, "REPLACE");
        c.Expect("-ERR DUMP payload version or checksum are wrong\r\n");
    }

    [Fact]
    public async Task FunctionLibrariesAreKeptAcrossARestart()
    {
        string dir = Directory.CreateTempSubdirectory("tiered-functions-").FullName;
        try
        {
            TestServer Start() => new((_, e) =>
            {
                e.SsdPath = dir;
                e.Durability.Dir = dir;
            });
            const string Library = "#!lua name=counters\nredis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)";
            await using (TestServer s = Start())
            {
                await s.Server.Ready;
                using RawClient c = s.Raw();
                c.Roundtrip("$8\r\ncounters\r\n", "FUNCTION", "LOAD", Library);
                c.Roundtrip(":5\r\n", "FCALL", "bump", "1", "n", "5");
                c.Roundtrip("$4\r\nsolo\r\n", "FUNCTION", "LOAD", "#!lua name=solo\nredis.register_function('one', function() return 1 end)");
            }
            await using (TestServer s = Start())
            {
                await s.Server.Ready;
                using RawClient c = s.Raw();
                c.Roundtrip(":7\r\n", "FCALL", "bump", "1", "n", "2");
                c.Roundtrip(":1\r\n", "FCALL", "one", "0");
                c.Roundtrip(Replies.Ok, "FUNCTION", "DELETE", "solo");
            }
            await using (TestServer s = Start())
            {
                await s.Server.Ready;
                using RawClient c = s.Raw();
                c.Roundtrip("-ERR Function not found\r\n", "FCALL", "one", "0");
                c.Roundtrip(":8\r\n", "FCALL", "bump", "1", "n", "1");
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task AFunctionsDeclaredColdKeysAreReadBeforeItRuns()
    {
        await using var s = new ColdServer(1);
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        c.Roundtrip("$3\r\nlib\r\n", "FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('both', function(keys) return redis.call('get', keys[1]) .. redis.call('get', keys[2]) end)");
        c.Roundtrip(Replies.Ok, "MSET", "left", "cold-", "right", "keys");
        Dictionary<string, string> before = ColdWait.WaitAllCold(info, "FCALL");
        c.Roundtrip("$9\r\ncold-keys\r\n", "FCALL", "both", "2", "left", "right");
        Dictionary<string, string> after = ColdWait.Tiering(info);
        Assert.True(ColdWait.Field(after, "tier_ssd_read_items") >= ColdWait.Field(before, "tier_ssd_read_items") + 2);
        Assert.Equal(ColdWait.Field(before, "tier_sync_reads"), ColdWait.Field(after, "tier_sync_reads"));
    }
}

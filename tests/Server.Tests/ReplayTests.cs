using StackExchange.Redis;
using System.Text;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;

namespace Tiered.Server.Tests;

/// <summary>
/// Writes whose second run could differ from their first (a random choice, the clock, a generated ID, a blocked
/// client served later) come back from a restart exactly as they were: the log holds what each one did. The first
/// server runs 10 s behind the real clock, so anything replayed by running the command again at restart time (a
/// relative TTL, an <c>XADD *</c> ID, a claim's delivery) would land on other values than the ones read before.
/// </summary>
public sealed class ReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tiered-replay-").FullName;

    private TestServer Start() => new((_, e) =>
    {
        e.SsdPath = _dir;
        e.Durability.Dir = _dir;
        e.Durability.AppendFsync = "always";
    });

    private static readonly string[] Keys =
    [
        "set", "set2", "ttl:ex", "ttl:px", "ttl:getex", "ttl:setex", "ttl:list", "ttl:keep", "float", "hash", "zset",
        "stream", "capped", "list", "list2", "moved", "zpop", "mpop",
    ];

    [Fact]
    public async Task RandomClockAndBlockingWritesReplayToTheSameDataAfterRestart()
    {
        string before;
        await using (TestServer s = Start())
        {
            await s.Server.Ready;
            lock (s.Server.Store.Lock) s.Server.Store.Clock.OffsetMs -= 10_000;
            using ConnectionMultiplexer m = await s.ConnectAsync();
            IDatabase db = m.GetDatabase();
            await WriteAsync(s, db);
            before = await DumpAsync(db);
        }
        await using (TestServer s = Start())
        {
            await s.Server.Ready;
            using ConnectionMultiplexer m = await s.ConnectAsync();
            Assert.Equal(before, await DumpAsync(m.GetDatabase()));
        }
        // The writes did what they were meant to, so the comparison above compared something.
        foreach (string line in before.Split('\n'))
        {
            if (line.StartsWith("ttl:", StringComparison.Ordinal)) Assert.DoesNotContain("pexpiretime=-", line);   // has a TTL
            if (line.StartsWith("stream ", StringComparison.Ordinal)) Assert.Contains("pending=", line);
            if (line.StartsWith("capped ", StringComparison.Ordinal))
                Assert.Contains("last-generated-id=99999999999999-7 max-deleted-entry-id=5-0 entries-added=1000", line);   // XSETID's
        }
        // What the blocked clients and the pops took: BLPOP p1 and LMPOP p2; BLMOVE q1; BLMPOP r3, r2; BZPOPMIN z1.
        Assert.Contains("list list pexpiretime=-1: [p3]", before);
        Assert.Contains("list2 list pexpiretime=-1: [x y q1]", before);
        Assert.Contains("moved list pexpiretime=-1: [q2]", before);
        Assert.Contains("mpop list pexpiretime=-1: [r1]", before);
        Assert.Contains("zpop zset pexpiretime=-1: [z2 2]", before);
    }

    private static async Task WriteAsync(TestServer s, IDatabase db)
    {
        for (int i = 0; i < 40; i++) await db.SetAddAsync("set", "m" + i);
        await db.ExecuteAsync("SPOP", "set");
        await db.ExecuteAsync("SPOP", "set", "5");
        await db.ExecuteAsync("SMOVE", "set", "set2", (await db.SetRandomMemberAsync("set")).ToString());
        await db.ExecuteAsync("SET", "ttl:ex", "v", "EX", "3600");
        await db.ExecuteAsync("SET", "ttl:px", "v", "PX", "3600000");
        await db.ExecuteAsync("SET", "ttl:getex", "v");
        await db.ExecuteAsync("GETEX", "ttl:getex", "EX", "7200");
        await db.ExecuteAsync("SETEX", "ttl:setex", "900", "v");
        await db.ListRightPushAsync("ttl:list", ["a", "b", "c"]);
        await db.ExecuteAsync("EXPIRE", "ttl:list", "5000");
        await db.ExecuteAsync("RPUSH", "ttl:list", "d");
        await db.ExecuteAsync("SET", "ttl:keep", "v", "EX", "600");
        await db.ExecuteAsync("SET", "ttl:keep", "w", "KEEPTTL");
        await db.ExecuteAsync("SET", "float", "10.5");
        await db.ExecuteAsync("INCRBYFLOAT", "float", "0.1");
        await db.ExecuteAsync("HSET", "hash", "f", "1.5");
        await db.ExecuteAsync("HINCRBYFLOAT", "hash", "f", "2.25");
        await db.ExecuteAsync("HINCRBYFLOAT", "hash", "g", "0.1");
        await db.ExecuteAsync("ZADD", "zset", "1", "a");
        await db.ExecuteAsync("ZINCRBY", "zset", "0.1", "a");
        for (int i = 0; i < 30; i++) await db.ExecuteAsync("XADD", "stream", "*", "n", i.ToString());
        for (int i = 0; i < 300; i++) await db.ExecuteAsync("XADD", "capped", "MAXLEN", "~", "50", "*", "n", i.ToString());
        await db.ExecuteAsync("XSETID", "capped", "99999999999999-7", "ENTRIESADDED", "1000", "MAXDELETEDID", "5-0");
        await db.ExecuteAsync("XGROUP", "CREATE", "stream", "g", "0");
        await db.ExecuteAsync("XREADGROUP", "GROUP", "g", "alice", "COUNT", "10", "STREAMS", "stream", ">");
        RedisResult pending = await db.ExecuteAsync("XPENDING", "stream", "g", "-", "+", "3");
        await db.ExecuteAsync("XCLAIM", "stream", "g", "bob", "0", ((RedisResult[])pending[0]!)[0].ToString());
        await db.ExecuteAsync("XAUTOCLAIM", "stream", "g", "carol", "0", "0-0", "COUNT", "2");
        await db.ExecuteAsync("XACK", "stream", "g", ((RedisResult[])pending[2]!)[0].ToString());

        // Blocked clients, served by later writes: what they popped is gone after the restart too.
        await db.ListRightPushAsync("list2", ["x", "y"]);
        await ServeBlockedAsync(s, db, ["BLPOP", "list", "0"], () => db.ListRightPushAsync("list", ["p1", "p2", "p3"]));
        await ServeBlockedAsync(s, db, ["BLMOVE", "moved", "list2", "LEFT", "RIGHT", "0"], () => db.ListRightPushAsync("moved", ["q1", "q2"]));
        await ServeBlockedAsync(s, db, ["BZPOPMIN", "zpop", "0"], () => db.SortedSetAddAsync("zpop", [new("z1", 1), new("z2", 2)]));
        await ServeBlockedAsync(s, db, ["BLMPOP", "0", "1", "mpop", "RIGHT", "COUNT", "2"], () => db.ListRightPushAsync("mpop", ["r1", "r2", "r3"]));
        await db.ExecuteAsync("LMPOP", "2", "nothing", "list", "LEFT");
        await db.ExecuteAsync("ZMPOP", "1", "zset", "MAX");
    }

    private static async Task ServeBlockedAsync(TestServer s, IDatabase db, string[] blocking, Func<Task> write)
    {
        using RawClient c = s.Raw();
        c.Command(blocking);
        await s.WaitBlocked(1);
        await write();
        string reply = c.ReadReply();
        Assert.DoesNotContain("-1", reply);   // served (an array or a bulk string), not a nil
        await db.PingAsync();
    }

    /// <summary>Every key's type, absolute expiry and content, in a canonical text form.</summary>
    private static async Task<string> DumpAsync(IDatabase db)
    {
        var sb = new StringBuilder();
        foreach (string key in Keys)
        {
            string type = (await db.ExecuteAsync("TYPE", key)).ToString();
            sb.Append(key).Append(' ').Append(type).Append(" pexpiretime=").Append(await db.ExecuteAsync("PEXPIRETIME", key)).Append(": ");
            switch (type)
            {
                case "string": sb.Append(await db.StringGetAsync(key)); break;
                case "list": sb.Append(Text(await db.ExecuteAsync("LRANGE", key, "0", "-1"))); break;
                case "set": sb.Append(string.Join(",", (await db.SetMembersAsync(key)).Select(v => v.ToString()).Order(StringComparer.Ordinal))); break;
                case "zset": sb.Append(Text(await db.ExecuteAsync("ZRANGE", key, "0", "-1", "WITHSCORES"))); break;
                case "hash": sb.Append(string.Join(",", (await db.HashGetAllAsync(key)).Select(e => e.Name + "=" + e.Value).Order(StringComparer.Ordinal))); break;
                case "stream":
                    sb.Append(Text(await db.ExecuteAsync("XRANGE", key, "-", "+")));
                    sb.Append(" groups=").Append(Text(await db.ExecuteAsync("XINFO", "GROUPS", key)));
                    var info = (RedisResult[])(await db.ExecuteAsync("XINFO", "STREAM", key))!;
                    for (int i = 0; i + 1 < info.Length; i += 2)
                        if (info[i].ToString() is "last-generated-id" or "max-deleted-entry-id" or "entries-added")
                            sb.Append(' ').Append(info[i]).Append('=').Append(info[i + 1]);
                    if (key == "stream")
                    {
                        // Pending entries without their idle time (which runs on): id, consumer, deliveries.
                        foreach (RedisResult p in (RedisResult[])(await db.ExecuteAsync("XPENDING", key, "g", "-", "+", "100"))!)
                        {
                            var f = (RedisResult[])p!;
                            sb.Append(" pending=").Append(f[0]).Append('/').Append(f[1]).Append('/').Append(f[3]);
                        }
                    }
                    break;
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string Text(RedisResult r) => r.Resp2Type == ResultType.Array
        ? "[" + string.Join(" ", ((RedisResult[])r!).Select(Text)) + "]"
        : r.IsNull ? "nil" : r.ToString();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

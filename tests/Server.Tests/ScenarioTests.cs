// Issue 6's workload scenarios, run with StackExchange.Redis against a server whose maxmemory is a small fraction of
// the dataset (>= 10x smaller), so the background demoter keeps >= 90% of the keys on the SSD tier.
//
// Why this shape. Each scenario is a real usage pattern split into phases; between phases the test waits until INFO
// tiering says at least 90% of the keys are cold, so the next phase's commands find their keys on the SSD: writes to
// cold keys (ZADD, HINCRBY, SET NX, INCR in MULTI, XREADGROUP, XAUTOCLAIM) and reads (tier_cold_hits). The results are
// asserted exactly against a model kept by the test, and the read phase asserts the cold tier answered: cold hits
// grew by at least the keys read minus the keys that were hot when the phase began.

using StackExchange.Redis;
using Xunit.Abstractions;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class ScenarioTests(ITestOutputHelper output)
{
    private static string Pad(int n, int seed)
    {
        var chars = new char[n];
        for (int i = 0; i < n; i++) chars[i] = (char)('a' + (seed * 31 + i * 7) % 26);
        return new string(chars);
    }

    [Fact]
    public async Task TimelineKeepsTheNewest1000PostsPerUserWhileTimelinesAreCold()
    {
        await using ColdServer s = await new ColdServer(256 * 1024, output).ConnectAsync();
        IDatabase db = s.Db;
        const int Users = 2000, Celebrities = 4, Keep = 1000;
        string pad = Pad(48, 1);
        var posts = new List<string>[Users];
        for (int u = 0; u < Users; u++) posts[u] = [];
        long seq = 0;

        for (int round = 0; round < 2; round++)
        {
            var removed = new Task<long>[Users];
            await ColdServer.Pipeline(Users, u =>
            {
                int n = u < Celebrities ? 700 : 8;
                var entries = new SortedSetEntry[n];
                for (int k = 0; k < n; k++)
                {
                    long id = ++seq;
                    string member = $"post:{id:D8}:{pad}";
                    posts[u].Add(member);
                    entries[k] = new SortedSetEntry(member, id);
                }
                string key = "timeline:" + u;
                _ = db.SortedSetAddAsync(key, entries);
                removed[u] = db.SortedSetRemoveRangeByRankAsync(key, 0, -(Keep + 1));
                return db.KeyExpireAsync(key, TimeSpan.FromDays(1));
            });
            var removedR = await Task.WhenAll(removed);
            for (int u = 0; u < Users; u++)
                Assert.Equal(u < Celebrities && round == 1 ? 400 : 0, removedR[u]);
            await s.WaitColdAsync($"timeline after posting round {round}");
        }

        TierSnapshot before = await s.WaitColdAsync("timeline before reads");
        var newest = new Task<RedisValue[]>[Users];
        var cards = new Task<long>[Users];
        var ttls = new Task<TimeSpan?>[Users];
        var oldest = new Task<RedisValue[]>[Users];
        await ColdServer.Pipeline(Users, u =>
        {
            string key = "timeline:" + u;
            newest[u] = db.SortedSetRangeByRankAsync(key, 0, 9, Order.Descending);
            oldest[u] = db.SortedSetRangeByRankAsync(key, 0, 0);
            cards[u] = db.SortedSetLengthAsync(key);
            return ttls[u] = db.KeyTimeToLiveAsync(key);
        });
        TierSnapshot after = await s.TierAsync();
        var newestR = await Task.WhenAll(newest);
        var cardsR = await Task.WhenAll(cards);
        var oldestR = await Task.WhenAll(oldest);
        var ttlsR = await Task.WhenAll(ttls);
        for (int u = 0; u < Users; u++)
        {
            List<string> all = posts[u];
            string[] expected = [.. Enumerable.Range(0, 10).Select(k => all[all.Count - 1 - k])];
            Assert.Equal(expected, newestR[u].Select(v => (string)v!));
            Assert.Equal(Math.Min(all.Count, Keep), cardsR[u]);
            Assert.Equal(all[Math.Max(0, all.Count - Keep)], (string?)Assert.Single(oldestR[u]));
            Assert.InRange(ttlsR[u]!.Value, TimeSpan.FromDays(1) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(1));
        }
        ColdServer.AssertColdServed(before, after, Users);

        // A day later every timeline has expired, cold or not.
        s.AdvanceClock((long)TimeSpan.FromDays(1).TotalMilliseconds + 1000);
        var exists = new Task<bool>[Users];
        await ColdServer.Pipeline(Users, u => exists[u] = db.KeyExistsAsync("timeline:" + u));
        Assert.All(await Task.WhenAll(exists), e => Assert.False(e));
        Assert.Equal(0, await s.Admin.DatabaseSizeAsync());
    }

    [Fact]
    public async Task TrendingCountsUniqueUsersMentionsAndTheTop10WhileTagsAreCold()
    {
        await using ColdServer s = await new ColdServer(256 * 1024, output).ConnectAsync();
        IDatabase db = s.Db;
        const int Tags = 1000, Shards = 20;
        static string Tag(int t) => $"#tag{t:D4}";
        static int Mentions(int t) => t < 12 ? 30 + 2 * t : 1 + t * 7919 % 20;
        static string User(int t, int j) => $"user:{(t * 31 + j * 17) % 5000}";

        // Phase 1: the first half of each tag's mentions, each by a different user; the tag's description is set once.
        // Phase 2: the rest, plus one repeat mention by the first user (a mention, but not a new unique user).
        for (int phase = 0; phase < 2; phase++)
        {
            var repeated = new Task<bool>[Tags];
            await ColdServer.Pipeline(Tags, t =>
            {
                string tag = Tag(t);
                int m = Mentions(t);
                int from = phase == 0 ? 0 : m / 2, to = phase == 0 ? m / 2 : m;
                Task last = Task.CompletedTask;
                if (phase == 0) last = db.HashSetAsync("tag:" + tag, "desc", Pad(2500, t));
                for (int j = from; j < to; j++)
                {
                    _ = db.HyperLogLogAddAsync("hll:" + tag, User(t, j));
                    _ = db.HashIncrementAsync("tag:" + tag, "mentions");
                    last = db.SortedSetIncrementAsync($"trending:{t % Shards}", tag, 1);
                }
                if (phase == 1)
                {
                    repeated[t] = db.HyperLogLogAddAsync("hll:" + tag, User(t, 0));
                    _ = db.HashIncrementAsync("tag:" + tag, "mentions");
                    last = db.SortedSetIncrementAsync($"trending:{t % Shards}", tag, 1);
                }
                return last;
            }, window: 100);
            if (phase == 1) Assert.All(await Task.WhenAll(repeated), r => Assert.False(r));   // the register already held it
            await s.WaitColdAsync($"trending after phase {phase}");
        }

        TierSnapshot before = await s.WaitColdAsync("trending before reads");
        var mentions = new Task<RedisValue>[Tags];
        var descLength = new Task<long>[Tags];
        var unique = new Task<long>[Tags];
        await ColdServer.Pipeline(Tags, t =>
        {
            mentions[t] = db.HashGetAsync("tag:" + Tag(t), "mentions");
            descLength[t] = db.HashStringLengthAsync("tag:" + Tag(t), "desc");
            return unique[t] = db.HyperLogLogLengthAsync("hll:" + Tag(t));
        });
        TierSnapshot after = await s.TierAsync();
        var mentionsR = await Task.WhenAll(mentions);
        var descLengthR = await Task.WhenAll(descLength);
        var uniqueR = await Task.WhenAll(unique);
        for (int t = 0; t < Tags; t++)
        {
            Assert.Equal(Mentions(t) + 1, (long)mentionsR[t]);
            Assert.Equal(2500, descLengthR[t]);
            // HyperLogLog estimates; with 16384 registers and at most 52 elements it is off by at most one.
            Assert.InRange(uniqueR[t], Mentions(t) - 1, Mentions(t) + 1);
        }
        ColdServer.AssertColdServed(before, after, Tags);
        Assert.Equal(Pad(2500, 7), (string?)await db.HashGetAsync("tag:" + Tag(7), "desc"));

        // Unique users of two tags together (PFCOUNT of several cold keys).
        var union = new HashSet<string>();
        for (int j = 0; j < Mentions(2); j++) union.Add(User(2, j));
        for (int j = 0; j < Mentions(3); j++) union.Add(User(3, j));
        Assert.InRange(await db.HyperLogLogLengthAsync(["hll:" + Tag(2), "hll:" + Tag(3)]), union.Count - 1, union.Count + 1);

        // Top 10: the shards merged, then ZREVRANGE; tags 11 down to 2 have 2t+31 mentions, all others at most 31.
        RedisKey[] shards = [.. Enumerable.Range(0, Shards).Select(i => (RedisKey)$"trending:{i}")];
        Assert.Equal(Tags, await db.SortedSetCombineAndStoreAsync(SetOperation.Union, "trending:all", shards));
        await s.WaitColdAsync("trending after ZUNIONSTORE");
        SortedSetEntry[] top = await db.SortedSetRangeByRankWithScoresAsync("trending:all", 0, 9, Order.Descending);
        Assert.Equal(Enumerable.Range(2, 10).Reverse().Select(t => (Tag(t), (double)Mentions(t) + 1)),
            top.Select(e => ((string)e.Element!, e.Score)));
        Assert.Equal<double?>(Mentions(5) + 1, await db.SortedSetScoreAsync($"trending:{5 % Shards}", Tag(5)));
    }

    [Fact]
    public async Task CacheAsideWithSetexServesColdHitsReloadsInvalidatedAndExpiredEntries()
    {
        await using ColdServer s = await new ColdServer(256 * 1024, output).ConnectAsync();
        IDatabase db = s.Db;
        const int Users = 5000;
        var version = new int[Users];
        int loads = 0;
        string Profile(int id) => $"{{\"id\":{id},\"v\":{version[id]},\"bio\":\"{Pad(1000, id + version[id])}\"}}";
        static int Ttl(int id) => id % 2 == 0 ? 60 : 600;

        async Task<string> GetProfile(int id)
        {
            string key = "user:" + id;
            RedisValue cached = await db.StringGetAsync(key);
            if (cached.HasValue) return cached!;
            Interlocked.Increment(ref loads);
            string fresh = Profile(id);
            Assert.Equal("OK", (string?)await db.ExecuteAsync("SETEX", key, Ttl(id), fresh));
            return fresh;
        }

        async Task ReadAll(string phase, int expectedLoads)
        {
            var got = new Task<string>[Users];
            await ColdServer.Pipeline(Users, id => got[id] = GetProfile(id), window: 200);
            var gotR = await Task.WhenAll(got);
            for (int id = 0; id < Users; id++) Assert.Equal(Profile(id), gotR[id]);
            Assert.True(expectedLoads == loads, $"{phase}: {loads} loads, expected {expectedLoads}");
        }

        await ReadAll("cold start", Users);
        TierSnapshot before = await s.WaitColdAsync("cache-aside after fill");
        await ReadAll("all cached", Users);
        ColdServer.AssertColdServed(before, await s.TierAsync(), Users);

        // Invalidation: the source changes and the cache entry is deleted; only those are loaded again.
        await s.WaitColdAsync("cache-aside before invalidation");
        var deleted = new Task<bool>[Users / 10];
        await ColdServer.Pipeline(Users / 10, k =>
        {
            version[k * 10]++;
            return deleted[k] = db.KeyDeleteAsync("user:" + k * 10);
        });
        Assert.All(await Task.WhenAll(deleted), d => Assert.True(d));
        await ReadAll("after invalidation", Users + Users / 10);

        // 61 s later the 60 s entries (even ids) have expired on the SSD tier; the 600 s ones are still served.
        await s.WaitColdAsync("cache-aside before expiry");
        s.AdvanceClock(61_000);
        await ReadAll("after expiry", Users + Users / 10 + Users / 2);
        Assert.Equal(Users, await s.Admin.DatabaseSizeAsync());
    }

    [Fact]
    public async Task StampedeLockAdmitsOneOwnerReleasesOnlyByOwnerAndExpiresWhileCold()
    {
        await using ColdServer s = await new ColdServer(32 * 1024, output).ConnectAsync();
        IDatabase db = s.Db;
        const int Resources = 2000;
        static string Report(int r, string by) => $"report {r} by {by}: {Pad(2000, r)}";
        // A's lease is 30 s, B's 120 s.
        Task<bool> TryLock(int r, string owner)
            => db.StringSetAsync("lock:" + r, owner + r, TimeSpan.FromSeconds(owner == "A" ? 30 : 120), When.NotExists);

        Task<bool> Release(int r, string owner)
        {
            ITransaction tx = db.CreateTransaction();
            tx.AddCondition(Condition.StringEqual("lock:" + r, owner + r));   // WATCH + GET: delete only our own lock
            _ = tx.KeyDeleteAsync("lock:" + r);
            return tx.ExecuteAsync();
        }

        async Task<bool[]> ForAll(Func<int, Task<bool>> op)
        {
            var results = new Task<bool>[Resources];
            await ColdServer.Pipeline(Resources, r => results[r] = op(r));
            return await Task.WhenAll(results);
        }

        // Worker A wins every lock; B is refused. A writes the reports (the expensive recompute).
        Assert.All(await ForAll(r => TryLock(r, "A")), b => Assert.True(b));
        Assert.All(await ForAll(r => TryLock(r, "B")), b => Assert.False(b));
        Assert.All(await ForAll(r => db.StringSetAsync("report:" + r, Report(r, "A"))), b => Assert.True(b));
        await s.WaitColdAsync("stampede after A locked");

        // The locks are cold now: B is still refused, and cannot delete A's locks.
        Assert.All(await ForAll(r => TryLock(r, "B")), b => Assert.False(b));
        await s.WaitColdAsync("stampede after B retried");
        Assert.All(await ForAll(r => Release(r, "B")), b => Assert.False(b));
        await s.WaitColdAsync("stampede after B's release attempts");
        // A releases the even locks and dies holding the odd ones.
        bool[] released = await ForAll(r => r % 2 == 0 ? Release(r, "A") : Task.FromResult(false));
        for (int r = 0; r < Resources; r++) Assert.Equal(r % 2 == 0, released[r]);
        await s.WaitColdAsync("stampede after A released");

        // B gets the released locks at once and the odd ones only after A's lease ran out.
        bool[] got = await ForAll(r => TryLock(r, "B"));
        for (int r = 0; r < Resources; r++) Assert.Equal(r % 2 == 0, got[r]);
        await s.WaitColdAsync("stampede before lease expiry");
        s.AdvanceClock(31_000);
        got = await ForAll(r => TryLock(r, "B"));
        for (int r = 0; r < Resources; r++) Assert.Equal(r % 2 == 1, got[r]);
        Assert.All(await ForAll(r => r % 2 == 1 ? db.StringSetAsync("report:" + r, Report(r, "B")) : Task.FromResult(true)), b => Assert.True(b));

        TierSnapshot before = await s.WaitColdAsync("stampede before reads");
        var locks = new Task<RedisValue>[Resources];
        var reports = new Task<RedisValue>[Resources];
        await ColdServer.Pipeline(Resources, r =>
        {
            locks[r] = db.StringGetAsync("lock:" + r);
            return reports[r] = db.StringGetAsync("report:" + r);
        });
        TierSnapshot after = await s.TierAsync();
        var locksR = await Task.WhenAll(locks);
        var reportsR = await Task.WhenAll(reports);
        for (int r = 0; r < Resources; r++)
        {
            Assert.Equal("B" + r, (string?)locksR[r]);
            Assert.Equal(Report(r, r % 2 == 0 ? "A" : "B"), (string?)reportsR[r]);
        }
        ColdServer.AssertColdServed(before, after, 2 * Resources);
    }

    [Fact]
    public async Task StreamConsumerGroupRecoversADeadConsumersMessagesWithXautoclaimWhileStreamsAreCold()
    {
        await using ColdServer s = await new ColdServer(256 * 1024, output).ConnectAsync();
        IDatabase db = s.Db;
        const int Streams = 2000, Entries = 10;
        static string Payload(int i, int k) => Pad(200, i * Entries + k);

        var created = new Task<bool>[Streams];
        await ColdServer.Pipeline(Streams, i =>
        {
            string key = "events:" + i;
            created[i] = db.StreamCreateConsumerGroupAsync(key, "workers", StreamPosition.NewMessages, createStream: true);
            Task last = Task.CompletedTask;
            for (int k = 1; k <= Entries; k++)
                last = db.StreamAddAsync(key, [new NameValueEntry("n", k), new NameValueEntry("payload", Payload(i, k))], $"{k}-0");
            return last;
        });
        Assert.All(await Task.WhenAll(created), c => Assert.True(c));
        await s.WaitColdAsync("streams after XADD");

        // alice takes 6 messages, bob the other 4; bob acknowledges his, alice only her first two, then dies.
        var alice = new Task<StreamEntry[]>[Streams];
        var bob = new Task<StreamEntry[]>[Streams];
        var acks = new Task<long>[Streams];
        await ColdServer.Pipeline(Streams, i =>
        {
            string key = "events:" + i;
            alice[i] = db.StreamReadGroupAsync(key, "workers", "alice", StreamPosition.NewMessages, count: 6);
            return bob[i] = db.StreamReadGroupAsync(key, "workers", "bob", StreamPosition.NewMessages, count: 10);
        });
        var aliceR = await Task.WhenAll(alice);
        var bobR = await Task.WhenAll(bob);
        for (int i = 0; i < Streams; i++)
        {
            Assert.Equal(["1-0", "2-0", "3-0", "4-0", "5-0", "6-0"], aliceR[i].Select(e => (string)e.Id!));
            Assert.Equal(["7-0", "8-0", "9-0", "10-0"], bobR[i].Select(e => (string)e.Id!));
            Assert.Equal(Payload(i, 7), (string?)bobR[i][0]["payload"]);
        }
        await s.WaitColdAsync("streams after XREADGROUP");
        await ColdServer.Pipeline(Streams, i =>
        {
            string key = "events:" + i;
            _ = db.StreamAcknowledgeAsync(key, "workers", ["7-0", "8-0", "9-0", "10-0"]);
            return acks[i] = db.StreamAcknowledgeAsync(key, "workers", ["1-0", "2-0"]);
        });
        Assert.All(await Task.WhenAll(acks), a => Assert.Equal(2, a));
        await s.WaitColdAsync("streams after XACK");

        // Too early to claim; a minute later bob claims alice's four pending messages.
        StreamAutoClaimResult early = await db.StreamAutoClaimAsync("events:0", "workers", "bob", 60_000, "0-0", 10);
        Assert.Empty(early.ClaimedEntries);
        s.AdvanceClock(61_000);
        var claims = new Task<StreamAutoClaimResult>[Streams];
        await ColdServer.Pipeline(Streams, i => claims[i] = db.StreamAutoClaimAsync("events:" + i, "workers", "bob", 60_000, "0-0", 10));
        var claimsR = await Task.WhenAll(claims);
        for (int i = 0; i < Streams; i++)
        {
            StreamAutoClaimResult c = claimsR[i];
            Assert.Equal(["3-0", "4-0", "5-0", "6-0"], c.ClaimedEntries.Select(e => (string)e.Id!));
            Assert.Equal([Payload(i, 3), Payload(i, 4), Payload(i, 5), Payload(i, 6)], c.ClaimedEntries.Select(e => (string)e["payload"]!));
            Assert.Equal("0-0", (string?)c.NextStartId);
            Assert.Empty(c.DeletedIds);
        }
        await s.WaitColdAsync("streams after XAUTOCLAIM");
        StreamPendingMessageInfo[] rows = await db.StreamPendingMessagesAsync("events:1", "workers", 10, RedisValue.Null);
        Assert.Equal(["3-0", "4-0", "5-0", "6-0"], rows.Select(r => (string)r.MessageId!));
        Assert.All(rows, r => Assert.Equal("bob", (string?)r.ConsumerName));
        Assert.All(rows, r => Assert.Equal(2, r.DeliveryCount));
        await s.WaitColdAsync("streams after XPENDING");
        await ColdServer.Pipeline(Streams, i => acks[i] = db.StreamAcknowledgeAsync("events:" + i, "workers", ["3-0", "4-0", "5-0", "6-0"]));
        Assert.All(await Task.WhenAll(acks), a => Assert.Equal(4, a));

        TierSnapshot before = await s.WaitColdAsync("streams before reads");
        var entries = new Task<StreamEntry[]>[Streams];
        var pending = new Task<StreamPendingInfo>[Streams];
        await ColdServer.Pipeline(Streams, i =>
        {
            entries[i] = db.StreamRangeAsync("events:" + i);
            return pending[i] = db.StreamPendingAsync("events:" + i, "workers");
        });
        TierSnapshot after = await s.TierAsync();
        var entriesR = await Task.WhenAll(entries);
        var pendingR = await Task.WhenAll(pending);
        for (int i = 0; i < Streams; i++)
        {
            StreamEntry[] e = entriesR[i];
            Assert.Equal(Entries, e.Length);
            for (int k = 1; k <= Entries; k++)
            {
                Assert.Equal($"{k}-0", (string?)e[k - 1].Id);
                Assert.Equal(k, (int)e[k - 1]["n"]);
                Assert.Equal(Payload(i, k), (string?)e[k - 1]["payload"]);
            }
            Assert.Equal(0, pendingR[i].PendingMessageCount);
        }
        ColdServer.AssertColdServed(before, after, Streams);
        StreamGroupInfo group = Assert.Single(await db.StreamGroupInfoAsync("events:9"));
        Assert.Equal("10-0", group.LastDeliveredId);
        Assert.Equal(2, group.ConsumerCount);
        Assert.Equal(0, group.PendingMessageCount);
    }

    [Fact]
    public async Task MultiRateLimiterCountsEveryRequestAcrossColdCountersAndResetsAfterTheWindow()
    {
        await using ColdServer s = await new ColdServer(32 * 1024, output).ConnectAsync();
        IDatabase db = s.Db;
        const int Users = 5000, Limit = 5;
        static int Requests(int u) => 1 + u * 7 % 8;   // 1..8
        var allowed = new int[Users];

        async Task<long> Request(int u)
        {
            ITransaction tx = db.CreateTransaction();
            Task<long> count = tx.StringIncrementAsync("rate:" + u);
            _ = tx.KeyExpireAsync("rate:" + u, TimeSpan.FromSeconds(60));
            Assert.True(await tx.ExecuteAsync());
            long n = await count;
            if (n <= Limit) Interlocked.Increment(ref allowed[u]);
            return n;
        }

        // Requests 1..3 of each user, then (their counters cold) the rest.
        for (int phase = 0; phase < 2; phase++)
        {
            var counts = new Task<long>[Users];
            int from = phase == 0 ? 0 : 3;
            await ColdServer.Pipeline(Users, u =>
            {
                Task<long> last = Task.FromResult((long)from);
                for (int k = from; k < (phase == 0 ? Math.Min(3, Requests(u)) : Requests(u)); k++) last = Request(u);
                return counts[u] = last;
            }, window: 200);
            var countsR = await Task.WhenAll(counts);
            for (int u = 0; u < Users; u++) Assert.Equal(phase == 0 ? Math.Min(3, Requests(u)) : Math.Max(3, Requests(u)), countsR[u]);
            await s.WaitColdAsync($"rate limiter after phase {phase}");
        }
        for (int u = 0; u < Users; u++) Assert.Equal(Math.Min(Limit, Requests(u)), allowed[u]);

        TierSnapshot before = await s.WaitColdAsync("rate limiter before reads");
        var values = new Task<RedisValue>[Users];
        var ttls = new Task<TimeSpan?>[Users];
        await ColdServer.Pipeline(Users, u =>
        {
            values[u] = db.StringGetAsync("rate:" + u);
            return ttls[u] = db.KeyTimeToLiveAsync("rate:" + u);
        });
        TierSnapshot after = await s.TierAsync();
        var valuesR = await Task.WhenAll(values);
        var ttlsR = await Task.WhenAll(ttls);
        for (int u = 0; u < Users; u++)
        {
            Assert.Equal(Requests(u), (long)valuesR[u]);
            Assert.InRange(ttlsR[u]!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        }
        ColdServer.AssertColdServed(before, after, Users);

        // The next window: every (cold, expired) counter starts again at 1.
        s.AdvanceClock(61_000);
        var next = new Task<long>[Users];
        await ColdServer.Pipeline(Users, u => next[u] = Request(u), window: 200);
        Assert.All(await Task.WhenAll(next), n => Assert.Equal(1, n));
    }
}

using Tiered.LoadGen.Engine;
using Tiered.LoadGen.Keys;
using Tiered.LoadGen.Results;

namespace Tiered.LoadGen.Tests;

/// <summary>
/// Short real runs against a redis-server started by the fixture: the counts must add up exactly
/// (every request answered, no errors, the server's own hit counter agrees). No timing assertions.
/// </summary>
public class EndToEndTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private Runner NewRunner() => new(new Endpoint("127.0.0.1", redis.Port), TextWriter.Null, progress: false);

    [Fact]
    public async Task Closed_loop_run_of_two_seconds_answers_every_request_without_errors()
    {
        redis.EnsureRunning();
        var workload = new Workload
        {
            Clients = 4,
            Pipeline = 8,
            Duration = TimeSpan.FromSeconds(2),
            Keys = 5000,
            KeyPrefix = "closed:",
            Distribution = KeyDistribution.Parse("zipf:0.99"),
            Reads = 0.8,
            ValueSize = ValueSize.Parse("64-512"),
            Load = true,
        };

        RunResult r = await NewRunner().RunAsync(workload);

        Assert.NotNull(r.LoadPhase);
        Assert.Equal(5000, r.LoadPhase!.Replies);
        Assert.Equal(0, r.LoadPhase.ErrorReplies);
        Assert.Equal("5000", redis.Command("EVAL", "return #redis.call('KEYS', 'closed:*')", "0"));
        Assert.True(r.Replies > 0);
        Assert.Equal(r.Requests, r.Replies);
        Assert.Equal(0, r.ErrorReplies);
        Assert.Empty(r.Errors);
        Assert.Equal(0, r.ConnectionFailures);
        Assert.Equal(r.Replies, r.Operations["GET"].Count + r.Operations["SET"].Count);
        Assert.Equal(r.Replies, r.Operations["ALL"].Count);
        Assert.Equal(r.Replies, r.PerSecond.Sum());
        Assert.Equal(0, r.Operations["GET"].Misses); // every key was loaded
        // The server saw exactly our GETs as hits during the measured phase.
        Assert.Equal(r.Operations["GET"].Count, r.ServerDelta["keyspace_hits"]);
        Assert.Equal(0, r.ServerDelta["keyspace_misses"]);
        Assert.Null(r.HotHitRatio); // redis-server has no tier fields
        Assert.DoesNotContain("tier_hot_hits", r.ServerDelta.Keys);
        Assert.Contains("\"replies\"", ResultWriter.ToJson(r));
    }

    [Fact]
    public async Task Open_loop_run_of_two_seconds_sends_at_the_rate_and_answers_every_request()
    {
        redis.EnsureRunning();
        var workload = new Workload
        {
            Clients = 4,
            Rate = 2000,
            Duration = TimeSpan.FromSeconds(2),
            Keys = 1000,
            KeyPrefix = "open:",
            Reads = 0.5,
        };

        RunResult r = await NewRunner().RunAsync(workload);

        Assert.Equal(r.Requests, r.Replies);
        Assert.Equal(0, r.ErrorReplies);
        Assert.Equal(0, r.ConnectionFailures);
        Assert.InRange(r.Requests, 3000, 4100); // ~2000/s for 2 s, paced by intended send times
        Assert.Equal(r.Operations["GET"].Count, r.ServerDelta["keyspace_hits"] + r.ServerDelta["keyspace_misses"]);
    }

    [Fact]
    public async Task Error_replies_are_counted_by_prefix_and_still_answer_their_requests()
    {
        redis.EnsureRunning();
        redis.Command("DEL", "wrong:0");
        redis.Command("LPUSH", "wrong:0", "x");
        var workload = new Workload { Clients = 2, Pipeline = 5, Requests = 100, Keys = 1, KeyPrefix = "wrong:", Reads = 1.0 };

        RunResult r = await NewRunner().RunAsync(workload);

        Assert.Equal(100, r.Requests);
        Assert.Equal(100, r.Replies);
        Assert.Equal(100, r.ErrorReplies);
        Assert.Equal(new Dictionary<string, long> { ["WRONGTYPE"] = 100 }, r.Errors);
        Assert.Equal(0, r.Operations["GET"].Count); // errors are counted, not timed
    }
}

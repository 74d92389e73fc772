using StackExchange.Redis;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;

namespace Tiered.Server.Tests.Infrastructure;

/// <summary>The INFO tiering counters a scenario checks.</summary>
public readonly record struct TierSnapshot(long Hot, long Cold, long ColdHits, long Demotions, long SsdWriteItems)
{
    public long Keys => Hot + Cold;

    public double ColdFraction => Keys == 0 ? 0 : (double)Cold / Keys;

    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"hot={Hot} cold={Cold} cold_fraction={ColdFraction:F4} cold_hits={ColdHits} demotions={Demotions}");
}

/// <summary>
/// An in-process server with an SSD tier on a temp directory and a small maxmemory, so the background demoter keeps
/// most keys cold; with a StackExchange.Redis connection and helpers that read INFO tiering and wait for demotion.
/// </summary>
public sealed class ColdServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly ITestOutputHelper? _output;
    private ConnectionMultiplexer? _mux;

    public ColdServer(long maxMemory, ITestOutputHelper? output = null)
    {
        _dir = Path.Combine(Path.GetTempPath(), "tiered-scen-" + Guid.NewGuid().ToString("N"));
        _output = output;
        MaxMemory = maxMemory;
        Server = new TestServer((_, e) =>
        {
            e.SsdPath = _dir;
            e.Memory.MaxMemory = maxMemory;
        });
    }

    public TestServer Server { get; }

    public long MaxMemory { get; }

    /// <summary>Every snapshot taken by <see cref="WaitColdAsync"/>, with the phase it ended.</summary>
    public List<(string Phase, TierSnapshot Tier)> ColdPoints { get; } = [];

    public IDatabase Db => (_mux ?? throw new InvalidOperationException("call ConnectAsync first")).GetDatabase();

    public IServer Admin => _mux!.GetServer(Server.EndPoint);

    public async Task<ColdServer> ConnectAsync()
    {
        _mux = await Server.ConnectAsync("syncTimeout=30000,asyncTimeout=30000");
        return this;
    }

    /// <summary>Shifts the engine's clock (expiry, idle times) forward.</summary>
    public void AdvanceClock(long ms)
    {
        lock (Server.Server.Store.Lock) Server.Server.Store.Clock.OffsetMs += ms;
    }

    /// <summary>Reads INFO tiering (and checks the dataset is really over budget: hot bytes are what demotion bounds).</summary>
    public async Task<TierSnapshot> TierAsync()
    {
        string info = await Admin.InfoRawAsync("tiering") ?? "";
        Dictionary<string, string> f = Replies.Fields(info);
        return new TierSnapshot(long.Parse(f["tier_hot_keys"], CultureInfo.InvariantCulture),
            long.Parse(f["tier_cold_keys"], CultureInfo.InvariantCulture),
            long.Parse(f["tier_cold_hits"], CultureInfo.InvariantCulture),
            long.Parse(f["tier_demotions"], CultureInfo.InvariantCulture),
            long.Parse(f["tier_ssd_write_items"], CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Polls INFO tiering until at least <paramref name="fraction"/> of the keys are cold (fails after
    /// <paramref name="timeoutMs"/>); records and returns the snapshot that satisfied it.
    /// </summary>
    public async Task<TierSnapshot> WaitColdAsync(string phase, double fraction = 0.9, int timeoutMs = 60_000)
    {
        var sw = Stopwatch.StartNew();
        TierSnapshot t;
        while (true)
        {
            t = await TierAsync();
            if (t.Keys > 0 && t.ColdFraction >= fraction) break;
            if (sw.ElapsedMilliseconds > timeoutMs)
                Assert.Fail($"{phase}: demotion did not make {fraction:P0} of the keys cold within {timeoutMs} ms ({t})");
            await Task.Delay(20);
        }
        ColdPoints.Add((phase, t));
        _output?.WriteLine($"{phase}: {t} after {sw.ElapsedMilliseconds} ms");
        return t;
    }

    /// <summary>
    /// Asserts the cold tier answered a read phase: every key read at least once by a counting read (LookupRead) that
    /// was cold when the phase started is a cold hit, so cold hits grew by at least readKeys minus the hot keys.
    /// </summary>
    public static void AssertColdServed(TierSnapshot before, TierSnapshot after, long readKeys)
    {
        Assert.True(before.ColdFraction >= 0.9, $"only {before.ColdFraction:P1} of the keys were cold ({before})");
        long hits = after.ColdHits - before.ColdHits;
        Assert.True(hits > 0, "the cold tier answered no read");
        Assert.True(hits >= readKeys - before.Hot, $"{hits} cold hits for {readKeys} keys read, {before.Hot} of them possibly hot");
    }

    /// <summary>Starts <paramref name="op"/>(0..count-1) in order, at most <paramref name="window"/> in flight at once.</summary>
    public static async Task Pipeline(int count, Func<int, Task> op, int window = 500)
    {
        var inFlight = new List<Task>(window);
        for (int i = 0; i < count; i++)
        {
            inFlight.Add(op(i));
            if (inFlight.Count == window)
            {
                await Task.WhenAll(inFlight);
                inFlight.Clear();
            }
        }
        await Task.WhenAll(inFlight);
    }

    public async ValueTask DisposeAsync()
    {
        if (_mux is not null) await _mux.DisposeAsync();
        await Server.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

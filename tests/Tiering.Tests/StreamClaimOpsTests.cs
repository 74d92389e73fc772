using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Streams;

namespace Tiered.Tiering.Tests;

/// <summary>Engine side of XCLAIM, XAUTOCLAIM, XPENDING ranges, consumer management and group lag.</summary>
public sealed class StreamClaimOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private readonly struct Strings(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => B(items[i]);
    }

    private static StreamId Id(ulong ms) => new(ms, 0);

    /// <summary>Stream s with entries 1..n, group g, alice holding 1..n-1 and bob holding n.</summary>
    private StreamValue Setup(ulong n = 4)
    {
        for (ulong i = 1; i <= n; i++)
            Assert.Equal(Status.Ok, StreamOps.Add(Db, B("s"), false, new StreamIdSpec(false, false, Id(i)), new Strings("f", "v"), default, out _));
        Assert.Equal(Status.Ok, StreamOps.CreateGroup(Db, B("s"), B("g"), false, StreamId.Min, false, -1));
        Assert.Equal(Status.Ok, StreamOps.ReadGroupNew(Db, B("s"), B("g"), B("alice"), (long)n - 1, false, out _, out _, out _));
        Assert.Equal(Status.Ok, StreamOps.ReadGroupNew(Db, B("s"), B("g"), B("bob"), 10, false, out StreamValue? s, out _, out _));
        return s!;
    }

    private static StreamGroup G(StreamValue s) => s.FindGroup(B("g"))!;

    private static string Owner(StreamGroup g, ulong ms) => Encoding.UTF8.GetString(g.FindPending(Id(ms))!.Consumer.Name);

    private static StreamClaim Opts(long minIdle = 0, long time = -1, long retry = -1, bool force = false, bool justId = false)
        => new(minIdle, time, retry, force, justId, StreamId.Min);

    [Fact]
    public void ClaimTransfersOwnershipAndCountsDeliveries()
    {
        StreamValue s = Setup();
        StreamGroup g = G(s);
        var claimed = new List<StreamId>();
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(1), Id(4), Id(9)], Opts(), claimed, out _));
        Assert.Equal([Id(1), Id(4)], claimed);
        Assert.Equal("carol", Owner(g, 1));
        Assert.Equal("carol", Owner(g, 4));
        Assert.Equal(2, g.FindPending(Id(1))!.DeliveryCount);
        Assert.Equal([2L, 0L, 2L], g.ConsumerList.Select(c => c.PendingCount));   // alice, bob, carol
        claimed.Clear();
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(2)], Opts(retry: 9, justId: true), claimed, out _));
        Assert.Equal(9, g.FindPending(Id(2))!.DeliveryCount);
        claimed.Clear();
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("dave"), [Id(3)], Opts(justId: true), claimed, out _));
        Assert.Equal(1, g.FindPending(Id(3))!.DeliveryCount);
        Assert.Equal(Status.NotFound, StreamOps.Claim(Db, B("s"), B("nogroup"), B("c"), [Id(1)], Opts(), claimed, out _));
    }

    [Fact]
    public void ClaimHonoursMinIdleAndDeliveryTime()
    {
        StreamValue s = Setup();
        StreamGroup g = G(s);
        var claimed = new List<StreamId>();
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(1)], Opts(minIdle: 10_000), claimed, out _));
        Assert.Empty(claimed);
        Assert.True(g.FindConsumer(B("carol")) < 0);   // nothing claimed, nobody created
        long now = _store.Clock.NowMs;
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(1), Id(2)], Opts(time: now - 50_000), claimed, out _));
        Assert.Equal(now - 50_000, g.FindPending(Id(1))!.DeliveryTimeMs);
        claimed.Clear();
        // A time in the future is taken as now, as Redis does.
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(2)], Opts(time: now + 1_000_000), claimed, out _));
        Assert.Equal(now, g.FindPending(Id(2))!.DeliveryTimeMs);
        claimed.Clear();
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("dave"), [Id(1), Id(2)], Opts(minIdle: 10_000), claimed, out _));
        Assert.Equal([Id(1)], claimed);
    }

    [Fact]
    public void ClaimForceAddsExistingEntriesAndDropsDeletedOnes()
    {
        StreamValue s = Setup();
        StreamGroup g = G(s);
        var claimed = new List<StreamId>();
        Assert.True(g.Ack(Id(2)));
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(2)], Opts(), claimed, out _));
        Assert.Empty(claimed);
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(2), Id(7)], Opts(force: true), claimed, out _));
        Assert.Equal([Id(2)], claimed);
        Assert.Equal("carol", Owner(g, 2));
        Assert.Equal(2, g.FindPending(Id(2))!.DeliveryCount);   // created with 1, then counted as this claim's delivery
        Assert.Null(g.FindPending(Id(7)));
        Assert.Equal(Status.Ok, StreamOps.Delete(Db, B("s"), [Id(1)], out _));
        claimed.Clear();
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(1)], Opts(), claimed, out _));
        Assert.Empty(claimed);
        Assert.Null(g.FindPending(Id(1)));
        Assert.Equal(3, g.PendingCount);   // 2 (carol), 3 (alice), 4 (bob)
        Assert.Equal(1, g.ConsumerList[g.FindConsumer(B("alice"))].PendingCount);
    }

    [Fact]
    public void AutoClaimReturnsACursorAndTheDeletedIds()
    {
        StreamValue s = Setup(6);
        StreamGroup g = G(s);
        Assert.Equal(Status.Ok, StreamOps.Delete(Db, B("s"), [Id(2)], out _));
        var claimed = new List<StreamId>();
        var deleted = new List<StreamId>();
        Assert.Equal(Status.Ok, StreamOps.AutoClaim(Db, B("s"), B("g"), B("carol"), 0, StreamId.Min, 2, false, claimed, deleted, out StreamId next, out _));
        Assert.Equal([Id(1)], claimed);
        Assert.Equal([Id(2)], deleted);
        Assert.Equal(Id(3), next);
        claimed.Clear();
        deleted.Clear();
        Assert.Equal(Status.Ok, StreamOps.AutoClaim(Db, B("s"), B("g"), B("carol"), 0, next, 100, true, claimed, deleted, out next, out _));
        Assert.Equal([Id(3), Id(4), Id(5), Id(6)], claimed);
        Assert.Empty(deleted);
        Assert.Equal(StreamId.Min, next);
        Assert.Equal(1, g.FindPending(Id(3))!.DeliveryCount);   // JUSTID
        Assert.Equal(2, g.FindPending(Id(1))!.DeliveryCount);
        Assert.Equal(5, g.ConsumerList[g.FindConsumer(B("carol"))].PendingCount);
    }

    [Fact]
    public void AutoClaimExaminesAtMostTenRowsPerCount()
    {
        StreamValue s = Setup(30);
        var claimed = new List<StreamId>();
        var deleted = new List<StreamId>();
        // Nothing is idle enough: the walk stops after count × 10 rows and hands back the next row as the cursor.
        Assert.Equal(Status.Ok, StreamOps.AutoClaim(Db, B("s"), B("g"), B("carol"), 1_000_000, StreamId.Min, 2, false, claimed, deleted, out StreamId next, out _));
        Assert.Empty(claimed);
        Assert.Equal(Id(21), next);
        Assert.Equal(30, G(s).PendingCount);
    }

    [Fact]
    public void PendingRangeFiltersByConsumerAndIdle()
    {
        Setup(5);
        var rows = new List<PendingEntry>();
        Assert.Equal(Status.Ok, StreamOps.Pending(Db, B("s"), B("g"), Id(2), StreamId.Max, 2, 0, false, default, rows));
        Assert.Equal([Id(2), Id(3)], rows.Select(r => r.Id));
        rows.Clear();
        Assert.Equal(Status.Ok, StreamOps.Pending(Db, B("s"), B("g"), StreamId.Min, StreamId.Max, 10, 0, true, B("bob"), rows));
        Assert.Equal([Id(5)], rows.Select(r => r.Id));
        rows.Clear();
        Assert.Equal(Status.Ok, StreamOps.Pending(Db, B("s"), B("g"), StreamId.Min, StreamId.Max, 10, 0, true, B("nobody"), rows));
        Assert.Empty(rows);
        Assert.Equal(Status.Ok, StreamOps.Pending(Db, B("s"), B("g"), StreamId.Min, StreamId.Max, 10, 60_000, false, default, rows));
        Assert.Empty(rows);
        Assert.Equal(Status.Ok, StreamOps.Pending(Db, B("s"), B("g"), Id(4), Id(2), 10, 0, false, default, rows));
        Assert.Empty(rows);
    }

    [Fact]
    public void ConsumersAreCreatedAndDeletedWithTheirPendingEntries()
    {
        StreamValue s = Setup();
        StreamGroup g = G(s);
        Assert.Equal(Status.Ok, StreamOps.CreateConsumer(Db, B("s"), B("g"), B("carol"), out bool created));
        Assert.True(created);
        Assert.Equal(Status.Ok, StreamOps.CreateConsumer(Db, B("s"), B("g"), B("carol"), out created));
        Assert.False(created);
        Assert.Equal(Status.Ok, StreamOps.DeleteConsumer(Db, B("s"), B("g"), B("alice"), out long pending));
        Assert.Equal(3, pending);
        Assert.Equal(1, g.PendingCount);
        Assert.Equal(["bob", "carol"], g.ConsumerList.Select(c => Encoding.UTF8.GetString(c.Name)));
        Assert.Equal(Status.Ok, StreamOps.DeleteConsumer(Db, B("s"), B("g"), B("alice"), out pending));
        Assert.Equal(0, pending);
        Assert.Equal(Status.NotFound, StreamOps.DeleteConsumer(Db, B("none"), B("g"), B("alice"), out _));
    }

    [Fact]
    public void MemoryOfConsumersAndClaimsReturnsToTheStartAfterDeletion()
    {
        long empty = _store.UsedMemory;
        StreamValue s = Setup();
        long start = _store.UsedMemory;
        Assert.Equal(start, empty + MemoryOf.HotEntry(1) + s.SizeBytes);
        Assert.Equal(Status.Ok, StreamOps.CreateConsumer(Db, B("s"), B("g"), B("carol-with-a-long-name"), out _));
        long withCarol = _store.UsedMemory;
        Assert.True(withCarol > start + "carol-with-a-long-name".Length);
        var claimed = new List<StreamId>();
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol-with-a-long-name"), [Id(1), Id(2)], Opts(), claimed, out _));
        Assert.Equal(withCarol, _store.UsedMemory);   // a claim moves PEL rows, it adds none
        Assert.Equal(Status.Ok, StreamOps.DeleteConsumer(Db, B("s"), B("g"), B("carol-with-a-long-name"), out long pending));
        Assert.Equal(2, pending);
        Assert.True(_store.UsedMemory < start);   // the consumer and its two PEL rows are gone
        Assert.Equal(_store.UsedMemory, empty + MemoryOf.HotEntry(1) + s.SizeBytes);
        Assert.True(KeyOps.Delete(Db, B("s")));
        Assert.Equal(empty, _store.UsedMemory);
    }

    [Fact]
    public void SetGroupIdMovesThePositionAndEntriesRead()
    {
        StreamValue s = Setup();
        StreamGroup g = G(s);
        Assert.Equal(Status.Ok, StreamOps.SetGroupId(Db, B("s"), B("g"), false, Id(2), 2));
        Assert.Equal((Id(2), 2L), (g.LastDeliveredId, g.EntriesRead));
        Assert.Equal(2, s.Lag(g));
        Assert.Equal(Status.Ok, StreamOps.SetGroupId(Db, B("s"), B("g"), true, default, -1));
        Assert.Equal(Id(4), g.LastDeliveredId);
        Assert.Equal(0, s.Lag(g));   // unknown counter, but at the last entry the estimate is exact
    }

    [Fact]
    public void LagIsExactWithoutHolesAndUnknownAfterAHoleAhead()
    {
        StreamValue s = Setup();
        StreamGroup g = G(s);
        Assert.Equal(4, g.EntriesRead);
        Assert.Equal(0, s.Lag(g));
        s.Append(Id(5), new Strings("f", "v"));
        Assert.Equal(1, s.Lag(g));
        Assert.Equal(Status.Ok, StreamOps.SetGroupId(Db, B("s"), B("g"), false, Id(1), 1));
        Assert.Equal(4, s.Lag(g));
        Assert.True(s.Delete(Id(3)));
        Assert.Equal(-1, s.Lag(g));
        Assert.Equal(-1, s.EstimateEntriesRead(Id(2)));
        Assert.Equal(5, s.EstimateEntriesRead(Id(5)));
        Assert.Equal(-1, s.EstimateEntriesRead(Id(6)));
    }

    [Fact]
    public void ClaimedStateSurvivesTheSerializationRoundTrip()
    {
        StreamValue s = Setup(5);
        var claimed = new List<StreamId>();
        long now = _store.Clock.NowMs;
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(2), Id(5)], Opts(time: now - 1234, retry: 6), claimed, out _));
        Assert.Equal(Status.Ok, StreamOps.CreateConsumer(Db, B("s"), B("g"), B("idle"), out _));
        Assert.Equal(Status.Ok, StreamOps.SetGroupId(Db, B("s"), B("g"), false, Id(5), -1));
        byte[] bytes = ValueFormat.Encode(ValueKind.Stream, s);
        Assert.True(ValueFormat.TryDecode(bytes, out _, out object? value));
        var back = Assert.IsType<StreamValue>(value);
        StreamGroup g = G(s), bg = G(back);
        Assert.Equal(g.LastDeliveredId, bg.LastDeliveredId);
        Assert.Equal(-1, bg.EntriesRead);
        Assert.Equal(g.ConsumerList.Select(c => (Encoding.UTF8.GetString(c.Name), c.PendingCount, c.SeenTimeMs)),
            bg.ConsumerList.Select(c => (Encoding.UTF8.GetString(c.Name), c.PendingCount, c.SeenTimeMs)));
        Assert.Equal(g.PendingEntries.Select(e => (e.Id, Encoding.UTF8.GetString(e.Consumer.Name), e.DeliveryTimeMs, e.DeliveryCount)),
            bg.PendingEntries.Select(e => (e.Id, Encoding.UTF8.GetString(e.Consumer.Name), e.DeliveryTimeMs, e.DeliveryCount)));
        Assert.Equal(6, bg.FindPending(Id(5))!.DeliveryCount);
        Assert.Equal(now - 1234, bg.FindPending(Id(2))!.DeliveryTimeMs);
        bytes[bytes.Length / 2] ^= 0x7F;
        Assert.False(ValueFormat.TryDecode(bytes, out _, out _));
    }

    [Fact]
    public void DeepCopyKeepsClaimsIndependent()
    {
        StreamValue s = Setup();
        var copy = (StreamValue)s.DeepCopy();
        var claimed = new List<StreamId>();
        Assert.Equal(Status.Ok, StreamOps.Claim(Db, B("s"), B("g"), B("carol"), [Id(1)], Opts(), claimed, out _));
        Assert.Equal(Status.Ok, StreamOps.DeleteConsumer(Db, B("s"), B("g"), B("bob"), out _));
        StreamGroup cg = G(copy);
        Assert.Equal("alice", Owner(cg, 1));
        Assert.Equal(1, cg.FindPending(Id(1))!.DeliveryCount);
        Assert.Equal(["alice", "bob"], cg.ConsumerList.Select(c => Encoding.UTF8.GetString(c.Name)));
        Assert.Equal(4, cg.PendingCount);
    }
}

using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Streams;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class StreamOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private readonly struct Strings(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => B(items[i]);
    }

    private Status Add(string key, ulong ms, ulong seq, StreamTrim trim = default, params string[] fv)
        => StreamOps.Add(Db, B(key), false, new StreamIdSpec(false, false, new StreamId(ms, seq)),
            new Strings(fv.Length == 0 ? ["f", "v"] : fv), trim, out _);

    private StreamValue Stream(string key)
    {
        Assert.Equal(Status.Ok, StreamOps.Read(Db, B(key), out StreamValue? s));
        return s!;
    }

    private static List<string> Ids(StreamValue s)
    {
        var ids = new List<string>();
        for (int i = 0; i < s.Length; i++) ids.Add(s.At(i).Id.ToString());
        return ids;
    }

    private static List<string> Fields(in StreamEntry e)
    {
        var list = new List<string>();
        foreach (ReadOnlySpan<byte> f in e.GetFields()) list.Add(Encoding.UTF8.GetString(f));
        return list;
    }

    [Fact]
    public void ExplicitIdsMustGrowAndKeepTheirFields()
    {
        Assert.Equal(Status.Ok, Add("s", 1, 1, default, "a", "1", "b", ""));
        Assert.Equal(Status.ConditionNotMet, Add("s", 1, 1));
        Assert.Equal(Status.ConditionNotMet, Add("s", 0, 5));
        Assert.Equal(Status.Ok, Add("s", 1, 2));
        StreamValue s = Stream("s");
        Assert.Equal(["1-1", "1-2"], Ids(s));
        Assert.Equal(["a", "1", "b", ""], Fields(s.At(0)));
        Assert.Equal(new StreamId(1, 2), s.LastId);
        Assert.Equal(2UL, s.EntriesAdded);
    }

    [Fact]
    public void AutoIdsUseTheClockAndNeverGoBack()
    {
        long now = _store.Clock.NowMs;
        Assert.Equal(Status.Ok, StreamOps.Add(Db, B("s"), false, StreamIdSpec.Star, new Strings("f", "v"), default, out StreamId a));
        Assert.Equal(new StreamId((ulong)now, 0), a);
        Assert.Equal(Status.Ok, StreamOps.Add(Db, B("s"), false, StreamIdSpec.Star, new Strings("f", "v"), default, out StreamId b));
        Assert.Equal(new StreamId((ulong)now, 1), b);
        // An explicit ID in the future: "*" continues from it.
        ulong future = (ulong)now + 1_000_000;
        Assert.Equal(Status.Ok, Add("s", future, 7));
        Assert.Equal(Status.Ok, StreamOps.Add(Db, B("s"), false, StreamIdSpec.Star, new Strings("f", "v"), default, out StreamId c));
        Assert.Equal(new StreamId(future, 8), c);
    }

    [Fact]
    public void SequenceAutoIdsIncrementWithinAMillisecond()
    {
        StreamId Next(ulong ms)
        {
            Assert.Equal(Status.Ok, StreamOps.Add(Db, B("s"), false, new StreamIdSpec(false, true, new StreamId(ms, 0)), new Strings("f", "v"), default, out StreamId id));
            return id;
        }
        Assert.Equal(new StreamId(0, 1), Next(0));
        Assert.Equal(new StreamId(5, 0), Next(5));
        Assert.Equal(new StreamId(5, 1), Next(5));
        Assert.Equal(Status.ConditionNotMet, StreamOps.Add(Db, B("s"), false, new StreamIdSpec(false, true, new StreamId(4, 0)), new Strings("f", "v"), default, out _));
    }

    [Fact]
    public void MaximumLastIdExhaustsTheStream()
    {
        Assert.Equal(Status.Ok, Add("s", ulong.MaxValue, ulong.MaxValue));
        Assert.Equal(Status.Overflow, StreamOps.Add(Db, B("s"), false, StreamIdSpec.Star, new Strings("f", "v"), default, out _));
        Assert.Equal(Status.Overflow, Add("s", 1, 1));
    }

    [Fact]
    public void NoMkStreamLeavesAMissingKeyMissing()
    {
        Assert.Equal(Status.NotFound, StreamOps.Add(Db, B("s"), true, StreamIdSpec.Star, new Strings("f", "v"), default, out _));
        Assert.Equal(0, Db.Count);
    }

    [Fact]
    public void WrongTypeIsReported()
    {
        Assert.Equal(Status.Ok, StringOps.Set(Db, B("k"), B("v")));
        Assert.Equal(Status.WrongType, Add("k", 1, 1));
        Assert.Equal(Status.WrongType, StreamOps.Len(Db, B("k"), out _));
        Assert.Equal(Status.WrongType, StreamOps.Delete(Db, B("k"), [new StreamId(1, 1)], out _));
    }

    [Fact]
    public void DeleteRemovesEntriesKeepsTheKeyAndRecordsTheMaxDeletedId()
    {
        for (ulong i = 1; i <= 10; i++) Assert.Equal(Status.Ok, Add("s", i, 0));
        Assert.Equal(Status.Ok, StreamOps.Delete(Db, B("s"), [new StreamId(2, 0), new StreamId(9, 0), new StreamId(99, 0)], out long n));
        Assert.Equal(2, n);
        StreamValue s = Stream("s");
        Assert.Equal(["1-0", "3-0", "4-0", "5-0", "6-0", "7-0", "8-0", "10-0"], Ids(s));
        Assert.Equal(new StreamId(9, 0), s.MaxDeletedId);
        var all = new StreamId[10];
        for (int i = 0; i < 10; i++) all[i] = new StreamId((ulong)i + 1, 0);
        Assert.Equal(Status.Ok, StreamOps.Delete(Db, B("s"), all, out n));
        Assert.Equal(8, n);
        Assert.Equal(0, Stream("s").Length);
        Assert.Equal(new StreamId(10, 0), Stream("s").LastId);
        Assert.Equal(1, Db.Count);
    }

    [Fact]
    public void SeekByIdFindsBoundsInOrder()
    {
        for (ulong i = 1; i <= 100; i++) Assert.Equal(Status.Ok, Add("s", i * 10, 0));
        StreamValue s = Stream("s");
        Assert.Equal(0, s.LowerBound(StreamId.Min));
        Assert.Equal(4, s.LowerBound(new StreamId(50, 0)));
        Assert.Equal(5, s.UpperBound(new StreamId(50, 0)));
        Assert.Equal(5, s.LowerBound(new StreamId(50, 1)));
        Assert.Equal(100, s.LowerBound(StreamId.Max));
    }

    [Fact]
    public void ExactTrimsRemoveFromTheHead()
    {
        for (ulong i = 1; i <= 10; i++) Assert.Equal(Status.Ok, Add("s", i, 0));
        Assert.Equal(Status.Ok, StreamOps.Trim(Db, B("s"), new StreamTrim(StreamTrimKind.MaxLen, false, 7, default, 0), out long n));
        Assert.Equal(3, n);
        Assert.Equal("4-0", Stream("s").At(0).Id.ToString());
        Assert.Equal(Status.Ok, StreamOps.Trim(Db, B("s"), new StreamTrim(StreamTrimKind.MinId, false, 0, new StreamId(6, 0), 0), out n));
        Assert.Equal(2, n);
        Assert.Equal(["6-0", "7-0", "8-0", "9-0", "10-0"], Ids(Stream("s")));
        Assert.Equal(new StreamId(0, 0), Stream("s").MaxDeletedId);
    }

    [Fact]
    public void ApproximateTrimsRemoveWholeNodesOnlyAndObeyTheLimit()
    {
        for (ulong i = 1; i <= 350; i++) Assert.Equal(Status.Ok, Add("s", i, 0));
        Assert.Equal(Status.Ok, StreamOps.Trim(Db, B("s"), new StreamTrim(StreamTrimKind.MaxLen, true, 10, default, 10000), out long n));
        Assert.Equal(300, n);
        Assert.Equal(50, Stream("s").Length);
        Assert.Equal(Status.Ok, StreamOps.Trim(Db, B("s"), new StreamTrim(StreamTrimKind.MaxLen, true, 10, default, 10000), out n));
        Assert.Equal(0, n);
        for (ulong i = 351; i <= 650; i++) Assert.Equal(Status.Ok, Add("s", i, 0));
        Assert.Equal(Status.Ok, StreamOps.Trim(Db, B("s"), new StreamTrim(StreamTrimKind.MaxLen, true, 0, default, 150), out n));
        Assert.Equal(100, n);
    }

    [Fact]
    public void AddWithMaxLenKeepsTheNewestEntries()
    {
        var trim = new StreamTrim(StreamTrimKind.MaxLen, false, 3, default, 0);
        for (ulong i = 1; i <= 1000; i++) Assert.Equal(Status.Ok, Add("s", i, 0, trim));
        Assert.Equal(["998-0", "999-0", "1000-0"], Ids(Stream("s")));
        Assert.Equal(1000UL, Stream("s").EntriesAdded);
    }

    [Fact]
    public void SerializationRoundTripsAndDetectsCorruption()
    {
        for (ulong i = 1; i <= 20; i++) Assert.Equal(Status.Ok, Add("s", 1000 + i / 3, i, default, "f" + i, "v" + i, "g", ""));
        Assert.Equal(Status.Ok, StreamOps.Delete(Db, B("s"), [new StreamId(1000, 1)], out _));
        StreamValue s = Stream("s");
        byte[] bytes = ValueFormat.Encode(ValueKind.Stream, s);
        Assert.True(ValueFormat.TryDecode(bytes, out ValueKind kind, out object? value));
        Assert.Equal(ValueKind.Stream, kind);
        var back = Assert.IsType<StreamValue>(value);
        Assert.Equal(Ids(s), Ids(back));
        for (int i = 0; i < s.Length; i++) Assert.Equal(Fields(s.At(i)), Fields(back.At(i)));
        Assert.Equal(s.LastId, back.LastId);
        Assert.Equal(s.MaxDeletedId, back.MaxDeletedId);
        Assert.Equal(s.EntriesAdded, back.EntriesAdded);
        Assert.InRange(back.SizeBytes, 1, s.SizeBytes); // a decoded stream has no spare capacity
        bytes[10] ^= 0x40;
        Assert.False(ValueFormat.TryDecode(bytes, out _, out _));
        Assert.Null(StreamValue.Read(2, []));
    }

    [Fact]
    public void DeepCopyIsIndependent()
    {
        for (ulong i = 1; i <= 5; i++) Assert.Equal(Status.Ok, Add("s", i, 0));
        StreamValue s = Stream("s");
        var copy = (StreamValue)s.DeepCopy();
        s.Delete(new StreamId(3, 0));
        s.Append(new StreamId(9, 0), new Strings("x", "y"));
        Assert.Equal(["1-0", "2-0", "3-0", "4-0", "5-0"], Ids(copy));
        Assert.Equal(new StreamId(5, 0), copy.LastId);
        Assert.NotSame(s.At(0).Data, copy.At(0).Data);
    }

    [Fact]
    public void MemoryAccountingFollowsAddsTrimsAndDelete()
    {
        long start = _store.UsedMemory;
        Assert.Equal(Status.Ok, Add("s", 1, 0));
        long keyCost = MemoryOf.HotEntry(1);
        Assert.Equal(start + keyCost + Stream("s").SizeBytes, _store.UsedMemory);
        for (ulong i = 2; i <= 200; i++) Assert.Equal(Status.Ok, Add("s", i, 0, default, "field", new string('x', 100)));
        long many = _store.UsedMemory;
        Assert.True(many > start + 200 * 100);
        Assert.Equal(start + keyCost + Stream("s").SizeBytes, many);
        Assert.Equal(Status.Ok, StreamOps.Trim(Db, B("s"), new StreamTrim(StreamTrimKind.MaxLen, false, 1, default, 0), out _));
        Assert.True(_store.UsedMemory < many - 199 * 100);
        Assert.Equal(start + keyCost + Stream("s").SizeBytes, _store.UsedMemory);
        Assert.True(KeyOps.Delete(Db, B("s")));
        Assert.Equal(start, _store.UsedMemory);
    }
    [Fact]
    public void GroupsDeliverAckAndRoundTripInFormatVersion2()
    {
        for (ulong i = 1; i <= 5; i++) Assert.Equal(Status.Ok, Add("s", i, 0));
        Assert.Equal(Status.Ok, StreamOps.CreateGroup(Db, B("s"), B("g"), false, StreamId.Min, false, -1));
        Assert.Equal(Status.ConditionNotMet, StreamOps.CreateGroup(Db, B("s"), B("g"), true, default, false, -1));
        Assert.Equal(Status.NotFound, StreamOps.CreateGroup(Db, B("none"), B("g"), true, default, false, -1));
        Assert.Equal(Status.Ok, StreamOps.ReadGroupNew(Db, B("s"), B("g"), B("alice"), 3, false, out StreamValue? s, out int from, out int n));
        Assert.Equal((0, 3), (from, n));
        Assert.Equal(Status.Ok, StreamOps.ReadGroupNew(Db, B("s"), B("g"), B("bob"), 10, false, out _, out from, out n));
        Assert.Equal((3, 2), (from, n));
        StreamGroup g = s!.FindGroup(B("g"))!;
        Assert.Equal(5, g.PendingCount);
        Assert.Equal(new StreamId(5, 0), g.LastDeliveredId);
        Assert.Equal(Status.Ok, StreamOps.Ack(Db, B("s"), B("g"), [new StreamId(1, 0), new StreamId(1, 0), new StreamId(4, 0)], out long acked));
        Assert.Equal(2, acked);
        var history = new List<PendingEntry>();
        Assert.Equal(Status.Ok, StreamOps.ReadGroupHistory(Db, B("s"), B("g"), B("alice"), StreamId.Min, 10, history, out _));
        Assert.Equal([new StreamId(2, 0), new StreamId(3, 0)], history.Select(e => e.Id));

        Assert.Equal(2, s.FormatVersion);
        byte[] bytes = ValueFormat.Encode(ValueKind.Stream, s);
        Assert.True(ValueFormat.TryDecode(bytes, out _, out object? value));
        var back = Assert.IsType<StreamValue>(value);
        StreamGroup bg = back.FindGroup(B("g"))!;
        Assert.Equal(g.LastDeliveredId, bg.LastDeliveredId);
        Assert.Equal(3, bg.PendingCount);
        Assert.Equal(["alice", "bob"], bg.ConsumerList.Select(c => Encoding.UTF8.GetString(c.Name)));
        Assert.Equal([2L, 1L], bg.ConsumerList.Select(c => c.PendingCount));
        Assert.Equal(g.SizeBytes, bg.SizeBytes);

        var copy = (StreamValue)s.DeepCopy();
        Assert.Equal(Status.Ok, StreamOps.DestroyGroup(Db, B("s"), B("g"), out bool destroyed));
        Assert.True(destroyed);
        Assert.Equal(0, s.GroupCount);
        Assert.Equal(1, s.FormatVersion);
        Assert.Equal(3, copy.FindGroup(B("g"))!.PendingCount);
    }

    [Fact]
    public void GroupMemoryIsAccountedAndReleased()
    {
        Assert.Equal(Status.Ok, Add("s", 1, 0));
        long before = _store.UsedMemory;
        Assert.Equal(Status.Ok, StreamOps.CreateGroup(Db, B("s"), B("g"), false, StreamId.Min, false, -1));
        Assert.Equal(Status.Ok, StreamOps.ReadGroupNew(Db, B("s"), B("g"), B("c"), 10, false, out _, out _, out _));
        Assert.True(_store.UsedMemory > before);
        Assert.Equal(Status.Ok, StreamOps.DestroyGroup(Db, B("s"), B("g"), out _));
        Assert.Equal(before, _store.UsedMemory);
    }
}

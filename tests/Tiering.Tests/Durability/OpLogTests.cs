using System.Buffers;
using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;
using Tiered.Tiering.Movement;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Lists;
using Tiered.Tiering.Types.Sets;
using Tiered.Tiering.Types.SortedSets;
using Tiered.Tiering.Types.Streams;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests.Durability;

/// <summary>
/// The operation log (issue 14): collection writes are journaled as their effect (OP records), and a reopened store
/// rebuilds exactly the state the writes left, whether the collection stayed hot, was demoted and promoted, or had its
/// chain folded by compaction; commands whose run depends on the clock, the random generator or a blocked client
/// replay what they did, not what they would do again.
/// </summary>
public sealed class OpLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tiered-oplog-" + Guid.NewGuid().ToString("N"));

    private Store Open(bool tiered, long maxMemory = 0, Action<EngineOptions>? configure = null)
    {
        var o = new EngineOptions { Memory = { MaxMemory = maxMemory, MaxMemoryPolicy = "allkeys-lfu" } };
        o.Durability.Dir = _dir;
        if (tiered) o.SsdPath = _dir;
        o.Tier.CompactMinBytes = 0;
        configure?.Invoke(o);
        var store = new Store(o);
        store.Recover();
        return store;
    }

    private static T Run<T>(Store s, Func<Database, T> op)
    {
        lock (s.Lock)
        {
            s.BeginBatch();
            try { return op(s.Databases[0]); }
            finally { s.EndCommand(); }
        }
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private readonly struct Strings(params string[] items) : IByteStrings
    {
        public int Count => items.Length;
        public ReadOnlySpan<byte> Get(int i) => Encoding.UTF8.GetBytes(items[i]);
    }

    private readonly struct Pairs(params string[] kv) : IKeyValuePairs
    {
        public int PairCount => kv.Length / 2;
        public ReadOnlySpan<byte> Key(int i) => Encoding.UTF8.GetBytes(kv[2 * i]);
        public ReadOnlySpan<byte> Value(int i) => Encoding.UTF8.GetBytes(kv[2 * i + 1]);
    }

    // ---- what gets logged ----

    [Fact]
    public async Task APushToABigListLogsAnOperationOfTheArgumentsSizeNotTheList()
    {
        using Store s = Open(tiered: false);
        for (int i = 0; i < 2000; i++) Run(s, db => ListOps.Push(db, B("l"), new Strings("element-" + i), left: false, onlyIfExists: false, out _));
        Journal j = s.Journal!;
        long bytes = j.BytesWritten, ops = j.OpRecords;
        Run(s, db => ListOps.Push(db, B("l"), new Strings("one-more-element"), left: false, onlyIfExists: false, out _));
        // One OP record: header and CRC (25 B), key (1 B), opcode (1 B), length (1 B) and the 16-byte element.
        Assert.Equal(1, j.OpRecords - ops);
        Assert.Equal(LogRecord.Overhead + 1 + 1 + 1 + 16, j.BytesWritten - bytes);
        await j.CommitOnceAsync();
    }

    [Fact]
    public void TheFirstWriteOfANewKeyIsAPutAndLaterWritesAreOperations()
    {
        using Store s = Open(tiered: false);
        Journal j = s.Journal!;
        Run(s, db => HashOps.Set(db, B("h"), new Pairs("f0", "v0"), out _));
        Assert.Equal(0, j.OpRecords);
        Run(s, db => HashOps.Set(db, B("h"), new Pairs("f1", "v1"), out _));
        Run(s, db => SetOps.Add(db, B("s"), new Strings("a"), out _));
        Run(s, db => SetOps.Add(db, B("s"), new Strings("b"), out _));
        Assert.Equal(2, j.OpRecords);
    }

    [Fact]
    public void AWriteThatChangesNothingLogsNothing()
    {
        using Store s = Open(tiered: false);
        Journal j = s.Journal!;
        Run(s, db => SetOps.Add(db, B("s"), new Strings("a", "b"), out _));
        long records = j.Records;
        Assert.Equal(0, Run(s, db => { SetOps.Add(db, B("s"), new Strings("a"), out long added); return added; }));
        Assert.Equal(0, Run(s, db => { SetOps.Remove(db, B("s"), new Strings("zz"), out long removed); return removed; }));
        Assert.Equal(0, Run(s, db => { HashOps.Delete(db, B("s2"), new Strings("f"), out long removed); return removed; }));
        Assert.Equal(records, j.Records);
    }

    [Fact]
    public async Task TheLastRecordOfEachCommandIsMarkedAndEngineRecordsAreMarkedInternal()
    {
        using Store s = Open(tiered: false);
        Run(s, db => ListOps.Push(db, B("l"), new Strings("a", "x"), false, false, out _));
        // One command writing two keys: two records, the second marked as the command's end.
        Run(s, db => ListOps.TryMove(db, B("l"), B("m"), fromLeft: true, toLeft: true, out _));
        Run(s, db => ListOps.Push(db, B("l"), new Strings("b", "c"), false, false, out _));
        await s.CommitLogAsync();
        var flags = new List<(RecordType Type, byte Flags)>();
        s.Log!.Scan(s.Log.BeginAddress, s.Log.CommittedUntil, (_, _, r) => { flags.Add((r.Type, r.Flags)); return true; });
        // PUT l; [OP l pop, PUT m | end]... (LMOVE to a new key: the source's pop is an OP, the new key a PUT)
        Assert.True(flags.Count == 4, string.Join(" ", flags));
        Assert.Equal(RecordType.Put, flags[0].Type);
        Assert.True((flags[0].Flags & LogRecord.FlagEnd) != 0);
        Assert.Equal((RecordType.Op, (byte)ValueKind.List), flags[1]);
        Assert.Equal(RecordType.Put, flags[2].Type);
        Assert.True((flags[2].Flags & LogRecord.FlagEnd) != 0);
        Assert.Equal(RecordType.Op, flags[3].Type);
        Assert.True((flags[3].Flags & LogRecord.FlagEnd) != 0);
        Assert.All(flags, f => Assert.Equal(0, f.Flags & LogRecord.FlagInternal));
    }

    // ---- replay gives the same data ----

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    public async Task ARandomHistoryOfCollectionWritesReplaysToTheSameData(bool tiered, int seed)
    {
        // Tiered with a small budget: collections are demoted (chained ones with a snapshot) and promoted back while
        // the history runs; compaction passes run in between and fold chains.
        string before;
        using (Store s = Open(tiered, maxMemory: tiered ? 256 * 1024 : 0))
        {
            var rng = new Random(seed);
            for (int n = 0; n < 6000; n++)
            {
                RandomWrite(s, rng, n);
                if (tiered && n % 500 == 499)
                {
                    while (await s.Demoter!.RoundAsync()) { }
                    await s.Compactor!.CompactOnceAsync(default, 256 * 1024);
                }
            }
            if (tiered) Assert.True(s.TierStats.Demotions > 0);
            Assert.True(s.Journal!.OpRecords > 1000);
            before = Dump(s);
            await s.Journal.CommitOnceAsync();
        }
        using (Store s = Open(tiered, maxMemory: tiered ? 256 * 1024 : 0))
            Assert.Equal(before, Dump(s));
    }

    [Fact]
    public async Task CompactionFoldsAChainAndTheFoldedLogReplaysTheSame()
    {
        string before;
        using (Store s = Open(tiered: true, maxMemory: 64L << 20))
        {
            for (int i = 0; i < 300; i++) Run(s, db => ListOps.Push(db, B("l"), new Strings("e" + i), false, false, out _));
            for (int i = 0; i < 300; i++) Run(s, db => ZAdd(db, "z", i * 1.5, "m" + i));
            for (int i = 0; i < 20; i++) Run(s, db => StringOps.Set(db, B("k" + i), new byte[100]));
            await s.Journal!.CommitOnceAsync();
            // Clean the whole log: both chains start in it, so both are folded into one PUT each.
            Assert.True(await s.Compactor!.CompactOnceAsync(default, 1L << 30));
            Assert.Equal(2, s.TierStats.FoldedChains);
            Run(s, db => ListOps.Push(db, B("l"), new Strings("after-fold"), false, false, out _));
            before = Dump(s);
            await s.Journal.CommitOnceAsync();
        }
        using (Store s = Open(tiered: true, maxMemory: 64L << 20))
            Assert.Equal(before, Dump(s));
    }

    [Fact]
    public async Task CompactionFindsKeysThatASwapdbMovedAwayFromTheDatabaseTheirRecordsName()
    {
        string before;
        using (Store s = Open(tiered: true, maxMemory: 64L << 20))
        {
            // Written in db 1, so every record says db 1; after SWAPDB 0 1 the keys live in db 0.
            lock (s.Lock)
            {
                Database db1 = s.Databases[1];
                for (int i = 0; i < 200; i++)
                {
                    s.BeginBatch();
                    try
                    {
                        ListOps.Push(db1, B("l"), new Strings("e" + i), false, false, out _);
                        if (i < 50) StringOps.Set(db1, B("k" + i), B("v" + i));
                    }
                    finally { s.EndCommand(); }
                }
                s.BeginBatch();
                try { Assert.True(KeyOps.SwapDb(s, 0, 1)); }
                finally { s.EndCommand(); }
            }
            await s.Journal!.CommitOnceAsync();
            long compacted = s.TierStats.CompactedRecords;
            Assert.True(await s.Compactor!.CompactOnceAsync(default, 1L << 30));
            Assert.Equal(1, s.TierStats.FoldedChains);                 // the list's chain, found in db 0
            Assert.Equal(50, s.TierStats.CompactedRecords - compacted); // every string's PUT copied and repointed
            before = Dump(s);
            Assert.Contains("k49 String", before);
            await s.Journal.CommitOnceAsync();
        }
        using (Store s = Open(tiered: true, maxMemory: 64L << 20))
            Assert.Equal(before, Dump(s));
    }

    [Fact]
    public async Task AChainedCollectionIsDemotedWithASnapshotAndComesBackExact()
    {
        string before;
        // By LRU, so the hash (written first) is the one demoted, however often it was written.
        using (Store s = Open(tiered: true, maxMemory: 1L << 20, o => o.Memory.MaxMemoryPolicy = "allkeys-lru"))
        {
            for (int i = 0; i < 200; i++) Run(s, db => HashOps.Set(db, B("h"), new Pairs("f" + i, "v" + i), out _));
            Assert.True(Run(s, db => db.Index.HotOf(db.Index.Find(B("h"), KeyIndex.Hash(B("h")))).Value) is ValueObject { LogBase: > 0 });
            // Fill DRAM with strings so the (least used) hash is demoted.
            for (int i = 0; i < 3000; i++) Run(s, db => StringOps.Set(db, B("s" + i), new byte[500]));
            while (await s.Demoter!.RoundAsync()) { }
            Assert.True(Run(s, db => db.Index.IsCold(db.Index.Find(B("h"), KeyIndex.Hash(B("h"))))));
            Run(s, db => HashOps.Set(db, B("h"), new Pairs("after", "demotion"), out _));   // promoted, then an OP
            before = Dump(s);
            await s.Journal!.CommitOnceAsync();
            int internalPuts = 0;
            s.Log!.Scan(s.Log.BeginAddress, s.Log.CommittedUntil, (_, _, r) =>
            {
                if (r.Type == RecordType.Put && (r.Flags & LogRecord.FlagInternal) != 0 && r.Key.SequenceEqual("h"u8)) internalPuts++;
                return true;
            });
            Assert.Equal(1, internalPuts);
        }
        using (Store s = Open(tiered: true, maxMemory: 1L << 20))
            Assert.Equal(before, Dump(s));
    }

    [Fact]
    public async Task SpopReplaysTheMembersItTookNotANewRandomChoice()
    {
        string before;
        using (Store s = Open(tiered: false))
        {
            var members = Enumerable.Range(0, 100).Select(i => "m" + i).ToArray();
            Run(s, db => SetOps.Add(db, B("s"), new Strings(members), out _));
            Run(s, db => SetOps.Add(db, B("s"), new Strings("extra"), out _));   // the set now has a chain
            for (int i = 0; i < 10; i++) Run(s, db => SetOps.Pop(db, B("s"), 3, []));
            before = Dump(s);
            await s.Journal!.CommitOnceAsync();
        }
        using (Store s = Open(tiered: false))
        {
            Assert.Equal(before, Dump(s));
            Assert.Equal(71, Run(s, db => { SetOps.Card(db, B("s"), out long n); return n; }));
        }
    }

    [Fact]
    public async Task XaddStarKeepsTheIdsItChoseWhenReplayedAtAnotherTime()
    {
        var ids = new List<StreamId>();
        long length;
        using (Store s = Open(tiered: false))
        {
            Run(s, db => StreamOps.Add(db, B("x"), false, StreamIdSpec.Star, new Strings("f", "first"), default, out _));
            for (int i = 0; i < 50; i++)
            {
                ids.Add(Run(s, db =>
                {
                    StreamOps.Add(db, B("x"), false, StreamIdSpec.Star, new Strings("f", "v" + i),
                        new StreamTrim(StreamTrimKind.MaxLen, true, 20, default, 0), out StreamId id);
                    return id;
                }));
            }
            length = Run(s, db => { StreamOps.Len(db, B("x"), out long n); return n; });
            await s.Journal!.CommitOnceAsync();
        }
        await Task.Delay(5);   // the clock has moved on: replay must not ask it again
        using (Store s = Open(tiered: false))
        {
            StreamValue stream = Run(s, db => { StreamOps.Read(db, B("x"), out StreamValue? v); return v!; });
            Assert.Equal(ids[^1], stream.LastId);
            Assert.Equal(51UL, stream.EntriesAdded);
            Assert.Equal(length, stream.Length);   // the approximate trims replayed as they ran
        }
    }

    [Fact]
    public async Task IncrByFloatAndZIncrByReplayTheirResults()
    {
        using (Store s = Open(tiered: false))
        {
            Run(s, db => HashOps.Set(db, B("h"), new Pairs("f", "0"), out _));
            Run(s, db => ZAdd(db, "z", 0, "m"));
            for (int i = 0; i < 10; i++)
            {
                Run(s, db => HashOps.IncrByFloat(db, B("h"), B("f"), B("0.1"), 0.1, out _));
                Run(s, db => SortedSetOps.Incr(db, B("z"), UpdateCondition.None, 0.1, B("m"), out _));
            }
            await s.Journal!.CommitOnceAsync();
        }
        using (Store s = Open(tiered: false))
        {
            Assert.Equal("1", Run(s, db => HashOps.Get(db, B("h"), B("f"), out ReadOnlySpan<byte> v) == Status.Ok ? Encoding.UTF8.GetString(v) : null));
            double score = Run(s, db => { SortedSetOps.Score(db, B("z"), B("m"), out double sc); return sc; });
            double expected = 0;
            for (int i = 0; i < 10; i++) expected += 0.1;
            Assert.Equal(expected, score);   // bit for bit: the logged score, not a recomputed sum
        }
    }

    [Fact]
    public async Task APopLikeABlockedClientsPopReplaysAsThePop()
    {
        // A blocked BLPOP/BLMOVE is served by the same TryPop/TryMove when a push wakes it: what is logged is the pop.
        using (Store s = Open(tiered: false))
        {
            Run(s, db => ListOps.Push(db, B("q"), new Strings("a", "b", "c", "d"), false, false, out _));
            Run(s, db => ListOps.Push(db, B("q"), new Strings("e"), false, false, out _));
            Run(s, db => ListOps.TryPop(db, B("q"), left: true, out _));
            Run(s, db => ListOps.TryMove(db, B("q"), B("done"), fromLeft: true, toLeft: false, out _));
            Run(s, db => ListOps.TryMove(db, B("q"), B("done"), fromLeft: false, toLeft: false, out _));
            Run(s, db => ListOps.TryMove(db, B("q"), B("q"), fromLeft: true, toLeft: false, out _));   // rotate
            await s.Journal!.CommitOnceAsync();
        }
        using (Store s = Open(tiered: false))
        {
            Assert.Equal(["d", "c"], Range(s, "q"));
            Assert.Equal(["b", "e"], Range(s, "done"));
        }
    }

    [Fact]
    public async Task AListEmptiedByOperationsIsGoneAfterRestart()
    {
        using (Store s = Open(tiered: false))
        {
            Run(s, db => ListOps.Push(db, B("q"), new Strings("a"), false, false, out _));
            Run(s, db => ListOps.Push(db, B("q"), new Strings("b"), false, false, out _));
            Run(s, db => ListOps.TryPop(db, B("q"), true, 5, []));
            await s.Journal!.CommitOnceAsync();
        }
        using (Store s = Open(tiered: false))
            Assert.Equal(0, Run(s, db => db.Count));
    }

    [Fact]
    public async Task ATtlSetAfterOperationsSurvivesAndAnExpiredChainIsNotLoaded()
    {
        using (Store s = Open(tiered: false))
        {
            Run(s, db => ListOps.Push(db, B("keep"), new Strings("a"), false, false, out _));
            Run(s, db => ListOps.Push(db, B("keep"), new Strings("b"), false, false, out _));
            Run(s, db => KeyOps.Expire(db, B("keep"), db.Store.Clock.NowMs + 100_000, UpdateCondition.None));
            Run(s, db => ListOps.Push(db, B("keep"), new Strings("c"), false, false, out _));
            Run(s, db => ListOps.Push(db, B("gone"), new Strings("a"), false, false, out _));
            Run(s, db => KeyOps.Expire(db, B("gone"), db.Store.Clock.NowMs + 30, UpdateCondition.None));
            Run(s, db => ListOps.Push(db, B("gone"), new Strings("b"), false, false, out _));
            await s.Journal!.CommitOnceAsync();
        }
        await Task.Delay(60);
        using (Store s = Open(tiered: false))
        {
            Assert.Equal(["a", "b", "c"], Range(s, "keep"));
            Assert.True(Run(s, db => KeyOps.Ttl(db, B("keep"), TtlForm.Milliseconds)) > 90_000);
            Assert.Empty(Range(s, "gone"));
        }
    }

    // ---- helpers ----

    private static Status ZAdd(Database db, string key, double score, string member)
        => SortedSetOps.Add(db, B(key), UpdateCondition.None, [score], new Strings(member), out _, out _);

    private static List<string> Range(Store s, string key)
        => Run(s, db =>
        {
            var into = new List<byte[]>();
            ListOps.Range(db, B(key), 0, -1, into);
            return into.Select(e => Encoding.UTF8.GetString(e)).ToList();
        });

    /// <summary>One random collection write, of every kind the operation log covers (and a few it does not).</summary>
    private static void RandomWrite(Store s, Random rng, int n)
    {
        string k = ((char)('a' + rng.Next(4))).ToString();
        string e = "e" + rng.Next(300);
        string v = "v" + n;
        int r = rng.Next(100);
        Run(s, db =>
        {
            ReadOnlySpan<byte> key;
            switch (rng.Next(5))
            {
                case 0:
                    key = B("list:" + k);
                    if (r < 40) ListOps.Push(db, key, new Strings(v, e), rng.Next(2) == 0, false, out _);
                    else if (r < 50) ListOps.TryPop(db, key, rng.Next(2) == 0, rng.Next(1, 4), []);
                    else if (r < 55) ListOps.TryPop(db, key, rng.Next(2) == 0, out _);
                    else if (r < 62) ListOps.TryMove(db, key, B("list:" + (char)('a' + rng.Next(4))), rng.Next(2) == 0, rng.Next(2) == 0, out _);
                    else if (r < 70) ListOps.Set(db, key, rng.Next(-5, 5), B(v));
                    else if (r < 78) ListOps.Insert(db, key, rng.Next(2) == 0, B("e" + rng.Next(300)), B(v), out _);
                    else if (r < 85) ListOps.Remove(db, key, rng.Next(-2, 3), B(e), out _);
                    else if (r < 90) ListOps.Trim(db, key, rng.Next(-3, 3), rng.Next(-3, 200));
                    else ListOps.Push(db, key, new Strings(v), false, true, out _);
                    break;
                case 1:
                    key = B("hash:" + k);
                    if (r < 50) HashOps.Set(db, key, new Pairs("f" + rng.Next(200), v, "g" + rng.Next(50), v), out _);
                    else if (r < 60) HashOps.SetNx(db, key, B("f" + rng.Next(200)), B(v));
                    else if (r < 75) HashOps.Delete(db, key, new Strings("f" + rng.Next(200), "g" + rng.Next(50)), out _);
                    else if (r < 88) HashOps.IncrBy(db, key, B("n" + rng.Next(5)), rng.Next(-10, 10), out _);
                    else HashOps.IncrByFloat(db, key, B("x" + rng.Next(5)), B("0.7"), 0.7, out _);
                    break;
                case 2:
                    key = B("set:" + k);
                    if (r < 55) SetOps.Add(db, key, new Strings(e, "e" + rng.Next(300)), out _);
                    else if (r < 75) SetOps.Remove(db, key, new Strings(e), out _);
                    else if (r < 90) SetOps.Pop(db, key, rng.Next(1, 3), []);
                    else SetOps.Move(db, key, B("set:" + (char)('a' + rng.Next(4))), B(e));
                    break;
                case 3:
                    key = B("zset:" + k);
                    if (r < 45) SortedSetOps.Add(db, key, (UpdateCondition)(rng.Next(3) == 0 ? 0 : 1 << rng.Next(4)), [rng.Next(100) * 0.25, rng.NextDouble()], new Strings(e, "e" + rng.Next(300)), out _, out _);
                    else if (r < 65) SortedSetOps.Incr(db, key, UpdateCondition.None, rng.NextDouble() - 0.3, B(e), out _);
                    else if (r < 80) SortedSetOps.Remove(db, key, new Strings(e), out _);
                    else SortedSetOps.Pop(db, key, rng.Next(2) == 0, rng.Next(1, 3), []);
                    break;
                default:
                    key = B("stream:" + k);
                    if (r < 70)
                    {
                        StreamTrim trim = rng.Next(4) switch
                        {
                            0 => new StreamTrim(StreamTrimKind.MaxLen, true, 150, default, 0),
                            1 => new StreamTrim(StreamTrimKind.MaxLen, false, 180, default, 0),
                            _ => default,
                        };
                        StreamOps.Add(db, key, false, StreamIdSpec.Star, new Strings("f", v, "g", e), trim, out _);
                    }
                    else if (r < 85) StreamOps.Delete(db, key, [new StreamId((ulong)db.Store.Clock.NowMs, (ulong)rng.Next(3))], out _);
                    else StreamOps.Trim(db, key, new StreamTrim(StreamTrimKind.MaxLen, rng.Next(2) == 0, 100, default, 0), out _);
                    break;
            }
            return 0;
        });
    }

    // ---- values larger than one record (a log page; 4 KB pages here) ----

    private static void SmallPages(EngineOptions o) => o.Tier.Log.PageSizeBits = 12;

    private static byte[] Noise(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);   // incompressible: the stored value stays about this large
        return bytes;
    }

    /// <summary>The records of <paramref name="key"/> in the committed log: (part bits, type) in log order.</summary>
    private static List<(RecordType Type, int Parts)> RecordsOf(Store s, string key)
    {
        var found = new List<(RecordType, int)>();
        byte[] k = B(key);
        s.Log!.Scan(s.Log.BeginAddress, s.Log.CommittedUntil, (_, _, r) =>
        {
            if (r.Key.SequenceEqual(k)) found.Add((r.Type, r.Flags & LogRecord.PartMask));
            return true;
        });
        return found;
    }

    /// <summary>
    /// Opens a store with 4 KB log pages, runs <paramref name="write"/>, and checks that a reopened store holds exactly
    /// what it left (the dump is taken before the last commit, so the write's own records must carry it).
    /// </summary>
    private async Task AssertSmallPageStoreSurvivesRestart(bool tiered, Func<Store, Task> write)
    {
        long maxMemory = tiered ? 64L << 20 : 0;
        string before;
        using (Store s = Open(tiered, maxMemory, SmallPages))
        {
            await write(s);
            before = Dump(s);
            await s.Journal!.CommitOnceAsync();
        }
        using (Store s = Open(tiered, maxMemory, SmallPages))
            Assert.Equal(before, Dump(s));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task AValueLargerThanALogPageIsLoggedInPartsAndSurvivesARestart(bool tiered) => AssertSmallPageStoreSurvivesRestart(tiered, async s =>
    {
        Run(s, db => StringOps.Set(db, B("big"), Noise(20_000, 1)));
        var elements = new string[300];
        for (int i = 0; i < elements.Length; i++) elements[i] = Convert.ToBase64String(Noise(45, 100 + i));
        Run(s, db => ListOps.Push(db, B("list"), new Strings(elements), false, false, out _));
        Run(s, db => StringOps.Set(db, B("small"), B("v")));
        await s.Journal!.CommitOnceAsync();
        Assert.Equal(0, s.Journal.UnloggedWrites);
        List<(RecordType Type, int Parts)> big = RecordsOf(s, "big");
        // 20,000 bytes in 4 KB records: five or six parts, the first "more", the middle both, the last "continued".
        Assert.InRange(big.Count, 5, 6);
        Assert.Equal(LogRecord.FlagMore, big[0].Parts);
        for (int i = 1; i < big.Count - 1; i++) Assert.Equal(LogRecord.PartMask, big[i].Parts);
        Assert.Equal(LogRecord.FlagContinued, big[^1].Parts);
        Assert.True(RecordsOf(s, "list").Count > 1);
        Assert.Equal([(RecordType.Put, 0)], RecordsOf(s, "small"));
    });

    [Fact]
    public Task CompactionRewritesALiveValueInPartsAndFoldsAChainLargerThanAPage() => AssertSmallPageStoreSurvivesRestart(true, async s =>
    {
        Run(s, db => StringOps.Set(db, B("big"), Noise(20_000, 2)));
        // A chain (PUT + OPs) whose value grows past a page: before parts, compaction could not fold it and stopped.
        for (int i = 0; i < 400; i++) Run(s, db => ListOps.Push(db, B("list"), new Strings(Convert.ToBase64String(Noise(30, 500 + i))), false, false, out _));
        for (int i = 0; i < 50; i++) Run(s, db => StringOps.Set(db, B("k" + i), Noise(200, 1000 + i)));
        for (int i = 0; i < 50; i++) Run(s, db => StringOps.Set(db, B("k" + i), Noise(200, 2000 + i)));   // the first 50 are garbage
        await s.Journal!.CommitOnceAsync();
        long size = s.Log!.SizeBytes, compacted = s.TierStats.CompactedRecords;
        Assert.True(await s.Compactor!.CompactOnceAsync(default, 1L << 30));
        Assert.Equal(1, s.TierStats.FoldedChains);
        // The live value in parts, written again whole, and the 50 strings' newest records; not their first ones.
        Assert.Equal(51, s.TierStats.CompactedRecords - compacted);
        Assert.True(s.Log.SizeBytes < size, $"log {s.Log.SizeBytes} bytes after compaction, {size} before");
        List<(RecordType Type, int Parts)> big = RecordsOf(s, "big");
        Assert.Equal(LogRecord.FlagMore, big[0].Parts);
        Assert.Equal(LogRecord.FlagContinued, big[^1].Parts);
        Assert.Equal(RecordType.Put, Assert.Single(RecordsOf(s, "list"), r => r.Parts == LogRecord.FlagMore).Type);
        Run(s, db => ListOps.Push(db, B("list"), new Strings("after-fold"), false, false, out _));
    });

    [Fact]
    public Task ATruncationBetweenThePartsOfAValueLeavesPartsThatRecoveryDrops() => AssertSmallPageStoreSurvivesRestart(true, async s =>
    {
        Run(s, db => StringOps.Set(db, B("big"), Noise(40_000, 3)));   // ten parts, from the log's first page
        Run(s, db => StringOps.Set(db, B("after"), B("v")));
        await s.Journal!.CommitOnceAsync();
        // A pass over the first three pages only: the value's first part is live, so the value is written again at
        // the tail and the head is cut between its old parts.
        Assert.True(await s.Compactor!.CompactOnceAsync(default, 3 * 4096));
        List<(RecordType Type, int Parts)> left = RecordsOf(s, "big");
        Assert.Equal(LogRecord.PartMask, left[0].Parts);   // an orphan: continued, its first part truncated away
    });

    [Fact]
    public async Task AValueInPartsIsNeverDemoted()
    {
        using Store s = Open(tiered: true, maxMemory: 1L << 20, o =>
        {
            SmallPages(o);
            o.Memory.MaxMemoryPolicy = "allkeys-lru";   // the big value, written first and never read, is the first victim
        });
        Run(s, db => StringOps.Set(db, B("big"), Noise(20_000, 4)));
        Run(s, db => StringOps.Set(db, B("one-record"), Noise(2_000, 5)));
        await s.Journal!.CommitOnceAsync();
        for (int i = 0; i < 3000; i++) Run(s, db => StringOps.Set(db, B("s" + i), new byte[500]));
        await s.Journal.CommitOnceAsync();
        while (await s.Demoter!.RoundAsync()) { }
        Assert.True(s.TierStats.Demotions > 1000, $"{s.TierStats.Demotions} demotions");
        Assert.True(Run(s, db => db.Index.IsCold(db.Index.Find(B("one-record"), KeyIndex.Hash(B("one-record"))))));
        Assert.False(Run(s, db => db.Index.IsCold(db.Index.Find(B("big"), KeyIndex.Hash(B("big"))))));
        Assert.Equal(Noise(20_000, 4), Run(s, db => { StringOps.Get(db, B("big"), out ReadOnlySpan<byte> v); return v.ToArray(); }));
    }

    /// <summary>Every key of database 0 with its type, TTL and content in a canonical text form.</summary>
    private static string Dump(Store s)
    {
        lock (s.Lock)
        {
            s.BeginBatch();
            try
            {
                Database db = s.Databases[0];
                var keys = new List<byte[]>();
                for (int i = 0; i < db.Index.HighWater; i++)
                    if (db.Index.IsLive(i)) keys.Add(db.KeyOf(i));
                var sb = new StringBuilder();
                foreach (byte[] key in keys.OrderBy(k => Convert.ToHexString(k)))
                {
                    int i = db.Lookup(key, KeyIndex.Hash(key));
                    ref Entry e = ref db.Index.EntryAt(i);
                    sb.Append(Encoding.UTF8.GetString(key)).Append(' ').Append(e.Kind).Append(" ttl=").Append(db.Index.ExpireAt(i) != 0).Append(": ");
                    sb.Append(Content(db.Index.HotOf(i).Value!)).Append('\n');
                }
                return sb.ToString();
            }
            finally { s.EndCommand(); }
        }
    }

    private static string Content(object value)
    {
        switch (value)
        {
            case byte[] b:
                return Convert.ToHexString(b);
            case HashValue h:
                var pairs = new List<string>();
                foreach (HashEntry he in h) pairs.Add(Encoding.UTF8.GetString(he.Field) + "=" + Encoding.UTF8.GetString(he.Value));
                pairs.Sort(StringComparer.Ordinal);
                return string.Join(",", pairs);
            case SetValue set:
                var members = new List<string>();
                for (int slot = 0; slot < set.Table.HighWater; slot++)
                    if (set.Table.IsLive(slot)) members.Add(Encoding.UTF8.GetString(set.Table.MemberAt(slot)));
                members.Sort(StringComparer.Ordinal);
                return string.Join(",", members);
            case SortedSetValue z:
                var scored = new StringBuilder();
                for (SkipListNode? node = z.List.First; node != null; node = node.Next)
                    scored.Append(Encoding.UTF8.GetString(node.Member)).Append('=').Append(BitConverter.DoubleToInt64Bits(node.Score)).Append(',');
                return scored.ToString();
            default:
                var w = new ArrayBufferWriter<byte>();
                ((ValueObject)value).Serialize(w);
                return Convert.ToHexString(w.WrittenSpan);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

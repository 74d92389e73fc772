using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Tests.Tiering;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests.Durability;

/// <summary>The journal and recovery at the engine level: a store reopened on the same directory has the same data.</summary>
public sealed class JournalTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tiered-journal-" + Guid.NewGuid().ToString("N"));

    private Store Open(bool tiered, long maxMemory = 0)
    {
        var o = new EngineOptions { Memory = { MaxMemory = maxMemory, MaxMemoryPolicy = "allkeys-lfu" } };
        o.Durability.Dir = _dir;
        if (tiered) o.SsdPath = _dir;
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

    private static string? Get(Store s, string key)
        => Run(s, db => StringOps.Get(db, B(key), out ReadOnlySpan<byte> v) == Status.Ok ? Encoding.UTF8.GetString(v) : null);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AReopenedStoreHasEveryWriteDeleteAndTtl(bool tiered)
    {
        using (Store s = Open(tiered))
        {
            for (int i = 0; i < 500; i++) Run(s, db => StringOps.Set(db, B("k" + i), B("v" + i)));
            Run(s, db => StringOps.Set(db, B("k1"), B("changed")));
            Run(s, db => KeyOps.Delete(db, B("k2")));
            Run(s, db => KeyOps.Expire(db, B("k3"), db.Store.Clock.NowMs + 100_000, UpdateCondition.None));
            Run(s, db => KeyOps.Expire(db, B("k4"), db.Store.Clock.NowMs - 1, UpdateCondition.None));
            Run(s, db => HashOps.SetNx(db, B("h"), B("f"), B("x")));
            await s.Journal!.CommitOnceAsync();
        }
        using (Store s = Open(tiered))
        {
            Assert.Equal("changed", Get(s, "k1"));
            Assert.Null(Get(s, "k2"));
            Assert.True(Run(s, db => KeyOps.Ttl(db, B("k3"), TtlForm.Milliseconds)) > 90_000);
            Assert.Null(Get(s, "k4"));
            Assert.Equal("v499", Get(s, "k499"));
            Assert.Equal("x", Run(s, db => HashOps.Get(db, B("h"), B("f"), out ReadOnlySpan<byte> v) == Status.Ok ? Encoding.UTF8.GetString(v) : null));
            Assert.Equal(499, Run(s, db => db.Count));   // 500 strings and h, less k2 (deleted) and k4 (expired)
        }
    }

    [Fact]
    public async Task AlwaysReleasesAWriterWhoseRecordAnotherCommitCovers()
    {
        // A commit started elsewhere (demotion, compaction) covers the journal's tail, so the committer has nothing
        // to commit and gets no completion callback; the waiting writer must still be released.
        var o = new EngineOptions { Memory = { MaxMemoryPolicy = "allkeys-lfu" } };
        o.Durability.Dir = _dir;
        o.Durability.AppendFsync = "always";
        using var s = new Store(o);
        s.Recover();
        s.Start();
        for (int i = 0; i < 50; i++)
        {
            Run(s, db => StringOps.Set(db, B("k" + i), B("v" + i)));
            Task foreign = s.CommitLogAsync();
            Task durable = s.Journal!.WhenDurable(s.Journal.AppendedUntil);
            await foreign.WaitAsync(TimeSpan.FromSeconds(10));
            await durable.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task FlushAndSwapDbReplayInOrder()
    {
        using (Store s = Open(tiered: false))
        {
            Run(s, db => StringOps.Set(db, B("a"), B("1")));
            lock (s.Lock) { s.SwapDatabases(0, 1); s.EndCommand(); }
            Run(s, db => StringOps.Set(db, B("b"), B("2")));
            lock (s.Lock) { s.Databases[1].Clear(); s.EndCommand(); }
            Run(s, db => StringOps.Set(db, B("c"), B("3")));
            await s.Journal!.CommitOnceAsync();
        }
        using (Store s = Open(tiered: false))
        {
            Assert.Equal("2", Get(s, "b"));
            Assert.Equal("3", Get(s, "c"));
            Assert.Null(Get(s, "a"));
            lock (s.Lock) Assert.Equal(0, s.Databases[1].Count);   // a went to db 1 with the swap, then db 1 was flushed
        }
    }

    [Fact]
    public async Task ColdKeysRecoverColdAndReadBackExactly()
    {
        using (Store s = Open(tiered: true, maxMemory: 256 << 10))
        {
            for (int i = 0; i < 3000; i++) Run(s, db => StringOps.Set(db, B("key:" + i), Tiering.TieredStoreTests.Value(i)));
            await s.Journal!.CommitOnceAsync();
        }
        using (Store s = Open(tiered: true, maxMemory: 256 << 10))
        {
            lock (s.Lock) Assert.True(s.TotalKeys() - s.HotKeys() > 2000, "most keys should come back cold");
            for (int i = 0; i < 3000; i++)
                Assert.Equal(Tiering.TieredStoreTests.Value(i), Run(s, db => StringOps.Get(db, B("key:" + i), out ReadOnlySpan<byte> v) == Status.Ok ? v.ToArray() : null));
        }
    }

    [Theory]
    [InlineData("file cut short")]           // segment files end where the log ends
    [InlineData("zeros where the tail was")]  // the default: segment files written with zeros ahead of the log
    public async Task ATruncatedLogTailIsCutWithAWarningAndLaterWritesSurviveTheNextRestart(string loss)
    {
        bool cut = loss == "file cut short";
        long end;
        using (Store s = OpenReporting(null, prewrite: !cut))
        {
            for (int i = 0; i < 2000; i++) Run(s, db => StringOps.Set(db, B("k" + i), B(new string('v', 500) + i)));
            await s.Journal!.CommitOnceAsync();
            end = s.Journal.CommittedUntil;   // a log address is its byte offset in the first segment file
        }
        // Power loss mid-write: the last 3000 bytes of the log never reached the disk.
        string segment = Path.Combine(_dir, "values", "values.log.0");
        using (var f = new FileStream(segment, FileMode.Open, FileAccess.Write))
        {
            if (cut)
            {
                Assert.InRange(f.Length, end, end + 4096);   // the last write ends on a sector boundary
                f.SetLength(f.Length - 3000);
            }
            else
            {
                Assert.True(f.Length > end, $"no zeros ahead of the log: file {f.Length} bytes, log ends at {end}");
                f.Position = end - 3000;
                f.Write(new byte[3000]);
            }
        }
        var warnings = new List<string>();
        using (Store s = OpenReporting(warnings, prewrite: !cut))
        {
            Assert.Contains(warnings, w => w.Contains("WARNING", StringComparison.Ordinal));
            long loaded = Run(s, db => (long)db.Count);
            Assert.InRange(loaded, 1900, 1999);   // the records in the lost tail are gone, nothing else
            for (int i = 0; i < loaded; i++) Assert.Equal(new string('v', 500) + i, Get(s, "k" + i));
            Run(s, db => StringOps.Set(db, B("after"), B("the cut")));
            await s.Journal!.CommitOnceAsync();
        }
        using (Store s = OpenReporting(warnings, prewrite: !cut))
        {
            Assert.Equal("the cut", Get(s, "after"));
            Assert.Equal("k0", Run(s, db => StringOps.Get(db, B("k0"), out _) == Status.Ok ? "k0" : null));
        }
    }

    private Store OpenReporting(List<string>? messages, bool prewrite = true)
    {
        var o = new EngineOptions();
        o.Durability.Dir = _dir;
        if (!prewrite) o.Tier.Log.Device.PrewriteBytes = 0;
        var store = new Store(o);
        store.Recover(messages is null ? null : messages.Add);
        return store;
    }

    [Fact]
    public void EncodeStringMatchesTheGeneralEncoder()
    {
        byte[] s = B("hello tiered");
        var dest = new byte[ValueFormat.StringSize(s.Length)];
        int n = ValueFormat.EncodeString(s, dest);
        Assert.Equal(ValueFormat.Encode(ValueKind.String, s), dest.AsSpan(0, n).ToArray());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

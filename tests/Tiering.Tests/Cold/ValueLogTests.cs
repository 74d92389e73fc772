using FASTER.core;
using System.Text;
using Tiered.Tiering.Cold;

namespace Tiered.Tiering.Tests.Cold;

/// <summary>
/// ValueLog on a real DirectFileDevice in a temporary directory and on SlowMemoryDevice (completions out of order,
/// on a foreign thread). 2 MB pages so 1 MB values fit, 4 MB segments so truncation frees whole files quickly.
/// </summary>
public sealed class ValueLogTests : IDisposable
{
    private const int Count = 10_000;
    private readonly string dir = Path.Combine(Path.GetTempPath(), "tiered-valuelog-" + Guid.NewGuid().ToString("N"));
    private readonly List<IDisposable> owned = [];
    private SlowMemoryDevice? memory;

    public ValueLogTests() => Directory.CreateDirectory(dir);

    public void Dispose()
    {
        for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
        Directory.Delete(dir, recursive: true);
    }

    public static TheoryData<string> Kinds => ["file", "memory"];

    private ValueLogOptions Options() => new()
    {
        Directory = dir, PageSizeBits = 21, MemorySizeBits = 23, SegmentSizeBits = 22,
        Device = new DeviceOptions { IoThreads = 16 },
    };

    /// <summary>A log on the kind's device; the memory device outlives the log so a reopened log finds its bytes.</summary>
    private ValueLog Open(string kind, IDevice? device = null)
    {
        if (kind == "memory" && device is null)
        {
            if (memory is null)
            {
                memory = new SlowMemoryDevice(maxDelay: TimeSpan.FromMilliseconds(0.5));
                owned.Add(memory);
            }
            device = memory;
        }
        var log = new ValueLog(Options(), device);
        owned.Add(log);
        return log;
    }

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key:{i:D6}");

    /// <summary>Mixed sizes: mostly 0-3000 B, every 100th 100 KB, every 1000th 1 MB.</summary>
    private static byte[] Value(int i)
    {
        int size = i % 1000 == 7 ? 1 << 20 : i % 100 == 3 ? 100 * 1024 : i * 7919 % 3001;
        var v = new byte[size];
        new Random(i).NextBytes(v);
        return v;
    }

    private static RecordType TypeOf(int i) => i % 10 == 9 ? RecordType.Op : RecordType.Put;

    private static (long[] Addresses, int[] Lengths) AppendAll(ValueLog log, int count)
    {
        var addresses = new long[count];
        var lengths = new int[count];
        for (int i = 0; i < count; i++)
        {
            byte[] key = Key(i), value = Value(i);
            addresses[i] = log.Append(TypeOf(i), (byte)(i & 0xFF), i % 16, i % 3 == 0 ? 0 : 1_800_000_000_000L + i, key, value, out lengths[i]);
            Assert.Equal(LogRecord.Size(key.Length, value.Length), lengths[i]);
        }
        return (addresses, lengths);
    }

    private static void AssertRecord(int i, ReadOnlySpan<byte> bytes)
    {
        Assert.True(LogRecord.TryRead(bytes, out var view), $"record {i} invalid");
        Assert.Equal(TypeOf(i), view.Type);
        Assert.Equal((byte)(i & 0xFF), view.Flags);
        Assert.Equal(i % 16, view.Db);
        Assert.Equal(i % 3 == 0 ? 0 : 1_800_000_000_000L + i, view.ExpireAt);
        Assert.True(view.Key.SequenceEqual(Key(i)), $"record {i} key");
        Assert.True(view.Value.SequenceEqual(Value(i)), $"record {i} value");
    }

    /// <summary>Reads the given records with 64 reads in flight and checks each one.</summary>
    private static async Task ReadAllConcurrently(ValueLog log, long[] addresses, int[] lengths, IReadOnlyList<int> which)
    {
        int next = -1;
        async Task Worker()
        {
            await Task.Yield();
            int n;
            while ((n = Interlocked.Increment(ref next)) < which.Count)
            {
                int i = which[n];
                byte[] bytes = await log.ReadAsync(addresses[i], lengths[i]);
                Assert.Equal(lengths[i], bytes.Length);
                AssertRecord(i, bytes);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(Worker)));
        Assert.True(next >= which.Count);
    }

    private static int[] All(int count) => Enumerable.Range(0, count).ToArray();

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TenThousandMixedRecordsReadBackExactlyWithSixtyFourReadsInFlight(string kind)
    {
        var log = Open(kind);
        var (addresses, lengths) = AppendAll(log, Count);
        await log.CommitAsync();

        Assert.True(log.CommittedUntil >= addresses[^1] + lengths[^1]);
        Assert.Equal(log.TailAddress - log.BeginAddress, log.SizeBytes);
        Assert.True(log.SizeBytes > 30L << 20, "the data must be far larger than the 8 MB in-memory buffer");
        for (int i = 1; i < Count; i++) Assert.True(addresses[i] >= addresses[i - 1] + lengths[i - 1]);
        await ReadAllConcurrently(log, addresses, lengths, All(Count));
        AssertRecord(7, log.Read(addresses[7], lengths[7])); // the synchronous variant, on a 1 MB record
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ScanVisitsEveryCommittedRecordInOrderAndStopsAtTheCommitPoint(string kind)
    {
        var log = Open(kind);
        var (addresses, lengths) = AppendAll(log, 3000);
        await log.CommitAsync();
        log.Append(RecordType.Del, 0, 0, 0, "uncommitted"u8, [], out _);

        int n = 0;
        var result = log.Scan(log.BeginAddress, long.MaxValue, (address, length, record) =>
        {
            Assert.Equal(addresses[n], address);
            Assert.Equal(lengths[n], length);
            Assert.True(record.Key.SequenceEqual(Key(n)));
            Assert.True(record.Value.SequenceEqual(Value(n)));
            n++;
            return true;
        });
        Assert.Equal(3000, n);
        Assert.Equal(3000, result.Records);
        Assert.False(result.FoundInvalid);
        Assert.Equal(addresses[^1] + ((lengths[^1] + 3) & ~3) + 4, result.EndAddress);

        // A scan can start at any record, end before any record, and be stopped by the visitor.
        int seen = 0;
        var part = log.Scan(addresses[100], addresses[200], (address, _, _) => { Assert.Equal(addresses[100 + seen], address); seen++; return true; });
        Assert.Equal((100, 100L, addresses[200]), (seen, part.Records, part.EndAddress));
        seen = 0;
        var stopped = log.Scan(addresses[0], long.MaxValue, (_, _, _) => ++seen < 5);
        Assert.Equal((5, 5L, addresses[5]), (seen, stopped.Records, stopped.EndAddress));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task UncommittedRecordsAreNotReadable(string kind)
    {
        var log = Open(kind);
        long address = log.Append(RecordType.Put, 0, 0, 0, "k"u8, "v"u8, out int length);
        var e = await Assert.ThrowsAsync<ColdReadException>(async () => await log.ReadAsync(address, length));
        Assert.Equal(ColdReadFailure.OutOfRange, e.Failure);
        Assert.Equal(address, e.Address);
        await log.CommitAsync();
        Assert.True(LogRecord.TryRead(await log.ReadAsync(address, length), out var view) && view.Value.SequenceEqual("v"u8));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TruncatedRecordsFailCleanlyAndWholeSegmentsAreFreed(string kind)
    {
        var log = Open(kind);
        var (addresses, lengths) = AppendAll(log, Count);
        await log.CommitAsync();
        const int cut = 6000;
        long segment = 1L << Options().SegmentSizeBits;
        Assert.True(addresses[cut] >= 2 * segment, "the cut must lie beyond two whole segments");

        log.TruncateUntil(addresses[cut]);

        Assert.Equal(addresses[cut], log.BeginAddress);
        var e = await Assert.ThrowsAsync<ColdReadException>(async () => await log.ReadAsync(addresses[10], lengths[10]));
        Assert.Equal(ColdReadFailure.OutOfRange, e.Failure);
        Assert.Throws<ColdReadException>(() => log.Read(addresses[cut - 1], lengths[cut - 1]));
        await ReadAllConcurrently(log, addresses, lengths, Enumerable.Range(cut, Count - cut).ToArray());
        int first = -1;
        log.Scan(0, long.MaxValue, (address, _, _) => { first = Array.IndexOf(addresses, address); return false; });
        Assert.Equal(cut, first);

        // Segment 0 lies wholly below the cut: its storage goes away (asynchronously); the cut's own segment stays.
        int cutSegment = (int)(addresses[cut] / segment);
        bool Gone(int s) => kind == "file" ? !File.Exists(Path.Combine(dir, $"values.log.{s}")) : memory!.SegmentLength(s) < 0;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Gone(0) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(Gone(0), "segment 0 still exists");
        Assert.False(Gone(cutSegment));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.TruncateUntil(log.TailAddress + 4096));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ReadsRacingATruncationEitherSucceedOrReportOutOfRange(string kind)
    {
        var log = Open(kind);
        var (addresses, lengths) = AppendAll(log, Count);
        await log.CommitAsync();
        int ok = 0, outOfRange = 0;
        using var stop = new CancellationTokenSource();
        async Task Reader(int seed)
        {
            await Task.Yield();
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                int i = random.Next(7000); // mostly below the final cut
                try
                {
                    AssertRecord(i, await log.ReadAsync(addresses[i], lengths[i]));
                    Interlocked.Increment(ref ok);
                }
                catch (ColdReadException e) when (e.Failure == ColdReadFailure.OutOfRange)
                {
                    Interlocked.Increment(ref outOfRange);
                }
            }
        }
        var readers = Enumerable.Range(0, 32).Select(n => Task.Run(() => Reader(n))).ToArray();
        foreach (int cut in new[] { 1500, 3000, 4500, 6000 })
        {
            await Task.Delay(50);
            await Task.Run(() => log.TruncateUntil(addresses[cut]));
        }
        await Task.Delay(50);
        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.True(ok > 0 && outOfRange > 0, $"ok {ok}, out of range {outOfRange}");
        if (kind == "file")
        {
            // Deletion is asynchronous; once done, no late read may have recreated the file (O_CREAT on open).
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (File.Exists(Path.Combine(dir, "values.log.0")) && DateTime.UtcNow < deadline) await Task.Delay(20);
            await Task.Delay(100);
            Assert.False(File.Exists(Path.Combine(dir, "values.log.0")), "segment 0 exists after the truncation");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ReopenedLogReadsOldRecordsAtTheirAddressesAndAppendsAfterThem(string kind)
    {
        var log = Open(kind);
        var (addresses, lengths) = AppendAll(log, 2000);
        await log.CommitAsync();
        long committed = log.CommittedUntil;
        log.Append(RecordType.Put, 0, 0, 0, "lost"u8, "not committed"u8, out _);
        log.Dispose();

        var reopened = Open(kind);
        Assert.Equal(committed, reopened.CommittedUntil);
        Assert.Equal(committed, reopened.TailAddress);
        await ReadAllConcurrently(reopened, addresses, lengths, All(2000));
        long address = reopened.Append(RecordType.Put, 0, 1, 0, "after"u8, "reopen"u8, out int length);
        Assert.Equal(committed, address);
        await reopened.CommitAsync();
        Assert.True(LogRecord.TryRead(await reopened.ReadAsync(address, length), out var view) && view.Key.SequenceEqual("after"u8));
        Assert.Equal(2001, reopened.Scan(0, long.MaxValue, (_, _, _) => true).Records);
    }

    [Fact]
    public async Task AnImageTakenWhenTheFlushPassesACommitsEndRecoversItsRecords()
    {
        // The journal releases appendfsync-always clients as soon as FlushedUntil passes the commit record's end,
        // before FasterLog's own commit callback: what the disk holds at that instant must recover the record.
        var log = Open("file");
        for (int i = 0; i < 10; i++)
        {
            log.Append(RecordType.Put, 0, 0, 0, Key(i), Value(i), out _);
            log.Commit();
        }
        string image = dir + "-flushed";
        long end = long.MaxValue;
        int copied = 0;
        var taken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void TakeImageOnce()
        {
            if (log.FlushedUntil < Volatile.Read(ref end) || Interlocked.Exchange(ref copied, 1) != 0) return;
            CopyDirectory(dir, image);
            taken.SetResult();
        }
        log.Flushed += TakeImageOnce;
        long address = log.Append(RecordType.Put, 0, 0, 0, Key(77), Value(77), out int length);
        Assert.True(log.BeginCommit(() => { }, out long commitEnd));
        Assert.True(commitEnd >= address + length);
        Volatile.Write(ref end, commitEnd);
        TakeImageOnce();   // the write may have completed before the end was known
        await taken.Task.WaitAsync(TimeSpan.FromSeconds(30));
        try
        {
            var options = Options();
            options.Directory = image;
            using var recovered = new ValueLog(options);
            Assert.True(recovered.CommittedUntil >= address + length, $"recovered up to {recovered.CommittedUntil}, record ends at {address + length}");
            Assert.True(LogRecord.TryRead(await recovered.ReadAsync(address, length), out var view));
            Assert.True(view.Key.SequenceEqual(Key(77)));
        }
        finally
        {
            Directory.Delete(image, recursive: true);
        }
    }

    [Fact]
    public async Task AnImageOfTheFilesTakenAfterManyCommitsRecoversEveryCommittedRecord()
    {
        // The commit metadata file is rewritten only every CommitFileEvery commits; the commits after it live only as
        // commit records inside the log, which recovery finds by scanning forward. A copy of the directory taken
        // while the log is open is what a kill -9 leaves behind.
        var log = Open("file");
        int commits = ValueLog.CommitFileEvery * 2 + 57;
        var (addresses, lengths) = (new long[commits], new int[commits]);
        for (int i = 0; i < commits; i++)
        {
            byte[] key = Key(i), value = Value(i % 1000 == 7 ? 8 : i);
            addresses[i] = log.Append(RecordType.Put, 0, 0, 0, key, value, out lengths[i]);
            var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Assert.True(log.BeginCommit(() => durable.TrySetResult(), out _));
            await durable.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(log.CommittedUntil >= addresses[i] + lengths[i]);
        }
        long committed = log.CommittedUntil;
        string image = dir + "-image";
        CopyDirectory(dir, image);
        try
        {
            int newestFile = Directory.EnumerateFiles(Path.Combine(image, "log-commits"))
                .Select(f => int.Parse(Path.GetFileName(f).Split('.')[1], System.Globalization.CultureInfo.InvariantCulture)).Max();
            Assert.True(newestFile < commits - 50, $"commit file {newestFile} of {commits} commits: written on every commit?");

            var options = Options();
            options.Directory = image;
            using var recovered = new ValueLog(options);
            Assert.Equal(committed, recovered.CommittedUntil);
            for (int i = 0; i < commits; i++)
            {
                Assert.True(LogRecord.TryRead(await recovered.ReadAsync(addresses[i], lengths[i]), out var view), $"record {i}");
                Assert.True(view.Key.SequenceEqual(Key(i)), $"record {i} key");
            }
        }
        finally
        {
            Directory.Delete(image, recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (string d in Directory.GetDirectories(from)) CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
    }

    [Fact]
    public async Task CorruptRecordOnDiskIsReportedByReadAndEndsTheScan()
    {
        var log = Open("file");
        var (addresses, lengths) = AppendAll(log, 100);
        await log.CommitAsync();
        log.Dispose();

        // Flip one byte of record 50's value in the segment file (segment 0 holds logical addresses 0..4 MB).
        long offset = addresses[50] + 4 + LogRecord.HeaderSize + Key(50).Length + 1;
        using (var f = new FileStream(Path.Combine(dir, "values.log.0"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1, FileOptions.WriteThrough))
        {
            f.Position = offset;
            int b = f.ReadByte();
            f.Position = offset;
            f.WriteByte((byte)(b ^ 0x10));
        }

        var reopened = Open("file");
        var e = await Assert.ThrowsAsync<ColdReadException>(async () => await reopened.ReadAsync(addresses[50], lengths[50]));
        Assert.Equal((ColdReadFailure.Corrupt, addresses[50]), (e.Failure, e.Address));
        AssertRecord(49, await reopened.ReadAsync(addresses[49], lengths[49]));
        AssertRecord(51, await reopened.ReadAsync(addresses[51], lengths[51]));

        var result = reopened.Scan(0, long.MaxValue, (_, _, _) => true);
        Assert.Equal(50, result.Records);
        Assert.Equal(addresses[50], result.InvalidAddress);
        Assert.Equal(addresses[50], result.EndAddress);
    }

    [Fact]
    public async Task ReadWithTheAppendLengthCostsExactlyOneDeviceRead()
    {
        var counting = new CountingDevice(new SlowMemoryDevice(maxDelay: TimeSpan.FromMilliseconds(0.2)));
        owned.Add(counting);
        var log = Open("memory", counting);
        var (addresses, lengths) = AppendAll(log, 1500); // includes a 1 MB and 100 KB records
        await log.CommitAsync();

        counting.ResetCount();
        for (int i = 0; i < 1500; i++) AssertRecord(i, await log.ReadAsync(addresses[i], lengths[i]));
        Assert.Equal(1500, counting.Reads);

        // A wrong length is caught by FasterLog's entry header, still with a single read.
        counting.ResetCount();
        var e = await Assert.ThrowsAsync<ColdReadException>(async () => await log.ReadAsync(addresses[7], LogRecord.Overhead));
        Assert.Equal(ColdReadFailure.Corrupt, e.Failure);
        Assert.Equal(1, counting.Reads);
    }

    [Fact]
    public async Task SegmentFilesAreOpenWithODirectWhenTheFilesystemSupportsIt()
    {
        int probe = LinuxFile.Open(Path.Combine(dir, "probe"), LinuxFile.ORdwr | LinuxFile.OCreat | LinuxFile.ODirect);
        bool supported = probe >= 0;
        if (supported) LinuxFile.Close(probe);
        File.Delete(Path.Combine(dir, "probe"));

        var log = Open("file");
        log.Append(RecordType.Put, 0, 0, 0, "k"u8, "v"u8, out _);
        await log.CommitAsync();
        var device = Assert.IsType<DirectFileDevice>(log.Device);
        Assert.Equal(supported, device.DirectIo);
        int fd = device.FileDescriptorOf(0);
        Assert.True(fd >= 0);
        string flags = File.ReadLines($"/proc/self/fdinfo/{fd}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        Assert.Equal(supported, (Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & LinuxFile.ODirect) != 0);
    }

    [Fact]
    public void AppendRefusesWhatWouldCorruptTheLog()
    {
        var log = Open("memory");
        Assert.Throws<ArgumentException>(() => log.Append(RecordType.Put, 0, 0, 0, "k"u8, new byte[log.MaxRecordSize], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(RecordType.Put, 0, 70_000, 0, "k"u8, [], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Append((RecordType)0, 0, 0, 0, "k"u8, [], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(RecordType.Put, 0, 0, -5, "k"u8, [], out _));
        Assert.Equal(log.BeginAddress, log.TailAddress);
        long a = log.Append(RecordType.Put, 0, 0, 0, "k"u8, new byte[log.MaxRecordSize - LogRecord.Overhead - 1], out int length);
        Assert.Equal(log.MaxRecordSize, length);
        Assert.True(log.TailAddress > a);
    }
}

using FASTER.core;
using Tiered.Tiering.Cold;

namespace Tiered.Tiering.Tests.Cold;

/// <summary>
/// Reads of DirectFileDevice through native AIO (LinuxAio.cs) on a real O_DIRECT file: batching by
/// DeviceReadBatch, the fall-back to the I/O threads past the AIO depth, and stopping while the reaper waits.
/// </summary>
public sealed class AsyncReadTests : IDisposable
{
    private const int SegmentBits = 20;
    private const int Block = 4096;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tiered-aio-" + Guid.NewGuid().ToString("N"));
    private readonly List<IDevice> _devices = [];

    public AsyncReadTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        foreach (var d in _devices) d.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private DirectFileDevice NewDevice(int depth = 256)
    {
        var d = new DirectFileDevice(Path.Combine(_dir, "log"), new DeviceOptions { IoThreads = 4, AsyncReadDepth = depth });
        d.Initialize(1L << SegmentBits);
        _devices.Add(d);
        return d;
    }

    /// <summary>Writes <paramref name="blocks"/> blocks, block b filled with the byte b * 31 + 7.</summary>
    private static async Task WriteBlocks(DirectFileDevice device, int blocks)
    {
        using var all = new AlignedBuffer(blocks * Block);
        for (int b = 0; b < blocks; b++) all.Span.Slice(b * Block, Block).Fill(Pattern(b));
        Assert.Equal(0u, (await Io.Write(device, all, 0)).Error);
    }

    private static byte Pattern(int block) => (byte)(block * 31 + 7);

    private static async Task WithBuffers(int count, Func<AlignedBuffer[], Task> body)
    {
        var buffers = Enumerable.Range(0, count).Select(_ => new AlignedBuffer(Block)).ToArray();
        try
        {
            await body(buffers);
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }
    }

    /// <summary>Reads block <paramref name="blockOf"/>(i) into buffer i, all inside one batch; <paramref name="beforeEnd"/> runs before it ends.</summary>
    private static Task<(uint Error, uint Bytes)[]> ReadInOneBatch(DirectFileDevice device, AlignedBuffer[] buffers, Func<int, int> blockOf, Action beforeEnd)
    {
        var reads = new Task<(uint Error, uint Bytes)>[buffers.Length];
        DeviceReadBatch.Begin();
        try
        {
            for (int i = 0; i < reads.Length; i++) reads[i] = Io.Read(device, (ulong)blockOf(i) * Block, buffers[i]);
            beforeEnd();
        }
        finally
        {
            DeviceReadBatch.End();
        }
        return Task.WhenAll(reads);
    }

    /// <summary>Every device these tests make must read through AIO (the AioFact probe said the kernel offers it).</summary>
    private static void RequireAio(DirectFileDevice device) => Assert.True(device.AsyncReads, "the device fell back to its threads");

    [AioFact]
    public async Task ReadsInOneBatchAreSubmittedTogetherWhenTheBatchEnds()
    {
        var device = NewDevice();
        RequireAio(device);
        await WriteBlocks(device, 64);
        await WithBuffers(32, async buffers =>
        {
            var before = device.AsyncReadStats;
            var results = await ReadInOneBatch(device, buffers, i => i * 2,
                () => Assert.Equal(before, device.AsyncReadStats));   // gathered, not yet submitted
            Assert.All(results, r => Assert.Equal((0u, (uint)Block), r));
            for (int i = 0; i < buffers.Length; i++)
                Assert.True(buffers[i].Span.IndexOfAnyExcept(Pattern(i * 2)) < 0, $"read {i}");
            var after = device.AsyncReadStats;
            Assert.Equal(32, after.Reads - before.Reads);
            Assert.Equal(1, after.SubmitCalls - before.SubmitCalls);
        });
    }

    [AioFact]
    public async Task ReadsACompletionCallbackStartsAreSubmittedTogetherAfterItReturns()
    {
        var device = NewDevice();
        RequireAio(device);
        await WriteBlocks(device, 8);
        await WithBuffers(3, async buffers =>
        {
            var next = new Task<(uint Error, uint Bytes)>[2];
            var started = new TaskCompletionSource<(long Reads, long SubmitCalls)>(TaskCreationOptions.RunContinuationsAsynchronously);
            var before = device.AsyncReadStats;
            // The first read's callback runs on the reaper thread and starts two more, as a cold read's completion
            // starts the next reads of a command: they must go out in one io_submit, after the callback returns.
            device.ReadAsync(1 * Block, buffers[0].Pointer, Block, (error, bytes, _) =>
            {
                next[0] = Io.Read(device, 3 * Block, buffers[1]);
                next[1] = Io.Read(device, 5 * Block, buffers[2]);
                started.SetResult(device.AsyncReadStats);   // still gathered, not submitted
            }, null);
            var inCallback = await started.Task;
            var results = await Task.WhenAll(next);
            Assert.All(results, r => Assert.Equal((0u, (uint)Block), r));
            Assert.True(buffers[1].Span.IndexOfAnyExcept(Pattern(3)) < 0);
            Assert.True(buffers[2].Span.IndexOfAnyExcept(Pattern(5)) < 0);
            var after = device.AsyncReadStats;
            Assert.Equal((before.Reads + 1, before.SubmitCalls + 1), inCallback);
            Assert.Equal(3, after.Reads - before.Reads);
            Assert.Equal(2, after.SubmitCalls - before.SubmitCalls);
        });
    }

    [AioFact]
    public async Task AReadOutsideABatchIsSubmittedAtOnce()
    {
        var device = NewDevice();
        RequireAio(device);
        await WriteBlocks(device, 4);
        using var buf = new AlignedBuffer(Block);
        var before = device.AsyncReadStats;
        var read = Io.Read(device, 3 * Block, buf);
        Assert.Equal(before.Reads + 1, device.AsyncReadStats.Reads);
        Assert.Equal((0u, (uint)Block), await read);
        Assert.True(buf.Span.IndexOfAnyExcept(Pattern(3)) < 0);
    }

    [AioFact]
    public async Task ReadsBeyondTheAioDepthAreServedByTheThreadsAndAllComplete()
    {
        var device = NewDevice(depth: 4);
        RequireAio(device);
        await WriteBlocks(device, 128);
        await WithBuffers(100, async buffers =>
        {
            var before = device.AsyncReadStats;
            var results = await ReadInOneBatch(device, buffers, i => i, () => { });
            Assert.All(results, r => Assert.Equal((0u, (uint)Block), r));
            for (int i = 0; i < buffers.Length; i++)
                Assert.True(buffers[i].Span.IndexOfAnyExcept(Pattern(i)) < 0, $"read {i}");
            long viaAio = device.AsyncReadStats.Reads - before.Reads;
            Assert.InRange(viaAio, 1, 4);   // the batch held at most the depth; the rest went to the threads
        });
    }

    [AioFact]
    public async Task AReadPastTheEndOfTheFileCompletesWithZerosThroughAio()
    {
        var device = NewDevice();
        RequireAio(device);
        await WriteBlocks(device, 1);
        using var buf = new AlignedBuffer(2 * Block);
        buf.Span.Fill(0xAB);
        // Half a segment past the one block written to segment 5: past the file's end, or zeros the prewriter wrote.
        ulong farSegment = 5UL << SegmentBits;
        using (var one = new AlignedBuffer(Block))
        {
            one.Span.Fill(1);
            Assert.Equal(0u, (await Io.Write(device, one, farSegment)).Error);
        }
        var (err, _) = await Io.Read(device, farSegment + (1UL << (SegmentBits - 1)), buf);
        Assert.Equal(0u, err);
        Assert.True(buf.Span.IndexOfAnyExcept((byte)0) < 0, "bytes past the end must read as zeros");
    }

    [AioFact]
    public async Task DisposingWhileTheReaperWaitsReturnsAndLaterReadsAreCanceled()
    {
        var device = NewDevice();
        RequireAio(device);
        await WriteBlocks(device, 2);
        using var buf = new AlignedBuffer(Block);
        Assert.Equal((0u, (uint)Block), await Io.Read(device, 0, buf));
        Task dispose = Task.Run(device.Dispose);
        Assert.Same(dispose, await Task.WhenAny(dispose, Task.Delay(TimeSpan.FromSeconds(30))));   // a hang check, not a timing
        Assert.Equal(125u, (await Io.Read(device, 0, buf)).Error);   // ECANCELED
    }

    [AioFact]
    public async Task ASynchronousValueLogReadInsideABatchDoesNotWaitForTheBatchToEnd()
    {
        string path = Path.Combine(_dir, "vlog");
        using var log = new ValueLog(new ValueLogOptions { Directory = path, PageSizeBits = 16, MemorySizeBits = 18, SegmentSizeBits = 20 });
        long address = log.Append(RecordType.Put, 0, 0, 0, "k"u8, "cold value"u8, out int length);
        await log.CommitAsync();
        DeviceReadBatch.Begin();
        try
        {
            byte[] record = log.Read(address, length);   // would hang if the read stayed in the batch
            Assert.True(LogRecord.TryRead(record, out LogRecord.RecordView view));
            Assert.True(view.Value.SequenceEqual("cold value"u8));
        }
        finally
        {
            DeviceReadBatch.End();
        }
    }
}

/// <summary>A fact that needs Linux native AIO: skipped where io_setup is unavailable (the device then uses threads).</summary>
public sealed class AioFactAttribute : FactAttribute
{
    private static readonly bool Available = Probe();

    public AioFactAttribute()
    {
        if (!Available) Skip = "this kernel offers no native AIO (io_setup failed)";
    }

    private static bool Probe()
    {
        using LinuxAio? aio = LinuxAio.TryCreate(1, () => { }, null);
        return aio is not null;
    }
}

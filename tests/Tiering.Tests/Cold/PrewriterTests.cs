using Tiered.Tiering.Cold;

namespace Tiered.Tiering.Tests.Cold;

/// <summary>
/// The prewriter on its own (a recording zero writer) and inside a DirectFileDevice on a temporary directory.
/// </summary>
public sealed class PrewriterTests : IDisposable
{
    private const long Mb = 1 << 20;
    private readonly string dir = Path.Combine(Path.GetTempPath(), "tiered-prewrite-" + Guid.NewGuid().ToString("N"));

    public PrewriterTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Records each zero write as (device start, end); can hold writes until released.</summary>
    private sealed class Recorder(long segmentSize)
    {
        public readonly List<(long Start, long End)> Calls = [];
        public readonly ManualResetEventSlim Release = new(true);
        public readonly SemaphoreSlim Started = new(0);
        public uint Error;

        public uint Write(int segment, long offset, int length, IntPtr zeros)
        {
            long start = segment * segmentSize + offset;
            lock (Calls) Calls.Add((start, start + length));
            Started.Release();
            Release.Wait(TimeSpan.FromSeconds(30));
            return Error;
        }

        public (long Start, long End)[] Snapshot()
        {
            lock (Calls) return [.. Calls];
        }
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in 30 s");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void ZerosStartAtTheHighestWriteAndReachTheAheadDistance()
    {
        var rec = new Recorder(64 * Mb);
        using var p = new Prewriter(4 * Mb, 64 * Mb, rec.Write, null);
        p.Submitted(0, 3 * Mb + 4096);
        WaitUntil(() => p.ZeroedBytes >= 4 * Mb);
        var calls = rec.Snapshot();
        Assert.Equal(3 * Mb + 4096, calls[0].Start);
        for (int i = 1; i < calls.Length; i++) Assert.Equal(calls[i - 1].End, calls[i].Start);   // contiguous, no gaps
        Assert.Equal(3 * Mb + 4096 + 4 * Mb, calls[^1].End);
        Thread.Sleep(50);
        Assert.Equal(calls.Length, rec.Snapshot().Length);   // and stops there

        p.Submitted(3 * Mb + 4096, 4 * Mb + 4096);   // 3 MB still ahead: more than half, nothing to do
        Thread.Sleep(50);
        Assert.Equal(calls.Length, rec.Snapshot().Length);
        p.Submitted(4 * Mb + 4096, 6 * Mb);          // under half left: refilled to the full distance
        WaitUntil(() => rec.Snapshot()[^1].End >= 10 * Mb);
    }

    [Fact]
    public async Task ALogWriteOverlappingTheChunkBeingZeroedWaitsForItAndLandsAfter()
    {
        var rec = new Recorder(64 * Mb);
        rec.Release.Reset();   // hold the first zero write
        using var p = new Prewriter(4 * Mb, 64 * Mb, rec.Write, null);
        p.Submitted(0, 8192);
        Assert.True(rec.Started.Wait(TimeSpan.FromSeconds(30)));
        var chunk = rec.Snapshot()[0];
        Assert.Equal(8192, chunk.Start);

        p.Submitted(8192, 16384);   // the log catches up with the zeros
        var order = new List<string>();
        var write = Task.Run(() =>
        {
            p.BeforeWrite(8192, 16384);
            lock (order) order.Add("data");
        });
        Assert.NotSame(write, await Task.WhenAny(write, Task.Delay(200)));   // it waits for the zero write under it
        lock (order) order.Add("zeros done");
        rec.Release.Set();
        await write.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["zeros done", "data"], order);
        // A write beyond the chunk never waited at all.
        p.BeforeWrite(chunk.End, chunk.End + 4096);
    }

    [Fact]
    public void ZerosNeverCrossIntoASegmentTheLogHasNotWritten()
    {
        var rec = new Recorder(2 * Mb);
        using var p = new Prewriter(8 * Mb, 2 * Mb, rec.Write, null);
        p.Submitted(0, Mb);
        WaitUntil(() => p.ZeroedBytes >= Mb);
        Thread.Sleep(50);
        Assert.All(rec.Snapshot(), c => Assert.True(c.End <= 2 * Mb, $"zeros at {c.Start}-{c.End}"));
        p.Submitted(2 * Mb, 2 * Mb + 4096);   // the log moves into segment 1: zeros follow, up to its end
        WaitUntil(() => p.ZeroedBytes >= 3 * Mb - 4096);
        Assert.Equal(4 * Mb, rec.Snapshot()[^1].End);
    }

    [Fact]
    public void AFailedZeroWriteStopsPrewritingAndSaysSoOnce()
    {
        var rec = new Recorder(64 * Mb) { Error = 28 };   // ENOSPC
        var messages = new List<string>();
        using var p = new Prewriter(4 * Mb, 64 * Mb, rec.Write, m => { lock (messages) messages.Add(m); });
        p.Submitted(0, 4096);
        WaitUntil(() => { lock (messages) return messages.Count > 0; });
        p.Submitted(4096, 8192);
        p.Submitted(8192, 5 * Mb);
        Thread.Sleep(100);
        Assert.Single(rec.Snapshot());
        Assert.Single(messages);
        Assert.Contains("errno 28", messages[0]);
        p.BeforeWrite(4096, 8192);   // log writes go on
    }

    [Fact]
    public async Task TheFileDeviceKeepsZerosAheadOfItsWritesAndTheWrittenBytesIntact()
    {
        var messages = new List<string>();
        var device = new DirectFileDevice(Path.Combine(dir, "log"), new DeviceOptions { IoThreads = 4, PrewriteBytes = 2 * Mb },
            m => { lock (messages) messages.Add(m); });
        try
        {
            device.Initialize(64 * Mb);
            using var data = new AlignedBuffer(64 * 1024);
            data.Fill(seed: 3);
            for (int i = 0; i < 4; i++)
                Assert.Equal((0u, (uint)data.Length), await Io.Write(device, data, (ulong)(i * data.Length)));
            string file = Path.Combine(dir, "log.0");
            // At least half the distance is always kept ahead (it is refilled when less is left).
            WaitUntil(() => new FileInfo(file).Length >= 4 * data.Length + Mb);
            lock (messages) Assert.Empty(messages);
            using var back = new AlignedBuffer(4 * 64 * 1024 + 8192);
            back.Fill(seed: 99);   // stale content that must not survive
            Assert.Equal(0u, (await Io.Read(device, 0, back)).Error);
            for (int i = 0; i < 4; i++) Assert.True(data.Span.SequenceEqual(back.Span.Slice(i * data.Length, data.Length)), $"block {i}");
            Assert.True(back.Span[(4 * data.Length)..].IndexOfAnyExcept((byte)0) < 0);
        }
        finally
        {
            device.Dispose();
        }
    }
}

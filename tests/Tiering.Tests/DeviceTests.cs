using FASTER.core;
using System.Globalization;
using System.Runtime.InteropServices;
using Tiered.Tiering.Cold;

namespace Tiered.Tiering.Tests;

/// <summary>
/// The SSD device layer: DirectFileDevice against a real temporary directory, SlowMemoryDevice in memory.
/// Behaviour tests run on both; O_DIRECT specifics on the file device only.
/// </summary>
public sealed class DeviceTests : IDisposable
{
    private const int SegmentBits = 20; // 1 MB segments: several segments without large files
    private readonly string dir = Path.Combine(Path.GetTempPath(), "tiered-device-" + Guid.NewGuid().ToString("N"));
    private readonly List<IDevice> devices = [];

    public DeviceTests() => Directory.CreateDirectory(dir);

    public void Dispose()
    {
        foreach (var d in devices) d.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>"file": reads through native AIO where the kernel has it; "file-threads": reads on the I/O threads.</summary>
    public static TheoryData<string> Kinds => ["file", "file-threads", "memory"];

    private IDevice NewDevice(string kind, int ioThreads = 8)
    {
        IDevice d = kind.StartsWith("file", StringComparison.Ordinal)
            ? new DirectFileDevice(Path.Combine(dir, "log"), new DeviceOptions { IoThreads = ioThreads, AsyncReads = kind == "file" })
            : new SlowMemoryDevice(maxDelay: TimeSpan.FromMilliseconds(2));
        d.Initialize(1L << SegmentBits);
        devices.Add(d);
        return d;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task WrittenBytesReadBackUnchangedAtVariousAlignedOffsetsAndSizes(string kind)
    {
        var device = NewDevice(kind);
        long seg = 1L << SegmentBits;
        (ulong Address, int Size)[] cases =
        [
            (0, 512), (512, 4096), (3 * 4096, 65536), ((ulong)seg - 4096, 4096), // segment 0, up to its last block
            ((ulong)seg, 512), ((ulong)(2 * seg + 8192), 128 * 1024),               // segments 1 and 2
            ((ulong)(3 * seg + 4096), 700 * 1024),                                    // read back in three 256 KB steps
        ];
        for (int i = 0; i < cases.Length; i++)
        {
            using var buf = new AlignedBuffer(cases[i].Size);
            buf.Fill(seed: i + 1);
            var (err, n) = await Io.Write(device, buf, cases[i].Address);
            Assert.Equal((0u, (uint)cases[i].Size), (err, n));
        }
        for (int i = 0; i < cases.Length; i++)
        {
            using var buf = new AlignedBuffer(cases[i].Size);
            var (err, n) = await Io.Read(device, cases[i].Address, buf);
            Assert.Equal((0u, (uint)cases[i].Size), (err, n));
            using var expected = new AlignedBuffer(cases[i].Size);
            expected.Fill(seed: i + 1);
            Assert.True(expected.Span.SequenceEqual(buf.Span), $"case {i} at {cases[i].Address}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ReadingPastTheWrittenEndYieldsZeros(string kind)
    {
        var device = NewDevice(kind);
        using var data = new AlignedBuffer(4096);
        data.Fill(seed: 7);
        await Io.Write(device, data, 0);
        using var buf = new AlignedBuffer(8192);
        buf.Fill(seed: 9); // stale content that must not survive
        var (err, _) = await Io.Read(device, 0, buf);
        Assert.Equal(0u, err);
        Assert.True(data.Span.SequenceEqual(buf.Span[..4096]));
        Assert.True(buf.Span[4096..].IndexOfAnyExcept((byte)0) < 0);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task TwoHundredFiftySixConcurrentReadsEachCompleteWithTheirOwnBlock(string kind)
    {
        var device = NewDevice(kind, ioThreads: 16);
        const int blocks = 1024, block = 4096; // 4 MB over four segments
        using (var all = new AlignedBuffer(blocks * block))
        {
            for (int b = 0; b < blocks; b++) all.Span.Slice(b * block, block).Fill((byte)(b * 31 + 7));
            for (int s = 0; s < 4; s++)
            {
                using var part = new AlignedBuffer(1 << SegmentBits);
                all.Span.Slice(s << SegmentBits, 1 << SegmentBits).CopyTo(part.Span);
                Assert.Equal(0u, (await Io.Write(device, part, (ulong)s << SegmentBits)).Error);
            }
        }
        var rng = new Random(42);
        var wanted = Enumerable.Range(0, 256).Select(_ => rng.Next(blocks)).ToArray();
        var buffers = wanted.Select(_ => new AlignedBuffer(block)).ToArray();
        try
        {
            var results = await Task.WhenAll(wanted.Select((b, i) => Io.Read(device, (ulong)b * block, buffers[i])));
            Assert.All(results, r => Assert.Equal((0u, (uint)block), r));
            for (int i = 0; i < wanted.Length; i++)
                Assert.True(buffers[i].Span.IndexOfAnyExcept((byte)(wanted[i] * 31 + 7)) < 0, $"read {i} of block {wanted[i]}");
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task MisalignedRequestCompletesWithEinvalInsteadOfReachingTheDisk(string kind)
    {
        var device = NewDevice(kind);
        using var buf = new AlignedBuffer(8192);
        var (err, n) = await Io.Read(device, 100, buf, length: 4096);
        Assert.Equal((22u, 0u), (err, n));
        (err, n) = await Io.Write(device, buf, 0, length: 1000);
        Assert.Equal((22u, 0u), (err, n));
    }

    [Fact]
    public async Task RemovingASegmentDeletesItsFileAndLeavesTheOthers()
    {
        var device = (DirectFileDevice)NewDevice("file");
        using var buf = new AlignedBuffer(4096);
        for (int s = 0; s < 3; s++) await Io.Write(device, buf, (ulong)s << SegmentBits);
        string Seg(int s) => Path.Combine(dir, "log." + s.ToString(CultureInfo.InvariantCulture));
        Assert.True(File.Exists(Seg(0)) && File.Exists(Seg(1)) && File.Exists(Seg(2)));

        device.RemoveSegment(0);
        Assert.False(File.Exists(Seg(0)));
        Assert.Equal(-1, device.FileDescriptorOf(0));

        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        device.RemoveSegmentAsync(1, _ => removed.SetResult(), null!);
        await removed.Task;
        Assert.False(File.Exists(Seg(1)));
        Assert.True(File.Exists(Seg(2)));
        Assert.Equal(0u, (await Io.Read(device, 2UL << SegmentBits, buf)).Error);
    }

    [Fact]
    public async Task RemovingASegmentOfTheMemoryDeviceDropsItsBytes()
    {
        var device = (SlowMemoryDevice)NewDevice("memory");
        using var buf = new AlignedBuffer(4096);
        await Io.Write(device, buf, 0);
        await Io.Write(device, buf, 1UL << SegmentBits);
        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        device.RemoveSegmentAsync(0, _ => removed.SetResult(), null!);
        await removed.Task;
        Assert.Equal(-1, device.SegmentLength(0));
        Assert.Equal(4096, device.SegmentLength(1));
    }

    [Fact]
    public async Task SegmentFilesAreOpenWithODirectWhenTheFilesystemSupportsIt()
    {
        int probe = LinuxFile.Open(Path.Combine(dir, "probe"), LinuxFile.ORdwr | LinuxFile.OCreat | LinuxFile.ODirect);
        bool supported = probe >= 0;
        if (supported) LinuxFile.Close(probe);

        var device = (DirectFileDevice)NewDevice("file");
        using var buf = new AlignedBuffer(4096);
        await Io.Write(device, buf, 0);
        int fd = device.FileDescriptorOf(0);
        Assert.True(fd >= 0);
        Assert.Equal(supported, device.DirectIo);
        Assert.Equal(supported, (FdFlags(fd) & LinuxFile.ODirect) != 0);
        Assert.NotEqual(0, FdFlags(fd) & LinuxFile.ODsync);   // a completed write is on stable storage
        Assert.True(device.SectorSize >= 512 && (device.SectorSize & (device.SectorSize - 1)) == 0);
    }

    [Fact]
    public async Task FallsBackToBufferedIoAndSaysSoWhenTheFilesystemRefusesODirect()
    {
        var messages = new List<string>();
        static int RefuseDirect(string path, int flags) => (flags & LinuxFile.ODirect) != 0 ? -22 : LinuxFile.Open(path, flags);
        var device = new DirectFileDevice(Path.Combine(dir, "log"), new DeviceOptions { IoThreads = 2 }, m => { lock (messages) messages.Add(m); }, RefuseDirect);
        device.Initialize(1L << SegmentBits);
        devices.Add(device);

        Assert.False(device.DirectIo);
        Assert.Contains(messages, m => m.Contains("refuses O_DIRECT", StringComparison.Ordinal));
        using var buf = new AlignedBuffer(4096);
        buf.Fill(seed: 3);
        Assert.Equal(0u, (await Io.Write(device, buf, 0)).Error);
        using var back = new AlignedBuffer(4096);
        Assert.Equal(0u, (await Io.Read(device, 0, back)).Error);
        Assert.True(buf.Span.SequenceEqual(back.Span));
        Assert.Equal(0, FdFlags(device.FileDescriptorOf(0)) & LinuxFile.ODirect);
        Assert.NotEqual(0, FdFlags(device.FileDescriptorOf(0)) & LinuxFile.ODsync);
    }

    [Fact]
    public void RequiringODirectOnAFilesystemThatRefusesItFailsAtConstruction()
    {
        static int RefuseDirect(string path, int flags) => (flags & LinuxFile.ODirect) != 0 ? -22 : LinuxFile.Open(path, flags);
        var e = Assert.Throws<IOException>(() => new DirectFileDevice(Path.Combine(dir, "log"),
            new DeviceOptions { IoThreads = 1, RequireDirectIo = true }, null, RefuseDirect));
        Assert.Contains("O_DIRECT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenFailureIsReportedAsErrnoThroughTheCallback()
    {
        // The probe file opens; segment files fail with EACCES (13).
        static int DenySegments(string path, int flags) => path.EndsWith(".dio-probe", StringComparison.Ordinal) ? LinuxFile.Open(path, flags) : -13;
        var device = new DirectFileDevice(Path.Combine(dir, "log"), new DeviceOptions { IoThreads = 2 }, null, DenySegments);
        device.Initialize(1L << SegmentBits);
        devices.Add(device);
        using var buf = new AlignedBuffer(4096);
        Assert.Equal((13u, 0u), await Io.Read(device, 0, buf));
        Assert.Equal((13u, 0u), await Io.Write(device, buf, 0));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task RequestsAfterDisposeCompleteWithEcanceled(string kind)
    {
        var device = NewDevice(kind);
        device.Dispose();
        using var buf = new AlignedBuffer(4096);
        Assert.Equal(125u, (await Io.Read(device, 0, buf)).Error);
        Assert.Equal(125u, (await Io.Write(device, buf, 0)).Error);
    }

    [Fact]
    public async Task ReopenedDeviceFindsExistingSegmentRange()
    {
        var device = NewDevice("file");
        using var buf = new AlignedBuffer(4096);
        for (int s = 2; s <= 4; s++) await Io.Write(device, buf, (ulong)s << SegmentBits);
        device.Dispose();
        var reopened = NewDevice("file");
        Assert.Equal((2, 4), (reopened.StartSegment, reopened.EndSegment));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task FasterLogReadsBackTenThousandRecordsBeforeAndAfterRecovery(string kind)
    {
        const int count = 10_000;
        static byte[] Record(int i)
        {
            var r = new byte[1 + i * 7919 % 300];
            for (int j = 0; j < r.Length; j++) r[j] = (byte)(i + j * 13);
            return r;
        }

        var device = NewDevice(kind);
        FasterLogSettings Settings() => new()
        {
            LogDevice = device, PageSizeBits = 16, MemorySizeBits = 18, SegmentSizeBits = SegmentBits,
            LogCommitDir = Path.Combine(dir, "commits"),
        };

        var addresses = new long[count];
        using (var log = new FasterLog(Settings()))
        {
            for (int i = 0; i < count; i++) addresses[i] = log.Enqueue(Record(i));
            log.Commit(spinWait: true);
            Assert.True(log.TailAddress > 4 * (1L << 18), "most of the log must have left memory");
            await ReadAllAndCompare(log);
        }

        if (kind.StartsWith("file", StringComparison.Ordinal))
        {
            device.Dispose();
            device = NewDevice(kind);
        }
        using (var log = new FasterLog(Settings()))
        {
            int n = 0;
            using (var iter = log.Scan(log.BeginAddress, log.TailAddress))
            {
                while (iter.GetNext(out byte[] entry, out int length, out long address))
                {
                    Assert.Equal(addresses[n], address);
                    Assert.True(Record(n).AsSpan().SequenceEqual(entry.AsSpan(0, length)), $"record {n} after recovery");
                    n++;
                }
            }
            Assert.Equal(count, n);
            await ReadAllAndCompare(log);
        }

        async Task ReadAllAndCompare(FasterLog log)
        {
            for (int start = 0; start < count; start += 64)
            {
                var batch = Enumerable.Range(start, Math.Min(64, count - start))
                    .Select(async i => (i, await log.ReadAsync(addresses[i], Record(i).Length)));
                foreach (var (i, (bytes, length)) in await Task.WhenAll(batch))
                {
                    Assert.Equal(Record(i).Length, length);
                    Assert.True(Record(i).AsSpan().SequenceEqual(bytes.AsSpan(0, length)), $"record {i}");
                }
            }
        }
    }

    private static int FdFlags(int fd)
    {
        string line = File.ReadLines($"/proc/self/fdinfo/{fd}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }
}

/// <summary>Awaitable wrappers over the callback API.</summary>
internal static class Io
{
    public static Task<(uint Error, uint Bytes)> Read(IDevice d, ulong address, AlignedBuffer buf, int length = -1)
    {
        var tcs = new TaskCompletionSource<(uint, uint)>(TaskCreationOptions.RunContinuationsAsynchronously);
        d.ReadAsync(address, buf.Pointer, (uint)(length < 0 ? buf.Length : length), (e, n, c) => ((TaskCompletionSource<(uint, uint)>)c).SetResult((e, n)), tcs);
        return tcs.Task;
    }

    public static Task<(uint Error, uint Bytes)> Write(IDevice d, AlignedBuffer buf, ulong address, int length = -1)
    {
        var tcs = new TaskCompletionSource<(uint, uint)>(TaskCreationOptions.RunContinuationsAsynchronously);
        d.WriteAsync(buf.Pointer, address, (uint)(length < 0 ? buf.Length : length), (e, n, c) => ((TaskCompletionSource<(uint, uint)>)c).SetResult((e, n)), tcs);
        return tcs.Task;
    }
}

/// <summary>Native memory aligned to 4096 bytes, as O_DIRECT needs.</summary>
internal sealed unsafe class AlignedBuffer : IDisposable
{
    public AlignedBuffer(int length)
    {
        Length = length;
        Pointer = (IntPtr)NativeMemory.AlignedAlloc((nuint)length, 4096);
        Span.Clear();
    }

    public IntPtr Pointer { get; private set; }

    public int Length { get; }

    public Span<byte> Span => new((void*)Pointer, Length);

    public void Fill(int seed) => new Random(seed).NextBytes(Span);

    public void Dispose()
    {
        if (Pointer != 0) NativeMemory.AlignedFree((void*)Pointer);
        Pointer = 0;
    }
}

// An in-memory FASTER device for tests that behaves like a slow disk.
//
// Why. FASTER's own in-memory devices complete most I/O synchronously or with fixed latency, so code above the
// device (the engine's pending-read paths, FASTER's completion callbacks racing with new requests) can pass
// tests without its asynchronous paths ever running. This device completes every read, write and segment
// removal later, on its own completion thread, after a random delay in [MinDelay, MaxDelay]: completions come
// out of order and on a thread the caller does not own, as they do with DirectFileDevice.
//
// Alignment. It enforces the same rule as the O_DIRECT device: buffer address, offset and length must be
// multiples of SectorSize, otherwise the request completes with EINVAL. Code that passes here will not be
// refused by the real disk.
//
// Data is copied when the request completes (not when it is submitted), so a read racing with a write sees
// the old or the new bytes as it could on a disk. Reads past the written end return zeros.

using System.Collections.Concurrent;
using FASTER.core;

namespace Tiered.Tiering.Cold;

/// <summary>
/// In-memory <see cref="IDevice"/> whose segments are byte arrays and whose every request completes asynchronously
/// after a configurable delay. For tests.
/// </summary>
/// <remarks>
/// Shared state: <c>segments</c> is a concurrent map; each segment's bytes are guarded by the segment's own lock.
/// The schedule (<c>due</c>) is guarded by <c>gate</c>; any thread adds to it, only the completion thread takes
/// from it and runs callbacks.
/// </remarks>
public sealed class SlowMemoryDevice : StorageDeviceBase
{
    private const uint ErrInvalid = 22, ErrCanceled = 125;

    private readonly ConcurrentDictionary<int, Segment> segments = new();
    private readonly object gate = new();
    private readonly PriorityQueue<Request, (long Due, long Seq)> due = new();
    private readonly Random random;
    private readonly long minDelayTicks, maxDelayTicks;
    private readonly Thread completer;
    private long sequence;
    private bool stopping;
    private LightEpoch? ownedEpoch;

    /// <summary>Creates the device.</summary>
    /// <param name="minDelay">Shortest completion delay (default 0).</param>
    /// <param name="maxDelay">Longest completion delay (default 2 ms).</param>
    /// <param name="sectorSize">Alignment enforced on offsets, lengths and buffers.</param>
    /// <param name="seed">Seed of the delay generator, for reproducible interleavings.</param>
    public SlowMemoryDevice(TimeSpan? minDelay = null, TimeSpan? maxDelay = null, uint sectorSize = 512, int seed = 1, string name = "slow-memory")
        : base(name, sectorSize, Devices.CAPACITY_UNSPECIFIED)
    {
        minDelayTicks = (minDelay ?? TimeSpan.Zero).Ticks;
        maxDelayTicks = Math.Max(minDelayTicks, (maxDelay ?? TimeSpan.FromMilliseconds(2)).Ticks);
        random = new Random(seed);
        completer = new Thread(RunCompletions) { IsBackground = true, Name = "slow-memory-device" };
        completer.Start();
    }

    /// <summary>Bytes currently held for a segment (its highest written offset), or -1 if it does not exist.</summary>
    public long SegmentLength(int segment) => segments.TryGetValue(segment, out var s) ? s.Length : -1;

    /// <inheritdoc/>
    public override void Initialize(long segmentSize, LightEpoch? epoch = null, bool omitSegmentIdFromFilename = false)
    {
        epoch ??= ownedEpoch ??= new LightEpoch();
        base.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);
    }

    /// <inheritdoc/>
    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength,
        DeviceIOCompletionCallback callback, object context)
        => Schedule(new Request(RequestKind.Read, segmentId, sourceAddress, destinationAddress, readLength, callback, context));

    /// <inheritdoc/>
    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite,
        DeviceIOCompletionCallback callback, object context)
    {
        Utility.MonotonicUpdate(ref endSegment, segmentId, out _);
        Schedule(new Request(RequestKind.Write, segmentId, destinationAddress, sourceAddress, numBytesToWrite, callback, context));
    }

    /// <inheritdoc/>
    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
        => Schedule(new Request(RequestKind.Remove, segment, 0, 0, 0, null, null, callback, result));

    /// <inheritdoc/>
    public override void RemoveSegment(int segment) => segments.TryRemove(segment, out _);

    /// <inheritdoc/>
    public override long GetFileSize(int segment) => segmentSize > 0 ? segmentSize : Math.Max(0, SegmentLength(segment));

    /// <summary>Stops the completion thread; requests still scheduled complete with ECANCELED.</summary>
    public override void Dispose()
    {
        lock (gate)
        {
            if (stopping) return;
            stopping = true;
            Monitor.PulseAll(gate);
        }
        if (Thread.CurrentThread != completer) completer.Join();
        ownedEpoch?.Dispose();
    }

    private void Schedule(Request request)
    {
        lock (gate)
        {
            if (!stopping)
            {
                long delay = minDelayTicks == maxDelayTicks ? minDelayTicks : random.NextInt64(minDelayTicks, maxDelayTicks + 1);
                due.Enqueue(request, (DateTime.UtcNow.Ticks + delay, sequence++));
                Monitor.Pulse(gate);
                return;
            }
        }
        Complete(request, canceled: true);
    }

    private void RunCompletions()
    {
        while (true)
        {
            Request next;
            bool canceled;
            lock (gate)
            {
                while (true)
                {
                    if (due.TryPeek(out next, out var when))
                    {
                        if (stopping) { due.Dequeue(); canceled = true; break; }
                        long wait = when.Due - DateTime.UtcNow.Ticks;
                        if (wait <= 0) { due.Dequeue(); canceled = false; break; }
                        Monitor.Wait(gate, TimeSpan.FromTicks(wait));
                    }
                    else
                    {
                        if (stopping) return;
                        Monitor.Wait(gate);
                    }
                }
            }
            Complete(next, canceled);
        }
    }

    private void Complete(Request r, bool canceled)
    {
        if (r.Kind == RequestKind.Remove)
        {
            if (!canceled) RemoveSegment(r.Segment);
            r.RemoveCallback!(r.RemoveResult!);
            return;
        }
        uint error = 0, bytes = 0;
        uint mask = SectorSize - 1;
        if (canceled) error = ErrCanceled;
        else if (((ulong)r.Buffer & mask | r.Offset & mask | r.Length & mask) != 0) error = ErrInvalid;
        else if (r.Kind == RequestKind.Write) bytes = segments.GetOrAdd(r.Segment, _ => new Segment()).Write(r.Offset, r.Buffer, r.Length);
        else bytes = segments.TryGetValue(r.Segment, out var s) ? s.Read(r.Offset, r.Buffer, r.Length) : Segment.Zeros(r.Buffer, r.Length);
        r.Callback!(error, bytes, r.Context!);
    }

    private enum RequestKind : byte { Read, Write, Remove }

    private readonly record struct Request(
        RequestKind Kind, int Segment, ulong Offset, IntPtr Buffer, uint Length,
        DeviceIOCompletionCallback? Callback, object? Context,
        AsyncCallback? RemoveCallback = null, IAsyncResult? RemoveResult = null);

    /// <summary>A segment's bytes, grown on demand; <see cref="Length"/> is the highest written offset.</summary>
    private sealed class Segment
    {
        private readonly object sync = new();
        private byte[] data = [];
        private long length;

        public long Length { get { lock (sync) return length; } }

        public unsafe uint Write(ulong offset, IntPtr source, uint count)
        {
            lock (sync)
            {
                long end = (long)offset + count;
                if (end > data.Length) Array.Resize(ref data, (int)Math.Min(Array.MaxLength, Math.Max(end, 2L * data.Length)));
                new ReadOnlySpan<byte>((void*)source, (int)count).CopyTo(data.AsSpan((int)offset));
                length = Math.Max(length, end);
                return count;
            }
        }

        public unsafe uint Read(ulong offset, IntPtr destination, uint count)
        {
            var target = new Span<byte>((void*)destination, (int)count);
            lock (sync)
            {
                long available = Math.Clamp(length - (long)offset, 0, count);
                data.AsSpan((int)Math.Min((long)offset, length), (int)available).CopyTo(target);
                target[(int)available..].Clear();
                return (uint)available;
            }
        }

        public static unsafe uint Zeros(IntPtr destination, uint count)
        {
            NativeMemory.Clear((void*)destination, count);
            return 0;
        }
    }
}

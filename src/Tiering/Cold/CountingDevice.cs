using FASTER.core;

namespace Tiered.Tiering.Cold;

/// <summary>
/// A device decorator that counts the reads reaching the device underneath: how the measurement tool and the tests
/// check that a cold read costs exactly one device read. Passes everything else through unchanged.
/// </summary>
public sealed class CountingDevice(IDevice inner) : StorageDeviceBase("counting", inner.SectorSize, inner.Capacity)
{
    private long reads;

    public long Reads => Interlocked.Read(ref reads);

    public void ResetCount() => Interlocked.Exchange(ref reads, 0);

    public override void Initialize(long segmentSize, LightEpoch? epoch = null, bool omitSegmentIdFromFilename = false)
    {
        inner.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);
        base.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);
    }

    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength,
        DeviceIOCompletionCallback callback, object context)
    {
        Interlocked.Increment(ref reads);
        inner.ReadAsync(segmentId, sourceAddress, destinationAddress, readLength, callback, context);
    }

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite,
        DeviceIOCompletionCallback callback, object context)
        => inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytesToWrite, callback, context);

    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
        => inner.RemoveSegmentAsync(segment, callback, result);

    public override void Dispose() => inner.Dispose();
}

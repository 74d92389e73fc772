// Settings of the SSD device layer (DirectFileDevice).
//
// The cold tier is only cold if its reads go to the disk: the device opens its files with O_DIRECT, so the
// log never lands in the kernel page cache. The figures that shaped the defaults (see
// /work/shared/notes/faster-on-linux.md): the SSD serves about 82K random 4 KB reads/s at best, and only
// with many reads in flight; with blocking pread that means many threads blocked in the kernel at once, so
// 64 dedicated I/O threads by default. Segment files of 1 GB (2^30) are FASTER's default and keep the
// number of open files small; compaction frees disk space in whole segments, so smaller segments free
// space sooner at the price of more files.

namespace Tiered.Tiering.Cold;

/// <summary>
/// Settings of <see cref="DirectFileDevice"/>. Defaults live here, in code; each setting's description says what it changes.
/// </summary>
public sealed class DeviceOptions
{
    /// <summary>Threads that run the blocking pread/pwrite/fdatasync calls; at most this many I/Os are in flight on the disk.</summary>
    public int IoThreads { get; set; } = 64;

    /// <summary>Open segment files with O_DIRECT (bypass the kernel page cache). "no" is only for comparisons.</summary>
    public bool DirectIo { get; set; } = true;

    /// <summary>Fail to open the device when the filesystem refuses O_DIRECT, instead of falling back to buffered I/O.</summary>
    public bool RequireDirectIo { get; set; }

    /// <summary>
    /// log2 of the size of one segment file. The device itself takes its segment size from FASTER
    /// (<c>IDevice.Initialize</c>); the engine passes this value to FASTER's log settings (<c>SegmentSizeBits</c>).
    /// </summary>
    public int SegmentSizeBits { get; set; } = 30;

    /// <summary>The settings above in Redis's spelling.</summary>
    public IEnumerable<Setting> Settings()
    {
        yield return new("ssd-io-threads", "Threads doing blocking SSD reads and writes (the most I/Os in flight).",
            () => SettingParse.Int(IoThreads), SettingParse.IntSetter(v => IoThreads = (int)v, 1, 1024), Mutable: false);
        yield return new("ssd-direct-io", "Open SSD segment files with O_DIRECT, bypassing the page cache.",
            () => SettingParse.Bool(DirectIo), SettingParse.BoolSetter(v => DirectIo = v), Mutable: false);
        yield return new("ssd-require-direct-io", "Refuse to start when the filesystem does not support O_DIRECT.",
            () => SettingParse.Bool(RequireDirectIo), SettingParse.BoolSetter(v => RequireDirectIo = v), Mutable: false);
        yield return new("ssd-segment-size-bits", "log2 of the size of one SSD segment file (30 = 1 GB).",
            () => SettingParse.Int(SegmentSizeBits), SettingParse.IntSetter(v => SegmentSizeBits = (int)v, 22, 40), Mutable: false);
    }
}

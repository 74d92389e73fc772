// Settings of the SSD device layer (DirectFileDevice).
//
// The cold tier is only cold if its reads go to the disk: the device opens its files with O_DIRECT, so the
// log never lands in the kernel page cache. The figures that shaped the defaults (see
// /work/shared/notes/faster-on-linux.md): the SSD serves about 82K random 4 KB reads/s at best, and only
// with many reads in flight; with blocking pread that means many threads blocked in the kernel at once, so
// 64 dedicated I/O threads by default. The segment size is the log's setting (ValueLogOptions): the device
// takes it from FASTER (IDevice.Initialize).

namespace Tiered.Tiering.Cold;

/// <summary>
/// Settings of <see cref="DirectFileDevice"/>. Defaults live here, in code; each setting's description says what it changes.
/// </summary>
public sealed class DeviceOptions
{
    /// <summary>Threads that run the blocking pread/pwrite calls; at most this many I/Os are in flight on the disk.</summary>
    public int IoThreads { get; set; } = 64;

    /// <summary>
    /// Send reads of a record to Linux native AIO (many per system call, one reaper thread) instead of the threads,
    /// when the files are O_DIRECT and the kernel allows it. The threads then serve writes and scans only, and there
    /// are at most <see cref="ThreadsBesideAio"/> of them. "no" is for comparisons.
    /// </summary>
    public bool AsyncReads { get; set; } = true;

    /// <summary>With <see cref="AsyncReads"/>: the most reads in flight through AIO; more wait for the threads.</summary>
    public int AsyncReadDepth { get; set; } = 256;

    /// <summary>I/O threads kept when reads go to AIO: writes (one commit at a time) and scans need few.</summary>
    public const int ThreadsBesideAio = 8;

    /// <summary>Open segment files with O_DIRECT (bypass the kernel page cache). "no" is only for comparisons.</summary>
    public bool DirectIo { get; set; } = true;

    /// <summary>Fail to open the device when the filesystem refuses O_DIRECT, instead of falling back to buffered I/O.</summary>
    public bool RequireDirectIo { get; set; }

    /// <summary>
    /// Bytes the segment files are kept written with zeros past the log's highest write, so a log write changes no
    /// filesystem metadata (see Prewriter). 0 turns it off. Costs up to this much disk beyond the log.
    /// </summary>
    public long PrewriteBytes { get; set; } = 32L << 20;

    /// <summary>The settings above in Redis's spelling.</summary>
    public IEnumerable<Setting> Settings()
    {
        yield return new("ssd-io-threads", "Threads doing blocking SSD reads and writes (the most I/Os in flight).",
            () => SettingParse.Int(IoThreads), SettingParse.IntSetter(v => IoThreads = (int)v, 1, 1024), Mutable: false);
        yield return new("ssd-async-reads", "Read cold records through Linux native AIO, many per system call, instead of blocking I/O threads.",
            () => SettingParse.Bool(AsyncReads), SettingParse.BoolSetter(v => AsyncReads = v), Mutable: false);
        yield return new("ssd-async-read-depth", "The most cold reads in flight through native AIO.",
            () => SettingParse.Int(AsyncReadDepth), SettingParse.IntSetter(v => AsyncReadDepth = (int)v, 1, 65536), Mutable: false);
        yield return new("ssd-direct-io", "Open SSD segment files with O_DIRECT, bypassing the page cache.",
            () => SettingParse.Bool(DirectIo), SettingParse.BoolSetter(v => DirectIo = v), Mutable: false);
        yield return new("ssd-require-direct-io", "Refuse to start when the filesystem does not support O_DIRECT.",
            () => SettingParse.Bool(RequireDirectIo), SettingParse.BoolSetter(v => RequireDirectIo = v), Mutable: false);
        yield return new("ssd-prewrite", "Bytes kept written with zeros ahead of the SSD log's tail, so appends change no file metadata (0: off).",
            () => SettingParse.Int(PrewriteBytes), SettingParse.SizeSetter(v => PrewriteBytes = v), Mutable: false);
    }
}

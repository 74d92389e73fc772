// Settings of the value log (ValueLog: FasterLog over the SSD device).
//
// How the sizes were chosen.
// - Page (4 MB, 2^22): FasterLog writes whole pages (a page goes to disk when the tail leaves it or at a commit,
//   which flushes the partial page too), and one record must fit in one page. 4 MB pages hold a value of up to
//   4 MB - 4 B in one record and make the steady-state write a large sequential I/O.
// - Memory (16 MB, 2^24): the ring of in-memory pages the tail writes into (4 pages). Appends only wait when all
//   four are still being flushed; reads of committed records always go to the device, so a larger ring buys nothing
//   for reads and costs DRAM that the hot tier would rather have.
// - Segment (256 MB, 2^28): disk space is freed only in whole segment files (TruncateUntil deletes the files wholly
//   below the new begin address). Compaction works from the oldest segment upward and was measured at 1.7-3.0 s per
//   1.7 GB (shared/notes/faster-on-linux.md), so a 256 MB segment is a fraction of a second of background work and
//   the log overshoots its target size by at most one segment. Smaller segments free space sooner but mean more
//   files (a 1 TB log is 4,096 files of 256 MB, comfortably below fd limits); FASTER's default of 1 GB would keep
//   up to 1 GB of dead data on disk per compaction step.

namespace Tiered.Tiering.Cold;

/// <summary>
/// Settings of <see cref="ValueLog"/>. Defaults live here, in code; each setting's description says what it changes.
/// </summary>
public sealed class ValueLogOptions
{
    /// <summary>
    /// Directory of the log: segment files <c>values.log.N</c> (when the log creates its own device) and FasterLog's
    /// commit metadata (<c>log-commits/</c>). Created if missing. Required.
    /// </summary>
    public string Directory { get; set; } = "";

    /// <summary>log2 of a log page (default 22 = 4 MB). The largest record is one page minus FasterLog's 4-byte header.</summary>
    public int PageSizeBits { get; set; } = 22;

    /// <summary>log2 of the in-memory log buffer (default 24 = 16 MB, 4 pages). Must be at least two pages.</summary>
    public int MemorySizeBits { get; set; } = 24;

    /// <summary>
    /// log2 of a segment file (default 28 = 256 MB): the step in which <see cref="ValueLog.TruncateUntil"/> frees disk
    /// space. At least one page.
    /// </summary>
    public int SegmentSizeBits { get; set; } = 28;

    /// <summary>Settings of the <see cref="DirectFileDevice"/> the log creates when it is given no device (I/O threads, O_DIRECT).</summary>
    public DeviceOptions Device { get; set; } = new();

    /// <summary>Receives notable device events (O_DIRECT fallback, I/O errors); may be null.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Throws if the sizes are inconsistent.</summary>
    internal void Validate()
    {
        if (string.IsNullOrEmpty(Directory)) throw new ArgumentException("ValueLogOptions.Directory is required.");
        if (PageSizeBits is < 12 or > 30) throw new ArgumentOutOfRangeException(nameof(PageSizeBits), PageSizeBits, "12..30");
        if (MemorySizeBits < PageSizeBits + 1) throw new ArgumentOutOfRangeException(nameof(MemorySizeBits), MemorySizeBits, "at least two pages");
        if (SegmentSizeBits < PageSizeBits || SegmentSizeBits > 40) throw new ArgumentOutOfRangeException(nameof(SegmentSizeBits), SegmentSizeBits, "at least one page, at most 40");
    }
}

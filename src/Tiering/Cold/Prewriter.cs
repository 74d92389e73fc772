// Space written ahead of the log's tail.
//
// Why. An O_DSYNC write that allocates blocks or moves a file's end must also commit the filesystem's journal (ext4:
// jbd2 writes its journal blocks and flushes the disk cache once more), so every log commit cost a second device
// round trip and a wake-up of the jbd2 thread. A write into blocks that already exist, written, changes no metadata.
// Measured on this machine kind (ext4 on a virtio disk with a volatile write cache), 32 KB O_DSYNC|O_DIRECT writes:
// appending 470 us, overwriting written blocks 300 us, writing into fallocate'd blocks 421-481 us (unwritten extents
// are converted at the write: a journal commit again). With both cores busy: 709-880 us against 509-626 us. In the
// server (appendfsync always, 50 clients writing 1 KB values for 20 s) the average commit went from 1,196-1,218 us to
// 817-840 us with this prewriter running, and to 664-678 us with the files zero-filled before the run.
//
// How. One thread keeps the segment files written with zeros up to AheadBytes past the end of the highest write
// submitted (it starts again when less than half of that is left), in 1 MB writes through the device's own fds (O_DSYNC, so the blocks and the file size are on disk before
// the log writes there). A zero write must never land on log data:
//
//   device bytes -> [ log, written or in flight ][ zeros ...................... ][ chunk ][ untouched
//                                                ^ highest end of any submitted write     ^ being zeroed
//
//   - a chunk starts at or after the highest end of every write submitted so far, so it covers no log data;
//   - a log write submitted later that overlaps the chunk being zeroed waits for it, then overwrites the zeros;
//   - zeros stay inside the segment the highest write is in: no segment file exists before the log writes to it
//     (a reopened device finds the log's segment range from its files), at the price of the first writes of each
//     segment appending until the zeros get ahead of them.
//
// Past the log's tail the bytes mean nothing (recovery stops at the last commit record, and reads past a file's end
// returned zeros before), so zeroing them changes nothing a reader can see. The cost is the log's write volume once
// more, in large writes, and up to AheadBytes of disk beyond the log. If a zero write fails (a full disk), prewriting
// stops for good and log writes go on as before.


namespace Tiered.Tiering.Cold;

/// <summary>Keeps the device written with zeros ahead of its highest write (see the file's header).</summary>
/// <remarks>
/// Shared state rule: every field below <c>_gate</c> is guarded by it. <see cref="Submitted"/> is called by any thread
/// submitting a write, <see cref="BeforeWrite"/> by the I/O thread about to execute one; only the prewriter thread picks
/// and finishes chunks.
/// </remarks>
internal sealed unsafe class Prewriter : IDisposable
{
    /// <summary>Bytes per zero write.</summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>Writes zeros (segment, offset, length, buffer) on the calling thread; returns 0 or the errno.</summary>
    public delegate uint ZeroWriter(int segment, long offset, int length, IntPtr zeros);

    private readonly long _ahead;
    private readonly long _segmentSize;
    private readonly ZeroWriter _write;
    private readonly Action<string>? _log;
    private readonly object _gate = new();
    private long _highest;                       // highest end (device address) of any submitted write
    private long _frontier;                      // zeros are written from the first write's end up to here
    private long _chunkStart, _chunkEnd;         // the chunk being zeroed; empty when equal
    private bool _stopping, _failed;
    private Thread? _thread;
    private void* _zeros;

    /// <param name="ahead">Bytes to keep written past the highest write.</param>
    /// <param name="segmentSize">The device's segment size (zero writes never cross a segment's end).</param>
    /// <param name="write">Blocking write of zeros through the device's fds.</param>
    /// <param name="log">Receives the one failure report.</param>
    public Prewriter(long ahead, long segmentSize, ZeroWriter write, Action<string>? log)
    {
        _ahead = ahead;
        _segmentSize = segmentSize;
        _write = write;
        _log = log;
    }

    /// <summary>Bytes of zeros written so far (tests).</summary>
    public long ZeroedBytes { get; private set; }

    /// <summary>A write of device bytes [start, end) is being submitted. Any thread; short.</summary>
    public void Submitted(long start, long end)
    {
        lock (_gate)
        {
            if (end <= _highest) return;
            _highest = end;
            if (_failed || _stopping || _frontier - _highest > _ahead / 2 || !Behind()) return;
            if (_thread is null)
            {
                _zeros = NativeMemory.AlignedAlloc(ChunkBytes, 4096);
                NativeMemory.Clear(_zeros, ChunkBytes);
                _thread = new Thread(Run) { IsBackground = true, Name = "ssd-prewrite" };
                _thread.Start();
            }
            else Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The I/O thread is about to write device bytes [start, end): waits while they are being zeroed.</summary>
    public void BeforeWrite(long start, long end)
    {
        lock (_gate)
        {
            while (start < _chunkEnd && _chunkStart < end) Monitor.Wait(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            long start, end;
            lock (_gate)
            {
                while (!_stopping && !_failed && !Behind()) Monitor.Wait(_gate);
                if (_stopping || _failed) return;
                start = Math.Max(_frontier, _highest);
                end = Math.Min(start + ChunkBytes, SegmentEnd(_highest));
                _chunkStart = start;
                _chunkEnd = end;
            }
            uint error = _write((int)(start / _segmentSize), start % _segmentSize, (int)(end - start), (IntPtr)_zeros);
            lock (_gate)
            {
                _chunkStart = _chunkEnd = 0;
                if (error == 0)
                {
                    _frontier = Math.Max(_frontier, end);
                    ZeroedBytes += end - start;
                }
                else
                {
                    _failed = true;
                    _log?.Invoke($"ssd: writing zeros ahead of the log failed (errno {error}); log writes go on without it");
                }
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Zeros are wanted: fewer than the ahead bytes past the highest write, and room left in its segment.</summary>
    private bool Behind()
    {
        long start = Math.Max(_frontier, _highest);
        return start < _highest + _ahead && start < SegmentEnd(_highest);
    }

    /// <summary>End of the segment holding the byte before <paramref name="end"/>.</summary>
    private long SegmentEnd(long end) => ((end - 1) / _segmentSize + 1) * _segmentSize;

    /// <summary>Stops the thread after its current chunk (a waiting log write is released when that chunk ends).</summary>
    public void Dispose()
    {
        Thread? t;
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
            t = _thread;
        }
        if (t is not null && t != Thread.CurrentThread) t.Join();
        if (_zeros != null)
        {
            NativeMemory.AlignedFree(_zeros);
            _zeros = null;
        }
    }
}

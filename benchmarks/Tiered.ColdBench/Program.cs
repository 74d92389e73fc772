// ColdBench: how fast the cold tier serves random reads, measured the way the engine will use it.
//
// Why this tool. The design promises that a cold read is one SSD read of a known size (address and exact length
// from the index), and that with many reads in flight the value log gets close to the raw disk. This tool checks
// both on the machine at hand: it writes N records of 1 KB values (half random bytes, half repeated text, LZ4 via
// ValueCodec as the engine will write them), commits, then runs Q concurrent readers doing uniform random reads
// for T seconds, and prints reads/s, p50 and p99 latency, and device reads per lookup (a counting wrapper around
// the device; 1.00 means one read each) and the process CPU time per read (meaningful even on a busy machine). benchmarks/cold-read-vs-fio.sh runs it next to fio for the ratio.
//
// The readers read as the engine does: each owns a RecordRead it reuses, and starts its next read from the
// completion of the last (on the device's completion thread, where reads started together go out in one io_submit).
//
// Usage: Tiered.ColdBench [--dir D] [--records N] [--inflight Q] [--seconds T] [--io-threads K] [--keep]

using FASTER.core;
using System.Diagnostics;
using System.Text;
using Tiered.Compression;
using Tiered.Tiering.Cold;

var dir = Path.Combine(Path.GetTempPath(), "tiered-coldbench");
int records = 1_000_000, inflight = 64, seconds = 10, ioThreads = 64;
bool keep = false;
for (int a = 0; a < args.Length; a++)
{
    switch (args[a])
    {
        case "--dir": dir = args[++a]; break;
        case "--records": records = int.Parse(args[++a]); break;
        case "--inflight": inflight = int.Parse(args[++a]); break;
        case "--seconds": seconds = int.Parse(args[++a]); break;
        case "--io-threads": ioThreads = int.Parse(args[++a]); break;
        case "--keep": keep = true; break;
        default:
            Console.Error.WriteLine("usage: Tiered.ColdBench [--dir D] [--records N] [--inflight Q] [--seconds T] [--io-threads K] [--keep]");
            return 2;
    }
}

if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
var options = new ValueLogOptions { Directory = dir, Device = new DeviceOptions { IoThreads = ioThreads } };
var inner = new DirectFileDevice(Path.Combine(dir, "values.log"), options.Device, m => Console.Error.WriteLine(m));
var device = new CountingDevice(inner);
var log = new ValueLog(options, device);
Console.WriteLine($"dir {dir}: O_DIRECT {inner.DirectIo}, sector {inner.SectorSize} B, {ioThreads} I/O threads");

// Write phase.
var addresses = new long[records];
var lengths = new int[records];
var value = new byte[1024];
var encoded = new byte[ValueCodec.MaxEncodedLength(value.Length)];
var key = new byte[16];
var random = new Random(42);
Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("tiered cold tier ", 40)).AsSpan(0, 512), value.AsSpan(512));
long encodedBytes = 0;
var sw = Stopwatch.StartNew();
for (int i = 0; i < records; i++)
{
    random.NextBytes(value.AsSpan(0, 512));
    int n = ValueCodec.Encode(value, encoded);
    encodedBytes += n;
    Keys.Format(key, i);
    addresses[i] = log.Append(RecordType.Put, 0, 0, 0, key, encoded.AsSpan(0, n), out lengths[i]);
}
log.Commit();
sw.Stop();
Console.WriteLine($"wrote {records:N0} records ({encodedBytes / (double)records:F0} B encoded on average), log {log.SizeBytes / 1048576.0:F0} MB, "
    + $"{records / sw.Elapsed.TotalSeconds:N0} appends/s incl. LZ4 and commit");

// Read phase: a 1 s warm-up, then T seconds measured.
await RunReaders(TimeSpan.FromSeconds(1), record: false);
device.ResetCount();
var before = Process.GetCurrentProcess();
var (cpuBefore, userBefore) = (before.TotalProcessorTime, before.UserProcessorTime);
var (count, latencies, elapsed) = await RunReaders(TimeSpan.FromSeconds(seconds), record: true);
var after = Process.GetCurrentProcess();
var cpu = after.TotalProcessorTime - cpuBefore;
var user = after.UserProcessorTime - userBefore;
Array.Sort(latencies);
double ToUs(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
Console.WriteLine($"random reads, {inflight} in flight, {elapsed.TotalSeconds:F1} s: {count:N0} reads");
Console.WriteLine($"reads/s: {count / elapsed.TotalSeconds:F0}");
Console.WriteLine($"p50 us: {ToUs(latencies[latencies.Length / 2]):F0}");
Console.WriteLine($"p99 us: {ToUs(latencies[(int)(latencies.Length * 0.99)]):F0}");
Console.WriteLine($"device reads per lookup: {device.Reads / (double)count:F2}");
Console.WriteLine($"process CPU per read: {cpu.TotalMicroseconds / count:F1} us ({cpu.TotalSeconds / elapsed.TotalSeconds:F2} cores busy), "
    + $"user {user.TotalMicroseconds / count:F1} us, kernel {(cpu - user).TotalMicroseconds / count:F1} us");

log.Dispose();
device.Dispose();
if (!keep) Directory.Delete(dir, recursive: true);
return 0;

async Task<(long Count, long[] Latencies, TimeSpan Elapsed)> RunReaders(TimeSpan duration, bool record)
{
    long stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    long start = Stopwatch.GetTimestamp();
    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var readers = new Reader[inflight];
    int running = inflight;
    for (int w = 0; w < inflight; w++)
        readers[w] = new Reader(log, addresses, lengths, w * 7919 + 1, stopAt, record, () =>
        {
            if (Interlocked.Decrement(ref running) == 0) done.TrySetResult();
        });
    // The first reads go out together, as a network loop's do (one io_submit); each next one is started by its
    // predecessor's completion on the device's completion thread, batched with the others completed at once.
    DeviceReadBatch.Begin();
    foreach (Reader r in readers) r.Next();
    DeviceReadBatch.End();
    await done.Task;
    var elapsed = Stopwatch.GetElapsedTime(start);
    long total = 0;
    foreach (Reader r in readers)
    {
        if (r.Failure is { } f) throw f;
        total += r.Count;
    }
    var all = new long[record ? total : 0];
    int at = 0;
    if (record)
        foreach (Reader r in readers)
        {
            r.Latencies.CopyTo(all, at);
            at += r.Latencies.Count;
        }
    return (total, all, elapsed);
}

/// <summary>
/// One of the readers in flight, as the engine's cold reads run: a <see cref="RecordRead"/> of its own reused for every
/// read (nothing allocated per read), the next read started from the completion of the last.
/// </summary>
sealed class Reader : IRecordReadOwner
{
    private readonly ValueLog _log;
    private readonly long[] _addresses;
    private readonly int[] _lengths;
    private readonly Random _random;
    private readonly long _stopAt;
    private readonly bool _record;
    private readonly Action _stopped;
    private readonly RecordRead _read;
    private readonly byte[] _expected = new byte[16];
    private int _index;
    private long _startedAt;

    public Reader(ValueLog log, long[] addresses, int[] lengths, int seed, long stopAt, bool record, Action stopped)
    {
        (_log, _addresses, _lengths, _random, _stopAt, _record, _stopped) = (log, addresses, lengths, new Random(seed), stopAt, record, stopped);
        _read = new RecordRead(this);
        Latencies = new List<long>(record ? 1 << 16 : 0);
    }

    public long Count { get; private set; }
    public List<long> Latencies { get; }
    public Exception? Failure { get; private set; }

    public void Next()
    {
        _startedAt = Stopwatch.GetTimestamp();
        if (_startedAt >= _stopAt)
        {
            _stopped();
            return;
        }
        _index = _random.Next(_addresses.Length);
        _log.StartRead(_read, _addresses[_index], _lengths[_index]);
    }

    public void OnRecordRead(RecordRead read)
    {
        long t1 = Stopwatch.GetTimestamp();
        Keys.Format(_expected, _index);
        if (read.Error is { } error || !LogRecord.TryRead(read.Record, out var view) || !view.Key.SequenceEqual(_expected))
        {
            Failure = (Exception?)read.Error ?? new InvalidOperationException($"record {_index} came back wrong");
            _stopped();
            return;
        }
        Count++;
        if (_record) Latencies.Add(t1 - _startedAt);
        Next();
    }
}

static class Keys
{
    public static void Format(Span<byte> dest, int i)
    {
        "key:"u8.CopyTo(dest);
        for (int d = 15, v = i; d >= 4; d--, v /= 10) dest[d] = (byte)('0' + v % 10);
    }
}

// ColdBench: how fast the cold tier serves random reads, measured the way the engine will use it.
//
// Why this tool. The design promises that a cold read is one SSD read of a known size (address and exact length
// from the index), and that with many reads in flight the value log gets close to the raw disk. This tool checks
// both on the machine at hand: it writes N records of 1 KB values (half random bytes, half repeated text, LZ4 via
// ValueCodec as the engine will write them), commits, then runs Q concurrent readers doing uniform random ReadAsync
// for T seconds, and prints reads/s, p50 and p99 latency, and device reads per lookup (a counting wrapper around
// the device; 1.00 means one read each) and the process CPU time per read (meaningful even on a busy machine). benchmarks/cold-read-vs-fio.sh runs it next to fio for the ratio.
//
// Usage: Tiered.ColdBench [--dir D] [--records N] [--inflight Q] [--seconds T] [--io-threads K] [--keep]

using System.Diagnostics;
using System.Text;
using FASTER.core;
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
    FormatKey(key, i);
    addresses[i] = log.Append(RecordType.Put, 0, 0, 0, key, encoded.AsSpan(0, n), out lengths[i]);
}
log.Commit();
sw.Stop();
Console.WriteLine($"wrote {records:N0} records ({encodedBytes / (double)records:F0} B encoded on average), log {log.SizeBytes / 1048576.0:F0} MB, "
    + $"{records / sw.Elapsed.TotalSeconds:N0} appends/s incl. LZ4 and commit");

// Read phase: a 1 s warm-up, then T seconds measured.
await RunReaders(TimeSpan.FromSeconds(1), record: false);
device.ResetCount();
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var (count, latencies, elapsed) = await RunReaders(TimeSpan.FromSeconds(seconds), record: true);
var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
Array.Sort(latencies);
double ToUs(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
Console.WriteLine($"random reads, {inflight} in flight, {elapsed.TotalSeconds:F1} s: {count:N0} reads");
Console.WriteLine($"reads/s: {count / elapsed.TotalSeconds:F0}");
Console.WriteLine($"p50 us: {ToUs(latencies[latencies.Length / 2]):F0}");
Console.WriteLine($"p99 us: {ToUs(latencies[(int)(latencies.Length * 0.99)]):F0}");
Console.WriteLine($"device reads per lookup: {device.Reads / (double)count:F2}");
Console.WriteLine($"process CPU per read: {cpu.TotalMicroseconds / count:F1} us ({cpu.TotalSeconds / elapsed.TotalSeconds:F2} cores busy)");

log.Dispose();
device.Dispose();
if (!keep) Directory.Delete(dir, recursive: true);
return 0;

async Task<(long Count, long[] Latencies, TimeSpan Elapsed)> RunReaders(TimeSpan duration, bool record)
{
    var perWorker = new List<long>[inflight];
    long stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    long start = Stopwatch.GetTimestamp();
    var tasks = new Task[inflight];
    for (int w = 0; w < inflight; w++)
    {
        var mine = perWorker[w] = new List<long>(record ? 1 << 16 : 0);
        int seed = w;
        tasks[w] = Task.Run(async () =>
        {
            var rnd = new Random(seed * 7919 + 1);
            var expected = new byte[16];
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                int i = rnd.Next(records);
                long t0 = Stopwatch.GetTimestamp();
                byte[] bytes = await log.ReadAsync(addresses[i], lengths[i], inlineContinuation: true);   // as the engine reads (ColdTier)
                long t1 = Stopwatch.GetTimestamp();
                FormatKey(expected, i);
                if (!LogRecord.TryRead(bytes, out var view) || !view.Key.SequenceEqual(expected))
                    throw new InvalidOperationException($"record {i} came back wrong");
                if (record) mine.Add(t1 - t0);
            }
        });
    }
    await Task.WhenAll(tasks);
    var elapsed = Stopwatch.GetElapsedTime(start);
    long total = 0;
    foreach (var l in perWorker) total += l.Count;
    var all = new long[total];
    int at = 0;
    foreach (var l in perWorker)
    {
        l.CopyTo(all, at);
        at += l.Count;
    }
    return (total, all, elapsed);
}

static void FormatKey(Span<byte> dest, int i)
{
    "key:"u8.CopyTo(dest);
    for (int d = 15, v = i; d >= 4; d--, v /= 10) dest[d] = (byte)('0' + v % 10);
}

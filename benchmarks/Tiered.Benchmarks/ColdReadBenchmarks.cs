using BenchmarkDotNet.Attributes;
using Tiered.Tiering.Base;
using Tiered.Tiering.Cold;

namespace Tiered.Benchmarks;

/// <summary>
/// One cold read through the value log: FasterLog on the O_DIRECT device, one device read of the record's exact
/// length, CRC check and LZ4 decode of the value; one read in flight (the latency a lone client sees). The log is on
/// the temp directory's disk (set TMPDIR to measure another one); 20,000 records of 1 KB, read at random.
/// </summary>
[MemoryDiagnoser]
public class ColdReadBenchmarks
{
    private const int Records = 20_000;
    private string _dir = "";
    private ValueLog? _log;
    private long[] _address = [];
    private int[] _length = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "tiered-bench-" + Guid.NewGuid().ToString("N"));
        _log = new ValueLog(new ValueLogOptions { Directory = _dir });
        _address = new long[Records];
        _length = new int[Records];
        byte[] buffer = new byte[4096];
        for (int i = 0; i < Records; i++)
        {
            byte[] value = Workload.HalfRandom(1024, seed: i);
            int n = StoredValue.Encode(ValueKind.String, value, ref buffer, out _);
            _address[i] = _log.Append(RecordType.Put, (byte)ValueKind.String, 0, 0, System.Text.Encoding.ASCII.GetBytes("key:" + i), buffer.AsSpan(0, n), out _length[i]);
        }
        _log.Commit();
    }

    [Benchmark]
    public async Task<int> ColdRead1KB()
    {
        int i = _next = (_next * 7919 + 13) % Records;
        byte[] record = await _log!.ReadAsync(_address[i], _length[i]);
        LogRecord.TryRead(record, out LogRecord.RecordView view);
        return ((byte[])StoredValue.Decode(view.Value, ValueKind.String, _address[i])).Length;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

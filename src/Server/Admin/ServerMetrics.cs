using System.Security.Cryptography;

namespace Tiered.Server.Admin;

/// <summary>
/// Figures INFO reports that need sampling or identity: instantaneous ops/sec and network kbps (Redis's 16-sample
/// moving average, taken by the background cycle), peak memory, and the run and replication ids.
///
/// Shared state rule: <see cref="Sample"/> runs on the background cycle and the readers run in commands; both hold
/// the store lock, so no field is touched concurrently.
/// </summary>
public sealed class ServerMetrics
{
    private const int Samples = 16;
    private readonly Metric _ops = new();
    private readonly Metric _input = new();
    private readonly Metric _output = new();
    private long _lastSampleTicks;

    /// <summary>Random 40-hex id of this process run (INFO run_id).</summary>
    public string RunId { get; } = NewId();

    /// <summary>Replication id (INFO master_replid); random per run, like a Redis master without replicas.</summary>
    public string ReplId { get; private set; } = NewId();

    /// <summary>DEBUG CHANGE-REPL-ID: a new random replication id.</summary>
    public void ChangeReplId() => ReplId = NewId();

    /// <summary>Largest managed heap size seen (INFO used_memory_peak).</summary>
    public long PeakUsedMemory { get; private set; }

    /// <summary>Managed heap size when the server was built, before any data (MEMORY STATS startup.allocated).</summary>
    public long StartupMemory { get; } = GC.GetTotalMemory(false);

    public double OpsPerSec => _ops.Average;
    public double InputKbps => _input.Average / 1024;
    public double OutputKbps => _output.Average / 1024;

    /// <summary>Takes one sample; call with the store lock held, at most every 100 ms or so.</summary>
    public void Sample(ServerStats stats)
    {
        long now = Stopwatch.GetTimestamp();
        double seconds = _lastSampleTicks == 0 ? 0 : (now - _lastSampleTicks) / (double)Stopwatch.Frequency;
        _lastSampleTicks = now;
        _ops.Add(stats.CommandsProcessed, seconds);
        _input.Add(stats.InputBytes, seconds);
        _output.Add(stats.OutputBytes, seconds);
        NoteUsedMemory(GC.GetTotalMemory(false));
    }

    /// <summary>Raises the peak if <paramref name="used"/> exceeds it.</summary>
    public void NoteUsedMemory(long used)
    {
        if (used > PeakUsedMemory) PeakUsedMemory = used;
    }

    /// <summary>CONFIG RESETSTAT: Redis resets the peak to the current use.</summary>
    public void Reset()
    {
        PeakUsedMemory = GC.GetTotalMemory(false);
        _ops.Reset();
        _input.Reset();
        _output.Reset();
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    /// <summary>A counter's rate over the last <see cref="Samples"/> intervals.</summary>
    private sealed class Metric
    {
        private readonly double[] _rates = new double[Samples];
        private int _next;
        private long _lastValue = -1;

        public double Average
        {
            get
            {
                double sum = 0;
                foreach (double r in _rates) sum += r;
                return sum / Samples;
            }
        }

        public void Add(long value, double seconds)
        {
            // A counter that went down was reset (CONFIG RESETSTAT): start over from here.
            if (_lastValue >= 0 && seconds > 0 && value >= _lastValue)
            {
                _rates[_next] = (value - _lastValue) / seconds;
                _next = (_next + 1) % Samples;
            }
            _lastValue = value;
        }

        public void Reset()
        {
            Array.Clear(_rates);
            _lastValue = -1;
        }
    }
}

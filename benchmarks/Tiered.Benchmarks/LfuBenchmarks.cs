using BenchmarkDotNet.Attributes;
using Tiered.Tiering.Hot;

namespace Tiered.Benchmarks;

/// <summary>
/// Lfu.Touch, run on every key access: decay from the minute stamp, then the logarithmic probabilistic increment.
/// Two counter states: a new key (counter 5, increments likely) and a hot key (counter 200, the random draw is
/// almost always a no-op). The stamp is one minute old, so the decay path is taken too.
/// </summary>
[MemoryDiagnoser]
public class LfuBenchmarks
{
    private const int LogFactor = 10;
    private const int DecayMinutes = 1;
    private ushort _now = 1000;

    [Benchmark(Baseline = true)]
    public byte TouchNewKey()
    {
        byte counter = Lfu.InitialValue;
        ushort stamp = (ushort)(_now - 1);
        Lfu.Touch(ref counter, ref stamp, _now, LogFactor, DecayMinutes);
        return counter;
    }

    [Benchmark]
    public byte TouchHotKey()
    {
        byte counter = 200;
        ushort stamp = (ushort)(_now - 1);
        Lfu.Touch(ref counter, ref stamp, _now, LogFactor, DecayMinutes);
        return counter;
    }
}

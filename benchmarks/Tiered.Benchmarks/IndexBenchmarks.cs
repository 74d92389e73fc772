using BenchmarkDotNet.Attributes;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Benchmarks;

/// <summary>
/// The engine's hot path on a store of 1M string keys (11-byte keys, 32-byte values): GET of an existing key and SET
/// overwriting an existing key with a value of the same length (copied in place, so no allocation expected).
/// Keys are drawn from 4,096 random ones, so each call probes a different part of the index (cache misses as in
/// real traffic). The server takes the store lock once per batch, not per command, so it is not taken here.
/// </summary>
[MemoryDiagnoser]
public class IndexBenchmarks
{
    private const int KeyCount = 1_000_000;
    private const int ProbeCount = 4096; // a power of two
    private Database _db = null!;
    private byte[][] _probes = [];
    private byte[] _value = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var store = new Store(new EngineOptions { Databases = 1 });
        _db = store.Databases[0];
        _value = new byte[32];
        new Random(1).NextBytes(_value);
        for (int i = 0; i < KeyCount; i++) StringOps.Set(_db, Workload.Key(i), _value);
        var rng = new Random(2);
        _probes = new byte[ProbeCount][];
        for (int i = 0; i < ProbeCount; i++) _probes[i] = Workload.Key(rng.Next(KeyCount));
        if (_db.Count != KeyCount) throw new InvalidOperationException($"expected {KeyCount} keys, got {_db.Count}");
    }

    [Benchmark]
    public int GetHit()
    {
        byte[] key = _probes[_next++ & (ProbeCount - 1)];
        StringOps.Get(_db, key, out ReadOnlySpan<byte> value);
        return value.Length;
    }

    [Benchmark]
    public Status SetOverwrite()
    {
        byte[] key = _probes[_next++ & (ProbeCount - 1)];
        return StringOps.Set(_db, key, _value);
    }
}

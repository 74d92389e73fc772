using BenchmarkDotNet.Attributes;
using Tiered.Compression;

namespace Tiered.Benchmarks;

/// <summary>
/// ValueCodec on a 1 KB value shaped like the workload (half random bytes, half repeated text), LZ4 fast level:
/// what demoting one value to the SSD tier (Encode) and promoting it back (Decode) costs in CPU.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private byte[] _value = [];
    private byte[] _encoded = [];
    private byte[] _decoded = [];
    private int _encodedLength;

    [GlobalSetup]
    public void Setup()
    {
        _value = Workload.HalfRandom(1024, seed: 42);
        _encoded = new byte[ValueCodec.MaxEncodedLength(_value.Length)];
        _decoded = new byte[_value.Length];
        _encodedLength = ValueCodec.Encode(_value, _encoded);
        if (_encoded[0] != ValueCodec.Lz4Id) throw new InvalidOperationException("the 1 KB value should be stored compressed");
        Console.WriteLine($"// 1 KB half-random value encodes to {_encodedLength} bytes");
    }

    [Benchmark]
    public int Encode1KB() => ValueCodec.Encode(_value, _encoded);

    [Benchmark]
    public int Decode1KB()
    {
        ValueCodec.TryDecode(_encoded.AsSpan(0, _encodedLength), _decoded, out int written);
        return written;
    }
}

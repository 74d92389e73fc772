using System.Text;
using BenchmarkDotNet.Attributes;
using Tiered.Server.Protocol;

namespace Tiered.Benchmarks;

/// <summary>
/// The protocol layer: parsing a pipelined batch of 16 GETs as one network read delivers it, and writing the reply
/// to a GET of a 100-byte value.
/// </summary>
[MemoryDiagnoser]
public class RespBenchmarks
{
    private const int BatchSize = 16;
    private readonly ArgList _args = new();
    private byte[] _batch = [];
    private byte[] _scratch = new byte[256];
    private RespWriter _writer = null!;
    private byte[] _value = [];

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < BatchSize; i++) sb.Append($"*2\r\n$3\r\nGET\r\n$11\r\nkey:{i:D7}\r\n");
        _batch = Encoding.ASCII.GetBytes(sb.ToString());
        _writer = new RespWriter();
        _value = Workload.HalfRandom(100, seed: 3);
        if (ParsePipelined16Gets() != BatchSize) throw new InvalidOperationException("the batch should parse into 16 commands");
    }

    [GlobalCleanup]
    public void Cleanup() => _writer.Dispose();

    /// <summary>Parses the whole batch; returns the number of commands (16).</summary>
    [Benchmark]
    public int ParsePipelined16Gets()
    {
        int offset = 0, commands = 0;
        while (offset < _batch.Length)
        {
            ParseStatus status = RespParser.Parse(_batch, offset, _batch.Length - offset, _args, 512L * 1024 * 1024,
                authenticated: true, ref _scratch, out int consumed, out _, out _);
            if (status != ParseStatus.Complete) break;
            offset += consumed;
            commands++;
        }
        return commands;
    }

    [Benchmark]
    public int WriteBulk100B()
    {
        _writer.Clear();
        _writer.Bulk(_value);
        return _writer.Length;
    }
}

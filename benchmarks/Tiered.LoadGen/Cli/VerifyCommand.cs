using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Tiered.LoadGen.Keys;
using Tiered.LoadGen.Resp;

namespace Tiered.LoadGen.Cli;

/// <summary>
/// <c>verify</c>: writes every key once with a value derived from the key's number (half random, half text, so a
/// compressing store has honest work), then reads every key back and compares byte for byte. This is the "every value
/// reads back exactly" check of a dataset larger than the hot tier; it prints counts, rates and the mismatches.
/// </summary>
public static class VerifyCommand
{
    public const string Usage = """
        usage: verify [--host H] [--port P] [--keys N] [--value-size S] [--clients C] [--pipeline P] [--seed N]
                      [--key-prefix S] [--phase write|read|both]
          write: SET every key (value = f(seed, key number)); read: GET every key and compare; both (default): write then read.
          Exit code 0 when every value read back exactly, 1 otherwise.
        """;

    public static async Task<int> ExecuteAsync(string[] args, CancellationToken ct)
    {
        string host = "127.0.0.1", prefix = "key:", phase = "both";
        int port = 6379, clients = 16, pipeline = 64, valueSize = 1024;
        long keys = 1_000_000;
        ulong seed = 1;
        for (int i = 0; i < args.Length; i++)
        {
            string v = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--host": host = v; break;
                case "--port": port = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--keys": keys = long.Parse(v, CultureInfo.InvariantCulture); break;
                case "--value-size": valueSize = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--clients": clients = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--pipeline": pipeline = int.Parse(v, CultureInfo.InvariantCulture); break;
                case "--seed": seed = ulong.Parse(v, CultureInfo.InvariantCulture); break;
                case "--key-prefix": prefix = v; break;
                case "--phase": phase = v; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
            i++;
        }
        var writer = new RequestWriter(prefix, keys);
        long bad = 0;
        if (phase is "write" or "both") await RunPhaseAsync("write", host, port, keys, clients, pipeline, valueSize, seed, writer, ct);
        if (phase is "read" or "both") bad = await RunPhaseAsync("read", host, port, keys, clients, pipeline, valueSize, seed, writer, ct);
        return bad == 0 ? 0 : 1;
    }

    /// <summary>The value of key number <paramref name="key"/>: 16-byte runs alternating random and text.</summary>
    public static void ValueFor(long key, ulong seed, Span<byte> dst)
    {
        var rng = new SplitMix64(seed * 0x9E3779B97F4A7C15UL ^ (ulong)key);
        ReadOnlySpan<byte> text = "verify value text, the quick brown fox jumps over the lazy dog. "u8;
        for (int i = 0; i < dst.Length; i++)
            dst[i] = ValueGenerator.IsTextPosition(i) ? text[(i + (int)(key % 13)) % text.Length] : (byte)rng.NextUInt64();
    }

    private static async Task<long> RunPhaseAsync(string phase, string host, int port, long keys, int clients, int pipeline,
        int valueSize, ulong seed, RequestWriter writer, CancellationToken ct)
    {
        long done = 0, wrong = 0, missing = 0;
        var sw = Stopwatch.StartNew();
        var tasks = new Task[clients];
        for (int c = 0; c < clients; c++)
        {
            int client = c;
            tasks[c] = Task.Run(() =>
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                socket.Connect(host, port);
                using var stream = new NetworkStream(socket);
                using var input = new BufferedStream(stream, 1 << 16);
                var request = new byte[pipeline * writer.MaxSetLength(valueSize)];
                var expected = new byte[valueSize];
                var got = new byte[valueSize + 2];
                var batch = new long[pipeline];
                for (long first = client; first < keys && !ct.IsCancellationRequested;)
                {
                    int n = 0, len = 0;
                    for (long k = first; k < keys && n < pipeline; k += clients)
                    {
                        batch[n++] = k;
                        if (phase == "write")
                        {
                            ValueFor(k, seed, expected);
                            len += writer.WriteSet(request.AsSpan(len), k, expected);
                        }
                        else len += writer.WriteGet(request.AsSpan(len), k);
                    }
                    first = batch[n - 1] + clients;
                    stream.Write(request, 0, len);
                    for (int r = 0; r < n; r++)
                    {
                        string header = ReadLine(input);
                        if (phase == "write")
                        {
                            if (header != "+OK") throw new InvalidOperationException($"SET {writer.KeyName(batch[r])}: {header}");
                            continue;
                        }
                        if (header == "$-1") { Interlocked.Increment(ref missing); Report(writer, batch[r], "missing"); continue; }
                        if (header[0] != '$') throw new InvalidOperationException($"GET {writer.KeyName(batch[r])}: {header}");
                        int size = int.Parse(header.AsSpan(1), CultureInfo.InvariantCulture);
                        if (got.Length < size + 2) got = new byte[size + 2];
                        input.ReadExactly(got, 0, size + 2);
                        ValueFor(batch[r], seed, expected);
                        if (size != valueSize || !got.AsSpan(0, size).SequenceEqual(expected))
                        {
                            Interlocked.Increment(ref wrong);
                            Report(writer, batch[r], $"wrong value ({size} bytes)");
                        }
                    }
                    Interlocked.Add(ref done, n);
                }
            }, ct);
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        Task all = Task.WhenAll(tasks);
        while (!all.IsCompleted)
        {
            if (await Task.WhenAny(all, timer.WaitForNextTickAsync(ct).AsTask()) == all) break;
            Console.Error.WriteLine($"{phase}: {Interlocked.Read(ref done):N0} / {keys:N0} ({done / sw.Elapsed.TotalSeconds:N0}/s)");
        }
        await all;
        double secs = sw.Elapsed.TotalSeconds;
        Console.WriteLine(phase == "write"
            ? $"write: {done:N0} keys of {valueSize} B in {secs:F1} s ({done / secs:N0} SET/s)"
            : $"read: {done:N0} keys in {secs:F1} s ({done / secs:N0} GET/s): {done - wrong - missing:N0} exact, {wrong:N0} wrong, {missing:N0} missing");
        return wrong + missing;
    }

    private static int s_reported;

    private static void Report(RequestWriter writer, long key, string what)
    {
        if (Interlocked.Increment(ref s_reported) <= 20) Console.Error.WriteLine($"{writer.KeyName(key)}: {what}");
    }

    private static string ReadLine(Stream s)
    {
        Span<byte> line = stackalloc byte[64];
        int n = 0;
        while (true)
        {
            int b = s.ReadByte();
            if (b < 0) throw new EndOfStreamException("server closed the connection");
            if (b == '\r') { s.ReadByte(); break; }
            if (n < line.Length) line[n++] = (byte)b;
        }
        return System.Text.Encoding.ASCII.GetString(line[..n]);
    }
}

using System.Diagnostics;
using System.Numerics;
using System.Net.Sockets;
using Tiered.LoadGen.Keys;
using Tiered.LoadGen.Metrics;
using Tiered.LoadGen.Resp;

namespace Tiered.LoadGen.Engine;

/// <summary>
/// One socket and everything it needs to generate load without allocating per request: a reusable send buffer
/// the requests are written into as raw RESP, a receive buffer fed to a streaming <see cref="ReplyReader"/>, a ring
/// of in-flight send times (FIFO, since replies come back in order) and its own histograms and counters.
/// Closed loop: one async loop writes a batch of Pipeline requests, sends it, and reads until all are answered.
/// Open loop: the <see cref="Runner"/>'s pacer thread calls <see cref="PaceSend"/> (single producer) while
/// <see cref="ReceiveLoopAsync"/> consumes replies (single consumer); latency runs from the intended send time.
/// </summary>
public sealed class Connection : IReplySink, IDisposable
{
    public const int OpGet = 0;
    public const int OpSet = 1;

    private readonly Socket _socket;
    private readonly Workload _workload;
    private readonly RunClock _clock;
    private readonly RequestWriter _writer;
    private readonly ValueGenerator _values;
    private readonly KeySampler _keys;
    private SplitMix64 _rng;
    private readonly byte[] _send;
    private readonly byte[] _recv = new byte[64 * 1024];
    private readonly ReplyReader _reader = new();
    private readonly int _maxRequest;

    private readonly long[] _ringTicks;
    private readonly byte[] _ringOps;
    private readonly long _mask;
    private long _head;              // next reply's slot (consumer)
    private long _tail;              // next request's slot (producer)
    private long _quota;             // measured requests still to send
    private long _recvNow;           // time the current receive completed
    private double _nextIntended;    // open loop: intended time of the next request, in ticks
    private readonly double _interval;
    private volatile bool _doneSending;
    private volatile bool _closing;
    private long _totalReplies;

    public Connection(Socket socket, Workload workload, RunClock clock, RequestWriter writer, ValueGenerator values,
        KeySampler keys, int index, long quota)
    {
        _socket = socket;
        _workload = workload;
        _clock = clock;
        _writer = writer;
        _values = values;
        _keys = keys;
        _rng = new SplitMix64(workload.Seed * 31 + (ulong)index * 0xD1B54A32D192ED03UL + 7);
        _quota = quota;
        _doneSending = quota == 0;
        _maxRequest = Math.Max(writer.GetLength, writer.MaxSetLength(values.MaxLength));
        long wanted = (long)workload.Pipeline * _maxRequest;
        _send = new byte[(int)Math.Clamp(wanted, Math.Max(16 * 1024, _maxRequest), Math.Max(4L * 1024 * 1024, _maxRequest))];
        int ring = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(workload.Pipeline, workload.Rate is null ? 1 : 16 * 1024));
        _ringTicks = new long[ring];
        _ringOps = new byte[ring];
        _mask = ring - 1;
        if (workload.Rate is { } rate)
        {
            _interval = Stopwatch.Frequency * (double)workload.Clients / rate;
            _nextIntended = clock.Start + _interval * index / workload.Clients; // stagger connections
        }
        long expected = (long)Math.Ceiling((workload.Warmup + (workload.Requests is null ? workload.Duration : TimeSpan.Zero)).TotalSeconds) + 16;
        PerSecond = new long[Math.Clamp(expected, 16, 1 << 20)];
    }

    public LatencyHistogram[] Latency { get; } = [new LatencyHistogram(), new LatencyHistogram()];
    public long SentMeasured { get; private set; }
    public long RepliesMeasured { get; private set; }
    public long GetMisses { get; private set; }
    public long ErrorReplies { get; private set; }
    public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);
    public long[] PerSecond { get; private set; }
    public long LastReplyTicks { get; private set; }
    public string? Failure { get; private set; }

    public bool DoneSending => _doneSending;
    public long InFlight => Volatile.Read(ref _tail) - Volatile.Read(ref _head);
    public long TotalReplies => Volatile.Read(ref _totalReplies);
    /// <summary>Finished: failed, or nothing more to send and nothing outstanding.</summary>
    public bool Idle => Failure is not null || ((_doneSending || _clock.StopSending) && InFlight == 0);

    /// <summary>Closed loop: batch, send, await every reply, repeat until stopped or the quota is used.</summary>
    public async Task RunClosedAsync()
    {
        try
        {
            while (!_clock.StopSending && !_doneSending)
            {
                long now = RunClock.Now;
                int remaining = _workload.Pipeline;
                while (remaining > 0)
                {
                    int len = 0;
                    while (remaining > 0 && len + _maxRequest <= _send.Length && TryWrite(now, ref len))
                        remaining--;
                    if (len == 0)
                        break;
                    await _socket.SendAsync(_send.AsMemory(0, len), SocketFlags.None).ConfigureAwait(false);
                    if (_doneSending)
                        break;
                }
                while (InFlight > 0)
                {
                    int n = await _socket.ReceiveAsync(_recv.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    if (n == 0)
                        throw new IOException("server closed the connection");
                    _recvNow = RunClock.Now;
                    _reader.Feed(_recv.AsSpan(0, n), this);
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            Fail(e);
        }
    }

    /// <summary>Open loop: consume replies until the socket is closed by <see cref="Dispose"/>.</summary>
    public async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(_recv.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                    throw new IOException("server closed the connection");
                _recvNow = RunClock.Now;
                _reader.Feed(_recv.AsSpan(0, n), this);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or ObjectDisposedException)
        {
            Fail(e);
        }
    }

    /// <summary>Open loop, pacer thread: send every request whose intended time has come, Pipeline per write.</summary>
    public void PaceSend(long now)
    {
        try
        {
            while (!_doneSending && _nextIntended <= now && !_clock.StopSending)
            {
                int len = 0;
                int count = 0;
                while (count < _workload.Pipeline && _nextIntended <= now && len + _maxRequest <= _send.Length
                       && InFlight <= _mask && TryWrite((long)_nextIntended, ref len))
                {
                    _nextIntended += _interval;
                    count++;
                }
                if (len == 0)
                    return; // ring full: the late requests go out later and their wait counts as latency
                _socket.Send(_send.AsSpan(0, len), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Fail(e);
        }
    }

    private bool TryWrite(long sendTicks, ref int len)
    {
        bool measured = sendTicks >= _clock.MeasureStart;
        if (measured)
        {
            if (_quota <= 0)
            {
                _doneSending = true;
                return false;
            }
            _quota--;
            SentMeasured++;
        }
        long key = _keys.Next();
        byte op;
        if (_rng.NextDouble() < _workload.Reads)
        {
            len += _writer.WriteGet(_send.AsSpan(len), key);
            op = OpGet;
        }
        else
        {
            len += _writer.WriteSet(_send.AsSpan(len), key, _values.Next(ref _rng));
            op = OpSet;
        }
        long slot = _tail & _mask;
        _ringTicks[slot] = sendTicks;
        _ringOps[slot] = op;
        Volatile.Write(ref _tail, _tail + 1);
        if (measured && _quota == 0)
            _doneSending = true;
        return true;
    }

    public void OnReply(ReplyKind kind, ReadOnlySpan<byte> errorMessage)
    {
        long head = _head;
        if (head == Volatile.Read(ref _tail))
            throw new InvalidDataException("RESP protocol error: a reply arrived with no request outstanding");
        long sent = _ringTicks[head & _mask];
        int op = _ringOps[head & _mask];
        Volatile.Write(ref _head, head + 1);
        Volatile.Write(ref _totalReplies, _totalReplies + 1);
        if (sent < _clock.MeasureStart)
            return; // warm-up
        RepliesMeasured++;
        LastReplyTicks = _recvNow;
        if (kind == ReplyKind.Error)
        {
            ErrorReplies++;
            string prefix = ReplyReader.ErrorPrefix(errorMessage);
            Errors[prefix] = Errors.GetValueOrDefault(prefix) + 1;
        }
        else
        {
            Latency[op].Record((long)((_recvNow - sent) * RunClock.NanosPerTick));
            if (kind == ReplyKind.Nil && op == OpGet)
                GetMisses++;
        }
        long second = Math.Max(0, (_recvNow - _clock.MeasureStart) / Stopwatch.Frequency);
        if (second >= PerSecond.Length)
        {
            long[] bigger = PerSecond;
            Array.Resize(ref bigger, (int)Math.Max(second + 1, PerSecond.Length * 2L));
            PerSecond = bigger;
        }
        PerSecond[second]++;
    }

    private void Fail(Exception e)
    {
        if (_closing)
            return;
        Failure ??= e.Message;
        _doneSending = true;
    }

    public void Dispose()
    {
        _closing = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Dispose();
    }
}

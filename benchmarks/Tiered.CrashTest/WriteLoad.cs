using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Tiered.CrashTest;

/// <summary>
/// The write load: <c>clients</c> connections, each on its own thread, one request at a time (SET of a checkable value,
/// or DEL), on uniformly random keys "crash:&lt;n&gt;". Every write is entered in the <see cref="KeyLedger"/> before it
/// is sent and acknowledged there after its reply is read; an error reply takes it out again. A writer stops when asked
/// or when its connection dies (the kill), leaving its last write pending, i.e. in flight.
///
/// Writer ids 0..clients-1 are the random writers; the preload uses ids from <c>clients</c> up. Sequence numbers
/// continue across cycles (the caller keeps them), so (writer, seq) names one write for the whole run.
/// </summary>
public sealed class WriteLoad
{
    public const string KeyPrefix = "crash:";

    private readonly CrashOptions _o;
    private readonly KeyLedger? _ledger;
    private readonly long[] _seqs;
    private long _acked;
    private long _errors;
    private string? _firstError;
    private volatile bool _stop;

    /// <param name="seqs">Next sequence number per writer id (length >= 2 * clients); shared across cycles.</param>
    public WriteLoad(CrashOptions o, KeyLedger? ledger, long[] seqs)
    {
        _o = o;
        _ledger = ledger;
        _seqs = seqs;
    }

    public long Acked => Interlocked.Read(ref _acked);
    public long Errors => Interlocked.Read(ref _errors);
    public string? FirstError => _firstError;

    /// <summary>Ask writers to stop after their current request (for throughput runs; crash runs kill the server).</summary>
    public void Stop() => _stop = true;

    /// <summary>Runs the random writers until <see cref="Stop"/> or until every connection died.</summary>
    public Task RunAsync(int port, int seed)
    {
        var tasks = new Task[_o.Clients];
        for (int w = 0; w < _o.Clients; w++)
        {
            int writer = w;
            tasks[w] = Task.Factory.StartNew(() => Writer(port, writer, seed), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        return Task.WhenAll(tasks);
    }

    private void Writer(int port, int writer, int seed)
    {
        var rng = new Random(HashCode.Combine(seed, writer, _seqs[writer]));
        byte[] req = new byte[_o.ValueSize + 128];
        RespConnection conn;
        try
        {
            conn = new RespConnection(port, TimeSpan.FromSeconds(60));
        }
        catch (SocketException)
        {
            return; // the server died before this writer connected
        }
        using (conn)
        {
            while (!_stop)
            {
                long key = rng.NextInt64(_o.Keys);
                bool del = rng.NextDouble() * 100 < _o.DelPercent;
                long seq = _seqs[writer]++;
                int len = del ? WriteDel(req, key) : WriteSet(req, key, writer, seq, _o.ValueSize);
                _ledger?.Begin(key, writer, seq, del, Stopwatch.GetTimestamp());
                bool ok;
                string? error;
                try
                {
                    conn.Send(req.AsSpan(0, len));
                    ok = conn.ReadStatus(out error);
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    return; // killed: this write stays in flight
                }
                if (ok)
                {
                    _ledger?.Ack(key, writer, seq, Stopwatch.GetTimestamp());
                    Interlocked.Increment(ref _acked);
                }
                else
                {
                    _ledger?.Reject(key, writer, seq);
                    Interlocked.Increment(ref _errors);
                    Interlocked.CompareExchange(ref _firstError, error, null);
                }
            }
        }
    }

    /// <summary>Writes every key once, pipelined, from <c>clients</c> connections (writer ids clients..2*clients-1).</summary>
    /// <summary>
    /// The same load as <see cref="RunAsync"/> (no ledger) from async connections on the thread pool, the way
    /// redis-benchmark or Tiered.LoadGen drive a server: a few threads serve all the connections. The throughput run
    /// uses this by default. With one blocking thread per client on a 2-core machine that also runs the server, the
    /// replies a group commit releases together wake 50 client threads at once, and those compete with the server's
    /// own I/O completions for the two cores; that measures the client's scheduling more than the server.
    /// </summary>
    public Task RunAsyncClientsAsync(int port, int seed)
    {
        var tasks = new Task[_o.Clients];
        for (int w = 0; w < _o.Clients; w++)
            tasks[w] = AsyncWriter(port, w, seed);
        return Task.WhenAll(tasks);
    }

    private async Task AsyncWriter(int port, int writer, int seed)
    {
        var rng = new Random(HashCode.Combine(seed, writer, _seqs[writer]));
        byte[] req = new byte[_o.ValueSize + 128];
        byte[] reply = new byte[4096];
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, port).ConfigureAwait(false);
            while (!_stop)
            {
                long key = rng.NextInt64(_o.Keys);
                bool del = rng.NextDouble() * 100 < _o.DelPercent;
                int len = del ? WriteDel(req, key) : WriteSet(req, key, writer, _seqs[writer]++, _o.ValueSize);
                for (int sent = 0; sent < len;)
                    sent += await socket.SendAsync(req.AsMemory(sent, len - sent), SocketFlags.None).ConfigureAwait(false);
                int got = 0;
                while (got < 2 || reply[got - 2] != '\r' || reply[got - 1] != '\n')
                {
                    int n = await socket.ReceiveAsync(reply.AsMemory(got), SocketFlags.None).ConfigureAwait(false);
                    if (n == 0) return;
                    got += n;
                    if (got == reply.Length) throw new IOException("reply longer than 4 KB");
                }
                if (reply[0] == (byte)'-')
                {
                    Interlocked.Increment(ref _errors);
                    Interlocked.CompareExchange(ref _firstError, Encoding.ASCII.GetString(reply, 1, got - 3), null);
                }
                else Interlocked.Increment(ref _acked);
            }
        }
        catch (Exception e) when (e is IOException or SocketException) { }
    }

    public void Preload(int port)
    {
        int conns = _o.Clients;
        var tasks = new Task[conns];
        for (int t = 0; t < conns; t++)
        {
            int c = t;
            tasks[t] = Task.Factory.StartNew(() => PreloadRange(port, c, conns), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        Task.WaitAll(tasks);
    }

    private void PreloadRange(int port, int c, int conns)
    {
        const int batch = 64;
        int writer = _o.Clients + c;
        int maxReq = _o.ValueSize + 128;
        byte[] buf = new byte[batch * maxReq];
        var keys = new long[batch];
        var seqs = new long[batch];
        using var conn = new RespConnection(port, TimeSpan.FromSeconds(120));
        for (long first = c; first < _o.Keys;)
        {
            int n = 0, len = 0;
            for (long k = first; k < _o.Keys && n < batch; k += conns)
            {
                keys[n] = k;
                seqs[n] = _seqs[writer]++;
                len += WriteSet(buf.AsSpan(len), k, writer, seqs[n], _o.ValueSize);
                n++;
                first = k + conns;
            }
            long sent = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
                _ledger?.Begin(keys[i], writer, seqs[i], false, sent);
            conn.Send(buf.AsSpan(0, len));
            for (int i = 0; i < n; i++)
            {
                if (conn.ReadStatus(out string? error))
                {
                    _ledger?.Ack(keys[i], writer, seqs[i], Stopwatch.GetTimestamp());
                    Interlocked.Increment(ref _acked);
                }
                else
                {
                    _ledger?.Reject(keys[i], writer, seqs[i]);
                    Interlocked.Increment(ref _errors);
                    Interlocked.CompareExchange(ref _firstError, error, null);
                }
            }
        }
    }

    private static readonly byte[] SetHead = Encoding.ASCII.GetBytes("*3\r\n$3\r\nSET\r\n");
    private static readonly byte[] DelHead = Encoding.ASCII.GetBytes("*2\r\n$3\r\nDEL\r\n");

    public static string KeyName(long key) => KeyPrefix + key.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int WriteKey(Span<byte> dst, long key)
    {
        Span<byte> name = stackalloc byte[32];
        int n = Encoding.ASCII.GetBytes(KeyPrefix, name);
        key.TryFormat(name[n..], out int d, default, System.Globalization.CultureInfo.InvariantCulture);
        n += d;
        int pos = 0;
        dst[pos++] = (byte)'$';
        n.TryFormat(dst[pos..], out d, default, System.Globalization.CultureInfo.InvariantCulture);
        pos += d;
        dst[pos++] = (byte)'\r';
        dst[pos++] = (byte)'\n';
        name[..n].CopyTo(dst[pos..]);
        pos += n;
        dst[pos++] = (byte)'\r';
        dst[pos++] = (byte)'\n';
        return pos;
    }

    private static int WriteDel(Span<byte> dst, long key)
    {
        DelHead.CopyTo(dst);
        return DelHead.Length + WriteKey(dst[DelHead.Length..], key);
    }

    public static int WriteSet(Span<byte> dst, long key, int writer, long seq, int valueSize)
    {
        SetHead.CopyTo(dst);
        int pos = SetHead.Length;
        pos += WriteKey(dst[pos..], key);
        dst[pos++] = (byte)'$';
        valueSize.TryFormat(dst[pos..], out int d, default, System.Globalization.CultureInfo.InvariantCulture);
        pos += d;
        dst[pos++] = (byte)'\r';
        dst[pos++] = (byte)'\n';
        ValueCodec.Encode(dst.Slice(pos, valueSize), key, writer, seq);
        pos += valueSize;
        dst[pos++] = (byte)'\r';
        dst[pos++] = (byte)'\n';
        return pos;
    }
}

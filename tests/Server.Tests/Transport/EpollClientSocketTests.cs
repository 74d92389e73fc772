using System.Net;
using System.Net.Sockets;
using Tiered.Server.Network.Transport;

namespace Tiered.Server.Tests.Transport;

/// <summary>
/// The epoll transport on real loopback TCP sockets: each test makes a connected pair, wraps the accepted end in an
/// <see cref="EpollClientSocket"/> on its own <see cref="EpollLoop"/>, and drives the peer with .NET's sockets.
/// </summary>
public sealed class EpollClientSocketTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly EpollLoop? _loop = Native.Supported ? new EpollLoop("test-io") : null;
    private readonly List<Socket> _sockets = [];

    public void Dispose()
    {
        foreach (Socket s in _sockets) s.Dispose();
        _loop?.Dispose();
    }

    /// <summary>A connected pair: (the peer, the accepted end not yet wrapped).</summary>
    private (Socket Peer, Socket Accepted) Pair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        peer.Connect(listener.LocalEndPoint!);
        Socket accepted = listener.Accept();
        _sockets.Add(peer);
        _sockets.Add(accepted);
        return (peer, accepted);
    }

    private (Socket Peer, EpollClientSocket Socket) Wrapped()
    {
        var (peer, accepted) = Pair();
        return (peer, new EpollClientSocket(accepted, _loop!));
    }

    private static async Task<int> Within(ValueTask<int> op) => await op.AsTask().WaitAsync(Patience);

    [EpollFact]
    public async Task BytesThatArrivedBeforeRegistrationAreReadAtOnce()
    {
        var (peer, accepted) = Pair();
        peer.Send("hello"u8);
        await Task.Delay(50);
        var s = new EpollClientSocket(accepted, _loop!);
        var buf = new byte[64];
        Assert.Equal(5, await Within(s.ReceiveAsync(buf)));
        Assert.Equal("hello"u8.ToArray(), buf[..5]);
    }

    [EpollFact]
    public async Task AReceiveWithNothingQueuedWaitsForTheBytesAndGetsThem()
    {
        var (peer, s) = Wrapped();
        var buf = new byte[64];
        ValueTask<int> pending = s.ReceiveAsync(buf);
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);
        peer.Send("abc"u8);
        Assert.Equal(3, await Within(pending));
        Assert.Equal("abc"u8.ToArray(), buf[..3]);
    }

    [EpollFact]
    public async Task EveryByteArrivesInOrderWhatever(/* the sizes of sends and of receive buffers */)
    {
        var (peer, s) = Wrapped();
        var rng = new Random(42);
        byte[] sent = new byte[400_000];
        rng.NextBytes(sent);
        Task writer = Task.Run(async () =>
        {
            var wrng = new Random(7);
            for (int pos = 0; pos < sent.Length;)
            {
                int n = Math.Min(sent.Length - pos, 1 + wrng.Next(wrng.Next(2) == 0 ? 16 : 8192));
                pos += peer.Send(sent, pos, n, SocketFlags.None);
                if (wrng.Next(8) == 0) await Task.Delay(1);
            }
        });
        var got = new byte[sent.Length];
        int have = 0;
        while (have < got.Length)
        {
            // Buffers smaller and larger than what is queued: a read that fills its buffer must not leave bytes behind.
            int size = Math.Min(got.Length - have, 1 + rng.Next(rng.Next(2) == 0 ? 8 : 20_000));
            int n = await Within(s.ReceiveAsync(got.AsMemory(have, size)));
            Assert.True(n > 0, "the stream ended early");
            have += n;
        }
        await writer.WaitAsync(Patience);
        Assert.Equal(sent, got);
    }

    [EpollFact]
    public async Task TheEndOfTheStreamThatCameWithTheLastBytesIsSeenAfterThem()
    {
        var (peer, s) = Wrapped();
        var buf = new byte[64];
        ValueTask<int> pending = s.ReceiveAsync(buf);
        peer.Send("last"u8);
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(4, await Within(pending));
        await Task.Delay(50);   // the end-of-stream edge has come and gone before the next receive starts
        Assert.Equal(0, await Within(s.ReceiveAsync(buf)));
    }

    [EpollFact]
    public async Task ASendLargerThanTheSocketBufferWaitsUntilThePeerReads()
    {
        var (peer, s) = Wrapped();
        byte[] data = new byte[1 << 20];
        new Random(3).NextBytes(data);
        long sentBytes = 0;
        ValueTask<int> send;
        // The peer reads nothing yet, so the kernel's buffers fill and a send has to wait.
        while ((send = s.SendAsync(data)).IsCompleted)
        {
            sentBytes += send.Result;
            Assert.True(sentBytes < 256L << 20, "sends never had to wait");
        }
        // Whatever the waiting send sends, at least 4 MB more follow it.
        long total = sentBytes + 5L * data.Length;
        Task<long> reader = Task.Run(() =>
        {
            var buf = new byte[65536];
            long n = 0;
            while (n < total) n += peer.Receive(buf);
            return n;
        });
        sentBytes += await Within(send);
        while (sentBytes < total)
        {
            int offset = (int)(sentBytes % data.Length);
            int length = (int)Math.Min(data.Length - offset, total - sentBytes);
            sentBytes += await Within(s.SendAsync(data.AsMemory(offset, length)));
        }
        Assert.Equal(total, await reader.WaitAsync(Patience));
    }

    [EpollFact]
    public async Task ShutdownFromAnotherThreadEndsAWaitingReceive()
    {
        var (_, s) = Wrapped();
        ValueTask<int> pending = s.ReceiveAsync(new byte[64]);
        await Task.Delay(20);
        Assert.False(pending.IsCompleted);
        await Task.Run(s.Shutdown);
        Assert.Equal(0, await Within(pending));
    }

    [EpollFact]
    public async Task CloseEndsAWaitingReceiveAndUnregistersTheSocket()
    {
        var (_, s) = Wrapped();
        Assert.Equal(1, _loop!.Count);
        ValueTask<int> pending = s.ReceiveAsync(new byte[64]);
        s.Close();
        Assert.Equal(0, await Within(pending));
        Assert.Equal(0, _loop.Count);
        Assert.Equal(0, await Within(s.ReceiveAsync(new byte[64])));
    }

    [EpollFact]
    public async Task StoppingTheLoopEndsWaitingReceives()
    {
        var (_, a) = Wrapped();
        var (_, b) = Wrapped();
        ValueTask<int> pa = a.ReceiveAsync(new byte[64]);
        ValueTask<int> pb = b.ReceiveAsync(new byte[64]);
        _loop!.Dispose();
        Assert.Equal(0, await Within(pa));
        Assert.Equal(0, await Within(pb));
    }

    [EpollFact]
    public async Task WorkThatFinishesAfterTheLoopStoppedStillResumesTheConnection()
    {
        var (_, s) = Wrapped();
        var io = new TaskCompletionSource();
        ValueTask resumed = s.ResumeAfter(new ValueTask(io.Task));
        _loop!.Dispose();        // server shutdown while a cold read is in flight
        io.SetResult();          // the read finishes: nothing runs on the loop's thread any more
        await resumed.AsTask().WaitAsync(Patience);
    }

    [EpollFact]
    public async Task APeerResetFailsTheWaitingReceive()
    {
        var (peer, s) = Wrapped();
        ValueTask<int> pending = s.ReceiveAsync(new byte[64]);
        peer.LingerState = new LingerOption(true, 0);   // close sends RST
        peer.Close();
        var ex = await Assert.ThrowsAsync<SocketException>(() => Within(pending));
        Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
    }

    [EpollFact]
    public async Task WorkFinishedOnAnotherThreadResumesTheConnectionOnItsLoopThread()
    {
        var (_, s) = Wrapped();
        var io = new TaskCompletionSource();   // completes inline, as a cold read set does on the I/O thread
        ValueTask resumed = s.ResumeAfter(new ValueTask(io.Task));
        Assert.False(resumed.IsCompleted);
        string? resumedOn = null;
        using var seen = new ManualResetEventSlim();
        // Directly on the awaiter, no scheduling context: the continuation runs wherever the socket completes it.
        resumed.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() =>
        {
            resumedOn = Thread.CurrentThread.Name;
            seen.Set();
        });
        var completer = new Thread(() => io.SetResult()) { Name = "fake-ssd-io" };
        completer.Start();
        Assert.True(seen.Wait(Patience), "never resumed");
        Assert.Equal("test-io", resumedOn);
        completer.Join();
        resumed.GetAwaiter().GetResult();

        var failing = new TaskCompletionSource();
        ValueTask second = s.ResumeAfter(new ValueTask(failing.Task));   // the same socket serves the next wait
        failing.SetException(new InvalidOperationException("device failed"));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => second.AsTask().WaitAsync(Patience));
        Assert.Equal("device failed", ex.Message);
    }

    [EpollFact]
    public async Task ASlotReusedByANewSocketDoesNotGetTheOldOnesEvents()
    {
        var (_, first) = Wrapped();
        ulong firstToken = first.Token;
        first.Close();
        var (peer, second) = Wrapped();
        Assert.Equal((uint)firstToken, (uint)second.Token);   // same slot
        Assert.NotEqual(firstToken, second.Token);            // new generation
        var buf = new byte[8];
        ValueTask<int> pending = second.ReceiveAsync(buf);
        peer.Send("x"u8);
        Assert.Equal(1, await Within(pending));
    }
}

/// <summary>A test of the epoll transport: skipped where it does not exist (other than Linux x86-64).</summary>
public sealed class EpollFactAttribute : FactAttribute
{
    public EpollFactAttribute()
    {
        if (!Native.Supported) Skip = "the epoll transport runs on Linux x86-64 only";
    }
}

using System.Net.Sockets;

namespace Tiered.Server.Network.Transport;

/// <summary>
/// Gives each accepted socket its transport: on Linux x86-64 an <see cref="EpollClientSocket"/> on one of
/// <c>io-threads</c> epoll loops (round robin), elsewhere, or when <c>native</c> is false, .NET's sockets.
/// </summary>
/// <remarks>Shared state rule: <see cref="Wrap"/> is called by the accept loops (any thread); the loops are fixed at
/// construction and stopped once, by <see cref="Dispose"/>, after which <see cref="Wrap"/> must not be called.</remarks>
public sealed class SocketEngine : IDisposable
{
    private readonly EpollLoop[] _loops;
    private int _next;

    /// <param name="batch">Bracket each loop's rounds of ready sockets (EpollLoop); null for none.</param>
    public SocketEngine(int ioThreads, bool native, IEventBatch? batch = null)
    {
        Native = native && Transport.Native.Supported;
        _loops = new EpollLoop[Native ? Math.Max(1, ioThreads) : 0];
        for (int i = 0; i < _loops.Length; i++) _loops[i] = new EpollLoop($"tiered-io-{i}", batch);
    }

    /// <summary>True when sockets run on our epoll loops.</summary>
    public bool Native { get; }

    /// <summary>Sockets registered on the epoll loops now.</summary>
    public int Registered => _loops.Sum(l => l.Count);

    public ClientSocket Wrap(Socket socket)
    {
        if (!Native) return new DotnetClientSocket(socket);
        EpollLoop loop = _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length)];
        return new EpollClientSocket(socket, loop);
    }

    public void Dispose()
    {
        foreach (EpollLoop l in _loops) l.Dispose();
    }
}

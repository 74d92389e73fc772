using System.Net.Sockets;

namespace Tiered.Server.Network.Transport;

/// <summary>
/// A client connection's byte stream, as the connection loop (Network/Connection.cs) uses it: one receive and one send at a time, a
/// shutdown any thread may call, and a close by the owner once its loop has ended.
/// </summary>
/// <remarks>
/// Two implementations: <see cref="EpollClientSocket"/> (Linux x86-64, the default), whose receive reads only after
/// the kernel said bytes arrived, and <see cref="DotnetClientSocket"/>, .NET's own socket operations, everywhere else.
/// Shared state rule: <see cref="ReceiveAsync"/> and <see cref="SendAsync"/> are each called by one caller at a time
/// (the connection's loop; the pub/sub flusher owns the send side while it runs); <see cref="Shutdown"/> by anyone;
/// <see cref="Close"/> once, by the loop, last.
/// </remarks>
public abstract class ClientSocket
{
    protected ClientSocket(Socket socket)
    {
        Socket = socket;
        Fd = (long)socket.Handle;
    }

    /// <summary>The accepted socket (addresses, options, shutdown and the final close).</summary>
    public Socket Socket { get; }

    /// <summary>The file descriptor, as CLIENT LIST shows it.</summary>
    public long Fd { get; }

    /// <summary>Receives into <paramref name="buffer"/>: the byte count, 0 at the end of the stream.</summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer);

    /// <summary>Sends some of <paramref name="data"/>: the byte count sent (at least 1).</summary>
    public abstract ValueTask<int> SendAsync(ReadOnlyMemory<byte> data);

    /// <summary>
    /// True when <see cref="ResumeAfter"/> may be given a task whose continuations run inline on the thread that
    /// completes it (a device I/O thread): it only posts the connection to its own thread from there.
    /// </summary>
    public virtual bool ResumesOnItsOwnThread => false;

    /// <summary>
    /// Completes after <paramref name="wait"/> (a cold read, a demotion round), which it consumes. Here: wherever the
    /// wait's continuations run, which must then be a thread fit to run the connection (waits that complete
    /// asynchronously).
    /// </summary>
    public virtual ValueTask ResumeAfter(ValueTask wait) => wait;

    /// <summary>Ends both directions: a pending receive sees the end of the stream. Safe from any thread, more than once.</summary>
    public virtual void Shutdown()
    {
        try { Socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
    }

    /// <summary>Releases the socket; a receive still pending ends (with 0, or .NET's disposed-socket error). Called once, by the owner.</summary>
    public virtual void Close() => Socket.Dispose();
}

/// <summary>The .NET socket operations (every platform): <c>Socket.ReceiveAsync</c> and <c>Socket.SendAsync</c>.</summary>
public sealed class DotnetClientSocket(Socket socket) : ClientSocket(socket)
{
    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => Socket.ReceiveAsync(buffer, SocketFlags.None);

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data) => Socket.SendAsync(data, SocketFlags.None);

    /// <summary>Also closes the socket at once, which is what makes .NET's pending receive end.</summary>
    public override void Shutdown()
    {
        base.Shutdown();
        Socket.Dispose();
    }
}

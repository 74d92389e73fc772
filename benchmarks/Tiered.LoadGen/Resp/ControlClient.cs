using System.Net.Sockets;
using System.Text;

namespace Tiered.LoadGen.Resp;

/// <summary>
/// A blocking one-command-at-a-time RESP client for the few control calls outside the hot loop (PING, INFO).
/// It materialises simple and bulk string replies; errors become <see cref="IOException"/>.
/// </summary>
public sealed class ControlClient : IDisposable
{
    private readonly Socket _socket;
    private readonly BufferedStream _stream;

    private ControlClient(Socket socket)
    {
        _socket = socket;
        _stream = new BufferedStream(new NetworkStream(socket, ownsSocket: false), 64 * 1024);
    }

    public static async Task<ControlClient> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken ct = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(host, port, cts.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        socket.SendTimeout = (int)timeout.TotalMilliseconds;
        return new ControlClient(socket);
    }

    /// <summary>Sends a command and returns a simple/bulk string reply (null for a nil reply).</summary>
    public string? Command(params string[] args)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (string a in args)
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
        _stream.Write(bytes);
        _stream.Flush();
        return ReadReply();
    }

    private string? ReadReply()
    {
        string line = ReadLine();
        switch (line[0])
        {
            case '+':
            case ':':
                return line[1..];
            case '-':
                throw new IOException("server error: " + line[1..]);
            case '$':
            {
                int n = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
                if (n < 0)
                    return null;
                byte[] buf = new byte[n + 2];
                _stream.ReadExactly(buf);
                return Encoding.UTF8.GetString(buf, 0, n);
            }
            default:
                throw new IOException($"unexpected reply type '{line[0]}' to a control command");
        }
    }

    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = _stream.ReadByte();
            if (b < 0)
                throw new IOException("connection closed by server");
            if (b == '\n' && sb.Length > 0 && sb[^1] == '\r')
                return sb.ToString(0, sb.Length - 1);
            sb.Append((char)b);
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _socket.Dispose();
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using System.Net.Sockets;
using System.Net;
using Tiered.Server.Admin;
using Tiered.Tiering.Engine;

namespace Tiered.Server.Tests.Infrastructure;

/// <summary>
/// An in-process Tiered server on a free loopback port, stopped on dispose.
/// Use <see cref="Raw"/> for exact-bytes tests and <see cref="ConnectAsync"/> for the real StackExchange.Redis client.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    /// <param name="extraCommands">Test-only commands to add to the command table.</param>
    public TestServer(Action<ServerOptions, EngineOptions>? configure = null, IEnumerable<Tiered.Server.Commands.CommandDef>? extraCommands = null)
    {
        var options = new ServerOptions { Bind = ["127.0.0.1"], Port = 0 };
        var engine = new EngineOptions();
        configure?.Invoke(options, engine);
        Server = new TieredServer(options, engine, NullLogger.Instance, () => ShutdownRequested = true, extraCommands);
        Server.Start();
        Port = Server.BoundPort;
    }

    public TieredServer Server { get; }

    /// <summary>Waits (bounded, 5 s) until <paramref name="n"/> clients are blocked; reads the count under the store lock.</summary>
    public async Task WaitBlocked(int n)
    {
        for (int i = 0; i < 500; i++)
        {
            lock (Server.Store.Lock)
                if (Server.Blocking.BlockedClients == n) return;
            await Task.Delay(10);
        }
        Assert.Fail($"expected {n} blocked clients, have {Server.Blocking.BlockedClients}");
    }
    public int Port { get; }
    public bool ShutdownRequested { get; private set; }
    public EndPoint EndPoint => new IPEndPoint(IPAddress.Loopback, Port);

    /// <summary>A raw RESP connection.</summary>
    public RawClient Raw() => new(Port);

    /// <summary>A StackExchange.Redis multiplexer (allowAdmin on).</summary>
    public Task<ConnectionMultiplexer> ConnectAsync(string? extra = null)
        => ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},allowAdmin=true,abortConnect=true,connectTimeout=5000,syncTimeout=5000{(extra is null ? "" : "," + extra)}");

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>A socket that sends raw bytes and reads exact replies, with a timeout so a hang fails the test.</summary>
public sealed class RawClient : IDisposable
{
    private readonly Socket _socket;
    private readonly List<byte> _pending = [];

    public RawClient(int port)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(IPAddress.Loopback, port);
        _socket.ReceiveTimeout = 10_000;
    }

    public void Send(string text) => Send(System.Text.Encoding.UTF8.GetBytes(text));

    public void Send(byte[] bytes) => _socket.Send(bytes);

    /// <summary>Sends a command as a RESP multibulk.</summary>
    public void Command(params string[] args)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (string a in args)
            sb.Append('$').Append(System.Text.Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        Send(sb.ToString());
    }

    /// <summary>Sends a command of binary arguments (DUMP payloads) as a RESP multibulk.</summary>
    public void Command(params byte[][] args) => Send(Resp.Command(args));

    /// <summary>Reads one bulk string reply as bytes (null for a nil bulk).</summary>
    public byte[]? ReadBulkBytes()
    {
        var header = new List<byte>();
        while (header.Count < 2 || header[^1] != (byte)'\n') header.Add(ReadBytes(1)[0]);
        string line = System.Text.Encoding.ASCII.GetString([.. header])[..^2];
        Assert.True(line[0] == '$', "not a bulk reply: " + line);
        int length = int.Parse(line[1..], System.Globalization.CultureInfo.InvariantCulture);
        if (length < 0) return null;
        byte[] body = ReadBytes(length + 2);
        return body[..length];
    }

    /// <summary>Reads <paramref name="byteCount"/> bytes (fewer if the server closes) and returns them as text.</summary>
    public string Read(int byteCount) => System.Text.Encoding.UTF8.GetString(ReadBytes(byteCount));

    /// <summary>Reads <paramref name="byteCount"/> bytes (fewer if the server closes), for binary replies.</summary>
    public byte[] ReadBytes(int byteCount)
    {
        var buf = new byte[65536];
        while (_pending.Count < byteCount)
        {
            int n = _socket.Receive(buf);
            if (n == 0) break;
            _pending.AddRange(buf.AsSpan(0, n));
        }
        int take = Math.Min(byteCount, _pending.Count);
        byte[] bytes = _pending.GetRange(0, take).ToArray();
        _pending.RemoveRange(0, take);
        return bytes;
    }

    /// <summary>Asserts the next reply bytes are exactly <paramref name="expected"/>.</summary>
    public void Expect(string expected) => Assert.Equal(expected, Read(System.Text.Encoding.UTF8.GetByteCount(expected)));

    /// <summary>Sends a command and asserts the exact reply.</summary>
    public void Roundtrip(string expected, params string[] args)
    {
        Command(args);
        Expect(expected);
    }

    /// <summary>Reads one whole RESP reply (any type, nested) and returns its raw text.</summary>
    public string ReadReply()
    {
        var sb = new System.Text.StringBuilder();
        ReadValue(sb);
        return sb.ToString();
    }

    private void ReadValue(System.Text.StringBuilder sb)
    {
        string line = ReadLine();
        sb.Append(line).Append("\r\n");
        char t = line[0];
        switch (t)
        {
            case '$' or '=' or '!':
                int len = int.Parse(line[1..]);
                if (len >= 0) sb.Append(Read(len + 2));
                break;
            case '*' or '~' or '>':
                int n = int.Parse(line[1..]);
                for (int i = 0; i < n; i++) ReadValue(sb);
                break;
            case '%' or '|':
                int m = int.Parse(line[1..]);
                for (int i = 0; i < 2 * m; i++) ReadValue(sb);
                break;
        }
    }

    private string ReadLine()
    {
        var line = new System.Text.StringBuilder();
        while (true)
        {
            string c = Read(1);
            if (c.Length == 0) throw new IOException("connection closed");
            if (c == "\r") { Read(1); return line.ToString(); }
            line.Append(c);
        }
    }

    /// <summary>True if the server closed the connection (EOF or reset); a receive timeout throws, so a hang fails the test.</summary>
    public bool IsClosedByServer()
    {
        try
        {
            var buf = new byte[1];
            return _pending.Count == 0 && _socket.Receive(buf) == 0;
        }
        catch (SocketException ex) when (ex.SocketErrorCode != SocketError.TimedOut) { return true; }
    }

    /// <summary>True if reply bytes (or EOF) arrive within <paramref name="ms"/> milliseconds; for "nothing came" checks.</summary>
    public bool HasDataWithin(int ms) => _pending.Count > 0 || _socket.Poll(ms * 1000, SelectMode.SelectRead);

    public void Dispose() => _socket.Dispose();
}

using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Tiered.Tiering.Tests.Rdb;

/// <summary>
/// A redis-server 7.0 started for a test on a free port of 7860-7869 (127.0.0.1, its own temp --dir, no saves but the
/// ones asked for, DEBUG enabled), with a minimal RESP client. Throws when /usr/bin/redis-server is missing, so a test
/// that needs it fails instead of passing silently. Disposing kills the process and removes the directory.
/// Given a directory (and another port range), it starts there and loads the dump.rdb it finds; a file it refuses
/// makes the constructor throw with the end of the server's log.
/// </summary>
internal sealed class RedisProcess : IDisposable
{
    private const string Binary = "/usr/bin/redis-server";
    private readonly Process _process;
    private readonly TcpClient _client;
    private readonly BufferedStream _io;

    public string Dir { get; }

    public RedisProcess() : this(null, 7860) { }

    public RedisProcess(string? dir, int firstPort)
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException($"{Binary} is missing: this test needs redis-server 7.0.15.");
        Dir = dir ?? Path.Combine(Path.GetTempPath(), "tiered-rdb-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
        string log = Path.Combine(Dir, "log");
        for (int port = firstPort; port <= firstPort + 9; port++)
        {
            if (!PortFree(port)) continue;
            var psi = new ProcessStartInfo(Binary)
            {
                ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", Dir, "--save", "", "--appendonly", "no",
                    "--dbfilename", "dump.rdb", "--enable-debug-command", "yes", "--daemonize", "no", "--logfile", log },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            Process p = Process.Start(psi)!;
            for (int i = 0; i < 100 && !p.HasExited; i++)
            {
                try
                {
                    var c = new TcpClient();
                    c.Connect("127.0.0.1", port);
                    _process = p;
                    _client = c;
                    _io = new BufferedStream(c.GetStream());
                    if (Call("PING") is "PONG") return;
                }
                catch (SocketException) { Thread.Sleep(50); }
                catch (InvalidOperationException e) when (e.Message.StartsWith("LOADING", StringComparison.Ordinal)) { Thread.Sleep(50); }
            }
            bool exited = p.HasExited;   // a refused file makes redis-server exit at once
            if (!exited) p.Kill();
            p.WaitForExit();
            p.Dispose();
            if (dir != null && exited && File.Exists(log))
                throw new InvalidOperationException("redis-server did not start: " + LogTail(log));
        }
        throw new InvalidOperationException($"redis-server did not start on any port of {firstPort}-{firstPort + 9}.");
    }

    private static string LogTail(string log)
    {
        string[] lines = File.ReadAllLines(log);
        return string.Join('\n', lines[Math.Max(0, lines.Length - 8)..]);
    }

    private static bool PortFree(int port)
    {
        try
        {
            var l = new TcpListener(System.Net.IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>Sends a command; the reply as a string, long, null, object[] or an exception for an error reply.</summary>
    public object? Call(params object[] args)
    {
        var sb = new MemoryStream();
        void W(string s) => sb.Write(Encoding.UTF8.GetBytes(s));
        W($"*{args.Length}\r\n");
        foreach (object a in args)
        {
            byte[] b = a as byte[] ?? Encoding.UTF8.GetBytes(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!);
            W($"${b.Length}\r\n");
            sb.Write(b);
            W("\r\n");
        }
        _io.Write(sb.ToArray());
        _io.Flush();
        object? reply = Read();
        if (reply is Exception e) throw e;
        return reply;
    }

    private string Line()
    {
        var sb = new StringBuilder();
        int c;
        while ((c = _io.ReadByte()) != '\r') sb.Append((char)c);
        _io.ReadByte();
        return sb.ToString();
    }

    private object? Read()
    {
        int t = _io.ReadByte();
        string line = Line();
        switch (t)
        {
            case '+': return line;
            case '-': return new InvalidOperationException(line);
            case ':': return long.Parse(line);
            case '$':
            {
                int n = int.Parse(line);
                if (n < 0) return null;
                byte[] b = new byte[n + 2];
                _io.ReadExactly(b);
                return Encoding.UTF8.GetString(b, 0, n);
            }
            case '*':
            {
                int n = int.Parse(line);
                if (n < 0) return null;
                var items = new object?[n];
                for (int i = 0; i < n; i++) items[i] = Read();
                return items;
            }
            default: throw new InvalidDataException($"RESP type {(char)t}");
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

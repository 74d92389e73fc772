using System.Net.Sockets;

namespace Tiered.Server.Tests.Infrastructure;

/// <summary>Expected reply bytes and helpers to read replies in tests. Import with <c>using static</c>.</summary>
internal static class Replies
{
    public const string Nil = "$-1\r\n";
    public const string NilArray = "*-1\r\n";
    public const string Ok = "+OK\r\n";
    public const string Empty = "*0\r\n";
    public const string Syntax = "-ERR syntax error\r\n";
    public const string NotInteger = "-ERR value is not an integer or out of range\r\n";
    public const string WrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    /// <summary>A RESP bulk string.</summary>
    public static string Bulk(string s) => $"${System.Text.Encoding.UTF8.GetByteCount(s)}\r\n{s}\r\n";

    /// <summary>A RESP array of bulk strings.</summary>
    public static string Arr(params string[] items) => $"*{items.Length}\r\n" + string.Concat(items.Select(Bulk));

    /// <summary>A RESP integer.</summary>
    public static string Int(long n) => $":{n}\r\n";

    /// <summary>The wrong-number-of-arguments error for <paramref name="cmd"/>.</summary>
    public static string Arity(string cmd) => $"-ERR wrong number of arguments for '{cmd}' command\r\n";

    /// <summary>Sends HELLO 3 and reads (without checking) its reply; returns the client.</summary>
    public static RawClient Resp3(RawClient c)
    {
        c.Command("HELLO", "3");
        c.ReadReply();
        return c;
    }

    /// <summary>Sends HELLO 3 and asserts its reply is a 7-field map.</summary>
    public static void Hello3(RawClient c)
    {
        c.Command("HELLO", "3");
        Assert.StartsWith("%7\r\n", c.ReadReply());
    }

    /// <summary>Runs INFO with the given sections and returns its text (RESP2 bulk).</summary>
    public static string Info(RawClient c, params string[] sections)
    {
        c.Command(["INFO", .. sections]);
        return BulkText(c.ReadReply());
    }

    /// <summary>The payload of a raw bulk string reply.</summary>
    public static string BulkText(string reply)
    {
        Assert.StartsWith("$", reply);
        int nl = reply.IndexOf("\r\n", StringComparison.Ordinal);
        int len = int.Parse(reply[1..nl]);
        Assert.Equal(len + nl + 4, System.Text.Encoding.UTF8.GetByteCount(reply));
        return reply.Substring(nl + 2, reply.Length - nl - 4);
    }

    /// <summary>field:value lines of INFO text.</summary>
    public static Dictionary<string, string> Fields(string info)
    {
        var d = new Dictionary<string, string>();
        foreach (string line in info.Split("\r\n"))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int colon = line.IndexOf(':');
            d[line[..colon]] = line[(colon + 1)..];
        }
        return d;
    }

    /// <summary>Asserts the server closed the connection: a PING gets no reply because the socket is closed.</summary>
    public static void AssertClosed(RawClient c)
    {
        try
        {
            c.Command("PING");
            string reply = c.ReadReply();
            Assert.Fail("connection is still open; PING replied " + reply);
        }
        catch (IOException) { }
        catch (SocketException ex) when (ex.SocketErrorCode is not (SocketError.TimedOut or SocketError.WouldBlock)) { }
    }
}

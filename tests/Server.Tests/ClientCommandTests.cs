using StackExchange.Redis;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Engine;

namespace Tiered.Server.Tests;

public sealed class ClientCommandTests : ServerTestBase
{
    private static long Id(RawClient c)
    {
        c.Command("CLIENT", "ID");
        string reply = c.ReadReply();
        Assert.StartsWith(":", reply);
        return long.Parse(reply[1..^2]);
    }

    /// <summary>CLIENT LIST lines as field dictionaries.</summary>
    private static List<Dictionary<string, string>> List(RawClient c, params string[] extra)
    {
        c.Command(["CLIENT", "LIST", .. extra]);
        string text = Replies.BulkText(c.ReadReply());
        Assert.True(text.Length == 0 || text.EndsWith('\n'));
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToList();
    }

    private static Dictionary<string, string> Parse(string line)
        => line.Split(' ').Select(f => f.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);

    [Fact]
    public void IdIsDistinctPerConnection()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        long ia = Id(a), ib = Id(b);
        Assert.True(ia > 0);
        Assert.NotEqual(ia, ib);
        Assert.Equal(ia, Id(a));
    }

    [Fact]
    public void SetNameAndGetNameRoundTripAndEmptyClears()
    {
        using var c = Server.Raw();
        c.Roundtrip("$-1\r\n", "CLIENT", "GETNAME");
        c.Roundtrip("+OK\r\n", "CLIENT", "SETNAME", "worker-1");
        c.Roundtrip("$8\r\nworker-1\r\n", "CLIENT", "GETNAME");
        c.Roundtrip("+OK\r\n", "CLIENT", "SETNAME", "");
        c.Roundtrip("$-1\r\n", "CLIENT", "GETNAME");
    }

    [Fact]
    public void SetNameRefusesSpacesAndWrongArity()
    {
        using var c = Server.Raw();
        c.Roundtrip("-ERR Client names cannot contain spaces, newlines or special characters.\r\n", "CLIENT", "SETNAME", "a b");
        c.Roundtrip("-ERR wrong number of arguments for 'client|setname' command\r\n", "CLIENT", "SETNAME");
        c.Roundtrip("-ERR unknown subcommand 'nope'. Try CLIENT HELP.\r\n", "CLIENT", "nope");
    }

    [Fact]
    public void ListShowsEveryConnectionWithRedisFields()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        b.Roundtrip("+OK\r\n", "CLIENT", "SETNAME", "bee");
        b.Roundtrip("+OK\r\n", "SELECT", "3");
        long ia = Id(a), ib = Id(b);

        var lines = List(a);
        Assert.Equal(2, lines.Count);
        Dictionary<string, string> self = Assert.Single(lines, l => l["id"] == ia.ToString());
        Dictionary<string, string> other = Assert.Single(lines, l => l["id"] == ib.ToString());
        Assert.Equal(["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi",
            "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd",
            "user", "redir", "resp", "lib-name", "lib-ver"], self.Keys);
        Assert.Equal("client|list", self["cmd"]);
        Assert.Equal("", self["name"]);
        Assert.Equal($"127.0.0.1:{Server.Port}", self["laddr"]);
        Assert.True(long.Parse(self["fd"]) >= 0);
        Assert.Equal("bee", other["name"]);
        Assert.Equal("3", other["db"]);
        Assert.Equal("N", other["flags"]);
        Assert.Equal("2", other["resp"]);
        Assert.Equal("default", other["user"]);
        Assert.NotEqual(self["addr"], other["addr"]);
    }

    [Fact]
    public void ListFiltersByTypeAndId()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        long ib = Id(b);
        Assert.Equal(2, List(a, "TYPE", "normal").Count);
        Assert.Empty(List(a, "TYPE", "pubsub"));
        Assert.Equal(ib.ToString(), Assert.Single(List(a, "ID", ib.ToString(), "999999"))["id"]);
        a.Roundtrip("-ERR Unknown client type 'robot'\r\n", "CLIENT", "LIST", "TYPE", "robot");
        a.Roundtrip("-ERR Invalid client ID\r\n", "CLIENT", "LIST", "ID", "x");
        a.Roundtrip("-ERR syntax error\r\n", "CLIENT", "LIST", "foo");
    }

    [Fact]
    public void ListIsAVerbatimStringInResp3()
    {
        using var c = Server.Raw();
        c.Command("HELLO", "3");
        c.ReadReply();
        c.Command("CLIENT", "INFO");
        string reply = c.ReadReply();
        Assert.StartsWith("=", reply);
        Assert.Contains("\r\ntxt:id=", reply);
        Assert.Contains(" resp=3 ", reply);
    }

    [Fact]
    public void InfoDescribesTheCallerOnly()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        a.Roundtrip("+OK\r\n", "CLIENT", "SETNAME", "me");
        a.Command("CLIENT", "INFO");
        string text = Replies.BulkText(a.ReadReply());
        Assert.EndsWith("\n", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Dictionary<string, string> f = Parse(text.TrimEnd('\n'));
        Assert.Equal(Id(a).ToString(), f["id"]);
        Assert.Equal("me", f["name"]);
        Assert.Equal("client|info", f["cmd"]);
    }

    [Fact]
    public void KillByAddressClosesThatClient()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        long ib = Id(b);
        string addr = List(a).Single(l => l["id"] == ib.ToString())["addr"];
        a.Roundtrip("+OK\r\n", "CLIENT", "KILL", addr);
        Replies.AssertClosed(b);
        a.Roundtrip("-ERR No such client\r\n", "CLIENT", "KILL", addr);
        a.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public void KillByFilterCountsAndSkipsTheCallerByDefault()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        long ia = Id(a), ib = Id(b);
        a.Roundtrip(":0\r\n", "CLIENT", "KILL", "ID", ia.ToString());
        a.Roundtrip(":1\r\n", "CLIENT", "KILL", "ID", ib.ToString(), "SKIPME", "yes");
        Replies.AssertClosed(b);
        a.Roundtrip(":0\r\n", "CLIENT", "KILL", "ID", ib.ToString());
        a.Roundtrip(":0\r\n", "CLIENT", "KILL", "TYPE", "pubsub");
        a.Roundtrip("+PONG\r\n", "PING");
    }

    [Fact]
    public void KillSelfRepliesBeforeClosing()
    {
        using var a = Server.Raw();
        a.Roundtrip(":1\r\n", "CLIENT", "KILL", "ID", Id(a).ToString(), "SKIPME", "no");
        Replies.AssertClosed(a);
    }

    [Fact]
    public void KillByLocalAddressReachesEveryOtherClient()
    {
        using var a = Server.Raw();
        using var b = Server.Raw();
        using var c = Server.Raw();
        // A connect returns once the kernel accepted it, before the server's accept loop registers the client: a
        // reply to each proves both are registered before the KILL counts them.
        b.Roundtrip("+PONG\r\n", "PING");
        c.Roundtrip("+PONG\r\n", "PING");
        a.Roundtrip(":2\r\n", "CLIENT", "KILL", "LADDR", $"127.0.0.1:{Server.Port}");
        Replies.AssertClosed(b);
        Replies.AssertClosed(c);
    }

    [Fact]
    public void KillRefusesBadFilters()
    {
        using var a = Server.Raw();
        a.Roundtrip("-ERR client-id should be greater than 0\r\n", "CLIENT", "KILL", "ID", "0");
        a.Roundtrip("-ERR client-id should be greater than 0\r\n", "CLIENT", "KILL", "ID", "abc");
        a.Roundtrip("-ERR Unknown client type 'robot'\r\n", "CLIENT", "KILL", "TYPE", "robot");
        a.Roundtrip("-ERR No such user 'bob'\r\n", "CLIENT", "KILL", "USER", "bob");
        a.Roundtrip("-ERR syntax error\r\n", "CLIENT", "KILL", "SKIPME", "maybe");
        a.Roundtrip("-ERR syntax error\r\n", "CLIENT", "KILL", "FOO", "bar");
        a.Roundtrip("-ERR syntax error\r\n", "CLIENT", "KILL", "ID", "1", "SKIPME");
        a.Roundtrip("-ERR wrong number of arguments for 'client|kill' command\r\n", "CLIENT", "KILL");
    }

    [Fact]
    public void SetInfoRecordsLibraryNameAndVersion()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "mylib");
        c.Roundtrip("+OK\r\n", "CLIENT", "SETINFO", "lib-ver", "1.2.3");
        c.Command("CLIENT", "INFO");
        string text = Replies.BulkText(c.ReadReply());
        Assert.EndsWith(" lib-name=mylib lib-ver=1.2.3\n", text);
        c.Roundtrip("-ERR Unrecognized option 'color'\r\n", "CLIENT", "SETINFO", "color", "red");
        c.Roundtrip("-ERR lib-name cannot contain spaces, newlines or special characters.\r\n", "CLIENT", "SETINFO", "lib-name", "my lib");
    }

    [Fact]
    public void NoEvictAndNoTouchAcceptOnOrOff()
    {
        using var c = Server.Raw();
        c.Roundtrip("+OK\r\n", "CLIENT", "NO-EVICT", "on");
        c.Roundtrip("+OK\r\n", "CLIENT", "NO-TOUCH", "OFF");
        c.Roundtrip("-ERR syntax error\r\n", "CLIENT", "NO-EVICT", "maybe");
    }

    [Fact]
    public void HelpListsSubcommands()
    {
        using var c = Server.Raw();
        c.Command("CLIENT", "HELP");
        string reply = c.ReadReply();
        Assert.StartsWith("*", reply);
        Assert.Contains("+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n", reply);
        Assert.Contains("+KILL <ip:port>\r\n", reply);
    }

    [Fact]
    public async Task StackExchangeRedisListsClients()
    {
        await using var mux = await Server.ConnectAsync("name=se-client");
        IServer server = mux.GetServer(Server.EndPoint);
        ClientInfo[] clients = await server.ClientListAsync();
        ClientInfo me = Assert.Single(clients, ci => ci.Name == "se-client" && ci.LastCommand == "client|list");
        Assert.True(me.Id > 0);
        Assert.Equal(ClientType.Normal, me.ClientType);
        Assert.Equal(0, me.Database);
    }
}

// DUMP and RESTORE against redis-server 7.0.15: its payloads of every type and encoding (DumpRestoreCorpus.cs,
// recorded from it) restore here with the data its reads showed; Tiered's DUMP of the same data is byte-identical
// where Redis's layout is deterministic (strings, listpacks, intsets, quicklists and streams filled by appends) and
// restores here in every case; the same hot and cold; and RESTORE's option parsing, errors and events as Redis's.
// That Tiered's payloads restore on redis-server with equal data is checked where redis-server is on PATH.

using System.Globalization;
using System.Text;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public class DumpRestoreTests
{
    public static TheoryData<string> Cases() => [.. DumpRestoreCorpus.Cases.Select(k => k.Name)];

    private static string[] WithKey(string[] command, string key) => [.. command.Select(a => a == "{K}" ? key : a)];

    private static string Reply(RawClient c, string[] command)
    {
        c.Command(command);
        return c.ReadReply();
    }

    private static void Restore(RawClient c, string key, byte[] payload, params string[] options)
        => c.Command([Encoding.ASCII.GetBytes("RESTORE"), Encoding.UTF8.GetBytes(key), "0"u8.ToArray(), payload, .. options.Select(Encoding.ASCII.GetBytes)]);

    private static byte[]? Dump(RawClient c, string key)
    {
        c.Command("DUMP", key);
        return c.ReadBulkBytes();
    }

    /// <summary>Asserts the reads of <paramref name="key"/> show the data redis-server's reads showed.</summary>
    private static void AssertRedisData(RawClient c, DumpRestoreCorpus.Case k, string key)
    {
        for (int i = 0; i < k.Reads.Length; i++)
        {
            string expected = Encoding.Latin1.GetString(Convert.FromBase64String(k.Replies[i]));
            string actual = Shape(c, k.Reads[i], key);
            Assert.True(RespShape.Normalize(k.Reads[i][0], expected) == actual,
                $"{k.Name}: {string.Join(' ', k.Reads[i])}\nredis  {Shorten(RespShape.Normalize(k.Reads[i][0], expected))}\ntiered {Shorten(actual)}");
        }
    }

    /// <summary>The reply to <paramref name="read"/> on <paramref name="key"/>, as data (<see cref="RespShape"/>).</summary>
    private static string Shape(RawClient c, string[] read, string key)
    {
        c.Command(WithKey(read, key));
        return RespShape.Normalize(read[0], Encoding.Latin1.GetString(RespShape.ReadRaw(c)));
    }

    private static string Shorten(string s) => s.Length > 400 ? s[..400] + "..." : s;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RedisPayloadsRestoreWithRedisDataAndTieredDumpsTheSameData(string name)
    {
        DumpRestoreCorpus.Case k = DumpRestoreCorpus.Cases.Single(x => x.Name == name);
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        byte[] redis = Convert.FromBase64String(k.Payload);
        Restore(c, "from-redis", redis);
        c.Expect(Replies.Ok);
        AssertRedisData(c, k, "from-redis");
        if (k.Build.Length == 0) return;   // an older RDB form: Tiered writes Redis 7.0's, checked by the other cases

        foreach (string[] command in k.Build) Assert.DoesNotMatch("^-", Reply(c, WithKey(command, "built")));
        byte[] tiered = Dump(c, "built")!;
        if (k.Identical) Assert.Equal(Convert.ToHexString(redis), Convert.ToHexString(tiered));
        Restore(c, "from-tiered", tiered);
        c.Expect(Replies.Ok);
        foreach (string[] read in k.Reads)   // a set comes back in the payload's order (an intset's is sorted): compare as data
            Assert.Equal(Shape(c, read, "built"), Shape(c, read, "from-tiered"));
    }

    /// <summary>
    /// Tiered's payloads restore on redis-server 7.0 with the data redis-server's own reads showed. Runs where
    /// redis-server is on PATH (CI installs it); elsewhere the probe that recorded the corpus made the same check.
    /// </summary>
    [Fact]
    public async Task TieredPayloadsRestoreOnRedisServerWithTheSameData()
    {
        string? binary = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
        if (binary is null) return;
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var psi = new System.Diagnostics.ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string a in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
            psi.ArgumentList.Add(a);
        using var redisProcess = System.Diagnostics.Process.Start(psi)!;
        try
        {
            RawClient? redis = null;
            for (int attempt = 0; redis is null; attempt++)
            {
                try { redis = new RawClient(port); }
                catch (System.Net.Sockets.SocketException) when (attempt < 100) { Thread.Sleep(50); }
            }
            using (redis)
            {
                await using var s = new TestServer();
                using RawClient c = s.Raw();
                foreach (DumpRestoreCorpus.Case k in DumpRestoreCorpus.Cases.Where(k => k.Build.Length > 0))
                {
                    foreach (string[] command in k.Build) Assert.DoesNotMatch("^-", Reply(c, WithKey(command, "k")));
                    Restore(redis, "from-tiered", Dump(c, "k")!, "REPLACE");
                    redis.Expect(Replies.Ok);
                    foreach (string[] read in k.Reads)
                        Assert.True(Shape(c, read, "k") == Shape(redis, read, "from-tiered"), $"{k.Name}: {string.Join(' ', read)}");
                    c.Roundtrip(":1\r\n", "DEL", "k");
                }
            }
        }
        finally
        {
            redisProcess.Kill();
        }
    }

    [Fact]
    public async Task ColdKeysDumpAndRestoredKeysReadTheSameAfterDemotion()
    {
        await using var s = new ColdServer(0);
        using RawClient c = s.Server.Raw();
        using RawClient info = s.Server.Raw();
        DumpRestoreCorpus.Case[] cases = DumpRestoreCorpus.Cases;
        for (int i = 0; i < cases.Length; i++)
        {
            Restore(c, "r" + i, Convert.FromBase64String(cases[i].Payload));
            c.Expect(Replies.Ok);
        }
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "maxmemory", "1");
        for (int i = 0; i < cases.Length; i++)
        {
            ColdWait.WaitAllCold(info, "dumping " + cases[i].Name);
            byte[] payload = Dump(c, "r" + i)!;
            if (cases[i].Identical) Assert.Equal(cases[i].Payload, Convert.ToBase64String(payload));
            ColdWait.WaitAllCold(info, "reading " + cases[i].Name);
            AssertRedisData(c, cases[i], "r" + i);
            ColdWait.WaitAllCold(info, "replacing " + cases[i].Name);
            Restore(c, "r" + i, payload, "REPLACE");   // onto the cold key
            c.Expect(Replies.Ok);
            AssertRedisData(c, cases[i], "r" + i);
        }
    }

    [Fact]
    public async Task RestoreChecksItsArgumentsAndPayloadInRedisOrder()
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        c.Roundtrip(Replies.Ok, "SET", "busy", "x");
        byte[] p = Convert.FromBase64String(DumpRestoreCorpus.Cases[0].Payload);   // "12345"
        byte[] badCrc = [.. p];
        badCrc[^1] ^= 1;
        byte[] v11 = [.. p];
        v11[^10] = 11;
        (string Key, string Ttl, byte[] Payload, string[] Options, string Reply)[] rules =
        [
            ("busy", "0", p, [], "-BUSYKEY Target key name already exists.\r\n"),
            ("busy", "-1", p, [], "-BUSYKEY Target key name already exists.\r\n"),
            ("n", "-1", p, [], "-ERR Invalid TTL value, must be >= 0\r\n"),
            ("n", "abc", p, [], "-ERR value is not an integer or out of range\r\n"),
            ("n", "0", badCrc, [], "-ERR DUMP payload version or checksum are wrong\r\n"),
            ("n", "0", v11, [], "-ERR DUMP payload version or checksum are wrong\r\n"),
            ("n", "0", "short"u8.ToArray(), [], "-ERR DUMP payload version or checksum are wrong\r\n"),
            ("n", "0", Sealed(0x63, "abc"u8), [], "-ERR Bad data format\r\n"),              // unknown type
            ("n", "0", Sealed(0x02, [0x00]), [], "-ERR Bad data format\r\n"),              // empty set
            ("n", "0", Sealed(0x02, [0x02, 0x01, (byte)'a', 0x01, (byte)'a']), [], "-ERR Bad data format\r\n"),   // duplicate members
            ("n", "0", Sealed(0x09, [0x01, (byte)'a']), [], "-ERR Bad data format\r\n"),   // zipmap
            ("n", "0", Sealed(0x06, [0x00]), [], "-ERR Bad data format\r\n"),              // pre-release module type
            ("n", "0", Sealed(0x07, [0x81, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x00]), [], "-ERR Bad data format\r\n"),   // a module not loaded
            ("n", "0", p, ["FOO"], "-ERR syntax error\r\n"),
            ("n", "0", p, ["IDLETIME"], "-ERR syntax error\r\n"),
            ("n", "0", p, ["IDLETIME", "-1"], "-ERR Invalid IDLETIME value, must be >= 0\r\n"),
            ("n", "0", p, ["IDLETIME", "x"], "-ERR value is not an integer or out of range\r\n"),
            ("n", "0", p, ["FREQ", "256"], "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"),
            ("n", "0", p, ["FREQ", "-1"], "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"),
            ("n", "0", p, ["FREQ", "5", "IDLETIME", "5"], "-ERR syntax error\r\n"),
            ("n", "0", p, ["IDLETIME", "5", "FREQ", "5"], "-ERR syntax error\r\n"),
            ("n1", "0", p, ["IDLETIME", "5", "IDLETIME", "6"], "+OK\r\n"),
            ("n2", "0", p, ["REPLACE", "ABSTTL", "REPLACE"], "+OK\r\n"),
            ("n3", "0", Sealed(0x00, [0x05, (byte)'a', (byte)'b']), [], "+OK\r\n"),    // as Redis: the string's tail is read from the trailer
            ("busy", "0", p, ["REPLACE"], "+OK\r\n"),
        ];
        foreach ((string key, string ttl, byte[] payload, string[] options, string reply) in rules)
        {
            c.Command([Encoding.ASCII.GetBytes("RESTORE"), Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(ttl), payload, .. options.Select(Encoding.ASCII.GetBytes)]);
            c.Expect(reply);
        }
        c.Roundtrip("$5\r\n12345\r\n", "GET", "busy");
        c.Roundtrip("$-1\r\n", "DUMP", "nope");
        c.Roundtrip("-ERR wrong number of arguments for 'dump' command\r\n", "DUMP");
        c.Roundtrip("-ERR wrong number of arguments for 'restore' command\r\n", "RESTORE", "a", "0");
    }

    /// <summary>A payload of object type <paramref name="type"/> with <paramref name="body"/>, version 10 and its CRC.</summary>
    private static byte[] Sealed(byte type, ReadOnlySpan<byte> body)
    {
        var w = new Tiered.Tiering.Rdb.RdbWriter();
        w.Byte(type);
        w.Raw(body);
        return Tiered.Tiering.Rdb.RdbPayload.Seal(w);
    }

    [Fact]
    public async Task TtlsAbsoluteTtlsAndTimesInThePastAreRedis()
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        byte[] p = Convert.FromBase64String(DumpRestoreCorpus.Cases[0].Payload);
        c.Roundtrip(Replies.Ok, "SET", "old", "x");
        c.Command([.. new[] { "RESTORE", "old", "1" }.Select(Encoding.ASCII.GetBytes), p, "REPLACE"u8.ToArray(), "ABSTTL"u8.ToArray()]);
        c.Expect(Replies.Ok);
        c.Roundtrip(":0\r\n", "EXISTS", "old");   // the time has passed: REPLACE deleted the key and none is created
        c.Command([.. new[] { "RESTORE", "gone", "1" }.Select(Encoding.ASCII.GetBytes), p, "ABSTTL"u8.ToArray()]);
        c.Expect(Replies.Ok);
        c.Roundtrip(":0\r\n", "EXISTS", "gone");
        c.Command([.. new[] { "RESTORE", "t1", "100000" }.Select(Encoding.ASCII.GetBytes), p]);
        c.Expect(Replies.Ok);
        c.Command("PTTL", "t1");
        long pttl = long.Parse(c.ReadReply()[1..^2], CultureInfo.InvariantCulture);
        Assert.InRange(pttl, 95_000, 100_000);
        c.Command([.. new[] { "RESTORE", "t2", "99999999999999" }.Select(Encoding.ASCII.GetBytes), p, "ABSTTL"u8.ToArray()]);
        c.Expect(Replies.Ok);
        c.Roundtrip(":99999999999999\r\n", "PEXPIRETIME", "t2");
        c.Command([.. new[] { "RESTORE", "f", "0" }.Select(Encoding.ASCII.GetBytes), p, "FREQ"u8.ToArray(), "100"u8.ToArray()]);
        c.Expect(Replies.Ok);
        c.Roundtrip(":100\r\n", "OBJECT", "FREQ", "f");
        c.Command([.. new[] { "RESTORE", "i", "0" }.Select(Encoding.ASCII.GetBytes), p, "IDLETIME"u8.ToArray(), "0"u8.ToArray()]);
        c.Expect(Replies.Ok);
        c.Roundtrip(":0\r\n", "OBJECT", "IDLETIME", "i");
    }

    [Fact]
    public async Task RestoreNotifiesRestoreAndAnExpiredReplaceNotifiesDel()
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        using RawClient sub = s.Raw();
        c.Roundtrip(Replies.Ok, "CONFIG", "SET", "notify-keyspace-events", "KEA");
        sub.Roundtrip("*3\r\n$10\r\npsubscribe\r\n$10\r\n__key*__:*\r\n:1\r\n", "PSUBSCRIBE", "__key*__:*");
        byte[] p = Convert.FromBase64String(DumpRestoreCorpus.Cases[0].Payload);
        Restore(c, "ev", p);
        c.Expect(Replies.Ok);
        sub.Expect("*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$17\r\n__keyspace@0__:ev\r\n$7\r\nrestore\r\n"
            + "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$22\r\n__keyevent@0__:restore\r\n$2\r\nev\r\n");
        c.Command([.. new[] { "RESTORE", "ev", "1" }.Select(Encoding.ASCII.GetBytes), p, "REPLACE"u8.ToArray(), "ABSTTL"u8.ToArray()]);
        c.Expect(Replies.Ok);
        sub.Expect("*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$17\r\n__keyspace@0__:ev\r\n$3\r\ndel\r\n"
            + "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$18\r\n__keyevent@0__:del\r\n$2\r\nev\r\n");
    }

    [Fact]
    public async Task ABloomFilterDumpsAsTieredsModuleTypeAndRestoresHere()
    {
        await using var s = new TestServer();
        using RawClient c = s.Raw();
        c.Roundtrip(Replies.Ok, "BF.RESERVE", "bf", "0.01", "100");
        for (int i = 0; i < 50; i++) Assert.StartsWith(":", Reply(c, ["BF.ADD", "bf", "item" + i]));
        byte[] payload = Dump(c, "bf")!;
        Assert.Equal(7, payload[0]);   // RDB_TYPE_MODULE_2
        Restore(c, "copy", payload);
        c.Expect(Replies.Ok);
        Assert.Equal(Reply(c, ["BF.INFO", "bf"]), Reply(c, ["BF.INFO", "copy"]));
        c.Roundtrip(":1\r\n", "BF.EXISTS", "copy", "item7");
        c.Roundtrip("+MBbloom--\r\n", "TYPE", "copy");
        payload[2] ^= 1;   // another module's id: refused as redis-server refuses a module it does not have
        Restore(c, "other", Tiered.Tiering.Rdb.RdbPayload.Seal(Rewrap(payload)));
        c.Expect("-ERR Bad data format\r\n");
    }

    /// <summary>A writer holding the object part of <paramref name="payload"/> (its trailer dropped), to seal again.</summary>
    private static Tiered.Tiering.Rdb.RdbWriter Rewrap(byte[] payload)
    {
        var w = new Tiered.Tiering.Rdb.RdbWriter();
        w.Raw(payload.AsSpan(0, payload.Length - 10));
        return w;
    }
}

/// <summary>
/// Puts a reply in the shape that compares data, not encodings: HGETALL's pairs and SMEMBERS's members sorted (a
/// hashtable's order is its own), ZRANGE's scores as numbers (Tiered writes the shortest text of a double, Redis 7.0
/// "%.17g"), and XINFO STREAM without the radix-tree counts (Tiered estimates them from the length).
/// </summary>
internal static class RespShape
{
    public static string Normalize(string command, string reply)
    {
        int pos = 0;
        object? tree = Parse(reply, ref pos);
        command = command.ToUpperInvariant();
        if (tree is List<object?> items)
        {
            if (command == "HGETALL") tree = Pairs(items).OrderBy(p => p, StringComparer.Ordinal).Cast<object?>().ToList();
            else if (command == "SMEMBERS") tree = items.Select(i => (object?)(string?)i).OrderBy(i => (string?)i, StringComparer.Ordinal).ToList();
            else if (command == "ZRANGE") tree = Pairs(items, score: true).Cast<object?>().ToList();
            else if (command == "XINFO")
            {
                var kept = new List<object?>();
                for (int i = 0; i + 1 < items.Count; i += 2)
                    if (items[i] is not ("radix-tree-keys" or "radix-tree-nodes")) { kept.Add(items[i]); kept.Add(items[i + 1]); }
                tree = kept;
            }
        }
        return Show(tree);
    }

    private static IEnumerable<string> Pairs(List<object?> items, bool score = false)
    {
        for (int i = 0; i + 1 < items.Count; i += 2)
        {
            string second = (string)items[i + 1]!;
            if (score) second = double.Parse(second.Replace("inf", "Infinity"), CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture);
            yield return items[i] + "=" + second;
        }
    }

    private static string Show(object? t) => t switch
    {
        null => "nil",
        List<object?> l => "[" + string.Join(",", l.Select(Show)) + "]",
        _ => "'" + t + "'",
    };

    /// <summary>Parses a reply held one character per byte (Latin-1), so bulk lengths count characters.</summary>
    private static object? Parse(string s, ref int pos)
    {
        int end = s.IndexOf("\r\n", pos, StringComparison.Ordinal);
        char type = s[pos];
        string line = s[(pos + 1)..end];
        pos = end + 2;
        switch (type)
        {
            case '$':
                int len = int.Parse(line, CultureInfo.InvariantCulture);
                if (len < 0) return null;
                string bulk = s.Substring(pos, len);
                pos += len + 2;
                return bulk;
            case '*':
                int n = int.Parse(line, CultureInfo.InvariantCulture);
                if (n < 0) return null;
                var list = new List<object?>(n);
                for (int i = 0; i < n; i++) list.Add(Parse(s, ref pos));
                return list;
            default:
                return type + line;
        }
    }

    /// <summary>Reads one whole RESP2 reply as its bytes.</summary>
    public static byte[] ReadRaw(RawClient c)
    {
        var o = new List<byte>();
        ReadRaw(c, o);
        return [.. o];
    }

    private static void ReadRaw(RawClient c, List<byte> o)
    {
        int start = o.Count;
        while (o.Count - start < 2 || o[^1] != (byte)'\n') o.Add(c.ReadBytes(1)[0]);
        string line = Encoding.ASCII.GetString(o.GetRange(start, o.Count - start - 2).ToArray());
        int n = line.Length > 1 && line[0] is '$' or '*' ? int.Parse(line[1..], CultureInfo.InvariantCulture) : -1;
        if (line[0] == '$' && n >= 0) o.AddRange(c.ReadBytes(n + 2));
        else if (line[0] == '*') for (int i = 0; i < n; i++) ReadRaw(c, o);
    }
}

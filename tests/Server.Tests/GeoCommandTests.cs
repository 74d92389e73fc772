using System.Globalization;
using Tiered.Server.Tests.Infrastructure;
using Tiered.Tiering.Base;
using Tiered.Tiering.Types.Geo;
using static Tiered.Server.Tests.Infrastructure.Replies;

namespace Tiered.Server.Tests;

/// <summary>
/// GEO commands against redis-server 7.0.15's own replies (GeoCorpus.Rules, hot and cold, RESP2 and RESP3),
/// plus edge cases whose answers follow from the geometry: radius 0, COUNT ANY, box searches, the destination of a
/// STORE as a key (WATCH, COMMAND GETKEYS), and the number formatting.
/// </summary>
public sealed class GeoCommandTests : ServerTestBase
{
    public static TheoryData<int> Protocols => new() { 2, 3 };

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task EveryGeoRuleRepliesAsRedisDoesWithTheKeysInDram(int protocol) => RuleReplay.InDram(GeoCorpus.Rules, protocol);

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task EveryGeoRuleRepliesAsRedisDoesWithEveryKeyOnTheSsd(int protocol)
    {
        int coldReads = await RuleReplay.OnTheSsd(GeoCorpus.Rules, protocol);
        Assert.True(coldReads >= 40, $"only {coldReads} steps read a cold key");
    }

    private static double Number(string bulk) => double.Parse(BulkText(bulk), CultureInfo.InvariantCulture);

    [Fact]
    public void RadiusZeroFindsTheMembersAtTheCentreOnly()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(3), "GEOADD", "k", "2.35", "48.85", "a", "2.35", "48.85", "twin", "2.3501", "48.85", "near");
        c.Roundtrip(Arr("a", "twin"), "GEOSEARCH", "k", "FROMMEMBER", "a", "BYRADIUS", "0", "m");
        c.Roundtrip(Arr("a", "twin"), "GEORADIUSBYMEMBER", "k", "twin", "0", "km");
        c.Roundtrip(Arr("a", "twin"), "GEOSEARCH", "k", "FROMMEMBER", "a", "BYBOX", "0", "0", "m");
    }

    [Fact]
    public void CountAnyReturnsThatManyMembersAllInsideTheRadius()
    {
        using var c = Server.Raw();
        var args = new List<string> { "GEOADD", "k" };
        for (int i = 0; i < 200; i++)
            args.AddRange([(10 + i * 0.001).ToString(CultureInfo.InvariantCulture), (45 + (i % 17) * 0.001).ToString(CultureInfo.InvariantCulture), "m" + i]);
        c.Roundtrip(Int(200), [.. args]);
        c.Command("GEOSEARCH", "k", "FROMLONLAT", "10.1", "45.008", "BYRADIUS", "5", "km", "COUNT", "7", "ANY", "WITHDIST");
        List<double> any = Distances(c.ReadReply(), 7);
        Assert.All(any, d => Assert.True(d <= 5, $"{d} km"));
        // Without ANY, COUNT returns the nearest ones, sorted.
        c.Command("GEOSEARCH", "k", "FROMLONLAT", "10.1", "45.008", "BYRADIUS", "5", "km", "COUNT", "3", "WITHDIST");
        List<double> nearest = Distances(c.ReadReply(), 3);
        Assert.Equal(nearest.Order(), nearest);
        Assert.True(nearest[2] < 1, $"{nearest[2]} km");   // the members nearest the centre are within a kilometre
    }

    /// <summary>The distances of a WITHDIST reply of <paramref name="count"/> [member, distance] pairs.</summary>
    private static List<double> Distances(string reply, int count)
    {
        Assert.StartsWith($"*{count}\r\n", reply);
        string[] parts = reply.Split("\r\n");
        var list = new List<double>();
        for (int i = 1; i + 4 < parts.Length; i += 5) list.Add(double.Parse(parts[i + 4], CultureInfo.InvariantCulture));
        Assert.Equal(count, list.Count);
        return list;
    }

    [Fact]
    public void ABoxIsWiderThanTallWhenAskedSo()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(3), "GEOADD", "k", "0", "0", "o", "0.8", "0", "east", "0", "0.8", "north");
        // 0.8 degrees is about 89 km: inside a 200 km wide box, outside a 100 km tall one.
        c.Roundtrip(Arr("o", "east"), "GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYBOX", "200", "100", "km", "ASC");
        c.Roundtrip(Arr("o", "north"), "GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYBOX", "100", "200", "km", "ASC");
    }

    [Fact]
    public void PointsAcrossTheAntimeridianAreNeighbours()
    {
        using var c = Server.Raw();
        c.Roundtrip(Int(2), "GEOADD", "k", "179.95", "10", "west", "-179.95", "10", "east");
        c.Command("GEODIST", "k", "west", "east", "km");
        Assert.InRange(Number(c.ReadReply()), 10.5, 11.5);
        c.Roundtrip(Arr("west", "east"), "GEOSEARCH", "k", "FROMLONLAT", "179.95", "10", "BYRADIUS", "20", "km", "ASC");
    }

    [Fact]
    public void TheStoreDestinationIsAKeyOfTheCommand()
    {
        using var c = Server.Raw();
        using var other = Server.Raw();
        c.Roundtrip(Arr("src", "dst"), "COMMAND", "GETKEYS", "GEORADIUS", "src", "0", "0", "10", "km", "STORE", "dst");
        c.Roundtrip(Arr("src", "d1", "d2"), "COMMAND", "GETKEYS", "GEORADIUS", "src", "0", "0", "10", "km", "STOREDIST", "d2", "STORE", "d1");
        c.Roundtrip(Arr("src", "dst"), "COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "src", "m", "10", "km", "STORE", "dst");
        c.Roundtrip(Arr("d", "s"), "COMMAND", "GETKEYS", "GEOSEARCHSTORE", "d", "s", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km");
        c.Roundtrip(Int(1), "GEOADD", "src", "0", "0", "m");
        c.Roundtrip(Ok, "WATCH", "dst");
        other.Roundtrip(Int(1), "GEORADIUS", "src", "0", "0", "10", "km", "STORE", "dst");
        c.Roundtrip(Ok, "MULTI");
        c.Roundtrip("+QUEUED\r\n", "GET", "x");
        c.Roundtrip("*-1\r\n", "EXEC");
    }

    [Fact]
    public void TheScoreIsRedisesInterleavedGeohash()
    {
        // Palermo's score and geohash as redis-server 7.0.15 gives them.
        Assert.Equal(3479099956230698d, GeoHash.Score(13.361389, 38.115556));
        Span<byte> hash = stackalloc byte[11];
        GeoHash.HashString(3479099956230698d, hash);
        Assert.Equal("sqc8b49rny0", System.Text.Encoding.ASCII.GetString(hash));
        GeoHash.Decode(0, out double lon, out double lat);
        Assert.True(lon < -179.9999 && lat < -85.0511, $"{lon} {lat}");
    }

    [Theory]
    [InlineData(0.125, 2, "0.12")]      // an exact tie goes to the even digit, as glibc's printf
    [InlineData(0.375, 2, "0.38")]
    [InlineData(2.5, 0, "2")]
    [InlineData(-0.0625, 3, "-0.062")]
    [InlineData(0.1, 4, "0.1000")]
    [InlineData(13.361389338970184, 17, "13.36138933897018433")]
    public void FixedFormattingIsCsPrintf(double value, int decimals, string expected)
    {
        Span<byte> text = stackalloc byte[400];
        int n = Numbers.FormatFixed(value, decimals, text, trim: false);
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(text[..n]));
    }
}

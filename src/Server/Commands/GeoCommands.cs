using Tiered.Server.Admin;
using Tiered.Tiering.Types.Geo;
using Tiered.Tiering.Types.SortedSets;

namespace Tiered.Server.Commands;

/// <summary>
/// Geo commands: GEOADD GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUS_RO GEORADIUSBYMEMBER GEORADIUSBYMEMBER_RO GEOSEARCH
/// GEOSEARCHSTORE. A geo set is a sorted set scored by geohash (Tiering/Types/Geo/GeoHash.cs). The searches share
/// one parser, Redis's georadiusGeneric, whose order of checks decides which error a bad command gets: the source's
/// type first, then the centre and radius of the GEORADIUS forms, then the options left to right (GEOSEARCH's
/// FROMMEMBER, FROMLONLAT, BYRADIUS and BYBOX are checked where they stand), then the combinations.
/// Coordinates go out as Redis's "human" long double (17 decimals, trailing zeros trimmed), distances with 4.
/// </summary>
public static class GeoCommands
{
    [Flags]
    private enum Form : byte
    {
        /// <summary>GEORADIUS: the centre as longitude latitude.</summary>
        Coords = 1,
        /// <summary>GEORADIUSBYMEMBER: the centre is a member.</summary>
        Member = 2,
        /// <summary>The _RO forms: no STORE.</summary>
        NoStore = 4,
        /// <summary>GEOSEARCH / GEOSEARCHSTORE.</summary>
        Search = 8,
        /// <summary>GEOSEARCHSTORE.</summary>
        SearchStore = 16,
    }

    [Command("georadius")] private static void GeoRadius(CommandContext c) => Search(c, 1, Form.Coords);
    [Command("georadius_ro")] private static void GeoRadiusRo(CommandContext c) => Search(c, 1, Form.Coords | Form.NoStore);
    [Command("georadiusbymember")] private static void GeoRadiusByMember(CommandContext c) => Search(c, 1, Form.Member);
    [Command("georadiusbymember_ro")] private static void GeoRadiusByMemberRo(CommandContext c) => Search(c, 1, Form.Member | Form.NoStore);
    [Command("geosearch")] private static void GeoSearch(CommandContext c) => Search(c, 1, Form.Search);
    [Command("geosearchstore")] private static void GeoSearchStore(CommandContext c) => Search(c, 2, Form.Search | Form.SearchStore);

    [Command("geoadd")] private static void GeoAdd(CommandContext c)
    {
        UpdateCondition flags = UpdateCondition.None;
        bool ch = false;
        int i = 2;
        for (; i < c.Count; i++)
        {
            if (c.Is(i, "NX"u8)) flags |= UpdateCondition.Nx;
            else if (c.Is(i, "XX"u8)) flags |= UpdateCondition.Xx;
            else if (c.Is(i, "CH"u8)) ch = true;
            else break;
        }
        int elements = (c.Count - i) / 3;
        if ((c.Count - i) % 3 != 0 || flags == (UpdateCondition.Nx | UpdateCondition.Xx) || elements == 0) { c.SyntaxError(); return; }
        Span<double> scores = elements <= 64 ? stackalloc double[elements] : new double[elements];
        for (int k = 0; k < elements; k++)
        {
            if (!LonLat(c, i + 3 * k, out double lon, out double lat)) return;
            scores[k] = GeoHash.Score(lon, lat);
        }
        Status s = SortedSetOps.Add(c.Db, c[1], flags, scores, new ArgStrings(c, i + 2, elements, 3), out long added, out long changed);
        if (s != Status.Ok) { c.Error(s); return; }
        if (changed > 0) c.Notify(KeyspaceEventFlags.Zset, "zadd"u8, c[1]);
        c.Writer.Integer(ch ? changed : added);
    }

    [Command("geodist")] private static void GeoDist(CommandContext c)
    {
        double toMeters = 1;
        if (c.Count == 5 && !Unit(c, 4, out toMeters)) return;
        if (c.Count > 5) { c.SyntaxError(); return; }
        Status s = GeoOps.Distance(c.Db, c[1], c[2], c[3], out double meters);
        if (s == Status.Ok) Distance(c, meters / toMeters);
        else if (s == Status.NotFound) c.Writer.Null();
        else c.Error(s);
    }

    [Command("geohash")] private static void GeoHashCommand(CommandContext c)
    {
        int n = c.Count - 2;
        Span<double> scores = n <= 64 ? stackalloc double[n] : new double[n];
        Status s = SortedSetOps.MScore(c.Db, c[1], new ArgStrings(c, 2), scores);
        if (s != Status.Ok) { c.Error(s); return; }
        Span<byte> text = stackalloc byte[11];
        c.Writer.Array(n);
        foreach (double score in scores)
        {
            if (double.IsNaN(score)) { c.Writer.Null(); continue; }
            GeoHash.HashString(score, text);
            c.Writer.Bulk(text);
        }
    }

    [Command("geopos")] private static void GeoPos(CommandContext c)
    {
        int n = c.Count - 2;
        Span<double> scores = n <= 64 ? stackalloc double[n] : new double[n];
        Status s = SortedSetOps.MScore(c.Db, c[1], new ArgStrings(c, 2), scores);
        if (s != Status.Ok) { c.Error(s); return; }
        c.Writer.Array(n);
        foreach (double score in scores)
        {
            if (double.IsNaN(score)) { c.Writer.NullArray(); continue; }
            GeoHash.Decode(score, out double lon, out double lat);
            Coordinates(c, lon, lat);
        }
    }

    /// <summary>Two arguments as a longitude, latitude pair, with Redis's errors (extractLongLatOrReply).</summary>
    private static bool LonLat(CommandContext c, int i, out double lon, out double lat)
    {
        lat = 0;
        if (!c.Double(i, out lon) || !c.Double(i + 1, out lat)) return false;
        if (GeoHash.ValidPair(lon, lat)) return true;
        c.Writer.Error(string.Create(CultureInfo.InvariantCulture, $"ERR invalid longitude,latitude pair {lon:F6},{lat:F6}"));
        return false;
    }

    /// <summary>A unit argument as metres per unit (extractUnitOrReply).</summary>
    private static bool Unit(CommandContext c, int i, out double toMeters)
    {
        toMeters = c.Is(i, "M"u8) ? 1 : c.Is(i, "KM"u8) ? 1000 : c.Is(i, "FT"u8) ? 0.3048 : c.Is(i, "MI"u8) ? 1609.34 : -1;
        if (toMeters > 0) return true;
        c.Writer.Error("ERR unsupported unit provided. please use M, KM, FT, MI"u8);
        return false;
    }

    /// <summary>A radius and its unit (extractDistanceOrReply).</summary>
    private static bool Radius(CommandContext c, int i, ref GeoShape shape)
    {
        if (!CommandContext.ParseDouble(c[i], out double r)) { c.Writer.Error("ERR need numeric radius"u8); return false; }
        if (r < 0) { c.Writer.Error("ERR radius cannot be negative"u8); return false; }
        shape.IsBox = false;
        shape.Radius = r;
        return Unit(c, i + 1, out shape.Conversion);
    }

    /// <summary>A box's width, height and unit (extractBoxOrReply).</summary>
    private static bool Box(CommandContext c, int i, ref GeoShape shape)
    {
        if (!CommandContext.ParseDouble(c[i], out double w)) { c.Writer.Error("ERR need numeric width"u8); return false; }
        if (!CommandContext.ParseDouble(c[i + 1], out double h)) { c.Writer.Error("ERR need numeric height"u8); return false; }
        if (h < 0 || w < 0) { c.Writer.Error("ERR height or width cannot be negative"u8); return false; }
        shape.IsBox = true;
        shape.Width = w;
        shape.Height = h;
        return Unit(c, i + 2, out shape.Conversion);
    }

    private static bool MemberCentre(CommandContext c, int keyArg, int memberArg, ref GeoShape shape)
    {
        if (GeoOps.Position(c.Db, c[keyArg], c[memberArg], out shape.Longitude, out shape.Latitude) == Status.Ok) return true;
        c.Writer.Error("ERR could not decode requested zset member"u8);
        return false;
    }

    private static void Search(CommandContext c, int keyArg, Form form)
    {
        Status src = GeoOps.Check(c.Db, c[keyArg]);
        if (src == Status.WrongType) { c.Error(src); return; }
        bool exists = src == Status.Ok;
        var q = new GeoQuery();
        int baseArgs;
        int storeArg = (form & Form.SearchStore) != 0 ? 1 : -1;
        bool storeDist = false;
        if ((form & Form.Coords) != 0)
        {
            baseArgs = 6;
            if (!LonLat(c, 2, out q.Shape.Longitude, out q.Shape.Latitude) || !Radius(c, 4, ref q.Shape)) return;
        }
        else if ((form & Form.Member) != 0)
        {
            baseArgs = 5;
            if (exists && (!MemberCentre(c, keyArg, 2, ref q.Shape) || !Radius(c, 3, ref q.Shape))) return;
        }
        else baseArgs = keyArg + 1;
        bool withDist = false, withHash = false, withCoord = false, fromMember = false, fromLonLat = false, byRadius = false, byBox = false;
        bool search = (form & Form.Search) != 0, canStore = (form & (Form.NoStore | Form.Search)) == 0;
        for (int i = baseArgs; i < c.Count; i++)
        {
            int left = c.Count - i - 1;
            if (c.Is(i, "WITHDIST"u8)) withDist = true;
            else if (c.Is(i, "WITHHASH"u8)) withHash = true;
            else if (c.Is(i, "WITHCOORD"u8)) withCoord = true;
            else if (c.Is(i, "ANY"u8)) q.Any = true;
            else if (c.Is(i, "ASC"u8)) q.Sort = GeoSort.Asc;
            else if (c.Is(i, "DESC"u8)) q.Sort = GeoSort.Desc;
            else if (c.Is(i, "COUNT"u8) && left >= 1)
            {
                if (!c.Long(i + 1, out q.Count)) return;
                if (q.Count <= 0) { c.Writer.Error("ERR COUNT must be > 0"u8); return; }
                i++;
            }
            else if (canStore && left >= 1 && (c.Is(i, "STORE"u8) || c.Is(i, "STOREDIST"u8)))
            {
                storeDist = c.Is(i, "STOREDIST"u8);
                storeArg = ++i;
            }
            else if ((form & Form.SearchStore) != 0 && c.Is(i, "STOREDIST"u8)) storeDist = true;
            else if (search && !fromLonLat && left >= 1 && c.Is(i, "FROMMEMBER"u8))
            {
                if (exists && !MemberCentre(c, keyArg, i + 1, ref q.Shape)) return;
                fromMember = true;
                i++;
            }
            else if (search && !fromMember && left >= 2 && c.Is(i, "FROMLONLAT"u8))
            {
                if (!LonLat(c, i + 1, out q.Shape.Longitude, out q.Shape.Latitude)) return;
                fromLonLat = true;
                i += 2;
            }
            else if (search && !byBox && left >= 2 && c.Is(i, "BYRADIUS"u8))
            {
                if (!Radius(c, i + 1, ref q.Shape)) return;
                byRadius = true;
                i += 2;
            }
            else if (search && !byRadius && left >= 3 && c.Is(i, "BYBOX"u8))
            {
                if (!Box(c, i + 1, ref q.Shape)) return;
                byBox = true;
                i += 3;
            }
            else { c.SyntaxError(); return; }
        }
        if (storeArg >= 0 && (withDist || withHash || withCoord))
        {
            c.Writer.Error((form & Form.SearchStore) != 0
                ? "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"u8
                : "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"u8);
            return;
        }
        if (search && !(fromMember || fromLonLat))
        {
            c.Writer.Error($"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {c.Str(0)}");
            return;
        }
        if (search && !(byRadius || byBox))
        {
            c.Writer.Error($"ERR exactly one of BYRADIUS and BYBOX can be specified for {c.Str(0)}");
            return;
        }
        if (q.Any && q.Count == 0) { c.Writer.Error("ERR the ANY argument requires COUNT argument"u8); return; }
        if (storeArg >= 0)
        {
            Status ss = GeoOps.SearchStore(c.Db, c[keyArg], c[storeArg], q, storeDist, out long stored, out bool deleted);
            if (ss != Status.Ok) { c.Error(ss); return; }
            if (stored > 0) c.Notify(KeyspaceEventFlags.Zset, search ? "geosearchstore"u8 : "georadiusstore"u8, c[storeArg]);
            else if (deleted) c.Notify(KeyspaceEventFlags.Generic, "del"u8, c[storeArg]);
            c.Writer.Integer(stored);
            return;
        }
        var points = new List<GeoPoint>();
        Status s = GeoOps.Search(c.Db, c[keyArg], q, points);
        if (s != Status.Ok) { c.Error(s); return; }
        WritePoints(c, points, withDist, withHash, withCoord);
    }

    private static void WritePoints(CommandContext c, List<GeoPoint> points, bool withDist, bool withHash, bool withCoord)
    {
        RespWriter w = c.Writer;
        int options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
        w.Array(points.Count);
        foreach (GeoPoint p in points)
        {
            if (options > 0) w.Array(options + 1);
            w.Bulk(p.Member);
            if (withDist) Distance(c, p.Distance);
            if (withHash) w.Integer((long)p.Score);
            if (withCoord) Coordinates(c, p.Longitude, p.Latitude);
        }
    }

    /// <summary>A distance as Redis prints it: "%.4f", a bulk string in both protocols.</summary>
    private static void Distance(CommandContext c, double d)
    {
        Span<byte> text = stackalloc byte[400];
        c.Writer.Bulk(text[..Numbers.FormatFixed(d, 4, text, trim: false)]);
    }

    /// <summary>[longitude, latitude], each as Redis's addReplyHumanLongDouble.</summary>
    private static void Coordinates(CommandContext c, double lon, double lat)
    {
        Span<byte> text = stackalloc byte[400];
        c.Writer.Array(2);
        c.Writer.DoubleText(text[..Numbers.FormatFixed(lon, 17, text, trim: true)]);
        c.Writer.DoubleText(text[..Numbers.FormatFixed(lat, 17, text, trim: true)]);
    }
}

namespace Tiered.Tiering.Types.Geo;

// Why a geo point is a sorted set score
// -------------------------------------
// Redis stores a geo set as an ordinary sorted set: each member's score is a 52-bit geohash, the longitude and the
// latitude each cut into 2^26 cells and their cell numbers interleaved bit by bit (latitude in the even bits,
// longitude in the odd ones). Interleaving keeps nearby points near each other in score order, so "every point in
// this cell" is one score range [cell << shift, (cell + 1) << shift) at any coarser step, and the skip list's
// range-by-score walk does the spatial search. A 52-bit integer fits a double's mantissa exactly, which is why
// ZSCORE of a geo member shows it as an integer, and why this file reproduces Redis's arithmetic bit for bit: the
// score, GEOHASH's string and GEOPOS's decoded coordinates must be byte-identical to redis-server's.
//
//   bit   51 50 49 48 ...  3  2  1  0          step s uses the top 2s bits;
//         lo la lo la ... lo la lo la          a cell at step s is the score range
//         (lo: longitude bit, la: latitude bit) [bits << (52-2s), (bits+1) << (52-2s))
//
// The latitude range is Web Mercator's (±85.05112878), not ±90, so the cells are square on a Mercator map. GEOHASH
// re-encodes the decoded centre over ±90 to print the standard base-32 geohash.
//
// A radius or box search (Redis's geohashCalculateAreasByShapeWGS84) picks a step whose cell is about the size of
// the search area, takes the cell of the centre and its eight neighbours, drops the neighbours the bounding box
// cannot reach, and filters each candidate by its true great-circle distance (haversine on a sphere of
// 6372797.560856 m, as Redis).
//
//     NW | N | NE
//     ---+---+---       each box: one score range of the sorted set
//      W | C | E        C = the centre's cell at the chosen step
//     ---+---+---
//     SW | S | SE

/// <summary>A geohash cell: the interleaved bits of its top <see cref="Step"/> levels.</summary>
public readonly record struct GeoCell(ulong Bits, int Step)
{
    /// <summary>Redis's "zero" cell (a neighbour that was excluded).</summary>
    public bool IsZero => Bits == 0 && Step == 0;

    /// <summary>The first score of the cell at full precision (Redis's geohashAlign52Bits).</summary>
    public ulong Min => Bits << (52 - Step * 2);

    /// <summary>The score just past the cell.</summary>
    public ulong Max => (Bits + 1) << (52 - Step * 2);
}

/// <summary>A search shape: a circle (radius) or a box (width x height), around a centre, in a unit.</summary>
public struct GeoShape
{
    public double Longitude, Latitude;
    /// <summary>True for BYBOX.</summary>
    public bool IsBox;
    /// <summary>The radius, or the box's width and height, in the unit.</summary>
    public double Radius, Width, Height;
    /// <summary>Metres per unit.</summary>
    public double Conversion;
}

/// <summary>Redis's geohash arithmetic (geohash.c, geohash_helper.c), bit for bit.</summary>
public static class GeoHash
{
    public const double LatMin = -85.05112878, LatMax = 85.05112878, LonMin = -180, LonMax = 180;
    public const int StepMax = 26;
    public const double EarthRadius = 6372797.560856;
    private const double MercatorMax = 20037726.37;
    private const double DegToRad = Math.PI / 180.0;

    /// <summary>True when Redis accepts the pair (extractLongLatOrReply).</summary>
    public static bool ValidPair(double lon, double lat) => lon >= LonMin && lon <= LonMax && lat >= LatMin && lat <= LatMax;

    /// <summary>The 52-bit score of a valid point (GEOADD).</summary>
    public static double Score(double lon, double lat) => Encode(lon, lat, StepMax, LatMin, LatMax).Min;

    /// <summary>Encodes over the given latitude range (Redis's geohashEncode; the longitude range is always ±180).</summary>
    private static GeoCell Encode(double lon, double lat, int step, double latMin, double latMax)
    {
        double latOffset = (lat - latMin) / (latMax - latMin);
        double lonOffset = (lon - LonMin) / (LonMax - LonMin);
        latOffset *= 1UL << step;
        lonOffset *= 1UL << step;
        return new GeoCell(Interleave((uint)latOffset, (uint)lonOffset), step);
    }

    /// <summary>x's bits to the even positions, y's to the odd ones.</summary>
    private static ulong Interleave(uint x, uint y) => Spread(x) | (Spread(y) << 1);

    private static ulong Spread(uint v)
    {
        ulong x = v;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x << 2)) & 0x3333333333333333UL;
        return (x | (x << 1)) & 0x5555555555555555UL;
    }

    private static uint Squash(ulong x)
    {
        x &= 0x5555555555555555UL;
        x = (x | (x >> 1)) & 0x3333333333333333UL;
        x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x >> 4)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x >> 8)) & 0x0000FFFF0000FFFFUL;
        return (uint)((x | (x >> 16)) & 0x00000000FFFFFFFFUL);
    }

    /// <summary>A cell's bounds: longitude and latitude min/max (Redis's geohashDecode over the Mercator range).</summary>
    public readonly record struct Area(double LonMin, double LonMax, double LatMin, double LatMax);

    public static Area Decode(GeoCell cell)
    {
        uint ilat = Squash(cell.Bits), ilon = Squash(cell.Bits >> 1);
        double latScale = LatMax - LatMin, lonScale = LonMax - LonMin;
        double div = 1UL << cell.Step;
        return new Area(
            LonMin + (ilon * 1.0 / div) * lonScale, LonMin + ((ilon + 1) * 1.0 / div) * lonScale,
            LatMin + (ilat * 1.0 / div) * latScale, LatMin + ((ilat + 1) * 1.0 / div) * latScale);
    }

    /// <summary>The point a score stands for: its cell's centre, clamped to the valid range (decodeGeohash).</summary>
    public static void Decode(double score, out double lon, out double lat)
    {
        Area a = Decode(new GeoCell((ulong)score, StepMax));
        lon = Math.Clamp((a.LonMin + a.LonMax) / 2, LonMin, LonMax);
        lat = Math.Clamp((a.LatMin + a.LatMax) / 2, LatMin, LatMax);
    }

    private const string Alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";

    /// <summary>GEOHASH's 11-character standard geohash of a score (re-encoded over ±90; the last character is '0').</summary>
    public static void HashString(double score, Span<byte> dest11)
    {
        Decode(score, out double lon, out double lat);
        ulong bits = Encode(lon, lat, StepMax, -90, 90).Bits;
        for (int i = 0; i < 11; i++)
            dest11[i] = (byte)Alphabet[i == 10 ? 0 : (int)((bits >> (52 - (i + 1) * 5)) & 0x1f)];
    }

    private static double Rad(double deg) => deg * DegToRad;

    private static double Deg(double rad) => rad / DegToRad;

    /// <summary>The north-south distance between two latitudes, in metres.</summary>
    private static double LatDistance(double lat1, double lat2) => EarthRadius * Math.Abs(Rad(lat2) - Rad(lat1));

    /// <summary>Haversine great-circle distance in metres (geohashGetDistance).</summary>
    public static double Distance(double lon1, double lat1, double lon2, double lat2)
    {
        double lon1r = Rad(lon1), lon2r = Rad(lon2);
        double v = Math.Sin((lon2r - lon1r) / 2);
        if (v == 0.0) return LatDistance(lat1, lat2);
        double lat1r = Rad(lat1), lat2r = Rad(lat2);
        double u = Math.Sin((lat2r - lat1r) / 2);
        double a = u * u + Math.Cos(lat1r) * Math.Cos(lat2r) * v * v;
        return 2.0 * EarthRadius * Math.Asin(Math.Sqrt(a));
    }

    /// <summary>
    /// Whether the point (lon, lat) lies in <paramref name="shape"/>; its distance from the centre in metres.
    /// </summary>
    public static bool Within(in GeoShape shape, double lon, double lat, out double distance)
    {
        if (!shape.IsBox)
        {
            distance = Distance(shape.Longitude, shape.Latitude, lon, lat);
            return distance <= shape.Radius * shape.Conversion;
        }
        distance = 0;
        if (LatDistance(lat, shape.Latitude) > shape.Height * shape.Conversion / 2) return false;
        if (Distance(lon, lat, shape.Longitude, lat) > shape.Width * shape.Conversion / 2) return false;
        distance = Distance(shape.Longitude, shape.Latitude, lon, lat);
        return true;
    }

    private static int StepsForRadius(double meters, double lat)
    {
        if (meters == 0) return 26;
        int step = 1;
        while (meters < MercatorMax)
        {
            meters *= 2;
            step++;
        }
        step -= 2;
        if (lat > 66 || lat < -66)
        {
            step--;
            if (lat > 80 || lat < -80) step--;
        }
        return Math.Clamp(step, 1, 26);
    }

    /// <summary>The shape's bounding box: min lon, min lat, max lon, max lat (geohashBoundingBox).</summary>
    private static (double MinLon, double MinLat, double MaxLon, double MaxLat) Bounds(in GeoShape s)
    {
        double height = s.Conversion * (s.IsBox ? s.Height / 2 : s.Radius);
        double width = s.Conversion * (s.IsBox ? s.Width / 2 : s.Radius);
        double latDelta = Deg(height / EarthRadius);
        double lonDeltaTop = Deg(width / EarthRadius / Math.Cos(Rad(s.Latitude + latDelta)));
        double lonDeltaBottom = Deg(width / EarthRadius / Math.Cos(Rad(s.Latitude - latDelta)));
        bool south = s.Latitude < 0;
        return (south ? s.Longitude - lonDeltaBottom : s.Longitude - lonDeltaTop, s.Latitude - latDelta,
            south ? s.Longitude + lonDeltaBottom : s.Longitude + lonDeltaTop, s.Latitude + latDelta);
    }

    private static ulong MoveX(ulong bits, int step, int d)
    {
        ulong x = bits & 0xaaaaaaaaaaaaaaaaUL, y = bits & 0x5555555555555555UL;
        ulong zz = 0x5555555555555555UL >> (64 - step * 2);
        x = d > 0 ? x + (zz + 1) : (x | zz) - (zz + 1);
        x &= 0xaaaaaaaaaaaaaaaaUL >> (64 - step * 2);
        return x | y;
    }

    private static ulong MoveY(ulong bits, int step, int d)
    {
        ulong x = bits & 0xaaaaaaaaaaaaaaaaUL, y = bits & 0x5555555555555555UL;
        ulong zz = 0xaaaaaaaaaaaaaaaaUL >> (64 - step * 2);
        y = d > 0 ? y + (zz + 1) : (y | zz) - (zz + 1);
        y &= 0x5555555555555555UL >> (64 - step * 2);
        return x | y;
    }

    private static GeoCell Move(GeoCell c, int dx, int dy)
    {
        ulong b = c.Bits;
        if (dx != 0) b = MoveX(b, c.Step, dx);
        if (dy != 0) b = MoveY(b, c.Step, dy);
        return new GeoCell(b, c.Step);
    }

    /// <summary>
    /// The nine boxes to search for <paramref name="shape"/>, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW);
    /// excluded neighbours are zero cells.
    /// </summary>
    public static void SearchBoxes(in GeoShape shape, Span<GeoCell> boxes9)
    {
        (double minLon, double minLat, double maxLon, double maxLat) = Bounds(shape);
        double radius = shape.IsBox
            ? Math.Sqrt(shape.Width / 2 * (shape.Width / 2) + shape.Height / 2 * (shape.Height / 2))
            : shape.Radius;
        radius *= shape.Conversion;
        int steps = StepsForRadius(radius, shape.Latitude);
        GeoCell hash = Encode(shape.Longitude, shape.Latitude, steps, LatMin, LatMax);
        Neighbours(hash, boxes9);
        if (steps > 1 && (Decode(boxes9[1]).LatMax < maxLat || Decode(boxes9[2]).LatMin > minLat
            || Decode(boxes9[3]).LonMax < maxLon || Decode(boxes9[4]).LonMin > minLon))
        {
            steps--;
            hash = Encode(shape.Longitude, shape.Latitude, steps, LatMin, LatMax);
            Neighbours(hash, boxes9);
        }
        if (steps < 2) return;
        Area area = Decode(hash);
        if (area.LatMin < minLat) { boxes9[2] = boxes9[8] = boxes9[7] = default; }
        if (area.LatMax > maxLat) { boxes9[1] = boxes9[5] = boxes9[6] = default; }
        if (area.LonMin < minLon) { boxes9[4] = boxes9[8] = boxes9[6] = default; }
        if (area.LonMax > maxLon) { boxes9[3] = boxes9[7] = boxes9[5] = default; }
    }

    private static void Neighbours(GeoCell c, Span<GeoCell> b)
    {
        b[0] = c;
        b[1] = Move(c, 0, 1);
        b[2] = Move(c, 0, -1);
        b[3] = Move(c, 1, 0);
        b[4] = Move(c, -1, 0);
        b[5] = Move(c, 1, 1);
        b[6] = Move(c, -1, 1);
        b[7] = Move(c, 1, -1);
        b[8] = Move(c, -1, -1);
    }
}

using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.SortedSets;

namespace Tiered.Tiering.Types.Geo;

// Why this file looks the way it does
// -----------------------------------
// A geo set is a sorted set (see GeoHash.cs), so GEOADD, GEOPOS, GEOHASH and GEODIST are the sorted set's own
// operations plus the geohash arithmetic, and only the searches (GEORADIUS*, GEOSEARCH*) need an operation of their
// own: for each of the nine boxes GeoHash.SearchBoxes picks, walk the skip list over the box's score range
// [min, max) and keep the members whose decoded point lies in the shape. Redis's details are kept because they show
// in replies: boxes are visited centre first, then N S E W NE NW SE SW, a box equal to the previous one processed is
// skipped (a huge radius makes neighbours coincide), COUNT ANY stops as soon as enough members were found, and the
// sort by distance is stable (glibc's qsort is a merge sort), so equal distances keep the order they were found in.
//
// A store (STORE, STOREDIST, GEOSEARCHSTORE) overwrites the destination with a sorted set of the results, scored by
// geohash or by distance in the query's unit, and deletes it when there are none, as ZRANGESTORE does.

/// <summary>How a search orders its results.</summary>
public enum GeoSort : byte
{
    None,
    Asc,
    Desc,
}

/// <summary>One search result: the member, its score (geohash), its decoded point and its distance in the query's unit.</summary>
public readonly record struct GeoPoint(byte[] Member, double Score, double Longitude, double Latitude, double Distance);

/// <summary>A GEORADIUS / GEOSEARCH query: the shape, the order, COUNT (0: none) and ANY.</summary>
public struct GeoQuery
{
    public GeoShape Shape;
    public GeoSort Sort;
    public long Count;
    public bool Any;
}

/// <summary>Geo operations over sorted sets. The caller holds the store lock.</summary>
public static class GeoOps
{
    /// <summary>Whether the sorted set at <paramref name="key"/> exists: Ok, NotFound or WrongType.</summary>
    public static Status Check(Database db, ReadOnlySpan<byte> key) => db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? _);

    /// <summary>The point of <paramref name="member"/>: Ok, NotFound (key or member missing) or WrongType.</summary>
    public static Status Position(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> member, out double lon, out double lat)
    {
        lon = lat = 0;
        Status s = SortedSetOps.Score(db, key, member, out double score);
        if (s == Status.Ok) GeoHash.Decode(score, out lon, out lat);
        return s;
    }

    /// <summary>GEODIST: the distance in metres between two members. Ok, NotFound (key or a member missing) or WrongType.</summary>
    public static Status Distance(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, out double meters)
    {
        meters = 0;
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s != Status.Ok) return s;
        if (!z!.TryGetScore(a, out double sa) || !z.TryGetScore(b, out double sb)) return Status.NotFound;
        GeoHash.Decode(sa, out double lon1, out double lat1);
        GeoHash.Decode(sb, out double lon2, out double lat2);
        meters = GeoHash.Distance(lon1, lat1, lon2, lat2);
        return Status.Ok;
    }

    /// <summary>
    /// GEORADIUS / GEOSEARCH: appends the members in the query's shape to <paramref name="into"/>, ordered and cut
    /// to COUNT as the query says, distances in the query's unit. Ok (nothing for a missing key) or WrongType.
    /// </summary>
    public static Status Search(Database db, ReadOnlySpan<byte> key, in GeoQuery q, List<GeoPoint> into)
    {
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s == Status.NotFound) return Status.Ok;
        if (s != Status.Ok) return s;
        Collect(z!, q, into);
        return Status.Ok;
    }

    /// <summary>
    /// GEORADIUS STORE / STOREDIST, GEOSEARCHSTORE: stores the results at <paramref name="dst"/>, scored by geohash
    /// or (<paramref name="storeDist"/>) by distance; an empty result deletes it (<paramref name="deleted"/> says
    /// whether a key went). Ok with the count, or WrongType (nothing written).
    /// </summary>
    public static Status SearchStore(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> dst, in GeoQuery q, bool storeDist,
        out long stored, out bool deleted)
    {
        stored = 0;
        deleted = false;
        Status s = db.ReadObject(key, ValueKind.ZSet, out SortedSetValue? z);
        if (s == Status.WrongType) return s;
        var result = new SortedSetValue();
        if (s == Status.Ok)
        {
            var points = new List<GeoPoint>();
            Collect(z!, q, points);
            foreach (GeoPoint p in points)
                if (result.Find(p.Member) is null) result.InsertOwned(p.Member, storeDist ? p.Distance : p.Score);
        }
        stored = result.Count;
        deleted = SortedSetRangeOps.Store(db, dst, result) && stored == 0;
        return Status.Ok;
    }

    private static void Collect(SortedSetValue z, in GeoQuery q, List<GeoPoint> into)
    {
        Span<GeoCell> boxes = stackalloc GeoCell[9];
        GeoHash.SearchBoxes(q.Shape, boxes);
        long limit = q.Any ? q.Count : 0;
        int start = into.Count, last = 0;
        for (int i = 0; i < boxes.Length; i++)
        {
            GeoCell box = boxes[i];
            if (box.IsZero) continue;
            if (last != 0 && box == boxes[last]) continue;   // Redis compares with the last box processed after the first
            if (limit > 0 && into.Count - start >= limit) break;
            Box(z, box, q.Shape, into, start, limit);
            last = i;
        }
        int found = into.Count - start;
        if (q.Sort != GeoSort.None || (q.Count > 0 && !q.Any))
        {
            // A stable sort by distance: (distance, position found).
            var order = new (double Dist, int Index)[found];
            for (int i = 0; i < found; i++) order[i] = (into[start + i].Distance, i);
            bool desc = q.Sort == GeoSort.Desc;
            Array.Sort(order, (a, b) =>
            {
                int c = a.Dist.CompareTo(b.Dist);
                if (desc) c = -c;
                return c != 0 ? c : a.Index.CompareTo(b.Index);
            });
            var sorted = new GeoPoint[found];
            for (int i = 0; i < found; i++) sorted[i] = into[start + order[i].Index];
            for (int i = 0; i < found; i++) into[start + i] = sorted[i];
        }
        if (q.Count > 0 && found > q.Count) into.RemoveRange(start + (int)q.Count, found - (int)q.Count);
        for (int i = start; i < into.Count; i++) into[i] = into[i] with { Distance = into[i].Distance / q.Shape.Conversion };
    }

    private static void Box(SortedSetValue z, GeoCell box, in GeoShape shape, List<GeoPoint> into, int start, long limit)
    {
        var range = new ScoreRange(box.Min, box.Max, MaxExclusive: true);
        for (SkipListNode? x = z.List.FirstInRange(range); x != null && range.BelowMax(x.Score); x = x.Next)
        {
            GeoHash.Decode(x.Score, out double lon, out double lat);
            if (!GeoHash.Within(shape, lon, lat, out double distance)) continue;
            into.Add(new GeoPoint(x.Member, x.Score, lon, lat, distance));
            if (limit > 0 && into.Count - start >= limit) return;
        }
    }
}

using System.Numerics;

namespace Tiered.LoadGen.Metrics;

/// <summary>
/// A log-linear latency histogram (the HdrHistogram idea, own small implementation): values below 128 are exact,
/// above that each power of two is split into 64 linear sub-buckets, so any recorded value is reported within
/// 1/64 (1.6%) of its true value. Recording is a few shifts and an increment: no allocation, no lock. One histogram
/// is owned by one connection; the runner merges them at the end. Values are in nanoseconds.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBits = 7;                 // 2^7 = 128 exact values, then 64 sub-buckets per octave
    private const int Half = 1 << (SubBits - 1);   // 64
    private const int BucketCount = (64 - SubBits + 1) * Half + Half;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }
    public long Min { get; private set; } = long.MaxValue;
    public long Max { get; private set; }
    public double Sum { get; private set; }

    public double Mean => Count == 0 ? 0 : Sum / Count;

    public void Record(long value)
    {
        if (value < 0)
            value = 0;
        _counts[IndexOf(value)]++;
        Count++;
        Sum += value;
        if (value < Min)
            Min = value;
        if (value > Max)
            Max = value;
    }

    public void Merge(LatencyHistogram other)
    {
        for (int i = 0; i < BucketCount; i++)
            _counts[i] += other._counts[i];
        Count += other.Count;
        Sum += other.Sum;
        if (other.Count > 0)
        {
            Min = Math.Min(Min, other.Min);
            Max = Math.Max(Max, other.Max);
        }
    }

    /// <summary>
    /// The smallest value v such that at least <paramref name="percentile"/>% of the recorded values are &lt;= v,
    /// reported as the highest value of its bucket, clamped to [Min, Max]. 0 when empty.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (Count == 0)
            return 0;
        // The tiny shrink keeps float noise (99.9 / 100 * 1000 = 999.0000000001) from skipping to the next rank.
        long rank = (long)Math.Ceiling(Math.Clamp(percentile, 0, 100) / 100.0 * Count * (1 - 1e-12));
        if (rank < 1)
            rank = 1;
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
                return Math.Clamp(HighestInBucket(i), Min, Max);
        }
        return Max;
    }

    internal static int IndexOf(long value)
    {
        if (value < 2 * Half)
            return (int)value;
        int shift = 63 - BitOperations.LeadingZeroCount((ulong)value) - (SubBits - 1); // >= 1
        return shift * Half + (int)(value >> shift);
    }

    internal static long HighestInBucket(int index)
    {
        if (index < 2 * Half)
            return index;
        int shift = index / Half - 1;
        long sub = index - shift * Half; // in [Half, 2*Half)
        return ((sub + 1) << shift) - 1;
    }
}

using System.Numerics;

namespace Tiered.Server.Admin;

// Why this file looks the way it does
// -----------------------------------
// LATENCY HISTOGRAM replies, per command, with the cumulative count of calls at each power-of-two bound from 1024 ns,
// as Redis reads its HDR histogram (1 ns to 1 s, 2 significant digits) with a base-2 logarithmic iterator. Only those
// bounds are ever shown, so a counter per bound holds everything the reply needs: 21 longs instead of an HDR table.
// A call lands in the first bound its HDR bucket does not exceed (a value counts up to the bound's "highest
// equivalent value", 1031 ns for 1024), and the bound is shown as that highest equivalent value in microseconds
// (16384 ns shows as 16, 32768 as 33), as Redis does. Redis records whole microseconds times 1000, and so does this.

/// <summary>One command's latency counts. Shared state rule: changed and read under the store lock (every command).</summary>
public sealed class LatencyHistogram
{
    private const long MinNs = 1, MaxNs = 1_000_000_000;
    private const int FirstBoundLog2 = 10;   // 1024 ns
    private const int Bounds = 21;           // 1024 ns << 20 is past 1 s
    private readonly long[] _counts = new long[Bounds];

    /// <summary>Calls recorded.</summary>
    public long Calls { get; private set; }

    /// <summary>Records a call that took <paramref name="micros"/> microseconds.</summary>
    public void Record(long micros)
    {
        long ns = Math.Clamp(micros * 1000, MinNs, MaxNs);
        _counts[BoundOf(ns)]++;
        Calls++;
    }

    /// <summary>How many bounds hold calls (the reply's pairs).</summary>
    public int Filled()
    {
        int n = 0;
        foreach (long c in _counts) if (c > 0) n++;
        return n;
    }

    /// <summary>Calls <paramref name="visit"/> for each bound with calls, with the bound as shown and the cumulative count.</summary>
    public void Cumulative(Action<long, long> visit)
    {
        long sum = 0;
        for (int k = 0; k < Bounds; k++)
        {
            if (_counts[k] == 0) continue;
            sum += _counts[k];
            visit(ShownMicros(k), sum);
        }
    }

    /// <summary>HDR's lowest equivalent value of <paramref name="ns"/>, then the first bound 1024 &lt;&lt; k not below it.</summary>
    private static int BoundOf(long ns)
    {
        int shift = Math.Max(0, BitOperations.Log2((ulong)(ns | 255)) - 7);
        long lowest = ns & ~((1L << shift) - 1);
        if (lowest <= 1L << FirstBoundLog2) return 0;
        return Math.Min(Bounds - 1, 64 - BitOperations.LeadingZeroCount((ulong)(lowest - 1)) - FirstBoundLog2);
    }

    /// <summary>
    /// The highest equivalent value of bound k in microseconds. The last bound lies past the histogram's 1 s range,
    /// where the iterator stops at the range's end (2^30 - 1 ns).
    /// </summary>
    private static long ShownMicros(int k)
    {
        if (k == Bounds - 1) return ((1L << 30) - 1) / 1000;
        int log2 = FirstBoundLog2 + k;
        return ((1L << log2) + (1L << (log2 - 7)) - 1) / 1000;
    }
}

namespace Tiered.Tiering.Hot;

/// <summary>
/// Redis's logarithmic frequency counter (the LFU of <c>maxmemory-policy allkeys-lfu</c>).
///
/// Why logarithmic: a key read a million times and one read a thousand times must both fit in 8 bits and stay
/// comparable. The counter is incremented with probability 1/((counter - 5) * log_factor + 1), so with the default
/// factor 10 it reaches 255 after about a million hits, and 5 (the starting value of new keys) protects a fresh key
/// from being the first victim before it had a chance to be read.
///
/// Why decay: popularity changes. Every <c>lfu-decay-time</c> minutes without an access the counter drops by one,
/// computed lazily from the 16-bit "minutes" stamp stored beside it, so no background pass is needed.
///
///   per key:  [ counter : 8 bits ][ last decrement time : 16 bits of minutes ]
///
/// The same counter is kept for hot and cold keys, so admission can compare a cold key with the hot victims.
/// </summary>
public static class Lfu
{
    /// <summary>The counter a new key starts with (Redis's LFU_INIT_VAL).</summary>
    public const byte InitialValue = 5;

    // xorshift state per thread: the counter only needs a cheap, roughly uniform random number.
    [ThreadStatic] private static ulong t_state;

    /// <summary>Returns the counter after one more access, incremented with logarithmic probability.</summary>
    public static byte Increment(byte counter, int logFactor)
    {
        if (counter == 255) return 255;
        double r = NextDouble();
        double baseval = counter - InitialValue;
        if (baseval < 0) baseval = 0;
        double p = 1.0 / (baseval * logFactor + 1);
        return r < p ? (byte)(counter + 1) : counter;
    }

    /// <summary>
    /// Returns the counter decayed by one per <paramref name="decayMinutes"/> elapsed since <paramref name="lastMinutes"/>.
    /// Both times are 16-bit minute stamps that wrap like Redis's.
    /// </summary>
    public static byte Decay(byte counter, ushort lastMinutes, ushort nowMinutes, int decayMinutes)
    {
        if (decayMinutes <= 0) return counter;
        int elapsed = nowMinutes >= lastMinutes ? nowMinutes - lastMinutes : 65535 - lastMinutes + nowMinutes;
        int periods = elapsed / decayMinutes;
        if (periods == 0) return counter;
        return periods >= counter ? (byte)0 : (byte)(counter - periods);
    }

    /// <summary>One access: decay first, then the probabilistic increment (Redis's updateLFU).</summary>
    public static void Touch(ref byte counter, ref ushort stamp, ushort nowMinutes, int logFactor, int decayMinutes)
    {
        byte c = Decay(counter, stamp, nowMinutes, decayMinutes);
        counter = Increment(c, logFactor);
        stamp = nowMinutes;
    }

    /// <summary>Seeds this thread's random numbers, so a test's sequence of increments is the same on every run.</summary>
    internal static void Seed(ulong seed) => t_state = seed | 1;

    private static double NextDouble()
    {
        ulong x = t_state;
        if (x == 0) x = (ulong)Environment.TickCount64 * 0x9E3779B97F4A7C15UL | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t_state = x;
        return (x >> 11) * (1.0 / (1UL << 53));
    }
}

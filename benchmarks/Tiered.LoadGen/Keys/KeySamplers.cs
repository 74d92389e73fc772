namespace Tiered.LoadGen.Keys;

/// <summary>
/// Key samplers: each returns a key index in [0, keyCount). One instance per connection (not thread-safe), no
/// allocation per sample. Zipf uses rejection-inversion (Hörmann and Derflinger, 1996), which needs O(1) memory
/// and O(1) expected time per sample, so a 100M-key space costs nothing to set up.
/// </summary>
public abstract class KeySampler
{
    public abstract long Next();
}

public sealed class UniformSampler(long keyCount, SplitMix64 rng) : KeySampler
{
    private SplitMix64 _rng = rng;

    public override long Next() => _rng.NextLong(keyCount);
}

/// <summary>Walks start, start+stride, ... wrapping around the key space.</summary>
public sealed class SequentialSampler(long keyCount, long start, long stride) : KeySampler
{
    private long _next = start % keyCount;

    public override long Next()
    {
        long k = _next;
        _next += stride;
        if (_next >= keyCount)
            _next %= keyCount;
        return k;
    }
}

/// <summary>A fraction of the operations go to a fraction of the keys (the first keys), the rest to the others.</summary>
public sealed class HotspotSampler : KeySampler
{
    private readonly long _keyCount;
    private readonly long _hotKeys;
    private readonly double _hotOps;
    private SplitMix64 _rng;

    public HotspotSampler(long keyCount, double hotOpsFraction, double hotKeysFraction, SplitMix64 rng)
    {
        _keyCount = keyCount;
        _hotKeys = Math.Clamp((long)Math.Round(keyCount * hotKeysFraction), 1, Math.Max(1, keyCount - 1));
        _hotOps = hotOpsFraction;
        _rng = rng;
    }

    public long HotKeyCount => _hotKeys;

    public override long Next()
    {
        if (_keyCount <= _hotKeys)
            return _rng.NextLong(_keyCount);
        return _rng.NextDouble() < _hotOps
            ? _rng.NextLong(_hotKeys)
            : _hotKeys + _rng.NextLong(_keyCount - _hotKeys);
    }
}

/// <summary>
/// Zipf over ranks 1..n with weight 1/k^s; rank k maps to key k-1, so key 0 is the hottest.
/// Rejection-inversion: invert the integral H of x^-s over [1.5, n+0.5], round to the nearest rank, and accept
/// unless the point falls in the small gap between the integral and the true histogram bar.
/// </summary>
public sealed class ZipfSampler : KeySampler
{
    private readonly long _n;
    private readonly double _s;
    private readonly double _hIntegralX1;
    private readonly double _hIntegralN;
    private readonly double _threshold;
    private SplitMix64 _rng;

    public ZipfSampler(long keyCount, double exponent, SplitMix64 rng)
    {
        if (keyCount < 1)
            throw new ArgumentOutOfRangeException(nameof(keyCount));
        _n = keyCount;
        _s = exponent;
        _rng = rng;
        _hIntegralX1 = HIntegral(1.5) - 1.0;
        _hIntegralN = HIntegral(keyCount + 0.5);
        _threshold = 2.0 - HIntegralInverse(HIntegral(2.5) - H(2.0));
    }

    public override long Next()
    {
        while (true)
        {
            double u = _hIntegralN + _rng.NextDouble() * (_hIntegralX1 - _hIntegralN);
            double x = HIntegralInverse(u);
            long k = (long)(x + 0.5);
            if (k < 1)
                k = 1;
            else if (k > _n)
                k = _n;
            if (k - x <= _threshold || u >= HIntegral(k + 0.5) - H(k))
                return k - 1;
        }
    }

    /// <summary>h(x) = x^-s.</summary>
    private double H(double x) => Math.Exp(-_s * Math.Log(x));

    /// <summary>H(x) = (x^(1-s) - 1) / (1-s), or log x when s = 1; computed stably near s = 1.</summary>
    private double HIntegral(double x)
    {
        double logX = Math.Log(x);
        return ExpM1OverX((1.0 - _s) * logX) * logX;
    }

    private double HIntegralInverse(double y)
    {
        double t = y * (1.0 - _s);
        if (t < -1.0)
            t = -1.0; // rounding guard: the argument of log1p must stay above -1
        return Math.Exp(Log1POverX(t) * y);
    }

    /// <summary>log(1+x)/x, tending to 1 at 0.</summary>
    private static double Log1POverX(double x) =>
        Math.Abs(x) > 1e-8 ? Math.Log(1.0 + x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));

    /// <summary>(e^x - 1)/x, tending to 1 at 0.</summary>
    private static double ExpM1OverX(double x) =>
        Math.Abs(x) > 1e-8 ? (Math.Exp(x) - 1.0) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

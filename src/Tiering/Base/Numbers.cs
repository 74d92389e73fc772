using System.Text;

namespace Tiered.Tiering.Base;

/// <summary>
/// Numbers in Redis's text forms: the integer and float parsing every command shares (string2ll, string2ld) and the
/// float formatting of INCRBYFLOAT and HINCRBYFLOAT, so each type's operations and the server parse alike.
/// </summary>
public static class Numbers
{
    /// <summary>Longest text a float argument may have (Redis's MAX_LONG_DOUBLE_CHARS).</summary>
    private const int MaxFloatChars = 5 * 1024;

    /// <summary>Parses an integer with Redis's string2ll rules: optional '-', digits, no '+', spaces or leading zeros.</summary>
    public static bool ParseInteger(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 20 || s[0] == '+') return false;
        if (s.Length > 1 && s[0] == '0') return false;
        if (s.Length >= 2 && s[0] == '-' && s[1] == '0') return false;
        return Utf8Parser.TryParse(s, out value, out int used) && used == s.Length;
    }

    /// <summary>
    /// Parses a float as Redis's string2ld: no surrounding spaces, inf/infinity allowed with a sign, NaN and values
    /// that overflow to infinity refused.
    /// </summary>
    public static bool ParseFloat(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        if (s.IsEmpty || s.Length >= MaxFloatChars) return false;
        ReadOnlySpan<byte> word = s[0] is (byte)'+' or (byte)'-' ? s[1..] : s;
        if (Ascii.EqualsIgnoreCase(word, "inf"u8) || Ascii.EqualsIgnoreCase(word, "infinity"u8))
        {
            value = s[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        return double.TryParse(s, style, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>
    /// Formats a finite double as Redis's INCRBYFLOAT does (fixed notation, at most 17 decimals, trailing zeros and
    /// a bare point trimmed, "-0" as "0"). <paramref name="dest"/> must hold 400 bytes. Returns the length written.
    /// </summary>
    public static int FormatFloat(double value, Span<byte> dest)
    {
        value.TryFormat(dest, out int n, "R", CultureInfo.InvariantCulture);
        ReadOnlySpan<byte> text = dest[..n];
        int point = text.IndexOf((byte)'.');
        bool plain = text.IndexOfAny((byte)'E', (byte)'e') < 0 && (point < 0 || n - point - 1 <= 17);
        if (!plain) value.TryFormat(dest, out n, "F17", CultureInfo.InvariantCulture);
        return TrimFraction(dest, n);
    }

    /// <summary>
    /// Formats the sum of two float texts (valid per <see cref="ParseFloat"/>, with finite double sum
    /// <paramref name="sum"/>) as INCRBYFLOAT and HINCRBYFLOAT store it: the exact decimal sum when it fits, else
    /// <see cref="FormatFloat"/>. <paramref name="dest"/> must hold 400 bytes. Returns the length written.
    /// </summary>
    public static int FormatSum(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> increment, double sum, Span<byte> dest)
        => TryDecimalSum(stored, increment, out decimal exact) ? FormatDecimal(exact, dest) : FormatFloat(sum, dest);

    /// <summary>Drops trailing fraction zeros and a bare point, and turns "-0" into "0". Returns the new length.</summary>
    private static int TrimFraction(Span<byte> dest, int n)
    {
        if (dest[..n].IndexOf((byte)'.') >= 0)
        {
            while (dest[n - 1] == '0') n--;
            if (dest[n - 1] == '.') n--;
        }
        if (n == 2 && dest[0] == '-' && dest[1] == '0') { dest[0] = (byte)'0'; n = 1; }
        return n;
    }

    /// <summary>
    /// The exact sum of two decimal texts when operands and sum stay below 1e18. Redis adds in 80-bit long double
    /// (64-bit mantissa) and prints 17 decimals, so for ordinary inputs its answer is the exact decimal sum
    /// ("0.1" + "0.2" gives "0.3") where binary double arithmetic would show noise in the 17th decimal. Beyond
    /// 1e18 the long double cannot hold every integer either, so the double path (which rounds alike) is used.
    /// </summary>
    private static bool TryDecimalSum(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, out decimal sum)
    {
        sum = 0;
        const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        const decimal limit = 1e18m;
        if (!decimal.TryParse(a, style, CultureInfo.InvariantCulture, out decimal x) || Math.Abs(x) >= limit) return false;
        if (!decimal.TryParse(b, style, CultureInfo.InvariantCulture, out decimal y) || Math.Abs(y) >= limit) return false;
        sum = x + y;
        return Math.Abs(sum) < limit;
    }

    /// <summary>Formats a decimal like <see cref="FormatFloat"/>: rounded to 17 decimals, trailing zeros trimmed.</summary>
    private static int FormatDecimal(decimal value, Span<byte> dest)
    {
        Math.Round(value, 17, MidpointRounding.ToEven).TryFormat(dest, out int n, "F17", CultureInfo.InvariantCulture);
        return TrimFraction(dest, n);
    }
    /// <summary>
    /// Formats <paramref name="value"/> as C's printf("%.Nf") with N = <paramref name="decimals"/> (glibc: the exact
    /// decimal expansion, an exact tie rounded to even), optionally with trailing fraction zeros and a bare point
    /// trimmed (Redis's LD_STR_HUMAN). <paramref name="dest"/> must hold 400 bytes. Returns the length written.
    /// </summary>
    public static int FormatFixed(double value, int decimals, Span<byte> dest, bool trim)
    {
        Span<char> format = stackalloc char[4];
        format[0] = 'F';
        decimals.TryFormat(format[1..], out int fl, default, CultureInfo.InvariantCulture);
        value.TryFormat(dest, out int n, format[..(fl + 1)], CultureInfo.InvariantCulture);
        if (IsTie(value, decimals))
        {
            // .NET rounds an exact tie away from zero; glibc to the even digit. Undo the round-up when the digit
            // kept below it is even: format with one more decimal (exact, ending in 5) and drop it.
            Span<char> f2 = stackalloc char[4];
            f2[0] = 'F';
            (decimals + 1).TryFormat(f2[1..], out int fl2, default, CultureInfo.InvariantCulture);
            Span<byte> exact = stackalloc byte[400];
            value.TryFormat(exact, out int en, f2[..(fl2 + 1)], CultureInfo.InvariantCulture);
            int last = en - 2;   // the digit before the final 5
            if (exact[last] == '.') last--;
            if ((exact[last] - '0') % 2 == 0)
            {
                n = decimals == 0 ? en - 2 : en - 1;
                exact[..n].CopyTo(dest);
            }
        }
        return trim ? TrimFraction(dest, n) : n;
    }

    /// <summary>True when <paramref name="value"/> lies exactly halfway between two numbers of <paramref name="decimals"/> decimals.</summary>
    private static bool IsTie(double value, int decimals)
    {
        if (!double.IsFinite(value) || value == 0) return false;
        long bits = BitConverter.DoubleToInt64Bits(value);
        int exp = (int)((bits >> 52) & 0x7FF);
        long mant = bits & 0xFFFFFFFFFFFFFL;
        if (exp == 0) exp = 1; else mant |= 1L << 52;
        exp -= 1075;   // value = mant * 2^exp
        int tz = System.Numerics.BitOperations.TrailingZeroCount(mant);
        // value * 10^d * 2 = odd * 5^d * 2^(exp + tz + d + 1): an odd integer exactly when the power of two is 0.
        return exp + tz + decimals + 1 == 0;
    }
}

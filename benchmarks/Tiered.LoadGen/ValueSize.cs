using System.Globalization;

namespace Tiered.LoadGen;

/// <summary>The parsed <c>--value-size</c> option: a fixed size ("100") or a uniform range ("512-2048"), with k/m suffixes.</summary>
public readonly record struct ValueSize(int Min, int Max)
{
    public bool IsFixed => Min == Max;

    public override string ToString() => IsFixed ? Min.ToString(CultureInfo.InvariantCulture) : $"{Min}-{Max}";

    public static ValueSize Parse(string text)
    {
        int dash = text.IndexOf('-');
        int min = ParseBytes(dash < 0 ? text : text[..dash]);
        int max = dash < 0 ? min : ParseBytes(text[(dash + 1)..]);
        if (min < 1 || max < min || max > 512 * 1024 * 1024)
            throw new FormatException($"bad value size '{text}': expected N or MIN-MAX with 1 <= MIN <= MAX");
        return new ValueSize(min, max);
    }

    private static int ParseBytes(string s)
    {
        s = s.Trim().ToLowerInvariant();
        long mult = 1;
        if (s.EndsWith('k')) { mult = 1024; s = s[..^1]; }
        else if (s.EndsWith('m')) { mult = 1024 * 1024; s = s[..^1]; }
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n * mult > int.MaxValue)
            throw new FormatException($"bad byte count '{s}'");
        return (int)(n * mult);
    }
}

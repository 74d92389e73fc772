namespace Tiered.Tiering.Base;

/// <summary>
/// Redis's glob-style pattern match (stringmatchlen), used by KEYS, SCAN MATCH, CONFIG GET and PUBSUB:
/// <c>*</c> any run, <c>?</c> one byte, <c>[abc]</c> <c>[^abc]</c> <c>[a-z]</c> sets, <c>\x</c> a literal x.
/// Works on bytes; iterative with a bounded backtrack, so hostile patterns cannot blow the stack.
/// </summary>
public static class Glob
{
    public static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool noCase = false)
    {
        int p = 0, t = 0;
        int starP = -1, starT = -1;
        while (t < text.Length)
        {
            if (p < pattern.Length)
            {
                byte pc = pattern[p];
                if (pc == '*')
                {
                    while (p < pattern.Length && pattern[p] == '*') p++;
                    if (p == pattern.Length) return true;
                    starP = p;
                    starT = t;
                    continue;
                }
                if (pc == '?')
                {
                    p++;
                    t++;
                    continue;
                }
                if (pc == '[')
                {
                    if (MatchClass(pattern, ref p, text[t], noCase))
                    {
                        t++;
                        continue;
                    }
                }
                else
                {
                    if (pc == '\\' && p + 1 < pattern.Length) { p++; pc = pattern[p]; }
                    if (Eq(pc, text[t], noCase))
                    {
                        p++;
                        t++;
                        continue;
                    }
                }
            }
            if (starP < 0) return false;
            p = starP;
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Matches one byte against the class starting at pattern[p] == '['; advances p past the class on success.</summary>
    private static bool MatchClass(ReadOnlySpan<byte> pattern, ref int p, byte c, bool noCase)
    {
        int i = p + 1;
        bool not = i < pattern.Length && pattern[i] == '^';
        if (not) i++;
        bool match = false;
        while (i < pattern.Length && pattern[i] != ']')
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                i++;
                if (pattern[i] == c) match = true; // Redis compares an escaped class byte exactly, even with nocase
                i++;
            }
            // Like Redis, "x-]" is a range up to ']' (the ']' does not close the class here).
            else if (i + 2 < pattern.Length && pattern[i + 1] == '-')
            {
                byte lo = pattern[i], hi = pattern[i + 2];
                if (lo > hi) (lo, hi) = (hi, lo);
                byte cc = c;
                if (noCase) { cc = Lower(c); lo = Lower(lo); hi = Lower(hi); }
                if (cc >= lo && cc <= hi) match = true;
                i += 3;
            }
            else
            {
                if (Eq(pattern[i], c, noCase)) match = true;
                i++;
            }
        }
        // Like Redis, an unterminated class ends at the end of the pattern.
        if (not) match = !match;
        if (!match) return false;
        p = i < pattern.Length ? i + 1 : i;
        return true;
    }

    private static bool Eq(byte a, byte b, bool noCase) => a == b || noCase && Lower(a) == Lower(b);

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
}

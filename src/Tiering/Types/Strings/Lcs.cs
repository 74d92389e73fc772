namespace Tiered.Tiering.Types.Strings;

// LCS: the longest common subsequence of two strings (Redis 7.0's LCS command)
// ---------------------------------------------------------------------------
// Why a full table. The classic dynamic programme fills T[i][j] = the LCS length of a's first i bytes and b's first
// j bytes; the answer is T[alen][blen], and walking back from that corner recovers one LCS and the runs of it that
// are contiguous in both strings (IDX's "matches"). Redis does exactly this, with a table of 4-byte cells refused
// when it would exceed proto-max-bulk-len, and its walk decides which LCS and which ranges a client sees: the walk
// below takes the same steps (on a tie it moves left in b), so replies are Redis's byte for byte.
//
//          b:  ""  m  y  n  e  w  t  e  x  t
//   a: ""       0  0  0  0  0  0  0  0  0  0
//      o        0  0  0  0  0  0  0  0  0  0        walk: from the bottom-right corner, on equal bytes step
//      h        0  0  0  0  0  0  0  0  0  0        diagonally (the byte is in the LCS), else towards the
//      m        0  1  1  1  1  1  1  1  1  1        larger neighbour; a run of diagonal steps is one match,
//      y        0  1  2  2  2  2  2  2  2  2        reported from the last one back to the first.
//      t ...                                   (ohmytext, mynewtext: "mytext", matches 4-7/5-8 and 2-3/0-1)

/// <summary>One run of the LCS that is contiguous in both strings: inclusive byte ranges in a and in b.</summary>
public readonly record struct LcsMatch(long AStart, long AEnd, long BStart, long BEnd)
{
    public long Length => AEnd - AStart + 1;
}

/// <summary>The longest common subsequence of two byte strings (see the file's header).</summary>
public static class Lcs
{
    /// <summary>
    /// Computes the LCS of <paramref name="a"/> and <paramref name="b"/>: its length, the subsequence itself when
    /// <paramref name="wantString"/>, and into <paramref name="matches"/> (when not null) the contiguous runs of at
    /// least <paramref name="minMatchLength"/> bytes, last first. False when the table would exceed
    /// <paramref name="maxTableBytes"/> (nothing computed).
    /// </summary>
    public static bool Compute(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, long maxTableBytes, bool wantString, long minMatchLength,
        List<LcsMatch>? matches, out byte[]? lcs, out long length)
    {
        lcs = null;
        length = 0;
        int alen = a.Length, blen = b.Length, width = blen + 1;
        long cells = (long)(alen + 1) * width;
        if (cells * sizeof(uint) > maxTableBytes || cells > Array.MaxLength) return false;
        uint[] table = GC.AllocateUninitializedArray<uint>((int)cells);
        for (int j = 0; j <= blen; j++) table[j] = 0;
        for (int i = 1; i <= alen; i++)
        {
            int row = i * width, up = row - width;
            table[row] = 0;
            byte ai = a[i - 1];
            for (int j = 1; j <= blen; j++)
                table[row + j] = ai == b[j - 1] ? table[up + j - 1] + 1 : Math.Max(table[up + j], table[row + j - 1]);
        }
        length = table[(long)alen * width + blen];
        if (wantString) lcs = new byte[length];
        if (!wantString && matches is null) return true;

        // The walk back; a range is open while aStart != alen.
        long idx = length, aStart = alen, aEnd = 0, bStart = 0, bEnd = 0;
        int x = alen, y = blen;
        while (x > 0 && y > 0)
        {
            bool emit = false;
            if (a[x - 1] == b[y - 1])
            {
                if (lcs != null) lcs[idx - 1] = a[x - 1];
                if (aStart == alen)
                {
                    aStart = aEnd = x - 1;
                    bStart = bEnd = y - 1;
                }
                else if (aStart == x && bStart == y)
                {
                    aStart--;
                    bStart--;
                }
                else emit = true;
                if (aStart == 0 || bStart == 0) emit = true;
                idx--;
                x--;
                y--;
            }
            else
            {
                if (table[(long)(x - 1) * width + y] > table[(long)x * width + y - 1]) x--;
                else y--;
                if (aStart != alen) emit = true;
            }
            if (emit)
            {
                var m = new LcsMatch(aStart, aEnd, bStart, bEnd);
                if (matches != null && (minMatchLength == 0 || m.Length >= minMatchLength)) matches.Add(m);
                aStart = alen;   // the next match starts afresh
            }
        }
        return true;
    }
}

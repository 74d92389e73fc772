using Tiered.Tiering.Types.Keys;

namespace Tiered.Server.Commands;

/// <summary>
/// The cursor and options of the SCAN family: <c>cursor [MATCH pattern] [COUNT count]</c>, and <c>[TYPE type]</c> for
/// SCAN. HSCAN, SSCAN and ZSCAN look the key up before they judge the options, as Redis does, so a missing key answers
/// an empty scan even with bad options: parse first, reply <see cref="ReplyError"/> after the lookup.
/// </summary>
/// <param name="Count">COUNT (10 by default).</param>
/// <param name="PatternArg">The argument index of MATCH's pattern, or -1.</param>
/// <param name="FilterType">TYPE was given (SCAN only); <paramref name="Type"/> is None for a name no key has (it matches nothing).</param>
/// <param name="Type">The type TYPE names.</param>
/// <param name="Problem">What is wrong with the options, replied by <see cref="ReplyError"/>.</param>
internal readonly record struct ScanArgs(long Count, int PatternArg, bool FilterType, ValueKind Type, ScanArgs.OptionProblem Problem)
{
    internal enum OptionProblem : byte { None, Syntax, NotInteger }

    /// <summary>MATCH's pattern, or empty (every member).</summary>
    public ReadOnlySpan<byte> Pattern(CommandContext c) => PatternArg < 0 ? default : c[PatternArg];

    /// <summary>Parses the cursor at <paramref name="arg"/>, replying "invalid cursor" on failure.</summary>
    public static bool TryParseCursor(CommandContext c, int arg, out ulong cursor)
    {
        if (Utf8Parser.TryParse(c[arg], out cursor, out int used) && used == c[arg].Length) return true;
        c.Writer.Error("ERR invalid cursor"u8);
        return false;
    }

    /// <summary>Parses the options from <paramref name="from"/> on without replying; TYPE only when <paramref name="allowType"/>.</summary>
    public static ScanArgs Parse(CommandContext c, int from, bool allowType = false)
    {
        long count = 10;
        int patternArg = -1;
        bool filterType = false;
        ValueKind type = ValueKind.None;
        for (int i = from; i < c.Count; i += 2)
        {
            bool hasValue = i + 1 < c.Count;
            if (c.Is(i, "COUNT"u8) && hasValue)
            {
                if (!c.TryLong(i + 1, out count)) return new(10, patternArg, filterType, type, OptionProblem.NotInteger);
                if (count < 1) return new(10, patternArg, filterType, type, OptionProblem.Syntax);
            }
            else if (c.Is(i, "MATCH"u8) && hasValue) patternArg = i + 1;
            else if (allowType && c.Is(i, "TYPE"u8) && hasValue)
            {
                filterType = true;
                KeyOps.TryParseTypeName(c[i + 1], out type);   // an unknown name matches no key (Redis 7.0)
            }
            else return new(10, patternArg, filterType, type, OptionProblem.Syntax);
        }
        return new(count, patternArg, filterType, type, OptionProblem.None);
    }

    /// <summary>Replies the option error <see cref="Parse"/> found; true if there was one.</summary>
    public bool ReplyError(CommandContext c)
    {
        if (Problem == OptionProblem.NotInteger) c.Writer.Error("ERR value is not an integer or out of range"u8);
        else if (Problem == OptionProblem.Syntax) c.SyntaxError();
        return Problem != OptionProblem.None;
    }

    /// <summary>The reply's frame: the next cursor, then an array of <paramref name="items"/> that the caller writes.</summary>
    public static void BeginReply(CommandContext c, ulong next, long items)
    {
        c.Writer.Array(2);
        c.Writer.BulkInteger((long)next);
        c.Writer.Array(items);
    }
}

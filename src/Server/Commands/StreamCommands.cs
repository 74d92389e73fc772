using Tiered.Server.Admin;
using Tiered.Tiering.Types.Streams;

namespace Tiered.Server.Commands;

/// <summary>
/// Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XREAD. Each handler parses its arguments in Redis's order
/// (so the first error reported is Redis's), makes one <see cref="StreamOps"/> call and writes the reply; readers walk
/// the <see cref="StreamValue"/> under the lock, as HGETALL does. The consumer-group commands are in
/// <see cref="StreamGroupCommands"/> and <see cref="StreamClaimCommands"/>, XINFO in <see cref="StreamInfoCommands"/>
/// (all registered from here).
///
/// An entry is replied as <c>[id, [field, value, ...]]</c>; XREAD replies an array of <c>[key, entries]</c> in RESP2
/// and a map key → entries in RESP3, or a null array when no stream has new entries.
///
/// XREAD BLOCK uses the generic mechanism of Session/Blocking.cs: when no stream has new entries the command parks on its
/// keys and is run again from its bytes after a write to one of them. "$" means "the last ID when I was called", so
/// it is resolved at the first run and handed to the re-runs through <see cref="CommandContext.BlockOn(int, int, long, object?)"/>;
/// re-resolving it would skip the very entry that woke the client.
/// </summary>
public static class StreamCommands
{
    internal static readonly byte[] InvalidId = "ERR Invalid stream ID specified as stream command argument"u8.ToArray();

    [Command("xrange")] private static void XRange(CommandContext c) => XRange(c, rev: false);
    [Command("xrevrange")] private static void XRevRange(CommandContext c) => XRange(c, rev: true);

    // ---- XADD / XTRIM ----

    [Command("xadd")] private static void XAdd(CommandContext c)
    {
        int i = 2;
        bool noMk = false;
        if (!ParseTrimArgs(c, ref i, xadd: true, ref noMk, out StreamTrim trim)) return;
        // i is the ID argument. Redis's order: a bad ID, then the field count, then 0-0.
        StreamIdSpec spec = StreamIdSpec.Star;
        if (c[i].Length != 1 || c[i][0] != '*')
        {
            if (!ParseId(c[i], 0, strict: true, allowSeqAuto: true, out StreamId id, out bool seqAuto)) { c.Writer.Error(InvalidId); return; }
            spec = new StreamIdSpec(false, seqAuto, id);
        }
        int fields = c.Count - (i + 1);
        if (fields < 2 || fields % 2 != 0) { c.WrongArity(); return; }
        if (!spec.Auto && !spec.SeqAuto && spec.Id == StreamId.Min) { c.Writer.Error("ERR The ID specified in XADD must be greater than 0-0"u8); return; }
        Status s = StreamOps.Add(c.Db, c[1], noMk, spec, new ArgStrings(c, i + 1), trim, out StreamId added, out long trimmed);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Stream, "xadd"u8);
        if (trimmed > 0) c.Notify(KeyspaceEventFlags.Stream, "xtrim"u8);
        switch (s)
        {
            case Status.Ok: WriteId(c.Writer, added); break;
            case Status.NotFound: c.Writer.Null(); break;
            case Status.ConditionNotMet: c.Writer.Error("ERR The ID specified in XADD is equal or smaller than the target stream top item"u8); break;
            case Status.Overflow: c.Writer.Error("ERR The stream has exhausted the last possible ID, unable to add more items"u8); break;
            default: c.Error(s); break;
        }
    }

    [Command("xtrim")] private static void XTrim(CommandContext c)
    {
        int i = 2;
        bool noMk = false;
        if (!ParseTrimArgs(c, ref i, xadd: false, ref noMk, out StreamTrim trim)) return;
        Status s = StreamOps.Trim(c.Db, c[1], trim, out long removed);
        if (removed > 0) c.Notify(KeyspaceEventFlags.Stream, "xtrim"u8);
        c.IntegerUnlessWrongType(s, removed);
    }

    /// <summary>
    /// Parses <c>[NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]]</c> from argument <paramref name="i"/> on,
    /// replying on error. For XADD it stops at the ID argument (left in <paramref name="i"/>).
    /// </summary>
    private static bool ParseTrimArgs(CommandContext c, ref int i, bool xadd, ref bool noMk, out StreamTrim trim)
    {
        trim = StreamTrim.None;
        StreamTrimKind kind = StreamTrimKind.None;
        bool approx = false, limitGiven = false;
        long maxLen = 0, limit = 0;
        StreamId minId = default;
        for (; i < c.Count; i++)
        {
            int more = c.Count - 1 - i;
            if (xadd && c[i].Length == 1 && c[i][0] == '*') break;
            bool isMaxLen = c.Is(i, "MAXLEN"u8), isMinId = !isMaxLen && c.Is(i, "MINID"u8);
            if ((isMaxLen || isMinId) && more > 0)
            {
                StreamTrimKind k = isMaxLen ? StreamTrimKind.MaxLen : StreamTrimKind.MinId;
                if (kind != StreamTrimKind.None && kind != k)
                {
                    c.Writer.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"u8);
                    return false;
                }
                kind = k;
                ReadOnlySpan<byte> next = c[i + 1];
                if (more >= 2 && next.Length == 1 && next[0] is (byte)'~' or (byte)'=')
                {
                    approx = next[0] == '~';
                    i++;
                }
                i++;
                if (isMaxLen)
                {
                    if (!c.Long(i, out maxLen)) return false;
                    if (maxLen < 0) { c.Writer.Error("ERR The MAXLEN argument must be >= 0."u8); return false; }
                }
                else if (!ParseId(c[i], 0, strict: true, allowSeqAuto: false, out minId, out _)) { c.Writer.Error(InvalidId); return false; }
            }
            else if (c.Is(i, "LIMIT"u8) && more > 0)
            {
                if (!c.Long(++i, out limit)) return false;
                if (limit < 0) { c.Writer.Error("ERR The LIMIT argument must be >= 0."u8); return false; }
                limitGiven = true;
            }
            else if (xadd && c.Is(i, "NOMKSTREAM"u8)) noMk = true;
            else if (xadd) break;
            else { c.SyntaxError(); return false; }
        }
        if (limit != 0 && kind == StreamTrimKind.None)
        {
            c.Writer.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"u8);
            return false;
        }
        if (!xadd && kind == StreamTrimKind.None)
        {
            c.Writer.Error("ERR syntax error, XTRIM must be called with a trimming strategy"u8);
            return false;
        }
        if (limitGiven && !approx)
        {
            c.Writer.Error("ERR syntax error, LIMIT cannot be used without the special ~ option"u8);
            return false;
        }
        if (!limitGiven) limit = approx ? 100L * StreamValue.NodeMaxEntries : 0;
        if (xadd && i >= c.Count) { c.WrongArity(); return false; }
        trim = new StreamTrim(kind, approx, maxLen, minId, limit);
        return true;
    }

    // ---- Simple readers and XDEL ----

    [Command("xlen")] private static void XLen(CommandContext c)
        => c.IntegerUnlessWrongType(StreamOps.Len(c.Db, c[1], out long length), length);

    [Command("xsetid")] private static void XSetId(CommandContext c)
    {
        // Redis checks the IDs and options before it looks the key up.
        if (!ParseId(c[2], 0, strict: true, allowSeqAuto: false, out StreamId id, out _)) { c.Writer.Error(InvalidId); return; }
        long entriesAdded = -1;
        StreamId maxDeleted = StreamId.Min;
        for (int i = 3; i < c.Count; i += 2)
        {
            bool hasValue = i + 1 < c.Count;
            if (c.Is(i, "ENTRIESADDED"u8) && hasValue)
            {
                if (!c.Long(i + 1, out entriesAdded)) return;
                if (entriesAdded < 0) { c.Writer.Error("ERR entries_added must be positive"u8); return; }
            }
            else if (c.Is(i, "MAXDELETEDID"u8) && hasValue)
            {
                if (!ParseId(c[i + 1], 0, strict: true, allowSeqAuto: false, out maxDeleted, out _)) { c.Writer.Error(InvalidId); return; }
                if (id < maxDeleted) { c.Writer.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"u8); return; }
            }
            else { c.SyntaxError(); return; }
        }
        Status s = StreamOps.SetIds(c.Db, c[1], id, entriesAdded, maxDeleted, out bool belowLength);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Stream, "xsetid"u8);
        if (s == Status.Ok) c.Writer.Ok();
        else if (s != Status.ConditionNotMet) c.Error(s);
        else if (belowLength) c.Writer.Error("ERR The entries_added specified in XSETID is smaller than the target stream length"u8);
        else c.Writer.Error("ERR The ID specified in XSETID is smaller than the target stream top item"u8);
    }

    [Command("xdel")] private static void XDel(CommandContext c)
    {
        int n = c.Count - 2;
        StreamId[] ids = new StreamId[n];
        for (int i = 0; i < n; i++)
            if (!ParseId(c[i + 2], 0, strict: true, allowSeqAuto: false, out ids[i], out _)) { c.Writer.Error(InvalidId); return; }
        Status s = StreamOps.Delete(c.Db, c[1], ids, out long deleted);
        if (deleted > 0) c.Notify(KeyspaceEventFlags.Stream, "xdel"u8);
        c.IntegerUnlessWrongType(s, deleted);
    }

    private static void XRange(CommandContext c, bool rev)
    {
        int startArg = rev ? 3 : 2, endArg = rev ? 2 : 3;
        if (!ParseIntervalId(c, startArg, 0, out StreamId start, out bool startEx)) return;
        if (startEx && !start.TryIncrement(out start)) { c.Writer.Error("ERR invalid start ID for the interval"u8); return; }
        if (!ParseIntervalId(c, endArg, ulong.MaxValue, out StreamId end, out bool endEx)) return;
        if (endEx && !end.TryDecrement(out end)) { c.Writer.Error("ERR invalid end ID for the interval"u8); return; }
        long count = -1;
        for (int j = 4; j < c.Count; j++)
        {
            if (c.Is(j, "COUNT"u8) && j + 1 < c.Count)
            {
                if (!c.Long(++j, out count)) return;
                if (count < 0) count = 0;
            }
            else { c.SyntaxError(); return; }
        }
        Status s = StreamOps.Read(c.Db, c[1], out StreamValue? stream);
        if (s == Status.WrongType) { c.Error(s); return; }
        if (s == Status.NotFound) { c.Writer.Array(0); return; }
        if (count == 0) { c.Writer.NullArray(); return; }
        WriteRange(c.Writer, stream!, start, end, count < 0 ? long.MaxValue : count, rev);
    }

    /// <summary>Writes the entries with start ≤ ID ≤ end (at most <paramref name="count"/>, from the end when reversed).</summary>
    private static void WriteRange(RespWriter w, StreamValue stream, StreamId start, StreamId end, long count, bool rev)
    {
        if (start > end) { w.Array(0); return; }
        int lo = stream.LowerBound(start), hi = stream.UpperBound(end);
        long n = Math.Min(Math.Max(0, hi - lo), count);
        w.Array(n);
        for (long k = 0; k < n; k++)
            WriteEntry(w, stream.At(rev ? hi - 1 - (int)k : lo + (int)k));
    }

    /// <summary>One entry as [id, [field, value, ...]].</summary>
    internal static void WriteEntry(RespWriter w, in StreamEntry e)
    {
        w.Array(2);
        WriteId(w, e.Id);
        w.Array(e.PairCount * 2L);
        foreach (ReadOnlySpan<byte> s in e.GetFields()) w.Bulk(s);
    }

    internal static void WriteId(RespWriter w, StreamId id)
    {
        Span<byte> buf = stackalloc byte[48];
        w.Bulk(buf[..id.Format(buf)]);
    }

    // ---- XREAD ----

    /// <summary>The options of XREAD and XREADGROUP: <c>[GROUP g c] [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...</c>.</summary>
    internal struct ReadOptions
    {
        public long Count;
        public long BlockMs;
        public int StreamsArg;   // the first key
        public int GroupArg;     // XREADGROUP: the group name (the consumer follows)
        public bool NoAck;

        /// <summary>Parses them in Redis's order of errors; false after replying with the error.</summary>
        public static bool TryParse(CommandContext c, bool group, out ReadOptions o)
        {
            o = new ReadOptions { BlockMs = -1 };
            for (int i = 1; i < c.Count; i++)
            {
                int more = c.Count - 1 - i;
                if (c.Is(i, "BLOCK"u8) && more > 0)
                {
                    if (!c.TimeoutMs(++i, out o.BlockMs)) return false;
                }
                else if (c.Is(i, "COUNT"u8) && more > 0)
                {
                    if (!c.Long(++i, out o.Count)) return false;
                    if (o.Count < 0) o.Count = 0;
                }
                else if (c.Is(i, "STREAMS"u8) && more > 0)
                {
                    o.StreamsArg = i + 1;
                    if ((c.Count - o.StreamsArg) % 2 == 0) break;
                    c.Writer.Error(group
                        ? "ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '$' must be specified."u8
                        : "ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified."u8);
                    return false;
                }
                else if (c.Is(i, "GROUP"u8) && more >= 2)
                {
                    if (!group) { c.Writer.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."u8); return false; }
                    o.GroupArg = i + 1;
                    i += 2;
                }
                else if (c.Is(i, "NOACK"u8))
                {
                    if (!group) { c.Writer.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."u8); return false; }
                    o.NoAck = true;
                }
                else { c.SyntaxError(); return false; }
            }
            if (o.StreamsArg != 0) return true;
            c.SyntaxError();
            return false;
        }
    }

    [Command("xread")] private static void XRead(CommandContext c)
    {
        if (!ReadOptions.TryParse(c, group: false, out ReadOptions o)) return;
        (long count, long blockMs, int streamsArg) = (o.Count, o.BlockMs, o.StreamsArg);
        int n = (c.Count - streamsArg) / 2;
        var streams = new StreamValue?[n];
        // On a re-run after blocking, "$" keeps the meaning it had at the first run.
        var after = c.BlockResume is StreamId[] resumed && resumed.Length == n ? resumed : new StreamId[n];
        bool rerun = ReferenceEquals(after, c.BlockResume);
        for (int k = 0; k < n; k++)
        {
            Status s = StreamOps.Read(c.Db, c[streamsArg + k], out streams[k]);
            if (s == Status.WrongType) { c.Error(s); return; }
            ReadOnlySpan<byte> idArg = c[streamsArg + n + k];
            if (idArg.Length == 1 && idArg[0] == '$')
            {
                if (!rerun) after[k] = streams[k]?.LastId ?? StreamId.Min;
                continue;
            }
            if (idArg.Length == 1 && idArg[0] == '>')
            {
                c.Writer.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."u8);
                return;
            }
            if (!ParseId(idArg, 0, strict: true, allowSeqAuto: false, out after[k], out _)) { c.Writer.Error(InvalidId); return; }
        }
        int withData = 0;
        for (int k = 0; k < n; k++)
            if (streams[k] is { } st && st.UpperBound(after[k]) < st.Length) withData++;
        if (withData == 0)
        {
            if (blockMs < 0 || c.TimedOut) c.Writer.NullArray();
            else c.BlockOn(streamsArg, streamsArg + n - 1, blockMs, after);
            return;
        }
        RespWriter w = c.Writer;
        bool resp3 = w.Protocol == 3;
        if (resp3) w.Map(withData);
        else w.Array(withData);
        long limit = count == 0 ? long.MaxValue : count;
        for (int k = 0; k < n; k++)
        {
            StreamValue? st = streams[k];
            if (st is null) continue;
            int from = st.UpperBound(after[k]);
            if (from >= st.Length) continue;
            if (!resp3) w.Array(2);
            w.Bulk(c[streamsArg + k]);
            long m = Math.Min(st.Length - from, limit);
            w.Array(m);
            for (long j = 0; j < m; j++) WriteEntry(w, st.At(from + (int)j));
        }
    }

    // ---- ID parsing ----

    /// <summary>A range bound: "-", "+", "ms[-seq]" or the exclusive "(ms[-seq]". Replies on error.</summary>
    internal static bool ParseIntervalId(CommandContext c, int arg, ulong missingSeq, out StreamId id, out bool exclusive)
    {
        ReadOnlySpan<byte> s = c[arg];
        exclusive = s.Length > 1 && s[0] == '(';
        bool ok = exclusive
            ? ParseId(s[1..], missingSeq, strict: true, allowSeqAuto: false, out id, out _)
            : ParseId(s, missingSeq, strict: false, allowSeqAuto: false, out id, out _);
        if (!ok) c.Writer.Error(InvalidId);
        return ok;
    }

    /// <summary>
    /// Parses "ms-seq" or "ms" (seq = <paramref name="missingSeq"/>); unless <paramref name="strict"/>, also "-" (0-0)
    /// and "+" (the maximum ID); with <paramref name="allowSeqAuto"/>, "ms-*" (<paramref name="seqAuto"/> set).
    /// </summary>
    internal static bool ParseId(ReadOnlySpan<byte> s, ulong missingSeq, bool strict, bool allowSeqAuto, out StreamId id, out bool seqAuto)
    {
        id = default;
        seqAuto = false;
        if (s.Length == 0 || s.Length > 127) return false;
        if (!strict && s.Length == 1)
        {
            if (s[0] == '-') { id = StreamId.Min; return true; }
            if (s[0] == '+') { id = StreamId.Max; return true; }
        }
        int dash = s.IndexOf((byte)'-');
        ReadOnlySpan<byte> msPart = dash < 0 ? s : s[..dash];
        if (!ParseULong(msPart, out ulong ms)) return false;
        ulong seq = missingSeq;
        if (dash >= 0)
        {
            ReadOnlySpan<byte> seqPart = s[(dash + 1)..];
            if (allowSeqAuto && seqPart.Length == 1 && seqPart[0] == '*') { seqAuto = true; seq = 0; }
            else if (!ParseULong(seqPart, out seq)) return false;
        }
        id = new StreamId(ms, seq);
        return true;
    }

    private static bool ParseULong(ReadOnlySpan<byte> s, out ulong value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 20) return false;
        foreach (byte b in s)
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
            ulong d = (ulong)(b - '0');
            if (value > (ulong.MaxValue - d) / 10) return false;
            value = value * 10 + d;
        }
        return true;
    }
}

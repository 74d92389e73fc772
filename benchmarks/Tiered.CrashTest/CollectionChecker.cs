using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Tiered.CrashTest;

/// <summary>What one collection check after a restart found; per-type arrays are indexed by <see cref="CollType"/>.</summary>
public sealed class CollCheckResult
{
    public long Checked;
    public long Elements;
    public readonly long[] Lost = new long[CollTypes.Count];
    public readonly long[] Wrong = new long[CollTypes.Count];
    /// <summary>everysec: keys missing only ops acknowledged within the loss window.</summary>
    public readonly long[] RecentLoss = new long[CollTypes.Count];
    public readonly long[] MaxSize = new long[CollTypes.Count];
    public double OldestRecentLossSeconds;
    /// <summary>Writers with an op in flight at the kill, and how many of those ops were found applied.</summary>
    public long InFlight;
    public long InFlightApplied;
    /// <summary>Keys that could not be read as their type (error reply, malformed reply): deleted, model reset to empty.</summary>
    public long Deleted;
    public readonly List<string> Samples = [];

    public long TotalLost => Lost.Sum();
    public long TotalWrong => Wrong.Sum();
    public long TotalRecentLoss => RecentLoss.Sum();
}

/// <summary>
/// Reads every collection key back exactly (LRANGE 0 -1, SMEMBERS, ZRANGE 0 -1 WITHSCORES, HGETALL, XRANGE - +) and
/// judges it against its writer's model, then adopts what was read as the model's truth for the next cycle.
///
/// A key is OK if it equals the state after all acknowledged ops, or that state plus the writer's op in flight at the
/// kill (for SPOP in flight: exactly one member of the set gone; XADD * in flight: one more entry at the end with the
/// op's fields and an id above the stream's last id). LMOVE is one op on two keys: both must be before it or both
/// after it. Otherwise the key is lost if it equals its state at the last check after only a prefix of the
/// acknowledged ops since then (the last N acknowledged ops are missing), or is empty while it should not be; with
/// everysec a loss of ops all acknowledged within the loss window before the kill is counted apart; anything else
/// (a foreign, duplicated or reordered element, a wrong score, value, id or field, a missing op in the middle, a
/// half-applied LMOVE, a reply that is not the key's type) is wrong.
/// </summary>
public static class CollectionChecker
{
    private const int MaxConnections = 8;
    private const int MaxSamples = 8;

    private enum KeyVerdict : byte { Acked, Applied, RecentLoss, Lost, Wrong }

    public static CollCheckResult Check(int port, CollectionWriter[] writers, CrashOptions o, long killTick)
    {
        var result = new CollCheckResult();
        int conns = Math.Min(MaxConnections, writers.Length);
        var tasks = new Task[conns];
        for (int p = 0; p < conns; p++)
        {
            int part = p;
            tasks[p] = Task.Factory.StartNew(() =>
            {
                using var conn = new RespConnection(port, TimeSpan.FromSeconds(120));
                for (int w = part; w < writers.Length; w += conns)
                    CheckWriter(conn, writers[w], o, killTick, result);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        Task.WaitAll(tasks);
        return result;
    }

    /// <summary>The read command for a key of type <paramref name="t"/>.</summary>
    public static string[] ReadCommand(CollType t, string key) => t switch
    {
        CollType.List => ["LRANGE", key, "0", "-1"],
        CollType.Set => ["SMEMBERS", key],
        CollType.ZSet => ["ZRANGE", key, "0", "-1", "WITHSCORES"],
        CollType.Hash => ["HGETALL", key],
        _ => ["XRANGE", key, "-", "+"],
    };

    private static void CheckWriter(RespConnection conn, CollectionWriter w, CrashOptions o, long killTick, CollCheckResult result)
    {
        int n = w.KeyNames.Length;
        var req = new StringBuilder();
        for (int key = 0; key < n; key++)
            req.Append(RespConnection.Format(ReadCommand(w.TypeOf(key), w.KeyNames[key])));
        conn.Send(Encoding.UTF8.GetBytes(req.ToString()));
        var readings = new CollState?[n];
        var unreadable = new string?[n];
        for (int key = 0; key < n; key++)
            readings[key] = Parse(w.TypeOf(key), conn.ReadReply(), out unreadable[key]);

        var verdicts = new KeyVerdict[n];
        var details = new string?[n];
        var matched = new CollState?[n];
        long windowTicks = (long)(o.LossWindow.TotalSeconds * Stopwatch.Frequency);
        for (int key = 0; key < n; key++)
        {
            if (readings[key] is not { } r)
            {
                verdicts[key] = KeyVerdict.Wrong;
                details[key] = "unreadable: " + unreadable[key];
                continue;
            }
            verdicts[key] = Judge(w, key, r, o.Always, killTick, windowTicks, out details[key], out matched[key], out long age);
            if (verdicts[key] == KeyVerdict.RecentLoss)
            {
                lock (result)
                    result.OldestRecentLossSeconds = Math.Max(result.OldestRecentLossSeconds, (double)age / Stopwatch.Frequency);
            }
        }

        CollOp? p = w.Pending;
        bool applied = false;
        if (p is not null)
        {
            applied = verdicts[p.Key] == KeyVerdict.Applied;
            if (p.Key2 >= 0)
            {
                KeyVerdict a = verdicts[p.Key], b = verdicts[p.Key2];
                if (a is KeyVerdict.Acked or KeyVerdict.Applied && b is KeyVerdict.Acked or KeyVerdict.Applied && a != b)
                {
                    string half = $"in-flight {p.Describe()} {w.KeyNames[p.Key]} -> {w.KeyNames[p.Key2]} is applied to {(a == KeyVerdict.Applied ? "the source" : "the destination")} only";
                    verdicts[p.Key] = verdicts[p.Key2] = KeyVerdict.Wrong;
                    details[p.Key] = details[p.Key2] = half;
                    applied = false;
                }
            }
        }

        long elements = 0;
        var lost = new long[CollTypes.Count];
        var wrong = new long[CollTypes.Count];
        var recent = new long[CollTypes.Count];
        var max = new long[CollTypes.Count];
        var samples = new List<string>();
        int deleted = 0;
        for (int key = 0; key < n; key++)
        {
            int t = (int)w.TypeOf(key);
            switch (verdicts[key])
            {
                case KeyVerdict.Lost: lost[t]++; break;
                case KeyVerdict.Wrong: wrong[t]++; break;
                case KeyVerdict.RecentLoss: recent[t]++; break;
            }
            if (verdicts[key] is KeyVerdict.Lost or KeyVerdict.Wrong && samples.Count < MaxSamples)
            {
                string inflight = p is not null && p.Touches(key) ? $" (in flight at the kill: {p.Describe()})" : "";
                samples.Add($"{w.KeyNames[key]}: {verdicts[key].ToString().ToLowerInvariant()}: {details[key]}{inflight}");
            }

            CollState adopt;
            if (readings[key] is { } r)
            {
                if (r is StreamState rs)
                {
                    var known = (StreamState)(matched[key] ?? w.State[key]);
                    rs.LastId = XId.Max(rs.LastId, known.LastId);
                }
                adopt = r;
            }
            else
            {
                conn.Command("DEL", w.KeyNames[key]);
                adopt = CollState.Empty(w.TypeOf(key));
                deleted++;
            }
            w.Adopt(key, adopt);
            elements += adopt.Count;
            max[t] = Math.Max(max[t], adopt.Count);
        }
        w.Pending = null;

        lock (result)
        {
            result.Checked += n;
            result.Elements += elements;
            result.Deleted += deleted;
            if (p is not null)
            {
                result.InFlight++;
                if (applied)
                    result.InFlightApplied++;
            }
            for (int t = 0; t < CollTypes.Count; t++)
            {
                result.Lost[t] += lost[t];
                result.Wrong[t] += wrong[t];
                result.RecentLoss[t] += recent[t];
                result.MaxSize[t] = Math.Max(result.MaxSize[t], max[t]);
            }
            foreach (string s in samples)
                if (result.Samples.Count < MaxSamples)
                    result.Samples.Add(s);
        }
    }

    /// <summary>
    /// Judges one key. <paramref name="matched"/> is the model state the reading equals (acked, with the in-flight op,
    /// or an earlier prefix), for the stream's last id; null when nothing matched.
    /// </summary>
    private static KeyVerdict Judge(CollectionWriter w, int key, CollState r, bool always, long killTick, long windowTicks,
        out string? detail, out CollState? matched, out long lossAgeTicks)
    {
        detail = null;
        matched = null;
        lossAgeTicks = 0;
        CollState acked = w.State[key];
        if (r.Problem is not null)
        {
            detail = r.Problem;
            return KeyVerdict.Wrong;
        }
        string? diff = r.Diff(acked);
        if (diff is null)
        {
            matched = acked;
            return KeyVerdict.Acked;
        }

        CollOp? p = w.Pending;
        if (p is not null && p.Touches(key))
        {
            if (!p.Resolved && p.Kind == OpKind.SPop)
            {
                // Exactly one member gone, every other one there.
                var rm = ((SetState)r).Members;
                var am = ((SetState)acked).Members;
                if (rm.Count == am.Count - 1 && rm.Items.All(am.Contains))
                {
                    matched = r;
                    return KeyVerdict.Applied;
                }
            }
            else if (!p.Resolved && p.Kind == OpKind.XAdd)
            {
                // One more entry at the end: the op's fields, an id above every id the stream had.
                var re = (StreamState)r;
                var ae = (StreamState)acked;
                if (re.Count == ae.Count + 1)
                {
                    XEntry last = re.Entries[^1];
                    bool prefix = true;
                    for (int i = 0; i < ae.Count && prefix; i++)
                        prefix = re.Entries[i].SameAs(ae.Entries[i]);
                    if (prefix && last.Fields.AsSpan().SequenceEqual(p.Args) && last.Id > ae.LastId)
                    {
                        matched = r;
                        return KeyVerdict.Applied;
                    }
                }
            }
            else
            {
                CollState after = acked.Clone();
                p.ApplyTo(key, after);
                if (r.Diff(after) is null)
                {
                    matched = after;
                    return KeyVerdict.Applied;
                }
            }
        }

        // Not a state the crash allows: is it the state of the last check plus only the first i acknowledged ops?
        List<CollOp> log = w.Log[key];
        int best = -1;
        CollState s = w.Baseline[key].Clone();
        for (int i = 0; i < log.Count; i++)
        {
            if (r.Count == s.Count && r.Diff(s) is null)
            {
                best = i;
                matched = s.Clone();
            }
            log[i].ApplyTo(key, s);
        }
        if (best >= 0)
        {
            int missing = log.Count - best;
            lossAgeTicks = Math.Max(0, killTick - log[best].AckTick);
            detail = $"equals the state after {best} of the {log.Count} ops acknowledged since the last check: the last {missing} missing, first {log[best].Describe()}";
            return !always && lossAgeTicks <= windowTicks ? KeyVerdict.RecentLoss : KeyVerdict.Lost;
        }
        if (r.Count == 0)
        {
            detail = $"missing or empty; expected {acked.Count} elements";
            return KeyVerdict.Lost;
        }
        detail = diff;
        return KeyVerdict.Wrong;
    }

    /// <summary>
    /// The reply to a key's read command as a state of its type; null (with <paramref name="error"/>) if the reply is
    /// not one (an error reply such as WRONGTYPE, a malformed array). Duplicates, out-of-order entries and unparsable
    /// scores or ids give a state with <see cref="CollState.Problem"/> set.
    /// </summary>
    public static CollState? Parse(CollType t, object? reply, out string? error)
    {
        error = null;
        if (reply is RespError e)
        {
            error = "-" + e.Message;
            return null;
        }
        if (reply is null)
            return CollState.Empty(t);
        if (reply is not object?[] a)
        {
            error = "not an array: " + CollOp.Show(reply);
            return null;
        }
        switch (t)
        {
            case CollType.List:
            {
                var items = new List<string>(a.Length);
                foreach (object? x in a)
                {
                    if (x is not string s)
                    {
                        error = "element not a string: " + CollOp.Show(x);
                        return null;
                    }
                    items.Add(s);
                }
                return new ListState(items);
            }
            case CollType.Set:
            {
                var st = new SetState();
                foreach (object? x in a)
                {
                    if (x is not string s)
                    {
                        error = "member not a string: " + CollOp.Show(x);
                        return null;
                    }
                    if (!st.Members.Add(s))
                        st.Problem ??= $"member '{CollState.Short(s)}' read twice";
                }
                return st;
            }
            case CollType.ZSet:
            {
                if (a.Length % 2 != 0)
                {
                    error = $"odd reply length {a.Length}";
                    return null;
                }
                var z = new ZSetState();
                string? prevMember = null;
                double prevScore = 0;
                for (int i = 0; i < a.Length; i += 2)
                {
                    if (a[i] is not string m || a[i + 1] is not string ss)
                    {
                        error = $"pair {i / 2} not two strings";
                        return null;
                    }
                    if (!double.TryParse(ss, NumberStyles.Float, CultureInfo.InvariantCulture, out double score))
                    {
                        z.Problem ??= $"member '{CollState.Short(m)}' has unparsable score '{ss}'";
                        score = double.NaN;
                    }
                    if (z.Scores.ContainsKey(m))
                        z.Problem ??= $"member '{CollState.Short(m)}' read twice";
                    else if (prevMember is not null && (score < prevScore || score == prevScore && string.CompareOrdinal(m, prevMember) <= 0))
                        z.Problem ??= $"out of order at {i / 2}: ({ZSetState.Fmt(prevScore)}, '{CollState.Short(prevMember)}') before ({ss}, '{CollState.Short(m)}')";
                    z.Set(m, score);
                    prevMember = m;
                    prevScore = score;
                }
                return z;
            }
            case CollType.Hash:
            {
                if (a.Length % 2 != 0)
                {
                    error = $"odd reply length {a.Length}";
                    return null;
                }
                var h = new HashState();
                for (int i = 0; i < a.Length; i += 2)
                {
                    if (a[i] is not string f || a[i + 1] is not string v)
                    {
                        error = $"pair {i / 2} not two strings";
                        return null;
                    }
                    if (h.Values.ContainsKey(f))
                        h.Problem ??= $"field '{CollState.Short(f)}' read twice";
                    h.Set(f, v);
                }
                return h;
            }
            default:
            {
                var x = new StreamState();
                foreach (object? item in a)
                {
                    if (item is not object?[] { Length: 2 } pair || pair[0] is not string ids || pair[1] is not object?[] fv
                        || !XId.TryParse(ids, out XId id) || fv.Any(f => f is not string))
                    {
                        error = "entry not [id, [field, value, ...]]: " + CollOp.Show(item);
                        return null;
                    }
                    if (x.Entries.Count > 0 && id <= x.Entries[^1].Id)
                        x.Problem ??= $"entry id {id} after {x.Entries[^1].Id}";
                    x.Entries.Add(new XEntry(id, fv.Select(f => (string)f!).ToArray()));
                }
                if (x.Entries.Count > 0)
                    x.LastId = x.Entries[^1].Id;
                return x;
            }
        }
    }

    /// <summary>
    /// Harness self-check (--tamper-collections, off by default): before a check, changes one key of each type behind
    /// its writer's back (a foreign element, a member removed, a score changed, a field overwritten, an entry deleted)
    /// and rolls one more list back to its state after half of its acknowledged ops since the last check, so the
    /// check must report six keys, the last as lost. Picks keys with elements and without the in-flight op.
    /// </summary>
    public static List<string> Tamper(int port, CollectionWriter[] writers, Random rng)
    {
        var done = new List<string>();
        var tampered = new HashSet<string>(StringComparer.Ordinal);
        using var c = new RespConnection(port, TimeSpan.FromSeconds(60));
        for (int t = 0; t < CollTypes.Count; t++)
        {
            for (int attempt = 0; attempt < 100; attempt++)
            {
                CollectionWriter w = writers[rng.Next(writers.Length)];
                int key = t * w.KeysPerType + rng.Next(w.KeysPerType);
                CollState s = w.State[key];
                if (s.Count == 0 || w.Pending is { } p && p.Touches(key))
                    continue;
                string k = w.KeyNames[key];
                string[] cmd = s switch
                {
                    ListState => ["RPUSH", k, "tampered"],
                    SetState ss => ["SREM", k, ss.Members[rng.Next(ss.Count)]],
                    ZSetState z => ["ZINCRBY", k, "1", z.Members[rng.Next(z.Count)]],
                    HashState h => ["HSET", k, h.Fields[rng.Next(h.Count)], "tampered"],
                    _ => ["XDEL", k, ((StreamState)s).Entries[rng.Next(s.Count)].Id.ToString()],
                };
                c.Command(cmd);
                done.Add(string.Join(' ', cmd.Select(CollState.Short)));
                tampered.Add(k);
                break;
            }
        }
        for (int attempt = 0; attempt < 100; attempt++)
        {
            CollectionWriter w = writers[rng.Next(writers.Length)];
            int key = rng.Next(w.KeysPerType); // a list
            List<CollOp> log = w.Log[key];
            if (log.Count < 2 || tampered.Contains(w.KeyNames[key]) || w.Pending is { } p && p.Touches(key))
                continue;
            int keep = log.Count / 2;
            var s = (ListState)w.Baseline[key].Clone();
            for (int i = 0; i < keep; i++)
                log[i].ApplyTo(key, s);
            c.Command("DEL", w.KeyNames[key]);
            for (int i = 0; i < s.Count; i += 500)
                c.Command(["RPUSH", w.KeyNames[key], .. s.Items.Skip(i).Take(500)]);
            done.Add(string.Create(CultureInfo.InvariantCulture,
                $"rolled {w.KeyNames[key]} back to its state after {keep} of its {log.Count} acknowledged ops ({s.Count} elements)"));
            break;
        }
        return done;
    }
}

using System.Diagnostics;

namespace Tiered.CrashTest;

/// <summary>What the checker read for one key after the restart.</summary>
public enum Observed : byte
{
    /// <summary>GET returned nil.</summary>
    Missing,
    /// <summary>A genuine value of this key: writer and seq say which write.</summary>
    Value,
    /// <summary>Bytes no writer sent for this key (torn, truncated, another key's value), or an error reply.</summary>
    Garbage,
}

public enum Verdict : byte
{
    /// <summary>The state of the last acknowledged write, or of a write in flight at the kill.</summary>
    Ok,
    /// <summary>everysec only: an older state, and every acknowledged write missing is within the loss window.</summary>
    RecentLoss,
    /// <summary>An acknowledged write is missing (the key is absent or holds an older value).</summary>
    Lost,
    /// <summary>Torn/unknown bytes, or a deleted key came back with an old value.</summary>
    Wrong,
}

/// <summary>
/// For every key, the writes that could still be its state: the acknowledged writes not yet superseded and the
/// writes in flight. The checker asks it whether what it read is allowed.
///
/// Why this shape: with many writers on one key, "the last acknowledged write" is not a single write. Two SETs on two
/// connections whose replies overlap may be applied in either order. What is certain is this: if W was sent after R's
/// reply arrived, the server applied W after R, so R is superseded once W is acknowledged. So a key keeps a short list
/// of write records (writer, seq, SET or DEL, send time, ack time or "pending"):
///
///   key 17: [ SET w3#88  sent 100 acked 140 ] [ SET w9#12 sent 120 acked 150 ] [ DEL w1#40 sent 160 pending ]
///             '-- concurrent, either may be last --'                             '-- in flight at the kill
///
/// and a record R is dropped when some W with W.sent &gt; R.acked is acknowledged (for everysec only once W is older
/// than the loss window, because until then R is still an allowed state after a crash). Times are taken
/// conservatively: send time before the request is written, ack time after the reply is read, so "W.sent &gt; R.acked"
/// never claims an order the server did not have to follow.
///
/// After a crash, a state S read back is judged against the records: S must match a record C (a value by writer and
/// seq; a missing key by a DEL or the initial "never written") such that no acknowledged W has W.sent &gt; C.acked; a
/// pending C has no such W. With everysec, a C superseded only by writes acknowledged within the window before the
/// kill is a tolerated loss. After the check the key's list is reset to the state read, which is the truth the next
/// cycle builds on (in-flight writes have then either happened or not).
///
/// Each key's list is guarded by the key's own lock; writers hold it for a few dozen instructions.
/// </summary>
public sealed class KeyLedger
{
    private const long Pending = long.MaxValue;
    private const int NoWriter = -1;

    private struct Rec
    {
        public int Writer;   // NoWriter: the key's initial or reset "missing" state
        public bool Del;
        public long Seq;
        public long Sent;
        public long Acked;   // Pending until the reply arrived
    }

    private sealed class KeyState
    {
        public Rec[] Recs = new Rec[2];
        public int Count;
        public bool Touched;
    }

    private readonly KeyState[] _keys;
    private readonly long _keepTicks;

    /// <param name="keepWindow">How long a superseded record stays (the everysec loss window; zero for always).</param>
    public KeyLedger(long keys, TimeSpan keepWindow)
    {
        _keys = new KeyState[keys];
        for (long i = 0; i < keys; i++)
        {
            var s = new KeyState { Count = 1 };
            s.Recs[0] = new Rec { Writer = NoWriter, Del = true, Seq = 0, Sent = 0, Acked = 0 };
            _keys[i] = s;
        }
        _keepTicks = (long)(keepWindow.TotalSeconds * Stopwatch.Frequency);
    }

    public long KeyCount => _keys.LongLength;

    public bool Touched(long key) => _keys[key].Touched;

    /// <summary>A write is about to be sent; <paramref name="sent"/> is a timestamp taken before sending.</summary>
    public void Begin(long key, int writer, long seq, bool del, long sent)
    {
        KeyState s = _keys[key];
        lock (s)
        {
            s.Touched = true;
            if (s.Count == s.Recs.Length)
                Array.Resize(ref s.Recs, s.Count * 2);
            s.Recs[s.Count++] = new Rec { Writer = writer, Del = del, Seq = seq, Sent = sent, Acked = Pending };
        }
    }

    /// <summary>The write's reply arrived at <paramref name="acked"/> (taken after reading it).</summary>
    public void Ack(long key, int writer, long seq, long acked)
    {
        KeyState s = _keys[key];
        lock (s)
        {
            int i = Find(s, writer, seq);
            if (i < 0)
                throw new InvalidOperationException($"ack of unknown write {writer}#{seq} on key {key}");
            s.Recs[i].Acked = acked;
            Prune(s, acked);
        }
    }

    /// <summary>The server refused the write (error reply): it never happened.</summary>
    public void Reject(long key, int writer, long seq)
    {
        KeyState s = _keys[key];
        lock (s)
        {
            int i = Find(s, writer, seq);
            if (i >= 0)
                RemoveAt(s, i);
        }
    }

    /// <summary>Writes sent and not acknowledged, over all keys (call when no writer runs).</summary>
    public long PendingCount()
    {
        long n = 0;
        foreach (KeyState s in _keys)
            for (int i = 0; i < s.Count; i++)
                if (s.Recs[i].Acked == Pending)
                    n++;
        return n;
    }

    /// <summary>
    /// Judges what was read for <paramref name="key"/> after a kill at <paramref name="killTick"/>. For RecentLoss,
    /// <paramref name="lossAgeTicks"/> is how long before the kill the oldest missing acknowledged write was acked.
    /// <paramref name="detail"/> explains a Lost or Wrong verdict.
    /// </summary>
    public Verdict Judge(long key, Observed what, int writer, long seq, long killTick, bool always, TimeSpan window,
        out long lossAgeTicks, out string? detail)
    {
        lossAgeTicks = 0;
        detail = null;
        KeyState s = _keys[key];
        long windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
        lock (s)
        {
            if (what == Observed.Garbage)
            {
                detail = "not a value any writer sent for this key (torn or corrupt)";
                return Verdict.Wrong;
            }
            Verdict best = Verdict.Wrong;
            long bestAge = long.MaxValue;
            bool matched = false;
            for (int i = 0; i < s.Count; i++)
            {
                ref Rec c = ref s.Recs[i];
                bool match = what == Observed.Missing ? c.Del : !c.Del && c.Writer == writer && c.Seq == seq;
                if (!match)
                    continue;
                matched = true;
                // Acknowledged writes that were certainly applied after c.
                long oldestLaterAck = long.MaxValue;
                for (int j = 0; j < s.Count; j++)
                {
                    ref Rec w = ref s.Recs[j];
                    if (w.Acked != Pending && c.Acked != Pending && w.Sent > c.Acked && w.Acked < oldestLaterAck)
                        oldestLaterAck = w.Acked;
                }
                if (oldestLaterAck == long.MaxValue)
                    return Verdict.Ok;
                long age = Math.Max(0, killTick - oldestLaterAck);
                if (!always && age <= windowTicks && age < bestAge)
                {
                    best = Verdict.RecentLoss;
                    bestAge = age;
                }
            }
            if (best == Verdict.RecentLoss)
            {
                lossAgeTicks = bestAge;
                return best;
            }
            string last = Describe(s);
            if (what == Observed.Missing)
            {
                detail = $"missing; expected {last}";
                return Verdict.Lost;
            }
            if (matched)
            {
                detail = $"holds older value w{writer}#{seq}; expected {last}";
                return Verdict.Lost;
            }
            // A genuine value of this key that is no longer a candidate: an old write came back.
            bool onlyDeletes = true;
            for (int i = 0; i < s.Count; i++)
                if (!s.Recs[i].Del)
                    onlyDeletes = false;
            detail = $"holds stale value w{writer}#{seq}; expected {last}";
            return onlyDeletes ? Verdict.Wrong : Verdict.Lost;
        }
    }

    /// <summary>After the check: the state read is the key's only candidate from now on.</summary>
    public void Reset(long key, bool missing, int writer, long seq, long tick)
    {
        KeyState s = _keys[key];
        lock (s)
        {
            s.Count = 1;
            s.Recs[0] = missing
                ? new Rec { Writer = NoWriter, Del = true, Seq = 0, Sent = tick, Acked = tick }
                : new Rec { Writer = writer, Del = false, Seq = seq, Sent = tick, Acked = tick };
        }
    }

    private static int Find(KeyState s, int writer, long seq)
    {
        for (int i = s.Count - 1; i >= 0; i--)
            if (s.Recs[i].Writer == writer && s.Recs[i].Seq == seq)
                return i;
        return -1;
    }

    private static void RemoveAt(KeyState s, int i)
    {
        s.Count--;
        if (i < s.Count)
            Array.Copy(s.Recs, i + 1, s.Recs, i, s.Count - i);
    }

    /// <summary>Drops records superseded by a write acknowledged at least the keep window before <paramref name="now"/>.</summary>
    private void Prune(KeyState s, long now)
    {
        long horizon = now - _keepTicks;
        long latestSent = long.MinValue; // latest send time among writes acknowledged before the horizon
        for (int i = 0; i < s.Count; i++)
        {
            ref Rec w = ref s.Recs[i];
            if (w.Acked != Pending && w.Acked <= horizon && w.Sent > latestSent)
                latestSent = w.Sent;
        }
        if (latestSent == long.MinValue)
            return;
        int keep = 0;
        for (int i = 0; i < s.Count; i++)
        {
            ref Rec r = ref s.Recs[i];
            if (r.Acked != Pending && r.Acked < latestSent)
                continue;
            s.Recs[keep++] = r;
        }
        s.Count = keep;
    }

    /// <summary>The candidate states, for messages ("SET w3#88 acked" / "DEL w1#40 in flight").</summary>
    private static string Describe(KeyState s)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < s.Count; i++)
        {
            ref Rec r = ref s.Recs[i];
            if (sb.Length > 0) sb.Append(" or ");
            sb.Append(r.Writer == NoWriter ? "missing" : (r.Del ? "DEL " : "SET ") + $"w{r.Writer}#{r.Seq}");
            sb.Append(r.Acked == Pending ? " (in flight)" : " (acked)");
        }
        return sb.ToString();
    }
}

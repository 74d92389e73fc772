using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Tiered.CrashTest;

/// <summary>
/// One collection writer: a connection that owns its keys <c>crashc:&lt;writer&gt;:&lt;type&gt;:&lt;k&gt;</c> (k keys
/// per type) and sends one request at a time, so it keeps an exact model of every key it owns.
///
/// Why ownership: with one writer per key and one request in flight, the state of a key after a crash is one of two
/// things, the state after all acknowledged ops or that plus the one op in flight at the kill; nothing about
/// concurrent orders has to be argued. The writer survives across cycles (its models are the truth the next cycle
/// builds on); <see cref="Run"/> is one cycle's connection.
///
/// Per key it keeps: <see cref="State"/> (after every acknowledged op), <see cref="Baseline"/> (the state read at the
/// last check, or empty) and <see cref="Log"/> (the acknowledged ops since then, resolved, with their ack times), so
/// the checker can tell "lost the last N acknowledged ops" (the state read is Baseline after a prefix of Log) from
/// anything else; and <see cref="Pending"/>, the op in flight when the connection died.
///
/// The ops are mostly adds, so keys grow over a run: lists RPUSH/LPUSH (1-3 elements), LPOP, RPOP, LMOVE to another
/// of its lists; sets SADD (sometimes with a member already there), SREM, SPOP; sorted sets ZADD new, ZADD to change a
/// score, ZINCRBY, ZREM; hashes HSET new fields, HSET an existing field, HINCRBY counter fields, HDEL; streams XADD *
/// with 1-3 field/value pairs, XDEL, XTRIM MAXLEN (exact). Every element is "&lt;tag&gt;&lt;writer&gt;.&lt;seq&gt;."
/// plus filler derived from writer and seq up to --element-size, so it is unique over the run and names its write.
/// Scores and increments are multiples of 1/4 well below 2^50, so the model's double arithmetic is exact.
/// </summary>
public sealed class CollectionWriter
{
    public const string KeyPrefix = "crashc:";

    private readonly int _perType;
    private readonly int _elementSize;

    public CollectionWriter(int id, int keysPerType, int elementSize)
    {
        Id = id;
        _perType = keysPerType;
        _elementSize = elementSize;
        int n = CollTypes.Count * keysPerType;
        KeyNames = new string[n];
        State = new CollState[n];
        Baseline = new CollState[n];
        Log = new List<CollOp>[n];
        for (int i = 0; i < n; i++)
        {
            CollType t = TypeOf(i);
            KeyNames[i] = string.Create(CultureInfo.InvariantCulture, $"{KeyPrefix}{id}:{CollTypes.Name(t)}:{i % keysPerType}");
            State[i] = CollState.Empty(t);
            Baseline[i] = CollState.Empty(t);
            Log[i] = [];
        }
    }

    public int Id { get; }
    public string[] KeyNames { get; }
    /// <summary>Per key: the state after every acknowledged op.</summary>
    public CollState[] State { get; }
    /// <summary>Per key: the state adopted at the last check (empty at the start).</summary>
    public CollState[] Baseline { get; }
    /// <summary>Per key: the acknowledged ops since the last check, in order.</summary>
    public List<CollOp>[] Log { get; }
    /// <summary>The op sent and not answered when the connection died (null if none).</summary>
    public CollOp? Pending { get; set; }
    /// <summary>Next element sequence number; continues across cycles.</summary>
    public long Seq { get; private set; }

    public int KeysPerType => _perType;
    public CollType TypeOf(int key) => (CollType)(key / _perType);

    // One cycle's figures (reset by Run).
    public long Acked { get; private set; }
    public long[] AckedByType { get; } = new long[CollTypes.Count];
    public long Errors { get; private set; }
    public string? FirstError { get; private set; }
    /// <summary>Acknowledged ops whose reply contradicted the model (a wrong count, popped element, score, id).</summary>
    public long[] BadReplies { get; } = new long[CollTypes.Count];
    public List<string> BadReplySamples { get; } = [];

    /// <summary>One cycle: writes until the connection dies (the kill). Leaves the unanswered op in <see cref="Pending"/>.</summary>
    public void Run(int port, int seed)
    {
        Acked = 0;
        Errors = 0;
        FirstError = null;
        Array.Clear(AckedByType);
        Array.Clear(BadReplies);
        BadReplySamples.Clear();
        var rng = new Random(HashCode.Combine(seed, Id, Seq));
        RespConnection conn;
        try
        {
            conn = new RespConnection(port, TimeSpan.FromSeconds(60));
        }
        catch (SocketException)
        {
            return; // the server died before this writer connected
        }
        using (conn)
        {
            while (true)
            {
                int key = rng.Next(State.Length);
                CollOp op = NextOp(rng, key);
                byte[] req = Encoding.UTF8.GetBytes(RespConnection.Format(op.Command(KeyNames)));
                Pending = op;
                object? reply;
                try
                {
                    conn.Send(req);
                    reply = conn.ReadReply();
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    return; // killed: this op stays in flight
                }
                Pending = null;
                if (reply is RespError err)
                {
                    Errors++;
                    FirstError ??= $"{op.Command(KeyNames)[0]}: {err.Message}";
                    continue; // refused: it did not happen
                }
                int t = (int)op.Type;
                string? bad = op.Accept(reply, State[key]);
                if (bad is not null)
                {
                    BadReplies[t]++;
                    if (BadReplySamples.Count < 5)
                        BadReplySamples.Add($"{KeyNames[key]}: {op.Describe()} {bad}");
                }
                Acked++;
                AckedByType[t]++;
                if (!op.Resolved)
                    continue; // SPOP/XADD whose reply named nothing usable: the model cannot follow; the check will tell
                op.AckTick = Stopwatch.GetTimestamp();
                op.ApplyTo(key, State[key]);
                Log[key].Add(op);
                if (op.Key2 >= 0)
                {
                    op.ApplyTo(op.Key2, State[op.Key2]);
                    Log[op.Key2].Add(op);
                }
            }
        }
    }

    /// <summary>The check adopted <paramref name="state"/> as the key's truth: it becomes State and Baseline, the log empties.</summary>
    public void Adopt(int key, CollState state)
    {
        state.Problem = null;
        State[key] = state;
        Baseline[key] = state.Clone();
        Log[key].Clear();
    }

    private CollOp NextOp(Random rng, int key)
    {
        CollState s = State[key];
        int r = rng.Next(100);
        switch (TypeOf(key))
        {
            case CollType.List:
            {
                var l = (ListState)s;
                if (r < 50 || l.Count == 0 && r >= 72)
                    return new CollOp { Kind = OpKind.RPush, Key = key, Args = NewElements('l', 1 + rng.Next(3)) };
                if (r < 72)
                    return new CollOp { Kind = OpKind.LPush, Key = key, Args = NewElements('l', 1 + rng.Next(3)) };
                if (r < 78)
                    return new CollOp { Kind = OpKind.LPop, Key = key, Element = l.Items[0] };
                if (r < 84 || _perType < 2)
                    return new CollOp { Kind = OpKind.RPop, Key = key, Element = l.Items[^1] };
                int k = key % _perType;
                int other = key - k + (k + 1 + rng.Next(_perType - 1)) % _perType;
                bool fromLeft = rng.Next(2) == 0;
                return new CollOp
                {
                    Kind = OpKind.LMove, Key = key, Key2 = other, FromLeft = fromLeft, ToLeft = rng.Next(2) == 0,
                    Element = fromLeft ? l.Items[0] : l.Items[^1],
                };
            }
            case CollType.Set:
            {
                var m = ((SetState)s).Members;
                if (r < 75 || m.Count == 0)
                {
                    string[] add = NewElements('s', 1 + rng.Next(3));
                    if (m.Count > 0 && rng.Next(8) == 0)
                        add = [.. add, m[rng.Next(m.Count)]]; // an add that is partly a no-op
                    return new CollOp { Kind = OpKind.SAdd, Key = key, Args = add };
                }
                if (r < 90)
                    return new CollOp { Kind = OpKind.SRem, Key = key, Args = Pick(rng, m.Items, 1 + rng.Next(2)) };
                return new CollOp { Kind = OpKind.SPop, Key = key, Resolved = false };
            }
            case CollType.ZSet:
            {
                var z = (ZSetState)s;
                if (r < 55 || z.Count == 0)
                {
                    int n = 1 + rng.Next(2);
                    var scores = new double[n];
                    for (int i = 0; i < n; i++)
                        scores[i] = Score(rng);
                    return new CollOp { Kind = OpKind.ZAdd, Key = key, Args = NewElements('z', n), Scores = scores };
                }
                string member = z.Members[rng.Next(z.Count)];
                if (r < 65)
                {
                    double score = Score(rng);
                    if (score == z.Scores[member])
                        score += 0.25;
                    return new CollOp { Kind = OpKind.ZAdd, Key = key, Args = [member], Scores = [score] };
                }
                if (r < 88)
                {
                    double incr = (1 + rng.Next(4000)) / 4.0 * (rng.Next(2) == 0 ? 1 : -1);
                    return new CollOp { Kind = OpKind.ZIncrBy, Key = key, Args = [member], Scores = [incr] };
                }
                return new CollOp { Kind = OpKind.ZRem, Key = key, Args = Pick(rng, z.Members.Items, 1 + rng.Next(2)) };
            }
            case CollType.Hash:
            {
                var h = (HashState)s;
                if (r < 55 || h.Count == 0)
                {
                    int n = 1 + rng.Next(3);
                    var args = new string[2 * n];
                    for (int i = 0; i < n; i++)
                    {
                        args[2 * i] = FieldName('f');
                        args[2 * i + 1] = NewElement('h');
                    }
                    return new CollOp { Kind = OpKind.HSet, Key = key, Args = args };
                }
                if (r < 72)
                {
                    string field = h.Fields[rng.Next(h.Count)];
                    string value = IsCounter(field)
                        ? rng.NextInt64(-1_000_000, 1_000_000).ToString(CultureInfo.InvariantCulture)
                        : NewElement('h');
                    return new CollOp { Kind = OpKind.HSet, Key = key, Args = [field, value] };
                }
                if (r < 88)
                {
                    string? counter = null;
                    for (int i = 0; i < 4 && counter is null; i++)
                    {
                        string f = h.Fields[rng.Next(h.Count)];
                        if (IsCounter(f))
                            counter = f;
                    }
                    long incr = rng.Next(1, 1000) * (rng.Next(2) == 0 ? 1 : -1);
                    return new CollOp { Kind = OpKind.HIncrBy, Key = key, Args = [counter ?? FieldName('n')], Incr = incr };
                }
                return new CollOp { Kind = OpKind.HDel, Key = key, Args = Pick(rng, h.Fields.Items, 1 + rng.Next(2)) };
            }
            default:
            {
                var x = (StreamState)s;
                if (r < 85 || x.Count == 0)
                {
                    int n = 1 + rng.Next(3);
                    var args = new string[2 * n];
                    for (int i = 0; i < n; i++)
                    {
                        args[2 * i] = ((char)('a' + i)).ToString();
                        args[2 * i + 1] = NewElement('x');
                    }
                    return new CollOp { Kind = OpKind.XAdd, Key = key, Args = args, Resolved = false };
                }
                if (r < 95)
                    return new CollOp { Kind = OpKind.XDel, Key = key, Id = x.Entries[rng.Next(x.Count)].Id };
                return new CollOp { Kind = OpKind.XTrim, Key = key, MaxLen = x.Count - 1 - rng.Next(Math.Min(5, x.Count)) };
            }
        }
    }

    private static bool IsCounter(string field) => field.StartsWith('n');

    private static double Score(Random rng) => rng.Next(-4_000_000, 4_000_000) / 4.0;

    private static string[] Pick(Random rng, IReadOnlyList<string> from, int n)
    {
        if (n >= from.Count)
            return [.. from];
        int a = rng.Next(from.Count);
        if (n == 1)
            return [from[a]];
        int b = (a + 1 + rng.Next(from.Count - 1)) % from.Count;
        return [from[a], from[b]];
    }

    private string[] NewElements(char tag, int n)
    {
        var e = new string[n];
        for (int i = 0; i < n; i++)
            e[i] = NewElement(tag);
        return e;
    }

    private string FieldName(char tag) => string.Create(CultureInfo.InvariantCulture, $"{tag}{Id}.{Seq++}");

    /// <summary>"&lt;tag&gt;&lt;writer&gt;.&lt;seq&gt;." then lowercase filler from (writer, seq) up to the element size.</summary>
    public string NewElement(char tag) => Element(tag, Id, Seq++, _elementSize);

    public static string Element(char tag, int writer, long seq, int size)
    {
        string head = string.Create(CultureInfo.InvariantCulture, $"{tag}{writer}.{seq}.");
        if (head.Length >= size)
            return head;
        return string.Create(size, (head, writer, seq), static (dst, st) =>
        {
            st.head.AsSpan().CopyTo(dst);
            ulong x = (ulong)st.seq * 0x9E3779B97F4A7C15UL ^ (ulong)st.writer << 48;
            for (int i = st.head.Length; i < dst.Length; i++)
            {
                x += 0x9E3779B97F4A7C15UL;
                ulong z = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                dst[i] = (char)('a' + (int)((z ^ (z >> 31)) % 26));
            }
        });
    }
}

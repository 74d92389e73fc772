using System.Globalization;
using System.Text;

namespace Tiered.CrashTest;

/// <summary>The collection types the collection writers use; the value is the type's slot in per-type arrays.</summary>
public enum CollType
{
    List,
    Set,
    ZSet,
    Hash,
    Stream,
}

public static class CollTypes
{
    public const int Count = 5;

    /// <summary>Names as used in key names and reports, indexed by <see cref="CollType"/>.</summary>
    public static readonly string[] Names = ["list", "set", "zset", "hash", "stream"];

    public static string Name(CollType t) => Names[(int)t];
}

/// <summary>A stream entry id, ms-seq, ordered as the server orders them.</summary>
public readonly record struct XId(ulong Ms, ulong Seq) : IComparable<XId>
{
    public int CompareTo(XId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    public static bool operator <(XId a, XId b) => a.CompareTo(b) < 0;
    public static bool operator >(XId a, XId b) => a.CompareTo(b) > 0;
    public static bool operator <=(XId a, XId b) => a.CompareTo(b) <= 0;
    public static bool operator >=(XId a, XId b) => a.CompareTo(b) >= 0;

    public static XId Max(XId a, XId b) => a >= b ? a : b;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Ms}-{Seq}");

    public static bool TryParse(string? s, out XId id)
    {
        id = default;
        if (s is null)
            return false;
        int dash = s.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !ulong.TryParse(s.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out ulong ms)
            || !ulong.TryParse(s.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong seq))
            return false;
        id = new XId(ms, seq);
        return true;
    }
}

/// <summary>One stream entry: its id and its field/value pairs in order (f1, v1, f2, v2, ...).</summary>
public sealed class XEntry(XId id, string[] fields)
{
    public XId Id { get; } = id;
    public string[] Fields { get; } = fields;

    public bool SameAs(XEntry other) => Id == other.Id && Fields.AsSpan().SequenceEqual(other.Fields);

    public override string ToString() => $"{Id} [{string.Join(' ', Fields.Select(CollState.Short))}]";
}

/// <summary>A set of strings with O(1) add, remove and pick-by-index (for choosing random members).</summary>
public sealed class IndexedSet
{
    private readonly List<string> _items;
    private readonly Dictionary<string, int> _index;

    public IndexedSet()
    {
        _items = [];
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
    }

    private IndexedSet(IndexedSet other)
    {
        _items = new List<string>(other._items);
        _index = new Dictionary<string, int>(other._index, StringComparer.Ordinal);
    }

    public int Count => _items.Count;
    public string this[int i] => _items[i];
    public IReadOnlyList<string> Items => _items;
    public bool Contains(string s) => _index.ContainsKey(s);

    public bool Add(string s)
    {
        if (!_index.TryAdd(s, _items.Count))
            return false;
        _items.Add(s);
        return true;
    }

    public bool Remove(string s)
    {
        if (!_index.Remove(s, out int i))
            return false;
        int last = _items.Count - 1;
        if (i != last)
        {
            string moved = _items[last];
            _items[i] = moved;
            _index[moved] = i;
        }
        _items.RemoveAt(last);
        return true;
    }

    public IndexedSet Clone() => new(this);
}

/// <summary>
/// The content of one collection key: what a collection writer expects it to hold (its model) or what the checker
/// read back. An empty collection and a missing key are the same state (the server deletes emptied lists, sets,
/// sorted sets and hashes; an emptied stream reads back as no entries either way).
/// </summary>
public abstract class CollState
{
    public abstract CollType Type { get; }
    public abstract int Count { get; }
    public abstract CollState Clone();

    /// <summary>
    /// Null if this state equals <paramref name="expected"/> element by element (list order, exact scores, stream ids
    /// and fields); otherwise the first difference, for reports. Call on a reading with the model as expected.
    /// </summary>
    public abstract string? Diff(CollState expected);

    /// <summary>Set by the checker: duplicate members, out-of-order entries and the like (the state is wrong as read).</summary>
    public string? Problem { get; set; }

    public static CollState Empty(CollType t) => t switch
    {
        CollType.List => new ListState(),
        CollType.Set => new SetState(),
        CollType.ZSet => new ZSetState(),
        CollType.Hash => new HashState(),
        _ => new StreamState(),
    };

    /// <summary>An element shortened for messages.</summary>
    public static string Short(string s) => s.Length <= 28 ? s : s[..24] + "...";

    protected string CountDiff(CollState expected, string noun)
        => Count == expected.Count ? "" : $"{Count} {noun}, expected {expected.Count}; ";
}

public sealed class ListState : CollState
{
    public List<string> Items { get; }

    public ListState() => Items = [];
    public ListState(List<string> items) => Items = items;

    public override CollType Type => CollType.List;
    public override int Count => Items.Count;
    public override CollState Clone() => new ListState(new List<string>(Items));

    public override string? Diff(CollState expected)
    {
        var e = (ListState)expected;
        int n = Math.Min(Items.Count, e.Items.Count);
        for (int i = 0; i < n; i++)
            if (!string.Equals(Items[i], e.Items[i], StringComparison.Ordinal))
                return $"{CountDiff(e, "elements")}first difference at index {i}: got '{Short(Items[i])}', expected '{Short(e.Items[i])}'";
        if (Items.Count == e.Items.Count)
            return null;
        return Items.Count > e.Items.Count
            ? $"{Count} elements, expected {e.Count}; extra from index {n}: '{Short(Items[n])}'"
            : $"{Count} elements, expected {e.Count}; missing from index {n}: '{Short(e.Items[n])}'";
    }
}

public sealed class SetState : CollState
{
    public IndexedSet Members { get; }

    public SetState() => Members = new IndexedSet();
    private SetState(IndexedSet m) => Members = m;

    public override CollType Type => CollType.Set;
    public override int Count => Members.Count;
    public override CollState Clone() => new SetState(Members.Clone());

    public override string? Diff(CollState expected)
    {
        var e = (SetState)expected;
        foreach (string m in Members.Items)
            if (!e.Members.Contains(m))
                return $"{CountDiff(e, "members")}unexpected member '{Short(m)}'";
        foreach (string m in e.Members.Items)
            if (!Members.Contains(m))
                return $"{CountDiff(e, "members")}missing member '{Short(m)}'";
        return null;
    }
}

public sealed class ZSetState : CollState
{
    public IndexedSet Members { get; }
    public Dictionary<string, double> Scores { get; }

    public ZSetState()
    {
        Members = new IndexedSet();
        Scores = new Dictionary<string, double>(StringComparer.Ordinal);
    }

    private ZSetState(ZSetState o)
    {
        Members = o.Members.Clone();
        Scores = new Dictionary<string, double>(o.Scores, StringComparer.Ordinal);
    }

    public override CollType Type => CollType.ZSet;
    public override int Count => Members.Count;
    public override CollState Clone() => new ZSetState(this);

    public void Set(string member, double score)
    {
        Members.Add(member);
        Scores[member] = score;
    }

    public bool Remove(string member) => Members.Remove(member) && Scores.Remove(member);

    /// <summary>Content equality; the checker separately verifies that the read order is (score, member) ascending.</summary>
    public override string? Diff(CollState expected)
    {
        var e = (ZSetState)expected;
        foreach (string m in Members.Items)
        {
            if (!e.Scores.TryGetValue(m, out double s))
                return $"{CountDiff(e, "members")}unexpected member '{Short(m)}'";
            if (s != Scores[m])
                return $"{CountDiff(e, "members")}member '{Short(m)}' has score {Fmt(Scores[m])}, expected {Fmt(s)}";
        }
        foreach (string m in e.Members.Items)
            if (!Scores.ContainsKey(m))
                return $"{CountDiff(e, "members")}missing member '{Short(m)}'";
        return null;
    }

    public static string Fmt(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}

public sealed class HashState : CollState
{
    public IndexedSet Fields { get; }
    public Dictionary<string, string> Values { get; }

    public HashState()
    {
        Fields = new IndexedSet();
        Values = new Dictionary<string, string>(StringComparer.Ordinal);
    }

    private HashState(HashState o)
    {
        Fields = o.Fields.Clone();
        Values = new Dictionary<string, string>(o.Values, StringComparer.Ordinal);
    }

    public override CollType Type => CollType.Hash;
    public override int Count => Fields.Count;
    public override CollState Clone() => new HashState(this);

    public void Set(string field, string value)
    {
        Fields.Add(field);
        Values[field] = value;
    }

    public bool Remove(string field) => Fields.Remove(field) && Values.Remove(field);

    public override string? Diff(CollState expected)
    {
        var e = (HashState)expected;
        foreach (string f in Fields.Items)
        {
            if (!e.Values.TryGetValue(f, out string? v))
                return $"{CountDiff(e, "fields")}unexpected field '{Short(f)}'";
            if (!string.Equals(v, Values[f], StringComparison.Ordinal))
                return $"{CountDiff(e, "fields")}field '{Short(f)}' holds '{Short(Values[f])}', expected '{Short(v)}'";
        }
        foreach (string f in e.Fields.Items)
            if (!Values.ContainsKey(f))
                return $"{CountDiff(e, "fields")}missing field '{Short(f)}'";
        return null;
    }
}

public sealed class StreamState : CollState
{
    public List<XEntry> Entries { get; }

    /// <summary>
    /// The greatest id the stream ever had (entries deleted or trimmed included): a new XADD * must be above it. For
    /// a reading, the last entry's id until the checker merges in what the model knew.
    /// </summary>
    public XId LastId { get; set; }

    public StreamState() => Entries = [];

    private StreamState(StreamState o)
    {
        Entries = new List<XEntry>(o.Entries);
        LastId = o.LastId;
    }

    public override CollType Type => CollType.Stream;
    public override int Count => Entries.Count;
    public override CollState Clone() => new StreamState(this);

    public override string? Diff(CollState expected)
    {
        var e = (StreamState)expected;
        int n = Math.Min(Entries.Count, e.Entries.Count);
        for (int i = 0; i < n; i++)
            if (!Entries[i].SameAs(e.Entries[i]))
                return $"{CountDiff(e, "entries")}first difference at entry {i}: got {Entries[i]}, expected {e.Entries[i]}";
        if (Entries.Count == e.Entries.Count)
            return null;
        return Entries.Count > e.Entries.Count
            ? $"{Count} entries, expected {e.Count}; extra from entry {n}: {Entries[n]}"
            : $"{Count} entries, expected {e.Count}; missing from entry {n}: {e.Entries[n]}";
    }
}

public enum OpKind
{
    RPush, LPush, LPop, RPop, LMove,
    SAdd, SRem, SPop,
    ZAdd, ZIncrBy, ZRem,
    HSet, HDel, HIncrBy,
    XAdd, XDel, XTrim,
}

/// <summary>
/// One collection write, as sent and as applied to the model. Deterministic given the model, except SPOP (which
/// member) and XADD * (which id): those are <see cref="Resolved"/> from the reply, after which the op is a plain
/// "remove this member" / "append this entry with this id" and replays exactly. LMOVE touches two keys
/// (<see cref="Key"/> the source, <see cref="Key2"/> the destination) and is applied to each separately.
/// </summary>
public sealed class CollOp
{
    public OpKind Kind { get; init; }
    /// <summary>Index of the key in the writer's key table; for LMOVE the source.</summary>
    public int Key { get; init; }
    /// <summary>LMOVE: the destination; -1 otherwise.</summary>
    public int Key2 { get; init; } = -1;
    /// <summary>Pushed elements, added/removed members, removed fields; HSET/XADD field,value pairs; ZADD members;
    /// ZINCRBY the member; HINCRBY the field.</summary>
    public string[] Args { get; init; } = [];
    /// <summary>ZADD: the score of each member; ZINCRBY: the increment.</summary>
    public double[] Scores { get; init; } = [];
    /// <summary>HINCRBY: the increment.</summary>
    public long Incr { get; init; }
    public bool FromLeft { get; init; }
    public bool ToLeft { get; init; }
    /// <summary>LPOP/RPOP/LMOVE: the element the model says is taken; SPOP: the member the reply named.</summary>
    public string? Element { get; set; }
    /// <summary>XADD: the id the reply named; XDEL: the id deleted.</summary>
    public XId Id { get; set; }
    /// <summary>XTRIM MAXLEN.</summary>
    public int MaxLen { get; init; }
    /// <summary>False for SPOP and XADD * until the reply names their effect.</summary>
    public bool Resolved { get; set; } = true;
    /// <summary>Stopwatch timestamp after the reply was read.</summary>
    public long AckTick { get; set; }

    public bool Touches(int key) => Key == key || Key2 == key;

    public CollType Type => Kind switch
    {
        <= OpKind.LMove => CollType.List,
        <= OpKind.SPop => CollType.Set,
        <= OpKind.ZRem => CollType.ZSet,
        <= OpKind.HIncrBy => CollType.Hash,
        _ => CollType.Stream,
    };

    public string[] Command(string[] keyNames)
    {
        string k = keyNames[Key];
        var inv = CultureInfo.InvariantCulture;
        switch (Kind)
        {
            case OpKind.RPush: return ["RPUSH", k, .. Args];
            case OpKind.LPush: return ["LPUSH", k, .. Args];
            case OpKind.LPop: return ["LPOP", k];
            case OpKind.RPop: return ["RPOP", k];
            case OpKind.LMove: return ["LMOVE", k, keyNames[Key2], FromLeft ? "LEFT" : "RIGHT", ToLeft ? "LEFT" : "RIGHT"];
            case OpKind.SAdd: return ["SADD", k, .. Args];
            case OpKind.SRem: return ["SREM", k, .. Args];
            case OpKind.SPop: return ["SPOP", k];
            case OpKind.ZAdd:
            {
                var c = new List<string>(2 + 2 * Args.Length) { "ZADD", k };
                for (int i = 0; i < Args.Length; i++)
                {
                    c.Add(ZSetState.Fmt(Scores[i]));
                    c.Add(Args[i]);
                }
                return [.. c];
            }
            case OpKind.ZIncrBy: return ["ZINCRBY", k, ZSetState.Fmt(Scores[0]), Args[0]];
            case OpKind.ZRem: return ["ZREM", k, .. Args];
            case OpKind.HSet: return ["HSET", k, .. Args];
            case OpKind.HDel: return ["HDEL", k, .. Args];
            case OpKind.HIncrBy: return ["HINCRBY", k, Args[0], Incr.ToString(inv)];
            case OpKind.XAdd: return ["XADD", k, "*", .. Args];
            case OpKind.XDel: return ["XDEL", k, Id.ToString()];
            case OpKind.XTrim: return ["XTRIM", k, "MAXLEN", MaxLen.ToString(inv)];
            default: throw new InvalidOperationException(Kind.ToString());
        }
    }

    /// <summary>Applies the (resolved) op to the state of <paramref name="key"/>, one of the keys it touches.</summary>
    public void ApplyTo(int key, CollState state)
    {
        switch (Kind)
        {
            case OpKind.RPush:
                ((ListState)state).Items.AddRange(Args);
                break;
            case OpKind.LPush:
            {
                var items = ((ListState)state).Items;
                foreach (string a in Args)
                    items.Insert(0, a);
                break;
            }
            case OpKind.LPop:
            {
                var items = ((ListState)state).Items;
                if (items.Count > 0)
                    items.RemoveAt(0);
                break;
            }
            case OpKind.RPop:
            {
                var items = ((ListState)state).Items;
                if (items.Count > 0)
                    items.RemoveAt(items.Count - 1);
                break;
            }
            case OpKind.LMove:
            {
                var items = ((ListState)state).Items;
                if (key == Key)
                {
                    if (items.Count > 0)
                        items.RemoveAt(FromLeft ? 0 : items.Count - 1);
                }
                if (key == Key2 && Element is not null)
                {
                    if (ToLeft)
                        items.Insert(0, Element);
                    else
                        items.Add(Element);
                }
                break;
            }
            case OpKind.SAdd:
                foreach (string a in Args)
                    ((SetState)state).Members.Add(a);
                break;
            case OpKind.SRem:
                foreach (string a in Args)
                    ((SetState)state).Members.Remove(a);
                break;
            case OpKind.SPop:
                if (Element is not null)
                    ((SetState)state).Members.Remove(Element);
                break;
            case OpKind.ZAdd:
                for (int i = 0; i < Args.Length; i++)
                    ((ZSetState)state).Set(Args[i], Scores[i]);
                break;
            case OpKind.ZIncrBy:
            {
                var z = (ZSetState)state;
                z.Set(Args[0], z.Scores.GetValueOrDefault(Args[0]) + Scores[0]);
                break;
            }
            case OpKind.ZRem:
                foreach (string a in Args)
                    ((ZSetState)state).Remove(a);
                break;
            case OpKind.HSet:
                for (int i = 0; i + 1 < Args.Length; i += 2)
                    ((HashState)state).Set(Args[i], Args[i + 1]);
                break;
            case OpKind.HDel:
                foreach (string a in Args)
                    ((HashState)state).Remove(a);
                break;
            case OpKind.HIncrBy:
            {
                var h = (HashState)state;
                long old = h.Values.TryGetValue(Args[0], out string? v) ? long.Parse(v, CultureInfo.InvariantCulture) : 0;
                h.Set(Args[0], (old + Incr).ToString(CultureInfo.InvariantCulture));
                break;
            }
            case OpKind.XAdd:
            {
                var x = (StreamState)state;
                x.Entries.Add(new XEntry(Id, Args));
                x.LastId = XId.Max(x.LastId, Id);
                break;
            }
            case OpKind.XDel:
            {
                var x = (StreamState)state;
                int i = x.Entries.FindIndex(e => e.Id == Id);
                if (i >= 0)
                    x.Entries.RemoveAt(i);
                break;
            }
            case OpKind.XTrim:
            {
                var x = (StreamState)state;
                if (x.Entries.Count > MaxLen)
                    x.Entries.RemoveRange(0, x.Entries.Count - MaxLen);
                break;
            }
        }
    }

    /// <summary>
    /// Checks an acknowledged op's reply against the model before the op (<paramref name="before"/>: the state of
    /// <see cref="Key"/>) and resolves SPOP/XADD from it. Returns null if the reply is what the model predicts,
    /// otherwise what differs. An unresolvable SPOP/XADD reply leaves the op unresolved (then it changes nothing).
    /// </summary>
    public string? Accept(object? reply, CollState before)
    {
        switch (Kind)
        {
            case OpKind.RPush:
            case OpKind.LPush:
                return Int(reply, before.Count + Args.Length);
            case OpKind.LPop:
            case OpKind.RPop:
            case OpKind.LMove:
                return reply is string popped && popped == Element ? null : $"replied {Show(reply)}, expected '{Short(Element)}'";
            case OpKind.SAdd:
            {
                var m = ((SetState)before).Members;
                return Int(reply, Args.Count(a => !m.Contains(a)));
            }
            case OpKind.SRem:
            {
                var m = ((SetState)before).Members;
                return Int(reply, Args.Count(m.Contains));
            }
            case OpKind.SPop:
            {
                var m = ((SetState)before).Members;
                if (reply is string s && m.Contains(s))
                {
                    Element = s;
                    Resolved = true;
                    return null;
                }
                return $"replied {Show(reply)}, expected a member of the set";
            }
            case OpKind.ZAdd:
            {
                var z = (ZSetState)before;
                return Int(reply, Args.Count(a => !z.Scores.ContainsKey(a)));
            }
            case OpKind.ZIncrBy:
            {
                double expect = ((ZSetState)before).Scores.GetValueOrDefault(Args[0]) + Scores[0];
                return reply is string s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == expect
                    ? null : $"replied {Show(reply)}, expected {ZSetState.Fmt(expect)}";
            }
            case OpKind.ZRem:
            {
                var z = (ZSetState)before;
                return Int(reply, Args.Count(z.Scores.ContainsKey));
            }
            case OpKind.HSet:
            {
                var h = (HashState)before;
                int added = 0;
                for (int i = 0; i < Args.Length; i += 2)
                    if (!h.Values.ContainsKey(Args[i]))
                        added++;
                return Int(reply, added);
            }
            case OpKind.HDel:
            {
                var h = (HashState)before;
                return Int(reply, Args.Count(h.Values.ContainsKey));
            }
            case OpKind.HIncrBy:
            {
                var h = (HashState)before;
                long old = h.Values.TryGetValue(Args[0], out string? v) ? long.Parse(v, CultureInfo.InvariantCulture) : 0;
                return Int(reply, old + Incr);
            }
            case OpKind.XAdd:
            {
                var x = (StreamState)before;
                if (reply is string s && XId.TryParse(s, out XId id))
                {
                    Id = id;
                    Resolved = true;
                    return id > x.LastId ? null : $"replied id {id}, not above the stream's last id {x.LastId}";
                }
                return $"replied {Show(reply)}, expected an entry id";
            }
            case OpKind.XDel:
                return Int(reply, 1);
            case OpKind.XTrim:
                return Int(reply, Math.Max(0, before.Count - MaxLen));
            default:
                return null;
        }
    }

    private static string? Int(object? reply, long expect)
        => reply is long n && n == expect ? null : $"replied {Show(reply)}, expected {expect}";

    private static string Short(string? s) => s is null ? "(nil)" : CollState.Short(s);

    public static string Show(object? reply) => reply switch
    {
        null => "(nil)",
        long n => ":" + n.ToString(CultureInfo.InvariantCulture),
        string s => "'" + CollState.Short(s) + "'",
        RespError e => "-" + e.Message,
        object?[] a => $"array of {a.Length}",
        _ => reply.ToString() ?? "?",
    };

    /// <summary>For messages: "RPUSH 2 elements", "LMOVE LEFT RIGHT 'l3.17.'", "XADD * (id unknown)".</summary>
    public string Describe()
    {
        var sb = new StringBuilder(Kind.ToString().ToUpperInvariant());
        switch (Kind)
        {
            case OpKind.LMove: sb.Append(FromLeft ? " LEFT" : " RIGHT").Append(ToLeft ? " LEFT '" : " RIGHT '").Append(Short(Element)).Append('\''); break;
            case OpKind.LPop or OpKind.RPop: sb.Append(" '").Append(Short(Element)).Append('\''); break;
            case OpKind.SPop: sb.Append(Resolved ? $" '{Short(Element)}'" : " (member unknown)"); break;
            case OpKind.XAdd: sb.Append(Resolved ? $" {Id}" : " * (id unknown)"); break;
            case OpKind.XDel: sb.Append(' ').Append(Id); break;
            case OpKind.XTrim: sb.Append(" MAXLEN ").Append(MaxLen); break;
            case OpKind.HIncrBy: sb.Append($" '{Short(Args[0])}' {Incr}"); break;
            case OpKind.ZIncrBy: sb.Append($" '{Short(Args[0])}' {ZSetState.Fmt(Scores[0])}"); break;
            default: sb.Append(' ').Append(Args.Length).Append(" args, first '").Append(Short(Args.Length > 0 ? Args[0] : "")).Append('\''); break;
        }
        return sb.ToString();
    }
}

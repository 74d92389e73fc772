using System.Text;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Lists;
using Tiered.Tiering.Types.SortedSets;

namespace Tiered.Tiering.Types.Sort;

// Why this file looks the way it does
// -----------------------------------
// SORT reads a list, a set or a sorted set, orders its elements and replies with them (or with values found
// through GET patterns), or stores the result as a list. It is its own room because it reads every collection type
// and the strings and hashes its patterns name. Redis's rules (sort.c) are kept because they show in replies:
//
//   * BY with a pattern without '*' means "don't sort": a list or sorted set keeps its order (DESC walks it
//     backwards, LIMIT picks the range directly); a set is ALPHA-sorted anyway when the result is stored or the
//     command runs in a script, so replicas and AOF replays agree.
//   * A pattern "pre*post" names the key pre<element>post; "pre*post->field" names a field of that hash; "#" (GET
//     only) is the element itself. A missing key, a key of another type, a missing field: no value (BY weight 0
//     or "no compare object"; GET: nil, or an empty string when storing).
//   * Numeric sort parses each weight as C's strtod: leading spaces allowed, decimal or 0x hexadecimal, the whole
//     text (up to a NUL byte) must be consumed, an empty text is 0, NaN and out-of-range values fail the whole command with one error. Equal numeric weights
//     fall back to comparing the elements bytewise, so the result is deterministic.
//   * ALPHA compares as strcoll in the C locale, which stops at a NUL byte, except when storing (then bytewise and
//     binary-safe, as Redis's sort_store flag does). With BY, an element without a weight sorts first.
//   * LIMIT offset count is clamped to the collection: a negative offset is 0, a negative count means "all".
//
// The sort is stable, like glibc's qsort (a merge sort), so elements whose keys compare equal keep the order they
// were read in. Pattern keys are not the command's declared keys: they are read with the engine's ordinary
// lookups (a cold one synchronously).

/// <summary>SORT's options, parsed by the command.</summary>
public sealed class SortSpec
{
    /// <summary>The BY pattern, or null.</summary>
    public byte[]? By;
    public bool Desc;
    public bool Alpha;
    /// <summary>LIMIT offset and count (count negative: all).</summary>
    public long Offset;
    public long Count = -1;
    /// <summary>The GET patterns, in order.</summary>
    public readonly List<byte[]> Gets = new();
    /// <summary>True when run from a script (a set with BY nosort is then sorted, as Redis does).</summary>
    public bool InScript;
}

/// <summary>SORT and SORT_RO. The caller holds the store lock.</summary>
public static class SortOps
{
    private struct Item
    {
        public byte[] Element;
        public double Score;
        public byte[]? CompareBy;
        public int Order;
    }

    /// <summary>
    /// SORT without STORE: appends the reply's values to <paramref name="into"/> (the elements, or one value per GET
    /// pattern per element, null where a pattern found nothing). Ok, WrongType, or NotFloat (a weight is not a number).
    /// </summary>
    public static Status Sort(Database db, ReadOnlySpan<byte> key, SortSpec spec, List<byte[]?> into)
        => Run(db, key, spec, store: false, into);

    /// <summary>
    /// SORT ... STORE: stores the values as a list at <paramref name="dst"/> (missing GET values as empty strings),
    /// deleting it when there are none (<paramref name="deleted"/>: a key went). Ok with the count, WrongType or NotFloat.
    /// </summary>
    public static Status SortStore(Database db, ReadOnlySpan<byte> key, SortSpec spec, ReadOnlySpan<byte> dst, out long stored, out bool deleted)
    {
        stored = 0;
        deleted = false;
        var values = new List<byte[]?>();
        Status s = Run(db, key, spec, store: true, values);
        if (s != Status.Ok) return s;
        var list = new ListValue(values.Count);
        foreach (byte[]? v in values) list.PushRightOwned(v is null ? [] : (byte[])v.Clone());   // values may be other keys' arrays
        stored = values.Count;
        deleted = db.StoreResult(dst, ValueKind.List, list) && stored == 0;
        return Status.Ok;
    }

    private static Status Run(Database db, ReadOnlySpan<byte> key, SortSpec spec, bool store, List<byte[]?> into)
    {
        byte[]? by = spec.By;
        bool alpha = spec.Alpha, desc = spec.Desc;
        bool dontSort = by != null && by.AsSpan().IndexOf((byte)'*') < 0;
        ValueKind kind = ValueKind.List;
        object? value = null;
        int e = db.LookupRead(key);
        if (e >= 0)
        {
            Slot slot = db.At(e);
            kind = slot.Kind;
            value = slot.Value;
            if (kind is not (ValueKind.List or ValueKind.Set or ValueKind.ZSet)) return Status.WrongType;
        }
        if (dontSort && kind == ValueKind.Set && (store || spec.InScript))
        {
            dontSort = false;
            alpha = true;
            by = null;
        }
        long length = value switch { ListValue l => l.Length, SortedSetValue z => z.Count, IReadableSet set => set.Count, _ => 0 };
        long start = Math.Min(Math.Max(spec.Offset, 0), length);
        long count = Math.Min(Math.Max(spec.Count, -1), length);
        long end = count < 0 ? length - 1 : start + count - 1;
        if (start >= length)
        {
            start = length - 1;
            end = length - 2;
        }
        if (end >= length) end = length - 1;
        List<Item> items = Load(value, dontSort, desc, ref start, ref end);
        if (!dontSort)
        {
            for (int j = 0; j < items.Count; j++)
            {
                Item it = items[j];
                byte[]? weight = by is null ? it.Element : Lookup(db, by, it.Element);
                if (weight is null) continue;
                if (alpha) { if (by != null) it.CompareBy = weight; }
                else if (!ParseWeight(weight, out it.Score)) return Status.NotFloat;
                items[j] = it;
            }
            bool byPattern = by != null;
            items.Sort((a, b) =>
            {
                int c = Compare(a, b, alpha, byPattern, store);
                if (desc) c = -c;
                return c != 0 ? c : a.Order.CompareTo(b.Order);
            });
        }
        for (long j = start; j <= end; j++)
        {
            byte[] element = items[(int)j].Element;
            if (spec.Gets.Count == 0) into.Add(element);
            foreach (byte[] pattern in spec.Gets) into.Add(Lookup(db, pattern, element));
        }
        return Status.Ok;
    }

    /// <summary>The elements to sort; for "don't sort" over a list or sorted set only the LIMIT range, in the walk's direction.</summary>
    private static List<Item> Load(object? value, bool dontSort, bool desc, ref long start, ref long end)
    {
        var items = new List<Item>();
        switch (value)
        {
            case ListValue list when dontSort:
                if (end >= start)
                {
                    for (long j = start; j <= end; j++) Add(items, list[(int)(desc ? list.Length - 1 - j : j)]);
                    end -= start;
                    start = 0;
                }
                break;
            case ListValue list:
                for (int j = 0; j < list.Length; j++) Add(items, list[j]);
                break;
            case SortedSetValue z when dontSort:
                if (end >= start)
                {
                    SkipListNode? x = desc ? z.List.ByRank(z.Count - start) : z.List.ByRank(start + 1);
                    for (long n = end - start + 1; n > 0 && x != null; n--, x = desc ? x.Backward : x.Next) Add(items, x.Member);
                    end -= start;
                    start = 0;
                }
                break;
            case SortedSetValue z:
                for (SkipListNode? x = z.List.First; x != null; x = x.Next) Add(items, x.Member);
                break;
            case IReadableSet set:
                var members = new List<byte[]>((int)Math.Min(set.Count, 1 << 20));
                set.CopyMembersTo(members);
                foreach (byte[] m in members) Add(items, m);
                break;
        }
        return items;
    }

    private static void Add(List<Item> items, byte[] element) => items.Add(new Item { Element = element, Order = items.Count });

    private static int Compare(in Item a, in Item b, bool alpha, bool byPattern, bool store)
    {
        if (!alpha)
        {
            if (a.Score > b.Score) return 1;
            if (a.Score < b.Score) return -1;
            return a.Element.AsSpan().SequenceCompareTo(b.Element);
        }
        if (byPattern)
        {
            if (a.CompareBy is null || b.CompareBy is null)
                return a.CompareBy == b.CompareBy ? 0 : a.CompareBy is null ? -1 : 1;
            return store ? a.CompareBy.AsSpan().SequenceCompareTo(b.CompareBy) : Collate(a.CompareBy, b.CompareBy);
        }
        return store ? a.Element.AsSpan().SequenceCompareTo(b.Element) : Collate(a.Element, b.Element);
    }

    /// <summary>strcoll in the C locale: bytewise, up to the first NUL.</summary>
    private static int Collate(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int na = a.IndexOf((byte)0), nb = b.IndexOf((byte)0);
        return Math.Sign((na < 0 ? a : a[..na]).SequenceCompareTo(nb < 0 ? b : b[..nb]));
    }

    /// <summary>
    /// The value a BY or GET pattern names for <paramref name="element"/> (Redis's lookupKeyByPattern), or null.
    /// </summary>
    private static byte[]? Lookup(Database db, ReadOnlySpan<byte> pattern, byte[] element)
    {
        if (pattern.Length == 1 && pattern[0] == '#') return element;
        int star = pattern.IndexOf((byte)'*');
        if (star < 0) return null;
        ReadOnlySpan<byte> post = pattern[(star + 1)..], field = default;
        int arrow = post.IndexOf("->"u8);
        if (arrow >= 0 && arrow + 2 < post.Length)
        {
            field = post[(arrow + 2)..];
            post = post[..arrow];
        }
        int length = star + element.Length + post.Length;
        byte[]? rented = null;
        Span<byte> name = length <= 256 ? stackalloc byte[length] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        pattern[..star].CopyTo(name);
        element.CopyTo(name[star..]);
        post.CopyTo(name[(star + element.Length)..]);
        byte[]? result = null;
        if (field.IsEmpty)
        {
            if (db.ReadString(name, out byte[] v, out _) == Status.Ok) result = v;
        }
        else if (db.ReadObject(name, ValueKind.Hash, out HashValue? h) == Status.Ok && h!.TryGet(field, out ReadOnlySpan<byte> fv))
            result = fv.ToArray();
        if (rented != null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        return result;
    }

    /// <summary>
    /// A weight as SORT reads it with C's strtod: the text up to a NUL byte, leading white space skipped, then a
    /// decimal number or inf/infinity that must reach the end. An empty text is 0. NaN, overflow and underflow fail.
    /// </summary>
    private static bool ParseWeight(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        int nul = text.IndexOf((byte)0);
        if (nul >= 0) text = text[..nul];
        if (text.IsEmpty) return true;
        int i = 0;
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r') i++;
        ReadOnlySpan<byte> s = text[i..];
        ReadOnlySpan<byte> word = s.Length > 0 && s[0] is (byte)'+' or (byte)'-' ? s[1..] : s;
        if (Ascii.EqualsIgnoreCase(word, "inf"u8) || Ascii.EqualsIgnoreCase(word, "infinity"u8))
        {
            value = s[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (word.Length > 2 && word[0] == '0' && (word[1] | 0x20) == 'x') return ParseHex(word[2..], s[0] == '-', out value);
        int p = 0, digits = 0;
        bool nonZero = false;
        while (p < word.Length && char.IsAsciiDigit((char)word[p])) { nonZero |= word[p] != '0'; p++; digits++; }
        if (p < word.Length && word[p] == '.')
        {
            p++;
            while (p < word.Length && char.IsAsciiDigit((char)word[p])) { nonZero |= word[p] != '0'; p++; digits++; }
        }
        if (digits == 0) return false;
        if (p < word.Length && word[p] is (byte)'e' or (byte)'E')
        {
            int q = p + 1;
            if (q < word.Length && word[q] is (byte)'+' or (byte)'-') q++;
            int expDigits = 0;
            while (q < word.Length && char.IsAsciiDigit((char)word[q])) { q++; expDigits++; }
            if (expDigits > 0) p = q;
        }
        if (p != word.Length) return false;
        const NumberStyles style = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        if (!double.TryParse(s, style, CultureInfo.InvariantCulture, out value)) return false;
        if (double.IsInfinity(value)) return false;                       // ERANGE: overflow
        if (nonZero && (value == 0 || double.IsSubnormal(value))) return false;   // ERANGE: underflow
        return true;
    }

    /// <summary>strtod's hexadecimal form after "0x": hex digits, an optional fraction, an optional binary exponent "p".</summary>
    private static bool ParseHex(ReadOnlySpan<byte> s, bool negative, out double value)
    {
        value = 0;
        ulong mantissa = 0;
        int exponent = 0, p = 0, digits = 0;
        bool fraction = false;
        for (; p < s.Length; p++)
        {
            if (s[p] == '.' && !fraction) { fraction = true; continue; }
            int d = HexDigit(s[p]);
            if (d < 0) break;
            digits++;
            if (mantissa >> 60 == 0) { mantissa = mantissa << 4 | (uint)d; if (fraction) exponent -= 4; }
            else if (!fraction) exponent += 4;   // digits past 64 bits only scale (their precision is dropped)
        }
        if (digits == 0) return false;
        if (p < s.Length && (s[p] | 0x20) == 'p')
        {
            int q = p + 1;
            bool neg = q < s.Length && s[q] == '-';
            if (q < s.Length && s[q] is (byte)'+' or (byte)'-') q++;
            int e = 0, expDigits = 0;
            for (; q < s.Length && char.IsAsciiDigit((char)s[q]); q++, expDigits++) e = Math.Min(e * 10 + (s[q] - '0'), 100000);
            if (expDigits > 0) { p = q; exponent += neg ? -e : e; }
        }
        if (p != s.Length) return false;
        value = Math.ScaleB(mantissa, exponent);
        if (negative) value = -value;
        return double.IsFinite(value) && (mantissa == 0 || (value != 0 && !double.IsSubnormal(value)));
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}

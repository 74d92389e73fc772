using System.Numerics;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Types.Bitmaps;

// Why bitmaps are just strings
// ----------------------------
// Redis has no bitmap type: SETBIT, BITCOUNT, BITOP and BITFIELD read and write ordinary string values, so a bitmap
// can be SET, GET, APPENDed or COPYed like any string and TYPE says "string". We keep that: the value stays the
// exact-length byte[] StringOps stores. A write inside the current length changes the array in place (no memory
// accounting change); a write past the end grows the string with zero bytes, which allocates a new array and goes
// through Database.Replace so the memory budget follows.
//
// Bit numbering is Redis's, most significant bit first:
//
//   byte        0                       1
//          +-----------------+  +-----------------+
//   bit    | 0 1 2 3 4 5 6 7 |  | 8 9 ...      15 |     bit n lives in byte n>>3, under mask 0x80 >> (n & 7)
//          +-----------------+  +-----------------+
//
// BITFIELD integers are read in the same order (big-endian across bytes, any bit alignment), and BITPOS/BITCOUNT
// ranges are byte or bit offsets with Redis's negative-index and clamping rules. Counting and searching use
// hardware popcount over 64-bit words and the runtime's vectorised IndexOfAnyExcept to skip runs of 0x00 / 0xFF.

/// <summary>BITOP's operation.</summary>
public enum BitOperation : byte
{
    And,
    Or,
    Xor,
    Not,
}

/// <summary>What one BITFIELD subcommand does.</summary>
public enum BitFieldAction : byte
{
    Get,
    Set,
    IncrBy,
}

/// <summary>BITFIELD OVERFLOW behaviour.</summary>
public enum BitFieldOverflow : byte
{
    Wrap,
    Sat,
    Fail,
}

/// <summary>One BITFIELD operation: an integer field of <see cref="Bits"/> bits at bit <see cref="Offset"/>.</summary>
public struct BitFieldOp
{
    public BitFieldAction Action;
    /// <summary>iN (true) or uN (false).</summary>
    public bool Signed;
    /// <summary>1..64 signed, 1..63 unsigned.</summary>
    public int Bits;
    /// <summary>Absolute bit offset (the adapter has already multiplied a #N offset).</summary>
    public long Offset;
    /// <summary>SET value or INCRBY increment.</summary>
    public long Value;
    public BitFieldOverflow Overflow;
}

/// <summary>
/// Bitmap operations over string values (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD). One public static method per
/// operation; the caller holds the store lock. See the comment at the top of this file.
/// </summary>
public static class BitmapOps
{
    /// <summary>The string value at <paramref name="key"/> for a read: Ok, NotFound or WrongType.</summary>
    public static Status Get(Database db, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value) => StringOps.Get(db, key, out value);

    /// <summary>
    /// SETBIT: sets bit <paramref name="offset"/> (already validated against the maximum string size) to
    /// <paramref name="bit"/>, growing or creating the string. Ok (with the old bit) or WrongType.
    /// </summary>
    public static Status SetBit(Database db, ReadOnlySpan<byte> key, long offset, int bit, out int old, out bool changed)
    {
        old = 0;
        Status s = WritableString(db, key, (offset >> 3) + 1, out byte[]? value, out changed);
        if (s != Status.Ok) return s;
        int b = (int)(offset >> 3);
        int mask = 0x80 >> (int)(offset & 7);
        old = (value![b] & mask) != 0 ? 1 : 0;
        changed |= old != bit;
        value[b] = (byte)(bit != 0 ? value[b] | mask : value[b] & ~mask);
        return Status.Ok;
    }

    /// <summary>GETBIT: bit <paramref name="offset"/> (0 beyond the end or for a missing key). Ok, NotFound or WrongType.</summary>
    public static Status GetBit(Database db, ReadOnlySpan<byte> key, long offset, out int bit)
    {
        bit = 0;
        Status s = StringOps.Get(db, key, out ReadOnlySpan<byte> value);
        if (s != Status.Ok) return s;
        long b = offset >> 3;
        if (b < value.Length) bit = (value[(int)b] & (0x80 >> (int)(offset & 7))) != 0 ? 1 : 0;
        return Status.Ok;
    }

    /// <summary>
    /// BITCOUNT: set bits of the whole string (<paramref name="hasRange"/> false) or of the range, in bytes or in
    /// bits (<paramref name="bitUnit"/>), with Redis's negative indexes. Ok, NotFound (count 0) or WrongType.
    /// </summary>
    public static Status BitCount(Database db, ReadOnlySpan<byte> key, bool hasRange, long start, long end, bool bitUnit, out long count)
    {
        count = 0;
        Status s = StringOps.Get(db, key, out ReadOnlySpan<byte> value);
        if (s != Status.Ok) return s;
        count = hasRange ? CountBits(value, start, end, bitUnit) : PopCount(value);
        return Status.Ok;
    }

    /// <summary>Set bits of <paramref name="s"/> between <paramref name="start"/> and <paramref name="end"/> inclusive (Redis's rules).</summary>
    public static long CountBits(ReadOnlySpan<byte> s, long start, long end, bool bitUnit)
    {
        long total = bitUnit ? (long)s.Length << 3 : s.Length;
        if (start < 0 && end < 0 && start > end) return 0;
        if (start < 0) start = total + start;
        if (end < 0) end = total + end;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= total) end = total - 1;
        if (start > end) return 0;
        if (!bitUnit) return PopCount(s.Slice((int)start, (int)(end - start + 1)));
        int firstByte = (int)(start >> 3), lastByte = (int)(end >> 3);
        int headMask = 0xFF >> (int)(start & 7);           // bits from start on, within its byte
        int tailMask = (0xFF << (7 - (int)(end & 7))) & 0xFF; // bits up to end, within its byte
        if (firstByte == lastByte) return BitOperations.PopCount((uint)(s[firstByte] & headMask & tailMask));
        long count = BitOperations.PopCount((uint)(s[firstByte] & headMask)) + BitOperations.PopCount((uint)(s[lastByte] & tailMask));
        return count + PopCount(s.Slice(firstByte + 1, lastByte - firstByte - 1));
    }

    /// <summary>Number of set bits in <paramref name="s"/>.</summary>
    public static long PopCount(ReadOnlySpan<byte> s)
    {
        long count = 0;
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(s);
        foreach (ulong w in words) count += BitOperations.PopCount(w);
        for (int i = words.Length * 8; i < s.Length; i++) count += BitOperations.PopCount((uint)s[i]);
        return count;
    }

    /// <summary>
    /// BITPOS over an existing string: the first <paramref name="bit"/> in the whole string or in the range (byte or
    /// bit offsets, Redis's negative indexes). Not found gives -1, except that a search for 0 without an explicit end
    /// answers the first bit past the string (the string is taken as padded with zeros on the right).
    /// </summary>
    public static long FindBit(ReadOnlySpan<byte> s, int bit, bool hasStart, long start, bool hasEnd, long end, bool bitUnit)
    {
        long startBit, endBit;
        if (!hasStart)
        {
            startBit = 0;
            endBit = ((long)s.Length << 3) - 1;
        }
        else
        {
            long total = bitUnit ? (long)s.Length << 3 : s.Length;
            if (!hasEnd) end = total - 1;
            if (start < 0) start = total + start;
            if (end < 0) end = total + end;
            if (start < 0) start = 0;
            if (end < 0) end = 0;
            if (end >= total) end = total - 1;
            if (start > end) return -1;
            startBit = bitUnit ? start : start << 3;
            endBit = bitUnit ? end : (end << 3) + 7;
        }
        if (startBit > endBit) return -1;
        long pos = Search(s, bit, startBit, endBit);
        if (pos >= 0) return pos;
        return bit == 1 || hasEnd ? -1 : endBit + 1;
    }

    /// <summary>First position of <paramref name="bit"/> in [<paramref name="from"/>, <paramref name="to"/>], or -1.</summary>
    private static long Search(ReadOnlySpan<byte> s, int bit, long from, long to)
    {
        int first = (int)(from >> 3), last = (int)(to >> 3);
        int flip = bit == 1 ? 0 : 0xFF; // after the flip we always look for a 1
        int headMask = 0xFF >> (int)(from & 7);
        int tailMask = (0xFF << (7 - (int)(to & 7))) & 0xFF;
        int v = (s[first] ^ flip) & headMask;
        if (first == last) v &= tailMask;
        if (v != 0) return ((long)first << 3) + BitOperations.LeadingZeroCount((uint)v) - 24;
        if (first == last) return -1;
        ReadOnlySpan<byte> middle = s.Slice(first + 1, last - first - 1);
        int k = middle.IndexOfAnyExcept((byte)flip);
        if (k >= 0)
        {
            int m = middle[k] ^ flip;
            return ((long)(first + 1 + k) << 3) + BitOperations.LeadingZeroCount((uint)m) - 24;
        }
        v = (s[last] ^ flip) & tailMask;
        if (v != 0) return ((long)last << 3) + BitOperations.LeadingZeroCount((uint)v) - 24;
        return -1;
    }

    /// <summary>
    /// BITOP: combines the source strings (missing keys read as empty, shorter ones as zero-padded) into
    /// <paramref name="dest"/>, which is overwritten whatever its type (TTL cleared) or deleted when the result is
    /// empty. Ok with the result length, or WrongType (nothing written) when a source is not a string.
    /// </summary>
    public static Status BitOp<T>(Database db, BitOperation op, ReadOnlySpan<byte> dest, in T sources, out long length) where T : IByteStrings
    {
        length = 0;
        int n = sources.Count;
        int maxLen = 0;
        var values = new byte[]?[n];
        for (int j = 0; j < n; j++)
        {
            Status s = db.ReadString(sources.Get(j), out byte[] value, out _);
            if (s == Status.NotFound) continue;
            if (s != Status.Ok) return s;
            values[j] = value;
            maxLen = Math.Max(maxLen, values[j]!.Length);
        }
        if (maxLen == 0)
        {
            KeyOps.Delete(db, dest);
            return Status.Ok;
        }
        byte[] result = new byte[maxLen];
        for (int j = 0; j < n; j++)
        {
            ReadOnlySpan<byte> v = values[j];
            if (j == 0)
            {
                v.CopyTo(result);
                if (op == BitOperation.Not) Invert(result);
                continue;
            }
            Combine(op, result, v);
        }
        length = maxLen;
        ulong hash = KeyIndex.Hash(dest);
        int i = db.LookupWrite(dest, hash);
        if (i >= 0)
        {
            db.Replace(i, ValueKind.String, result);
            db.SetExpire(i, 0);
        }
        else db.Add(dest, hash, ValueKind.String, result, 0);
        return Status.Ok;
    }

    private static void Invert(Span<byte> r)
    {
        Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(r);
        for (int i = 0; i < words.Length; i++) words[i] = ~words[i];
        for (int i = words.Length * 8; i < r.Length; i++) r[i] = (byte)~r[i];
    }

    /// <summary>r = r op v, with v zero-padded to r's length.</summary>
    private static void Combine(BitOperation op, Span<byte> r, ReadOnlySpan<byte> v)
    {
        if (op == BitOperation.And && v.Length < r.Length) r[v.Length..].Clear();
        int common = Math.Min(r.Length, v.Length);
        Span<ulong> rw = MemoryMarshal.Cast<byte, ulong>(r[..common]);
        ReadOnlySpan<ulong> vw = MemoryMarshal.Cast<byte, ulong>(v[..common]);
        switch (op)
        {
            case BitOperation.And:
                for (int i = 0; i < rw.Length; i++) rw[i] &= vw[i];
                for (int i = rw.Length * 8; i < common; i++) r[i] &= v[i];
                break;
            case BitOperation.Or:
                for (int i = 0; i < rw.Length; i++) rw[i] |= vw[i];
                for (int i = rw.Length * 8; i < common; i++) r[i] |= v[i];
                break;
            case BitOperation.Xor:
                for (int i = 0; i < rw.Length; i++) rw[i] ^= vw[i];
                for (int i = rw.Length * 8; i < common; i++) r[i] ^= v[i];
                break;
        }
    }

    /// <summary>
    /// BITFIELD / BITFIELD_RO: runs <paramref name="ops"/> in order. <paramref name="results"/>[i] receives the GET
    /// value, the old value for SET, the new value for INCRBY; <paramref name="nil"/>[i] is true when OVERFLOW FAIL
    /// stopped a SET or INCRBY. When any op writes, the string is first created or grown to cover every written bit
    /// (as Redis does, even if an op then fails). Ok, or WrongType (nothing done).
    /// </summary>
    public static Status BitField(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<BitFieldOp> ops, Span<long> results, Span<bool> nil)
    {
        long highest = -1;
        foreach (ref readonly BitFieldOp op in ops)
            if (op.Action != BitFieldAction.Get) highest = Math.Max(highest, op.Offset + op.Bits - 1);
        byte[]? value;
        ReadOnlySpan<byte> read;
        if (highest < 0)
        {
            Status s = StringOps.Get(db, key, out read);
            if (s == Status.WrongType) return s;
            value = null;
        }
        else
        {
            Status s = WritableString(db, key, (highest >> 3) + 1, out value, out _);
            if (s != Status.Ok) return s;
            read = value;
        }
        for (int i = 0; i < ops.Length; i++)
        {
            ref readonly BitFieldOp op = ref ops[i];
            nil[i] = false;
            if (op.Action == BitFieldAction.Get)
            {
                results[i] = ReadField(read, op.Offset, op.Bits, op.Signed);
                continue;
            }
            long old = ReadField(value!, op.Offset, op.Bits, op.Signed);
            long incr = op.Action == BitFieldAction.Set ? 0 : op.Value;
            long start = op.Action == BitFieldAction.Set ? op.Value : old;
            bool overflow = op.Signed
                ? SignedOverflow(start, incr, op.Bits, op.Overflow, out long next)
                : UnsignedOverflow((ulong)start, incr, op.Bits, op.Overflow, out next);
            if (overflow && op.Overflow == BitFieldOverflow.Fail)
            {
                nil[i] = true;
                continue;
            }
            WriteField(value!, op.Offset, op.Bits, (ulong)next);
            results[i] = op.Action == BitFieldAction.Set ? old : next;
        }
        return Status.Ok;
    }

    /// <summary>Reads a big-endian field of <paramref name="bits"/> bits at bit <paramref name="offset"/>; bits past the end read 0.</summary>
    public static long ReadField(ReadOnlySpan<byte> s, long offset, int bits, bool signed)
    {
        ulong v = 0;
        for (int j = 0; j < bits; j++)
        {
            long pos = offset + j;
            long b = pos >> 3;
            int bit = b < s.Length && (s[(int)b] & (0x80 >> (int)(pos & 7))) != 0 ? 1 : 0;
            v = (v << 1) | (uint)bit;
        }
        if (signed && bits < 64 && (v & (1UL << (bits - 1))) != 0) v |= ulong.MaxValue << bits;
        return (long)v;
    }

    /// <summary>Writes the low <paramref name="bits"/> bits of <paramref name="v"/> big-endian at bit <paramref name="offset"/>.</summary>
    public static void WriteField(Span<byte> s, long offset, int bits, ulong v)
    {
        for (int j = 0; j < bits; j++)
        {
            int bit = (int)((v >> (bits - 1 - j)) & 1);
            long pos = offset + j;
            int b = (int)(pos >> 3);
            int mask = 0x80 >> (int)(pos & 7);
            s[b] = (byte)(bit != 0 ? s[b] | mask : s[b] & ~mask);
        }
    }

    /// <summary>
    /// Redis's signed overflow rule for value + incr in a <paramref name="bits"/>-bit field: true on overflow, with
    /// <paramref name="result"/> wrapped or saturated as <paramref name="mode"/> says (or the plain sum).
    /// </summary>
    public static bool SignedOverflow(long value, long incr, int bits, BitFieldOverflow mode, out long result)
    {
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        long min = -max - 1;
        long maxIncr = unchecked((long)((ulong)max - (ulong)value));
        long minIncr = unchecked(min - value);
        bool up = value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr);
        bool down = !up && (value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr));
        if (!up && !down)
        {
            result = value + incr;
            return false;
        }
        if (mode == BitFieldOverflow.Sat) result = up ? max : min;
        else
        {
            ulong c = unchecked((ulong)value + (ulong)incr);
            if (bits < 64)
            {
                ulong mask = ulong.MaxValue << bits;
                c = (c & (1UL << (bits - 1))) != 0 ? c | mask : c & ~mask;
            }
            result = (long)c;
        }
        return true;
    }

    /// <summary>Redis's unsigned overflow rule (fields up to 63 bits), as <see cref="SignedOverflow"/>.</summary>
    public static bool UnsignedOverflow(ulong value, long incr, int bits, BitFieldOverflow mode, out long result)
    {
        ulong max = (1UL << bits) - 1;
        long maxIncr = unchecked((long)(max - value));
        long minIncr = unchecked(-(long)value);
        bool up = value > max || (incr > 0 && incr > maxIncr);
        bool down = !up && incr < 0 && incr < minIncr;
        if (!up && !down)
        {
            result = unchecked((long)(value + (ulong)incr));
            return false;
        }
        if (mode == BitFieldOverflow.Sat) result = up ? (long)max : 0;
        else result = (long)(unchecked(value + (ulong)incr) & max);
        return true;
    }

    /// <summary>
    /// The string at <paramref name="key"/> for an in-place write, created or zero-extended to at least
    /// <paramref name="minLength"/> bytes (keeping its TTL). Ok or WrongType.
    /// </summary>
    private static Status WritableString(Database db, ReadOnlySpan<byte> key, long minLength, out byte[]? value, out bool grew)
    {
        value = null;
        grew = true;
        ulong hash = KeyIndex.Hash(key);
        int i = db.LookupWrite(key, hash);
        if (i < 0)
        {
            value = new byte[minLength];
            db.Add(key, hash, ValueKind.String, value, 0);
            return Status.Ok;
        }
        grew = false;
        Slot e = db.At(i);
        if (e.Kind != ValueKind.String) return Status.WrongType;
        value = (byte[])e.Value!;
        if (value.Length < minLength)
        {
            byte[] grown = new byte[minLength];
            value.CopyTo(grown, 0);
            db.Replace(i, ValueKind.String, grown);
            value = grown;
            grew = true;
        }
        return Status.Ok;
    }
}

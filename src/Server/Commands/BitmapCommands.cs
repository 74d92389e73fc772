using Tiered.Server.Admin;
using Tiered.Tiering.Types.Bitmaps;

namespace Tiered.Server.Commands;

/// <summary>
/// Bitmap commands over string values: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO. Each handler parses
/// its arguments in Redis's order (so the first error reported is Redis's), makes one <see cref="BitmapOps"/> call
/// and writes the reply.
/// </summary>
public static class BitmapCommands
{
    private const string OffsetError = "ERR bit offset is not an integer or out of range";
    private const string TypeError = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

    [Command("setbit")] private static void SetBit(CommandContext c)
    {
        if (!Offset(c, 2, 0, out long offset)) return;
        if (!c.TryLong(3, out long bit) || (bit != 0 && bit != 1))
        {
            c.Writer.Error("ERR bit is not an integer or out of range"u8);
            return;
        }
        Status s = BitmapOps.SetBit(c.Db, c[1], offset, (int)bit, out int old, out bool changed);
        if (changed) c.Notify(KeyspaceEventFlags.String, "setbit"u8);
        c.Integer(s, old);
    }

    [Command("getbit")] private static void GetBit(CommandContext c)
    {
        if (!Offset(c, 2, 0, out long offset)) return;
        Status s = BitmapOps.GetBit(c.Db, c[1], offset, out int bit);
        c.IntegerUnlessWrongType(s, bit);
    }

    [Command("bitcount")] private static void BitCount(CommandContext c)
    {
        long start = 0, end = 0;
        bool bitUnit = false;
        bool hasRange = c.Count is 4 or 5;
        if (hasRange)
        {
            if (!c.Long(2, out start) || !c.Long(3, out end)) return;
            if (c.Count == 5 && !Unit(c, 4, out bitUnit)) return;
        }
        else if (c.Count != 2)
        {
            c.SyntaxError();
            return;
        }
        Status s = BitmapOps.BitCount(c.Db, c[1], hasRange, start, end, bitUnit, out long count);
        c.IntegerUnlessWrongType(s, count);
    }

    [Command("bitpos")] private static void BitPos(CommandContext c)
    {
        if (!c.Long(2, out long bit)) return;
        if (bit != 0 && bit != 1)
        {
            c.Writer.Error("ERR The bit argument must be 1 or 0."u8);
            return;
        }
        // Redis looks the key up before it parses the range: a missing key answers at once.
        Status s = BitmapOps.Get(c.Db, c[1], out ReadOnlySpan<byte> value);
        if (s == Status.NotFound) { c.Writer.Integer(bit == 1 ? -1 : 0); return; }
        if (s != Status.Ok) { c.Error(s); return; }
        long start = 0, end = 0;
        bool bitUnit = false;
        if (c.Count > 6) { c.SyntaxError(); return; }
        if (c.Count >= 4)
        {
            if (!c.Long(3, out start)) return;
            if (c.Count == 6 && !Unit(c, 5, out bitUnit)) return;
            if (c.Count >= 5 && !c.Long(4, out end)) return;
        }
        c.Writer.Integer(BitmapOps.FindBit(value, (int)bit, c.Count >= 4, start, c.Count >= 5, end, bitUnit));
    }

    [Command("bitop")] private static void BitOp(CommandContext c)
    {
        BitOperation op;
        if (c.Is(1, "AND"u8)) op = BitOperation.And;
        else if (c.Is(1, "OR"u8)) op = BitOperation.Or;
        else if (c.Is(1, "XOR"u8)) op = BitOperation.Xor;
        else if (c.Is(1, "NOT"u8)) op = BitOperation.Not;
        else { c.SyntaxError(); return; }
        if (op == BitOperation.Not && c.Count != 4)
        {
            c.Writer.Error("ERR BITOP NOT must be called with a single source key."u8);
            return;
        }
        bool existed = c.ExistsForEvents(c[2]);
        Status s = BitmapOps.BitOp(c.Db, op, c[2], new ArgStrings(c, 3, c.Count - 3), out long length);
        if (s == Status.Ok) c.NotifyStored(KeyspaceEventFlags.String, "set"u8, c[2], length > 0, existed);
        c.Integer(s, length);
    }

    [Command("bitfield")] private static void BitField(CommandContext c) => BitFieldGeneric(c, readOnly: false);

    [Command("bitfield_ro")] private static void BitFieldRo(CommandContext c) => BitFieldGeneric(c, readOnly: true);

    private static void BitFieldGeneric(CommandContext c, bool readOnly)
    {
        var ops = new List<BitFieldOp>();
        BitFieldOverflow overflow = BitFieldOverflow.Wrap;
        bool writes = false;
        for (int j = 2; j < c.Count; j++)
        {
            int remaining = c.Count - j - 1;
            BitFieldAction action;
            if (c.Is(j, "GET"u8) && remaining >= 2) action = BitFieldAction.Get;
            else if (c.Is(j, "SET"u8) && remaining >= 3) action = BitFieldAction.Set;
            else if (c.Is(j, "INCRBY"u8) && remaining >= 3) action = BitFieldAction.IncrBy;
            else if (c.Is(j, "OVERFLOW"u8) && remaining >= 1)
            {
                j++;
                if (c.Is(j, "WRAP"u8)) overflow = BitFieldOverflow.Wrap;
                else if (c.Is(j, "SAT"u8)) overflow = BitFieldOverflow.Sat;
                else if (c.Is(j, "FAIL"u8)) overflow = BitFieldOverflow.Fail;
                else { c.Writer.Error("ERR Invalid OVERFLOW type specified"u8); return; }
                continue;
            }
            else { c.SyntaxError(); return; }
            if (!FieldType(c, j + 1, out bool signed, out int bits)) return;
            if (!Offset(c, j + 2, bits, out long offset)) return;
            long value = 0;
            if (action != BitFieldAction.Get)
            {
                writes = true;
                if (!c.Long(j + 3, out value)) return;
            }
            ops.Add(new BitFieldOp { Action = action, Signed = signed, Bits = bits, Offset = offset, Value = value, Overflow = overflow });
            j += action == BitFieldAction.Get ? 2 : 3;
        }
        if (writes && readOnly)
        {
            c.Writer.Error("ERR BITFIELD_RO only supports the GET subcommand"u8);
            return;
        }
        var results = new long[ops.Count];
        var nil = new bool[ops.Count];
        Status s = BitmapOps.BitField(c.Db, c[1], System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ops), results, nil);
        if (s != Status.Ok) { c.Error(s); return; }
        for (int i = 0; i < results.Length; i++)
        {
            if (ops[i].Action == BitFieldAction.Get || nil[i]) continue;
            c.Notify(KeyspaceEventFlags.String, "setbit"u8);
            break;
        }
        c.Writer.Array(results.Length);
        for (int i = 0; i < results.Length; i++)
        {
            if (nil[i]) c.Writer.Null();
            else c.Writer.Integer(results[i]);
        }
    }

    /// <summary>
    /// Parses a bit offset (with <paramref name="hashBits"/> &gt; 0, also the #N form meaning N * bits) and checks
    /// it against proto-max-bulk-len, as Redis's getBitOffsetFromArgument.
    /// </summary>
    private static bool Offset(CommandContext c, int arg, int hashBits, out long offset)
    {
        ReadOnlySpan<byte> a = c[arg];
        bool hash = hashBits > 0 && a.Length > 0 && a[0] == '#';
        bool ok = CommandContext.ParseLong(hash ? a[1..] : a, out offset);
        if (ok && hash)
        {
            Int128 scaled = (Int128)offset * hashBits;
            ok = scaled >= long.MinValue && scaled <= long.MaxValue;
            offset = ok ? (long)scaled : 0;
        }
        if (!ok || offset < 0 || (offset >> 3) >= c.Store.Options.ProtoMaxBulkLen)
        {
            c.Writer.Error(OffsetError);
            return false;
        }
        return true;
    }

    /// <summary>Parses iN (N 1..64) or uN (N 1..63).</summary>
    private static bool FieldType(CommandContext c, int arg, out bool signed, out int bits)
    {
        ReadOnlySpan<byte> a = c[arg];
        signed = a.Length > 0 && a[0] == 'i';
        bits = 0;
        if (a.Length > 1 && (a[0] == 'i' || a[0] == 'u') && CommandContext.ParseLong(a[1..], out long n)
            && n >= 1 && n <= (signed ? 64 : 63))
        {
            bits = (int)n;
            return true;
        }
        c.Writer.Error(TypeError);
        return false;
    }

    /// <summary>Parses BYTE or BIT (any case); syntax error otherwise.</summary>
    private static bool Unit(CommandContext c, int arg, out bool bitUnit)
    {
        bitUnit = c.Is(arg, "BIT"u8);
        if (bitUnit || c.Is(arg, "BYTE"u8)) return true;
        c.SyntaxError();
        return false;
    }
}

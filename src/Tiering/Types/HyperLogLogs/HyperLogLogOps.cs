using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Types.HyperLogLogs;

/// <summary>
/// HyperLogLog operations (PFADD PFCOUNT PFMERGE) over string values in Redis's HLL layout (see
/// <see cref="HyperLogLog"/>). One public static method per operation; the caller holds the store lock.
///
/// Type rules follow Redis: a key of another type is WrongType; a string that is not an HLL (bad magic, unknown
/// encoding, wrong dense size) is NotHyperLogLog; a sparse body that does not decode to exactly 16384 registers is
/// Corrupted. Dense updates happen in place; a sparse update re-encodes and replaces the string (keeping the TTL),
/// promoting it to dense once it no longer fits the sparse limits.
/// </summary>
public static class HyperLogLogOps
{
    /// <summary>
    /// PFADD: adds <paramref name="elements"/>, creating the key when missing. <paramref name="changed"/> is true when
    /// the key was created or a register grew (the cached count is then stale). Ok, WrongType, NotHyperLogLog or Corrupted.
    /// </summary>
    public static Status Add<T>(Database db, ReadOnlySpan<byte> key, in T elements, out bool changed,
        int sparseMaxBytes = HyperLogLog.SparseMaxBytes) where T : IByteStrings
    {
        changed = false;
        ulong hash = KeyIndex.Hash(key);
        int i = db.LookupWrite(key, hash);
        byte[] hll;
        if (i < 0)
        {
            hll = HyperLogLog.CreateEmpty();
            i = db.Add(key, hash, ValueKind.String, hll, 0);
            changed = true;
        }
        else
        {
            Slot e = db.At(i);
            if (e.Kind != ValueKind.String) return Status.WrongType;
            hll = (byte[])e.Value!;
            if (!HyperLogLog.IsValid(hll)) return Status.NotHyperLogLog;
        }
        int n = elements.Count;
        if (n == 0) return Status.Ok;
        if (hll[4] == HyperLogLog.EncodingDense)
        {
            Span<byte> regs = hll.AsSpan(HyperLogLog.HeaderSize);
            bool grew = false;
            for (int j = 0; j < n; j++)
            {
                int count = HyperLogLog.PatternLength(elements.Get(j), out int index);
                if (count > HyperLogLog.GetDense(regs, index))
                {
                    HyperLogLog.SetDense(regs, index, count);
                    grew = true;
                }
            }
            if (grew) HyperLogLog.InvalidateCache(hll);
            changed |= grew;
            return Status.Ok;
        }
        Span<byte> registers = stackalloc byte[HyperLogLog.Registers];
        if (!HyperLogLog.Decode(hll, registers)) return Status.Corrupted;
        bool sparseGrew = false;
        for (int j = 0; j < n; j++)
        {
            int count = HyperLogLog.PatternLength(elements.Get(j), out int index);
            if (count > registers[index])
            {
                registers[index] = (byte)count;
                sparseGrew = true;
            }
        }
        if (!sparseGrew) return Status.Ok;
        changed = true;
        db.Replace(i, ValueKind.String, HyperLogLog.Build(registers, allowSparse: true, sparseMaxBytes));
        return Status.Ok;
    }

    /// <summary>
    /// PFCOUNT: the estimated cardinality of one HLL (using and refreshing its cached count, in place) or of the
    /// union of several (nothing is modified). Missing keys count as empty. Ok, WrongType, NotHyperLogLog or Corrupted.
    /// </summary>
    public static Status Count<T>(Database db, in T keys, out long count) where T : IByteStrings
    {
        count = 0;
        int n = keys.Count;
        if (n == 1)
        {
            Status s = Find(db, keys.Get(0), out byte[]? hll);
            if (s != Status.Ok) return s == Status.NotFound ? Status.Ok : s;
            if (HyperLogLog.CacheValid(hll!))
            {
                count = HyperLogLog.CachedCount(hll!);
                return Status.Ok;
            }
            count = HyperLogLog.Count(hll!);
            if (count < 0) { count = 0; return Status.Corrupted; }
            HyperLogLog.SetCachedCount(hll!, count);
            return Status.Ok;
        }
        Span<byte> max = stackalloc byte[HyperLogLog.Registers];
        max.Clear();
        Status u = Union(db, keys, max, out _);
        if (u != Status.Ok) return u;
        count = HyperLogLog.Estimate(max);
        return Status.Ok;
    }

    /// <summary>
    /// PFMERGE: stores in <paramref name="dest"/> the register-wise maximum of <paramref name="sources"/> (Redis passes
    /// the destination among them, so an existing destination is part of the union). The result is dense if any input
    /// was dense, else sparse while it fits. Ok, WrongType, NotHyperLogLog or Corrupted (nothing written on error).
    /// </summary>
    public static Status Merge<T>(Database db, ReadOnlySpan<byte> dest, in T sources) where T : IByteStrings
    {
        Span<byte> max = stackalloc byte[HyperLogLog.Registers];
        max.Clear();
        Status s = Union(db, sources, max, out bool anyDense);
        if (s != Status.Ok) return s;
        ulong hash = KeyIndex.Hash(dest);
        int i = db.LookupWrite(dest, hash);
        if (i >= 0)
        {
            Slot e = db.At(i);
            if (e.Kind != ValueKind.String) return Status.WrongType;
            byte[] cur = (byte[])e.Value!;
            if (!HyperLogLog.IsValid(cur)) return Status.NotHyperLogLog;
            if (cur[4] == HyperLogLog.EncodingDense) anyDense = true;
            db.Replace(i, ValueKind.String, HyperLogLog.Build(max, allowSparse: !anyDense));
        }
        else db.Add(dest, hash, ValueKind.String, HyperLogLog.Build(max, allowSparse: !anyDense), 0);
        return Status.Ok;
    }

    /// <summary>Reads the HLL at <paramref name="key"/>: Ok, NotFound, WrongType or NotHyperLogLog.</summary>
    private static Status Find(Database db, ReadOnlySpan<byte> key, out byte[]? hll)
    {
        hll = null;
        Status found = db.ReadString(key, out byte[] s, out _);
        if (found != Status.Ok) return found;
        if (!HyperLogLog.IsValid(s)) return Status.NotHyperLogLog;
        hll = s;
        return Status.Ok;
    }

    /// <summary>Folds every existing key's registers into <paramref name="max"/> (register-wise maximum).</summary>
    private static Status Union<T>(Database db, in T keys, Span<byte> max, out bool anyDense) where T : IByteStrings
    {
        anyDense = false;
        Span<byte> registers = stackalloc byte[HyperLogLog.Registers];
        for (int j = 0; j < keys.Count; j++)
        {
            Status s = Find(db, keys.Get(j), out byte[]? hll);
            if (s == Status.NotFound) continue;
            if (s != Status.Ok) return s;
            if (hll![4] == HyperLogLog.EncodingDense) anyDense = true;
            if (!HyperLogLog.Decode(hll, registers)) return Status.Corrupted;
            for (int r = 0; r < HyperLogLog.Registers; r++)
                if (registers[r] > max[r]) max[r] = registers[r];
        }
        return Status.Ok;
    }
}

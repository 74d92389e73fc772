using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Rdb;

// DUMP and RESTORE as engine operations: a key's value to a payload (RdbPayload.cs) and a payload to a key, with its
// TTL and access data. The caller holds the store lock and has parsed and checked the arguments; Redis's order of
// checks (busy key, then TTL, then the payload's trailer, then its contents) is kept by the command calling
// IsOccupied and RdbPayload.Verify before Restore. A cold key is read from the SSD by the lookup, as for any read.

/// <summary>What <see cref="DumpOps.Restore"/> did to the keyspace.</summary>
public enum RestoreEffect : byte
{
    /// <summary>The key was created from the payload.</summary>
    Created,
    /// <summary>The TTL was already in the past: nothing was created (and nothing was there to delete).</summary>
    ExpiredNothing,
    /// <summary>The TTL was already in the past: the key that REPLACE deleted stays deleted.</summary>
    ExpiredDeleted,
}

/// <summary>DUMP and RESTORE. One public static method per operation; the caller holds the store lock.</summary>
public static class DumpOps
{
    /// <summary>DUMP: the payload of <paramref name="key"/>'s value, or null for a missing key (a read: access data and hit counts).</summary>
    public static byte[]? Dump(Database db, ReadOnlySpan<byte> key, bool compress = true)
    {
        int i = db.LookupRead(key);
        return i < 0 ? null : RdbPayload.Create(db.At(i).Value!, compress);
    }

    /// <summary>Whether <paramref name="key"/> holds a live value (RESTORE's busy-key test; touches nothing).</summary>
    public static bool IsOccupied(Database db, ReadOnlySpan<byte> key) => db.Lookup(key, KeyIndex.Hash(key)) >= 0;

    /// <summary>
    /// RESTORE of a verified <paramref name="payload"/> (<see cref="RdbPayload.Verify"/>) as <paramref name="key"/>
    /// with absolute expiry <paramref name="expireAtMs"/> (0: none). Ok with the <paramref name="effect"/>;
    /// ConditionNotMet when the key exists and not <paramref name="replace"/>; Corrupted when the payload is not a valid
    /// object. <paramref name="idleSeconds"/> and <paramref name="freq"/> (-1: not given) set the key's idle time and
    /// LFU counter.
    /// </summary>
    public static Status Restore(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload, long expireAtMs, bool replace,
        long idleSeconds, int freq, out RestoreEffect effect)
    {
        effect = RestoreEffect.ExpiredNothing;
        ulong hash = KeyIndex.Hash(key);
        int i = db.LookupWrite(key, hash);
        if (i >= 0 && !replace) return Status.ConditionNotMet;
        if (!RdbPayload.TryDecode(payload, out ValueKind kind, out object? value)) return Status.Corrupted;
        if (i >= 0) db.Delete(i);
        if (expireAtMs != 0 && expireAtMs <= db.Store.Clock.NowMs)
        {
            effect = i >= 0 ? RestoreEffect.ExpiredDeleted : RestoreEffect.ExpiredNothing;
            return Status.Ok;
        }
        Insert(db, key.ToArray(), hash, kind, value!, expireAtMs, idleSeconds, freq);
        effect = RestoreEffect.Created;
        return Status.Ok;
    }

    /// <summary>
    /// Adds decoded <paramref name="value"/> as the absent <paramref name="key"/> (the array is kept) with its expiry
    /// and access data (<paramref name="idleSeconds"/>, <paramref name="freq"/>: -1 when not given): RESTORE's last
    /// step and the RDB loader's (RdbLoader.cs). The caller holds the store lock.
    /// </summary>
    internal static void Insert(Database db, byte[] key, ulong hash, ValueKind kind, object value, long expireAtMs,
        long idleSeconds, int freq)
    {
        int k = db.AddOwned(key, hash, kind, value, expireAtMs);
        Slot e = db.At(k);
        if (freq >= 0) e.Lfu = (byte)freq;
        if (idleSeconds >= 0)
        {
            uint now = db.Store.Clock.Seconds;
            e.AccessSec = idleSeconds >= now ? 0 : now - (uint)idleSeconds;
        }
    }
}

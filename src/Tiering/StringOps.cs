using Tiered.Tiering.Hot;

namespace Tiered.Tiering;

/// <summary>When SET may write.</summary>
public enum SetCondition : byte
{
    /// <summary>Always.</summary>
    Always,
    /// <summary>Only if the key does not exist (NX).</summary>
    IfAbsent,
    /// <summary>Only if the key exists (XX).</summary>
    IfPresent,
}

/// <summary>
/// String operations (GET, SET and friends). Each method is one atomic engine call; the caller holds the store lock.
/// A string value is stored as an exact-length byte[]; an overwrite with a value of the same length is copied in
/// place, so a steady SET workload allocates nothing.
/// </summary>
public static class StringOps
{
    /// <summary>GET: the value of a string key. Ok, NotFound or WrongType.</summary>
    public static Status Get(Database db, ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        int i = db.LookupRead(key);
        if (i < 0) { value = default; return Status.NotFound; }
        ref Entry e = ref db.At(i);
        if (e.Kind != ValueKind.String) { value = default; return Status.WrongType; }
        value = (byte[])e.Value!;
        return Status.Ok;
    }

    /// <summary>
    /// SET: stores <paramref name="value"/> under <paramref name="key"/> if <paramref name="condition"/> holds.
    /// <paramref name="expireAt"/> is absolute unix ms (0: none); <paramref name="keepTtl"/> keeps the old TTL instead.
    /// Returns Ok, or ConditionNotMet when NX/XX prevented the write.
    /// </summary>
    public static Status Set(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value,
        SetCondition condition = SetCondition.Always, long expireAt = 0, bool keepTtl = false)
        => Set(db, key, value, condition, expireAt, keepTtl, returnOld: false, out _);

    /// <summary>
    /// SET with the GET option: like <see cref="Set(Database, ReadOnlySpan{byte}, ReadOnlySpan{byte}, SetCondition, long, bool)"/>,
    /// and <paramref name="old"/> receives the previous string value (null if none). Returns WrongType, without
    /// writing, when the key holds another type.
    /// </summary>
    public static Status Set(Database db, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value,
        SetCondition condition, long expireAt, bool keepTtl, bool returnOld, out byte[]? old)
    {
        old = null;
        ulong hash = KeyIndex.Hash(key);
        int i = db.LookupWrite(key, hash);
        if (i >= 0)
        {
            ref Entry e = ref db.At(i);
            if (returnOld)
            {
                if (e.Kind != ValueKind.String) return Status.WrongType;
                old = (byte[])e.Value!;
            }
            if (condition == SetCondition.IfAbsent) return Status.ConditionNotMet;
            if (!returnOld && e.Kind == ValueKind.String && e.Value is byte[] cur && cur.Length == value.Length)
                value.CopyTo(cur);
            else
                db.Replace(i, ValueKind.String, value.ToArray());
            if (!keepTtl) db.SetExpire(i, expireAt);
            return Status.Ok;
        }
        if (condition == SetCondition.IfPresent) return Status.ConditionNotMet;
        db.Add(key, hash, ValueKind.String, value.ToArray(), expireAt);
        return Status.Ok;
    }
}

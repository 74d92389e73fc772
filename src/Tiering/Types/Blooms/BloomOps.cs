using Tiered.Tiering.Engine;

namespace Tiered.Tiering.Types.Blooms;

/// <summary>
/// Bloom filter operations (RedisBloom's BF.* commands) over <see cref="BloomValue"/>. One public static method per
/// operation; the caller holds the store lock and has validated the arguments (error rate in (0,1), capacity and
/// expansion at least 1). A filter created implicitly by BF.ADD / BF.MADD uses RedisBloom's defaults.
/// </summary>
public static class BloomOps
{
    /// <summary>RedisBloom's default error rate for an implicitly created filter.</summary>
    public const double DefaultError = 0.01;
    /// <summary>RedisBloom's default capacity for an implicitly created filter.</summary>
    public const long DefaultCapacity = 100;
    /// <summary>RedisBloom's default expansion.</summary>
    public const int DefaultExpansion = 2;

    /// <summary>
    /// BF.RESERVE: creates an empty filter. Ok, ConditionNotMet when a filter exists there, WrongType, or TooLarge when
    /// the filter's bit array could not be allocated as one array.
    /// </summary>
    public static Status Reserve(Database db, ReadOnlySpan<byte> key, double error, long capacity, int expansion, bool nonScaling)
    {
        Status s = db.ReadObject(key, ValueKind.Bloom, out BloomValue? existing);
        if (s == Status.WrongType) return s;
        if (existing != null) return Status.ConditionNotMet;
        BloomLayer? first = BloomLayer.TryCreate(capacity, error);
        if (first is null) return Status.TooLarge;
        s = db.WriteObject(key, ValueKind.Bloom, () => new BloomValue(first, expansion, nonScaling), out BloomValue? _, out bool created);
        if (s == Status.Ok && !created) return Status.ConditionNotMet;
        return s;
    }

    /// <summary>
    /// BF.ADD / BF.MADD: adds each item, creating a default filter when the key is missing. <paramref name="results"/>[i]
    /// is 1 (added), 0 (probably present already) or -1 (non-scaling filter full). Ok or WrongType.
    /// </summary>
    public static Status Add<T>(Database db, ReadOnlySpan<byte> key, in T items, Span<int> results) where T : IByteStrings
    {
        Status s = db.WriteObject(key, ValueKind.Bloom, CreateDefault, out BloomValue? bf, out _);
        if (s != Status.Ok) return s;
        for (int i = 0; i < items.Count; i++) results[i] = bf!.Add(items.Get(i));
        db.Updated(key, bf!);
        return Status.Ok;
    }

    private static BloomValue CreateDefault() => new(DefaultError, DefaultCapacity, DefaultExpansion, nonScaling: false);

    /// <summary>
    /// BF.EXISTS / BF.MEXISTS: <paramref name="results"/>[i] is true if item i may be in the filter (false for a
    /// missing key). Ok, NotFound or WrongType.
    /// </summary>
    public static Status Exists<T>(Database db, ReadOnlySpan<byte> key, in T items, Span<bool> results) where T : IByteStrings
    {
        Status s = db.ReadObject(key, ValueKind.Bloom, out BloomValue? bf);
        if (s == Status.WrongType) return s;
        for (int i = 0; i < items.Count; i++) results[i] = bf != null && bf.Contains(items.Get(i));
        return s;
    }

    /// <summary>BF.INFO / BF.CARD: the filter for inspection. Ok, NotFound or WrongType.</summary>
    public static Status Get(Database db, ReadOnlySpan<byte> key, out BloomValue? filter)
        => db.ReadObject(key, ValueKind.Bloom, out filter);
}

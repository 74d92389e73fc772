namespace Tiered.Tiering.Base;

/// <summary>
/// What an engine operation did. The engine never speaks RESP: the server maps each status to a reply
/// (for example <see cref="WrongType"/> becomes Redis's WRONGTYPE error).
/// </summary>
public enum Status : byte
{
    /// <summary>The operation happened.</summary>
    Ok,
    /// <summary>The key does not exist (or has expired).</summary>
    NotFound,
    /// <summary>The key holds a value of another type than the operation needs.</summary>
    WrongType,
    /// <summary>A condition (NX, XX, GT, LT...) was not met, so nothing changed.</summary>
    ConditionNotMet,
    /// <summary>The stored value is not an integer, or the result does not fit one.</summary>
    NotInteger,
    /// <summary>The stored value is not a valid float.</summary>
    NotFloat,
    /// <summary>An increment would overflow a 64-bit integer.</summary>
    Overflow,
    /// <summary>The result would be NaN or infinite.</summary>
    NanOrInfinity,
    /// <summary>The result would exceed the maximum string size (proto-max-bulk-len).</summary>
    TooLarge,
    /// <summary>Out of memory under the configured policy: the write was refused.</summary>
    OutOfMemory,
    /// <summary>The key holds a string that is not a HyperLogLog (Redis's "Key is not a valid HyperLogLog string value").</summary>
    NotHyperLogLog,
    /// <summary>
    /// DRAM is over its hard limit and the SSD tier is still moving values out: run the command again once
    /// <see cref="Movement.Demoter.WhenRoundDone"/> completes.
    /// </summary>
    Busy,
    /// <summary>The stored value is structurally corrupt (Redis's INVALIDOBJ).</summary>
    Corrupted,
}

/// <summary>The type of value a key holds. The numbers are part of the persisted format: never renumber.</summary>
public enum ValueKind : byte
{
    None = 0,
    String = 1,
    List = 2,
    Set = 3,
    ZSet = 4,
    Hash = 5,
    Stream = 6,
    Bloom = 7,
}

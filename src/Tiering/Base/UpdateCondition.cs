namespace Tiered.Tiering.Base;

/// <summary>
/// The NX / XX / GT / LT options of a write that may change an existing value (ZADD's score, EXPIRE's TTL): XX may be
/// combined with GT or LT; what "exists" and "greater" mean is the command's (a member, a TTL; no TTL counts as
/// infinite for EXPIRE).
/// </summary>
[Flags]
public enum UpdateCondition : byte
{
    None = 0,
    /// <summary>Only when there is nothing yet (a new member; a key without a TTL).</summary>
    Nx = 1,
    /// <summary>Only when there is something already.</summary>
    Xx = 2,
    /// <summary>Only when the new value is greater than the current one.</summary>
    Gt = 4,
    /// <summary>Only when the new value is less than the current one.</summary>
    Lt = 8,
}

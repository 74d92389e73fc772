namespace Tiered.Tiering.Base;

// What the engine core and the commands may ask of any value without knowing its type. Every collection type
// implements them through ValueObject; strings are byte[] and handled directly.

/// <summary>A value object (list, hash, ...) that knows its own DRAM footprint.</summary>
public interface ISizedValue
{
    long SizeBytes { get; }
}

/// <summary>A non-string value that can be deep-copied (COPY). Strings are byte[] and copied directly.</summary>
public interface ICopyableValue
{
    /// <summary>An independent copy: changing one must not change the other.</summary>
    object DeepCopy();
}

/// <summary>A non-string value that reports its OBJECT ENCODING (listpack, hashtable, ...).</summary>
public interface IEncodedValue
{
    /// <summary>The encoding name in Redis's spelling, ASCII.</summary>
    string Encoding { get; }
}

/// <summary>
/// A set value that the sorted-set algebra (ZUNIONSTORE and friends) can read: Redis lets a plain set take part,
/// each member counting with score 1. The set type implements it.
/// </summary>
public interface IReadableSet
{
    /// <summary>Number of members.</summary>
    long Count { get; }

    /// <summary>True if <paramref name="member"/> is in the set.</summary>
    bool Contains(ReadOnlySpan<byte> member);

    /// <summary>Appends every member to <paramref name="into"/> (the arrays may be shared; they are not mutated).</summary>
    void CopyMembersTo(List<byte[]> into);
}

/// <summary>A collection whose members can be removed one by one (hash fields, set and sorted-set members).</summary>
public interface IRemovableMembers
{
    /// <summary>Removes <paramref name="member"/>; false if absent.</summary>
    bool Remove(ReadOnlySpan<byte> member);
}

namespace Tiered.Tiering.Base;

/// <summary>
/// A read-only list of byte strings (members, fields, keys) that an engine call reads without copying, typically a
/// struct over a slice of the command's arguments.
/// </summary>
public interface IByteStrings
{
    /// <summary>Number of strings.</summary>
    int Count { get; }

    /// <summary>String <paramref name="i"/>.</summary>
    ReadOnlySpan<byte> Get(int i);
}

/// <summary>An <see cref="IByteStrings"/> over an array of byte arrays (tests, replay, internal callers).</summary>
public readonly struct ByteArrays(byte[][] items) : IByteStrings
{
    public int Count => items.Length;

    public ReadOnlySpan<byte> Get(int i) => items[i];
}

/// <summary>Key/value pairs (MSET, MSETNX, HSET), read without copying (a struct over the command's arguments).</summary>
public interface IKeyValuePairs
{
    /// <summary>Number of pairs.</summary>
    int PairCount { get; }

    /// <summary>The key of pair <paramref name="i"/>.</summary>
    ReadOnlySpan<byte> Key(int i);

    /// <summary>The value of pair <paramref name="i"/>.</summary>
    ReadOnlySpan<byte> Value(int i);
}

using System.IO.Hashing;
using System.Security.Cryptography;

namespace Tiered.Tiering.Base;

/// <summary>
/// Equality and hashing of binary-safe byte strings, for the collections inside hash, set and sorted set values.
///
/// Why: members arrive as <see cref="ReadOnlySpan{T}"/> slices of the command's arguments. A
/// <c>Dictionary&lt;byte[], T&gt;</c> built with this comparer can be probed through
/// <c>dict.GetAlternateLookup&lt;ReadOnlySpan&lt;byte&gt;&gt;()</c> without copying the span into an array first:
/// only an insert allocates (through <see cref="Create"/>), a lookup or removal never does.
///
/// The hash is XXH3 with a seed drawn once per process, so a client cannot precompute members that all land in one
/// bucket (.NET's randomized string hashing does not help byte[] keys). The seed only changes bucket placement;
/// nothing persisted depends on it.
///
/// Shared state rule: stateless apart from the immutable seed; safe from any thread.
/// </summary>
public sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    /// <summary>The one instance.</summary>
    public static readonly ByteArrayComparer Instance = new();

    private static readonly long Seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    private ByteArrayComparer() { }

    /// <summary>The seeded 32-bit hash of <paramref name="bytes"/>.</summary>
    public static int Hash(ReadOnlySpan<byte> bytes)
    {
        ulong h = XxHash3.HashToUInt64(bytes, Seed);
        return (int)h ^ (int)(h >> 32);
    }

    public bool Equals(byte[]? x, byte[]? y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null) return false;
        return x.AsSpan().SequenceEqual(y);
    }

    public int GetHashCode(byte[] obj) => Hash(obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}

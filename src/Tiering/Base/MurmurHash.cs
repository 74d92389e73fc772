namespace Tiered.Tiering.Base;

/// <summary>
/// MurmurHash64A (Austin Appleby's public-domain 64-bit MurmurHash2), the element hash Redis uses for HyperLogLog
/// and the Bloom filters use for their two probe hashes.
/// </summary>
public static class MurmurHash
{
    /// <summary>MurmurHash64A (64-bit MurmurHash2), little-endian word reads, as Redis uses.</summary>
    public static ulong Hash64A(ReadOnlySpan<byte> data, ulong seed)
    {
        const ulong m = 0xc6a4a7935bd1e995;
        const int r = 47;
        ulong h = seed ^ ((ulong)data.Length * m);
        int words = data.Length >> 3;
        for (int i = 0; i < words; i++)
        {
            ulong k = BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i * 8, 8));
            k *= m;
            k ^= k >> r;
            k *= m;
            h ^= k;
            h *= m;
        }
        ReadOnlySpan<byte> tail = data[(words * 8)..];
        if (tail.Length > 0)
        {
            for (int i = tail.Length - 1; i >= 0; i--) h ^= (ulong)tail[i] << (8 * i);
            h *= m;
        }
        h ^= h >> r;
        h *= m;
        h ^= h >> r;
        return h;
    }
}

using Tiered.LoadGen.Keys;

namespace Tiered.LoadGen;

/// <summary>
/// Makes SET values that are honest for a compressing store: half random bytes, half repetitive text, interleaved
/// in 16-byte chunks so that any prefix (values of a size range are prefixes of pool entries) is also about half
/// random. A fixed pool is built once and shared read-only by all connections; picking a value allocates nothing.
/// </summary>
public sealed class ValueGenerator
{
    /// <summary>Length of each random run and of each text run.</summary>
    public const int ChunkSize = 16;

    private static readonly byte[] Text = "tiered loadgen value, the quick brown fox jumps over the lazy dog. "u8.ToArray();

    private readonly byte[][] _pool;
    private readonly ValueSize _size;

    public ValueGenerator(ValueSize size, ulong seed, long maxPoolBytes = 64L * 1024 * 1024)
    {
        _size = size;
        int count = (int)Math.Clamp(maxPoolBytes / size.Max, 4, 256);
        var rng = new SplitMix64(seed ^ 0x5A17C0FFEEUL);
        _pool = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            var v = new byte[size.Max];
            Fill(v, ref rng, i);
            _pool[i] = v;
        }
    }

    public int MaxLength => _size.Max;

    /// <summary>A value whose length follows the size option; valid until the generator is dropped (do not modify).</summary>
    public ReadOnlySpan<byte> Next(ref SplitMix64 rng)
    {
        byte[] v = _pool[rng.NextLong(_pool.Length)];
        int len = _size.IsFixed ? _size.Max : _size.Min + (int)rng.NextLong(_size.Max - _size.Min + 1);
        return v.AsSpan(0, len);
    }

    /// <summary>True when byte <paramref name="position"/> of a value lies in a text chunk (the others are random).</summary>
    public static bool IsTextPosition(int position) => (position / ChunkSize) % 2 == 1;

    private static void Fill(byte[] v, ref SplitMix64 rng, int index)
    {
        int textPos = index * 7; // vary the text phase per value so values do not share long identical runs
        for (int i = 0; i < v.Length; i++)
        {
            if (IsTextPosition(i))
            {
                v[i] = Text[textPos % Text.Length];
                textPos++;
            }
            else
            {
                v[i] = (byte)rng.NextUInt64();
            }
        }
    }
}

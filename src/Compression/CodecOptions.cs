using K4os.Compression.LZ4;

namespace Tiered.Compression;

/// <summary>
/// Settings of <see cref="ValueCodec.Encode"/>. Defaults live here, in code; each setting says what it changes.
/// Immutable once built (init-only), so one instance can be shared by every thread; invalid values throw when set.
/// Decoding needs no options: the encoded value says how it was stored.
/// </summary>
public sealed class CodecOptions
{
    /// <summary>The defaults: values of 64 bytes and more, LZ4 fast level, kept compressed only if at least 1/8 smaller.</summary>
    public static CodecOptions Default { get; } = new();

    private readonly int _minCompressSize = 64;
    private readonly double _requiredSaving = 0.125;

    /// <summary>
    /// Values shorter than this many bytes are stored raw without trying LZ4. Default 64: below that, LZ4's
    /// token/offset overhead leaves little to win and the attempt costs more than it saves. 0 tries every value.
    /// </summary>
    public int MinCompressSize
    {
        get => _minCompressSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _minCompressSize = value;
        }
    }

    /// <summary>
    /// LZ4 level. Default <see cref="LZ4Level.L00_FAST"/> (plain LZ4, hundreds of MB/s per core); the HC levels
    /// compress a little smaller at several times the CPU cost. Decoding speed is the same for every level.
    /// </summary>
    public LZ4Level Level { get; init; } = LZ4Level.L00_FAST;

    /// <summary>
    /// Fraction of the value's size that LZ4 must save for the compressed form to be kept, in [0, 1). Default 0.125
    /// (1/8): a smaller gain is not worth a decompression on every cold read. At least one byte must always be saved.
    /// </summary>
    public double RequiredSaving
    {
        get => _requiredSaving;
        init
        {
            if (!(value >= 0 && value < 1)) throw new ArgumentOutOfRangeException(nameof(value), value, "Must be in [0, 1).");
            _requiredSaving = value;
        }
    }

    /// <summary>Largest LZ4 block accepted for a value of <paramref name="length"/> bytes (length minus the required saving).</summary>
    internal int MaxCompressedLength(int length)
    {
        long saving = (long)Math.Ceiling(length * _requiredSaving);
        return (int)(length - Math.Max(1, saving));
    }
}

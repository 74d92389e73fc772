namespace Tiered.Tiering.Base;

/// <summary>Estimated DRAM bytes of entries and values, for the memory budget and INFO memory.</summary>
internal static class MemoryOf
{
    /// <summary>Array header of a byte[] on 64-bit .NET.</summary>
    public const int ArrayOverhead = 24;

    /// <summary>A hot key: its index entry (24 B), hot item (32 B), bucket share (4 B) and the key array.</summary>
    public static long HotEntry(int keyLength) => 60 + ArrayOverhead + keyLength;

    public static long Value(object? value) => value switch
    {
        null => 0,
        byte[] b => ArrayOverhead + b.Length,
        ValueObject o => o.AccountedBytes != 0 ? o.AccountedBytes : (o.AccountedBytes = o.SizeBytes),
        ISizedValue s => s.SizeBytes,
        _ => 64,
    };
}

using System.Text;

namespace Tiered.Benchmarks;

/// <summary>Test data shared by the benchmarks.</summary>
internal static class Workload
{
    /// <summary>Like the workload's values: the first half random bytes, the second half a repeated phrase.</summary>
    public static byte[] HalfRandom(int length, int seed)
    {
        var value = new byte[length];
        new Random(seed).NextBytes(value.AsSpan(0, length / 2));
        byte[] text = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog; ");
        for (int i = length / 2; i < length; i++) value[i] = text[i % text.Length];
        return value;
    }

    /// <summary>The key of entry <paramref name="i"/>: "key:" and 7 digits, 11 bytes.</summary>
    public static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key:{i:D7}");
}

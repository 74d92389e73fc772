using System.Text;
using Tiered.Tiering.Rdb;

namespace Tiered.Tiering.Tests.Rdb;

/// <summary>
/// Lzf's hash table is reused across calls without clearing (stamped slots): what a call compresses must not depend
/// on what the thread compressed before, and must decompress back.
/// </summary>
public sealed class LzfTests
{
    private static byte[][] Inputs()
    {
        var rnd = new Random(5);
        byte[] noise = new byte[5000];
        rnd.NextBytes(noise);
        byte[] mixed = new byte[40_000];
        for (int i = 0; i < mixed.Length; i++) mixed[i] = (byte)(i % 97 < 50 ? 'a' + i % 7 : rnd.Next(256));
        return
        [
            Encoding.ASCII.GetBytes("value-1" + new string('v', 40)),
            Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789abcdef", 4000))),
            Encoding.ASCII.GetBytes("abcabcabcabcabcabcabcabcabcabcabc"),
            noise,
            mixed,
            Encoding.ASCII.GetBytes(new string('x', 21)),
        ];
    }

    private static byte[]? OnFreshThread(byte[] input)
    {
        byte[]? result = null;
        var t = new Thread(() => result = Lzf.Compress(input, input.Length - 4));
        t.Start();
        t.Join();
        return result;
    }

    [Fact]
    public void OutputDoesNotDependOnEarlierCallsOnTheThread()
    {
        byte[][] inputs = Inputs();
        var fresh = new byte[]?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) fresh[i] = OnFreshThread(inputs[i]);
        Assert.Null(fresh[3]);   // random bytes do not compress
        for (int round = 0; round < 3; round++)
            for (int k = 0; k < inputs.Length; k++)
            {
                int i = (k * 5 + round) % inputs.Length;   // a different order each round
                byte[]? again = Lzf.Compress(inputs[i], inputs[i].Length - 4);
                Assert.Equal(fresh[i], again);
                if (again != null) Assert.Equal(inputs[i], Lzf.Decompress(again, inputs[i].Length));
            }
    }
}

using K4os.Compression.LZ4;

namespace Tiered.Compression.Tests;

/// <summary>The fast-level encoder (liblz4 with a reused per-thread table) writes standalone blocks K4os decodes.</summary>
public class Lz4BlockTests
{
    [Fact]
    public void LiblzIsUsedOnLinuxWhereThePackageIsInstalled()
    {
        // .ci/run installs liblz4-1; without it the managed encoder would silently cost ~10x per small value.
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/lib/x86_64-linux-gnu/liblz4.so.1")) return;
        Assert.True(Lz4Block.Native);
    }

    [Fact]
    public void ConsecutiveBlocksOnOneThreadEachDecodeAlone()
    {
        // The reused table holds positions of the previous values; a block that referred to them would decode to
        // garbage (or fail) on its own. Values that repeat each other make such matches tempting.
        var blocks = new List<(byte[] Value, byte[] Block)>();
        for (int i = 0; i < 200; i++)
        {
            byte[] value = ValueCodecTests.HalfRandom(64 + i * 37 % 3000, seed: i % 7);
            var dest = new byte[value.Length + value.Length / 255 + 16];   // LZ4's worst case: always fits
            int n = Lz4Block.Encode(value, dest);
            Assert.True(n > 0, $"value {i} ({value.Length} B) was not encoded");
            blocks.Add((value, dest.AsSpan(0, n).ToArray()));
        }
        foreach ((byte[] value, byte[] block) in blocks)
        {
            var back = new byte[value.Length];
            Assert.Equal(value.Length, LZ4Codec.Decode(block, back));
            Assert.Equal(value, back);
        }
    }

    [Fact]
    public void BlocksFromManyThreadsDecode()
    {
        byte[][] values = Enumerable.Range(0, 64).Select(i => ValueCodecTests.HalfRandom(100 + i * 50, i)).ToArray();
        var blocks = new byte[values.Length][];
        Parallel.For(0, values.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            for (int round = 0; round < 50; round++)
            {
                var dest = new byte[values[i].Length * 2 + 16];
                int n = Lz4Block.Encode(values[i], dest);
                blocks[i] = dest.AsSpan(0, n).ToArray();
            }
        });
        for (int i = 0; i < values.Length; i++)
        {
            var back = new byte[values[i].Length];
            Assert.Equal(values[i].Length, LZ4Codec.Decode(blocks[i], back));
            Assert.Equal(values[i], back);
        }
    }

    [Fact]
    public void ABlockThatDoesNotFitReturnsZero()
    {
        byte[] random = new byte[1000];
        new Random(3).NextBytes(random);
        Assert.Equal(0, Lz4Block.Encode(random, new byte[900]));
    }
}

using System.IO.Compression;
using System.Text;
using Tiered.LoadGen.Keys;
using Tiered.LoadGen.Resp;

namespace Tiered.LoadGen.Tests;

/// <summary>Generated values (half random, half text) and the exact RESP bytes of generated requests.</summary>
public class ValueAndRequestTests
{
    [Fact]
    public void Values_are_half_random_bytes_and_half_repetitive_text()
    {
        var gen = new ValueGenerator(new ValueSize(1000, 1000), seed: 9);
        var rng = new SplitMix64(1);
        byte[] v = gen.Next(ref rng).ToArray();
        Assert.Equal(1000, v.Length);
        var text = new List<byte>();
        var random = new List<byte>();
        for (int i = 0; i < v.Length; i++)
            (ValueGenerator.IsTextPosition(i) ? text : random).Add(v[i]);
        Assert.InRange(text.Count, 480, 520);
        Assert.All(text, b => Assert.True(b is >= 0x20 and < 0x7f, "text chunks are printable"));
        Assert.True(random.Distinct().Count() > 200, "random chunks use the whole byte range");
        Assert.Contains("quick brown", Encoding.ASCII.GetString(text.ToArray()));
    }

    [Fact]
    public void Values_compress_to_roughly_half()
    {
        var gen = new ValueGenerator(new ValueSize(4096, 4096), seed: 3);
        var rng = new SplitMix64(2);
        using var all = new MemoryStream();
        for (int i = 0; i < 16; i++)
            all.Write(gen.Next(ref rng));
        using var packed = new MemoryStream();
        using (var z = new DeflateStream(packed, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(all.ToArray());
        double ratio = (double)packed.Length / all.Length;
        Assert.InRange(ratio, 0.5, 0.75); // random half stays, text half mostly disappears
    }

    [Fact]
    public void Size_range_gives_lengths_within_the_range_and_varied()
    {
        var gen = new ValueGenerator(ValueSize.Parse("512-2048"), seed: 3);
        var rng = new SplitMix64(4);
        int[] lengths = Enumerable.Range(0, 1000).Select(_ => gen.Next(ref rng).Length).ToArray();
        Assert.All(lengths, l => Assert.InRange(l, 512, 2048));
        Assert.True(lengths.Distinct().Count() > 500);
    }

    [Theory]
    [InlineData("100", 100, 100)]
    [InlineData("512-2048", 512, 2048)]
    [InlineData("1k-4k", 1024, 4096)]
    public void Value_size_parses(string text, int min, int max) =>
        Assert.Equal(new ValueSize(min, max), ValueSize.Parse(text));

    [Fact]
    public void Get_and_set_requests_are_exact_resp_with_zero_padded_keys()
    {
        var w = new RequestWriter("key:", 100_000);
        byte[] buf = new byte[256];
        int n = w.WriteGet(buf, 42);
        Assert.Equal("*2\r\n$3\r\nGET\r\n$9\r\nkey:00042\r\n", Encoding.ASCII.GetString(buf, 0, n));
        Assert.Equal(n, w.GetLength);
        n = w.WriteSet(buf, 99_999, "hello"u8);
        Assert.Equal("*3\r\n$3\r\nSET\r\n$9\r\nkey:99999\r\n$5\r\nhello\r\n", Encoding.ASCII.GetString(buf, 0, n));
        Assert.True(n <= w.MaxSetLength(5));
        Assert.Equal("key:00007", w.KeyName(7));
    }
}

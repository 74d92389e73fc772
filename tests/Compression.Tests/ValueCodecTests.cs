using System.Text;
using K4os.Compression.LZ4;

namespace Tiered.Compression.Tests;

public class ValueCodecTests
{
    /// <summary>Like the workload: the first half random bytes, the second half a repeated English phrase.</summary>
    internal static byte[] HalfRandom(int length, int seed)
    {
        var value = new byte[length];
        new Random(seed).NextBytes(value.AsSpan(0, length / 2));
        byte[] text = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog; ");
        for (int i = length / 2; i < length; i++) value[i] = text[i % text.Length];
        return value;
    }

    private static byte[] Random(int length, int seed)
    {
        var value = new byte[length];
        new Random(seed).NextBytes(value);
        return value;
    }

    private static byte[] Repeated(int length)
    {
        byte[] text = Encoding.ASCII.GetBytes("user:1234 session=abcdef ");
        var value = new byte[length];
        for (int i = 0; i < length; i++) value[i] = text[i % text.Length];
        return value;
    }

    private static byte[] EncodeToArray(ReadOnlySpan<byte> value, CodecOptions? options = null)
    {
        var buffer = new byte[ValueCodec.MaxEncodedLength(value.Length)];
        int n = ValueCodec.Encode(value, buffer, options);
        return buffer.AsSpan(0, n).ToArray();
    }

    private static byte[] Decode(byte[] encoded)
    {
        int length = ValueCodec.DecodedLength(encoded);
        Assert.True(length >= 0, "header should be valid");
        var dest = new byte[length];
        Assert.True(ValueCodec.TryDecode(encoded, dest, out int written));
        Assert.Equal(length, written);
        return dest;
    }

    public static TheoryData<string, int> RoundTripCases => new()
    {
        { "empty", 0 },
        { "one byte", 1 },
        { "one below min size", 63 },
        { "min size", 64 },
        { "one above min size", 65 },
        { "1 KB half random", 1024 },
        { "1 MB half random", 1024 * 1024 },
    };

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Round_trip_returns_the_original_bytes(string name, int length)
    {
        byte[] value = HalfRandom(length, seed: length);
        byte[] encoded = EncodeToArray(value);
        Assert.True(encoded.Length <= ValueCodec.MaxEncodedLength(length), name);
        Assert.Equal(value, Decode(encoded));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1024)]
    public void Round_trip_of_repetitive_values_returns_the_original_bytes(int length)
    {
        byte[] value = Repeated(length);
        Assert.Equal(value, Decode(EncodeToArray(value)));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(63, 2)]
    [InlineData(127, 2)]
    [InlineData(128, 3)]
    [InlineData(16_383, 3)]
    [InlineData(16_384, 4)]
    [InlineData(1 << 21, 5)]
    [InlineData(1 << 28, 6)]
    [InlineData(int.MaxValue - ValueCodec.MaxHeaderLength, 6)]
    public void MaxEncodedLength_is_the_value_plus_id_byte_and_varint(int length, int overhead)
        => Assert.Equal(length + overhead, ValueCodec.MaxEncodedLength(length));

    [Fact]
    public void MaxEncodedLength_rejects_negative_and_oversized_lengths()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ValueCodec.MaxEncodedLength(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ValueCodec.MaxEncodedLength(int.MaxValue));
    }

    [Fact]
    public void Raw_layout_is_id_zero_then_varint_length_then_the_bytes()
    {
        byte[] value = Random(300, seed: 1);
        byte[] encoded = EncodeToArray(value);
        Assert.Equal([0x00, 0xAC, 0x02], encoded[..3]);
        Assert.Equal(value, encoded[3..]);
    }

    [Fact]
    public void Compressible_value_shrinks_by_at_least_the_required_saving()
    {
        byte[] value = Repeated(1024);
        byte[] encoded = EncodeToArray(value);
        Assert.Equal(ValueCodec.Lz4Id, encoded[0]);
        Assert.True(encoded.Length <= 1024 - 1024 / 8 + ValueCodec.MaxHeaderLength, $"encoded {encoded.Length} bytes");
        Assert.True(encoded.Length < 200, $"repetitive text should compress far better, got {encoded.Length}");
    }

    [Fact]
    public void Half_random_1KB_value_is_stored_compressed()
    {
        byte[] encoded = EncodeToArray(HalfRandom(1024, seed: 7));
        Assert.Equal(ValueCodec.Lz4Id, encoded[0]);
        Assert.True(encoded.Length < 1024 - 1024 / 8, $"encoded {encoded.Length} bytes");
    }

    [Theory]
    [InlineData(64)]
    [InlineData(1024)]
    [InlineData(1024 * 1024)]
    public void Incompressible_random_value_is_stored_raw(int length)
    {
        byte[] value = Random(length, seed: length);
        byte[] encoded = EncodeToArray(value);
        Assert.Equal(ValueCodec.RawId, encoded[0]);
        Assert.Equal(ValueCodec.MaxEncodedLength(length), encoded.Length);
        Assert.Equal(value, Decode(encoded));
    }

    [Fact]
    public void Value_below_MinCompressSize_is_stored_raw_even_if_compressible()
    {
        byte[] value = Repeated(63);
        Assert.Equal(ValueCodec.RawId, EncodeToArray(value)[0]);
        Assert.Equal(ValueCodec.Lz4Id, EncodeToArray(Repeated(64))[0]);
    }

    [Fact]
    public void MinCompressSize_option_moves_the_threshold()
    {
        byte[] value = Repeated(200);
        Assert.Equal(ValueCodec.RawId, EncodeToArray(value, new CodecOptions { MinCompressSize = 201 })[0]);
        Assert.Equal(ValueCodec.Lz4Id, EncodeToArray(Repeated(40), new CodecOptions { MinCompressSize = 0 })[0]);
    }

    [Fact]
    public void Value_whose_saving_is_below_RequiredSaving_is_stored_raw()
    {
        // Half random, half text saves roughly 40%: kept compressed at the default 1/8, raw when 60% is required.
        byte[] value = HalfRandom(4096, seed: 3);
        Assert.Equal(ValueCodec.Lz4Id, EncodeToArray(value)[0]);
        byte[] encoded = EncodeToArray(value, new CodecOptions { RequiredSaving = 0.6 });
        Assert.Equal(ValueCodec.RawId, encoded[0]);
        Assert.Equal(value, Decode(encoded));
    }

    [Fact]
    public void High_compression_level_round_trips_and_is_not_larger_than_fast()
    {
        byte[] value = HalfRandom(16 * 1024, seed: 5);
        byte[] fast = EncodeToArray(value);
        byte[] hc = EncodeToArray(value, new CodecOptions { Level = LZ4Level.L09_HC });
        Assert.True(hc.Length <= fast.Length, $"HC {hc.Length} vs fast {fast.Length}");
        Assert.Equal(value, Decode(hc));
    }

    [Fact]
    public void Options_reject_out_of_range_values()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CodecOptions { MinCompressSize = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CodecOptions { RequiredSaving = -0.1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CodecOptions { RequiredSaving = 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CodecOptions { RequiredSaving = double.NaN });
    }

    [Fact]
    public void Default_options_are_64_bytes_fast_level_one_eighth()
    {
        Assert.Equal(64, CodecOptions.Default.MinCompressSize);
        Assert.Equal(LZ4Level.L00_FAST, CodecOptions.Default.Level);
        Assert.Equal(0.125, CodecOptions.Default.RequiredSaving);
    }

    [Fact]
    public void Encode_throws_when_destination_is_shorter_than_MaxEncodedLength()
    {
        byte[] value = Repeated(100);
        var dest = new byte[ValueCodec.MaxEncodedLength(100) - 1];
        Assert.Throws<ArgumentException>(() => ValueCodec.Encode(value, dest));
    }

    [Fact]
    public void Encode_writes_nothing_past_the_returned_length()
    {
        foreach (byte[] value in new[] { Repeated(1000), Random(1000, seed: 9), HalfRandom(1000, seed: 9) })
        {
            var dest = new byte[ValueCodec.MaxEncodedLength(value.Length) + 32];
            dest.AsSpan().Fill(0xEE);
            int n = ValueCodec.Encode(value, dest);
            Assert.All(dest[n..], b => Assert.Equal(0xEE, b));
        }
    }

    [Fact]
    public void DecodedLength_reads_the_original_length_from_the_header()
    {
        Assert.Equal(0, ValueCodec.DecodedLength(EncodeToArray([])));
        Assert.Equal(1024, ValueCodec.DecodedLength(EncodeToArray(Repeated(1024))));
        Assert.Equal(1024, ValueCodec.DecodedLength(EncodeToArray(Random(1024, seed: 2))));
        Assert.Equal(1 << 20, ValueCodec.DecodedLength(EncodeToArray(HalfRandom(1 << 20, seed: 2))));
    }

    public static TheoryData<string, byte[]> InvalidHeaders => new()
    {
        { "empty input", [] },
        { "unknown codec id", [2, 3, 1, 2, 3] },
        { "id 255", [255, 0] },
        { "missing length", [0] },
        { "truncated varint", [0, 0x80] },
        { "non-minimal varint", [0, 0x81, 0x00, 1] },
        { "varint longer than 5 bytes", [0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01] },
        { "length above int.MaxValue", [0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F] },
        { "raw payload shorter than length", [0, 3, 1, 2] },
        { "raw payload longer than length", [0, 1, 1, 2] },
        { "LZ4 with no payload", [1, 100] },
        { "LZ4 with zero length", [1, 0, 0] },
        { "LZ4 length beyond any possible ratio", [1, 0x80, 0x80, 0x04, 0x1F, 0x00] },
    };

    [Theory]
    [MemberData(nameof(InvalidHeaders))]
    public void Invalid_header_is_rejected_by_DecodedLength_and_TryDecode(string name, byte[] encoded)
    {
        Assert.True(ValueCodec.DecodedLength(encoded) == -1, name);
        var dest = new byte[1 << 20];
        Assert.False(ValueCodec.TryDecode(encoded, dest, out int written), name);
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryDecode_returns_false_when_destination_is_too_small()
    {
        foreach (byte[] encoded in new[] { EncodeToArray(Repeated(1000)), EncodeToArray(Random(1000, seed: 4)) })
        {
            var dest = new byte[1010];
            dest.AsSpan().Fill(0xEE);
            Assert.False(ValueCodec.TryDecode(encoded, dest.AsSpan(0, 999), out int written));
            Assert.Equal(0, written);
            Assert.All(dest[999..], b => Assert.Equal(0xEE, b));
        }
    }

    [Fact]
    public void TryDecode_rejects_every_truncation_of_a_compressed_value()
    {
        byte[] encoded = EncodeToArray(HalfRandom(2048, seed: 11));
        Assert.Equal(ValueCodec.Lz4Id, encoded[0]);
        var dest = new byte[2048 + 64];
        for (int cut = 0; cut < encoded.Length; cut++)
        {
            dest.AsSpan().Fill(0xEE);
            Assert.False(ValueCodec.TryDecode(encoded.AsSpan(0, cut), dest, out int written), $"cut at {cut}");
            Assert.Equal(0, written);
            Assert.All(dest[2048..], b => Assert.Equal(0xEE, b));
        }
    }

    [Fact]
    public void TryDecode_rejects_a_compressed_value_with_extra_trailing_bytes_or_wrong_length()
    {
        byte[] value = HalfRandom(2048, seed: 12);
        byte[] encoded = EncodeToArray(value);
        var dest = new byte[4096];
        Assert.False(ValueCodec.TryDecode([.. encoded, 0, 0, 0], dest, out _));

        // Same block, declared one byte shorter and one byte longer (2048 = 80 10; 2047 = FF 0F; 2049 = 81 10).
        Assert.Equal([0x80, 0x10], encoded[1..3]);
        byte[] shorter = [.. encoded];
        shorter[1] = 0xFF;
        shorter[2] = 0x0F;
        Assert.False(ValueCodec.TryDecode(shorter, dest, out _));
        byte[] longer = [.. encoded];
        longer[1] = 0x81;
        Assert.False(ValueCodec.TryDecode(longer, dest, out _));
    }

    /// <summary>
    /// Random corruption of valid encodings (bit flips, byte overwrites, truncation, insertion, the id byte switched)
    /// and pure garbage: decoding may succeed only with the declared length, never throws and never writes past that
    /// length in a destination sized from the header.
    /// </summary>
    [Fact]
    public void Fuzzed_inputs_never_throw_nor_write_out_of_bounds()
    {
        var rng = new Random(20240601);
        byte[][] originals =
        [
            EncodeToArray(HalfRandom(1024, seed: 1)),
            EncodeToArray(HalfRandom(300, seed: 2)),
            EncodeToArray(Repeated(5000)),
            EncodeToArray(Repeated(64)),
            EncodeToArray(Random(200, seed: 3)),
            EncodeToArray(HalfRandom(10, seed: 4)),
        ];
        Assert.Contains(originals, e => e[0] == ValueCodec.Lz4Id);
        Assert.Contains(originals, e => e[0] == ValueCodec.RawId);

        const int Guard = 64;
        var dest = new byte[16 * 1024 + Guard];
        int accepted = 0, rejected = 0;
        for (int iteration = 0; iteration < 20_000; iteration++)
        {
            byte[] input = Mutate(originals[rng.Next(originals.Length)], rng);
            int declared = ValueCodec.DecodedLength(input);
            int room = declared >= 0 && declared <= 16 * 1024 ? declared : rng.Next(0, 16 * 1024);
            dest.AsSpan().Fill(0xEE);

            bool ok = ValueCodec.TryDecode(input, dest.AsSpan(0, room), out int written);

            Assert.All(dest[room..(room + Guard)], b => Assert.Equal(0xEE, b));
            if (ok)
            {
                accepted++;
                Assert.Equal(declared, written);
            }
            else
            {
                rejected++;
                Assert.Equal(0, written);
            }
        }
        Assert.True(rejected > 10_000, $"only {rejected} of 20000 mutations were rejected");
        Assert.True(accepted > 0, "some mutations (e.g. of raw payload bytes) stay valid");
    }

    private static byte[] Mutate(byte[] original, Random rng)
    {
        byte[] b = [.. original];
        switch (rng.Next(7))
        {
            case 0: // flip a few bits
                for (int k = rng.Next(1, 4); k > 0; k--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 1: // overwrite a few bytes
                for (int k = rng.Next(1, 8); k > 0; k--) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                return b;
            case 2: // truncate
                return b[..rng.Next(b.Length)];
            case 3: // insert bytes
            {
                int at = rng.Next(b.Length + 1);
                var extra = new byte[rng.Next(1, 16)];
                rng.NextBytes(extra);
                return [.. b[..at], .. extra, .. b[at..]];
            }
            case 4: // switch the codec id: raw bytes read as LZ4 and the reverse
                b[0] ^= 1;
                return b;
            case 5: // corrupt the LZ4 tokens / offsets near the start of the payload
                for (int k = rng.Next(1, 4); k > 0; k--) b[Math.Min(b.Length - 1, 2 + rng.Next(16))] = (byte)rng.Next(256);
                return b;
            default: // garbage behind a plausible header
            {
                var g = new byte[rng.Next(1, 512)];
                rng.NextBytes(g);
                g[0] = (byte)rng.Next(2);
                return g;
            }
        }
    }

    [Fact]
    public void Encode_and_decode_on_warm_buffers_allocate_nothing()
    {
        byte[] compressible = HalfRandom(1024, seed: 21);
        byte[] incompressible = Random(1024, seed: 22);
        var encoded = new byte[ValueCodec.MaxEncodedLength(1024)];
        var decoded = new byte[1024];
        var options = new CodecOptions { MinCompressSize = 32 };

        void RunOnce()
        {
            int n = ValueCodec.Encode(compressible, encoded);
            ValueCodec.TryDecode(encoded.AsSpan(0, n), decoded, out _);
            n = ValueCodec.Encode(incompressible, encoded, options);
            ValueCodec.DecodedLength(encoded.AsSpan(0, n));
            ValueCodec.TryDecode(encoded.AsSpan(0, n), decoded, out _);
        }

        for (int i = 0; i < 100; i++) RunOnce(); // JIT and tiering
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) RunOnce();
        long after = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(0, after - before);
        Assert.Equal(incompressible, decoded); // the loop really ran the codec
    }
}

namespace Tiered.Tiering.Types.Blooms;

// Why a scalable Bloom filter, and how it is laid out
// ---------------------------------------------------
// A Bloom filter answers "have I seen x?" with no false negatives and a tunable false-positive rate p, in about
// 1.44 log2(1/p) bits per item, whatever the items' size. For n items and rate p the optimal filter has
//   bits per item  b = -ln(p) / ln(2)^2      (9.59 for p = 1%)
//   hash functions k = ceil(ln(2) * b)        (7 for p = 1%)
// and each item sets k bits chosen by double hashing: position_i = (h1 + i * h2) mod m, where h1 and h2 are two
// independent 64-bit hashes of the item (MurmurHash64A with two seeds). Kirsch and Mitzenmacher showed this keeps
// the asymptotic false-positive rate of k truly independent hashes while hashing the item only twice.
//
// A plain filter's rate degrades once more than n items are added. Like RedisBloom we scale instead: when the
// newest layer holds its capacity, a new layer is appended with capacity * expansion and error * 0.5. Lookups
// check every layer; inserts go to the newest. The tightened errors form a geometric series, so the compound
// false-positive rate stays below p / (1 - 0.5) = 2p however far the filter grows, and memory grows with the data.
// NONSCALING filters refuse inserts once full instead.
//
//   BloomValue
//   +-------------------------------+
//   | expansion, nonscaling, items  |
//   | layers --+                    |
//   +----------|--------------------+
//              v
//   layer 0: capacity n,   error p,    k0 hashes, bits m0 -> ulong[m0/64]  [0100100010...]
//   layer 1: capacity 2n,  error p/2,  k1 hashes, bits m1 -> ulong[m1/64]  [0001000100...]
//   layer 2: capacity 4n,  error p/4,  ...
//
// Bit counts are rounded up to whole 64-bit words. An item is added only if no layer already reports it, so "items
// inserted" counts distinct-looking items, as RedisBloom's does.

/// <summary>One fixed-size layer of a scalable Bloom filter.</summary>
public sealed class BloomLayer
{
    private const double Ln2 = 0.693147180559945309417;
    private const double Ln2Squared = 0.480453013918201424667;

    internal BloomLayer(long capacity, double error, int hashes, long bits, ulong[] words, long count)
    {
        Capacity = capacity;
        Error = error;
        Hashes = hashes;
        Bits = bits;
        Words = words;
        Count = count;
    }

    /// <summary>A new, empty layer sized for <paramref name="capacity"/> items at false-positive rate <paramref name="error"/>.</summary>
    public static BloomLayer Create(long capacity, double error)
        => TryCreate(capacity, error) ?? throw new ArgumentOutOfRangeException(nameof(capacity), "filter too large");

    /// <summary>Like <see cref="Create"/>, or null when the bit array could not be a single .NET array.</summary>
    public static BloomLayer? TryCreate(long capacity, double error)
    {
        double bitsPerItem = -Math.Log(error) / Ln2Squared;
        int hashes = Math.Max(1, (int)Math.Ceiling(Ln2 * bitsPerItem));
        double exact = Math.Ceiling(capacity * bitsPerItem);
        if (!(exact <= (double)Array.MaxLength * 64 - 64) || hashes > 64) return null;
        long bits = Math.Max(64, ((long)exact + 63) & ~63L);
        return new BloomLayer(capacity, error, hashes, bits, new ulong[bits >> 6], 0);
    }

    /// <summary>Items this layer is sized for.</summary>
    public long Capacity { get; }
    /// <summary>Its target false-positive rate.</summary>
    public double Error { get; }
    /// <summary>Bits set per item (k).</summary>
    public int Hashes { get; }
    /// <summary>Bits in the array (m, a multiple of 64).</summary>
    public long Bits { get; }
    /// <summary>Items added to this layer.</summary>
    public long Count { get; internal set; }
    internal ulong[] Words { get; }

    /// <summary>True if every one of the item's k bits is set.</summary>
    public bool Contains(ulong h1, ulong h2)
    {
        ulong m = (ulong)Bits;
        ulong x = h1;
        for (int i = 0; i < Hashes; i++)
        {
            ulong pos = x % m;
            if ((Words[pos >> 6] & (1UL << (int)(pos & 63))) == 0) return false;
            x += h2;
        }
        return true;
    }

    /// <summary>Sets the item's k bits.</summary>
    public void Set(ulong h1, ulong h2)
    {
        ulong m = (ulong)Bits;
        ulong x = h1;
        for (int i = 0; i < Hashes; i++)
        {
            ulong pos = x % m;
            Words[pos >> 6] |= 1UL << (int)(pos & 63);
            x += h2;
        }
    }
}

/// <summary>
/// A scalable Bloom filter (RedisBloom's MBbloom-- type): a chain of <see cref="BloomLayer"/>s (see the essay at the
/// top of this file). Changed only under the store lock, through <see cref="BloomOps"/>.
/// </summary>
public sealed class BloomValue : ValueObject
{
    /// <summary>RedisBloom's error tightening ratio for each new layer.</summary>
    public const double TighteningRatio = 0.5;
    /// <summary>Layer count limit, so a hostile expansion cannot loop forever.</summary>
    public const int MaxLayers = 1024;

    private const int ObjectOverhead = 64;
    private const int LayerOverhead = 80;
    private const ulong Seed1 = 0xc6a4a7935bd1e995;
    private const ulong Seed2 = 0x9e3779b97f4a7c15;

    private readonly List<BloomLayer> _layers;
    private long _size;

    /// <summary>A new filter with one empty layer (see <see cref="BloomLayer.TryCreate"/> to check the size first).</summary>
    public BloomValue(double error, long capacity, int expansion, bool nonScaling)
        : this(BloomLayer.Create(capacity, error), expansion, nonScaling)
    {
    }

    /// <summary>A new filter whose first layer is <paramref name="first"/>.</summary>
    public BloomValue(BloomLayer first, int expansion, bool nonScaling)
    {
        Expansion = expansion;
        NonScaling = nonScaling;
        _layers = new List<BloomLayer>(1);
        AddLayer(first);
    }

    private BloomValue(int expansion, bool nonScaling, long items, List<BloomLayer> layers)
    {
        Expansion = expansion;
        NonScaling = nonScaling;
        Items = items;
        _layers = new List<BloomLayer>(layers.Count);
        foreach (BloomLayer l in layers) AddLayer(l);
    }

    public override ValueKind Kind => ValueKind.Bloom;

    /// <summary>Layers (sub-filters); a filter always has at least one, so it is never deleted as empty.</summary>
    public override long Count => _layers.Count;

    public override long SizeBytes => ObjectOverhead + _size;

    /// <summary>OBJECT ENCODING of a module type in Redis.</summary>
    public override string Encoding => "raw";

    public override byte FormatVersion => 1;

    /// <summary>Capacity growth factor of each new layer.</summary>
    public int Expansion { get; }

    /// <summary>True if the filter refuses inserts once full instead of adding layers.</summary>
    public bool NonScaling { get; }

    /// <summary>Items inserted (BF.CARD).</summary>
    public long Items { get; private set; }

    /// <summary>The layers, oldest first.</summary>
    public IReadOnlyList<BloomLayer> Layers => _layers;

    /// <summary>Sum of the layers' capacities.</summary>
    public long TotalCapacity => _layers.Sum(l => l.Capacity);

    private void AddLayer(BloomLayer layer)
    {
        _layers.Add(layer);
        _size += LayerOverhead + MemoryOf.ArrayOverhead + (layer.Bits >> 3);
    }

    /// <summary>The two 64-bit hashes of an item.</summary>
    public static void Hash(ReadOnlySpan<byte> item, out ulong h1, out ulong h2)
    {
        h1 = MurmurHash.Hash64A(item, Seed1);
        h2 = MurmurHash.Hash64A(item, Seed2 ^ h1) | 1; // odd, so the k probes never collapse onto one bit
    }

    /// <summary>True if some layer may contain the item.</summary>
    public bool Contains(ReadOnlySpan<byte> item)
    {
        Hash(item, out ulong h1, out ulong h2);
        return Contains(h1, h2);
    }

    private bool Contains(ulong h1, ulong h2)
    {
        for (int i = _layers.Count - 1; i >= 0; i--)
            if (_layers[i].Contains(h1, h2)) return true;
        return false;
    }

    /// <summary>Adds an item: 1 if added, 0 if it (probably) was there, -1 if the filter is full and may not (or can no longer) grow.</summary>
    public int Add(ReadOnlySpan<byte> item)
    {
        Hash(item, out ulong h1, out ulong h2);
        if (Contains(h1, h2)) return 0;
        BloomLayer cur = _layers[^1];
        if (cur.Count >= cur.Capacity)
        {
            if (NonScaling || _layers.Count >= MaxLayers) return -1;
            long capacity = cur.Capacity > long.MaxValue / Expansion ? long.MaxValue : cur.Capacity * Expansion;
            BloomLayer? next = BloomLayer.TryCreate(capacity, cur.Error * TighteningRatio);
            if (next is null) return -1;
            AddLayer(next);
            cur = next;
        }
        cur.Set(h1, h2);
        cur.Count++;
        Items++;
        return 1;
    }

    public override object DeepCopy()
    {
        var layers = new List<BloomLayer>(_layers.Count);
        foreach (BloomLayer l in _layers)
            layers.Add(new BloomLayer(l.Capacity, l.Error, l.Hashes, l.Bits, (ulong[])l.Words.Clone(), l.Count));
        return new BloomValue(Expansion, NonScaling, Items, layers);
    }

    // Payload v1: expansion i32, flags u8 (1 = nonscaling), items i64, layer count i32, then per layer:
    // capacity i64, error f64, hashes i32, bits i64, count i64, bits/64 words u64; all little-endian.
    public override void Serialize(IBufferWriter<byte> output)
    {
        Span<byte> head = output.GetSpan(17);
        BinaryPrimitives.WriteInt32LittleEndian(head, Expansion);
        head[4] = (byte)(NonScaling ? 1 : 0);
        BinaryPrimitives.WriteInt64LittleEndian(head[5..], Items);
        BinaryPrimitives.WriteInt32LittleEndian(head[13..], _layers.Count);
        output.Advance(17);
        foreach (BloomLayer l in _layers)
        {
            Span<byte> h = output.GetSpan(36);
            BinaryPrimitives.WriteInt64LittleEndian(h, l.Capacity);
            BinaryPrimitives.WriteDoubleLittleEndian(h[8..], l.Error);
            BinaryPrimitives.WriteInt32LittleEndian(h[16..], l.Hashes);
            BinaryPrimitives.WriteInt64LittleEndian(h[20..], l.Bits);
            BinaryPrimitives.WriteInt64LittleEndian(h[28..], l.Count);
            output.Advance(36);
            const int chunk = 512;
            for (int w = 0; w < l.Words.Length; w += chunk)
            {
                int n = Math.Min(chunk, l.Words.Length - w);
                Span<byte> span = output.GetSpan(n * 8);
                for (int j = 0; j < n; j++) BinaryPrimitives.WriteUInt64LittleEndian(span[(j * 8)..], l.Words[w + j]);
                output.Advance(n * 8);
            }
        }
    }

    /// <summary>Decodes a payload written by <see cref="Serialize"/>; null for an unknown version or bad input.</summary>
    public static BloomValue? Read(byte version, ReadOnlySpan<byte> payload)
    {
        if (version != 1 || payload.Length < 17) return null;
        int expansion = BinaryPrimitives.ReadInt32LittleEndian(payload);
        byte flags = payload[4];
        long items = BinaryPrimitives.ReadInt64LittleEndian(payload[5..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(payload[13..]);
        if (expansion < 1 || flags > 1 || items < 0 || count < 1 || count > MaxLayers) return null;
        int p = 17;
        var layers = new List<BloomLayer>(count);
        long sum = 0;
        for (int i = 0; i < count; i++)
        {
            if (payload.Length - p < 36) return null;
            ReadOnlySpan<byte> h = payload[p..];
            long capacity = BinaryPrimitives.ReadInt64LittleEndian(h);
            double error = BinaryPrimitives.ReadDoubleLittleEndian(h[8..]);
            int hashes = BinaryPrimitives.ReadInt32LittleEndian(h[16..]);
            long bits = BinaryPrimitives.ReadInt64LittleEndian(h[20..]);
            long n = BinaryPrimitives.ReadInt64LittleEndian(h[28..]);
            p += 36;
            if (capacity < 1 || !(error > 0 && error < 1) || hashes < 1 || hashes > 64 || bits < 64 || (bits & 63) != 0
                || n < 0 || n > capacity) return null;
            long bytes = bits >> 3;
            if (payload.Length - p < bytes) return null;
            var words = new ulong[bits >> 6];
            for (int w = 0; w < words.Length; w++) words[w] = BinaryPrimitives.ReadUInt64LittleEndian(payload[(p + w * 8)..]);
            p += (int)bytes;
            layers.Add(new BloomLayer(capacity, error, hashes, bits, words, n));
            sum += n;
        }
        if (p != payload.Length || sum != items) return null;
        return new BloomValue(expansion, flags == 1, items, layers);
    }
}

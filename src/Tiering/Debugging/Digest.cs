using System.Security.Cryptography;
using Tiered.Tiering.Rdb;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Lists;
using Tiered.Tiering.Types.Sets;
using Tiered.Tiering.Types.SortedSets;
using Tiered.Tiering.Types.Streams;

namespace Tiered.Tiering.Debugging;

// DEBUG DIGEST and DEBUG DIGEST-VALUE: a signature of the data that two servers holding the same data agree on,
// whatever order they store keys and members in and whatever encodings they chose.
//
// Why Redis's exact algorithm (debug.c, redis-server 7.0) and not any order-independent hash: the test suites that
// use DEBUG DIGEST compare a server with another one (a master and its replica, a dataset before and after a reload),
// and the digests of Tiered and redis-server can then be compared with each other as well. SHA-1 based:
//
//   xor(d, bytes)   d ^= SHA1(bytes)                 (order-independent: members of sets and hashes, keys)
//   mix(d, bytes)   xor(d, bytes); d = SHA1(d)        (order-dependent: list elements, stream entries)
//
//   one key (k starts at 20 zero bytes; DIGEST-VALUE leaves out the first step):
//       mix(k, key); mix(k, type as a 4-byte big-endian integer: string 0, list 1, set 2, zset 3, hash 4, module 5, stream 6)
//       string   mix(k, bytes)
//       list     mix(k, element) for each element, head to tail
//       set      xor(k, member) for each member
//       hash     e = 0; mix(e, field); mix(e, value); xor(k, e)   for each field
//       zset     e = 0; mix(e, member); mix(e, score as C's "%.17g"); xor(k, e)   for each member
//       stream   mix(k, "<ms>.<seq>"), then mix(k, field); mix(k, value) for each of its fields, for each entry
//                (consumer groups are not part of the digest)
//       module   nothing more (Tiered's Bloom filters: RedisBloom gives redis-server no digest function either)
//       with a TTL, xor(k, "!!expire!!") (the time itself is not digested)
//   dataset: f = 0; for each database that has keys, in order: mix(f, its index as 4-byte big-endian); xor(f, k) for each key.
//   An empty dataset's digest is 20 zero bytes.

/// <summary>Redis's DEBUG DIGEST algorithm over Tiered's values (see above).</summary>
public static class Digest
{
    /// <summary>d ^= SHA1(bytes).</summary>
    public static void Xor(Span<byte> digest, ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(bytes, hash);
        for (int j = 0; j < 20; j++) digest[j] ^= hash[j];
    }

    /// <summary>xor(d, bytes), then d = SHA1(d).</summary>
    public static void Mix(Span<byte> digest, ReadOnlySpan<byte> bytes)
    {
        Xor(digest, bytes);
        Span<byte> copy = stackalloc byte[20];
        digest.CopyTo(copy);
        SHA1.HashData(copy, digest);
    }

    /// <summary>mix(d, n as a 4-byte big-endian integer): a value's type, a database's index.</summary>
    public static void MixInt(Span<byte> digest, uint n)
    {
        Span<byte> be = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(be, n);
        Mix(digest, be);
    }

    /// <summary>Digests <paramref name="value"/> into the key digest <paramref name="k"/>: its type, contents and TTL mark.</summary>
    public static void Value(Span<byte> k, ValueKind kind, object value, bool hasExpiry)
    {
        MixInt(k, RedisType(kind));
        Span<byte> e = stackalloc byte[20];
        switch (value)
        {
            case byte[] s: Mix(k, s); break;
            case ListValue l:
                for (int i = 0; i < l.Length; i++) Mix(k, l[i]);
                break;
            case SetValue set:
                foreach (byte[] m in set) Xor(k, m);
                break;
            case HashValue h:
                foreach (HashEntry f in h)
                {
                    e.Clear();
                    Mix(e, f.Field);
                    Mix(e, f.Value);
                    Xor(k, e);
                }
                break;
            case SortedSetValue z:
                Span<byte> score = stackalloc byte[32];
                for (SkipListNode? n = z.List.First; n != null; n = n.Next)
                {
                    e.Clear();
                    Mix(e, n.Member);
                    Mix(e, score[..RdbValueWriter.ScoreText(n.Score, score)]);
                    Xor(k, e);
                }
                break;
            case StreamValue x: Stream(k, x); break;
        }
        if (hasExpiry) Xor(k, "!!expire!!"u8);
    }

    private static void Stream(Span<byte> k, StreamValue x)
    {
        Span<byte> id = stackalloc byte[41];
        for (int i = 0; i < x.Length; i++)
        {
            ref readonly StreamEntry entry = ref x.At(i);
            Utf8Formatter.TryFormat(entry.Id.Ms, id, out int n);
            id[n++] = (byte)'.';
            Utf8Formatter.TryFormat(entry.Id.Seq, id[n..], out int m);
            Mix(k, id[..(n + m)]);
            foreach (ReadOnlySpan<byte> f in entry.GetFields()) Mix(k, f);
        }
    }

    /// <summary>Redis's OBJ_* type number of a Tiered value kind.</summary>
    private static uint RedisType(ValueKind kind) => kind switch
    {
        ValueKind.String => 0,
        ValueKind.List => 1,
        ValueKind.Set => 2,
        ValueKind.ZSet => 3,
        ValueKind.Hash => 4,
        ValueKind.Stream => 6,
        _ => 5,   // a module type
    };
}

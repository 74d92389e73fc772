using Tiered.Tiering.Types.Blooms;

namespace Tiered.Tiering.Rdb;

// Values of module types (RDB_TYPE_MODULE_2): how Tiered's Bloom filters travel in DUMP payloads.
//
// Redis has no Bloom filter; Redis Stack's RedisBloom dumps one as a module value, which only a server with that
// module can load. Tiered's filters are its own structure, so they are dumped as a module value of Tiered's own
// module type, which Tiered restores and any other server refuses cleanly ("Bad data format"), as redis-server
// refuses any module value it has no module for:
//
//   ┌────────────┬────────────────────────┬──────────────────────────────────────────┬─────────┐
//   │ 7 (MODULE_2)│ module id (RDB length)│ opcode 5 (string), string: version byte  │ opcode 0│
//   │            │ "Tiered-BF", encver 1  │ + Tiered's Bloom payload (BloomValue.cs) │ (EOF)   │
//   └────────────┴────────────────────────┴──────────────────────────────────────────┴─────────┘
//
//   module id: 9 characters of 6 bits each (A-Z a-z 0-9 - _, in that order) then a 10-bit encoding version:
//              54 + 10 = 64 bits, as Redis's moduleTypeEncodeId.

/// <summary>Module-type values: Tiered's Bloom filters.</summary>
internal static class RdbModules
{
    private const string Charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// <summary>The module type name of Tiered's Bloom filters in DUMP payloads (9 characters of <see cref="Charset"/>).</summary>
    public const string BloomModuleName = "Tiered-BF";

    private const int BloomEncodingVersion = 1;
    private const int OpcodeEof = 0;
    private const int OpcodeString = 5;

    /// <summary>The 64-bit module id of Tiered's Bloom filters.</summary>
    public static readonly ulong BloomModuleId = EncodeId(BloomModuleName, BloomEncodingVersion);

    private static ulong EncodeId(string name, int encver)
    {
        ulong id = 0;
        foreach (char ch in name) id = (id << 6) | (uint)Charset.IndexOf(ch);
        return (id << 10) | (uint)encver;
    }

    /// <summary>The 9-character type name in <paramref name="moduleId"/> (for error messages).</summary>
    public static string NameOf(ulong moduleId)
    {
        Span<char> name = stackalloc char[9];
        ulong id = moduleId >> 10;
        for (int j = 8; j >= 0; j--, id >>= 6) name[j] = Charset[(int)(id & 63)];
        return new string(name);
    }

    public static void WriteBloom(RdbWriter w, BloomValue b)
    {
        w.Byte((byte)RdbType.Module2);
        w.Length(BloomModuleId);
        var body = new ArrayBufferWriter<byte>();
        body.Write([b.FormatVersion]);
        b.Serialize(body);
        w.Length(OpcodeString);
        w.String(body.WrittenSpan);
        w.Length(OpcodeEof);
    }

    /// <summary>A module value: a Bloom filter of Tiered's module type; null for any other module (or a damaged value).</summary>
    public static BloomValue? Read(ref RdbReader r)
    {
        if (!r.Length(out ulong id) || id != BloomModuleId) return null;
        if (!r.Length(out ulong op) || op != OpcodeString || !r.String(out byte[] body) || body.Length < 1) return null;
        if (!r.Length(out ulong eof) || eof != OpcodeEof) return null;
        return BloomValue.Read(body[0], body.AsSpan(1));
    }
}

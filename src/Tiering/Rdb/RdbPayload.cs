namespace Tiered.Tiering.Rdb;

// The DUMP payload: one RDB object with a trailer that names the format's version and guards the bytes.
//
//   ┌──────────┬──────────────────────────┬──────────────────┬───────────────────────────────────┐
//   │ type (1) │ payload (RdbValueWriter)  │ RDB version 2 B LE│ CRC64 (Jones) 8 B LE of all before │
//   └──────────┴──────────────────────────┴──────────────────┴───────────────────────────────────┘
//
// Why version 10: it is Redis 7.0's RDB version, the newest whose forms the writer produces; redis-server 7.0 refuses
// a payload of a newer version, and so does RESTORE here (a payload of version 11 may hold 7.2-only forms that a 7.0
// peer cannot read). FUNCTION DUMP's payload (Server/Scripting/FunctionPayload.cs) uses the same trailer.

/// <summary>Builds and checks DUMP payloads.</summary>
public static class RdbPayload
{
    /// <summary>Redis 7.0's RDB version.</summary>
    public const ushort Version = 10;

    /// <summary>The DUMP payload of <paramref name="value"/> (a string's byte[] or a <see cref="ValueObject"/>).</summary>
    public static byte[] Create(object value, bool compress = true)
    {
        var w = new RdbWriter { Compress = compress };
        RdbValueWriter.Write(w, value);
        return Seal(w);
    }

    /// <summary>Appends the version and checksum to what <paramref name="w"/> holds and returns the payload.</summary>
    public static byte[] Seal(RdbWriter w)
    {
        w.Byte(Version & 0xff);
        w.Byte(Version >> 8);
        w.UInt64(Crc64.Compute(w.Written));
        return w.ToArray();
    }

    /// <summary>
    /// True when <paramref name="payload"/> has a version Redis 7.0 reads and a matching checksum (verifyDumpPayload);
    /// <paramref name="body"/> is then the bytes before the trailer.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> body)
    {
        body = default;
        if (payload.Length < 10) return false;
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(payload[^10..]);
        if (version > Version) return false;
        if (BinaryPrimitives.ReadUInt64LittleEndian(payload[^8..]) != Crc64.Compute(payload[..^8])) return false;
        body = payload[..^10];
        return true;
    }

    /// <summary>
    /// The value a verified payload holds, or false when it is not a valid object ("Bad data format"). As Redis's
    /// RESTORE, the object is read from the whole payload, trailer included, and what follows it is ignored: an object
    /// that claims a few bytes more than it has reads them from the trailer, as on redis-server.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, out ValueKind kind, out object? value)
    {
        kind = ValueKind.None;
        value = null;
        var r = new RdbReader(payload);
        return r.Byte(out byte type) && RdbValueReader.TryRead(ref r, (RdbType)type, out kind, out value);
    }
}

using Tiered.Tiering.Rdb;

namespace Tiered.Server.Scripting;

// FUNCTION DUMP's payload, in Redis's format, so a payload from redis-server restores here and one from here restores
// there. The RDB primitives (strings with their integer and LZF forms, the version and CRC64 trailer) are the engine's
// (Tiering/Rdb/); this file only knows the layout of the function section:
//
//   ┌──────┬──────────────────────┬──────┬─────────── ... ──┬────────────┬──────────────────────┐
//   │ 0xF5 │ RDB string: the code │ 0xF5 │ RDB string ...    │ RDB version│ CRC64 (Jones), LE    │
//   └──────┴──────────────────────┴──────┴─────────── ... ──┴ 2 bytes LE ┴ of all bytes before  ┘
//
// Codes over 20 bytes are LZF-compressed as Redis compresses them (Tiering/Rdb/Lzf.cs), so the payload of a library
// is the one redis-server writes for it.

/// <summary>Writes and reads FUNCTION DUMP payloads.</summary>
internal static class FunctionPayload
{
    private const byte OpcodeFunction = 0xF5;   // RDB_OPCODE_FUNCTION2

    public static byte[] Write(List<byte[]> codes)
    {
        var w = new RdbWriter();
        foreach (byte[] code in codes)
        {
            w.Byte(OpcodeFunction);
            w.String(code);
        }
        return RdbPayload.Seal(w);
    }

    /// <summary>The libraries' codes, or null when the payload is damaged or of an unknown version.</summary>
    public static List<byte[]>? Read(ReadOnlySpan<byte> p)
    {
        if (!RdbPayload.Verify(p, out ReadOnlySpan<byte> body)) return null;
        var codes = new List<byte[]>();
        var r = new RdbReader(body);
        while (r.Remaining > 0)
        {
            if (!r.Byte(out byte op) || op != OpcodeFunction || !r.String(out byte[] code)) return null;
            codes.Add(code);
        }
        return codes;
    }
}

using Tiered.Server.Admin;
using Tiered.Tiering.Rdb;

namespace Tiered.Server.Commands;

/// <summary>
/// DUMP and RESTORE: a key's value in Redis's serialized form (Tiering/Rdb/), exchanged with redis-server both ways.
/// Each handler parses with Redis 7.0's errors, in Redis's order, and makes one <see cref="DumpOps"/> call.
/// </summary>
public static class DumpCommands
{
    [Command("dump")] private static void Dump(CommandContext c)
    {
        byte[]? payload = DumpOps.Dump(c.Db, c[1]);
        if (payload is null) c.Writer.Null();
        else c.Writer.Bulk(payload);
    }

    [Command("restore")] private static void Restore(CommandContext c)
    {
        bool replace = false, absTtl = false;
        long idle = -1, freq = -1;
        for (int j = 4; j < c.Count; j++)
        {
            bool more = j + 1 < c.Count;
            if (c.Is(j, "REPLACE"u8)) replace = true;
            else if (c.Is(j, "ABSTTL"u8)) absTtl = true;
            else if (c.Is(j, "IDLETIME"u8) && more && freq == -1)
            {
                if (!c.Long(++j, out idle)) return;
                if (idle < 0) { c.Writer.Error("ERR Invalid IDLETIME value, must be >= 0"u8); return; }
            }
            else if (c.Is(j, "FREQ"u8) && more && idle == -1)
            {
                if (!c.Long(++j, out freq)) return;
                if (freq is < 0 or > 255) { c.Writer.Error("ERR Invalid FREQ value, must be >= 0 and <= 255"u8); return; }
            }
            else { c.SyntaxError(); return; }
        }
        ReadOnlySpan<byte> key = c[1];
        if (!replace && DumpOps.IsOccupied(c.Db, key)) { c.Writer.Error("BUSYKEY Target key name already exists."u8); return; }
        if (!c.Long(2, out long ttl)) return;
        if (ttl < 0) { c.Writer.Error("ERR Invalid TTL value, must be >= 0"u8); return; }
        if (!RdbPayload.Verify(c[3], out _)) { c.Writer.Error("ERR DUMP payload version or checksum are wrong"u8); return; }
        long expireAt = ttl == 0 ? 0 : absTtl ? ttl : ttl + c.Store.Clock.NowMs;
        Status s = DumpOps.Restore(c.Db, key, c[3], expireAt, replace, idle, (int)freq, out RestoreEffect effect);
        if (s == Status.Corrupted) { c.Writer.Error("ERR Bad data format"u8); return; }
        if (s != Status.Ok) { c.Error(s); return; }
        if (effect == RestoreEffect.Created) c.Notify(KeyspaceEventFlags.Generic, "restore"u8, key);
        else if (effect == RestoreEffect.ExpiredDeleted) c.Notify(KeyspaceEventFlags.Generic, "del"u8, key);
        c.Writer.Ok();
    }
}

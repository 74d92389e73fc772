using Tiered.Server.Admin;

namespace Tiered.Server.Commands;

/// <summary>
/// REPLICAOF / SLAVEOF, ROLE and REPLCONF: the commands of Redis's replication, as a primary and as a replica
/// (the replica's link to its primary: Replication/ReplicaLink.cs).
/// </summary>
public static class ReplicationCommands
{
    [Command("replicaof")] private static void ReplicaOf(CommandContext c) => SetPrimary(c);

    [Command("slaveof")] private static void SlaveOf(CommandContext c) => SetPrimary(c);

    /// <summary>REPLICAOF host port | NO ONE, with Redis 7.0's replies.</summary>
    private static void SetPrimary(CommandContext c)
    {
        ReplicationState r = c.Server.Replication;
        if (c.Is(1, "NO"u8) && c.Is(2, "ONE"u8))
        {
            c.Server.ReplicaOf(null, 0);
            c.Writer.Ok();
            return;
        }
        if (!c.TryLong(2, out long port) || port < 0 || port > 65535) { c.Writer.Error("ERR Invalid master port"u8); return; }
        string host = c.Str(1);
        if (r.IsReplica && r.PrimaryHost == host && r.PrimaryPort == port)
        {
            c.Writer.Simple("OK Already connected to specified master"u8);
            return;
        }
        c.Server.ReplicaOf(host, (int)port);
        c.Writer.Ok();
    }

    /// <summary>
    /// ROLE: ["master", offset, [replicas]] or, on a replica, ["slave", host, port, link state, offset] (-1 before
    /// the first sync).
    /// </summary>
    [Command("role")] private static void Role(CommandContext c)
    {
        ReplicationState r = c.Server.Replication;
        if (!r.IsReplica)
        {
            c.Writer.Array(3);
            c.Writer.Bulk("master"u8);
            c.Writer.Integer(r.Offset);
            c.Writer.Array(0);
            return;
        }
        c.Writer.Array(5);
        c.Writer.Bulk("slave"u8);
        c.Writer.Bulk(r.PrimaryHost!);
        c.Writer.Integer(r.PrimaryPort);
        c.Writer.Bulk(r.LinkWord);
        c.Writer.Integer(r.Link == ReplicaLinkState.Connected ? r.Offset : -1);
    }

    /// <summary>
    /// REPLCONF option value ...: what a replica tells its primary. Options are accepted as Redis accepts them from
    /// a client that is not (yet) a replica; ACK and GETACK get no reply from a client that is not one.
    /// </summary>
    [Command("replconf")] private static void ReplConf(CommandContext c)
    {
        if (c.Count % 2 == 0) { c.SyntaxError(); return; }
        for (int i = 1; i < c.Count; i += 2)
        {
            if (c.Is(i, "ACK"u8) || c.Is(i, "GETACK"u8)) return;
            if (c.Is(i, "LISTENING-PORT"u8))
            {
                if (!c.TryLong(i + 1, out _)) { c.Writer.Error("ERR value is not an integer or out of range"u8); return; }
            }
            else if (!(c.Is(i, "IP-ADDRESS"u8) || c.Is(i, "CAPA"u8) || c.Is(i, "RDB-ONLY"u8)))
            {
                c.Writer.Error($"ERR Unrecognized REPLCONF option: {c.Str(i)}");
                return;
            }
        }
        c.Writer.Ok();
    }
}

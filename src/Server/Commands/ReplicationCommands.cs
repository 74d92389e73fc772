using System.Globalization;
using Microsoft.Extensions.Logging;
using Tiered.Server.Admin;
using Tiered.Server.Scripting;
using Tiered.Server.Session;
using Tiered.Tiering.Rdb;

namespace Tiered.Server.Commands;

/// <summary>
/// REPLICAOF / SLAVEOF, ROLE, REPLCONF, PSYNC / SYNC and WAIT: the commands of Redis's replication, as a primary and as a replica
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
    /// WAIT numreplicas timeout: how many replicas acknowledged this client's writes (the stream offset after its last
    /// one). When fewer than asked for have, the replicas are asked for an ACK (REPLCONF GETACK * in the stream) and the
    /// client blocks until enough have answered or the timeout (0: none) passes; inside MULTI it answers at once.
    /// </summary>
    [Command("wait")] private static void Wait(CommandContext c)
    {
        if (c.Server.Replication.IsReplica)
        {
            c.Writer.Error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."u8);
            return;
        }
        if (!c.TryLong(1, out long wanted)) { c.Writer.Error("ERR value is not an integer or out of range"u8); return; }
        if (!c.TimeoutMs(2, out long ms)) return;
        ReplicaRegistry replicas = c.Server.Replicas;
        int acked = replicas.AckedAtLeast(c.Client.ReplicationOffset);
        if (acked >= wanted || c.TimedOut || c.Client.InExec) { c.Writer.Integer(acked); return; }
        if (!c.IsBlockRerun) replicas.RequestAcks();
        c.BlockOn(1, 0, ms);   // on no keys: an ACK (ReplicaRegistry wakes it to count again) or the deadline ends it
        replicas.WaitForAcks(c.Client.Block!);
    }

    /// <summary>Queued stream bytes at which a replica that cannot keep up is dropped (Redis's client-output-buffer-limit replica 256mb).</summary>
    private const long ReplicaOutboxLimit = 256L * 1024 * 1024;

    [Command("psync")] private static void PSync(CommandContext c) => Sync(c, psync: true);

    [Command("sync")] private static void SyncCommand(CommandContext c) => Sync(c, psync: false);

    /// <summary>
    /// PSYNC replid offset / SYNC: a replica asks for the stream. With our replication ID and an offset the backlog
    /// still holds: +CONTINUE and the stream from there; otherwise +FULLRESYNC replid offset (PSYNC only), the
    /// snapshot as one bulk ($length, then the RDB, no CRLF), and the stream from that offset on. Everything goes
    /// through the connection's outbox, so the stream's commands queue behind the snapshot. No reply of its own.
    /// </summary>
    private static void Sync(CommandContext c, bool psync)
    {
        ServerCore server = c.Server;
        ReplicaRegistry replicas = server.Replicas;
        if (c.Client.Replica is { Online: true }) return;   // already a replica: ignored, as in Redis
        if (server.Replication.IsReplica) { c.Writer.Error("ERR Tiered does not serve replicas while it is itself a replica"u8); return; }
        if (!replicas.CanServe) { c.Writer.Error("ERR Tiered serves replicas only with appendonly yes: the write log is the replication stream"u8); return; }
        if (c.Client.Connection is not { } connection) { c.Writer.Error("ERR no connection to sync"u8); return; }
        ReplicaPeer peer = c.Client.Replica ??= new ReplicaPeer();
        string replId = server.Metrics.ReplId;
        connection.EnablePush();
        connection.OutboxLimit = Math.Max(connection.OutboxLimit, ReplicaOutboxLimit);   // Redis's replica hard limit, not pub/sub's
        byte[]? tail = psync && c.Str(1) == replId && c.TryLong(2, out long from) ? replicas.From(from) : null;
        long snapshotBytes = 0;
        if (tail != null)
        {
            connection.DeliverFrame(Encoding.ASCII.GetBytes("+CONTINUE " + replId + "\r\n"));
            connection.DeliverFrame(tail);
        }
        else
        {
            var rdb = new MemoryStream();
            var libraries = new List<byte[]>();
            if (server.StartedScripts is { } scripts)
                foreach (FunctionLibrary lib in scripts.Functions.Libraries) libraries.Add(lib.Code);
            long offset = server.Replication.Offset;
            RdbFileWriter.Write(c.Store, rdb, libraries,
                [new("repl-id", replId), new("repl-offset", offset.ToString(CultureInfo.InvariantCulture)), new("repl-stream-db", "0")]);
            snapshotBytes = rdb.Length;
            connection.OutboxLimit = Math.Max(connection.OutboxLimit, rdb.Length + ReplicaOutboxLimit);
            if (psync) connection.DeliverFrame(Encoding.ASCII.GetBytes($"+FULLRESYNC {replId} {offset}\r\n"));
            if (peer.CapaEof)
            {
                // As a diskless primary sends it: the RDB between $EOF:<mark> and the same 40 random characters.
                byte[] mark = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)));
                connection.DeliverFrame(Encoding.ASCII.GetBytes("$EOF:"));
                connection.DeliverFrame(mark);
                connection.DeliverFrame("\r\n"u8);
                connection.DeliverFrame(rdb.GetBuffer().AsSpan(0, (int)rdb.Length));
                connection.DeliverFrame(mark);
                peer.HeldStream = new MemoryStream();   // the stream waits for the replica's first ACK
            }
            else
            {
                connection.DeliverFrame(Encoding.ASCII.GetBytes($"${rdb.Length}\r\n"));
                connection.DeliverFrame(rdb.GetBuffer().AsSpan(0, (int)rdb.Length));
            }
        }
        if (peer.RdbOnly) return;   // redis-cli --rdb: the snapshot only, no stream
        peer.Online = true;
        replicas.Attach(c.Client);
        if (tail != null) server.Logger.LogInformation("Replica {Addr}: partial resynchronization, {Bytes} bytes of backlog", c.Client.RemoteAddress, tail.Length);
        else server.Logger.LogInformation("Replica {Addr}: full resynchronization, snapshot of {Bytes} bytes", c.Client.RemoteAddress, snapshotBytes);
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
            IReadOnlyList<ClientSession> replicas = c.Server.Replicas.Replicas;
            c.Writer.Array(3);
            c.Writer.Bulk("master"u8);
            c.Writer.Integer(r.Offset);
            c.Writer.Array(replicas.Count);
            foreach (ClientSession s in replicas)
            {
                c.Writer.Array(3);
                c.Writer.Bulk(ReplicaRegistry.Ip(s));
                c.Writer.Bulk(s.Replica!.ListeningPort.ToString(CultureInfo.InvariantCulture));
                c.Writer.Bulk(s.Replica.AckOffset.ToString(CultureInfo.InvariantCulture));
            }
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
            if (c.Is(i, "ACK"u8))
            {
                // A replica's acknowledgement (no reply, as in Redis).
                if (c.Client.Replica is { } peer && c.TryLong(i + 1, out long acked))
                {
                    peer.AckOffset = acked;
                    peer.AckMs = c.Store.Clock.NowMs;
                    ReplicaRegistry.FirstAck(c.Client);
                    c.Server.Replicas.Acked();
                }
                return;
            }
            if (c.Is(i, "GETACK"u8)) return;
            if (c.Is(i, "LISTENING-PORT"u8))
            {
                if (!c.TryLong(i + 1, out long listening)) { c.Writer.Error("ERR value is not an integer or out of range"u8); return; }
                (c.Client.Replica ??= new ReplicaPeer()).ListeningPort = (int)listening;
            }
            else if (c.Is(i, "CAPA"u8))
            {
                if (c.Is(i + 1, "EOF"u8)) (c.Client.Replica ??= new ReplicaPeer()).CapaEof = true;
            }
            else if (c.Is(i, "RDB-ONLY"u8))
            {
                (c.Client.Replica ??= new ReplicaPeer()).RdbOnly = c.Is(i + 1, "1"u8);
            }
            else if (!c.Is(i, "IP-ADDRESS"u8))
            {
                c.Writer.Error($"ERR Unrecognized REPLCONF option: {c.Str(i)}");
                return;
            }
        }
        c.Writer.Ok();
    }
}

using Tiered.Tiering.Types.Keys;

namespace Tiered.Server.Session;

/// <summary>
/// Transactions (MULTI / EXEC / DISCARD) and optimistic locking (WATCH), as Redis does them.
///
/// Why queue copies and replay them through the dispatcher: commands run under the store lock, and EXEC already
/// holds it, so running the queued commands back to back inside EXEC makes them atomic for free: no other client's
/// command can interleave. Each queued command's arguments are copied into one array (its bytes live in the
/// connection's receive buffer, which is reused); that allocation happens only inside MULTI. Outside MULTI the
/// dispatcher pays one bool test (<see cref="ClientSession.Intercept"/>).
///
///   MULTI        -> session.Multi = new MultiState()                  +OK
///   SET k v      -> Multi.Queue: [ "setkv" bytes | offsets ]          +QUEUED
///   EXEC         -> dirty? *-1 : *n, then each queued command's reply in order, under one lock hold
///
/// WATCH keeps (db, key) -> clients in <see cref="WatchRegistry"/> on the server. After every successful write
/// command, when that registry is not empty, the watchers of the command's keys are marked dirty (see
/// <see cref="Commands.KeyEvents"/>). This is an over-approximation Redis shares only in part: a write that turned out to be a
/// no-op (SET NX on an existing key, DEL of a missing key) also counts as a modification here. A watched key whose
/// TTL passed between WATCH and EXEC also counts as modified (Redis 6.0.9+), checked at EXEC from the expiry time
/// noted at WATCH.
/// </summary>
public sealed class MultiState
{
    /// <summary>The queued commands, in order.</summary>
    internal readonly List<QueuedCommand> Queue = [];

    /// <summary>A command was refused while queueing: EXEC replies EXECABORT.</summary>
    internal bool Aborted;
}

/// <summary>One queued command: its arguments copied into one array.</summary>
internal sealed class QueuedCommand(byte[] bytes, int[] offsets, int[] lengths)
{
    public readonly byte[] Bytes = bytes;
    public readonly int[] Offsets = offsets;
    public readonly int[] Lengths = lengths;

    public static QueuedCommand Copy(ArgList args)
    {
        int total = 0;
        for (int i = 0; i < args.Count; i++) total += args[i].Length;
        var bytes = new byte[total];
        var offsets = new int[args.Count];
        var lengths = new int[args.Count];
        int pos = 0;
        for (int i = 0; i < args.Count; i++)
        {
            ReadOnlySpan<byte> a = args[i];
            a.CopyTo(bytes.AsSpan(pos));
            offsets[i] = pos;
            lengths[i] = a.Length;
            pos += a.Length;
        }
        return new QueuedCommand(bytes, offsets, lengths);
    }

    /// <summary>Points <paramref name="args"/> at this command's arguments.</summary>
    public void LoadInto(ArgList args)
    {
        args.Reset(Bytes);
        for (int i = 0; i < Offsets.Length; i++) args.Add(Offsets[i], Lengths[i]);
    }
}

/// <summary>A key a client WATCHes, with its expiry time at WATCH (0: none or missing).</summary>
internal sealed class WatchedKey(int db, byte[] key, long expireAtMs)
{
    public readonly int Db = db;
    public readonly byte[] Key = key;
    public readonly long ExpireAtMs = expireAtMs;
}

/// <summary>(db, key) -> watching clients. Shared state rule: under the store lock.</summary>
public sealed class WatchRegistry
{
    private readonly KeyMap<ClientSession> _map;

    public WatchRegistry(int databases) => _map = new KeyMap<ClientSession>(databases);

    /// <summary>Watched (db, key) pairs; zero when nobody watches.</summary>
    public int Count => _map.Count;

    /// <summary>WATCH key: remembers the key and its current expiry time.</summary>
    internal void Watch(ClientSession client, Database db, ReadOnlySpan<byte> key)
    {
        client.Watched ??= [];
        foreach (WatchedKey w in client.Watched)
            if (w.Db == db.Id && key.SequenceEqual(w.Key)) return;
        // PEXPIRETIME: -2 missing, -1 no TTL, else the absolute expiry in ms.
        long exp = KeyOps.Ttl(db, key, TtlForm.UnixMilliseconds);
        var wk = new WatchedKey(db.Id, key.ToArray(), exp > 0 ? exp : 0);
        client.Watched.Add(wk);
        _map.Add(db.Id, wk.Key, client);
    }

    /// <summary>UNWATCH (also EXEC, DISCARD, RESET and disconnect).</summary>
    internal void UnwatchAll(ClientSession client)
    {
        client.WatchDirty = false;
        if (client.Watched is null) return;
        foreach (WatchedKey w in client.Watched) _map.Remove(w.Db, w.Key, client);
        client.Watched = null;
    }

    /// <summary>True if EXEC must fail: a watched key was written, or its TTL has passed since WATCH.</summary>
    internal static bool IsDirty(ClientSession client, long nowMs)
    {
        if (client.WatchDirty) return true;
        if (client.Watched is null) return false;
        foreach (WatchedKey w in client.Watched)
            if (w.ExpireAtMs != 0 && w.ExpireAtMs <= nowMs) return true;
        return false;
    }

    internal void Touch(int db, ReadOnlySpan<byte> key)
    {
        List<ClientSession>? list = _map.Find(db, key);
        if (list is null) return;
        foreach (ClientSession c in list) c.WatchDirty = true;
    }

    internal void TouchDb(int db)
    {
        if (db < 0 || db >= _map.Databases) return;
        foreach (List<ClientSession> list in _map.InDb(db))
            foreach (ClientSession c in list) c.WatchDirty = true;
    }
}

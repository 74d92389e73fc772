using System.Collections.Concurrent;
using Tiered.Server.Network;

namespace Tiered.Server.Session;

/// <summary>
/// The connected clients, for CLIENT LIST/KILL, INFO clients, timeouts and shutdown.
/// Shared state rule: thread-safe; connections add themselves on accept and remove themselves when their loop ends.
/// </summary>
public sealed class ClientRegistry
{
    private readonly ConcurrentDictionary<long, Connection> _clients = new();

    public int Count => _clients.Count;

    public void Add(Connection c) => _clients[c.Session.Id] = c;

    public void Remove(Connection c) => _clients.TryRemove(c.Session.Id, out _);

    /// <summary>A snapshot of the sessions, ordered by id.</summary>
    public List<ClientSession> Sessions()
    {
        var list = new List<ClientSession>(_clients.Count);
        foreach (var kv in _clients) list.Add(kv.Value.Session);
        list.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    /// <summary>A snapshot of the connections, ordered by client id (CLIENT LIST, CLIENT KILL).</summary>
    public List<Connection> Connections()
    {
        var list = new List<Connection>(_clients.Count);
        foreach (var kv in _clients) list.Add(kv.Value);
        list.Sort((a, b) => a.Session.Id.CompareTo(b.Session.Id));
        return list;
    }

    /// <summary>The connection of client <paramref name="id"/>, or null.</summary>
    public Connection? Find(long id) => _clients.TryGetValue(id, out Connection? c) ? c : null;

    /// <summary>
    /// Closes <paramref name="c"/> and forgets it at once (CLIENT KILL), so a CLIENT LIST or KILL right after no
    /// longer sees it even before its loop has ended.
    /// </summary>
    public void Kill(Connection c)
    {
        _clients.TryRemove(c.Session.Id, out _);
        c.Kill();
    }

    public void KillAll()
    {
        foreach (var kv in _clients) kv.Value.Kill();
    }

    /// <summary>Closes clients idle longer than <paramref name="idleMs"/>.</summary>
    public void CloseIdle(long nowMs, long idleMs)
    {
        foreach (var kv in _clients)
            if (nowMs - kv.Value.Session.LastInteractionMs > idleMs) kv.Value.Kill();
    }
}

using System.Collections.Concurrent;

namespace Tiered.Server.Session;

/// <summary>
/// The connected clients, for CLIENT LIST/KILL, INFO clients, timeouts and shutdown.
/// Shared state rule: thread-safe; a client is added on accept and removed when its connection's loop ends
/// (Commands/ClientHandler.cs).
/// </summary>
public sealed class ClientRegistry
{
    private readonly ConcurrentDictionary<long, ClientSession> _clients = new();

    public int Count => _clients.Count;

    public void Add(ClientSession c) => _clients[c.Id] = c;

    public void Remove(ClientSession c) => _clients.TryRemove(c.Id, out _);

    /// <summary>A snapshot of the sessions, ordered by id (CLIENT LIST, CLIENT KILL, INFO clients).</summary>
    public List<ClientSession> Sessions()
    {
        var list = new List<ClientSession>(_clients.Count);
        foreach (var kv in _clients) list.Add(kv.Value);
        list.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    /// <summary>The session of client <paramref name="id"/>, or null.</summary>
    public ClientSession? Find(long id) => _clients.TryGetValue(id, out ClientSession? c) ? c : null;

    /// <summary>
    /// Closes <paramref name="c"/> and forgets it at once (CLIENT KILL), so a CLIENT LIST or KILL right after no
    /// longer sees it even before its loop has ended.
    /// </summary>
    public void Kill(ClientSession c)
    {
        _clients.TryRemove(c.Id, out _);
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
            if (nowMs - kv.Value.LastInteractionMs > idleMs) kv.Value.Kill();
    }
}

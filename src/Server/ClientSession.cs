namespace Tiered.Server;

/// <summary>
/// A client's session state as commands see it (CLIENT LIST, SELECT, AUTH, HELLO...).
///
/// Shared state rule: the fields are changed by the client's own commands (under the store lock) or by the
/// connection loop that owns them; other clients read them for CLIENT LIST under the store lock. Name and
/// library strings are replaced whole, so a reader sees an old or a new string, never a torn one.
/// </summary>
public sealed class ClientSession
{
    private readonly Action _kill;

    public ClientSession(long id, string remote, string local, long nowMs, Action kill)
    {
        Id = id;
        RemoteAddress = remote;
        LocalAddress = local;
        CreatedMs = nowMs;
        LastInteractionMs = nowMs;
        _kill = kill;
    }

    public long Id { get; }
    public string RemoteAddress { get; }
    public string LocalAddress { get; }
    public long CreatedMs { get; }
    public long LastInteractionMs { get; set; }

    /// <summary>CLIENT SETNAME; null when unnamed.</summary>
    public string? Name { get; set; }

    /// <summary>CLIENT SETINFO LIB-NAME / LIB-VER.</summary>
    public string? LibName { get; set; }
    public string? LibVersion { get; set; }

    /// <summary>The SELECTed database.</summary>
    public int DbIndex { get; set; }

    /// <summary>Whether AUTH succeeded (or no password is required).</summary>
    public bool Authenticated { get; set; }

    /// <summary>2 or 3, as negotiated by HELLO.</summary>
    public int Protocol { get; set; } = 2;

    /// <summary>Full name of the last command run ("client|list").</summary>
    public string LastCommand { get; set; } = "NULL";

    /// <summary>Close the connection once the pending replies are sent (QUIT, protocol errors).</summary>
    public bool CloseAfterReply { get; set; }

    /// <summary>Bytes of input buffered but not yet parsed (CLIENT LIST qbuf).</summary>
    public long QueryBufferBytes { get; set; }

    /// <summary>Closes the connection from another client (CLIENT KILL) or at shutdown.</summary>
    public void Kill() => _kill();
}

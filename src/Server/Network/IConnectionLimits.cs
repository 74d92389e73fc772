namespace Tiered.Server.Network;

/// <summary>
/// The settings a connection reads while it runs, live (CONFIG SET changes them): implemented by the server's options
/// (Admin/ServerOptions.cs), so the network names no administration type. Read once per batch.
/// </summary>
public interface IConnectionLimits
{
    /// <summary>client-query-buffer-limit: most unparsed input bytes one client may buffer; past it the client is closed.</summary>
    long ClientQueryBufferLimit { get; }
}

/// <summary>
/// Where connections count the bytes they receive and send (INFO total_net_input_bytes / total_net_output_bytes):
/// implemented by the server's counters (Admin/ServerStats.cs). Called once per receive and per send, from any thread.
/// </summary>
public interface ITrafficCounters
{
    void AddInputBytes(long n);

    void AddOutputBytes(long n);
}

using Microsoft.Extensions.Logging;
using System.Net.Sockets;
using System.Net;
using Tiered.Server.Admin;
using Tiered.Server.Replication;
using Tiered.Server.Commands;
using Tiered.Server.Network.Transport;
using Tiered.Server.Network;
using Tiered.Tiering.Cold;

namespace Tiered.Server;

/// <summary>
/// The server: the listeners, accepting clients (each connection's loop, Network/Connection.cs, runs its commands
/// through a Commands/ClientHandler.cs), the background cycle, recovery and shutdown, over the state commands see
/// (options, engine, command table, clients: Commands/ServerCore.cs).
/// Hosted by <see cref="ServerHost"/> in the program, or created directly by in-process tests.
/// </summary>
public sealed class TieredServer : ServerCore, IAsyncDisposable
{
    private readonly List<Socket> _listeners = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task? _cron;
    private long _nextClientId;

    /// <param name="extraCommands">Commands added to the table (tests register test-only commands this way).</param>
    public TieredServer(ServerOptions options, EngineOptions engine, ILogger logger, Action? requestShutdown = null,
        IEnumerable<CommandDef>? extraCommands = null)
        : base(options, engine, logger, requestShutdown, extraCommands)
    {
    }

    /// <summary>The transport of client sockets (our epoll loops, or .NET's sockets); made by <see cref="Start"/>.</summary>
    public SocketEngine? Sockets { get; private set; }

    /// <summary>Binds the listeners and starts accepting clients.</summary>
    public void Start()
    {
        Sockets = new SocketEngine(Options.IoThreads, Options.NativeSockets, new ColdReadBatch());
        StartRecovery();
        foreach (string addr in Options.Bind)
        {
            IPAddress ip = addr switch
            {
                "*" => IPAddress.Any,
                "::*" => IPAddress.IPv6Any,
                "localhost" => IPAddress.Loopback,
                _ => IPAddress.Parse(addr.TrimStart('-')),
            };
            var s = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.Bind(new IPEndPoint(ip, Options.Port));
            s.Listen(4096);
            BoundPort = ((IPEndPoint)s.LocalEndPoint!).Port;
            _listeners.Add(s);
            _ = AcceptLoop(s);
            Logger.LogInformation("Ready to accept connections on {Address}:{Port}", addr, BoundPort);
        }
        _cron = Task.Run(CronLoop);
        if (Options.Replication.ReplicaOf is { } primary && ReplicationOptions.Parse(primary, out string host, out int port))
            Ready = Ready.ContinueWith(_ => { lock (Store.Lock) ReplicaOf(host, port); }, TaskScheduler.Default);
    }

    private ReplicaLink? _link;
    private readonly List<Task> _stoppedLinks = [];

    /// <inheritdoc/>
    public override void ReplicaOf(string? host, int port)
    {
        if (_link is { } old)
        {
            _stoppedLinks.Add(old.DisposeAsync().AsTask());   // it applies nothing more: it checks under the lock we hold
            _link = null;
        }
        if (host is null)
        {
            if (Replication.IsReplica)
            {
                Logger.LogInformation("MASTER MODE enabled (user request)");
                Metrics.ChangeReplId();   // a new history starts here
            }
            Replication.PrimaryHost = null;
            Replication.PrimaryPort = 0;
            Replication.Link = ReplicaLinkState.None;
            return;
        }
        Replication.PrimaryHost = host;
        Replication.PrimaryPort = port;
        Replication.LinkDownSinceMs = 0;
        Logger.LogInformation("REPLICAOF {Host}:{Port} enabled", host, port);
        _link = new ReplicaLink(this, host, port);
    }

    private async Task AcceptLoop(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket s;
            try { s = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException ex)
            {
                Logger.LogWarning("Accept failed: {Error}", ex.SocketErrorCode);
                continue;
            }
            s.NoDelay = true;
            if (Options.TcpKeepAlive > 0)
            {
                s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
                s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, Options.TcpKeepAlive);
            }
            Stats.TotalConnections++;
            if (Clients.Count >= Options.MaxClients)
            {
                Stats.RejectedConnections++;
                try { s.Send("-ERR max number of clients reached\r\n"u8); } catch (SocketException) { }
                s.Dispose();
                continue;
            }
            var conn = new Connection(Sockets!.Wrap(s), Interlocked.Increment(ref _nextClientId), Store, Engine, Options, Stats,
                Logger, c => new ClientHandler(this, c));   // the handler enters the client in Clients
            _ = Task.Run(conn.RunAsync);
        }
    }

    /// <summary>
    /// The background cycle (Redis's serverCron): active expiry and idle-client timeouts, <c>hz</c> times a second.
    /// Each expiry step holds the store lock for a bounded number of slots so requests keep flowing.
    /// </summary>
    private async Task CronLoop()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try { await Task.Delay(1000 / Math.Max(1, Engine.Hz), _stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            try
            {
                lock (Store.Lock)
                {
                    Metrics.Sample(Stats);
                    Replicas.PingIfIdle(Store.Clock.NowMs);   // repl-ping-replica-period: replicas see a live link
                }
                // Up to 4 rounds of 20k slots; stop early when a round found little to delete (Redis's 25% rule).
                for (int round = 0; round < 4; round++)
                {
                    int deleted;
                    lock (Store.Lock) deleted = Pause.Active ? 0 : Store.ActiveExpireCycle(20_000);   // CLIENT PAUSE holds it
                    if (deleted < 5000) break;
                }
                if (Options.Timeout > 0) Clients.CloseIdle(Store.Clock.NowMs, Options.Timeout * 1000L);
            }
            catch (Exception ex)
            {
                Logger.LogError(ex, "Background cycle failed");
            }
        }
    }

    /// <summary>Completes when the dataset is loaded (recovery done) and the background work runs.</summary>
    public Task Ready { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Replays the log on a background task while clients get -LOADING (Redis's behaviour during an AOF load), then
    /// starts the journal's committer, the demoter and the compactor.
    /// </summary>
    private void StartRecovery()
    {
        if (Store.Log is null || !Engine.Durability.Enabled)
        {
            Store.Recover();
            Store.Start();
            return;
        }
        Loading = true;
        LoadingStartedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Ready = Task.Run(() =>
        {
            try
            {
                Logger.LogInformation("Loading the write log from {Dir}", Store.Log.Directory);
                LastRecovery = Store.Recover(message => Logger.LogInformation("{Message}", message));
                LoadFunctions();
                Store.Start();
            }
            catch (Exception ex)
            {
                Logger.LogCritical(ex, "Recovery failed: not serving a dataset that may be wrong");
                RequestShutdown();
                throw;
            }
            finally
            {
                Loading = false;
            }
        });
    }

    /// <summary>Stops listening and closes every client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        foreach (Socket l in _listeners) l.Dispose();
        Clients.KillAll();
        if (_cron != null) await _cron.ConfigureAwait(false);
        try { await Ready.ConfigureAwait(false); } catch (Exception) { }
        Task? link;
        lock (Store.Lock)
        {
            link = _link?.DisposeAsync().AsTask();
            _link = null;
            if (link != null) _stoppedLinks.Add(link);
        }
        await Task.WhenAll(_stoppedLinks).ConfigureAwait(false);
        Sockets?.Dispose();
        lock (Store.Lock) DisposeScripts();   // under the lock: a command still running finishes first
        Store.Dispose();
    }
}

/// <summary>Gathers the SSD reads a network round starts into one device submission (DeviceReadBatch).</summary>
internal sealed class ColdReadBatch : Tiered.Server.Network.Transport.IEventBatch
{
    public void Begin() => Tiered.Tiering.Cold.DeviceReadBatch.Begin();

    public void End() => Tiered.Tiering.Cold.DeviceReadBatch.End();
}

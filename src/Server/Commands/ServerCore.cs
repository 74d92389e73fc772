using Microsoft.Extensions.Logging;
using Tiered.Server.Admin;
using Tiered.Server.Scripting;
using Tiered.Server.Session;

namespace Tiered.Server.Commands;

/// <summary>
/// The server as commands see it: options, engine, command table and dispatcher, the clients and their registries,
/// the administration state, and what INFO reports of the server's life. The running server (TieredServer.cs at the
/// root: listeners, accepting clients, the background cycle, recovery and shutdown) derives from it, so that no
/// command names the server that composes them.
/// </summary>
public abstract class ServerCore
{
    /// <param name="extraCommands">Commands added to the table (tests register test-only commands this way).</param>
    protected ServerCore(ServerOptions options, EngineOptions engine, ILogger logger, Action? requestShutdown,
        IEnumerable<CommandDef>? extraCommands)
    {
        Options = options;
        Engine = engine;
        Logger = logger;
        RequestShutdown = requestShutdown ?? (() => { });
        Store = new Store(engine);
        Notifications = new KeyspaceNotifications(this);
        Store.Notifier = Notifications;
        Config = new ConfigRegistry(options, engine);
        Commands = CommandRegistry.Build(extraCommands);
        Watches = new WatchRegistry(Store.Databases.Length);
        Blocking = new BlockingRegistry(Store.Databases.Length);
        Tracking = new TrackingTable(Clients);
        Pause = new ClientPause(Store.Lock);
        Replicas = new ReplicaRegistry(Store, Replication, options.Replication);
        Dispatcher = new CommandDispatcher(this, Commands);
        SlowLog = new SlowLog(options);
        Latency = new LatencyMonitor(options);
        StartedAt = DateTimeOffset.UtcNow;
    }

    public ServerOptions Options { get; }
    public EngineOptions Engine { get; }
    public ILogger Logger { get; }
    public Store Store { get; }
    public ConfigRegistry Config { get; }
    public CommandTable Commands { get; }
    public CommandDispatcher Dispatcher { get; }
    public SlowLog SlowLog { get; }
    public LatencyMonitor Latency { get; }
    public ServerMetrics Metrics { get; } = new();

    public ServerStats Stats { get; } = new();
    public ClientRegistry Clients { get; } = new();
    public DateTimeOffset StartedAt { get; }

    /// <summary>WATCHed keys (Session/Transactions.cs).</summary>
    public WatchRegistry Watches { get; }

    /// <summary>Clients blocked on keys (Session/Blocking.cs).</summary>
    public BlockingRegistry Blocking { get; }

    /// <summary>Keyspace notifications (notify-keyspace-events).</summary>
    public KeyspaceNotifications Notifications { get; }

    /// <summary>Pub/sub channels and patterns (Session/PubSub.cs).</summary>
    public PubSubRegistry PubSub { get; } = new();

    /// <summary>Non-zero when some client watches or blocks on a key: only then do writes look at their keys.</summary>
    public int KeyInterest => Watches.Count | Blocking.Count | Tracking.Count;

    /// <summary>Clients in MONITOR mode (Session/Monitors.cs).</summary>
    public MonitorFeed Monitors { get; } = new();

    /// <summary>CLIENT PAUSE: which commands wait, until when (Session/ClientPause.cs).</summary>
    public ClientPause Pause { get; }

    /// <summary>Client-side caching: which clients cached which keys (Session/Tracking.cs).</summary>
    public TrackingTable Tracking { get; }

    /// <summary>This server's role and, as a replica, its link's progress (INFO replication, ROLE).</summary>
    public ReplicationState Replication { get; } = new();

    /// <summary>As a primary: its replicas, the stream they receive and its backlog (Session/ReplicaRegistry.cs).</summary>
    public ReplicaRegistry Replicas { get; }

    /// <summary>
    /// REPLICAOF host port (or NO ONE: <paramref name="host"/> null), under the store lock: stops any link to a primary
    /// (nothing more of its stream is applied once this returns) and, with a host, starts following that primary.
    /// </summary>
    public abstract void ReplicaOf(string? host, int port);

    /// <summary>Asks the host to stop (SHUTDOWN).</summary>
    public Action RequestShutdown { get; }

    /// <summary>True while the dataset is loading: commands without the loading flag get -LOADING.</summary>
    public volatile bool Loading;

    /// <summary>The port actually bound (differs from the option when it was 0 in tests).</summary>
    public int BoundPort { get; protected set; }

    /// <summary>What the last recovery found (INFO persistence).</summary>
    public RecoveryResult LastRecovery { get; protected set; }

    /// <summary>Unix ms when loading started.</summary>
    public long LoadingStartedMs { get; protected set; }

    /// <summary>The Lua engine and script cache, made on the first script (Scripting/ScriptEngine.cs).</summary>
    public ScriptEngine Scripts => _scripts ??= MakeScripts();

    private ScriptEngine MakeScripts()
    {
        var engine = new ScriptEngine(ScriptCaller, ServerInfo.RedisVersion, ServerInfo.RedisVersionNumber);
        if (FunctionsPath is { } path) engine.Functions.Changed = payload => SaveFunctions(path, payload);
        return engine;
    }

    /// <summary>
    /// Where the function libraries are kept across restarts (their FUNCTION DUMP payload, beside the write log), or
    /// null with persistence off.
    /// </summary>
    private string? FunctionsPath => Engine.Durability.Enabled ? Path.Combine(Engine.Durability.Dir, "functions.payload") : null;

    private static void SaveFunctions(string path, byte[] payload)
    {
        string temp = path + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            f.Write(payload);
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>At start, after recovery: loads the function libraries kept by <see cref="SaveFunctions"/>.</summary>
    protected void LoadFunctions()
    {
        if (FunctionsPath is not { } path || !File.Exists(path)) return;
        lock (Store.Lock)
        {
            string? error = Scripts.Functions.Restore(File.ReadAllBytes(path), "REPLACE", notify: false);
            if (error != null) Logger.LogError("The function libraries in {Path} were not loaded: {Error}", path, error);
        }
    }

    /// <summary>The script engine if a script has run (INFO reads it without starting Lua).</summary>
    public ScriptEngine? StartedScripts => _scripts;

    /// <summary>The fake client a script's commands run on, if a script has run (read without the store lock).</summary>
    public ScriptCaller? StartedScriptCaller => Volatile.Read(ref _scriptCaller);

    /// <summary>The fake client a script's commands run on.</summary>
    public ScriptCaller ScriptCaller => _scriptCaller ??= new ScriptCaller(this);

    private ScriptEngine? _scripts;
    private ScriptCaller? _scriptCaller;

    /// <summary>Frees the Lua state and the pause timer (at shutdown, once no command runs).</summary>
    protected void DisposeScripts()
    {
        _scripts?.Dispose();
        _scripts = null;
        Pause.Dispose();
    }

    /// <summary>Seconds since start.</summary>
    public long UptimeSeconds => (long)(DateTimeOffset.UtcNow - StartedAt).TotalSeconds;
}

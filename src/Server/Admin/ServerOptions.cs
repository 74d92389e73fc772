using Tiered.Server.Network;

namespace Tiered.Server.Admin;

/// <summary>
/// Settings of the network server and its clients. Defaults live here; each setting says what it changes.
/// </summary>
public sealed class ServerOptions : IConnectionLimits
{
    /// <summary>TCP port.</summary>
    public int Port { get; set; } = 6379;

    /// <summary>Addresses to listen on (space-separated in config). Loopback by default.</summary>
    public string[] Bind { get; set; } = ["127.0.0.1"];

    /// <summary>Password for AUTH; null when clients need none.</summary>
    public string? RequirePass { get; set; }

    /// <summary>Most simultaneous clients; more are refused with an error.</summary>
    public int MaxClients { get; set; } = 10000;

    /// <summary>Seconds of idleness before a client is closed; 0 never.</summary>
    public int Timeout { get; set; }

    /// <summary>Largest amount of unparsed input one client may buffer.</summary>
    public long ClientQueryBufferLimit { get; set; } = 1L << 30;

    /// <summary>
    /// Milliseconds a script may run before other clients are answered -BUSY (and SCRIPT KILL may stop it); 0: at once.
    /// </summary>
    public long BusyReplyThreshold { get; set; } = 5000;

    /// <summary>Which keyspace notifications are published (notify-keyspace-events); none by default, as in Redis.</summary>
    public KeyspaceEventFlags NotifyKeyspaceEvents { get; set; }

    /// <summary>Commands slower than this many microseconds go to the slow log; negative disables it.</summary>
    public long SlowlogLogSlowerThan { get; set; } = 10000;

    /// <summary>Entries kept in the slow log.</summary>
    public int SlowlogMaxLen { get; set; } = 128;

    /// <summary>Milliseconds; events slower than this are recorded for LATENCY; 0 disables monitoring.</summary>
    public long LatencyMonitorThreshold { get; set; }

    /// <summary>Per-command latency histograms for LATENCY HISTOGRAM (latency-tracking); on by default, as in Redis.</summary>
    public bool LatencyTracking { get; set; } = true;

    /// <summary>
    /// Threads that wait on the sockets (epoll) and run the commands of the connections that became ready; commands
    /// still run one at a time under the store lock. 1, Redis's default, makes each wake-up serve every ready client
    /// and leaves the other cores to the log, compaction and demotion: on 2 cores, 50 clients at pipeline 1 got 9 %
    /// more SETs/s than with 2. Raise it when many connections' parsing and system calls, not the commands, fill a core.
    /// Read at start only.
    /// </summary>
    public int IoThreads { get; set; } = 1;

    /// <summary>
    /// True (the default): on Linux x86-64 client sockets run on Tiered's own epoll loops, which read a socket only
    /// after the kernel said bytes arrived (one read per request; Network/Transport/EpollClientSocket.cs). False, or
    /// on other platforms: .NET's socket operations, which try each read first. Not a config setting; tests use it
    /// to run the same traffic through both transports.
    /// </summary>
    public bool NativeSockets { get; set; } = true;

    /// <summary>TCP keepalive interval in seconds; 0 disables it.</summary>
    public int TcpKeepAlive { get; set; } = 300;

    /// <summary>Log verbosity: debug, verbose, notice, warning.</summary>
    public string LogLevel { get; set; } = "notice";

    /// <summary>
    /// Who may run DEBUG (enable-debug-command): "no" (the default) nobody, "yes" every client, "local" clients
    /// connected from 127.0.0.1 or ::1. Set at start only (command line or config file), as in Redis.
    /// </summary>
    public string EnableDebugCommand { get; set; } = "no";

    /// <summary>Replication: the primary to follow, how to authenticate to it, what a replica allows.</summary>
    public ReplicationOptions Replication { get; } = new();

    /// <summary>Absolute path of the config file the server was started with; null without one (not a setting).</summary>
    public string? ConfigFile { get; set; }

    /// <summary>The settings above in Redis's spelling.</summary>
    public IEnumerable<Setting> Settings()
    {
        yield return new("port", "TCP port to listen on.", () => SettingParse.Int(Port),
            SettingParse.IntSetter(v => Port = (int)v, 0, 65535), Mutable: false);
        yield return new("bind", "Addresses to listen on, space-separated.", () => string.Join(' ', Bind),
            s => { Bind = s.Split(' ', StringSplitOptions.RemoveEmptyEntries); return Bind.Length == 0 ? "bind needs an address" : null; }, Mutable: false);
        yield return new("requirepass", "Password clients must AUTH with; empty for none.", () => RequirePass ?? "",
            s => { RequirePass = s.Length == 0 ? null : s; return null; });
        yield return new("io-threads", "Threads that wait on client sockets and run their commands; read at start.", () => SettingParse.Int(IoThreads),
            SettingParse.IntSetter(v => IoThreads = (int)v, 1, 128), Mutable: false);
        yield return new("maxclients", "Most simultaneous client connections.", () => SettingParse.Int(MaxClients),
            SettingParse.IntSetter(v => MaxClients = (int)v, 1, 1_000_000));
        yield return new("timeout", "Close clients idle for this many seconds; 0 never.", () => SettingParse.Int(Timeout),
            SettingParse.IntSetter(v => Timeout = (int)v, 0, int.MaxValue));
        yield return new("client-query-buffer-limit", "Most unparsed input bytes one client may buffer.", () => SettingParse.Int(ClientQueryBufferLimit),
            SettingParse.SizeSetter(v => ClientQueryBufferLimit = v, 1024 * 1024));
        yield return new("slowlog-log-slower-than", "Microseconds above which a command is logged in SLOWLOG; negative disables.", () => SettingParse.Int(SlowlogLogSlowerThan),
            SettingParse.IntSetter(v => SlowlogLogSlowerThan = v, -1, long.MaxValue));
        foreach (string name in (string[])["busy-reply-threshold", "lua-time-limit"])
            yield return new(name, "Milliseconds a script runs before other clients get -BUSY and SCRIPT KILL may stop it.",
                () => SettingParse.Int(BusyReplyThreshold), SettingParse.IntSetter(v => BusyReplyThreshold = v, 0, long.MaxValue));
        yield return new("notify-keyspace-events", "Keyspace notifications to publish: K/E (channels) and event classes (g$lshzxetdmn, A = all).",
            () => KeyspaceEvents.Format(NotifyKeyspaceEvents),
            v => { if (!KeyspaceEvents.TryParse(v, out KeyspaceEventFlags f)) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."; NotifyKeyspaceEvents = f; return null; });
        yield return new("slowlog-max-len", "Entries kept in SLOWLOG.", () => SettingParse.Int(SlowlogMaxLen),
            SettingParse.IntSetter(v => SlowlogMaxLen = (int)v, 0, int.MaxValue));
        yield return new("latency-monitor-threshold", "Milliseconds above which LATENCY records an event; 0 disables.", () => SettingParse.Int(LatencyMonitorThreshold),
            SettingParse.IntSetter(v => LatencyMonitorThreshold = v, 0, long.MaxValue));
        yield return new("latency-tracking", "Keep per-command latency histograms (LATENCY HISTOGRAM).", () => SettingParse.Bool(LatencyTracking),
            SettingParse.BoolSetter(v => LatencyTracking = v));
        yield return new("tcp-keepalive", "TCP keepalive seconds; 0 disables.", () => SettingParse.Int(TcpKeepAlive),
            SettingParse.IntSetter(v => TcpKeepAlive = (int)v, 0, int.MaxValue));
        yield return new("enable-debug-command", "Who may run DEBUG: no, yes, or local (loopback clients); set at start.", () => EnableDebugCommand,
            SettingParse.EnumSetter(["no", "yes", "local"], v => EnableDebugCommand = v), Mutable: false);
        yield return new("loglevel", "Log verbosity: debug, verbose, notice, warning.", () => LogLevel,
            SettingParse.EnumSetter(["debug", "verbose", "notice", "warning"], v => LogLevel = v));
        foreach (Setting s in Replication.Settings()) yield return s;
    }
}

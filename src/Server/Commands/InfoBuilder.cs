using Tiered.Server.Admin;
using Tiered.Server.Session;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Durability;
using Tiered.Tiering.Metrics;

namespace Tiered.Server.Commands;

/// <summary>
/// Builds the text of INFO: <c># Section</c> headers, <c>field:value</c> lines ending in CRLF, a blank line
/// between sections, with Redis's section and field names. Must be called with the store lock held (it reads
/// engine state and counters that change under it).
/// </summary>
public static class InfoBuilder
{
    /// <summary>Sections of plain <c>INFO</c> (and <c>INFO default</c>), in Redis's order.</summary>
    public static readonly string[] DefaultSections =
        ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "cluster", "tiering", "keyspace"];

    /// <summary>Sections of <c>INFO all</c>: the default ones plus commandstats (Redis has no modules here).</summary>
    public static readonly string[] AllSections =
        ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "commandstats", "cluster", "tiering", "keyspace"];

    /// <summary>
    /// The INFO text for the requested section names (any case; "default", "all", "everything" expand).
    /// Unknown names are ignored, as Redis does; no names means the default sections.
    /// </summary>
    public static string Build(ServerCore server, IReadOnlyList<string> requested)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        if (requested.Count == 0) wanted.UnionWith(DefaultSections);
        foreach (string r in requested)
        {
            string n = r.ToLowerInvariant();
            if (n == "default") wanted.UnionWith(DefaultSections);
            else if (n is "all" or "everything") wanted.UnionWith(AllSections);
            else wanted.Add(n);
        }
        var sb = new StringBuilder(4096);
        foreach (string section in AllSections)
        {
            if (!wanted.Contains(section)) continue;
            if (sb.Length > 0) sb.Append("\r\n");
            switch (section)
            {
                case "server": Server(sb, server); break;
                case "clients": Clients(sb, server); break;
                case "memory": Memory(sb, server); break;
                case "persistence": Persistence(sb, server); break;
                case "stats": Stats(sb, server); break;
                case "replication": Replication(sb, server); break;
                case "cpu": Cpu(sb); break;
                case "commandstats": CommandStats(sb, server); break;
                case "cluster": sb.Append("# Cluster\r\n"); Line(sb, "cluster_enabled", 0); break;
                case "tiering": Section(sb, server.Store.Metrics); break;
                case "keyspace": Keyspace(sb, server.Store); break;
            }
        }
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string name, string value) => sb.Append(name).Append(':').Append(value).Append("\r\n");

    private static void Line(StringBuilder sb, string name, long value) => Line(sb, name, value.ToString(CultureInfo.InvariantCulture));

    private static string F2(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    private static void Server(StringBuilder sb, ServerCore s)
    {
        long nowUs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        long uptime = s.UptimeSeconds;
        sb.Append("# Server\r\n");
        Line(sb, "redis_version", ServerInfo.RedisVersion);
        Line(sb, "tiered_version", ServerInfo.TieredVersion);
        Line(sb, "redis_git_sha1", "00000000");
        Line(sb, "redis_git_dirty", 0);
        Line(sb, "redis_mode", "standalone");
        Line(sb, "os", OsDescription);
        Line(sb, "arch_bits", IntPtr.Size * 8);
        Line(sb, "multiplexing_api", "dotnet-sockets");
        Line(sb, "runtime_version", Environment.Version.ToString());
        Line(sb, "process_id", Environment.ProcessId);
        Line(sb, "process_supervised", "no");
        Line(sb, "run_id", s.Metrics.RunId);
        Line(sb, "tcp_port", s.BoundPort);
        Line(sb, "server_time_usec", nowUs);
        Line(sb, "uptime_in_seconds", uptime);
        Line(sb, "uptime_in_days", uptime / 86400);
        Line(sb, "hz", s.Engine.Hz);
        Line(sb, "configured_hz", s.Engine.Hz);
        Line(sb, "lru_clock", s.Store.Clock.Seconds & 0xFFFFFF);
        Line(sb, "executable", Environment.ProcessPath ?? "");
        Line(sb, "config_file", s.Options.ConfigFile ?? "");
        Line(sb, "io_threads_active", 0);
    }

    /// <summary>Like Redis's "Linux 5.15.0-91-generic x86_64": kernel name and release, then the machine.</summary>
    private static readonly string OsDescription = BuildOsDescription();

    private static string BuildOsDescription()
    {
        string arch = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x86_64",
            Architecture.Arm64 => "aarch64",
            Architecture.X86 => "i686",
            Architecture.Arm => "armv7l",
            var a => a.ToString().ToLowerInvariant(),
        };
        string os = RuntimeInformation.OSDescription;
        if (OperatingSystem.IsLinux())
        {
            // OSDescription names the distribution; Redis shows the kernel (uname -s -r).
            try { os = "Linux " + File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); }
            catch (IOException) { os = "Linux"; }
            catch (UnauthorizedAccessException) { os = "Linux"; }
        }
        return $"{os} {arch}";
    }

    private static void Clients(StringBuilder sb, ServerCore s)
    {
        long maxInput = 0;
        foreach (ClientSession c in s.Clients.Sessions()) maxInput = Math.Max(maxInput, c.QueryBufferBytes);
        sb.Append("# Clients\r\n");
        Line(sb, "connected_clients", s.Clients.Count);
        Line(sb, "cluster_connections", 0);
        Line(sb, "maxclients", s.Options.MaxClients);
        Line(sb, "client_recent_max_input_buffer", maxInput);
        Line(sb, "blocked_clients", s.Blocking.BlockedClients + s.Pause.Waiting);
        Line(sb, "tracking_clients", s.Tracking.Clients);
        Line(sb, "clients_in_timeout_table", 0);
    }

    private static void Memory(StringBuilder sb, ServerCore s)
    {
        // used_memory is the managed heap (the allocator's view, as jemalloc's is for Redis); RSS is the
        // process working set; the dataset figure is the engine's own estimate of keys and values.
        long used = GC.GetTotalMemory(false);
        s.Metrics.NoteUsedMemory(used);
        long rss = Environment.WorkingSet;
        long peak = s.Metrics.PeakUsedMemory;
        long dataset = s.Store.UsedMemory;
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long maxmemory = s.Engine.Memory.MaxMemory;
        sb.Append("# Memory\r\n");
        Line(sb, "used_memory", used);
        Line(sb, "used_memory_human", Human(used));
        Line(sb, "used_memory_rss", rss);
        Line(sb, "used_memory_rss_human", Human(rss));
        Line(sb, "used_memory_peak", peak);
        Line(sb, "used_memory_peak_human", Human(peak));
        Line(sb, "used_memory_peak_perc", F2(peak == 0 ? 0 : 100.0 * used / peak) + "%");
        Line(sb, "used_memory_dataset", dataset);
        Line(sb, "used_memory_dataset_perc", F2(used == 0 ? 0 : 100.0 * dataset / used) + "%");
        Line(sb, "total_system_memory", total);
        Line(sb, "total_system_memory_human", Human(total));
        long lua = s.StartedScripts?.MemoryBytes ?? 0;
        long scriptBytes = s.StartedScripts?.BodyBytes ?? 0;
        Line(sb, "used_memory_lua", lua);
        Line(sb, "used_memory_lua_human", Human(lua));
        Line(sb, "used_memory_scripts_eval", scriptBytes);
        Line(sb, "number_of_cached_scripts", s.StartedScripts?.Count ?? 0);
        Line(sb, "used_memory_scripts", scriptBytes);
        Line(sb, "used_memory_scripts_human", Human(scriptBytes));
        Line(sb, "maxmemory", maxmemory);
        Line(sb, "maxmemory_human", Human(maxmemory));
        Line(sb, "maxmemory_policy", s.Engine.Memory.MaxMemoryPolicy);
        Line(sb, "mem_fragmentation_ratio", F2(used == 0 ? 0 : (double)rss / used));
        // Redis excludes replication and AOF buffers from the eviction budget; the budget here counts only the dataset.
        Line(sb, "mem_not_counted_for_evict", 0);
        Line(sb, "mem_allocator", "dotnet-gc");
        // Bytes the process has allocated on the managed heap since start, and garbage collections so far:
        // the difference across a benchmark divided by its requests is the allocation per request.
        Line(sb, "dotnet_total_allocated_bytes", GC.GetTotalAllocatedBytes(false));
        Line(sb, "dotnet_gc_gen0_collections", GC.CollectionCount(0));
        Line(sb, "dotnet_gc_gen2_collections", GC.CollectionCount(2));
        // Time every thread stood still for the collector since start: across a benchmark, what GC adds to the tail.
        Line(sb, "dotnet_gc_pause_ms", (long)GC.GetTotalPauseDuration().TotalMilliseconds);
    }

    /// <summary>Redis's bytesToHuman: 512B, 1.50K, 64.00M...</summary>
    public static string Human(long bytes)
    {
        if (bytes < 1024) return bytes.ToString(CultureInfo.InvariantCulture) + "B";
        string[] units = ["K", "M", "G", "T", "P"];
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return F2(v) + units[u];
    }

    private static void Persistence(StringBuilder sb, ServerCore s)
    {
        Journal? j = s.Store.Journal;
        long writes = 0;
        foreach (CommandDef d in s.Commands.All)
            if ((d.Flags & CommandFlags.Write) != 0) writes += d.Calls - d.FailedCalls;
        long lastSave = j?.LastCommitMs / 1000 ?? s.StartedAt.ToUnixTimeSeconds();
        sb.Append("# Persistence\r\n");
        Line(sb, "loading", s.Loading ? 1 : 0);
        Line(sb, "async_loading", 0);
        if (s.Loading) Line(sb, "loading_start_time", s.LoadingStartedMs / 1000);
        // With the log, "unsaved" is "appended but not yet committed": 1 when some write is not durable yet, else 0.
        Line(sb, "rdb_changes_since_last_save", j is null ? writes : j.AppendedUntil > j.CommittedUntil ? 1 : 0);
        Line(sb, "rdb_bgsave_in_progress", 0);
        Line(sb, "rdb_last_save_time", lastSave);
        Line(sb, "rdb_last_bgsave_status", "ok");
        Line(sb, "rdb_last_bgsave_time_sec", -1);
        Line(sb, "rdb_current_bgsave_time_sec", -1);
        Line(sb, "rdb_saves", 0);
        Line(sb, "aof_enabled", j is null ? 0 : 1);
        Line(sb, "aof_rewrite_in_progress", 0);
        Line(sb, "aof_rewrite_scheduled", 0);
        Line(sb, "aof_last_rewrite_time_sec", -1);
        Line(sb, "aof_current_rewrite_time_sec", -1);
        Line(sb, "aof_last_bgrewrite_status", "ok");
        Line(sb, "aof_rewrites", s.Store.TierStats.Compactions);
        Line(sb, "aof_last_write_status", j is null || j.LastCommitOk ? "ok" : "err");
        if (j is null) return;
        Line(sb, "aof_current_size", s.Store.Log?.SizeBytes ?? 0);
        Line(sb, "aof_fsync", s.Engine.Durability.AppendFsync);
        Line(sb, "log_appended_until", j.AppendedUntil);
        Line(sb, "log_committed_until", j.CommittedUntil);
        Line(sb, "log_records_written", j.Records);
        Line(sb, "log_op_records", j.OpRecords);
        Line(sb, "log_bytes_written", j.BytesWritten);
        Line(sb, "log_commits", j.Commits);
        Line(sb, "log_commit_usec", j.CommitMicros);
        Line(sb, "log_commit_usec_per_call", j.Commits == 0 ? "0.00" : (j.CommitMicros / (double)j.Commits).ToString("F2", CultureInfo.InvariantCulture));
        Line(sb, "log_unlogged_writes", j.UnloggedWrites);
        Line(sb, "recovery_records", s.LastRecovery.Records);
        Line(sb, "recovery_bytes", s.LastRecovery.Bytes);
        Line(sb, "recovery_seconds", s.LastRecovery.Seconds.ToString("F3", CultureInfo.InvariantCulture));
        Line(sb, "recovery_damaged_record_address", s.LastRecovery.InvalidAddress);
    }

    private static void Stats(StringBuilder sb, ServerCore s)
    {
        ServerStats st = s.Stats;
        EngineStats es = s.Store.Stats;
        sb.Append("# Stats\r\n");
        Line(sb, "total_connections_received", st.TotalConnections);
        Line(sb, "total_commands_processed", st.CommandsProcessed);
        Line(sb, "instantaneous_ops_per_sec", (long)Math.Round(s.Metrics.OpsPerSec));
        Line(sb, "total_net_input_bytes", st.InputBytes);
        Line(sb, "total_net_output_bytes", st.OutputBytes);
        Line(sb, "instantaneous_input_kbps", F2(s.Metrics.InputKbps));
        Line(sb, "instantaneous_output_kbps", F2(s.Metrics.OutputKbps));
        Line(sb, "rejected_connections", st.RejectedConnections);
        Line(sb, "sync_full", 0);
        Line(sb, "sync_partial_ok", 0);
        Line(sb, "sync_partial_err", 0);
        Line(sb, "expired_keys", es.ExpiredKeys);
        Line(sb, "evicted_keys", es.EvictedKeys);
        Line(sb, "keyspace_hits", es.KeyspaceHits);
        Line(sb, "keyspace_misses", es.KeyspaceMisses);
        Line(sb, "pubsub_channels", s.PubSub.ChannelCount);
        Line(sb, "pubsub_patterns", s.PubSub.PatternCount);
        Line(sb, "pubsubshard_channels", s.PubSub.ShardChannelCount);
        Line(sb, "latest_fork_usec", 0);
        Line(sb, "total_forks", 0);
        Line(sb, "tracking_total_keys", s.Tracking.Keys);
        Line(sb, "tracking_total_items", s.Tracking.Items);
        Line(sb, "tracking_total_prefixes", s.Tracking.Prefixes);
        Line(sb, "total_error_replies", TotalErrorReplies(s));
    }

    /// <summary>
    /// Unknown commands plus every command's rejected and failed calls. A container's counters already include
    /// its subcommands' errors (they are written while the container's handler runs).
    /// </summary>
    public static long TotalErrorReplies(ServerCore s)
    {
        long n = s.Stats.RejectedCalls;
        foreach (CommandDef d in s.Commands.All) n += d.RejectedCalls + d.FailedCalls;
        return n;
    }

    private static void Replication(StringBuilder sb, ServerCore s)
    {
        sb.Append("# Replication\r\n");
        ReplicationState r = s.Replication;
        string replId = s.Metrics.ReplId;
        if (r.IsReplica)
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            bool up = r.Link == ReplicaLinkState.Connected;
            Line(sb, "role", "slave");
            Line(sb, "master_host", r.PrimaryHost!);
            Line(sb, "master_port", r.PrimaryPort);
            Line(sb, "master_link_status", up ? "up" : "down");
            Line(sb, "master_last_io_seconds_ago", r.LastIoMs == 0 ? -1 : (now - r.LastIoMs) / 1000);
            Line(sb, "master_sync_in_progress", r.Link == ReplicaLinkState.Sync ? 1 : 0);
            Line(sb, "slave_read_repl_offset", r.Offset);
            Line(sb, "slave_repl_offset", r.Offset);
            if (r.Link == ReplicaLinkState.Sync)
            {
                long total = r.SyncTotalBytes, read = r.SyncReadBytes;
                Line(sb, "master_sync_total_bytes", total);
                Line(sb, "master_sync_read_bytes", read);
                Line(sb, "master_sync_left_bytes", total < 0 ? -1 : total - read);
                Line(sb, "master_sync_perc", total <= 0 ? "0.00" : (100.0 * read / total).ToString("F2", CultureInfo.InvariantCulture));
                Line(sb, "master_sync_last_io_seconds_ago", r.LastIoMs == 0 ? -1 : (now - r.LastIoMs) / 1000);
            }
            if (!up) Line(sb, "master_link_down_since_seconds", r.LinkDownSinceMs == 0 ? -1 : (now - r.LinkDownSinceMs) / 1000);
            Line(sb, "slave_priority", s.Options.Replication.ReplicaPriority);
            Line(sb, "slave_read_only", s.Options.Replication.ReplicaReadOnly ? 1 : 0);
            Line(sb, "replica_announced", 1);
            if (r.PrimaryReplId is { } primaryId) replId = primaryId;
        }
        else Line(sb, "role", "master");
        IReadOnlyList<ClientSession> replicas = s.Replicas.Replicas;
        Line(sb, "connected_slaves", replicas.Count);
        long nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 0; i < replicas.Count; i++) Line(sb, "slave" + i.ToString(CultureInfo.InvariantCulture), ReplicaRegistry.Describe(replicas[i], nowMs));
        Line(sb, "master_failover_state", "no-failover");
        Line(sb, "master_replid", replId);
        Line(sb, "master_replid2", new string('0', 40));
        Line(sb, "master_repl_offset", r.Offset);
        Line(sb, "second_repl_offset", -1);
        Line(sb, "repl_backlog_active", s.Replicas.BacklogActive ? 1 : 0);
        Line(sb, "repl_backlog_size", s.Replicas.BacklogSize);
        Line(sb, "repl_backlog_first_byte_offset", s.Replicas.BacklogFirstByte);
        Line(sb, "repl_backlog_histlen", s.Replicas.BacklogHistory);
    }

    private static void Cpu(StringBuilder sb)
    {
        using Process p = Process.GetCurrentProcess();
        sb.Append("# CPU\r\n");
        Line(sb, "used_cpu_sys", p.PrivilegedProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
        Line(sb, "used_cpu_user", p.UserProcessorTime.TotalSeconds.ToString("F6", CultureInfo.InvariantCulture));
        Line(sb, "used_cpu_sys_children", "0.000000");
        Line(sb, "used_cpu_user_children", "0.000000");
    }

    private static void CommandStats(StringBuilder sb, ServerCore s)
    {
        sb.Append("# Commandstats\r\n");
        foreach (CommandDef d in s.Commands.All.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            if (d.Subcommands.Length == 0) { CommandStat(sb, d); continue; }
            // Like Redis 7, a container shows up through its subcommands (cmdstat_config|get). Calls that named no
            // known subcommand, or failed the container's own arity check, count as the container's rejected calls.
            long subCalls = 0, subRejected = 0;
            foreach (CommandDef sub in d.Subcommands.OrderBy(x => x.Name, StringComparer.Ordinal))
            {
                CommandStat(sb, sub);
                subCalls += sub.Calls;
                subRejected += sub.RejectedCalls;
            }
            long rejected = d.RejectedCalls + Math.Max(0, d.Calls - subCalls - subRejected);
            if (rejected > 0)
                sb.Append("cmdstat_").Append(d.Name).Append(":calls=0,usec=0,usec_per_call=0.00,rejected_calls=")
                  .Append(rejected).Append(",failed_calls=0\r\n");
        }
    }

    private static void CommandStat(StringBuilder sb, CommandDef d)
    {
        if (d.Calls == 0 && d.RejectedCalls == 0 && d.FailedCalls == 0) return;
        long usec = ServerStats.Micros(d.Ticks);
        sb.Append("cmdstat_").Append(d.FullName)
          .Append(":calls=").Append(d.Calls)
          .Append(",usec=").Append(usec)
          .Append(",usec_per_call=").Append(F2(d.Calls == 0 ? 0 : (double)usec / d.Calls))
          .Append(",rejected_calls=").Append(d.RejectedCalls)
          .Append(",failed_calls=").Append(d.FailedCalls)
          .Append("\r\n");
    }

    /// <summary>A section made from a component's metric registry (# Tiering: Store.Metrics), every metric in its order.</summary>
    private static void Section(StringBuilder sb, MetricSet set)
    {
        sb.Append("# ").Append(set.Section).Append("\r\n");
        foreach (Metric m in set.All)
        {
            if (m.IsInteger) Line(sb, m.Name, m.ReadInteger());
            else Line(sb, m.Name, m.ReadReal().ToString(m.Format, CultureInfo.InvariantCulture));
        }
    }

    private static void Keyspace(StringBuilder sb, Store store)
    {
        sb.Append("# Keyspace\r\n");
        foreach (Database db in store.Databases)
        {
            if (db.Count == 0) continue;
            sb.Append("db").Append(db.Id).Append(":keys=").Append(db.Count).Append(",expires=").Append(db.Expires).Append(",avg_ttl=0\r\n");
        }
    }
}

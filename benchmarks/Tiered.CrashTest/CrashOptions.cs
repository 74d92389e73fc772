using System.Globalization;

namespace Tiered.CrashTest;

/// <summary>A command-line mistake: printed with the usage text, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Settings of a crash or throughput run. Defaults are small enough for an in-process test.</summary>
public sealed class CrashOptions
{
    public string ServerDll { get; set; } = "";
    /// <summary>Run this executable instead of <c>dotnet ServerDll</c> (e.g. redis-server, to check the harness itself).</summary>
    public string? ServerExe { get; set; }
    /// <summary>The server's --dir (its log); null = a fresh temporary directory, removed after a passing run.</summary>
    public string? Dir { get; set; }
    public string? SsdPath { get; set; }
    public string? MaxMemory { get; set; }
    public string AppendFsync { get; set; } = "always";
    public long Keys { get; set; } = 10_000;
    public int ValueSize { get; set; } = 1024;
    public int Cycles { get; set; } = 20;
    public int Clients { get; set; } = 50;
    public bool Load { get; set; }
    public double DelPercent { get; set; } = 5;
    public TimeSpan KillAfterMin { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan KillAfterMax { get; set; } = TimeSpan.FromSeconds(6);
    public int Seed { get; set; } = Environment.TickCount;
    /// <summary>With everysec: acknowledged writes this recent at the kill may be missing.</summary>
    public TimeSpan LossWindow { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>Delete the contents of --dir and --ssd-path before starting.</summary>
    public bool Clean { get; set; }
    /// <summary>Do not pass --appendonly/--appendfsync/--dir: for servers before issue 4, which refuse them.</summary>
    public bool NoPersistenceArgs { get; set; }
    public List<string> ExtraServerArgs { get; } = [];
    /// <summary>Throughput subcommand: how long each setting is loaded.</summary>
    public TimeSpan Seconds { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>throughput: one blocking thread per client (the crash run's writers) instead of async connections.</summary>
    public bool BlockingClients { get; set; }
    /// <summary>Where the server's stdout/stderr go; null = next to the data directory.</summary>
    public string? ServerLog { get; set; }

    /// <summary>Collection writer connections, in addition to the string writers (0 = none, the string-only run).</summary>
    public int Collections { get; set; }
    /// <summary>Keys each collection writer owns per type (list, set, zset, hash, stream).</summary>
    public int CollectionKeys { get; set; } = 4;
    /// <summary>Bytes of each collection element (list element, member, hash value, stream value).</summary>
    public int ElementSize { get; set; } = 32;
    /// <summary>Harness self-check: before each collection check, change one key per type behind its writer's back.</summary>
    public bool TamperCollections { get; set; }

    public bool Always => AppendFsync == "always";

    public const string CrashUsage = """
        usage: Tiered.CrashTest crash --server-dll PATH [options]
          --server-dll PATH        tiered-server.dll (run with `dotnet PATH`)
          --server-exe PATH        or run this executable instead (e.g. /usr/bin/redis-server, to check the harness)
          --dir DIR                server --dir (its log); default: a fresh temporary directory
          --ssd-path DIR           server --ssd-path (cold tier)
          --maxmemory SIZE         server --maxmemory, e.g. 64mb
          --appendfsync MODE       always|everysec|no (default always)
          --keys N                 key space (default 10000)
          --value-size B           value bytes, >= 64 (default 1024)
          --cycles N               kill/restart cycles (default 20)
          --clients C              concurrent writer connections (default 50)
          --load                   write every key once before cycle 1
          --del-percent P          share of DELs among writes (default 5)
          --kill-after A[-B]       time under load before kill -9, random in [A,B] (default 2s-6s)
          --loss-window T          everysec: acknowledged writes this recent at the kill may be missing (default 1s)
          --seed S                 random seed (printed; default: from the clock)
          --start-timeout T        give up waiting for the server to be ready (default 10m)
          --clean                  delete the contents of --dir and --ssd-path first
          --no-persistence-args    do not pass --appendonly/--appendfsync/--dir (servers before issue 4 refuse them)
          --server-arg ARG         extra server argument (repeatable)
          --server-log FILE        server stdout/stderr (default: DIR.server.log)
          --collections N          add N collection writer connections (lists, sets, sorted sets, hashes, streams;
                                   each owns its keys crashc:<writer>:<type>:<k>); default 0
          --collection-keys K      keys per type per collection writer (default 4)
          --element-size B         collection element bytes, >= 16 (default 32)
          --tamper-collections     harness self-check: before each check change one collection key per type behind
                                   its writer's back; the run must then report them (and fail)
        Exit code 0 only if nothing acknowledged was lost and nothing wrong was read (everysec: nothing older than the
        loss window lost), strings and collections alike, and no collection reply contradicted its model; 1 otherwise; 2 usage; 3 could not run.
        """;

    public const string ThroughputUsage = """
        usage: Tiered.CrashTest throughput --server-dll PATH [options]
          Starts the server with --appendfsync everysec, then with always, loads each for --seconds with --clients
          writers (SET, --del-percent DELs) and prints ops/s and the ratio always/everysec (target >= 0.5).
          Options as for crash (--server-exe, --dir, --ssd-path, --maxmemory, --keys, --value-size, --clients, --load, --clean,
          --no-persistence-args, --server-arg), plus
          --seconds T              load time per setting (default 10s)
          --blocking-clients       one blocking thread per client (as crash does) instead of async connections
        Exit code 0 if the ratio is >= 0.5, 1 otherwise.
        """;

    public static CrashOptions Parse(string[] args)
    {
        var o = new CrashOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{a} needs a value");
            switch (a)
            {
                case "--server-dll": o.ServerDll = Next(); break;
                case "--server-exe": o.ServerExe = Next(); break;
                case "--dir": o.Dir = Next(); break;
                case "--ssd-path": o.SsdPath = Next(); break;
                case "--maxmemory": o.MaxMemory = Next(); break;
                case "--appendfsync":
                    o.AppendFsync = Next();
                    if (o.AppendFsync is not ("always" or "everysec" or "no"))
                        throw new UsageException("--appendfsync must be always, everysec or no");
                    break;
                case "--keys": o.Keys = ParseLong(a, Next(), 1); break;
                case "--value-size": o.ValueSize = (int)ParseLong(a, Next(), ValueCodec.MinSize); break;
                case "--cycles": o.Cycles = (int)ParseLong(a, Next(), 1); break;
                case "--clients": o.Clients = (int)ParseLong(a, Next(), 1); break;
                case "--load": o.Load = true; break;
                case "--del-percent":
                    o.DelPercent = double.Parse(Next(), CultureInfo.InvariantCulture);
                    if (o.DelPercent is < 0 or > 100) throw new UsageException("--del-percent must be 0..100");
                    break;
                case "--kill-after":
                {
                    string v = Next();
                    int dash = v.IndexOf('-', 1);
                    o.KillAfterMin = ParseDuration(a, dash < 0 ? v : v[..dash]);
                    o.KillAfterMax = dash < 0 ? o.KillAfterMin : ParseDuration(a, v[(dash + 1)..]);
                    if (o.KillAfterMax < o.KillAfterMin) throw new UsageException("--kill-after A-B needs A <= B");
                    break;
                }
                case "--loss-window": o.LossWindow = ParseDuration(a, Next()); break;
                case "--seed": o.Seed = (int)ParseLong(a, Next(), int.MinValue); break;
                case "--start-timeout": o.StartTimeout = ParseDuration(a, Next()); break;
                case "--clean": o.Clean = true; break;
                case "--no-persistence-args": o.NoPersistenceArgs = true; break;
                case "--server-arg": o.ExtraServerArgs.Add(Next()); break;
                case "--server-log": o.ServerLog = Next(); break;
                case "--seconds": o.Seconds = ParseDuration(a, Next()); break;
                case "--blocking-clients": o.BlockingClients = true; break;
                case "--collections": o.Collections = (int)ParseLong(a, Next(), 0); break;
                case "--collection-keys": o.CollectionKeys = (int)ParseLong(a, Next(), 1); break;
                case "--element-size": o.ElementSize = (int)ParseLong(a, Next(), 16); break;
                case "--tamper-collections": o.TamperCollections = true; break;
                default: throw new UsageException($"unknown option '{a}'");
            }
        }
        if (o.ServerExe is not null)
        {
            if (!File.Exists(o.ServerExe)) throw new UsageException($"server executable not found: {o.ServerExe}");
        }
        else if (o.ServerDll.Length == 0) throw new UsageException("--server-dll (or --server-exe) is required");
        else if (!File.Exists(o.ServerDll)) throw new UsageException($"server dll not found: {o.ServerDll}");
        return o;
    }

    private static long ParseLong(string name, string v, long min)
    {
        if (!long.TryParse(v.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) || n < min)
            throw new UsageException($"{name}: '{v}' is not an integer >= {min}");
        return n;
    }

    /// <summary>"2s", "500ms", "1.5s", "3m" or a bare number of seconds.</summary>
    public static TimeSpan ParseDuration(string name, string v)
    {
        v = v.Trim();
        double scale = 1;
        if (v.EndsWith("ms", StringComparison.Ordinal)) { scale = 0.001; v = v[..^2]; }
        else if (v.EndsWith('s')) v = v[..^1];
        else if (v.EndsWith('m')) { scale = 60; v = v[..^1]; }
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || d < 0)
            throw new UsageException($"{name}: '{v}' is not a duration (e.g. 2s, 500ms)");
        return TimeSpan.FromSeconds(d * scale);
    }
}

using Tiered.Server.Scripting;
using Tiered.Server.Session;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Keys;

namespace Tiered.Server.Commands;

// Why this file looks the way it does
// -----------------------------------
// MEMORY STATS and MEMORY DOCTOR read the same figures, as Redis's getMemoryOverheadData serves both. Redis's
// allocator is jemalloc; Tiered's is the .NET garbage collector, so each field is the nearest real figure:
//   total.allocated    the managed heap's allocated bytes now (INFO used_memory)
//   startup.allocated  the same, taken when the server object was built, before any data
//   allocator.*        the collector's view as of its last collection: heap size less fragmentation (allocated),
//                      heap size (active), memory committed for the heap (resident)
//   dataset.bytes      the engine's accounting of keys and values in DRAM (INFO used_memory_dataset); cold values
//                      are on the SSD and not in it
//   db.N               the index arrays of each database that has keys, its expiry column apart
//   clients.normal     each connection's receive buffer and unparsed input (CLIENT LIST tot-mem)
//   aof.buffer         journal bytes appended but not yet committed
// Redis derives overhead.total, keys.bytes-per-key and the percentages from these the same way.

/// <summary>One measurement of the memory figures, taken under the store lock.</summary>
public sealed class MemoryOverhead
{
    /// <summary>One database with keys: the index's DRAM bytes without, and of, its expiry column.</summary>
    public readonly record struct DbOverhead(int Id, long Main, long Expires);

    public long PeakAllocated { get; private init; }
    public long TotalAllocated { get; private init; }
    public long StartupAllocated { get; private init; }
    public long ClientsNormal { get; private init; }
    public int Clients { get; private init; }
    public long AofBuffer { get; private init; }
    public long LuaCaches { get; private init; }
    public int CachedScripts { get; private init; }
    public long FunctionsCaches { get; private init; }
    public List<DbOverhead> Dbs { get; } = [];
    public long OverheadTotal { get; private init; }
    public long Keys { get; private init; }
    public long ColdKeys { get; private init; }
    public long BytesPerKey { get; private init; }
    public long Dataset { get; private init; }
    public float DatasetPercentage { get; private init; }
    public float PeakPercentage { get; private init; }
    public long AllocatorAllocated { get; private init; }
    public long AllocatorActive { get; private init; }
    public long AllocatorResident { get; private init; }
    public long Rss { get; private init; }

    /// <summary>a / b as Redis's float ratios, 0 when b is 0.</summary>
    public static float Ratio(long a, long b) => b == 0 ? 0 : (float)a / b;

    public static MemoryOverhead Measure(ServerCore s)
    {
        long total = GC.GetTotalMemory(false);
        s.Metrics.NoteUsedMemory(total);
        long startup = s.Metrics.StartupMemory;
        long clients = 0;
        List<ClientSession> sessions = s.Clients.Sessions();
        foreach (ClientSession c in sessions) clients += ClientCommands.ReceiveBuffer + c.QueryBufferBytes;
        long aof = s.Store.Journal is { } j ? Math.Max(0, j.AppendedUntil - j.CommittedUntil) : 0;
        ScriptEngine? scripts = s.StartedScripts;
        long functions = 0;
        if (scripts != null)
            foreach (FunctionLibrary l in scripts.Functions.Libraries) functions += l.Code.Length;
        var dbs = new List<DbOverhead>();
        long dbOverhead = 0;
        foreach (Database db in s.Store.Databases)
        {
            if (db.Count == 0) continue;
            (long main, long expires) = KeyMemory.IndexOverhead(db);
            dbs.Add(new DbOverhead(db.Id, main, expires));
            dbOverhead += main + expires;
        }
        long lua = scripts?.BodyBytes ?? 0;
        long overhead = startup + clients + aof + lua + functions + dbOverhead;
        long keys = s.Store.TotalKeys();
        long net = total > startup ? total - startup : 1;
        long dataset = s.Store.UsedMemory;
        long peak = s.Metrics.PeakUsedMemory;
        GCMemoryInfo gc = GC.GetGCMemoryInfo();
        var m = new MemoryOverhead
        {
            PeakAllocated = peak,
            TotalAllocated = total,
            StartupAllocated = startup,
            ClientsNormal = clients,
            Clients = sessions.Count,
            AofBuffer = aof,
            LuaCaches = lua,
            CachedScripts = scripts?.Count ?? 0,
            FunctionsCaches = functions,
            OverheadTotal = overhead,
            Keys = keys,
            ColdKeys = keys - s.Store.HotKeys(),
            BytesPerKey = keys == 0 ? 0 : net / keys,
            Dataset = dataset,
            DatasetPercentage = (float)dataset * 100 / net,
            PeakPercentage = peak == 0 ? 0 : (float)total * 100 / peak,
            AllocatorAllocated = gc.HeapSizeBytes - gc.FragmentedBytes,
            AllocatorActive = gc.HeapSizeBytes,
            AllocatorResident = gc.TotalCommittedBytes,
            Rss = Environment.WorkingSet,
        };
        m.Dbs.AddRange(dbs);
        return m;
    }
}

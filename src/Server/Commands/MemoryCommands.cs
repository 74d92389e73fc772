using System.Text;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Types.Keys;

namespace Tiered.Server.Commands;

/// <summary>
/// MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE (HELP comes from commands.json). The figures are Tiered's own
/// accounting (<see cref="MemoryOverhead"/>); the reply shapes and texts are Redis 7.0's.
/// </summary>
public static class MemoryCommands
{
    /// <summary>
    /// MEMORY USAGE key [SAMPLES count]: Redis checks the options first (a missing count, a negative one or an unknown
    /// word is a syntax error), then looks the key up without expiring, touching or counting it. The engine keeps each
    /// value's exact size, so SAMPLES changes nothing but is validated as Redis does; a cold key's value stays on the SSD.
    /// </summary>
    [Command("memory|usage")] private static void Usage(CommandContext c)
    {
        for (int j = 3; j < c.Count; j++)
        {
            if (!c.Is(j, "SAMPLES"u8) || j + 1 >= c.Count) { c.SyntaxError(); return; }
            if (!c.Long(j + 1, out long samples)) return;
            if (samples < 0) { c.SyntaxError(); return; }
            j++;
        }
        if (KeyMemory.Usage(c.Db, c[2], out long bytes, out _)) c.Writer.Integer(bytes);
        else c.Writer.Null();
    }

    /// <summary>MEMORY STATS: Redis 7.0's fields in its order, a map (an array of pairs in RESP2); ratios are floats.</summary>
    [Command("memory|stats")] private static void Stats(CommandContext c)
    {
        MemoryOverhead m = MemoryOverhead.Measure(c.Server);
        RespWriter w = c.Writer;
        w.Map(27 + m.Dbs.Count);
        Field(w, "peak.allocated"u8, m.PeakAllocated);
        Field(w, "total.allocated"u8, m.TotalAllocated);
        Field(w, "startup.allocated"u8, m.StartupAllocated);
        Field(w, "replication.backlog"u8, 0);
        Field(w, "clients.slaves"u8, 0);
        Field(w, "clients.normal"u8, m.ClientsNormal);
        Field(w, "cluster.links"u8, 0);
        Field(w, "aof.buffer"u8, m.AofBuffer);
        Field(w, "lua.caches"u8, m.LuaCaches);
        Field(w, "functions.caches"u8, m.FunctionsCaches);
        foreach (MemoryOverhead.DbOverhead d in m.Dbs)
        {
            w.Bulk("db." + d.Id);
            w.Map(3);
            Field(w, "overhead.hashtable.main"u8, d.Main);
            Field(w, "overhead.hashtable.expires"u8, d.Expires);
            Field(w, "overhead.hashtable.slot-to-keys"u8, 0);
        }
        Field(w, "overhead.total"u8, m.OverheadTotal);
        Field(w, "keys.count"u8, m.Keys);
        Field(w, "keys.bytes-per-key"u8, m.BytesPerKey);
        Field(w, "dataset.bytes"u8, m.Dataset);
        Ratio(w, "dataset.percentage"u8, m.DatasetPercentage);
        Ratio(w, "peak.percentage"u8, m.PeakPercentage);
        Field(w, "allocator.allocated"u8, m.AllocatorAllocated);
        Field(w, "allocator.active"u8, m.AllocatorActive);
        Field(w, "allocator.resident"u8, m.AllocatorResident);
        Ratio(w, "allocator-fragmentation.ratio"u8, MemoryOverhead.Ratio(m.AllocatorActive, m.AllocatorAllocated));
        Field(w, "allocator-fragmentation.bytes"u8, m.AllocatorActive - m.AllocatorAllocated);
        Ratio(w, "allocator-rss.ratio"u8, MemoryOverhead.Ratio(m.AllocatorResident, m.AllocatorActive));
        Field(w, "allocator-rss.bytes"u8, m.AllocatorResident - m.AllocatorActive);
        Ratio(w, "rss-overhead.ratio"u8, MemoryOverhead.Ratio(m.Rss, m.AllocatorResident));
        Field(w, "rss-overhead.bytes"u8, m.Rss - m.AllocatorResident);
        Ratio(w, "fragmentation"u8, MemoryOverhead.Ratio(m.Rss, m.TotalAllocated));
        Field(w, "fragmentation.bytes"u8, m.Rss - m.TotalAllocated);
    }

    private static void Field(RespWriter w, ReadOnlySpan<byte> name, long value)
    {
        w.Bulk(name);
        w.Integer(value);
    }

    /// <summary>Redis keeps these as C floats and replies with the float widened to a double ("%.17g").</summary>
    private static void Ratio(RespWriter w, ReadOnlySpan<byte> name, float value)
    {
        w.Bulk(name);
        w.Double(value);
    }

    [Command("memory|doctor")] private static void Doctor(CommandContext c)
        => c.Writer.Verbatim(MemoryDoctor.Report(MemoryOverhead.Measure(c.Server)));

    /// <summary>
    /// MEMORY MALLOC-STATS: Redis prints jemalloc's statistics between "___ Begin jemalloc statistics ___" and
    /// "--- End jemalloc statistics ---"; here the .NET collector's, framed the same way: its mode, the heap as of
    /// the last collection (per generation), and totals since start.
    /// </summary>
    [Command("memory|malloc-stats")] private static void MallocStats(CommandContext c)
    {
        GCMemoryInfo gc = GC.GetGCMemoryInfo();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new StringBuilder("___ Begin dotnet-gc statistics ___\n");
        sb.Append(inv, $"Version: \"{Environment.Version}\"\n");
        sb.Append(inv, $"Server GC: {System.Runtime.GCSettings.IsServerGC.ToString().ToLowerInvariant()}, latency mode: {System.Runtime.GCSettings.LatencyMode}, concurrent: {gc.Concurrent.ToString().ToLowerInvariant()}\n");
        sb.Append(inv, $"Allocated: {GC.GetTotalMemory(false)}, heap: {gc.HeapSizeBytes}, fragmented: {gc.FragmentedBytes}, committed: {gc.TotalCommittedBytes}, promoted: {gc.PromotedBytes}, pinned objects: {gc.PinnedObjectsCount}\n");
        sb.Append(inv, $"Total allocated since start: {GC.GetTotalAllocatedBytes(false)}, pause total: {(long)GC.GetTotalPauseDuration().TotalMilliseconds} ms, time paused: {gc.PauseTimePercentage.ToString("F2", inv)}%\n");
        ReadOnlySpan<GCGenerationInfo> gens = gc.GenerationInfo;
        string[] names = ["gen0", "gen1", "gen2", "loh", "poh"];
        for (int g = 0; g < gens.Length && g < names.Length; g++)
            sb.Append(inv, $"{names[g]}: size {gens[g].SizeAfterBytes}, fragmented {gens[g].FragmentationAfterBytes}, collections {(g <= GC.MaxGeneration ? GC.CollectionCount(g) : 0)}\n");
        sb.Append("--- End dotnet-gc statistics ---\n");
        c.Writer.Verbatim(sb.ToString());
    }

    /// <summary>
    /// MEMORY PURGE: Redis asks jemalloc to return dirty pages; here a blocking, compacting collection of the whole
    /// managed heap (large objects included) that gives the freed memory back to the system. The index's arrays
    /// double as keys arrive and the old ones linger until such a collection, so RSS read right after it is what
    /// the data holds (benchmarks/rss-per-cold-key.sh). Stops every thread for as long as the collection takes.
    /// </summary>
    [Command("memory|purge")] private static void Purge(CommandContext c)
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        c.Writer.Ok();
    }
}

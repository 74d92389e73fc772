using System.Text;

namespace Tiered.Server.Commands;

// Why this file looks the way it does
// -----------------------------------
// MEMORY DOCTOR is Redis's report, with Redis's thresholds and texts, run on Tiered's figures (MemoryOverhead.cs).
// Redis calls an instance "empty" under 5 MB allocated; the .NET runtime alone holds more than that, so here it is
// empty when the engine's dataset is under 5 MB and no key is cold (cold keys hold data the DRAM figures do not
// show). Replica buffers cannot be big: there are no replicas.

/// <summary>MEMORY DOCTOR's text.</summary>
public static class MemoryDoctor
{
    private const long TenMb = 10L << 20;

    public static string Report(MemoryOverhead m)
    {
        if (m.Dataset < 5L * 1024 * 1024 && m.ColdKeys == 0)
            return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
        var sb = new StringBuilder();
        if (m.TotalAllocated > 0 && (float)m.PeakAllocated / m.TotalAllocated > 1.5)
            sb.Append(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n");
        if (High(m.Rss, m.TotalAllocated, 1.4f))
            sb.Append(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"dotnet-gc\".\n\n");
        if (High(m.AllocatorActive, m.AllocatorAllocated, 1.1f))
            sb.Append(" * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n");
        if (High(m.AllocatorResident, m.AllocatorActive, 1.1f))
            sb.Append(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n");
        if (High(m.Rss, m.AllocatorResident, 1.1f))
            sb.Append(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n");
        if (m.Clients > 0 && m.ClientsNormal / m.Clients > 1024 * 200)
            sb.Append(" * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n");
        if (m.CachedScripts > 1000)
            sb.Append(" * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n");
        if (sb.Length == 0)
            return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
        return "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + sb
            + "I'm here to keep you safe, Sam. I want to help you.\n";
    }

    /// <summary>Redis's test: the ratio above <paramref name="limit"/> and the excess above 10 MB.</summary>
    private static bool High(long a, long b, float limit) => MemoryOverhead.Ratio(a, b) > limit && a - b > TenMb;
}

using System.Globalization;
using System.Text;

namespace Tiered.Server.Admin;

// Why this file looks the way it does
// -----------------------------------
// LATENCY DOCTOR and LATENCY GRAPH are texts, and clients and people compare them with Redis's, so both follow Redis
// 7.0 to the byte: the doctor's statistics per event (spikes, integer average and mean absolute deviation, the period
// since the oldest sample divided by the samples), its advice for the two events Tiered records ("command",
// "fast-command"), and the graph's 80-column sparkline of 4 rows with the "_o#" fill and age labels written
// downwards. The events Tiered never records (fork, AOF fsync, expire and eviction cycles) have no advice here.

/// <summary>The LATENCY DOCTOR and LATENCY GRAPH texts. Called under the store lock, as the monitor.</summary>
public static class LatencyReport
{
    private const int GraphColumns = 80;
    private const int GraphRows = 4;
    private const string Fill = "_o#";

    public static string Doctor(LatencyMonitor monitor, ServerOptions options, long nowSeconds)
    {
        IReadOnlyDictionary<string, LatencyEvent> events = monitor.Events;
        if (events.Count == 0 && monitor.Threshold == 0)
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
        var sb = new StringBuilder();
        bool slowlogEnable = false, slowlogTuning = false, slowlogInspect = false, scheduler = false;
        int n = 0;
        foreach (var (name, e) in events)
        {
            if (++n == 1) sb.Append("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
            Analyze(e, nowSeconds, out int samples, out long avg, out long mad, out long period);
            sb.Append(CultureInfo.InvariantCulture,
                $"{n}. {name}: {samples} latency spikes (average {avg}ms, mean deviation {mad}ms, period {((double)period / samples).ToString("F2", CultureInfo.InvariantCulture)} sec). Worst all time event {e.Max}ms.");
            if (name == "command")
            {
                if (options.SlowlogLogSlowerThan < 0 || options.SlowlogMaxLen == 0) slowlogEnable = true;
                else if (options.SlowlogLogSlowerThan / 1000 > monitor.Threshold) slowlogTuning = true;
                slowlogInspect = true;
            }
            else if (name == "fast-command") scheduler = true;
            sb.Append('\n');
        }
        if (n == 0)
            return sb.Append("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n").ToString();
        if (!slowlogInspect && !scheduler)
            return sb.Append("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n").ToString();
        sb.Append("\nI have a few advices for you:\n\n");
        long thresholdUs = monitor.Threshold * 1000;
        if (slowlogEnable)
            sb.Append(CultureInfo.InvariantCulture, $"- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {thresholdUs}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n");
        if (slowlogTuning)
            sb.Append(CultureInfo.InvariantCulture, $"- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {thresholdUs}'.\n");
        if (slowlogInspect)
            sb.Append("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
        if (scheduler)
            sb.Append("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                + "  1) Lower the system load.\n"
                + "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                + "  3) Check if you have a \"noisy neighbour\" problem.\n"
                + "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                + "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
        if (slowlogInspect)
            sb.Append("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
        return sb.ToString();
    }

    /// <summary>Redis's analysis of one event: samples, integer mean, mean absolute deviation, seconds since the oldest (at least 1).</summary>
    private static void Analyze(LatencyEvent e, long nowSeconds, out int samples, out long avg, out long mad, out long period)
    {
        samples = 0;
        long sum = 0, oldest = 0;
        foreach (LatencySample s in e.Samples)
        {
            samples++;
            sum += s.Millis;
            if (oldest == 0 || s.UnixTime < oldest) oldest = s.UnixTime;
        }
        avg = samples == 0 ? 0 : sum / samples;
        period = samples == 0 ? 0 : Math.Max(1, nowSeconds - oldest);
        long deviation = 0;
        foreach (LatencySample s in e.Samples) deviation += Math.Abs(avg - s.Millis);
        mad = samples == 0 ? 0 : deviation / samples;
    }

    /// <summary>LATENCY GRAPH: the header, a rule, and the sparkline of the samples, oldest first, with their ages.</summary>
    public static string Graph(string name, LatencyEvent e, long nowSeconds)
    {
        var values = new List<long>();
        var labels = new List<string>();
        long min = 0, max = 0;
        foreach (LatencySample s in e.Samples)
        {
            if (values.Count == 0) min = max = s.Millis;
            else
            {
                max = Math.Max(max, s.Millis);
                min = Math.Min(min, s.Millis);
            }
            values.Add(s.Millis);
            labels.Add(Age(nowSeconds - s.UnixTime));
        }
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{name} - high {max} ms, low {min} ms (all time high {e.Max} ms)\n");
        sb.Append('-', GraphColumns).Append('\n');
        for (int j = 0; j < values.Count; j += GraphColumns)
        {
            if (j != 0) sb.Append('\n');
            Sparkline(sb, values, labels, min, max, j, Math.Min(GraphColumns, values.Count - j));
        }
        return sb.ToString();
    }

    private static string Age(long elapsed) => elapsed switch
    {
        < 60 => elapsed.ToString(CultureInfo.InvariantCulture) + "s",
        < 3600 => (elapsed / 60).ToString(CultureInfo.InvariantCulture) + "m",
        < 3600 * 24 => (elapsed / 3600).ToString(CultureInfo.InvariantCulture) + "h",
        _ => (elapsed / (3600 * 24)).ToString(CultureInfo.InvariantCulture) + "d",
    };

    /// <summary>
    /// Rows of the filled sparkline (each sample a step of 0..11 over the range, drawn '_' 'o' '#' in its row and '|'
    /// below), a blank row, then each label written downwards, one character per row.
    /// </summary>
    private static void Sparkline(StringBuilder sb, List<long> values, List<string> labels, long min, long max, int offset, int len)
    {
        double range = max - min;
        if (range == 0) range = 1;
        int steps = Fill.Length * GraphRows;
        var chars = new char[len];
        for (int row = 0; ; row++)
        {
            bool more = false;
            Array.Fill(chars, ' ');
            for (int j = 0; j < len; j++)
            {
                if (row < GraphRows)
                {
                    int step = (int)((int)((values[offset + j] - min) * (double)steps) / range);
                    step = Math.Clamp(step, 0, steps - 1);
                    int c = step - (GraphRows - row - 1) * Fill.Length;
                    more = true;
                    if (c >= 0 && c < Fill.Length) chars[j] = Fill[c];
                    else if (c >= Fill.Length) chars[j] = '|';
                }
                else if (row == GraphRows)
                {
                    more = true;   // the blank row between the graph and the labels
                    break;
                }
                else
                {
                    string label = labels[offset + j];
                    int at = row - GraphRows - 1;
                    if (label.Length > at)
                    {
                        more = true;
                        chars[j] = label[at];
                    }
                }
            }
            if (!more) return;
            sb.Append(chars).Append('\n');
        }
    }
}

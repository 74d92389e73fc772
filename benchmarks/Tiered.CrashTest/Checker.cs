using System.Diagnostics;
using System.Text;

namespace Tiered.CrashTest;

/// <summary>What one check after a restart found.</summary>
public sealed class CheckResult
{
    public long Checked;
    public long Ok;
    public long Lost;
    public long Wrong;
    /// <summary>everysec: keys missing only writes acknowledged within the loss window.</summary>
    public long RecentLoss;
    /// <summary>everysec: the oldest such missing write, in seconds before the kill.</summary>
    public double OldestRecentLossSeconds;
    /// <summary>The first few Lost/Wrong keys with what was expected, for the report.</summary>
    public readonly List<string> Samples = [];
}

/// <summary>
/// Reads every key that was ever written (pipelined GETs from a few connections), decodes what it got with
/// <see cref="ValueCodec"/> and asks the <see cref="KeyLedger"/> whether that state is allowed; then resets the ledger
/// to the state read. A key holding garbage is deleted so the next cycle starts from a known state.
/// </summary>
public static class Checker
{
    // A pipelined batch of GETs on cold keys waits for one cold read at a time per connection (the server reads each
    // command's keys before running it), so the check's speed is its number of connections: 4 took 120-220 s for
    // 1,000,000 mostly cold keys.
    private const int Connections = 32;
    private const int Batch = 128;
    private const int MaxSamples = 5;

    public static CheckResult Check(int port, KeyLedger ledger, CrashOptions o, long killTick)
    {
        var result = new CheckResult();
        var garbage = new List<long>();
        var tasks = new Task[Connections];
        for (int p = 0; p < Connections; p++)
        {
            int part = p;
            tasks[p] = Task.Factory.StartNew(() => CheckPart(port, ledger, o, killTick, part, result, garbage),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        Task.WaitAll(tasks);

        if (garbage.Count > 0)
        {
            using var c = new RespConnection(port, TimeSpan.FromSeconds(60));
            foreach (long key in garbage)
            {
                c.Command("DEL", WriteLoad.KeyName(key));
                ledger.Reset(key, missing: true, 0, 0, Stopwatch.GetTimestamp());
            }
        }
        return result;
    }

    private static void CheckPart(int port, KeyLedger ledger, CrashOptions o, long killTick, int part,
        CheckResult result, List<long> garbage)
    {
        using var conn = new RespConnection(port, TimeSpan.FromSeconds(120));
        var keys = new long[Batch];
        var req = new StringBuilder();
        byte[] value = new byte[o.ValueSize];
        byte[] scratch = new byte[o.ValueSize];
        long ok = 0, lost = 0, wrong = 0, recent = 0, checkedKeys = 0, maxAge = 0;
        bool always = o.Always;

        long next = part;
        while (next < ledger.KeyCount)
        {
            int n = 0;
            req.Clear();
            for (; next < ledger.KeyCount && n < Batch; next += Connections)
            {
                if (!ledger.Touched(next))
                    continue;
                keys[n++] = next;
                req.Append(RespConnection.Format("GET", WriteLoad.KeyName(next)));
            }
            if (n == 0)
                continue;
            conn.Send(Encoding.UTF8.GetBytes(req.ToString()));
            for (int i = 0; i < n; i++)
            {
                long key = keys[i];
                Observed what;
                int writer = -1;
                long seq = -1;
                string? readError = null;
                try
                {
                    int len = conn.ReadBulk(value);
                    what = len < 0 ? Observed.Missing
                        : len == o.ValueSize && ValueCodec.TryDecode(value, key, o.ValueSize, scratch, out writer, out seq) ? Observed.Value
                        : Observed.Garbage;
                    if (what == Observed.Garbage)
                        readError = $"{len} bytes starting '{Printable(value.AsSpan(0, Math.Min(Math.Max(len, 0), 40)))}'";
                }
                catch (RespErrorException e)
                {
                    what = Observed.Garbage;
                    readError = "error reply -" + e.Message;
                }
                checkedKeys++;
                Verdict v = ledger.Judge(key, what, writer, seq, killTick, always, o.LossWindow, out long ageTicks, out string? detail);
                switch (v)
                {
                    case Verdict.Ok: ok++; break;
                    case Verdict.RecentLoss: recent++; maxAge = Math.Max(maxAge, ageTicks); break;
                    case Verdict.Lost: lost++; break;
                    case Verdict.Wrong: wrong++; break;
                }
                if (v is Verdict.Lost or Verdict.Wrong)
                {
                    lock (result)
                        if (result.Samples.Count < MaxSamples)
                            result.Samples.Add($"{WriteLoad.KeyName(key)}: {v.ToString().ToLowerInvariant()}: {detail}{(readError is null ? "" : "; read " + readError)}");
                }
                if (what == Observed.Garbage)
                {
                    lock (garbage)
                        garbage.Add(key);
                }
                else
                {
                    ledger.Reset(key, what == Observed.Missing, writer, seq, Stopwatch.GetTimestamp());
                }
            }
        }

        lock (result)
        {
            result.Checked += checkedKeys;
            result.Ok += ok;
            result.Lost += lost;
            result.Wrong += wrong;
            result.RecentLoss += recent;
            result.OldestRecentLossSeconds = Math.Max(result.OldestRecentLossSeconds, (double)maxAge / Stopwatch.Frequency);
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
            sb.Append(b is >= 32 and < 127 ? (char)b : '.');
        return sb.ToString();
    }
}

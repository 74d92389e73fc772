using System.Diagnostics;
using System.Globalization;

namespace Tiered.Server.Tests.Infrastructure;

/// <summary>Raw-protocol helpers for tests that run commands with every key cold (ColdServer with a 1-byte maxmemory).</summary>
public static class ColdWait
{
    public static Dictionary<string, string> Tiering(RawClient info) => Replies.Fields(Replies.Info(info, "tiering"));

    public static long Field(Dictionary<string, string> f, string name) => long.Parse(f[name], CultureInfo.InvariantCulture);

    /// <summary>Polls INFO until no key is hot (10 s at most); returns the tiering fields then.</summary>
    public static Dictionary<string, string> WaitAllCold(RawClient info, string before)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            Dictionary<string, string> f = Tiering(info);
            if (Field(f, "tier_hot_keys") == 0) return f;
            if (sw.ElapsedMilliseconds > 10_000) Assert.Fail($"before {before}: {f["tier_hot_keys"]} keys still hot after 10 s");
            Thread.Sleep(10);
        }
    }

    public static string Run(RawClient c, string[] command)
    {
        c.Command(command);
        return c.ReadReply();
    }
}

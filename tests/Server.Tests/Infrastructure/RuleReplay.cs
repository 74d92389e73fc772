namespace Tiered.Server.Tests.Infrastructure;

/// <summary>
/// Replays a rule table recorded from redis-server ((command, RESP2 reply, RESP3 reply) steps) against Tiered: with
/// the keys in DRAM, or with every key pushed to the SSD before each step. A step that is FLUSHALL starts a new
/// connection, as the recording did.
/// </summary>
public static class RuleReplay
{
    public static string Expected((string[] Command, string Resp2, string Resp3) step, int protocol)
        => protocol == 2 ? step.Resp2 : step.Resp3;

    public static async Task InDram((string[] Command, string Resp2, string Resp3)[] steps, int protocol)
    {
        await using var s = new TestServer();
        RawClient? c = null;
        try
        {
            foreach (var step in steps)
            {
                if (c is null || step.Command[0] == "FLUSHALL") c = Connect(s, protocol, c);
                Check(step, protocol, ColdWait.Run(c, step.Command));
            }
        }
        finally
        {
            c?.Dispose();
        }
    }

    /// <summary>Every key on the SSD before each step; returns how many steps read a cold record.</summary>
    public static async Task<int> OnTheSsd((string[] Command, string Resp2, string Resp3)[] steps, int protocol)
    {
        await using var s = new ColdServer(1);
        using RawClient info = s.Server.Raw();
        RawClient? c = null;
        int coldReads = 0;
        try
        {
            foreach (var step in steps)
            {
                if (c is null || step.Command[0] == "FLUSHALL") c = Connect(s.Server, protocol, c);
                string what = string.Join(' ', step.Command);
                Dictionary<string, string> before = ColdWait.WaitAllCold(info, what[..Math.Min(what.Length, 60)]);
                Check(step, protocol, ColdWait.Run(c, step.Command));
                if (ColdWait.Field(ColdWait.Tiering(info), "tier_ssd_read_items") > ColdWait.Field(before, "tier_ssd_read_items")) coldReads++;
            }
        }
        finally
        {
            c?.Dispose();
        }
        return coldReads;
    }

    private static RawClient Connect(TestServer s, int protocol, RawClient? old)
    {
        old?.Dispose();
        RawClient c = s.Raw();
        if (protocol == 3) Replies.Resp3(c);
        return c;
    }

    private static void Check((string[] Command, string Resp2, string Resp3) step, int protocol, string reply)
        => Assert.True(Expected(step, protocol) == reply,
            $"{string.Join(' ', step.Command)}\nexpected {Expected(step, protocol)}\nactual   {reply}");
}

using Tiered.Server.Session;

namespace Tiered.Server.Commands;

/// <summary>
/// Client-side caching: CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO, with Redis 7.0's
/// options, checks in its order, and error texts. The table and the invalidations are in Session/Tracking.cs.
/// </summary>
public static class TrackingCommands
{
    /// <summary>CLIENT TRACKING on|off [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP]</summary>
    [Command("client|tracking")] private static void Tracking(CommandContext c)
    {
        TrackingFlags flags = TrackingFlags.None;
        long redirect = 0;
        var prefixes = new List<byte[]>();
        for (int j = 3; j < c.Count; j++)
        {
            bool more = j + 1 < c.Count;
            if (c.Is(j, "REDIRECT"u8) && more)
            {
                if (redirect != 0) { c.Writer.Error("ERR A client can only redirect to a single other client"u8); return; }
                if (!c.Long(++j, out redirect)) return;
                if (c.Server.Clients.Find(redirect) is null) { c.Writer.Error("ERR The client ID you want redirect to does not exist"u8); return; }
            }
            else if (c.Is(j, "BCAST"u8)) flags |= TrackingFlags.Bcast;
            else if (c.Is(j, "OPTIN"u8)) flags |= TrackingFlags.OptIn;
            else if (c.Is(j, "OPTOUT"u8)) flags |= TrackingFlags.OptOut;
            else if (c.Is(j, "NOLOOP"u8)) flags |= TrackingFlags.NoLoop;
            else if (c.Is(j, "PREFIX"u8) && more) prefixes.Add(c[++j].ToArray());
            else { c.SyntaxError(); return; }
        }
        ClientSession client = c.Client;
        if (c.Is(2, "OFF"u8))
        {
            c.Server.Tracking.Disable(client);
            c.Writer.Ok();
            return;
        }
        if (!c.Is(2, "ON"u8)) { c.SyntaxError(); return; }
        if ((flags & TrackingFlags.Bcast) == 0 && prefixes.Count > 0) { c.Writer.Error("ERR PREFIX option requires BCAST mode to be enabled"u8); return; }
        TrackingState? now = client.Tracking;
        if (now != null && ((now.Options.Flags ^ flags) & TrackingFlags.Bcast) != 0)
        {
            c.Writer.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."u8);
            return;
        }
        if ((flags & TrackingFlags.Bcast) != 0 && (flags & (TrackingFlags.OptIn | TrackingFlags.OptOut)) != 0)
        {
            c.Writer.Error("ERR OPTIN and OPTOUT are not compatible with BCAST"u8);
            return;
        }
        if ((flags & TrackingFlags.OptIn) != 0 && (flags & TrackingFlags.OptOut) != 0)
        {
            c.Writer.Error("ERR You can't specify both OPTIN mode and OPTOUT mode"u8);
            return;
        }
        if (now != null && ((flags & TrackingFlags.OptIn) != 0 && (now.Options.Flags & TrackingFlags.OptOut) != 0
                            || (flags & TrackingFlags.OptOut) != 0 && (now.Options.Flags & TrackingFlags.OptIn) != 0))
        {
            c.Writer.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."u8);
            return;
        }
        if (!PrefixesDisjoint(c, prefixes, now)) return;
        c.Server.Tracking.Enable(client, new TrackingOptions(flags, redirect), prefixes);
        // Invalidations reach a connection through its push outbox, which only its own loop may switch on: a
        // redirect target hears them once it has subscribed (RESP2 must, as in Redis; a RESP3 target too, here).
        client.Connection?.EnablePush();
        c.Writer.Ok();
    }

    /// <summary>Redis's rule: a client's BCAST prefixes must not be prefixes of one another.</summary>
    private static bool PrefixesDisjoint(CommandContext c, List<byte[]> prefixes, TrackingState? now)
    {
        for (int i = 0; i < prefixes.Count; i++)
        {
            if (now != null)
                foreach (byte[] old in now.Prefixes)
                    if (Overlap(old, prefixes[i]) && !old.AsSpan().SequenceEqual(prefixes[i]))
                        return Refuse(c, $"ERR Prefix '{Text(prefixes[i])}' overlaps with an existing prefix '{Text(old)}'. Prefixes for a single client must not overlap.");
            for (int j = i + 1; j < prefixes.Count; j++)
                if (Overlap(prefixes[i], prefixes[j]))
                    return Refuse(c, $"ERR Prefix '{Text(prefixes[i])}' overlaps with another provided prefix '{Text(prefixes[j])}'. Prefixes for a single client must not overlap.");
        }
        return true;
    }

    private static bool Overlap(byte[] a, byte[] b) => a.AsSpan().StartsWith(b) || b.AsSpan().StartsWith(a);

    private static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    private static bool Refuse(CommandContext c, string error)
    {
        c.Writer.Error(error);
        return false;
    }

    /// <summary>CLIENT CACHING yes|no: whether the next command's reads count, in OPTIN or OPTOUT mode.</summary>
    [Command("client|caching")] private static void Caching(CommandContext c)
    {
        TrackingState? t = c.Client.Tracking;
        if (t is null)
        {
            c.Writer.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"u8);
            return;
        }
        if (c.Is(2, "YES"u8))
        {
            if ((t.Options.Flags & TrackingFlags.OptIn) == 0) { c.Writer.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."u8); return; }
            t.CachingThisCommand = true;
        }
        else if (c.Is(2, "NO"u8))
        {
            if ((t.Options.Flags & TrackingFlags.OptOut) == 0) { c.Writer.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."u8); return; }
            t.CachingThisCommand = false;
        }
        else { c.SyntaxError(); return; }
        t.CachingJustSet = true;
        c.Writer.Ok();
    }

    /// <summary>CLIENT GETREDIR: -1 when not tracking, 0 without a redirect, else the client the invalidations go to.</summary>
    [Command("client|getredir")] private static void GetRedir(CommandContext c)
        => c.Writer.Integer(c.Client.Tracking is { } t ? t.Options.RedirectId : -1);

    /// <summary>CLIENT TRACKINGINFO: flags (a set), redirect and prefixes, as Redis 7.0 orders them.</summary>
    [Command("client|trackinginfo")] private static void TrackingInfo(CommandContext c)
    {
        TrackingState? t = c.Client.Tracking;
        var flags = new List<string>(4);
        if (t is null) flags.Add("off");
        else
        {
            TrackingFlags f = t.Options.Flags;
            flags.Add("on");
            if ((f & TrackingFlags.Bcast) != 0) flags.Add("bcast");
            if ((f & TrackingFlags.OptIn) != 0) flags.Add("optin");
            if ((f & TrackingFlags.OptOut) != 0) flags.Add("optout");
            if (t.CachingThisCommand == true) flags.Add("caching-yes");
            if (t.CachingThisCommand == false) flags.Add("caching-no");
            if ((f & TrackingFlags.NoLoop) != 0) flags.Add("noloop");
            if (t.Options.RedirectId != 0 && c.Server.Clients.Find(t.Options.RedirectId) is null) flags.Add("broken_redirect");
        }
        RespWriter w = c.Writer;
        w.Map(3);
        w.Bulk("flags"u8);
        w.Set(flags.Count);
        foreach (string f in flags) w.Bulk(f);
        w.Bulk("redirect"u8);
        w.Integer(t is null ? -1 : t.Options.RedirectId);
        w.Bulk("prefixes"u8);
        List<byte[]> prefixes = t is null ? [] : t.Prefixes.FindAll(p => p.Length > 0);
        prefixes.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        w.Array(prefixes.Count);
        foreach (byte[] p in prefixes) w.Bulk(p);
    }
}

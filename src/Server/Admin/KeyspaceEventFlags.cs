namespace Tiered.Server.Admin;

/// <summary>
/// The classes of keyspace notifications (notify-keyspace-events), parsed and written as Redis 7.0 does: K and E
/// choose the channels (<c>__keyspace@db__:key</c>, <c>__keyevent@db__:event</c>), the other letters the events.
/// </summary>
[Flags]
public enum KeyspaceEventFlags
{
    None = 0,
    Keyspace = 1 << 0,   // K
    Keyevent = 1 << 1,   // E
    Generic = 1 << 2,    // g
    String = 1 << 3,     // $
    List = 1 << 4,       // l
    Set = 1 << 5,        // s
    Hash = 1 << 6,       // h
    Zset = 1 << 7,       // z
    Expired = 1 << 8,    // x
    Evicted = 1 << 9,    // e
    Stream = 1 << 10,    // t
    KeyMiss = 1 << 11,   // m
    Module = 1 << 12,    // d
    New = 1 << 13,       // n
    /// <summary>A: every class but m and n.</summary>
    All = Generic | String | List | Set | Hash | Zset | Expired | Evicted | Stream | Module,
}

/// <summary>notify-keyspace-events text to flags and back.</summary>
public static class KeyspaceEvents
{
    private static KeyspaceEventFlags Of(char c) => c switch
    {
        'A' => KeyspaceEventFlags.All,
        'g' => KeyspaceEventFlags.Generic,
        '$' => KeyspaceEventFlags.String,
        'l' => KeyspaceEventFlags.List,
        's' => KeyspaceEventFlags.Set,
        'h' => KeyspaceEventFlags.Hash,
        'z' => KeyspaceEventFlags.Zset,
        'x' => KeyspaceEventFlags.Expired,
        'e' => KeyspaceEventFlags.Evicted,
        't' => KeyspaceEventFlags.Stream,
        'm' => KeyspaceEventFlags.KeyMiss,
        'd' => KeyspaceEventFlags.Module,
        'n' => KeyspaceEventFlags.New,
        'K' => KeyspaceEventFlags.Keyspace,
        'E' => KeyspaceEventFlags.Keyevent,
        _ => KeyspaceEventFlags.None,
    };

    /// <summary>The flags of <paramref name="text"/>; false for a character that is no class.</summary>
    public static bool TryParse(string text, out KeyspaceEventFlags flags)
    {
        flags = KeyspaceEventFlags.None;
        foreach (char c in text)
        {
            KeyspaceEventFlags f = Of(c);
            if (f == KeyspaceEventFlags.None) return false;
            flags |= f;
        }
        return true;
    }

    /// <summary>Redis's canonical text: A for all the classes it covers (n is then not written), then K, E, m.</summary>
    public static string Format(KeyspaceEventFlags flags)
    {
        var sb = new StringBuilder();
        if ((flags & KeyspaceEventFlags.All) == KeyspaceEventFlags.All) sb.Append('A');
        else
            foreach (char c in "g$lshzxetdn")
                if ((flags & Of(c)) != 0) sb.Append(c);
        foreach (char c in "KEm")
            if ((flags & Of(c)) != 0) sb.Append(c);
        return sb.ToString();
    }
}

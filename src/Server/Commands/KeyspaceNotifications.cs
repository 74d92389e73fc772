using Tiered.Server.Admin;

namespace Tiered.Server.Commands;

/// <summary>
/// Keyspace notifications: publishes an event on <c>__keyspace@db__:key</c> (K, the event as the message) and on
/// <c>__keyevent@db__:event</c> (E, the key as the message), when notify-keyspace-events enables its class. The
/// engine reports the keys it removes on its own (expired, evicted; Tiering/Base/KeyspaceNotifier.cs), hot or cold;
/// those also invalidate the keys for client-side caching (Session/Tracking.cs).
/// Called under the store lock.
/// </summary>
public sealed class KeyspaceNotifications(ServerCore server) : IKeyspaceNotifier
{
    private byte[] _channel = new byte[256];
    private readonly List<(int Db, byte[] Key)> _heldNew = [];
    private bool _holdNew;

    public bool Wants(EngineEvent kind)
        => Enabled(ClassOf(kind)) && server.PubSub.ChannelCount + server.PubSub.PatternCount > 0
           || kind is EngineEvent.Expired or EngineEvent.Evicted && server.Tracking.Count != 0;   // and client-side caches drop the key

    public void Notify(EngineEvent kind, int db, ReadOnlySpan<byte> key)
    {
        if (kind is EngineEvent.Expired or EngineEvent.Evicted && server.Tracking.Count != 0) server.Tracking.Invalidate(key, null);
        if (kind == EngineEvent.New && _holdNew) _heldNew.Add((db, key.ToArray()));
        else Publish(kind, db, key);
    }

    /// <summary>
    /// Holds the engine's "new" events until the command publishes its first event for the same key (or
    /// <see cref="ReleaseNew"/>), for a command whose events Redis interleaves with the keys it creates: SMOVE
    /// ("srem" of the source, then "new" and "sadd" of the destination), MSET ("new" and "set" key by key).
    /// </summary>
    public void HoldNew() => _holdNew = true;

    /// <summary>Publishes the "new" events still held since <see cref="HoldNew"/>, and stops holding.</summary>
    public void ReleaseNew()
    {
        _holdNew = false;
        foreach ((int db, byte[] key) in _heldNew) Publish(EngineEvent.New, db, key);
        _heldNew.Clear();
    }

    private void Publish(EngineEvent kind, int db, ReadOnlySpan<byte> key) => Publish(ClassOf(kind), kind switch
    {
        EngineEvent.Expired => "expired"u8,
        EngineEvent.Evicted => "evicted"u8,
        EngineEvent.New => "new"u8,
        _ => "keymiss"u8,
    }, db, key);

    private static KeyspaceEventFlags ClassOf(EngineEvent kind) => kind switch
    {
        EngineEvent.Expired => KeyspaceEventFlags.Expired,
        EngineEvent.Evicted => KeyspaceEventFlags.Evicted,
        EngineEvent.New => KeyspaceEventFlags.New,
        _ => KeyspaceEventFlags.KeyMiss,
    };

    /// <summary>Whether events of <paramref name="eventClass"/> are published (one flag test when they are not).</summary>
    public bool Enabled(KeyspaceEventFlags eventClass)
    {
        KeyspaceEventFlags f = server.Options.NotifyKeyspaceEvents;
        return (f & eventClass) != 0 && (f & (KeyspaceEventFlags.Keyspace | KeyspaceEventFlags.Keyevent)) != 0;
    }

    /// <summary>Publishes <paramref name="name"/> for <paramref name="key"/> if its class is enabled.</summary>
    public void Publish(KeyspaceEventFlags eventClass, ReadOnlySpan<byte> name, int db, ReadOnlySpan<byte> key)
    {
        if (_heldNew.Count != 0) ReleaseNewOf(db, key);
        if (!Enabled(eventClass)) return;
        KeyspaceEventFlags f = server.Options.NotifyKeyspaceEvents;
        if ((f & KeyspaceEventFlags.Keyspace) != 0) server.PubSub.Publish(Channel("__keyspace@"u8, db, key), name);
        if ((f & KeyspaceEventFlags.Keyevent) != 0) server.PubSub.Publish(Channel("__keyevent@"u8, db, name), key);
    }

    private void ReleaseNewOf(int db, ReadOnlySpan<byte> key)
    {
        for (int i = 0; i < _heldNew.Count; i++)
        {
            if (_heldNew[i].Db != db || !key.SequenceEqual(_heldNew[i].Key)) continue;
            _heldNew.RemoveAt(i);
            Publish(EngineEvent.New, db, key);
            return;
        }
    }

    /// <summary>prefix + db + "__:" + suffix, in a buffer kept for the next event (valid until then).</summary>
    private ReadOnlySpan<byte> Channel(ReadOnlySpan<byte> prefix, int db, ReadOnlySpan<byte> suffix)
    {
        int need = prefix.Length + 11 + 3 + suffix.Length;
        if (_channel.Length < need) _channel = new byte[Math.Max(need, _channel.Length * 2)];
        Span<byte> s = _channel;
        prefix.CopyTo(s);
        int n = prefix.Length;
        Utf8Formatter.TryFormat(db, s[n..], out int w);
        n += w;
        "__:"u8.CopyTo(s[n..]);
        n += 3;
        suffix.CopyTo(s[n..]);
        return s[..(n + suffix.Length)];
    }
}

using Tiered.Tiering.Cold;

namespace Tiered.Tiering.Durability;

/// <summary>
/// Sees every command's log records as the journal appends them, in order: the replication feed (Replication/
/// CommandFeed.cs) turns them into the commands a replica runs. Called under the store lock, from
/// <see cref="Journal.EndCommand"/>; the spans are valid only during the call.
/// </summary>
public interface IRecordObserver
{
    /// <summary>One record: its type, flags (the value's kind in bits 0-3), database, absolute expiry, key and value.</summary>
    void Record(RecordType type, byte flags, int db, long expireAt, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>The command (or the whole EXEC) whose records came since the last call has ended.</summary>
    void EndCommand();
}

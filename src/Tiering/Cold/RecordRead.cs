using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Cold;

/// <summary>Told when a <see cref="RecordRead"/> it owns is done.</summary>
public interface IRecordReadOwner
{
    /// <summary>
    /// The read is done: <see cref="RecordRead.Record"/> holds the record, or <see cref="RecordRead.Error"/> says why
    /// not. Runs on the device's completion thread (or inline in <see cref="ValueLog.StartRead"/>): short, never blocking.
    /// </summary>
    void OnRecordRead(RecordRead read);
}

/// <summary>
/// One record read from the log, owned and reused by its owner: a cold read then allocates nothing. Its buffer is a
/// pinned array (the pinned object heap, so the device may write into it while the GC runs), sector-aligned inside,
/// grown to the largest read and kept; the GC frees it with the object.
/// </summary>
/// <remarks>
/// Shared state rule: <see cref="ValueLog.StartRead"/> fills it and the device writes its buffer until the owner is
/// told; only then may anyone read <see cref="Record"/>, and it stays valid until the owner starts the next read.
/// </remarks>
public sealed class RecordRead(IRecordReadOwner owner)
{
    private byte[] _buffer = [];
    private int _aligned;   // offset in _buffer of the sector-aligned start the device reads into
    private int _offset;    // offset of the record from there (the entry header skipped)

    /// <summary>The record's log address.</summary>
    public long Address { get; private set; }

    /// <summary>The record's length, as the index knows it.</summary>
    public int Length { get; private set; }

    /// <summary>Why the read failed; null when <see cref="Record"/> holds the record.</summary>
    public ColdReadException? Error { get; private set; }

    /// <summary>The record's bytes (checked); empty when the read failed.</summary>
    public ReadOnlySpan<byte> Record => Error is null ? _buffer.AsSpan(_aligned + _offset, Length) : default;

    internal ValueLog? Log { get; private set; }

    internal int ReaderSlot { get; private set; }

    /// <summary>FasterLog's entry: its length header, then the record.</summary>
    internal ReadOnlySpan<byte> Entry => _buffer.AsSpan(_aligned + _offset - 4, Length + 4);

    internal void Begin(long address, int length)
    {
        Address = address;
        Length = length;
        Error = null;
    }

    /// <summary>Makes room for <paramref name="bytes"/> at an <paramref name="alignment"/> boundary; returns where the device reads to.</summary>
    internal unsafe IntPtr Prepare(ValueLog log, int readerSlot, int recordOffset, int bytes, int alignment)
    {
        Log = log;
        ReaderSlot = readerSlot;
        _offset = recordOffset;
        if (_buffer.Length < bytes + alignment)
            _buffer = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, (bytes + alignment + 4095L) & ~4095L), pinned: true);
        fixed (byte* p = _buffer)   // pinned already: the address is stable for the array's life
        {
            long start = (long)p;
            _aligned = (int)(((start + alignment - 1) & ~((long)alignment - 1)) - start);
            return (IntPtr)(p + _aligned);
        }
    }

    internal void Finish(ColdReadException? error)
    {
        Error = error;
        owner.OnRecordRead(this);
    }
}

namespace Tiered.Server.Protocol;

/// <summary>
/// The arguments of the command being executed, as (offset, length) pairs into one contiguous byte array: the
/// network buffer itself when the command lies in one segment, or a scratch copy when it straddles two.
/// Reused for every command of a connection; nothing is allocated per command.
///
/// Shared state rule: owned by one connection; valid from a successful parse until the next parse on that connection.
/// </summary>
public sealed class ArgList
{
    private int[] _offsets = new int[16];
    private int[] _lengths = new int[16];

    /// <summary>The array the offsets point into.</summary>
    public byte[] Buffer { get; private set; } = [];

    /// <summary>Number of arguments, the command name included.</summary>
    public int Count { get; private set; }

    /// <summary>Argument <paramref name="i"/> (0 is the command name).</summary>
    public ReadOnlySpan<byte> this[int i] => new(Buffer, _offsets[i], _lengths[i]);

    /// <summary>Argument <paramref name="i"/> as memory, for the rare consumer that keeps it past the command.</summary>
    public ReadOnlyMemory<byte> Memory(int i) => new(Buffer, _offsets[i], _lengths[i]);

    internal void Reset(byte[] buffer)
    {
        Buffer = buffer;
        Count = 0;
    }

    internal void Add(int offset, int length)
    {
        if (Count == _offsets.Length)
        {
            Array.Resize(ref _offsets, Count * 2);
            Array.Resize(ref _lengths, Count * 2);
        }
        _offsets[Count] = offset;
        _lengths[Count] = length;
        Count++;
    }

    /// <summary>Shrinks oversized arrays after a command with very many arguments.</summary>
    internal void Trim()
    {
        if (_offsets.Length > 4096)
        {
            _offsets = new int[16];
            _lengths = new int[16];
        }
    }
}

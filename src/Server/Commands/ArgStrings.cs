namespace Tiered.Server.Commands;

/// <summary>
/// A run of a command's arguments as the engine's <see cref="IByteStrings"/>, without copying: <c>count</c> of them
/// from <c>first</c>, <c>step</c> apart (ZADD's members sit between their scores). The one way a command hands the
/// engine a list of members, fields, elements or keys.
/// </summary>
internal readonly struct ArgStrings(CommandContext c, int first, int count, int step = 1) : IByteStrings
{
    /// <summary>Arguments <paramref name="first"/> to the last.</summary>
    public ArgStrings(CommandContext c, int first) : this(c, first, c.Count - first) { }

    public int Count => count;

    public ReadOnlySpan<byte> Get(int i) => c[first + i * step];
}

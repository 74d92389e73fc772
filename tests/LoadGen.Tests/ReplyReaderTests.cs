using System.Text;
using Tiered.LoadGen.Resp;

namespace Tiered.LoadGen.Tests;

/// <summary>The streaming reply reader on exact RESP bytes: kinds, error prefixes, pipelining and arbitrary splits.</summary>
public class ReplyReaderTests
{
    private sealed class Recorder : IReplySink
    {
        public readonly List<(ReplyKind Kind, string Error)> Replies = [];

        public void OnReply(ReplyKind kind, ReadOnlySpan<byte> errorMessage) =>
            Replies.Add((kind, Encoding.ASCII.GetString(errorMessage)));
    }

    private const string Pipelined =
        "+OK\r\n" +
        "$5\r\nhello\r\n" +
        "$-1\r\n" +
        "-ERR unknown command 'FOO'\r\n" +
        ":42\r\n" +
        "$0\r\n\r\n" +
        "*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n*0\r\n" +
        "*-1\r\n" +
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n" +
        "$12\r\nline\r\nbreaks\r\n";

    private static readonly (ReplyKind, string)[] Expected =
    [
        (ReplyKind.Value, ""),
        (ReplyKind.Value, ""),
        (ReplyKind.Nil, ""),
        (ReplyKind.Error, "ERR unknown command 'FOO'"),
        (ReplyKind.Value, ""),
        (ReplyKind.Value, ""),
        (ReplyKind.Value, ""),
        (ReplyKind.Nil, ""),
        (ReplyKind.Error, "WRONGTYPE Operation against a key holding the wrong kind of value"),
        (ReplyKind.Value, ""),
    ];

    [Fact]
    public void Pipelined_replies_in_one_buffer_are_each_reported_in_order()
    {
        var reader = new ReplyReader();
        var sink = new Recorder();
        reader.Feed(Encoding.ASCII.GetBytes(Pipelined), sink);
        Assert.Equal(Expected, sink.Replies);
        Assert.Equal(Expected.Length, reader.Replies);
        Assert.True(reader.IsIdle);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Replies_split_at_any_byte_boundary_give_the_same_result(int chunk)
    {
        var reader = new ReplyReader();
        var sink = new Recorder();
        byte[] bytes = Encoding.ASCII.GetBytes(Pipelined);
        for (int i = 0; i < bytes.Length; i += chunk)
            reader.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)), sink);
        Assert.Equal(Expected, sink.Replies);
    }

    [Fact]
    public void A_partial_reply_is_not_reported_until_complete()
    {
        var reader = new ReplyReader();
        var sink = new Recorder();
        reader.Feed("$10\r\n01234"u8, sink);
        Assert.Empty(sink.Replies);
        Assert.False(reader.IsIdle);
        reader.Feed("56789\r"u8, sink);
        Assert.Empty(sink.Replies);
        reader.Feed("\n"u8, sink);
        Assert.Single(sink.Replies);
    }

    [Fact]
    public void A_large_bulk_value_is_skipped_without_buffering()
    {
        var reader = new ReplyReader();
        var sink = new Recorder();
        byte[] payload = new byte[1_000_000];
        payload.AsSpan().Fill((byte)'\n'); // newlines inside a bulk payload must not be read as line ends
        reader.Feed("$1000000\r\n"u8, sink);
        reader.Feed(payload, sink);
        reader.Feed("\r\n+OK\r\n"u8, sink);
        Assert.Equal([(ReplyKind.Value, ""), (ReplyKind.Value, "")], sink.Replies);
    }

    [Fact]
    public void A_very_long_error_line_is_counted_with_its_prefix()
    {
        var reader = new ReplyReader();
        var sink = new Recorder();
        reader.Feed(Encoding.ASCII.GetBytes("-OOM " + new string('x', 5000) + "\r\n:1\r\n"), sink);
        Assert.Equal(2, sink.Replies.Count);
        Assert.Equal(ReplyKind.Error, sink.Replies[0].Kind);
        Assert.Equal("OOM", ReplyReader.ErrorPrefix(Encoding.ASCII.GetBytes(sink.Replies[0].Error)));
    }

    [Theory]
    [InlineData("ERR unknown command", "ERR")]
    [InlineData("WRONGTYPE Operation", "WRONGTYPE")]
    [InlineData("NOAUTH", "NOAUTH")]
    [InlineData("", "(empty)")]
    public void Error_prefix_is_the_first_word(string message, string prefix) =>
        Assert.Equal(prefix, ReplyReader.ErrorPrefix(Encoding.ASCII.GetBytes(message)));

    [Theory]
    [InlineData("?what\r\n")]
    [InlineData("$abc\r\n")]
    [InlineData("+OK\n")]
    public void Malformed_input_is_a_protocol_error(string bytes) =>
        Assert.Throws<InvalidDataException>(() => new ReplyReader().Feed(Encoding.ASCII.GetBytes(bytes), new Recorder()));
}

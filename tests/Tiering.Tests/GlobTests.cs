using System.Text;
using Tiered.Tiering.Base;

namespace Tiered.Tiering.Tests;

public sealed class GlobTests
{
    private static bool M(string pattern, string text, bool noCase = false)
        => Glob.Match(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(text), noCase);

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("*", "anything", true)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("h?llo", "hello", true)]
    [InlineData("h?llo", "hllo", false)]
    [InlineData("h*llo", "hllo", true)]
    [InlineData("h*llo", "heeeello", true)]
    [InlineData("h*llo", "hellox", false)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    [InlineData("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("user:*:name", "user:42:name", true)]
    [InlineData("user:*:name", "user:42:age", false)]
    [InlineData("a**", "a", true)]
    public void StarAndQuestionMarkMatchLikeRedis(string pattern, string text, bool expected)
        => Assert.Equal(expected, M(pattern, text));

    [Theory]
    [InlineData("h[ae]llo", "hello", true)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-b]llo", "hbllo", true)]
    [InlineData("h[a-b]llo", "hcllo", false)]
    [InlineData("h[b-a]llo", "hallo", true)] // reversed range is swapped
    [InlineData("[a-]", "_", true)]           // Redis: 'a'-']' is a range (swapped to ']'..'a'), '_' is inside
    [InlineData("[a-]", "-", false)]
    [InlineData("[abc", "b", true)]           // unterminated class ends at the pattern end
    [InlineData("[", "x", false)]
    [InlineData("[\\]]", "]", true)]
    [InlineData("[\\-]", "-", true)]
    public void ClassesMatchLikeRedis(string pattern, string text, bool expected)
        => Assert.Equal(expected, M(pattern, text));

    [Theory]
    [InlineData("\\*", "*", true)]
    [InlineData("\\*", "a", false)]
    [InlineData("a\\?", "a?", true)]
    [InlineData("a\\?", "ab", false)]
    [InlineData("\\", "\\", true)] // a trailing backslash is literal
    public void BackslashEscapesTheNextByte(string pattern, string text, bool expected)
        => Assert.Equal(expected, M(pattern, text));

    [Fact]
    public void NoCaseFoldsAsciiLettersAndRanges()
    {
        Assert.True(M("MAX*", "maxmemory", noCase: true));
        Assert.False(M("MAX*", "maxmemory"));
        Assert.True(M("[A-C]x", "bX", noCase: true));
        Assert.False(M("[\\A]", "a", noCase: true)); // an escaped class byte compares exactly, as in Redis
    }

    [Fact]
    public void MatchesBinaryBytes()
    {
        byte[] text = [0x00, 0xFF, (byte)'k'];
        Assert.True(Glob.Match("??k"u8, text));
        Assert.False(Glob.Match("?k"u8, text));
    }

    [Fact]
    public void HostileStarPatternFinishesQuickly()
    {
        string text = new('a', 5000);
        string pattern = string.Concat(Enumerable.Repeat("*a", 200)) + "b";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(M(pattern, text));
        Assert.True(sw.ElapsedMilliseconds < 2000, $"took {sw.ElapsedMilliseconds} ms");
    }
}

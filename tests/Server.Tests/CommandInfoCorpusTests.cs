// COMMAND INFO, GETKEYS and GETKEYSANDFLAGS against redis-server's own replies (CommandInfoCorpus.cs, recorded from
// redis-server 7.0.15 by Corpus/command-info.py): every command Tiered shares with Redis, byte for byte in RESP2 and
// RESP3, and key lookups through every key-spec shape. Then the engine's own key finder (prefetch, WATCH, tracking)
// against the keys Redis's specs name for the same invocations.

using Tiered.Server.Commands;
using Tiered.Server.Tests.Infrastructure;

namespace Tiered.Server.Tests;

public sealed class CommandInfoCorpusTests
{
    public static TheoryData<int> Protocols => new() { 2, 3 };

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task CommandInfoOfEverySharedCommandIsRedissByteForByte(int protocol) => RuleReplay.InDram(CommandInfoCorpus.Info, protocol);

    [Theory]
    [MemberData(nameof(Protocols))]
    public Task GetKeysAndGetKeysAndFlagsFindWhatRedisFinds(int protocol) => RuleReplay.InDram(CommandInfoCorpus.Keys, protocol);

    [Fact]
    public void TheCorpusCoversEveryKeySpecShape()
    {
        CommandTable table = CommandRegistry.Build();
        var seen = new HashSet<string>();
        foreach (var rule in CommandInfoCorpus.Keys)
        {
            if (rule.Command.Length < 3 || table.Find(rule.Command[2]) is not { } d) continue;
            foreach (KeySpec s in d.KeySpecs) seen.Add($"{s.Begin}/{s.Find}");
            if (rule.Resp2.Contains("variable_flags") || (d.KeySpecs.Length > 0 && (d.KeySpecs[0].Flags & KeySpecFlags.VariableFlags) != 0)) seen.Add("variable");
            if (Array.Exists(d.KeySpecs, s => (s.Flags & KeySpecFlags.NotKey) != 0)) seen.Add("not_key");
            if (Array.Exists(d.KeySpecs, s => s.Limit > 1)) seen.Add("limit");
        }
        foreach (string shape in new[] { "Index/Range", "Index/KeyNum", "Keyword/Range", "Unknown/Unknown", "variable", "not_key", "limit" })
            Assert.Contains(shape, seen);
    }

    /// <summary>
    /// The finder every command runs through (CommandDef.GetKeyPositions) names no key Redis's specs do not, and when
    /// it names any it names them all: a key prefetched from the SSD, watched or tracked is the key Redis would route.
    /// </summary>
    [Fact]
    public void TheEnginesKeyFinderAgreesWithRedisKeySpecs()
    {
        CommandTable table = CommandRegistry.Build();
        int compared = 0;
        foreach (var rule in CommandInfoCorpus.Keys)
        {
            if (rule.Command.Length < 3 || rule.Command[1] != "GETKEYS" || !rule.Resp2.StartsWith('*')) continue;
            string[] invocation = rule.Command[2..];
            CommandDef d = table.Find(invocation[0])!;
            if (d.Subcommands.Length > 0) d = Subcommands.Find(d, System.Text.Encoding.ASCII.GetBytes(invocation[1]))!;
            var args = new CommandArgs(KeyPositionTests.Args(invocation));
            int[] positions = new int[d.GetKeyPositions(args, [])];
            d.GetKeyPositions(args, positions);
            var found = new SortedSet<string>(Array.ConvertAll(positions, p => invocation[p]), StringComparer.Ordinal);
            var redis = new SortedSet<string>(BulkItems(rule.Resp2), StringComparer.Ordinal);
            if (found.Count == 0) Assert.True(redis.Count > 0 || (d.Flags & CommandFlags.NoMandatoryKeys) != 0, string.Join(' ', invocation));
            else Assert.True(found.SetEquals(redis), $"{string.Join(' ', invocation)}: finder [{string.Join(", ", found)}], Redis [{string.Join(", ", redis)}]");
            compared++;
        }
        Assert.True(compared >= 100, $"only {compared} invocations compared");
    }

    /// <summary>The bulk strings of a flat RESP2 array reply.</summary>
    private static List<string> BulkItems(string reply)
    {
        var items = new List<string>();
        string[] lines = reply.Split("\r\n");
        for (int i = 1; i < lines.Length - 1; i++)
            if (lines[i].StartsWith('$')) items.Add(lines[++i]);
        return items;
    }
}

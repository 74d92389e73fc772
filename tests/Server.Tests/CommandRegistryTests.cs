using System.Text;
using System.Text.Json.Nodes;
using Tiered.Server.Commands;

namespace Tiered.Server.Tests;

/// <summary>The command table is commands.json bound to [Command] handlers, and a mismatch either way stops startup.</summary>
public sealed class CommandRegistryTests
{
    private static JsonObject Data()
    {
        using Stream s = CommandRegistry.OpenData();
        return JsonNode.Parse(s)!.AsObject();
    }

    private static CommandTable Build(JsonObject data) => CommandRegistry.Build(new MemoryStream(Encoding.UTF8.GetBytes(data.ToJsonString())), null);

    [Fact]
    public void EveryCommandOfTheDataIsBoundAndKeepsItsMetadata()
    {
        CommandTable t = Build(Data());
        CommandDef hset = t.Find("hset")!;
        Assert.Equal(-4, hset.Arity);
        Assert.Equal(CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, hset.Flags);
        Assert.Equal((1, 1, 1), (hset.FirstKey, hset.LastKey, hset.Step));
        Assert.Equal("hash", hset.Group);
        CommandDef client = t.Find("client")!;
        Assert.Equal((CommandHandler)Subcommands.Dispatch, client.Handler);
        CommandDef id = Subcommands.Find(client, "id"u8)!;
        Assert.Equal("client|id", id.FullName);
        Assert.NotEqual((CommandHandler)Subcommands.Dispatch, id.Handler);
    }

    [Fact]
    public void AHandlerWhoseCommandTheDataLacksStopsStartupNamingIt()
    {
        JsonObject data = Data();
        data.Remove("hset");
        var e = Assert.Throws<InvalidOperationException>(() => Build(data));
        Assert.Contains("hset", e.Message);
    }

    [Fact]
    public void ACommandOfTheDataWithoutAHandlerStopsStartupNamingIt()
    {
        JsonObject data = Data();
        data["nosuchcommand"] = data["hlen"]!.DeepClone();
        var e = Assert.Throws<InvalidOperationException>(() => Build(data));
        Assert.Contains("'nosuchcommand' has no handler", e.Message);
    }

    [Fact]
    public void AnUnknownFlagStopsStartupNamingTheCommand()
    {
        JsonObject data = Data();
        data["hlen"]!["flags"] = new JsonArray("readonly", "fastest");
        var e = Assert.Throws<InvalidOperationException>(() => Build(data));
        Assert.Contains("'hlen' has an unknown flag 'fastest'", e.Message);
    }
}

using Tiered.Server.Admin;
using Tiered.Tiering.Types.Blooms;

namespace Tiered.Server.Commands;

/// <summary>
/// Bloom filter commands in RedisBloom's shape: BF.RESERVE BF.ADD BF.MADD BF.EXISTS BF.MEXISTS BF.INFO BF.CARD.
/// Replies follow RedisBloom: integers in RESP2, booleans in RESP3 for the add/exists answers, a map for BF.INFO,
/// and RedisBloom's error texts. Each handler makes one <see cref="BloomOps"/> call.
/// </summary>
public static class BloomCommands
{
    private const string FullError = "ERR non scaling filter is full";

    [Command("bf.reserve")] private static void Reserve(CommandContext c)
    {
        if (!CommandContext.ParseDouble(c[2], out double error)) { c.Writer.Error("ERR bad error rate"u8); return; }
        if (!c.TryLong(3, out long capacity) || capacity >= uint.MaxValue) { c.Writer.Error("ERR bad capacity"u8); return; }
        if (!(error > 0 && error < 1)) { c.Writer.Error("ERR (0 < error rate range < 1)"u8); return; }
        if (capacity <= 0) { c.Writer.Error("ERR (capacity should be larger than 0)"u8); return; }
        long expansion = BloomOps.DefaultExpansion;
        bool expansionGiven = false, nonScaling = false;
        for (int j = 4; j < c.Count; j++)
        {
            if (c.Is(j, "NONSCALING"u8)) nonScaling = true;
            else if (c.Is(j, "EXPANSION"u8) && j + 1 < c.Count)
            {
                j++;
                if (!c.TryLong(j, out expansion) || expansion > int.MaxValue) { c.Writer.Error("ERR bad expansion"u8); return; }
                if (expansion < 1) { c.Writer.Error("ERR expansion should be greater or equal to 1"u8); return; }
                expansionGiven = true;
            }
            else { c.SyntaxError(); return; }
        }
        if (nonScaling && expansionGiven) { c.Writer.Error("ERR Nonscaling filters cannot expand"u8); return; }
        Status s = BloomOps.Reserve(c.Db, c[1], error, capacity, (int)expansion, nonScaling);
        if (s == Status.Ok) c.Notify(KeyspaceEventFlags.Module, "bf.reserve"u8);
        if (s == Status.Ok) c.Writer.Ok();
        else if (s == Status.ConditionNotMet) c.Writer.Error("ERR item exists"u8);
        else if (s == Status.TooLarge) c.Writer.Error("ERR could not create filter"u8);
        else c.Error(s);
    }

    [Command("bf.add")] private static void Add(CommandContext c)
    {
        Span<int> result = stackalloc int[1];
        Status s = BloomOps.Add(c.Db, c[1], new ArgStrings(c, 2, 1), result);
        if (s == Status.Ok && result[0] == 1) c.Notify(KeyspaceEventFlags.Module, "bf.add"u8);
        if (s != Status.Ok) c.Error(s);
        else if (result[0] < 0) c.Writer.Error(FullError);
        else c.Writer.Boolean(result[0] == 1);
    }

    [Command("bf.madd")] private static void MAdd(CommandContext c)
    {
        int n = c.Count - 2;
        int[] results = new int[n];
        Status s = BloomOps.Add(c.Db, c[1], new ArgStrings(c, 2, n), results);
        if (s != Status.Ok) { c.Error(s); return; }
        if (Array.IndexOf(results, 1) >= 0) c.Notify(KeyspaceEventFlags.Module, "bf.madd"u8);
        c.Writer.Array(n);
        foreach (int r in results)
        {
            if (r < 0) c.Writer.Error(FullError);
            else c.Writer.Boolean(r == 1);
        }
    }

    [Command("bf.exists")] private static void Exists(CommandContext c)
    {
        Span<bool> result = stackalloc bool[1];
        Status s = BloomOps.Exists(c.Db, c[1], new ArgStrings(c, 2, 1), result);
        if (s == Status.WrongType) c.Error(s);
        else c.Writer.Boolean(result[0]);
    }

    [Command("bf.mexists")] private static void MExists(CommandContext c)
    {
        int n = c.Count - 2;
        bool[] results = new bool[n];
        Status s = BloomOps.Exists(c.Db, c[1], new ArgStrings(c, 2, n), results);
        if (s == Status.WrongType) { c.Error(s); return; }
        c.Writer.Array(n);
        foreach (bool r in results) c.Writer.Boolean(r);
    }

    [Command("bf.info")] private static void Info(CommandContext c)
    {
        if (c.Count > 3) { c.WrongArity(); return; }
        Status s = BloomOps.Get(c.Db, c[1], out BloomValue? bf);
        if (s == Status.NotFound) { c.Writer.Error("ERR not found"u8); return; }
        if (s != Status.Ok) { c.Error(s); return; }
        if (c.Count == 3)
        {
            long value;
            if (c.Is(2, "CAPACITY"u8)) value = bf!.TotalCapacity;
            else if (c.Is(2, "SIZE"u8)) value = bf!.SizeBytes;
            else if (c.Is(2, "FILTERS"u8)) value = bf!.Layers.Count;
            else if (c.Is(2, "ITEMS"u8)) value = bf!.Items;
            else if (c.Is(2, "EXPANSION"u8))
            {
                c.Writer.Array(1);
                if (bf!.NonScaling) c.Writer.Null();
                else c.Writer.Integer(bf.Expansion);
                return;
            }
            else { c.Writer.Error("ERR Invalid information value"u8); return; }
            c.Writer.Array(1);
            c.Writer.Integer(value);
            return;
        }
        c.Writer.Map(5);
        c.Writer.Simple("Capacity"u8);
        c.Writer.Integer(bf!.TotalCapacity);
        c.Writer.Simple("Size"u8);
        c.Writer.Integer(bf.SizeBytes);
        c.Writer.Simple("Number of filters"u8);
        c.Writer.Integer(bf.Layers.Count);
        c.Writer.Simple("Number of items inserted"u8);
        c.Writer.Integer(bf.Items);
        c.Writer.Simple("Expansion rate"u8);
        if (bf.NonScaling) c.Writer.Null();
        else c.Writer.Integer(bf.Expansion);
    }

    [Command("bf.card")] private static void Card(CommandContext c)
        => c.IntegerUnlessWrongType(BloomOps.Get(c.Db, c[1], out BloomValue? bf), bf?.Items ?? 0);
}

using Tiered.Tiering.Types.Blooms;
using Tiered.Tiering.Types.Hashes;
using Tiered.Tiering.Types.Lists;
using Tiered.Tiering.Types.Sets;
using Tiered.Tiering.Types.SortedSets;
using Tiered.Tiering.Types.Streams;

namespace Tiered.Tiering;

// The one registry of value types: the only file of the engine that names every type.
//
// Why a registry at the top. The mechanisms below the types (the cold tier reading a record back, recovery replaying
// the log) must turn stored bytes into a value without knowing any type: the folders point one way, from the types
// down to the engine core and the mechanisms, never back. So each type hands its reader to Base/ValueFormat.cs here,
// once, when the assembly loads, and its operation records replay through ValueObject.Apply, which the type
// overrides. Adding a type is a folder under Types/, a kind in Base/Status.cs and one line below.
//
//     TypeRegistry (this file)  --->  Types/<Type>/  --->  Engine/  --->  Movement/, Durability/, Cold/, Hot/  --->  Base/
//            |                                                                                                  ^
//            +------------------- ValueFormat.Register(kind, reader) ------------------------------------------+

/// <summary>Registers every value type's reader with <see cref="ValueFormat"/> before any value is read.</summary>
internal static class TypeRegistry
{
    /// <summary>
    /// Runs once, when the engine's assembly is loaded and before any of its code runs, so no store can read a value
    /// before its type is known.
    /// </summary>
#pragma warning disable CA2255 // The engine registers its own types; this is the initializer's purpose, not a side effect.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        ValueFormat.Register(ValueKind.List, ListValue.Read);
        ValueFormat.Register(ValueKind.Hash, HashValue.Read);
        ValueFormat.Register(ValueKind.Set, SetValue.Read);
        ValueFormat.Register(ValueKind.ZSet, SortedSetValue.Read);
        ValueFormat.Register(ValueKind.Stream, StreamValue.Read);
        ValueFormat.Register(ValueKind.Bloom, BloomValue.Read);
    }
}

namespace Tiered.Tiering.Base;

/// <summary>
/// Base class of every non-string value (hash, list, set, sorted set, stream, Bloom filter...).
///
/// Why one base class: the engine treats all values alike when it moves them between tiers, copies them (COPY),
/// persists them and accounts their memory; only the command family that owns a type looks inside it. Every type
/// therefore knows four things about itself: its kind, its DRAM footprint, how to deep-copy itself, and how to write
/// itself in its versioned serialized form (<see cref="ValueFormat"/> wraps that form with the kind, a version and a
/// checksum; the same bytes go to the SSD tier and to persistence).
///
/// Shared state rule: a value object is owned by the database entry that holds it and may be read or changed only
/// under the store lock, like the entry itself. After changing it, the owner calls Database.Updated (Engine/)
/// so the memory budget follows the change and an emptied collection is deleted, as Redis does.
/// </summary>
public abstract class ValueObject : ISizedValue, ICopyableValue, IEncodedValue
{
    /// <summary>The type tag stored in the index entry.</summary>
    public abstract ValueKind Kind { get; }

    /// <summary>Estimated DRAM bytes of the object and everything it owns.</summary>
    public abstract long SizeBytes { get; }

    /// <summary>Number of elements; a collection with 0 elements is deleted (Redis never keeps empty collections).</summary>
    public abstract long Count { get; }

    /// <summary>OBJECT ENCODING in Redis's spelling (listpack, hashtable, skiplist, quicklist, intset...).</summary>
    public abstract string Encoding { get; }

    /// <summary>An independent copy (COPY).</summary>
    public abstract object DeepCopy();

    /// <summary>Writes the type's payload; the format version is <see cref="FormatVersion"/>.</summary>
    public abstract void Serialize(IBufferWriter<byte> output);

    /// <summary>Version of the payload written by <see cref="Serialize"/>; bump it when the payload layout changes.</summary>
    public abstract byte FormatVersion { get; }

    /// <summary>
    /// Replays one operation record of this type (Base/OpRecord.cs) onto the value, as recovery does after loading the
    /// PUT the record's chain starts from. False when the record is not one of this type's or is malformed: recovery
    /// then refuses the chain. Types without operation records keep this default.
    /// </summary>
    internal virtual bool Apply(OpArgs op) => false;

    /// <summary>The bytes last charged to the memory budget for this object (maintained by the engine's Database).</summary>
    internal long AccountedBytes;

    /// <summary>
    /// With a journal: 0, or the log address of the PUT that this object's chain of operation records starts from
    /// (the object is the PUT with every OP record of its key after it applied). Set and cleared by
    /// the engine's Database under the store lock; a copy (<see cref="DeepCopy"/>) starts without a chain.
    /// </summary>
    internal long LogBase;

    /// <summary>Log bytes of the chain (the PUT and its OP records), counted in the log's live bytes while it lasts.</summary>
    internal long ChainBytes;
}

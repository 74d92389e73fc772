using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Rdb;

// Loads a whole RDB file (what a replica receives in a full sync, or a dump.rdb) into a Store, fed in chunks as they
// arrive, applying each entry as soon as all its bytes are there.
//
//   file    "REDIS" + 4 ASCII digits (the version, 1-10)
//           then opcodes: 0xFA AUX(string, string)  0xFB RESIZEDB(length, length)  0xFE SELECTDB(length)
//                         0xFD EXPIRETIME(4 B LE s) 0xFC EXPIRETIME_MS(8 B LE ms)   0xF9 FREQ(1 B)  0xF8 IDLE(length)
//                         0xF7 MODULE_AUX (refused)  0xF5 FUNCTION2(string)  0xF6 FUNCTION (pre-GA: refused)
//                         a value type byte, the key string, the value (RdbValueReader.cs)
//           0xFF EOF, then (version 5+) the CRC64 (Crc64.cs) of every byte before it, 8 B LE; 0 means "not computed"
//
//   buffer  ┌──────── consumed (dropped at the next compaction) ────────┬──── unparsed ────┬──── free ────┐
//           0                                                      _start               _end        capacity
//
// Why measure before decoding: RdbReader cannot tell a truncated entry from a damaged one, so each entry is first
// measured by RdbExtent.cs, which walks only its framing. While the entry is incomplete the loader waits for at
// least Need bytes (no rescans on every tiny chunk); once complete, the exact bytes are decoded and a failure is
// damage. Consumed bytes go into the running checksum and are dropped, so memory holds one entry (however large a
// value is, the buffer grows to it) plus a batch of decoded values waiting for the lock.
//
// Why batches: the store lock is taken once per batch of decoded entries (never across Feed calls), so clients of
// the server are served between batches while a big file loads.
//
// Expired keys: redis-server 7.0 (rdb.c, rdbLoadRioWithLoadingCtx) drops a key whose expiry has passed only when it
// is a master loading a file; a replica loading its primary's snapshot keeps every key, because the primary expires
// them and sends the DELs, and dropping them early would make the replica's data differ from the snapshot. The loader
// does the same: a replica load (the default) keeps them; a primary load skips and counts them (ExpiredSkipped).
//
// Shared state: the loader is used by one thread at a time (the replication link); the store is changed only under
// its lock.

/// <summary>Loads an RDB file's bytes, fed in chunks, into a <see cref="Store"/>.</summary>
public sealed class RdbLoader
{
    private const byte OpFunction2 = 0xF5, OpFunctionPreGa = 0xF6, OpModuleAux = 0xF7, OpIdle = 0xF8, OpFreq = 0xF9,
        OpAux = 0xFA, OpResizeDb = 0xFB, OpExpireMs = 0xFC, OpExpireSec = 0xFD, OpSelectDb = 0xFE, OpEof = 0xFF;

    /// <summary>The newest RDB version redis-server 7.0 reads.</summary>
    private const int MaxVersion = 10;

    private const string ExtraBytes = "Unexpected bytes after the RDB file's checksum.";

    /// <summary>Decoded entries applied under one taking of the lock.</summary>
    private const int BatchEntries = 256;

    private readonly Store _store;
    private readonly bool _replica;
    private const int InitialBuffer = 64 * 1024, ShrinkAbove = 1024 * 1024;

    private byte[] _buf = new byte[InitialBuffer];
    private int _start, _end;
    private long _need = 9;        // buffered bytes needed before the next parse attempt
    private long _offset;          // file offset of _buf[_start]
    private ulong _crc;
    private int _version = -1;
    private int _db;
    private long _expireAt, _idle = -1;
    private int _freq = -1;
    private readonly List<DecodedKey> _batch = [];
    private readonly List<byte[]> _functions = [];
    private readonly Dictionary<string, byte[]> _aux = new(StringComparer.Ordinal);

    private readonly record struct DecodedKey(int Db, byte[] Key, ValueKind Kind, object Value, long ExpireAt, long Idle, int Freq);

    /// <summary>A loader for a replica's full sync: keys whose expiry has passed are kept (see the file comment).</summary>
    public RdbLoader(Store store) : this(store, replica: true) { }

    /// <summary>A loader; <paramref name="replica"/> false loads as a primary does, skipping keys already expired.</summary>
    public RdbLoader(Store store, bool replica)
    {
        _store = store;
        _replica = replica;
    }

    /// <summary>The EOF opcode and the checksum trailer were read (and the checksum matched, unless it was 0).</summary>
    public bool Done { get; private set; }

    /// <summary>Why the data was refused; null while all is well.</summary>
    public string? Error { get; private set; }

    /// <summary>Keys added to the store so far.</summary>
    public long KeysLoaded { get; private set; }

    /// <summary>Keys not added because their expiry had passed (primary loads only; a replica keeps them).</summary>
    public long ExpiredSkipped { get; private set; }

    /// <summary>Keys not added because their value was an empty collection (Redis skips them too).</summary>
    public long EmptySkipped { get; private set; }

    /// <summary>The file's RDB version, -1 until the header was read.</summary>
    public int Version => _version;

    /// <summary>The library source of each FUNCTION2 entry, in file order.</summary>
    public IReadOnlyList<byte[]> Functions => _functions;

    /// <summary>The size of the buffer that holds unparsed bytes (tests: consumed bytes are dropped).</summary>
    internal int BufferCapacity => _buf.Length;

    /// <summary>The aux fields (redis-ver, repl-id, repl-offset, ...).</summary>
    public IReadOnlyDictionary<string, byte[]> Aux => _aux;

    /// <summary>
    /// Parses and applies every complete entry in what was fed so far. False when the data is malformed (see
    /// <see cref="Error"/>); bytes after <see cref="Done"/> are an error.
    /// </summary>
    public bool Feed(ReadOnlySpan<byte> chunk)
    {
        if (Error != null) return false;
        if (Done)
        {
            if (chunk.Length > 0) Fail(ExtraBytes);
            return Error == null;
        }
        Append(chunk);
        if (_end - _start >= _need) Parse();
        Apply();
        return Error == null;
    }

    /// <summary>
    /// The transfer ended: true when the file was complete (<see cref="Done"/>), else false with Redis's short-read
    /// error (an entry was cut off, or damage made a length claim bytes that never came).
    /// </summary>
    public bool Finish()
    {
        if (Error == null && !Done) Fail("Short read or OOM loading DB. Unrecoverable error, aborting now.");
        return Error == null;
    }

    private void Append(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length > _buf.Length - _end)
        {
            int live = _end - _start;
            long want = (long)live + chunk.Length;   // not _need: a damaged length must not allocate what never comes
            if (want > _buf.Length)
            {
                long size = Math.Min(Math.Max(want, 2L * _buf.Length), Array.MaxLength);
                var grown = new byte[size];
                _buf.AsSpan(_start, live).CopyTo(grown);
                _buf = grown;
            }
            else _buf.AsSpan(_start, live).CopyTo(_buf);
            _start = 0;
            _end = live;
        }
        chunk.CopyTo(_buf.AsSpan(_end));
        _end += chunk.Length;
    }

    private void Consume(int n)
    {
        _crc = Crc64.Compute(_buf.AsSpan(_start, n), _crc);
        _start += n;
        _offset += n;
        if (_start == _end) _start = _end = 0;
        int live = _end - _start;
        if (_buf.Length > ShrinkAbove && live <= InitialBuffer / 2)
        {
            // the big value that grew the buffer is consumed: give the memory back
            var small = new byte[InitialBuffer];
            _buf.AsSpan(_start, live).CopyTo(small);
            (_buf, _start, _end) = (small, 0, live);
        }
    }

    private void Fail(string error)
    {
        Error ??= error;
        _batch.Clear();
    }

    private void Parse()
    {
        while (Error == null && !Done)
        {
            ReadOnlySpan<byte> span = _buf.AsSpan(_start, _end - _start);
            if (_version < 0)
            {
                if (span.Length < 9) { _need = 9; return; }
                if (!Header(span)) return;
                Consume(9);
                continue;
            }
            var x = new RdbExtent(span);
            if (!Measure(ref x))
            {
                if (x.Malformed) { Fail($"Bad data format at offset {_offset}."); return; }
                if (x.Need > Array.MaxLength) { Fail($"An RDB entry at offset {_offset} claims more bytes than can be loaded."); return; }
                _need = x.Need;
                return;
            }
            _need = 1;
            int n = x.Position;
            if (!Decode(span[..n])) return;
            if (Done && span.Length > n) Fail(ExtraBytes);
            if (!Done) Consume(n);
            if (_batch.Count >= BatchEntries) Apply();
        }
    }

    private bool Header(ReadOnlySpan<byte> span)
    {
        if (!span[..5].SequenceEqual("REDIS"u8)) { Fail("Wrong signature trying to load DB from file"); return false; }
        int v = 0;
        foreach (byte d in span[5..9])
        {
            if (d is < (byte)'0' or > (byte)'9') { Fail("Wrong signature trying to load DB from file"); return false; }
            v = v * 10 + (d - '0');
        }
        if (v is < 1 or > MaxVersion) { Fail($"Can't handle RDB format version {v}"); return false; }
        _version = v;
        return true;
    }

    /// <summary>The framing of the entry at the buffer's start: its opcode (or type), its arguments or key and value.</summary>
    private bool Measure(ref RdbExtent x)
    {
        if (!x.Byte(out byte op)) return false;
        switch (op)
        {
            case OpEof: return _version < 5 || x.Skip(8);
            case OpSelectDb or OpIdle: return x.Length(out _);
            case OpResizeDb: return x.Length(out _) && x.Length(out _);
            case OpExpireSec: return x.Skip(4);
            case OpExpireMs: return x.Skip(8);
            case OpFreq: return x.Skip(1);
            case OpAux: return x.String() && x.String();
            case OpFunction2: return x.String();
            case OpFunctionPreGa: return true;                       // refused when decoded
            case OpModuleAux: return x.Length(out _);                // refused when decoded: the module id is enough
            default: return x.String() && x.Value((RdbType)op);
        }
    }

    /// <summary>Decodes and applies (or queues) the complete entry <paramref name="entry"/>; false after a failure.</summary>
    private bool Decode(ReadOnlySpan<byte> entry)
    {
        var r = new RdbReader(entry);
        r.Byte(out byte op);
        ulong n;
        switch (op)
        {
            case OpEof:
                return Eof(entry);
            case OpSelectDb:
                r.Length(out n);
                if (n >= (ulong)_store.Databases.Length)
                {
                    Fail($"FATAL: Data file was created with a Redis server configured to handle more than {_store.Databases.Length} databases. Exiting\n");
                    return false;
                }
                _db = (int)n;
                return true;
            case OpResizeDb:
                return true;
            case OpExpireSec:
                r.Raw(4, out ReadOnlySpan<byte> sec);
                _expireAt = BinaryPrimitives.ReadInt32LittleEndian(sec) * 1000L;
                return true;
            case OpExpireMs:
                r.Millis(out _expireAt);
                return true;
            case OpFreq:
                r.Byte(out byte freq);
                _freq = freq;
                return true;
            case OpIdle:
                r.Length(out n);
                _idle = n > long.MaxValue ? long.MaxValue : (long)n;
                return true;
            case OpAux:
                if (!r.String(out byte[] name) || !r.String(out byte[] value)) return Corrupt();
                _aux[System.Text.Encoding.UTF8.GetString(name)] = value;
                return true;
            case OpFunction2:
                if (!r.String(out byte[] code)) return Corrupt();
                _functions.Add(code);
                return true;
            case OpFunctionPreGa:
                Fail("Pre-release function format not supported.");
                return false;
            case OpModuleAux:
                r.Length(out n);
                Fail($"The RDB file contains AUX module data I can't load: no matching module '{RdbModules.NameOf(n)}'");
                return false;
        }
        if (!r.String(out byte[] key) || !RdbValueReader.TryRead(ref r, (RdbType)op, out ValueKind kind, out object? v, out bool empty))
            return Corrupt();
        if (empty) EmptySkipped++;   // as redis-server 7.0: "rdbLoadObject skipping empty key"
        else _batch.Add(new DecodedKey(_db, key, kind, v!, _expireAt, _idle, _freq));
        (_expireAt, _idle, _freq) = (0, -1, -1);
        return true;
    }

    private bool Corrupt()
    {
        Fail($"Bad data format at offset {_offset}.");
        return false;
    }

    private bool Eof(ReadOnlySpan<byte> entry)
    {
        Apply();
        if (Error != null) return false;
        if (_version >= 5)
        {
            ulong expected = Crc64.Compute(entry[..1], _crc);
            ulong got = BinaryPrimitives.ReadUInt64LittleEndian(entry[1..9]);
            if (got != 0 && got != expected)
            {
                Fail($"Wrong RDB checksum expected: ({expected:x}) got ({got:x}). Aborting now.");
                return false;
            }
        }
        Done = true;
        _buf = [];
        _start = _end = 0;
        return true;
    }

    /// <summary>
    /// Adds the decoded entries to the store under one taking of its lock. Memory: a replica ignores maxmemory
    /// (replica-ignore-maxmemory, on by default), so nothing is evicted for a load; with an SSD tier values move to
    /// the SSD instead, and above its hard limit the loader waits for demotion rounds (a slower read from the
    /// primary rather than DRAM filled past its budget).
    /// </summary>
    private void Apply()
    {
        if (_batch.Count == 0) return;
        Status memory = Status.Ok;
        lock (_store.Lock)
        {
            _store.BeginBatch();
            long now = _store.Clock.NowMs;
            foreach (DecodedKey p in _batch)
            {
                if (!_replica && p.ExpireAt != 0 && p.ExpireAt < now)
                {
                    ExpiredSkipped++;
                    continue;
                }
                Database db = _store.Databases[p.Db];
                ulong hash = KeyIndex.Hash(p.Key);
                if (db.Index.Find(p.Key, hash) >= 0)
                {
                    Error ??= "Duplicated key found in RDB file";
                    break;
                }
                DumpOps.Insert(db, p.Key, hash, p.Kind, p.Value, p.ExpireAt, p.Idle, p.Freq);
                KeysLoaded++;
            }
            _store.EndCommand();
            if (_store.Cold != null) memory = _store.EnsureMemory();
        }
        _batch.Clear();
        for (int wait = 0; memory == Status.Busy && wait < 100; wait++)
        {
            _store.Demoter!.WhenRoundDone().Wait(TimeSpan.FromMilliseconds(100));
            lock (_store.Lock)
            {
                _store.BeginBatch();
                memory = _store.EnsureMemory();
            }
        }
    }
}

// Recovery: rebuilding the index from the log at start.
//
// Why the log alone is enough. The journal logs every write as the key's resulting state (PUT with kind, absolute
// expiry and value; DEL; FLUSH; SWAPDB) or, for a collection, as its effect (OP, applied to the key's value as the
// records before it left it: its newest PUT and the operations since), and compaction keeps the log within about twice its live data by copying
// live records forward (at the tail, after every older record of their key) and dropping the rest. So the committed
// log, replayed in order, is exactly the newest state, and its length is bounded by the data, not by history: the
// compacted log is the checkpoint. Replay is one sequential scan; values are not decompressed except for keys loaded
// hot (the kind is in the record's flags, the logical length in the codec header).
//
// Keys without their bytes. A cold entry has no key in DRAM, so "is this PUT the same key as that entry?" cannot be
// answered by comparing keys. During recovery each cold entry also gets a second, independent 32-bit hash of its key
// (kept only until recovery ends): a record is the same key as an entry iff both the 64-bit index hash and the 32-bit
// hash agree (a false match needs a 96-bit collision).
//
// What a crash leaves. FasterLog recovers to its last commit; a commit covers whole commands (it is started under the
// store lock). A record that fails its checksum inside the committed range (a torn or damaged device write) ends the
// scan there with a warning; the range from it to the tail at that start is written to `recovery-skips`, so later
// appends (after the tail) are replayed on the next start instead of being hidden behind the damage. Keys whose TTL
// passed while the server was down are not loaded.
//
// Values in parts. A PUT larger than one record comes as consecutive parts (LogRecord.cs); recovery gathers them and
// replays the value when its last part arrives, hot whatever the budget (it can never be read cold). Parts that do
// not follow one another, or a continued part without its first (the log's head was truncated between parts by
// compaction, which had already written the value again later), are dropped and counted.

using System.IO.Hashing;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Metrics;
using Tiered.Tiering.Movement;

namespace Tiered.Tiering.Engine;

/// <summary>What a recovery found.</summary>
/// <param name="Records">Records replayed.</param>
/// <param name="Bytes">Log bytes scanned.</param>
/// <param name="Seconds">Time taken.</param>
/// <param name="InvalidAddress">Address of a damaged record that ended the scan; -1 if none.</param>
public readonly record struct RecoveryResult(long Records, long Bytes, double Seconds, long InvalidAddress);

/// <summary>Replays the log into the store's index (see the file's header). Runs once, before the journal starts.</summary>
internal sealed class Recovery
{
    private readonly Store _store;
    private readonly ValueLog _log;
    private readonly string _skipsPath;
    private readonly Action<string>? _report;
    private readonly uint[][] _second;
    private readonly long _hotLimit;
    private long _records;
    private long _skippedOps;
    private long _droppedParts;
    private readonly PartsOfPut _parts = new();
    private readonly OpArgs _args = new();
    private long _done;
    private long _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _nextReportMs = 2000;

    public Recovery(Store store, ValueLog log, string skipsPath, Action<string>? report)
    {
        _store = store;
        _log = log;
        _skipsPath = skipsPath;
        _report = report;
        _second = new uint[store.Databases.Length][];
        for (int i = 0; i < _second.Length; i++) _second[i] = [];
        long max = store.Options.Memory.MaxMemory;
        // Keys come back hot while DRAM has room for them (all of them without an SSD tier); half the budget leaves
        // the hot set room to form from real traffic.
        _hotLimit = store.Cold is null || max <= 0 ? long.MaxValue : max / 2;
    }

    public RecoveryResult Run()
    {
        List<(long From, long To)> skips = LoadSkips();
        long begin = _log.BeginAddress, end = _log.CommittedUntil;
        _total = Math.Max(1, end - begin);
        long invalid = -1;
        long from = begin;
        foreach ((long skipFrom, long skipTo) in skips)
        {
            if (skipTo <= from || skipFrom >= end) continue;
            if (skipFrom > from && !Scan(from, skipFrom, ref invalid)) break;
            from = Math.Max(from, skipTo);
        }
        if (invalid < 0 && from < end) Scan(from, end, ref invalid);
        if (invalid >= 0)
        {
            long tail = _log.TailAddress;
            _report?.Invoke($"WARNING: the log has a damaged record at address {invalid}; everything from there to {tail} " +
                "is ignored (torn write or device damage). Later writes are kept.");
            skips.Add((invalid, tail));
            skips.Sort();
            SaveSkips(skips);
        }
        lock (_store.Lock) _store.Compactor!.Skips = skips;
        double secs = _clock.Elapsed.TotalSeconds;
        if (_skippedOps > 0)
            _report?.Invoke($"Log: {_skippedOps:N0} operation records skipped (their key had expired or did not hold their type)");
        if (_parts.Pending) _droppedParts += _parts.Drop();
        if (_droppedParts > 0)
            _report?.Invoke($"Log: {_droppedParts:N0} parts of values split over records dropped (without their first part or their last)");
        _parts.Dispose();
        _report?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"Log loaded: {_records:N0} records, {_done / 1048576.0:F1} MB in {secs:F2} s; {_store.TotalKeys():N0} keys ({_store.HotKeys():N0} hot)"));
        return new RecoveryResult(_records, _done, secs, invalid);
    }

    /// <summary>Scans [from, to); false (and <paramref name="invalid"/> set) when a damaged record ended it.</summary>
    private bool Scan(long from, long to, ref long invalid)
    {
        ScanResult r = _log.Scan(from, to, Visit);
        _done += r.EndAddress - from;
        if (!r.FoundInvalid) return true;
        invalid = r.InvalidAddress;
        return false;
    }

    private bool Visit(long address, int length, LogRecord.RecordView record)
    {
        lock (_store.Lock)
        {
            _store.Clock.Refresh();
            if ((record.Flags & LogRecord.PartMask) != 0 && record.Type == RecordType.Put) Part(address, length, record);
            else
            {
                if (_parts.Pending) _droppedParts += _parts.Drop();
                Replay(address, length, record);
            }
        }
        _records++;
        long ms = _clock.ElapsedMilliseconds;
        if (_report != null && ms >= _nextReportMs)
        {
            _nextReportMs = ms + 2000;
            long doneNow = _done + (address - _log.BeginAddress);
            _report(string.Create(CultureInfo.InvariantCulture,
                $"Loading the log: {100.0 * Math.Min(doneNow, _total) / _total:F0}% ({doneNow / 1048576.0:F0} MB, {doneNow / 1048576.0 / (ms / 1000.0):F0} MB/s)"));
        }
        return true;
    }

    private void Replay(long address, int length, LogRecord.RecordView record)
    {
        switch (record.Type)
        {
            case RecordType.Put: Put(address, length, record.Db, record.Flags, record.ExpireAt, record.Key, record.Value, forceHot: false); break;
            case RecordType.Op: Op(length, record); break;
            case RecordType.Del: Del(record); break;
            case RecordType.Flush: Flush(record.Db); break;
            case RecordType.SwapDb: Swap(record.Db, record.Value.Length >= 2 ? record.Value[0] | record.Value[1] << 8 : record.Db); break;
        }
    }

    /// <summary>One part of a PUT split over records (under the lock): gathered; the last one replays the value.</summary>
    private void Part(long address, int length, LogRecord.RecordView r)
    {
        bool continued = (r.Flags & LogRecord.FlagContinued) != 0;
        if (!continued || !_parts.Continues(r))
        {
            if (_parts.Pending) _droppedParts += _parts.Drop();
            if (continued)
            {
                _droppedParts++;   // its first part is not in the log (or not right before it)
                return;
            }
            _parts.Start(address, r);
        }
        _parts.Add(length, r.Value);
        if ((r.Flags & LogRecord.FlagMore) != 0) return;
        byte flags = (byte)(r.Flags & ~LogRecord.PartMask);
        Put(_parts.First, _parts.Stored, r.Db, flags, r.ExpireAt, r.Key, _parts.Value, forceHot: true);
        _parts.Drop();
    }

    /// <summary>
    /// A key's whole value: the record at <paramref name="address"/> (<paramref name="length"/> log bytes, all its parts),
    /// loaded hot while the budget allows or when <paramref name="forceHot"/>, else indexed cold.
    /// </summary>
    private void Put(long address, int length, int dbId, byte flags, long expireAt, ReadOnlySpan<byte> key,
        ReadOnlySpan<byte> stored, bool forceHot)
    {
        if ((uint)dbId >= (uint)_store.Databases.Length) return;
        Database db = _store.Databases[dbId];
        ulong hash = KeyIndex.Hash(key);
        uint second = Second(key);
        int existing = Find(db, hash, key, second);
        if (existing >= 0) db.Delete(existing);
        if (expireAt != 0 && expireAt <= _store.Clock.NowMs) return;   // expired while the server was down
        var kind = (ValueKind)(flags & LogRecord.KindMask);
        int logical = StoredValue.LogicalLength(stored);
        if (forceHot || _store.UsedMemory + logical < _hotLimit)
        {
            object value = StoredValue.Decode(stored, kind, address);
            int i = db.AddOwned(key.ToArray(), hash, kind, value, expireAt);
            db.Index.HotOf(i).Record = address;
            db.Index.SetRecordSize(i, length, logical);
            _store.TierStats.KeepRecord(length);
        }
        else
        {
            int i = db.AddCold(hash, address, kind, expireAt, length, logical);
            ref uint[] s = ref _second[dbId];
            if (s.Length <= i) Array.Resize(ref s, Math.Max(i + 1, s.Length * 2));
            s[i] = second;
        }
    }

    /// <summary>
    /// An operation record: applied to its key's value as it stands after every earlier record (its chain's PUT and
    /// the operations between). A cold key is read in first (synchronously: recovery is sequential anyway) and stays
    /// hot, dirty, with its chain, as it was in the running server. An operation whose key is gone (it expired while
    /// the server was down, or a later-dropped state) or that does not fit its value is skipped and counted.
    /// </summary>
    private void Op(int length, LogRecord.RecordView r)
    {
        if ((uint)r.Db >= (uint)_store.Databases.Length) return;
        Database db = _store.Databases[r.Db];
        ulong hash = KeyIndex.Hash(r.Key);
        int i = Find(db, hash, r.Key, Second(r.Key));
        if (i < 0)
        {
            _skippedOps++;
            return;
        }
        KeyIndex index = db.Index;
        if (index.IsCold(i) && !LoadHot(db, i, r.Key))
        {
            _skippedOps++;
            return;
        }
        ref HotItem h = ref index.HotOf(i);
        if (h.Value is not ValueObject obj || (byte)obj.Kind != (r.Flags & LogRecord.KindMask) || !_args.TryParse(r.Value)
            || !obj.Apply(_args))
        {
            _skippedOps++;
            return;
        }
        if (h.Record > 0)
        {
            obj.LogBase = h.Record;
            obj.ChainBytes = index.StoredOf(i);
            h.Record = 0;
        }
        obj.ChainBytes += length;
        _store.TierStats.KeepRecord(length);
        db.Updated(r.Key, obj);
    }


    /// <summary>Reads cold entry <paramref name="i"/>'s record and makes it hot (its record stays its clean copy).</summary>
    private bool LoadHot(Database db, int i, ReadOnlySpan<byte> key)
    {
        ref Entry e = ref db.Index.EntryAt(i);
        long address = e.Location;
        byte[] record = _log.Read(address, db.Index.StoredOf(i));
        if (!LogRecord.TryRead(record, out LogRecord.RecordView view) || view.Type != RecordType.Put || !view.Key.SequenceEqual(key))
            return false;
        db.Promote(i, key.ToArray(), StoredValue.Decode(view.Value, e.Kind, address));
        return true;
    }

    private void Del(LogRecord.RecordView r)
    {
        if ((uint)r.Db >= (uint)_store.Databases.Length) return;
        Database db = _store.Databases[r.Db];
        int i = Find(db, KeyIndex.Hash(r.Key), r.Key, Second(r.Key));
        if (i >= 0) db.Delete(i);
    }

    private void Flush(int db)
    {
        if (db == ushort.MaxValue) _store.FlushAll();
        else if ((uint)db < (uint)_store.Databases.Length) _store.Databases[db].Clear();
    }

    private void Swap(int a, int b)
    {
        if ((uint)a >= (uint)_store.Databases.Length || (uint)b >= (uint)_store.Databases.Length) return;
        _store.SwapDatabases(a, b);
        (_second[a], _second[b]) = (_second[b], _second[a]);
    }

    /// <summary>The entry of <paramref name="key"/>: hot entries compare keys; cold ones compare the second hash.</summary>
    private int Find(Database db, ulong hash, ReadOnlySpan<byte> key, uint second)
    {
        KeyIndex index = db.Index;
        uint[] s = _second[db.Id];
        for (int i = index.Find(key, hash); i >= 0; i = index.FindAfter(i, key, hash))
        {
            if (!index.IsCold(i)) return i;
            if (i < s.Length && s[i] == second) return i;
        }
        return -1;
    }

    private static uint Second(ReadOnlySpan<byte> key) => XxHash32.HashToUInt32(key, 0x5EC0);

    private List<(long, long)> LoadSkips()
    {
        var list = new List<(long, long)>();
        if (!File.Exists(_skipsPath)) return list;
        foreach (string line in File.ReadAllLines(_skipsPath))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out long a)
                && long.TryParse(parts[1], CultureInfo.InvariantCulture, out long b) && a < b)
                list.Add((a, b));
        }
        list.Sort();
        return list;
    }

    private void SaveSkips(List<(long From, long To)> skips)
    {
        string tmp = _skipsPath + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var w = new StreamWriter(f))
        {
            foreach ((long a, long b) in skips) w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{a} {b}"));
            w.Flush();
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, _skipsPath, overwrite: true);
    }

    /// <summary>The parts of one PUT gathered so far (recovery's thread only), in a pooled buffer.</summary>
    private sealed class PartsOfPut : IDisposable
    {
        private byte[] _value = [];
        private int _used, _count, _db;
        private byte[] _key = [];
        private byte _flags;
        private long _expireAt;

        public bool Pending => _count > 0;
        public long First { get; private set; }
        public int Stored { get; private set; }
        public ReadOnlySpan<byte> Value => _value.AsSpan(0, _used);

        public void Start(long address, LogRecord.RecordView r)
        {
            First = address;
            Stored = 0;
            _used = 0;
            _db = r.Db;
            _flags = (byte)(r.Flags & ~LogRecord.PartMask & ~LogRecord.FlagEnd);
            _expireAt = r.ExpireAt;
            _key = r.Key.ToArray();
        }

        /// <summary>Whether <paramref name="r"/> is the next part of the value being gathered.</summary>
        public bool Continues(LogRecord.RecordView r) =>
            _count > 0 && r.Db == _db && r.ExpireAt == _expireAt && (byte)(r.Flags & ~LogRecord.PartMask & ~LogRecord.FlagEnd) == _flags
            && r.Key.SequenceEqual(_key);

        public void Add(int length, ReadOnlySpan<byte> slice)
        {
            if (_used + slice.Length > _value.Length)
            {
                byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(_used + slice.Length, _value.Length * 2));
                _value.AsSpan(0, _used).CopyTo(grown);
                if (_value.Length > 0) ArrayPool<byte>.Shared.Return(_value);
                _value = grown;
            }
            slice.CopyTo(_value.AsSpan(_used));
            _used += slice.Length;
            Stored += length;
            _count++;
        }

        /// <summary>Forgets the parts gathered; returns how many there were.</summary>
        public int Drop()
        {
            int n = _count;
            _count = 0;
            _used = 0;
            return n;
        }

        public void Dispose()
        {
            if (_value.Length > 0) ArrayPool<byte>.Shared.Return(_value);
            _value = [];
        }
    }
}

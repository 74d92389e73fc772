using System.Text;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;

namespace Tiered.Tiering.Rdb;

// The whole dataset as one RDB file, version 10, laid out as redis-server 7.0's rdbSaveRio writes it: what a primary
// sends a replica after +FULLRESYNC, or a dump.rdb.
//
//   "REDIS0010"
//   0xFA aux key, value     redis-ver, redis-bits, ctime, used-mem, then the caller's fields (repl-stream-db, repl-id,
//                           repl-offset), then aof-base: redis-server's order; strings that are integers are int-encoded
//   0xF5 library source     one FUNCTION2 entry per function library
//   per non-empty database:
//     0xFE db               SELECTDB
//     0xFB keys, expires    RESIZEDB: the keys written and how many of them carry an expiry
//     per key: [0xFC 8-byte LE absolute ms] type byte, key string, value (RdbValueWriter.cs)
//   0xFF                    EOF
//   CRC64 (Crc64.cs) of every byte above, 8 bytes LE
//
// Why it streams: a dataset may be far larger than DRAM (cold keys live on the SSD), so nothing holds the file.
// Entries gather in one buffer that goes to the stream (and through the running checksum) whenever it passes
// FlushBytes; a value larger than that is written to the stream straight from the scratch writer it was encoded in.
// Memory is the buffer plus the largest single value.
//
// Why the value is encoded apart from the entry: RdbValueWriter writes the type byte and the payload together (DUMP's
// form), while the file puts the key between them; the value's first byte is copied out, the key written, then the rest.
//
// Cold keys are decoded from their SSD records without promoting them (the entry stays cold, nothing is counted as
// an access), as DEBUG DIGEST reads them, so a snapshot does not pull the dataset into DRAM. The entries go out in
// windows of up to 128 (or 8 MB of cold records): the reads of a window's cold records start together, as async
// device reads into a ColdReadSet, and are waited for before the window is encoded (20,000 cold keys: 2.1 s with
// one synchronous read per key, 0.5-0.7 s in windows, on this machine's temp directory).
//
// Keys whose expiry has passed (engine rule: expire-at <= now) are left out. redis-server 7.0.15 writes them
// (rdbSaveKeyValuePair has no check; checked: its redis-check-rdb reports "1 already expired" on its own SAVE), and
// then a master loading the file drops them while a replica keeps them, invisible to reads, until the DEL its primary
// sends when it expires them. Leaving them out gives the replica the same readable data, the later DEL is a no-op for
// it, and the file is smaller; RESIZEDB counts only the keys written.
//
// Shared state: the caller holds the store lock for the whole call, so the file is one point in time. The output is
// written under that lock too: a caller whose output can stall (a replica's socket) writes to a file, or a buffer
// drained by another thread, rather than to the socket itself, or every client waits on the slowest replica.

/// <summary>Writes a whole <see cref="Store"/> as an RDB file (a full sync's snapshot).</summary>
public static class RdbFileWriter
{
    private const byte OpFunction2 = 0xF5, OpAux = 0xFA, OpResizeDb = 0xFB, OpExpireMs = 0xFC, OpSelectDb = 0xFE, OpEof = 0xFF;

    /// <summary>Buffered bytes that trigger a write to the stream.</summary>
    private const int FlushBytes = 64 * 1024;

    /// <summary>The aux fields redis-server 7.0 opens a file with, in its order; added when the caller does not give them.</summary>
    private static readonly string[] LeadingAux = ["redis-ver", "redis-bits", "ctime", "used-mem"];

    /// <summary>The version a Redis-7.0-compatible file announces.</summary>
    public const string RedisVersion = "7.0.15";

    /// <summary>
    /// Writes an RDB (version 10, as redis-server 7.0 writes it) of every database of the store, hot and cold keys
    /// alike (cold values are read from the SSD without promoting them), with their absolute expiry times, the given
    /// function library sources (FUNCTION2 entries) and aux fields, ending with EOF and the CRC64. Call holding the store lock:
    /// the snapshot is one point in time. Keys whose TTL has passed are left out (see the file comment). An I/O error
    /// of the output or of the SSD propagates; the output then holds a truncated file that no loader accepts.
    /// </summary>
    public static void Write(Store store, Stream output, IReadOnlyList<byte[]> functionLibraries, IEnumerable<KeyValuePair<string, string>> aux)
    {
        var sink = new Sink(output);
        RdbWriter w = sink.Buffer;
        w.Raw("REDIS0010"u8);
        WriteAux(store, w, aux);
        foreach (byte[] library in functionLibraries)
        {
            w.Byte(OpFunction2);
            w.String(library);
            sink.FlushIfFull();
        }
        var value = new RdbWriter();
        long now = store.Clock.NowMs;
        foreach (Database db in store.Databases) WriteDatabase(db, now, sink, value);
        w.Byte(OpEof);
        sink.Flush();
        Span<byte> crc = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(crc, sink.Crc);
        output.Write(crc);
        output.Flush();
    }

    private static void WriteAux(Store store, RdbWriter w, IEnumerable<KeyValuePair<string, string>> aux)
    {
        var given = new List<KeyValuePair<string, string>>(aux);
        foreach (string name in LeadingAux)
        {
            string? v = Find(given, name) ?? name switch
            {
                "redis-ver" => RedisVersion,
                "redis-bits" => "64",
                "ctime" => (store.Clock.NowMs / 1000).ToString(CultureInfo.InvariantCulture),
                _ => store.UsedMemory.ToString(CultureInfo.InvariantCulture),
            };
            AuxField(w, name, v);
        }
        foreach (KeyValuePair<string, string> kv in given)
            if (Array.IndexOf(LeadingAux, kv.Key) < 0 && kv.Key != "aof-base") AuxField(w, kv.Key, kv.Value);
        AuxField(w, "aof-base", Find(given, "aof-base") ?? "0");
    }

    private static string? Find(List<KeyValuePair<string, string>> aux, string name)
    {
        foreach (KeyValuePair<string, string> kv in aux)
            if (kv.Key == name) return kv.Value;
        return null;
    }

    private static void AuxField(RdbWriter w, string key, string value)
    {
        w.Byte(OpAux);
        w.String(Encoding.UTF8.GetBytes(key));
        w.String(Encoding.UTF8.GetBytes(value));
    }

    private static bool Expired(long expireAt, long now) => expireAt != 0 && expireAt <= now;

    private static void WriteDatabase(Database db, long now, Sink sink, RdbWriter value)
    {
        KeyIndex index = db.Index;
        long keys = 0, expires = 0;
        for (int i = 0; i < index.HighWater; i++)
        {
            if (!index.IsLive(i)) continue;
            long exp = index.ExpireAt(i);
            if (Expired(exp, now)) continue;
            keys++;
            if (exp != 0) expires++;
        }
        if (keys == 0) return;
        RdbWriter w = sink.Buffer;
        w.Byte(OpSelectDb);
        w.Length((ulong)db.Id);
        w.Byte(OpResizeDb);
        w.Length((ulong)keys);
        w.Length((ulong)expires);
        var window = new Window(db, sink, value);
        for (int i = 0; i < index.HighWater; i++)
            if (index.IsLive(i) && !Expired(index.ExpireAt(i), now)) window.Add(i);
        window.Write();
    }

    /// <summary>
    /// The next entries of one database to write, gathered so that the SSD reads of the cold ones run together (one
    /// batch of async reads, waited for under the store lock) instead of one synchronous read per key.
    /// </summary>
    private sealed class Window(Database db, Sink sink, RdbWriter value)
    {
        /// <summary>Entries per window, and the record bytes of its cold ones, at which it is written.</summary>
        private const int MaxEntries = 128;
        private const long MaxColdBytes = 8 << 20;

        private readonly int[] _entries = new int[MaxEntries];
        private readonly ColdReadSet? _reads = db.Store.Cold is null ? null : new ColdReadSet();
        private int _count;
        private long _coldBytes;

        public void Add(int i)
        {
            _entries[_count++] = i;
            if (db.Index.IsCold(i)) _coldBytes += db.Index.StoredOf(i);
            if (_count == MaxEntries || _coldBytes >= MaxColdBytes) Write();
        }

        public void Write()
        {
            KeyIndex index = db.Index;
            bool started = false;
            if (_reads != null)
                for (int k = 0; k < _count; k++)
                {
                    int i = _entries[k];
                    if (!index.IsCold(i)) continue;
                    _reads.Start(db.Store.Cold!, index.EntryAt(i).Location, index.StoredOf(i));
                    started = true;
                }
            // A failed read leaves its record out of the set: ReadValue then reads it synchronously (and reports the error).
            if (started)
            {
                DeviceReadBatch.Flush();   // a server thread inside a network round gathers reads until its round ends: submit them now
                _reads!.WhenDone().AsTask().GetAwaiter().GetResult();
            }
            for (int k = 0; k < _count; k++) WriteEntry(_entries[k]);
            if (started) _reads!.ForgetAll();
            _count = 0;
            _coldBytes = 0;
        }

        private void WriteEntry(int i)
        {
            KeyIndex index = db.Index;
            long exp = index.ExpireAt(i);
            object v = _reads != null && index.IsCold(i) ? db.Store.Cold!.ReadValue(db, i, out byte[] key, _reads) : db.Peek(i, out key, out _);
            value.Clear();
            RdbValueWriter.Write(value, v);
            RdbWriter w = sink.Buffer;
            if (exp != 0)
            {
                w.Byte(OpExpireMs);
                w.Millis(exp);
            }
            ReadOnlySpan<byte> encoded = value.Written;
            w.Byte(encoded[0]);   // the type byte
            w.String(key);
            if (encoded.Length > FlushBytes)
            {
                sink.Flush();
                sink.Emit(encoded[1..]);
            }
            else
            {
                w.Raw(encoded[1..]);
                sink.FlushIfFull();
            }
        }
    }

    /// <summary>The output stream behind a buffer, with the CRC64 of everything written to it.</summary>
    private sealed class Sink(Stream output)
    {
        public RdbWriter Buffer { get; } = new();

        public ulong Crc { get; private set; }

        public void FlushIfFull()
        {
            if (Buffer.Size >= FlushBytes) Flush();
        }

        public void Flush()
        {
            Emit(Buffer.Written);
            Buffer.Clear();
        }

        public void Emit(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty) return;
            Crc = Crc64.Compute(bytes, Crc);
            output.Write(bytes);
        }
    }
}

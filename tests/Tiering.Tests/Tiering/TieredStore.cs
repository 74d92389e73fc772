using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Cold;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Movement;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests.Tiering;

/// <summary>
/// A store with an SSD tier on a temp directory, driven the way the server drives it: each operation under the lock,
/// followed by EndCommand; a write refused with Busy waits for a demotion round and runs again. With
/// <c>slowDevice</c> the log sits on a <see cref="SlowMemoryDevice"/> (every I/O completes later, out of order, on
/// another thread) instead of O_DIRECT files, to shake out the asynchronous paths.
/// </summary>
internal sealed class TieredStore : IDisposable
{
    private readonly string _dir;

    public TieredStore(long maxMemory, Action<EngineOptions>? configure = null, bool slowDevice = false)
    {
        _dir = Path.Combine(Path.GetTempPath(), "tiered-test-" + Guid.NewGuid().ToString("N"));
        var options = new EngineOptions { SsdPath = _dir, Memory = { MaxMemory = maxMemory, MaxMemoryPolicy = "allkeys-lfu" } };
        options.Tier.CompactMinBytes = 0;
        if (slowDevice) options.Tier.DeviceFactory = () => new SlowMemoryDevice(maxDelay: TimeSpan.FromMilliseconds(1));
        configure?.Invoke(options);
        Store = new Store(options);
    }

    public Store Store { get; }

    public ColdTier Cold => Store.Cold!;

    public Demoter Demoter => Store.Demoter!;

    public Database Db => Store.Databases[0];

    /// <summary>Runs a write as a denyoom command would: waits for demotion while the store answers Busy.</summary>
    public T Write<T>(Func<Database, T> op)
    {
        while (true)
        {
            lock (Store.Lock)
            {
                Store.BeginBatch();
                Status st = Store.EnsureMemory();
                if (st != Status.Busy)
                {
                    try { return op(Db); }
                    finally { Store.EndCommand(); }
                }
            }
            Store.Demoter!.RoundAsync().GetAwaiter().GetResult();
        }
    }

    /// <summary>Runs a read under the lock (cold keys are read synchronously).</summary>
    public T Read<T>(Func<Database, T> op)
    {
        lock (Store.Lock)
        {
            Store.BeginBatch();
            try { return op(Db); }
            finally { Store.EndCommand(); }
        }
    }

    /// <summary>Runs demotion rounds until hot bytes are under the target.</summary>
    public void Demote()
    {
        while (Store.Demoter!.RoundAsync().GetAwaiter().GetResult()) { }
    }

    public void Set(string key, byte[] value) => Write(db => StringOps.Set(db, Encoding.UTF8.GetBytes(key), value, SetCondition.Always, 0, false));

    public byte[]? Get(string key) => Read(db => StringOps.Get(db, Encoding.UTF8.GetBytes(key), out ReadOnlySpan<byte> v) == Status.Ok ? v.ToArray() : null);

    public (long Hot, long Cold) Keys() => Read(_ => (Store.HotKeys(), Store.TotalKeys() - Store.HotKeys()));

    public void Dispose()
    {
        Store.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

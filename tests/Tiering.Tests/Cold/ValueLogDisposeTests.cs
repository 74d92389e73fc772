using FASTER.core;
using System.Runtime.CompilerServices;
using Tiered.Tiering.Cold;

namespace Tiered.Tiering.Tests.Cold;

[CollectionDefinition(nameof(UnobservedTaskExceptions), DisableParallelization = true)]
public sealed class UnobservedTaskExceptions;

/// <summary>
/// Runs alone (UnobservedTaskException is process-wide, and other tests dispose FasterLogs too).
/// </summary>
[Collection(nameof(UnobservedTaskExceptions))]
public sealed class ValueLogDisposeTests
{
    [Fact]
    public void DisposingTheLogRaisesNoUnobservedTaskException()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tiered-valuelog-dispose-" + Guid.NewGuid().ToString("N"));
        int raised = 0;
        void Handler(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.InnerExceptions.Any(x => x is ObjectDisposedException)) Interlocked.Increment(ref raised);
        }
        TaskScheduler.UnobservedTaskException += Handler;
        try
        {
            // Control: a bare FasterLog does raise it, so the check below can fail.
            UseAndDisposeBareFasterLog(dir);
            Collect();
            Assert.True(Volatile.Read(ref raised) > 0, "the bare FasterLog's disposal should have raised the event");

            Interlocked.Exchange(ref raised, 0);
            UseAndDisposeValueLog(dir);
            Collect();
            Assert.Equal(0, Volatile.Read(ref raised));
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= Handler;
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Collect()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void UseAndDisposeBareFasterLog(string dir)
    {
        using var device = new SlowMemoryDevice(maxDelay: TimeSpan.FromMilliseconds(0.2));
        var log = new FasterLog(new FasterLogSettings { LogDevice = device, PageSizeBits = 16, MemorySizeBits = 18, LogCommitDir = Path.Combine(dir, "bare") });
        log.Enqueue([1, 2, 3]);
        log.Commit(spinWait: true);
        log.Dispose();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void UseAndDisposeValueLog(string dir)
    {
        using var device = new SlowMemoryDevice(maxDelay: TimeSpan.FromMilliseconds(0.2));
        var log = new ValueLog(new ValueLogOptions { Directory = Path.Combine(dir, "value"), PageSizeBits = 16, MemorySizeBits = 18, SegmentSizeBits = 20 }, device);
        log.Append(RecordType.Put, 0, 0, 0, "k"u8, "v"u8, out _);
        log.Commit();
        log.Dispose();
    }
}

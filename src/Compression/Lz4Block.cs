// Lz4Block: the compressor behind ValueCodec's fast level.
//
// Why not the managed port alone. K4os.Compression.LZ4 encodes a block by building a fresh 16 KB match table on the
// stack and clearing it for every call. Values here are small (a cache's SET is often 100 bytes), so that clearing
// is the whole cost: measured on this machine, 850-950 ns per call for 64-256 bytes whatever the input, against
// 52-123 ns for the reference C library (Debian's liblz4-1) reusing one table per thread with LZ4_resetStream_fast.
// Under redis-benchmark SET -P 16 with the log on, the managed encoder was a fifth of the server's CPU.
//
// How one table serves many independent blocks. liblz4 keeps a per-stream match table; LZ4_resetStream_fast starts
// a new stream without clearing it, by moving the stream's offset past every position the old entries name, so
// they can never match. The first block of a stream refers to nothing before it, so each value is still one
// standalone LZ4 block: exactly the format K4os decodes (ValueCodec decodes with K4os, bounds-checked).
//
//   thread A: [LZ4_stream_t 16 KB] -- reset_fast -> compress(v1) -- reset_fast -> compress(v2) ...
//   thread B: [LZ4_stream_t 16 KB] -- ...                      (one table per thread: no sharing, no locks)
//
// Where liblz4 is missing (not Linux, or the package is not installed) the managed encoder is used; the output is a
// valid block either way, so both can write the same log.

using System.Runtime.InteropServices;
using K4os.Compression.LZ4;

namespace Tiered.Compression;

/// <summary>
/// Encodes one standalone LZ4 block at the fast level, through liblz4 when it is installed (see the file's header).
/// Thread-safe: each thread has its own match table.
/// </summary>
internal static unsafe partial class Lz4Block
{
    private const string Library = "liblz4.so.1";

    /// <summary>True when liblz4 was found and is used; false means the managed encoder is.</summary>
    internal static bool Native { get; } = Probe();

    /// <summary>
    /// This thread's stream state. Rule: touched only by its own thread; freed by the handle's finalizer once the
    /// thread has ended and the handle is collected.
    /// </summary>
    [ThreadStatic] private static StreamHandle? t_stream;

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="dest"/>; returns the block's length, or 0 when it does
    /// not fit in <paramref name="dest"/> (the encoder gives up as soon as it would overflow).
    /// </summary>
    internal static int Encode(ReadOnlySpan<byte> source, Span<byte> dest)
    {
        if (!Native) return Math.Max(0, LZ4Codec.Encode(source, dest, LZ4Level.L00_FAST));
        StreamHandle stream = t_stream ??= Create();
        IntPtr state = stream.DangerousGetHandle();
        ResetStreamFast(state);
        fixed (byte* s = source)
        fixed (byte* d = dest)
            return Math.Max(0, CompressFastContinue(state, s, d, source.Length, dest.Length, 1));
    }

    private static StreamHandle Create()
    {
        IntPtr state = CreateStream();
        if (state == IntPtr.Zero) throw new OutOfMemoryException("liblz4 could not allocate a stream");
        return new StreamHandle(state);
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(Library, out IntPtr lib)) return false;
        try
        {
            return NativeLibrary.TryGetExport(lib, "LZ4_resetStream_fast", out _)
                && NativeLibrary.TryGetExport(lib, "LZ4_compress_fast_continue", out _)
                && NativeLibrary.TryGetExport(lib, "LZ4_createStream", out _)
                && NativeLibrary.TryGetExport(lib, "LZ4_freeStream", out _);
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport(Library, EntryPoint = "LZ4_createStream")]
    private static partial IntPtr CreateStream();

    [LibraryImport(Library, EntryPoint = "LZ4_freeStream")]
    private static partial int FreeStream(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "LZ4_resetStream_fast")]
    private static partial void ResetStreamFast(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "LZ4_compress_fast_continue")]
    private static partial int CompressFastContinue(IntPtr stream, byte* source, byte* dest, int sourceSize, int destCapacity, int acceleration);

    /// <summary>Owns one liblz4 stream; frees it when released.</summary>
    private sealed class StreamHandle : SafeHandle
    {
        public StreamHandle(IntPtr state) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(state);

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle() => FreeStream(handle) == 0;
    }
}

using System.Runtime.InteropServices;

namespace Bbn.Core.Runtime;

/// <summary>
/// glibc heap settings for libtorch's allocation pattern, and giving free memory back once per epoch.
/// A step frees and reallocates the same large activation buffers every step; glibc's defaults give
/// them back to the system and the next step page-faults them in again. Freed memory stays in the
/// heap during an epoch; <see cref="Release"/> trims it when <see cref="HeapReleasePolicy"/> sees
/// resident memory grow. A thread arena's 64 MiB heaps are unmapped by a check of the top pad, not of
/// the trim threshold, so the pad is one heap. The measurements: docs/performance.md. No-ops where
/// the C library is not glibc.
/// </summary>
public static partial class NativeHeap
{
    // mallopt parameters (malloc.h).
    private const int TrimThresholdParameter = -1;
    private const int TopPadParameter = -2;
    private const int MmapThresholdParameter = -3;

    /// <summary>glibc's largest allowed mmap threshold on 64-bit (HEAP_MAX_SIZE / 2).</summary>
    private const int MmapThresholdBytes = 32 * 1024 * 1024;

    private const int TrimThresholdBytes = 1024 * 1024 * 1024;

    /// <summary>glibc's HEAP_MAX_SIZE on 64-bit: the size of one heap of a thread's arena.</summary>
    private const int TopPadBytes = 64 * 1024 * 1024;

    private static bool unavailable = !OperatingSystem.IsLinux();

    /// <summary>The user's MALLOC_TRIM_THRESHOLD_ or MALLOC_TOP_PAD_ govern trimming: this class then leaves them alone.</summary>
    private static readonly bool trimFromUser = Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null
        || Environment.GetEnvironmentVariable("MALLOC_TOP_PAD_") is not null;

    /// <summary>
    /// Keeps blocks up to 32 MB in the heap and stops trimming it or unmapping a thread arena's
    /// heaps after every free; once per process, before libtorch's first allocation. The user's own
    /// MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or MALLOC_TOP_PAD_ environment settings win.
    /// </summary>
    public static void KeepFreedMemoryDuringEpochs()
    {
        if (unavailable) return;
        try
        {
            if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null) _ = MallocOption(MmapThresholdParameter, MmapThresholdBytes);
            if (!trimFromUser) KeepArenaTops();
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            unavailable = true;
        }
    }

    /// <summary>
    /// Frees the native memory of managed garbage: byte buffers of the checkpoint just written, and
    /// any tensor that escaped a dispose scope frees its native memory in its finalizer.
    /// </summary>
    public static void CollectManagedGarbage()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    /// <summary>Gives the heap's free memory back to the system, on the training thread (<see cref="HeapReleasePolicy"/> says when).</summary>
    public static void Release()
    {
        if (unavailable) return;
        try
        {
            _ = MallocTrim(0);
            ReleaseThreadArenaTop();
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            unavailable = true;
        }
    }

    /// <summary>
    /// malloc_trim returns the free pages of every arena but the top of the main one only; a thread
    /// other than the process's first allocates from its own arena, whose top is trimmed only by a
    /// large free while the trim threshold allows it. So: lower the threshold, free a large block
    /// from this thread's arena, restore it. Call on each thread that runs tensor operations.
    /// </summary>
    public static void ReleaseThreadArenaTop()
    {
        if (unavailable || trimFromUser) return;
        try
        {
            _ = MallocOption(TrimThresholdParameter, 0);
            _ = MallocOption(TopPadParameter, 0);
            nint block = Malloc(ArenaTrimBlockBytes);
            if (block != 0) Free(block);
            KeepArenaTops();
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            unavailable = true;
        }
    }

    private static void KeepArenaTops()
    {
        _ = MallocOption(TrimThresholdParameter, TrimThresholdBytes);
        _ = MallocOption(TopPadParameter, TopPadBytes);
    }

    /// <summary>Above glibc's FASTBIN_CONSOLIDATION_THRESHOLD (64 KiB): the size of free that trims an arena.</summary>
    private const int ArenaTrimBlockBytes = 256 * 1024;

    [LibraryImport("libc", EntryPoint = "malloc")]
    private static partial nint Malloc(nuint size);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint block);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallocOption(int parameter, int value);
}

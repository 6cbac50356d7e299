using System.Runtime.InteropServices;

namespace Bbn.Core.Runtime;

/// <summary>
/// Gives the C heap's free memory back to the system. libtorch frees a step's activations into
/// glibc's heap, which keeps them (its dynamic mmap threshold grows to 32 MB), so resident memory
/// climbs epoch after epoch although nothing leaks; malloc_trim once per epoch keeps it flat at no
/// measurable cost (bench/run.sh). A no-op where the C library has no malloc_trim (not glibc).
/// </summary>
public static partial class NativeHeap
{
    private static bool unavailable = !OperatingSystem.IsLinux();

    public static void Release()
    {
        // Managed garbage first: byte buffers of the checkpoint just written, and any tensor that
        // escaped a dispose scope frees its native memory in its finalizer.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (unavailable) return;
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            unavailable = true;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}

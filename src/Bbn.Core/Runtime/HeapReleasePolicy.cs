namespace Bbn.Core.Runtime;

/// <summary>
/// Whether to give the native heap's free memory back to the system at an epoch's end. Giving it
/// back after every epoch made the next step page-fault its whole working set in again (about
/// 1.6 GB for the ResNet-32 BBN step at batch 128), which cost 20-26 % of the throughput of 8-step
/// epochs (Bbn.Bench, alternated with and without). So the heap is trimmed only when resident
/// memory after an epoch exceeds the level after the first epoch since the last trim by more than
/// the tolerance: the working set stays mapped between epochs and growth (heap fragmentation, a
/// leak) stays bounded. Tolerance 0 trims after every epoch.
/// </summary>
public sealed class HeapReleasePolicy(double tolerance, Func<long> residentBytes)
{
    private long? reference;

    public HeapReleasePolicy(double tolerance)
        : this(tolerance, () => Environment.WorkingSet)
    {
    }

    /// <summary>Call after each epoch, managed garbage collected; true: trim the heap now.</summary>
    public bool ShouldRelease()
    {
        if (tolerance <= 0) return true;
        long resident = residentBytes();
        if (reference is not { } level)
        {
            reference = resident;
            return false;
        }
        if (resident <= level * (1 + tolerance)) return false;
        reference = null;
        return true;
    }
}

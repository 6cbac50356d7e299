namespace Bbn.Core.Runtime;

/// <summary>
/// Whether to give the native heap's free memory back to the system at an epoch's end. Giving it
/// back after every epoch made the next step page-fault its whole working set in again (measured
/// with Bbn.Bench --memory: docs/performance.md).
/// So the heap is trimmed only when resident memory after an epoch exceeds its reference level by
/// more than the tolerance: the working set stays mapped between epochs and heap fragmentation
/// stays bounded. The reference is the higher of the first two epochs (the heap still settles
/// after the first) and it stays fixed: a trim brings the next epochs back under it, so resident
/// memory after any epoch stays within the tolerance of the settled level. Only when the epoch
/// right after a trim ends above the limit again did the working set itself grow (a larger
/// evaluation batch, a leak, not fragmentation): that level becomes the reference, rather than
/// trimming after every epoch. Tolerance 0 trims after every epoch.
/// </summary>
public sealed class HeapReleasePolicy(double tolerance, Func<long> residentBytes)
{
    private const int SettlingEpochs = 2;

    private long reference;
    private int epochsMeasured;
    private bool releasedLastEpoch;

    public HeapReleasePolicy(double tolerance)
        : this(tolerance, ResidentBytes)
    {
    }

    /// <summary>The default measure: this process's resident memory.</summary>
    public static long ResidentBytes() => Environment.WorkingSet;

    /// <summary>Call after each epoch, managed garbage collected; true: trim the heap now.</summary>
    public bool ShouldRelease()
    {
        if (tolerance <= 0) return true;
        long resident = residentBytes();
        if (epochsMeasured < SettlingEpochs)
        {
            reference = Math.Max(reference, resident);
            epochsMeasured++;
            return false;
        }
        bool withinLimit = resident <= reference * (1 + tolerance);
        if (!withinLimit && releasedLastEpoch)
        {
            reference = resident;
            withinLimit = true;
        }
        releasedLastEpoch = !withinLimit;
        return !withinLimit;
    }
}

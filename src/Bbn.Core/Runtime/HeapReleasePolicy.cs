namespace Bbn.Core.Runtime;

/// <summary>
/// Whether to give the native heap's free memory back to the system at an epoch's end. Giving it
/// back after every epoch made the next step page-fault its whole working set in again (about
/// 1.6 GB for the ResNet-32 BBN step at batch 128; +230 ms for that step, Bbn.Bench --memory).
/// So the heap is trimmed only when resident memory after an epoch exceeds its reference level by
/// more than the tolerance: the working set stays mapped between epochs and growth (heap
/// fragmentation, a leak) stays bounded. The reference is the higher of the first two epochs after
/// the start or the last trim, since the heap is still settling after the first. Tolerance 0 trims
/// after every epoch.
/// </summary>
public sealed class HeapReleasePolicy(double tolerance, Func<long> residentBytes)
{
    private const int SettlingEpochs = 2;

    private long reference;
    private int epochsMeasured;

    public HeapReleasePolicy(double tolerance)
        : this(tolerance, () => Environment.WorkingSet)
    {
    }

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
        if (resident <= reference * (1 + tolerance)) return false;
        reference = 0;
        epochsMeasured = 0;
        return true;
    }
}

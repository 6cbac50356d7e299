using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Distributed;

/// <summary>
/// Averages the gradients over the ranks after backward, as DistributedDataParallel does: the
/// gradients, in parameter order, are packed into buckets of at most <c>bucketBytes</c> (one call per
/// bucket rather than per tensor), each bucket is summed over the ranks and divided by their number.
/// Every rank then holds the gradient of the global batch's mean loss, so identical weights stay identical.
/// </summary>
public sealed class GradientAllReduce(IProcessGroup group, ITensorReducer reducer, long bucketBytes)
{
    /// <summary>Bytes summed over the ranks by the last <see cref="Average"/> (the all-reduce's payload per step).</summary>
    public long BytesPerStep { get; private set; }

    /// <summary>All-reduce calls the last <see cref="Average"/> made.</summary>
    public int BucketsPerStep { get; private set; }

    /// <summary>Wall time of every <see cref="Average"/> so far, and how many: the all-reduce's cost (it waits for the slowest rank, too).</summary>
    public TimeSpan Elapsed => clock.Elapsed;

    public int Calls { get; private set; }

    private readonly System.Diagnostics.Stopwatch clock = new();

    public void Average(IEnumerable<Tensor> parameters)
    {
        if (group.Size == 1) return;
        clock.Start();
        try
        {
            AverageNow(parameters);
            Calls++;
        }
        finally
        {
            clock.Stop();
        }
    }

    private void AverageNow(IEnumerable<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        var gradients = parameters.Where(p => p.requires_grad && p.grad is not null).Select(p => p.grad!).ToList();
        long bytes = 0;
        int buckets = 0;
        foreach (var bucket in Buckets(gradients))
        {
            using var flat = FlatTensors.Pack(bucket);
            reducer.SumInPlace(flat);
            using Scalar ranks = group.Size.ToScalar();
            flat.div_(ranks);
            FlatTensors.CopyBack(flat, bucket);
            bytes += flat.numel() * sizeof(float);
            buckets++;
        }
        BytesPerStep = bytes;
        BucketsPerStep = buckets;
    }

    private IEnumerable<List<Tensor>> Buckets(List<Tensor> gradients)
    {
        var bucket = new List<Tensor>();
        long size = 0;
        foreach (var gradient in gradients)
        {
            long bytes = gradient.numel() * sizeof(float);
            if (bucket.Count > 0 && size + bytes > bucketBytes)
            {
                yield return bucket;
                bucket = [];
                size = 0;
            }
            bucket.Add(gradient);
            size += bytes;
        }
        if (bucket.Count > 0) yield return bucket;
    }
}

/// <summary>Tensors packed end to end into one contiguous float32 tensor, for one collective call, and unpacked.</summary>
internal static class FlatTensors
{
    public static Tensor Pack(IReadOnlyList<Tensor> tensors) =>
        tensors.Count == 1 ? tensors[0].flatten().contiguous() : cat(tensors.Select(t => t.flatten()).ToList(), 0);

    public static void CopyBack(Tensor flat, IReadOnlyList<Tensor> tensors)
    {
        long offset = 0;
        foreach (var t in tensors)
        {
            long n = t.numel();
            using var part = flat.narrow(0, offset, n).view_as(t);
            t.copy_(part);
            offset += n;
        }
    }
}

/// <summary>Sums a contiguous float32 tensor over the ranks in place: through host memory (MPI) or on the device (NCCL).</summary>
public interface ITensorReducer
{
    void SumInPlace(Tensor flat);
}

/// <summary>Sums through the group's host-memory all-reduce: the tensor is copied to a reused array and back (CPU tensors; on CUDA it costs two copies).</summary>
public sealed class HostTensorReducer(IProcessGroup group) : ITensorReducer
{
    // One array per bucket size (the buckets repeat every step): TensorAccessor copies whole arrays.
    private readonly Dictionary<int, float[]> buffers = [];

    public void SumInPlace(Tensor flat)
    {
        int count = checked((int)flat.numel());
        if (!buffers.TryGetValue(count, out var buffer)) buffers[count] = buffer = new float[count];
        using (var host = flat.device_type == TorchSharp.DeviceType.CPU ? flat.alias() : flat.cpu())
            host.data<float>().CopyTo(buffer);
        group.AllReduceSum(buffer, count);
        if (flat.device_type == TorchSharp.DeviceType.CPU)
        {
            flat.data<float>().CopyFrom(buffer);
            return;
        }
        using var summed = tensor(buffer);
        flat.copy_(summed);
    }
}

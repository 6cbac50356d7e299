using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Distributed;

/// <summary>
/// What a training session needs to run as one rank of many: the group, this rank's shard of each
/// step's batch, and the gradient all-reduce. <see cref="None"/> is a single process.
/// </summary>
public sealed class DataParallel
{
    private readonly ITensorReducer reducer;

    private DataParallel(IProcessGroup group, ITensorReducer reducer, long bucketBytes, int checkWeightsEvery = 0)
    {
        Group = group;
        CheckWeightsEvery = checkWeightsEvery;
        this.reducer = reducer;
        Gradients = new GradientAllReduce(group, reducer, bucketBytes);
    }

    public static DataParallel None { get; } = new(SingleProcess.Instance, new HostTensorReducer(SingleProcess.Instance), long.MaxValue);

    /// <summary>Data-parallel training over <paramref name="group"/>: NCCL for a CUDA device, MPI's host all-reduce otherwise.</summary>
    public static DataParallel Over(IProcessGroup group, Device device, double bucketMegabytes, int checkWeightsEvery = 0) =>
        group.Size == 1 ? None
            : new(group, device.type == DeviceType.CUDA ? new NcclTensorReducer(group) : new HostTensorReducer(group), (long)(bucketMegabytes * 1024 * 1024), checkWeightsEvery);

    /// <summary>Every how many steps the ranks compare their weights (0: never).</summary>
    public int CheckWeightsEvery { get; }

    /// <summary>Steps after which the ranks compared their weights and found them identical.</summary>
    public int WeightChecks { get; private set; }

    /// <summary>
    /// Compares a SHA-256 of every rank's parameters with rank 0's and throws, naming the ranks, when
    /// one differs (batch-norm running statistics are per rank and not compared).
    /// </summary>
    public void CheckWeightsAgree(nn.Module network, string where)
    {
        if (Group.Size == 1) return;
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var p in network.parameters())
        {
            using var host = p.detach().cpu().contiguous();
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(host.data<float>().ToArray().AsSpan()));
        }
        var all = Group.AllGather(hash.GetHashAndReset());
        var differing = Enumerable.Range(1, Group.Size - 1).Where(r => !all[r].AsSpan().SequenceEqual(all[0])).ToArray();
        if (differing.Length > 0)
            throw new DistributedException($"The weights of rank(s) {string.Join(", ", differing)} differ from rank 0's {where}: the ranks no longer train one network.");
        WeightChecks++;
    }

    public IProcessGroup Group { get; }
    public Shard Shard => Shard.Of(Group);
    public GradientAllReduce Gradients { get; }

    /// <summary>
    /// Gives every rank rank 0's parameters and buffers (a sum in which the other ranks add zeros), as
    /// DistributedDataParallel does at its start: the ranks then step identical weights.
    /// </summary>
    public void StartFromRootsWeights(nn.Module network)
    {
        if (Group.Size == 1) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var tensors = network.parameters().Cast<Tensor>().Concat(network.buffers()).Where(b => b.dtype == ScalarType.Float32).ToList();
        using var flat = FlatTensors.Pack(tensors);
        if (Group.Rank != 0) flat.zero_();
        reducer.SumInPlace(flat);
        FlatTensors.CopyBack(flat, tensors);
    }

    /// <summary>
    /// Averages the floating-point buffers (batch-norm running statistics) over the ranks. They are
    /// updated per rank from its own batches, as DistributedDataParallel leaves them; the running
    /// statistics are linear in their past, so averaging at an epoch's end equals averaging every step.
    /// </summary>
    public void AverageBuffers(nn.Module network)
    {
        if (Group.Size == 1) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var buffers = network.buffers().Where(b => b.dtype == ScalarType.Float32).ToList();
        if (buffers.Count == 0) return;
        using var flat = FlatTensors.Pack(buffers);
        reducer.SumInPlace(flat);
        using Scalar ranks = Group.Size.ToScalar();
        flat.div_(ranks);
        FlatTensors.CopyBack(flat, buffers);
    }
}

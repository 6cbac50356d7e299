using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Distributed;

/// <summary>
/// Sums CUDA tensors over the ranks with NCCL, on the device: ncclAllReduce on the tensor's own
/// buffer, queued on the default CUDA stream (libtorch's, unless a stream is set), so no host copy is
/// made. MPI only shares the NCCL id from rank 0, as Horovod does. Compiled and documented; it has not
/// run: no CUDA build of TorchSharp is served to this project (docs/distributed.md).
/// </summary>
public sealed unsafe class NcclTensorReducer : ITensorReducer, IDisposable
{
    private const int NcclFloat32 = 7, NcclSum = 0;
    private readonly delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int> allReduce;
    private readonly delegate* unmanaged<IntPtr, int> destroy;
    private readonly delegate* unmanaged<IntPtr, IntPtr> dataOf;
    private readonly IntPtr communicator;

    [StructLayout(LayoutKind.Sequential, Size = 128)]
    private struct UniqueId
    {
        private byte first;
    }

    public NcclTensorReducer(IProcessGroup group, string library = "libnccl.so.2")
    {
        if (!NativeLibrary.TryLoad(library, out var nccl))
            throw new DistributedException($"NCCL ({library}) could not be loaded: install NCCL for CUDA data-parallel training, or train on the CPU through MPI.");
        var getUniqueId = (delegate* unmanaged<UniqueId*, int>)NativeLibrary.GetExport(nccl, "ncclGetUniqueId");
        var initRank = (delegate* unmanaged<IntPtr*, int, UniqueId, int, int>)NativeLibrary.GetExport(nccl, "ncclCommInitRank");
        allReduce = (delegate* unmanaged<IntPtr, IntPtr, nuint, int, int, IntPtr, IntPtr, int>)NativeLibrary.GetExport(nccl, "ncclAllReduce");
        destroy = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(nccl, "ncclCommDestroy");
        dataOf = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(
            NativeLibrary.Load("LibTorchSharp", typeof(torch).Assembly, null), "THSTensor_data");

        UniqueId id = default;
        if (group.Rank == 0) Check(getUniqueId(&id), "ncclGetUniqueId");
        var bytes = new byte[sizeof(UniqueId)];
        if (group.Rank == 0) MemoryMarshal.Write(bytes, in id);
        id = MemoryMarshal.Read<UniqueId>(group.Broadcast(group.Rank == 0 ? bytes : null));
        IntPtr comm;
        Check(initRank(&comm, group.Size, id, group.Rank), "ncclCommInitRank");
        communicator = comm;
    }

    public void SumInPlace(Tensor flat)
    {
        if (flat.device_type != DeviceType.CUDA || flat.dtype != ScalarType.Float32 || !flat.is_contiguous())
            throw new ArgumentException("NCCL sums contiguous float32 CUDA tensors.", nameof(flat));
        IntPtr data = dataOf(flat.Handle);
        Check(allReduce(data, data, (nuint)flat.numel(), NcclFloat32, NcclSum, communicator, IntPtr.Zero), "ncclAllReduce");
    }

    private static void Check(int result, string call)
    {
        if (result != 0) throw new DistributedException($"{call} failed with NCCL result {result}.");
    }

    public void Dispose() => _ = destroy(communicator);
}

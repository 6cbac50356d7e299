using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Data;

/// <summary>
/// Copies a batch decoded on the host to the training device. On CUDA it goes through page-locked memory
/// with a non-blocking copy, as PyTorch's <c>DataLoader(pin_memory=True)</c> and <c>.to(non_blocking=True)</c>,
/// so that the copy overlaps the kernels already queued; libtorch's caching host allocator keeps the pinned
/// block until the copy has run, so the pinned tensor may be disposed at once. Elsewhere a plain copy.
/// </summary>
public static class HostToDevice
{
    /// <summary>Whether batches for <paramref name="device"/> are pinned and copied without blocking.</summary>
    public static bool Pins(Device device) => device.type == DeviceType.CUDA;

    /// <summary>A tensor on <paramref name="device"/> holding <paramref name="host"/>'s values; the caller owns and disposes both.</summary>
    public static Tensor Copy(Tensor host, Device device)
    {
        if (!Pins(device)) return host.to(device);
        using var pinned = host.pin_memory();
        return pinned.to(device, non_blocking: true);
    }
}

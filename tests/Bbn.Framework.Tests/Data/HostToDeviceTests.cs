using TorchSharp;
using Bbn.Core.Data;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>File-dataset batches reach the device through pinned memory on CUDA only; elsewhere a plain, equal copy.</summary>
[Collection(TorchCollection.Name)]
public sealed class HostToDeviceTests
{
    [Fact]
    public void Only_cuda_batches_are_pinned()
    {
        HostToDevice.Pins(new Device(DeviceType.CUDA, 0)).Should().BeTrue();
        HostToDevice.Pins(CPU).Should().BeFalse("pinning needs a CUDA runtime; a CPU run copies nothing");
    }

    [Fact]
    public void A_cpu_copy_keeps_the_values_and_the_type()
    {
        using var host = tensor(new byte[] { 0, 7, 255, 128 }, [1, 1, 2, 2]);
        using var moved = HostToDevice.Copy(host, CPU);
        moved.dtype.Should().Be(ScalarType.Byte);
        moved.device_type.Should().Be(DeviceType.CPU);
        moved.data<byte>().ToArray().Should().Equal(0, 7, 255, 128);
    }
}

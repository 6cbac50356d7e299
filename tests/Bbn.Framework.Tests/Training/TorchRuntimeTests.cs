using System.Text;
using Bbn.Hosting.Runtime;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
public sealed class TorchRuntimeTests
{
    [Fact]
    public void Torch_loads_and_computes_in_the_test_host()
    {
        TorchRuntime.EnsureLoaded();
        using var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = tensor(new float[] { 5, 6, 7, 8 }).reshape(2, 2);

        using var product = a.matmul(b);

        product.data<float>().ToArray().Should().Equal(19, 22, 43, 50);
    }

    [Fact]
    public void The_native_library_beside_the_tests_is_patched_exactly_when_the_system_libstdcxx_needs_it()
    {
        string? systemLib = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }.FirstOrDefault(File.Exists);
        string shipped = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();
        bool systemHasVersion = systemLib is not null && Contains(File.ReadAllBytes(systemLib), "GLIBCXX_3.4.32\0");

        bool stillAsksForNewSymbol = Contains(File.ReadAllBytes(shipped), "\0_ZSt21ios_base_library_initv\0");

        stillAsksForNewSymbol.Should().Be(systemHasVersion,
            systemHasVersion ? "a libstdc++ with GLIBCXX_3.4.32 needs no patch" : "this host's libstdc++ lacks GLIBCXX_3.4.32, so the build must use the patched copy");
    }

    [Fact]
    public void Auto_and_cpu_pick_the_cpu_here_and_cuda_fails_with_the_fix()
    {
        TorchRuntime.ResolveDevice("cpu", 0).type.Should().Be(DeviceType.CPU);
        if (cuda.is_available())
        {
            TorchRuntime.ResolveDevice("auto", 0).type.Should().Be(DeviceType.CUDA);
            return;
        }
        TorchRuntime.ResolveDevice("auto", 0).type.Should().Be(DeviceType.CPU);

        var act = () => TorchRuntime.ResolveDevice("cuda:0", 0);

        act.Should().Throw<TorchRuntimeException>().WithMessage("Bbn:Training:Device = 'cuda:0' but CUDA is not available*BbnTorchBackend=cuda*");
    }

    private static bool Contains(byte[] data, string text)
    {
        byte[] pattern = Encoding.ASCII.GetBytes(text);
        return data.AsSpan().IndexOf(pattern) >= 0;
    }
}

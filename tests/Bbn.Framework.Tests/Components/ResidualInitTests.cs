using Bbn.Abstractions;
using Bbn.Core.Model;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Bbn:Backbone:ZeroInitResidual: each residual block's last batch-norm scale starts at 0 and nothing else moves.</summary>
[Collection(TorchCollection.Name)]
public sealed class ResidualInitTests
{
    [Theory]
    [InlineData("resnet32", "bn2", 16)] // 14 trunk blocks + 1 per branch; in BasicBlocks bn2 feeds the sum
    [InlineData("resnet10", "bn2", 5)] // 3 + 2
    [InlineData("resnet50", "bn3", 17)] // 15 + 2; in bottlenecks bn3
    public void Zero_init_zeroes_the_last_norm_of_every_residual_block_and_draws_no_random_numbers(string name, string lastNorm, int blocks)
    {
        var shape = name == "resnet32" ? new ImageShape(1, 32, 32) : new ImageShape(3, 64, 64);
        manual_seed(7);
        using var plain = new BranchNetwork(BuiltInComponents.Create<IBackbone>(name).Build(shape), 3, TinyNetwork.Bilateral);
        manual_seed(7);
        using var zeroed = new BranchNetwork(
            BuiltInComponents.Create<IBackbone>(name, new() { ["ZeroInitResidual"] = "true" }).Build(shape), 3, TinyNetwork.Bilateral);

        var before = plain.state_dict();
        var zeroedNorms = new List<string>();
        foreach (var (key, value) in zeroed.state_dict())
        {
            bool last = key.EndsWith($".{lastNorm}.weight", StringComparison.Ordinal) && !key.Contains("downsample", StringComparison.Ordinal);
            if (last)
            {
                value.count_nonzero().item<long>().Should().Be(0, key);
                zeroedNorms.Add(key);
            }
            else
            {
                value.allclose(before[key], rtol: 0, atol: 0).Should().BeTrue($"{key} is as without the setting");
            }
        }
        zeroedNorms.Should().HaveCount(blocks, "the trunk's blocks and the block each branch owns");
    }
}

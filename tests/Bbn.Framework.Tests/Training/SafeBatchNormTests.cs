using Bbn.Abstractions;
using Bbn.Abstractions.Modules;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>
/// TorchSharp's BatchNorm2d counts batches with <c>add_(1)</c>, two Scalars nothing keeps alive: a BBN run of the small-data
/// benchmark stopped at epoch 21 with "argument alpha must not be a floating point number". SafeBatchNorm2d is its forward
/// with held Scalars; the built-in backbones use it.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class SafeBatchNormTests
{
    [Fact]
    public void SafeBatchNorm2d_normalises_and_keeps_its_statistics_as_TorchSharps_BatchNorm2d_does()
    {
        using var reference = nn.BatchNorm2d(5);
        using var safe = new SafeBatchNorm2d(5);
        var generator = new Generator(17);
        using (no_grad())
        {
            using var weight = randn([5], generator: generator);
            using var bias = randn([5], generator: generator);
            reference.weight.copy_(weight);
            safe.weight.copy_(weight);
            reference.bias!.copy_(bias);
            safe.bias!.copy_(bias);
        }

        for (int batch = 0; batch < 3; batch++)
        {
            using var input = randn([4, 5, 3, 3], generator: generator);
            using var expected = reference.call(input);
            using var actual = safe.call(input);
            actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue($"training batch {batch} is normalised bit for bit as TorchSharp's");
        }
        safe.num_batches_tracked!.item<long>().Should().Be(3);
        safe.num_batches_tracked.item<long>().Should().Be(reference.num_batches_tracked!.item<long>());
        safe.running_mean!.allclose(reference.running_mean!, rtol: 0, atol: 0).Should().BeTrue();
        safe.running_var!.allclose(reference.running_var!, rtol: 0, atol: 0).Should().BeTrue();
        safe.state_dict().Keys.Should().Equal(reference.state_dict().Keys, "checkpoints and PyTorch files name the same tensors");

        reference.eval();
        safe.eval();
        using var test = randn([2, 5, 3, 3], generator: generator);
        using var expectedEval = reference.call(test);
        using var actualEval = safe.call(test);
        actualEval.allclose(expectedEval, rtol: 0, atol: 0).Should().BeTrue("evaluation uses the running statistics, as TorchSharp's does");
        safe.num_batches_tracked.item<long>().Should().Be(3, "evaluation counts no batch");
    }

    [Theory]
    [InlineData("resnet32")]
    [InlineData("resnet10")]
    [InlineData("resnet50")]
    public void The_built_in_backbones_normalise_with_SafeBatchNorm2d_only(string backbone)
    {
        var parts = BuiltInComponents.Create<IBackbone>(backbone).Build(new ImageShape(3, 32, 32));
        using var trunk = parts.Trunk;
        using var branch = parts.CreateBranch();
        var norms = trunk.modules().Concat(branch.modules()).OfType<TorchSharp.Modules.NormBase>().ToList();
        norms.Should().NotBeEmpty();
        norms.Should().AllBeOfType<SafeBatchNorm2d>($"{backbone}'s batch norms count batches with held Scalars");
    }

    [Fact]
    public void SafeBatchNorm2d_counts_every_batch_with_collections_running_beside_it()
    {
        using var norm = new SafeBatchNorm2d(2);
        using var input = ones([2, 2, 1, 1]);
        using (new NativeLifetimeTests.CollectionPressure())
        {
            for (int batch = 0; batch < 3000; batch++)
            {
                using var scope = NewDisposeScope();
                norm.call(input);
            }
        }
        norm.num_batches_tracked!.item<long>().Should().Be(3000);
    }
}

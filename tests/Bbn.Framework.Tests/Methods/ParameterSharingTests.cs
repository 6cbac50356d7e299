using Bbn.Core.Training;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
public sealed class ParameterSharingTests
{
    [Fact]
    public void The_trunk_receives_gradient_from_each_branch_alone()
    {
        using var network = TinyNetwork.Create(bilateral: true, classes: 3);
        using var images = rand(4, 1, 32, 32);
        foreach (var branch in new Func<Tensor, Tensor>[] { x => network.Features(0, x), x => network.Features(1, x) })
        {
            network.zero_grad();
            using var scope = NewDisposeScope();
            branch(images).sum().backward();

            network.Trunk.parameters().Select(p => p.grad is not null && p.grad.abs().sum().item<float>() > 0).Should().AllBeEquivalentTo(true);
        }
    }

    [Fact]
    public void The_branch_blocks_are_distinct_parameters_with_the_same_shapes()
    {
        using var network = TinyNetwork.Create(bilateral: true, classes: 3);

        var conventional = network.Branch(0).parameters().ToList();
        var rebalancing = network.Branch(1).parameters().ToList();

        conventional.Select(p => p.shape).Should().BeEquivalentTo(rebalancing.Select(p => p.shape), o => o.WithStrictOrdering());
        conventional.Select(p => p.Handle).Should().NotIntersectWith(rebalancing.Select(p => p.Handle));
        conventional[0].allclose(rebalancing[0]).Should().BeFalse("each branch block is initialised on its own");
        network.parameters().Count().Should().Be(network.Trunk.parameters().Count() + conventional.Count + rebalancing.Count + 2);
    }

    [Fact]
    public void One_bilateral_step_changes_the_trunk_and_both_branch_blocks()
    {
        using var network = TinyNetwork.Create(bilateral: true, classes: 3);
        using var optimizer = optim.SGD(network.parameters(), 0.1, 0.9, nesterov: true, weight_decay: 2e-4);
        var before = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var xc = rand(4, 1, 32, 32);
        using var xr = rand(4, 1, 32, 32);
        using var yc = tensor(new long[] { 0, 1, 2, 0 });
        using var yr = tensor(new long[] { 2, 2, 1, 1 });

        using (NewDisposeScope())
        {
            var logits = network.Classify(TinyNetwork.Mix(network.Features(0, xc), network.Features(1, xr), 0.7));
            var loss = nn.functional.cross_entropy(logits, yc).mul(0.7).add(nn.functional.cross_entropy(logits, yr).mul(0.3));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }

        bool Changed(nn.Module module, string prefix) => module.named_parameters()
            .All(p => !p.parameter.allclose(before[prefix + p.name]));
        Changed(network.Trunk, "trunk.").Should().BeTrue();
        Changed(network.Branch(0), "conventional.").Should().BeTrue();
        Changed(network.Branch(1), "rebalancing.").Should().BeTrue();
    }
}

using Bbn.Abstractions;
using Bbn.Core.Model;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
public sealed class ImageNetBackboneTests
{
    [Theory]
    [InlineData("resnet10", 4)] // 1-1-1-1 blocks: three in the trunk, layer4s only block per branch
    [InlineData("resnet18", 8)]
    public void ImageNet_resnets_give_512_features_per_branch_and_share_all_but_the_last_block(string name, int trunkBlocks)
    {
        var backbone = BuiltInComponents.Create<IBackbone>(name);
        using var network = new BilateralBranchNetwork(backbone.Build(new ImageShape(3, 64, 64)), 5, bilateral: true);
        using var images = rand(2, 3, 64, 64);

        using var fc = network.ConventionalFeatures(images);
        using var logits = network.call(images);

        fc.shape.Should().Equal(2, 512);
        logits.shape.Should().Equal(2, 5);
        network.FeatureSize.Should().Be(512);
        network.Trunk.named_modules().Count(m => m.module.GetType().Name == "ProjectionBasicBlock").Should().Be(trunkBlocks - 1);
        network.ConventionalBranch.named_modules().Count(m => m.module.GetType().Name == "ProjectionBasicBlock").Should().Be(1);
    }
}

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
        using var network = new BranchNetwork(backbone.Build(new ImageShape(3, 64, 64)), 5, TinyNetwork.Bilateral);
        using var images = rand(2, 3, 64, 64);

        using var fc = network.Features(0, images);
        using var logits = network.call(images);

        fc.shape.Should().Equal(2, 512);
        logits.shape.Should().Equal(2, 5);
        network.FeatureSize.Should().Be(512);
        network.Trunk.named_modules().Count(m => m.module.GetType().Name == "ProjectionBasicBlock").Should().Be(trunkBlocks - 1);
        network.Branch(0).named_modules().Count(m => m.module.GetType().Name == "ProjectionBasicBlock").Should().Be(1);
    }

    [Fact]
    public void Resnet50_gives_2048_features_per_branch_a_4096_d_classifier_and_shares_all_but_one_bottleneck()
    {
        var backbone = BuiltInComponents.Create<IBackbone>("resnet50");
        using var network = new BranchNetwork(backbone.Build(new ImageShape(3, 64, 64)), 5, TinyNetwork.Bilateral);
        using var images = rand(1, 3, 64, 64);

        using var fc = network.Features(0, images);
        using var fr = network.Features(1, images);
        using var logits = network.call(images);

        fc.shape.Should().Equal(1, 2048);
        fr.shape.Should().Equal(1, 2048);
        logits.shape.Should().Equal(1, 5);
        network.FeatureSize.Should().Be(2048);
        network.Classifier.parameters().First().shape.Should().Equal(5, 4096);
        int Bottlenecks(nn.Module m) => m.named_modules().Count(x => x.module.GetType().Name == "Bottleneck");
        Bottlenecks(network.Trunk).Should().Be(3 + 4 + 6 + 2, "layer4 keeps 2 of its 3 bottlenecks in the shared trunk");
        Bottlenecks(network.Branch(0)).Should().Be(1);
        Bottlenecks(network.Branch(1)).Should().Be(1);
        network.Branch(0).parameters().Sum(p => p.numel()).Should().Be(network.Branch(1).parameters().Sum(p => p.numel()));
        fc.allclose(fr).Should().BeFalse("each branch has its own freshly initialised bottleneck");
    }

    [Theory]
    [InlineData("resnet32", true)] // 3x3 convolutions and option-A shortcuts only
    [InlineData("resnet18", false)] // 1x1 projection shortcuts
    [InlineData("resnet50", false)] // 1x1 bottleneck convolutions
    public void Channels_last_is_the_default_only_for_networks_without_1x1_convolutions(string name, bool channelsLast)
    {
        var backbone = BuiltInComponents.Create<IBackbone>(name);
        var shape = name == "resnet32" ? new ImageShape(3, 32, 32) : new ImageShape(3, 64, 64);
        using var network = new BranchNetwork(backbone.Build(shape), 5, TinyNetwork.Bilateral);

        network.ChannelsLast.Should().Be(channelsLast, "oneDNN's NHWC 1x1 convolution can divide by zero on some CPUs (see BranchNetwork.ChannelsLast)");
    }
}

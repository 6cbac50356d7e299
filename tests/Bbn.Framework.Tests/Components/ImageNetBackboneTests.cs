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

    // PyTorch's conv default, kaiming_uniform_(a = sqrt 5), stays within 1/sqrt(fan_in); kaiming_normal_(fan_out)
    // has std sqrt(2/fan_out), which the 64 -> 64 1x1 convolutions (bound 0.125, std 0.18) exceed at once.
    [Theory]
    [InlineData("resnet50", null, true)] // the official BBN resnet.py sets no init
    [InlineData("resnet50", "kaiming-fan-out", false)]
    [InlineData("resnet18", null, false)] // torchvision's
    [InlineData("resnet18", "pytorch", true)]
    public void ImageNet_backbones_initialise_as_their_reference_or_as_Init_says(string name, string? init, bool pytorchDefaults)
    {
        var settings = init is null ? null : new Dictionary<string, string?> { ["Init"] = init };
        var parts = BuiltInComponents.Create<IBackbone>(name, settings).Build(new ImageShape(3, 64, 64));
        using var network = new BranchNetwork(parts, 5, TinyNetwork.Bilateral);

        var convolutions = network.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.Conv2d>().ToArray();
        bool WithinDefaultBound(TorchSharp.Modules.Conv2d conv)
        {
            var w = conv.weight!;
            long fanIn = w.shape[1] * w.shape[2] * w.shape[3];
            return w.abs().max().item<float>() <= (1 / Math.Sqrt(fanIn)) + 1e-6;
        }

        convolutions.Should().NotBeEmpty();
        convolutions.All(WithinDefaultBound).Should().Be(pytorchDefaults);
    }

    [Fact]
    public void An_unknown_Init_is_refused_with_its_choices()
    {
        var act = () => BuiltInComponents.Create<IBackbone>("resnet50", new Dictionary<string, string?> { ["Init"] = "xavier" });

        act.Should().Throw<ComponentConfigurationException>().WithMessage("*Init*auto, pytorch or kaiming-fan-out*");
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

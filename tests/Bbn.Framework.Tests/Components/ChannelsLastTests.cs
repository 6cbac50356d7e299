using Bbn.Abstractions;
using Bbn.Core.Model;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>The trunk's NHWC input: the convolutions keep that layout for one channel as for three, and it computes what NCHW does.</summary>
[Collection(TorchCollection.Name)]
public sealed class ChannelsLastTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_convolution_over_the_channels_last_view_keeps_the_channels_last_layout(int channels)
    {
        manual_seed(1);
        using var images = randn(4, channels, 8, 8);
        using var weight = randn(16, channels, 3, 3);

        using var view = BranchNetwork.ChannelsLastView(images);
        using var output = nn.functional.conv2d(view, weight, padding: [1, 1]);

        view.allclose(images, rtol: 0, atol: 0).Should().BeTrue("the view holds the same pixels");
        output.stride().Should().Equal([8 * 8 * 16, 1, 8 * 16, 16], "a channels-last output: the next convolution needs no reorder");
    }

    [Fact]
    public void One_channel_features_through_the_channels_last_trunk_equal_the_NCHW_ones()
    {
        manual_seed(5);
        using var network = new BranchNetwork(BuiltInComponents.Create<IBackbone>("resnet32").Build(new ImageShape(1, 32, 32)), 10, TinyNetwork.Bilateral);
        network.eval();
        using var images = randn(6, 1, 32, 32);
        using var inference = no_grad();

        network.ChannelsLast = false;
        using var nchw = network.Features(0, images);
        network.ChannelsLast = true;
        using var nhwc = network.Features(0, images);

        nhwc.allclose(nchw, rtol: 1e-4, atol: 1e-5).Should().BeTrue();
    }
}

/// <summary>Inference keeps no convolution output past its batch norm: the evaluation's peak memory is a few activations, not every layer's.</summary>
[Collection(TorchCollection.Name)]
public sealed class InferenceMemoryTests
{
    [Theory]
    [InlineData("resnet32", 32)]
    [InlineData("resnet10", 64)]
    public void A_forward_pass_in_inference_leaves_only_its_result_in_the_dispose_scope(string backbone, int side)
    {
        manual_seed(2);
        using var network = new BranchNetwork(BuiltInComponents.Create<IBackbone>(backbone).Build(new ImageShape(3, side, side)), 10, TinyNetwork.Bilateral);
        network.eval();
        using var images = randn(2, 3, side, side);
        using var inference = inference_mode();

        using var scope = NewDisposeScope();
        using var features = network.Features(0, images);

        // Before the convolutions' outputs were released there were two a block left here (34 for resnet32).
        scope.DisposablesCount.Should().BeLessThan(8);
    }
}

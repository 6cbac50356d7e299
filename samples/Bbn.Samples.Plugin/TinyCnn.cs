using System.ComponentModel.DataAnnotations;
using Bbn.Abstractions;
using Bbn.Abstractions.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Samples.Plugin;

/// <summary>The backbone's own options, bound from Bbn:Backbone and validated at start.</summary>
public sealed class TinyCnnOptions
{
    [Range(4, 256)]
    public int Width { get; set; } = 16;
}

/// <summary>Trunk: two conv-BN-ReLU blocks with stride 2; branch: one more block and global average pooling.</summary>
public sealed class TinyCnn(TinyCnnOptions options) : IBackbone
{
    public BackboneParts Build(ImageShape input)
    {
        int w = options.Width;
        var trunk = nn.Sequential(("block1", Block(input.Channels, w)), ("block2", Block(w, 2 * w)));
        return new BackboneParts(trunk, () => new Branch(Block(2 * w, 4 * w)), FeatureSize: 4 * w);
    }

    private static nn.Module<Tensor, Tensor> Block(int inChannels, int outChannels) => nn.Sequential(
        ("conv", nn.Conv2d(inChannels, outChannels, kernel_size: 3, stride: 2, padding: 1, bias: false)),
        ("bn", new SafeBatchNorm2d(outChannels)),
        ("relu", nn.ReLU()));

    private sealed class Branch : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> block;

        public Branch(nn.Module<Tensor, Tensor> block) : base("TinyCnnBranch")
        {
            this.block = block;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var features = block.call(input);
            return features.mean([2L, 3L]);
        }
    }
}

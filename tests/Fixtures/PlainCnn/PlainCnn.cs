using Bbn.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace PlainCnn;

/// <summary>
/// A backbone without batch norm ("plain-cnn"): a step's gradient is then a mean over its images
/// alone, so a data-parallel step over ranks must equal the single-process step (the MPI tests).
/// </summary>
public sealed class Registrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components) =>
        components.Add<IBackbone>("plain-cnn", _ => new PlainCnnBackbone(), "two conv-ReLU blocks of stride 2, a third per branch, global pooling; no batch norm (test fixture)");
}

public sealed class PlainCnnBackbone : IBackbone
{
    public BackboneParts Build(ImageShape input)
    {
        var trunk = nn.Sequential(("block1", Block(input.Channels, 8)), ("block2", Block(8, 16)));
        return new BackboneParts(trunk, () => new Branch(Block(16, 16)), FeatureSize: 16);
    }

    private static nn.Module<Tensor, Tensor> Block(int inChannels, int outChannels) => nn.Sequential(
        ("conv", nn.Conv2d(inChannels, outChannels, kernel_size: 3, stride: 2, padding: 1)),
        ("relu", nn.ReLU()));

    private sealed class Branch : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> block;

        public Branch(nn.Module<Tensor, Tensor> block) : base("PlainCnnBranch")
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

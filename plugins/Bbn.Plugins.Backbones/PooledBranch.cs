using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Plugins.Backbones;

/// <summary>One branch of a bilateral backbone: its own last residual block, then global average pooling to a vector.</summary>
internal sealed class PooledBranch : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> block;

    public PooledBranch(nn.Module<Tensor, Tensor> block, Action<nn.Module> initialize) : base(nameof(PooledBranch))
    {
        this.block = block;
        RegisterComponents();
        initialize(this);
    }

    public override Tensor forward(Tensor input)
    {
        using var features = block.call(input);
        return features.mean([2L, 3L]);
    }
}

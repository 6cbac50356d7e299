using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bbn.Core.Model;

/// <summary>
/// The NormedLinear of the LDAM-DRW code (Cao et al. 2019): logits = normalize(x, dim 1) @
/// normalize(W, dim 0), W [in, out] initialised uniform(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5).
/// </summary>
public sealed class CosineClassifier : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    public CosineClassifier(long inputSize, long classCount) : base(nameof(CosineClassifier))
    {
        using (no_grad())
        {
            using Scalar scale = 1e5.ToScalar();
            using var initial = empty(inputSize, classCount).uniform_(-1, 1);
            using var renormed = initial.renorm(2, 1, 1e-5f).mul_(scale);
            weight = new Parameter(renormed.clone());
        }
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public override Tensor forward(Tensor input)
    {
        using var x = nn.functional.normalize(input, p: 2, dim: 1);
        using var w = nn.functional.normalize(weight, p: 2, dim: 0);
        return x.mm(w);
    }
}

using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Plugins.Losses;

public sealed class LossesRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<ILoss>("cross-entropy", _ => new CrossEntropy(), "softmax cross-entropy, mean over the batch");
    }
}

public sealed class CrossEntropy : ILoss
{
    public Tensor Compute(Tensor logits, Tensor targets, LossContext context) =>
        nn.functional.cross_entropy(logits, targets);
}

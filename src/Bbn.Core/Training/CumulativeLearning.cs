using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>BBN's mixing and loss (paper eq. 2-4; official combiner.bbn_mix).</summary>
public static class CumulativeLearning
{
    /// <summary>f = 2 * cat(alpha * f_c, (1 - alpha) * f_r).</summary>
    public static Tensor MixFeatures(Tensor conventional, Tensor rebalancing, double alpha)
    {
        using var weightedC = conventional.mul(2 * alpha);
        using var weightedR = rebalancing.mul(2 * (1 - alpha));
        return cat([weightedC, weightedR], 1);
    }

    /// <summary>alpha * L(z, y_c) + (1 - alpha) * L(z, y_r).</summary>
    public static Tensor MixLoss(ILoss loss, Tensor logits, Tensor conventionalTargets, Tensor rebalancingTargets, double alpha, LossContext context)
    {
        using var lc = loss.Compute(logits, conventionalTargets, context);
        using var lr = loss.Compute(logits, rebalancingTargets, context);
        using var weightedC = lc.mul(alpha);
        using var weightedR = lr.mul(1 - alpha);
        return weightedC.add(weightedR);
    }
}

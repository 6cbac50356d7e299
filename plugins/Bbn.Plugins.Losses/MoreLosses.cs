using TorchSharp;
using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Plugins.Losses;

/// <summary>
/// Cui et al. 2019, reduced as their code does (richardaecn/class-balanced-loss): the ce base is the
/// batch mean of w_y CE (not torch's weighted mean, sum w_y CE / sum w_y); the sigmoid and focal bases
/// are one-vs-all binary losses on one-hot targets, each row weighted by w_y, summed over classes and
/// averaged over the batch; focal is their sigmoid focal loss, BCE x (1 - p_t)^gamma.
/// </summary>
public sealed class ClassBalancedLoss(double beta, string baseLoss, double gamma) : ILoss
{
    public static ClassBalancedLoss Create(ClassBalancedOptions o) => new(o.Beta, o.Base, o.Gamma);

    public double? InitialClassifierBias(int classCount) => baseLoss == "ce" ? null : -Math.Log(Math.Max(classCount - 1, 1));

    public Tensor Compute(Tensor logits, Tensor targets, LossContext context)
    {
        using var weights = tensor(ClassStatistics.EffectiveNumberWeights(context.ClassCounts, beta), device: logits.device);
        using var sampleWeights = weights.index_select(0, targets);
        if (baseLoss == "ce")
        {
            using var perSample = nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.None);
            using var weighted = perSample.mul(sampleWeights);
            return weighted.mean();
        }
        using var oneHot = nn.functional.one_hot(targets, logits.shape[1]).to(logits.dtype);
        using var binary = nn.functional.binary_cross_entropy_with_logits(logits, oneHot, reduction: nn.Reduction.None);
        using var rowWeights = sampleWeights.unsqueeze(1);
        using var perElement = baseLoss == "focal" ? binary.mul(FocalModulator(logits, oneHot)) : binary.alias();
        using var weightedElements = perElement.mul(rowWeights);
        using var total = weightedElements.sum();
        using Scalar rows = logits.shape[0].ToScalar();
        return total.div(rows);
    }

    /// <summary>(1 - p_t)^gamma = exp(-gamma y x - gamma log(1 + exp(-x))), as their focal_loss computes it.</summary>
    private Tensor FocalModulator(Tensor logits, Tensor oneHot)
    {
        using var softplus = nn.functional.softplus(logits.neg());
        using var a = oneHot.mul(logits);
        using var b = a.add(softplus, Scalars.One);
        using Scalar negativeGamma = (-gamma).ToScalar();
        using var c = b.mul(negativeGamma);
        return c.exp();
    }
}

/// <summary>
/// LDAM-DRW (Cao et al. 2019): subtract the class margin m_y = MaxMargin * n_y^(-1/4) / max_j n_j^(-1/4)
/// from the target logit, scale by s, cross-entropy; from DrwAt of the run on, weight classes by
/// the effective number (beta 0.9999), as the official code's DRW.
/// </summary>
public sealed class LdamLoss(LdamOptions options) : ILoss
{
    /// <summary>The LDAM-DRW code applies the scale s to the logits of its NormedLinear classifier.</summary>
    public ClassifierHead PreferredClassifier => ClassifierHead.Cosine;

    public Tensor Compute(Tensor logits, Tensor targets, LossContext context)
    {
        double[] raw = context.ClassCounts.Select(n => 1 / Math.Pow(Math.Max(n, 1), 0.25)).ToArray();
        double largest = raw.Max();
        using var margins = tensor(raw.Select(m => (float)(m * options.MaxMargin / largest)).ToArray(), device: logits.device);
        using var targetMargins = margins.index_select(0, targets).unsqueeze(1);
        using var oneHot = nn.functional.one_hot(targets, logits.shape[1]).to(logits.dtype);
        using var shifted = logits.sub(oneHot.mul(targetMargins));
        using Scalar scale = options.Scale.ToScalar();
        using var scaled = shifted.mul(scale);
        bool reweight = options.DrwEpoch > 0
            ? context.Epoch > options.DrwEpoch
            : (context.Epoch - 1) / (double)context.TotalEpochs >= options.DrwAt;
        if (!reweight) return nn.functional.cross_entropy(scaled, targets);
        using var weights = tensor(ClassStatistics.EffectiveNumberWeights(context.ClassCounts, options.DrwBeta), device: logits.device);
        return nn.functional.cross_entropy(scaled, targets, weight: weights);
    }
}

/// <summary>Ren et al. 2020: cross-entropy of logits + log prior.</summary>
public sealed class BalancedSoftmax : ILoss
{
    public Tensor Compute(Tensor logits, Tensor targets, LossContext context)
    {
        using var logPrior = ClassStatistics.LogPrior(context.ClassCounts, logits.device);
        using var adjusted = logits.add(logPrior, Scalars.One);
        return nn.functional.cross_entropy(adjusted, targets);
    }
}

/// <summary>
/// Menon et al. 2021. Mode "loss": cross-entropy of logits + tau log prior (predict with plain logits).
/// Mode "post-hoc": plain cross-entropy; predict with logits - tau log prior.
/// </summary>
public sealed class LogitAdjustment(LogitAdjustmentOptions options) : ILoss
{
    public Tensor Compute(Tensor logits, Tensor targets, LossContext context)
    {
        if (options.Mode == LogitAdjustmentOptions.PostHoc) return nn.functional.cross_entropy(logits, targets);
        using var logPrior = ClassStatistics.LogPrior(context.ClassCounts, logits.device);
        using Scalar tau = options.Tau.ToScalar();
        using var scaledPrior = logPrior.mul(tau);
        using var adjusted = logits.add(scaledPrior, Scalars.One);
        return nn.functional.cross_entropy(adjusted, targets);
    }

    public Tensor AdjustForInference(Tensor logits, LossContext context)
    {
        if (options.Mode != LogitAdjustmentOptions.PostHoc) return logits.alias();
        using var logPrior = ClassStatistics.LogPrior(context.ClassCounts, logits.device);
        using Scalar tau = options.Tau.ToScalar();
        using var scaledPrior = logPrior.mul(tau);
        return logits.sub(scaledPrior);
    }
}

/// <summary>(1 - eps) CE + eps * mean over classes of -log p (Szegedy et al. 2016).</summary>
public sealed class LabelSmoothing(double epsilon) : ILoss
{
    public Tensor Compute(Tensor logits, Tensor targets, LossContext context)
    {
        using var logProbabilities = nn.functional.log_softmax(logits, 1);
        using var nll = nn.functional.nll_loss(logProbabilities, targets);
        using var uniform = logProbabilities.mean([1L]).mean().neg();
        using Scalar kept = (1 - epsilon).ToScalar(), spread = epsilon.ToScalar();
        using var a = nll.mul(kept);
        using var b = uniform.mul(spread);
        return a.add(b, Scalars.One);
    }
}

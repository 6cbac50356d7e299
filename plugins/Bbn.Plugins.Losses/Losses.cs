using TorchSharp;
using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Plugins.Losses;

/// <summary>The long-tail losses people compare BBN with, each usable in either branch or in the baseline.</summary>
public sealed class LossesRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<ILoss>("cross-entropy", _ => new CrossEntropy(), "softmax cross-entropy, mean over the batch");
        components.Add<ILoss>("focal", c => new FocalLoss(c.Bind<FocalOptions>().Gamma), "focal loss -(1-p_t)^gamma log p_t (Lin et al. 2017), Gamma default 2");
        components.Add<ILoss>("class-balanced", c => ClassBalancedLoss.Create(c.Bind<ClassBalancedOptions>()), "class-balanced loss (Cui et al. 2019): weights (1-beta)/(1-beta^n_i); Base ce | focal | sigmoid");
        components.Add<ILoss>("ldam", c => new LdamLoss(c.Bind<LdamOptions>()), "LDAM (Cao et al. 2019): margins C/n_i^(1/4), MaxMargin 0.5, Scale 30, with deferred re-weighting from DrwAt of the run");
        components.Add<ILoss>("balanced-softmax", _ => new BalancedSoftmax(), "balanced softmax (Ren et al. 2020): CE on logits + log prior");
        components.Add<ILoss>("logit-adjustment", c => new LogitAdjustment(c.Bind<LogitAdjustmentOptions>()), "logit adjustment (Menon et al. 2021): Mode loss (CE on logits + tau log prior) or post-hoc (logits - tau log prior at inference)");
        components.Add<ILoss>("label-smoothing", c => new LabelSmoothing(c.Bind<LabelSmoothingOptions>().Epsilon), "cross-entropy with label smoothing epsilon (default 0.1)");
    }
}

public sealed class CrossEntropy : ILoss
{
    public Tensor Compute(Tensor logits, Tensor targets, LossContext context) =>
        nn.functional.cross_entropy(logits, targets);
}

public sealed class FocalLoss(double gamma) : ILoss
{
    public Tensor Compute(Tensor logits, Tensor targets, LossContext context)
    {
        using var perSample = Focal.PerSample(logits, targets, gamma);
        return perSample.mean();
    }
}

/// <summary>Class priors and class-balanced weights from the training counts.</summary>
public static class ClassStatistics
{
    /// <summary>log(n_i / N) as a [1, C] tensor on <paramref name="device"/>.</summary>
    public static Tensor LogPrior(IReadOnlyList<int> counts, Device device)
    {
        double total = counts.Sum();
        return tensor(counts.Select(n => (float)Math.Log(Math.Max(n, 1) / total)).ToArray(), device: device).unsqueeze(0);
    }

    /// <summary>Cui et al.: w_i = (1 - beta) / (1 - beta^n_i), normalised to sum to C.</summary>
    public static float[] EffectiveNumberWeights(IReadOnlyList<int> counts, double beta)
    {
        double[] raw = counts.Select(n => (1 - beta) / (1 - Math.Pow(beta, Math.Max(n, 1)))).ToArray();
        double sum = raw.Sum();
        return raw.Select(w => (float)(w * counts.Count / sum)).ToArray();
    }
}

internal static class Focal
{
    /// <summary>-(1 - p_t)^gamma log p_t per sample.</summary>
    public static Tensor PerSample(Tensor logits, Tensor targets, double gamma)
    {
        using var logProbabilities = nn.functional.log_softmax(logits, 1);
        using var logPt = logProbabilities.gather(1, targets.unsqueeze(1)).squeeze(1);
        using var pt = logPt.exp();
        using Scalar one = 1.0.ToScalar(), power = gamma.ToScalar();
        using var modulation = pt.neg().add_(one, Scalars.One).pow(power);
        return modulation.mul(logPt).neg_();
    }
}

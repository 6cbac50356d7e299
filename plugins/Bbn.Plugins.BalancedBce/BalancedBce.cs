using Bbn.Abstractions;
using Bbn.Abstractions.Optimizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Plugins.BalancedBce;

/// <summary>
/// Bal-BCE (Xu et al., "Learning Imbalanced Data with Vision Transformers", CVPR 2023, LiVT's classification stage): one branch on
/// uniform batches, the binary cross-entropy of the logits shifted by the log prior, trained with AdamW under a per-step linear
/// warm-up and cosine decay. Everything it needs (loss, optimiser, rate shape) lives in this plugin.
/// </summary>
public sealed class BalancedBceRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components) =>
        components.Add<ITrainingMethod>("bal-bce", c => new BalancedBceMethod(c.Bind<BalancedBceOptions>()),
            "Bal-BCE (Xu et al. 2023, LiVT): sigmoid cross-entropy on logits + log prior, AdamW (Bbn:Method:LearningRate 0.001, WeightDecay 0.05), per-step warm-up then cosine");
}

public sealed class BalancedBceMethod(BalancedBceOptions options) : ITrainingMethod
{
    private static readonly MethodBranch Uniform = new("conventional", "Bbn:Method:Sampler", "uniform");

    public IReadOnlyList<MethodBranch> Branches { get; } = [Uniform];

    public Tensor Loss(BranchOutputs outputs, MethodStep position)
    {
        using var logits = outputs.Classify(outputs.Features[0]);
        return outputs.LossOf(logits, 0);
    }

    public IReadOnlyList<TrainingStage> Stages(StagePlan plan)
    {
        // The rate and decay are the method's (AdamW's scale differs from SGD's); the epochs are Bbn:Training's.
        var optimizer = plan.Optimizer with { LearningRate = options.LearningRate, WeightDecay = options.WeightDecay };
        return [new TrainingStage("bal-bce", plan.Epochs, NetworkParts.All, optimizer, Loss: new BalancedBinaryCrossEntropy(plan.ClassCounts),
            OptimizerFactory: new AdamWFactory(options), RateShape: new WarmupCosine(options.WarmupEpochs))];
    }
}

/// <summary>mean over the batch of sum over classes of BCE(z_c + log pi_c, [y = c]) (LiVT's Bal-BCE; the prior from the training counts).</summary>
public sealed class BalancedBinaryCrossEntropy(IReadOnlyList<int> classCounts) : ILoss
{
    private readonly float[] logPrior = [.. classCounts.Select(n => (float)Math.Log(Math.Max(1, n) / (double)Math.Max(1, classCounts.Sum())))];

    public Tensor Compute(Tensor logits, Tensor targets, LossContext context)
    {
        using var scope = NewDisposeScope();
        using var prior = tensor(logPrior, device: logits.device).unsqueeze(0);
        using var shifted = logits.add(prior, Scalars.One);
        using var oneHot = nn.functional.one_hot(targets, logits.shape[1]).to(logits.dtype);
        using var perElement = nn.functional.binary_cross_entropy_with_logits(shifted, oneHot, reduction: nn.Reduction.None);
        return perElement.sum(1).mean().MoveToOuterDisposeScope();
    }
}

/// <summary>A per-step linear warm-up over WarmupEpochs, then a cosine from the base rate to 0 at the stage's end.</summary>
public sealed class WarmupCosine(double warmupEpochs) : ILearningRateShape
{
    public double Rate(double baseRate, RatePosition position)
    {
        double warm = Math.Min(0.5, warmupEpochs / Math.Max(1, position.StageEpochs));
        double done = position.Progress;
        if (done < warm) return baseRate * (done + (1.0 / Math.Max(1, position.StepsPerEpoch * position.StageEpochs))) / warm;
        return baseRate * 0.5 * (1 + Math.Cos(Math.PI * (done - warm) / (1 - warm)));
    }
}

public sealed class AdamWFactory(BalancedBceOptions options) : IOptimizerFactory
{
    public TorchSharp.Modules.OptimizerHelper Create(IReadOnlyList<OptimizerGroup> groups, StageOptimizer settings) =>
        new SafeAdamW(groups, settings.LearningRate, options.Beta1, options.Beta2, 1e-8, settings.WeightDecay);
}

/// <summary>Bbn:Method with Name bal-bce.</summary>
public sealed class BalancedBceOptions
{
    [System.ComponentModel.DataAnnotations.Range(1e-7, 1.0)]
    public double LearningRate { get; set; } = 1e-3;

    [System.ComponentModel.DataAnnotations.Range(0.0, 1.0)]
    public double WeightDecay { get; set; } = 0.05;

    [System.ComponentModel.DataAnnotations.Range(0.0, 1000.0)]
    public double WarmupEpochs { get; set; } = 2;

    [System.ComponentModel.DataAnnotations.Range(0.0, 0.999999)]
    public double Beta1 { get; set; } = 0.9;

    [System.ComponentModel.DataAnnotations.Range(0.0, 0.999999)]
    public double Beta2 { get; set; } = 0.999;
}

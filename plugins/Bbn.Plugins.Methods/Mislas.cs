using TorchSharp;
using System.ComponentModel.DataAnnotations;
using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Plugins.Methods;

/// <summary>Bbn:Method for mislas.</summary>
public sealed class MislasOptions
{
    [Range(1, 100_000)]
    public int ClassifierEpochs { get; set; } = 10;

    /// <summary>Stage 2's base rate (cosine to 0); 0: Bbn:Training:LearningRate.</summary>
    [Range(0, 10)]
    public double ClassifierLearningRate { get; set; }

    /// <summary>Label-aware smoothing of the largest class (the official CIFAR-10 value 0.3).</summary>
    [Range(0, 1)]
    public double SmoothHead { get; set; } = 0.3;

    /// <summary>Label-aware smoothing of the smallest class (CIFAR-10: 0).</summary>
    [Range(0, 1)]
    public double SmoothTail { get; set; }
}

/// <summary>
/// MiSLAS (Zhong et al., CVPR 2021; dvlab-research/MiSLAS): stage 1 with mixup; stage 2 retrains the
/// classifier on class-balanced batches with label-aware smoothing while the batch norms keep updating
/// their statistics (the "shifted" batch norm; the trunk's weights stay frozen).
/// </summary>
public static class Mislas
{
    public static ITrainingMethod Create(MislasOptions options, IBatchTransform mixup, ISampler classifierSampler) => new TwoStage(plan =>
    [
        Branches.Representation(plan, transform: mixup),
        new TrainingStage("classifier", options.ClassifierEpochs, NetworkParts.Classifier,
            Branches.ClassifierOptimizer(plan.Optimizer, options.ClassifierLearningRate),
            Samplers: new Dictionary<string, ISampler> { [Branches.Conventional.Name] = classifierSampler },
            Loss: new LabelAwareSmoothing(options.SmoothHead, options.SmoothTail),
            Hooks: [new UpdatingNorms(NetworkParts.Representation)]),
    ]);
}

/// <summary>
/// Label-aware smoothing (MiSLAS, concave form): eps_y = eps_tail + (eps_head - eps_tail) *
/// sin(pi (n_y - n_min) / (2 (n_max - n_min))); loss = mean over the batch of
/// (1 - eps_y) (-log p_y) + eps_y mean_k(-log p_k).
/// </summary>
public sealed class LabelAwareSmoothing(double head, double tail) : ILoss
{
    public Tensor Compute(Tensor logits, Tensor targets, LossContext context)
    {
        using var scope = NewDisposeScope();
        var smoothing = tensor(Epsilons(context.ClassCounts), device: logits.device)[targets];
        var logProbabilities = nn.functional.log_softmax(logits, 1);
        var nll = logProbabilities.gather(1, targets.unsqueeze(1)).squeeze(1).neg();
        var uniform = logProbabilities.mean([1]).neg();
        using Scalar one = 1.ToScalar();
        return smoothing.neg().add(one, Scalars.One).mul(nll).add(smoothing.mul(uniform), Scalars.One).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Each class's eps (float32).</summary>
    public float[] Epsilons(IReadOnlyList<int> counts)
    {
        double max = counts.Max(), min = counts.Min();
        return counts.Select(n => (float)(max == min ? head : tail + ((head - tail) * Math.Sin((n - min) * Math.PI / (2 * (max - min)))))).ToArray();
    }
}

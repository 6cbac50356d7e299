using TorchSharp;
using System.ComponentModel.DataAnnotations;
using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Plugins.Methods;

/// <summary>Bbn:Method for weight-balancing.</summary>
public sealed class WeightBalancingOptions
{
    /// <summary>Stage 1's weight decay (the paper's tuned value for CIFAR-LT: 5e-3).</summary>
    [Range(0, 1)]
    public double WeightDecay { get; set; } = 5e-3;

    /// <summary>The MaxNorm radius of each class's weight vector in stage 2 (the paper's 0.1).</summary>
    [Range(1e-6, 1000)]
    public double MaxNorm { get; set; } = 0.1;

    [Range(1, 100_000)]
    public int ClassifierEpochs { get; set; } = 10;

    /// <summary>Stage 2's base rate (cosine to 0); 0: Bbn:Training:LearningRate.</summary>
    [Range(0, 10)]
    public double ClassifierLearningRate { get; set; }
}

/// <summary>
/// Weight balancing (Alshammari et al., CVPR 2022; ShadeAlsha/LTR-weight-balancing): stage 1 CE with a
/// large weight decay; stage 2 the classifier alone with a class-balanced loss, the same weight decay,
/// and after every optimiser step the projection of each class weight into the MaxNorm ball.
/// </summary>
public static class WeightBalancing
{
    public static ITrainingMethod Create(WeightBalancingOptions options, ILoss classifierLoss) => new TwoStage(plan =>
    [
        Branches.Representation(plan, plan.Optimizer with { WeightDecay = options.WeightDecay }),
        new TrainingStage("classifier", options.ClassifierEpochs, NetworkParts.Classifier,
            Branches.ClassifierOptimizer(plan.Optimizer, options.ClassifierLearningRate, options.WeightDecay),
            Loss: classifierLoss, Hooks: [new MaxNormProjection(options.MaxNorm)]),
    ]);

    /// <summary>w_i = w_i * min(1, radius / ||w_i||): projected gradient descent onto the MaxNorm constraint.</summary>
    public static void MaxNorm(ClassifierParameters classifier, double radius)
    {
        using var norms = classifier.Weight.norm(1, keepdim: true, p: 2);
        using Scalar bound = radius.ToScalar();
        using var scale = norms.clamp_min(bound).reciprocal_().mul_(bound);
        classifier.Weight.mul_(scale);
    }
}

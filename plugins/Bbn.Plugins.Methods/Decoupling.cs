using TorchSharp;
using System.ComponentModel.DataAnnotations;
using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Plugins.Methods;

/// <summary>Bbn:Method for the methods with a classifier stage.</summary>
public sealed class ClassifierStageOptions
{
    /// <summary>The classifier stage's epochs (the decoupling code: 10).</summary>
    [Range(1, 100_000)]
    public int ClassifierEpochs { get; set; } = 10;

    /// <summary>Its base learning rate, cosine-annealed to 0 over the stage; 0: Bbn:Training:LearningRate.</summary>
    [Range(0, 10)]
    public double ClassifierLearningRate { get; set; }

    /// <summary>Its weight decay; negative: Bbn:Training:WeightDecay.</summary>
    [Range(-1, 1)]
    public double ClassifierWeightDecay { get; set; } = -1;

    /// <summary>The stage's optimiser: SGD with the run's momentum, cosine from the rate to 0, no warm-up.</summary>
    public StageOptimizer Optimizer(StageOptimizer recipe) =>
        Branches.ClassifierOptimizer(recipe, ClassifierLearningRate, ClassifierWeightDecay >= 0 ? ClassifierWeightDecay : null);
}

/// <summary>Bbn:Method for tau-norm.</summary>
public sealed class TauNormOptions
{
    /// <summary>The exponent of ||w_i|| (1: unit-norm class weights, 0: unchanged).</summary>
    [Range(0, 10)]
    public double Tau { get; set; } = 1;
}

/// <summary>Decoupling representation and classifier (Kang et al., ICLR 2020; facebookresearch/classifier-balancing).</summary>
public static class Decoupling
{
    /// <summary>cRT: stage 2 re-initialises the classifier and retrains it on <paramref name="sampler"/>'s batches, the representation and its batch norms frozen.</summary>
    public static ITrainingMethod ClassifierRetraining(ClassifierStageOptions options, ISampler sampler) => new TwoStage(plan =>
    [
        Branches.Representation(plan),
        new TrainingStage("classifier", options.ClassifierEpochs, NetworkParts.Classifier, options.Optimizer(plan.Optimizer),
            Samplers: Conventional(sampler), Hooks: [new FreshClassifier()]),
    ]);

    /// <summary>LWS: stage 2 learns only f_i in z_i = f_i (w_i . x + b_i), on <paramref name="sampler"/>'s batches.</summary>
    public static ITrainingMethod LearnableWeightScaling(ClassifierStageOptions options, ISampler sampler) => new TwoStage(plan =>
    [
        Branches.Representation(plan),
        new TrainingStage("logit-scale", options.ClassifierEpochs, NetworkParts.LogitScale, options.Optimizer(plan.Optimizer) with { WeightDecay = 0 },
            Samplers: Conventional(sampler)),
    ], logitScale: true);

    /// <summary>tau-norm: after CE training, w_i = w_i / ||w_i||^tau and the bias dropped (the official pnorm classifier has none).</summary>
    public static ITrainingMethod TauNormalization(double tau) => new TwoStage(plan =>
    [
        new TrainingStage(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"tau-norm (tau {tau})"), plan.Epochs, NetworkParts.All, plan.Optimizer,
            Hooks: [new TauNormalizationAtEnd(tau)]),
    ]);

    /// <summary>w_i / ||w_i||^tau in place, bias zero.</summary>
    public static void Normalize(ClassifierParameters classifier, double tau)
    {
        using Scalar power = tau.ToScalar();
        using var length = classifier.Weight.norm(1, keepdim: true, p: 2);
        using var norms = length.pow(power);
        classifier.Weight.div_(norms);
        classifier.Bias?.zero_();
    }

    private static Dictionary<string, ISampler> Conventional(ISampler sampler) => new() { [Branches.Conventional.Name] = sampler };
}

/// <summary>A single-branch method of stages: one branch, L(z, y).</summary>
internal sealed class TwoStage(Func<StagePlan, IReadOnlyList<TrainingStage>> stages, bool logitScale = false) : ITrainingMethod
{
    private readonly SingleBranch single = new();

    public IReadOnlyList<MethodBranch> Branches => single.Branches;
    public bool LogitScale => logitScale;
    public Tensor Loss(BranchOutputs outputs, MethodStep position) => single.Loss(outputs, position);
    public IReadOnlyList<TrainingStage> Stages(StagePlan plan) => stages(plan);
}

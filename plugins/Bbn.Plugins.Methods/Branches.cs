using Bbn.Abstractions;

namespace Bbn.Plugins.Methods;

/// <summary>What the built-in methods share: their branches, the representation stage and the classifier stage's optimiser.</summary>
internal static class Branches
{
    /// <summary>Uniform sampling, Bbn:Method:Samplers:Conventional.</summary>
    public static readonly MethodBranch Conventional = new("conventional", "Bbn:Method:Samplers:Conventional", "uniform");

    /// <summary>Reversed sampling, Bbn:Method:Samplers:Rebalancing.</summary>
    public static readonly MethodBranch Rebalancing = new("rebalancing", "Bbn:Method:Samplers:Rebalancing", "reversed");

    /// <summary>The representation stage every two-stage method starts with: Bbn:Training's epochs and recipe, everything trains.</summary>
    /// <summary>
    /// The classifier stage's optimiser of the two-stage methods: the run's SGD, cosine from the rate to 0, no warm-up;
    /// <paramref name="learningRate"/> 0 keeps the run's rate, <paramref name="weightDecay"/> null the run's decay.
    /// </summary>
    public static StageOptimizer ClassifierOptimizer(StageOptimizer recipe, double learningRate, double? weightDecay = null) => recipe with
    {
        LearningRate = learningRate > 0 ? learningRate : recipe.LearningRate,
        WeightDecay = weightDecay ?? recipe.WeightDecay,
        Schedule = LearningRateShape.Cosine,
        WarmupEpochs = 0,
        DecayAt = [],
    };

    public static TrainingStage Representation(StagePlan plan, StageOptimizer? optimizer = null, IBatchTransform? transform = null) =>
        new("representation", plan.Epochs, NetworkParts.All, optimizer ?? plan.Optimizer, Transform: transform);
}

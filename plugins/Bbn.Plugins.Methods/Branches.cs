using Bbn.Abstractions;

namespace Bbn.Plugins.Methods;

/// <summary>The branches the built-in methods declare.</summary>
internal static class Branches
{
    /// <summary>Uniform sampling, Bbn:Method:Samplers:Conventional.</summary>
    public static readonly MethodBranch Conventional = new("conventional", "Bbn:Method:Samplers:Conventional", "uniform");

    /// <summary>Reversed sampling, Bbn:Method:Samplers:Rebalancing.</summary>
    public static readonly MethodBranch Rebalancing = new("rebalancing", "Bbn:Method:Samplers:Rebalancing", "reversed");

    /// <summary>The representation stage every two-stage method starts with: Bbn:Training's epochs and recipe, everything trains.</summary>
    public static TrainingStage Representation(StagePlan plan, StageOptimizer? optimizer = null, IBatchTransform? transform = null) =>
        new("representation", plan.Epochs, NetworkParts.All, optimizer ?? plan.Optimizer, Transform: transform);
}

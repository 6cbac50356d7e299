using Bbn.Abstractions;

namespace Bbn.Plugins.Methods;

/// <summary>cRT's stage 2: the classifier starts from fresh weights (once, when nothing of the stage has run).</summary>
public sealed class FreshClassifier : IStageHook
{
    public void StageStarting(IStageNetwork network, bool atStageStart)
    {
        if (atStageStart) network.ReinitializeClassifier();
    }
}

/// <summary>MiSLAS's shifted batch norm: the batch norms of <paramref name="parts"/> keep updating their statistics while those parts' weights stay frozen.</summary>
public sealed class UpdatingNorms(NetworkParts parts) : IStageHook
{
    public void ModesSet(IStageNetwork network)
    {
        foreach (var norm in network.NormsOf(parts)) norm.train();
    }
}

/// <summary>Weight balancing's projection of each class weight into the MaxNorm ball after every update.</summary>
public sealed class MaxNormProjection(double radius) : IStageHook
{
    public void AfterOptimizerStep(ClassifierParameters classifier) => WeightBalancing.MaxNorm(classifier, radius);
}

/// <summary>tau-normalisation of the classifier when the stage ends.</summary>
public sealed class TauNormalizationAtEnd(double tau) : IStageEndHook
{
    public void StageEnding(ClassifierParameters classifier) => Decoupling.Normalize(classifier, tau);
}

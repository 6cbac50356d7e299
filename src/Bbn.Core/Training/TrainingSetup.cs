using Bbn.Abstractions;

namespace Bbn.Core.Training;

/// <summary>The components a run is composed of: the method and what it trains with.</summary>
/// <param name="MethodName">The method's registered name (recorded in checkpoints and run names).</param>
/// <param name="Method">The method.</param>
/// <param name="Backbone">The backbone.</param>
/// <param name="Samplers">One sampler per branch of the method, in order (a stage may replace them).</param>
/// <param name="Loss">Bbn:Loss (a stage may replace it).</param>
/// <param name="Transform">Bbn:BatchTransform, or null (a stage may name its own).</param>
/// <param name="Classifier">The classifier head.</param>
public sealed record TrainingSetup(
    string MethodName,
    ITrainingMethod Method,
    IBackbone Backbone,
    IReadOnlyList<ISampler> Samplers,
    ILoss Loss,
    IBatchTransform? Transform = null,
    ClassifierHead Classifier = ClassifierHead.Linear)
{
    /// <summary>The branches' names, in order.</summary>
    public IReadOnlyList<string> BranchNames => Method.Branches.Select(b => b.Name).ToArray();
}

using Bbn.Abstractions;

namespace Bbn.Core.Training;

/// <summary>The plugins a run is composed of. The re-balancing sampler and the adaptor are used by BBN only.</summary>
public sealed record TrainingComponents(
    TrainingMethod Method,
    IBackbone Backbone,
    ISampler ConventionalSampler,
    ISampler? RebalancingSampler,
    IAdaptorSchedule? Adaptor,
    ILoss Loss,
    ClassifierHead Classifier = ClassifierHead.Linear)
{
    public bool IsBilateral => Method == TrainingMethod.Bbn;
}

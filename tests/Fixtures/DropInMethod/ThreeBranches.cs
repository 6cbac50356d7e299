using Bbn.Abstractions;
using static TorchSharp.torch;

namespace DropInMethod;

/// <summary>
/// A method a user drops in: three branches (uniform, reversed and square-root sampling) whose
/// features are averaged into one classifier, the mean of the three branches' losses, then a
/// fine-tuning stage of the classifier alone. Nothing of the host is rebuilt for it.
/// </summary>
public sealed class Registrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components) =>
        components.Add<ITrainingMethod>("three-branch", c => new ThreeBranches(c.GetInRange("FineTuneEpochs", 1, 1, 100)),
            "three sampled branches averaged, then a classifier fine-tuning stage");
}

public sealed class ThreeBranches(double fineTuneEpochs) : ITrainingMethod
{
    public IReadOnlyList<MethodBranch> Branches { get; } =
    [
        new("conventional", "Bbn:Method:Samplers:Conventional", "uniform"),
        new("rebalancing", "Bbn:Method:Samplers:Rebalancing", "reversed"),
        new("square-root", "Bbn:Method:Samplers:SquareRoot", "square-root"),
    ];

    public int ClassifierInputSize(int featureSize) => featureSize;

    public Tensor InferenceFeatures(IReadOnlyList<Tensor> features) => stack([.. features]).mean([0]);

    public Tensor Loss(BranchOutputs outputs, MethodStep position)
    {
        using var scope = NewDisposeScope();
        var logits = outputs.Classify(stack([.. outputs.Features]).mean([0]));
        var total = outputs.LossOf(logits, 0).add(outputs.LossOf(logits, 1)).add(outputs.LossOf(logits, 2)).div(3);
        return total.MoveToOuterDisposeScope();
    }

    public IReadOnlyList<TrainingStage> Stages(StagePlan plan) =>
    [
        new("three-branch", plan.Epochs, NetworkParts.All, plan.Optimizer),
        new("fine-tune", (int)fineTuneEpochs, NetworkParts.Classifier, plan.Optimizer with { LearningRate = plan.Optimizer.LearningRate / 10 }),
    ];
}

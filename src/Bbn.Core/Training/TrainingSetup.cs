using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Model;

namespace Bbn.Core.Training;

/// <summary>The components a run is composed of: the method and what it trains with.</summary>
/// <param name="MethodName">The method's registered name (recorded in checkpoints and run names).</param>
/// <param name="Method">The method.</param>
/// <param name="Backbone">The backbone.</param>
/// <param name="Samplers">One sampler per branch of the method, in order (a stage may replace them).</param>
/// <param name="Loss">Bbn:Loss (a stage may replace it).</param>
/// <param name="Transform">Bbn:BatchTransform, or null (a stage may name its own).</param>
/// <param name="Classifier">The classifier head.</param>
/// <param name="Optimizer">Bbn:Optimizer, or null: SGD (a stage may name its own).</param>
/// <param name="FineTune">The pretrained start and what of the trunk trains (Bbn:Backbone's kernel settings), or null: a fresh backbone, all of it training.</param>
public sealed record TrainingSetup(
    string MethodName,
    ITrainingMethod Method,
    IBackbone Backbone,
    IReadOnlyList<ISampler> Samplers,
    ILoss Loss,
    IBatchTransform? Transform = null,
    ClassifierHead Classifier = ClassifierHead.Linear,
    IOptimizerFactory? Optimizer = null,
    Model.FineTuning? FineTune = null)
{
    /// <summary>The branches' names, in order.</summary>
    public IReadOnlyList<string> BranchNames => Method.Branches.Select(b => b.Name).ToArray();

    /// <summary>The stages the method declares for these settings and class sizes; at least one, each of at least one epoch.</summary>
    public IReadOnlyList<TrainingStage> PlanStages(TrainingOptions options, int[] classCounts)
    {
        var stages = Method.Stages(new StagePlan(options.Epochs, options.Recipe(), classCounts));
        if (stages.Count == 0 || stages.Any(s => s.Epochs < 1))
            throw new InvalidOperationException($"Method {MethodName} declares {stages.Count} stages; it needs at least one, each of at least one epoch.");
        return stages;
    }

    /// <summary>The checkpoint header of a network of this composition trained on <paramref name="train"/> through <paramref name="stages"/>, at <paramref name="position"/>.</summary>
    public CheckpointHeader Header(RunIdentity identity, TrainingOptions options, IImageSet train, IReadOnlyList<TrainingStage> stages, TrainingPosition position, bool completed) => new(
        Checkpoint.FormatVersion, MethodName, identity.Backbone, identity.Dataset,
        train.ClassNames.Count, options.Seed, stages.Sum(s => s.Epochs), position, completed, ClassifierHeadNames.Name(Classifier),
        new TrainingData(train.ClassNames, train.ClassCounts, train.Shape, train.Normalization, (train as ImageFileSet)?.Recipe),
        identity.Loss, stages.Select(s => new StageRecord(s.Name, s.Epochs)).ToArray(), stages.LastOrDefault(s => s.Hooks?.OfType<IStageEndHook>().Any() == true)?.Name);
}

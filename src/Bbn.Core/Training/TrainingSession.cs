using Bbn.Core.Runs;
using Bbn.Core.Data;
using Bbn.Core.Evaluation;
using Bbn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// What a run trains, composed of parts with one job each: the network, its <see cref="StageController">stages</see>,
/// the <see cref="OptimizerStep">optimiser step</see>, the <see cref="BatchStep">training step</see>, the
/// <see cref="SessionEvaluation">evaluations</see> and the <see cref="SessionCheckpoints">checkpoints</see>.
/// <see cref="TrainingLoop"/> drives it through stages, epochs and steps; every random choice derives from
/// (seed, stream, epoch, step), so a checkpoint needs no RNG state.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly BatchAugmenter augmenter;
    private readonly BatchStep steps;
    private readonly IImageSet test;

    /// <summary>A session over <paramref name="train"/>, reporting on <paramref name="test"/> and selecting on <paramref name="validation"/> (the split held out of training; null: none).</summary>
    /// <remarks>With <paramref name="parallel"/> over several ranks, Bbn:Training:BatchSize is the step's global batch: each rank takes its share, the gradients are averaged.</remarks>
    public TrainingSession(TrainingSetup setup, TrainingOptions options, IImageSet train, IImageSet test, Device device, RunIdentity identity, IImageSet? validation = null,
        Distributed.DataParallel? parallel = null)
    {
        Parallel = parallel ?? Distributed.DataParallel.None;
        int ranks = Parallel.Group.Size;
        if (options.BatchSize % ranks != 0 || (options.BatchSize / ranks) % Math.Max(1, options.AccumulationSteps) != 0)
            throw new Distributed.DistributedException(
                $"Bbn:Training:BatchSize = {options.BatchSize} is the global batch of a step and must split evenly over the {ranks} ranks" +
                (options.AccumulationSteps > 1 ? $" and then over Bbn:Training:AccumulationSteps = {options.AccumulationSteps}" : "") +
                $": choose a multiple of {ranks * Math.Max(1, options.AccumulationSteps)}, or another -np.");
        if (setup.Samplers.Count != setup.Method.Branches.Count)
            throw new ArgumentException($"Method {setup.MethodName} has {setup.Method.Branches.Count} branches but {setup.Samplers.Count} samplers were given.", nameof(setup));
        Setup = setup;
        Options = options;
        Train = train;
        this.test = test;
        Validation = validation;
        Device = device;

        manual_seed(options.Seed);
        var parts = setup.Backbone.Build(train.Shape);
        Network = MethodNetworks.Build(setup.Method, parts, train.ClassNames.Count, setup.Classifier);
        if (setup.FineTune?.Pretrained is { } pretrained)
            Pretrained = Interop.PretrainedWeights.Apply(Network, parts.Layout, identity.Backbone, pretrained, setup.FineTune.Strict);
        Layout = parts.Layout;
        if (options.ClassifierInit == ClassifierInit.Zero) Network.ZeroClassifier();
        if (setup.Loss.InitialClassifierBias(train.ClassNames.Count) is double bias) Network.FillClassifierBias(bias);
        Network.to(device);
        Stages = new StageController(setup, options, Network, train, Layout);
        augmenter = new BatchAugmenter(train.Normalization, train.Shape.Channels, device, options.CropPadding, options.HorizontalFlip);
        var batches = TrainingBatches.Create(train, augmenter, options.BatchSize, options.Seed, device, Parallel.Shard);
        Average = options.EmaDecay > 0 ? new WeightAverage(Network, options.EmaDecay) : null;
        Optimization = new OptimizerStep(options, Parallel, Network, setup.Optimizer, setup.FineTune?.TrunkLearningRateScale ?? 1);
        steps = new BatchStep(setup, options, Network, train, device, Stages, Optimization, batches, Parallel);
        Evaluation = new SessionEvaluation(setup, options, Network, train, test, validation, augmenter, Stages, Parallel, Average);
        Checkpoints = new SessionCheckpoints(setup, options, identity, train, Network, Stages, Optimization, Evaluation, Average, BeginStage);
    }

    public BranchNetwork Network { get; }

    /// <summary>What starting from Bbn:Backbone:Pretrained loaded, or null without it.</summary>
    public Interop.PretrainedReport? Pretrained { get; }

    /// <summary>The backbone's torchvision names, where it has them (for Bbn:Backbone:FreezeStages).</summary>
    public Bbn.Abstractions.IPretrainedLayout? Layout { get; }
    public Device Device { get; }
    public TrainingOptions Options { get; }
    public TrainingSetup Setup { get; }
    public IImageSet Train { get; }

    /// <summary>The validation split, or null.</summary>
    public IImageSet? Validation { get; }

    /// <summary>The ranks this session trains with (one process: <see cref="Distributed.DataParallel.None"/>).</summary>
    public Distributed.DataParallel Parallel { get; }

    /// <summary>The moving average of the weights (Bbn:Training:EmaDecay), or null.</summary>
    public WeightAverage? Average { get; }

    public StageController Stages { get; }
    public OptimizerStep Optimization { get; }
    public SessionEvaluation Evaluation { get; }
    public SessionCheckpoints Checkpoints { get; }

    /// <summary>Makes <paramref name="stage"/> the active one (<see cref="StageController.Begin"/>) with a fresh optimiser over what it trains.</summary>
    public void BeginStage(int stage, bool atStageStart)
    {
        var trainable = Stages.Begin(stage, atStageStart);
        Optimization.Reset(trainable, Stages[stage]);
        steps.StageChanged();
    }

    public void BeginEpoch(EpochPlan plan, int firstStep, int stepCount) => steps.BeginEpoch(plan, firstStep, stepCount);

    /// <summary>One step of the active stage (<see cref="BatchStep.Run"/>): the batch's loss, NaN for a skipped non-finite step.</summary>
    public double Step(EpochPlan plan, int step) => steps.Run(plan, step);

    /// <summary>Images a step forwards: every branch's batch.</summary>
    public int ImagesPerStep => steps.ImagesPerStep;

    /// <summary>How the active stage runs its branch passes.</summary>
    public string BranchExecution => steps.BranchExecution;

    /// <summary>Gives the branch threads' free heap memory back.</summary>
    public void ReleaseMemory() => steps.ReleaseMemory();

    public RunSummary Summarize(EvaluationReport report, TrainingPosition position, string? checkpoint) =>
        Summaries.Of(Setup.MethodName, report, Train.ClassNames, Train.ClassCounts, Stages.TotalEpochs, position, Options, checkpoint,
            Train.SkippedImages + test.SkippedImages + (Validation?.SkippedImages ?? 0));

    public void Dispose()
    {
        steps.Dispose();
        Average?.Dispose();
        augmenter.Dispose();
        Optimization.Dispose();
        Network.Dispose();
    }
}

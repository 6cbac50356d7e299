using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Distributed;
using Bbn.Core.Evaluation;
using Bbn.Core.Inference;
using Bbn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// What a run trains and where it stands: the method's network, the active stage with its optimiser,
/// samplers, loss and branch executor, the batches, and one step. <see cref="TrainingLoop"/> drives it
/// through stages, epochs and steps; every step runs in a dispose scope and every random choice derives
/// from (seed, stream, epoch, step), so a checkpoint needs no RNG state.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    private readonly TrainingSetup setup;
    private readonly TrainingOptions options;
    private readonly IImageSet train;
    private readonly IImageSet test;
    private readonly IImageSet? validation;
    private readonly RunIdentity identity;
    private readonly BatchAugmenter augmenter;
    private readonly ITrainingBatches batches;
    private LearningRateSchedule learningRates = null!;
    private IReadOnlyList<ISampler> samplers = [];
    private ILoss loss = null!;
    private IBatchTransform? transform;
    private IBranchExecutor? executor;
    private readonly Distributed.DataParallel parallel;
    private int skippedSteps;

    /// <summary>A session over <paramref name="train"/>, reporting on <paramref name="test"/> and selecting on <paramref name="validation"/> (the split held out of training; null: none).</summary>
    /// <remarks>With <paramref name="parallel"/> over several ranks, Bbn:Training:BatchSize is the step's global batch: each rank takes its share, the gradients are averaged.</remarks>
    public TrainingSession(TrainingSetup setup, TrainingOptions options, IImageSet train, IImageSet test, Device device, RunIdentity identity, IImageSet? validation = null,
        Distributed.DataParallel? parallel = null)
    {
        this.parallel = parallel ?? Distributed.DataParallel.None;
        int ranks = this.parallel.Group.Size;
        if (options.BatchSize % ranks != 0 || (options.BatchSize / ranks) % Math.Max(1, options.AccumulationSteps) != 0)
            throw new Distributed.DistributedException(
                $"Bbn:Training:BatchSize = {options.BatchSize} is the global batch of a step and must split evenly over the {ranks} ranks" +
                (options.AccumulationSteps > 1 ? $" and then over Bbn:Training:AccumulationSteps = {options.AccumulationSteps}" : "") +
                $": choose a multiple of {ranks * Math.Max(1, options.AccumulationSteps)}, or another -np.");
        if (setup.Samplers.Count != setup.Method.Branches.Count)
            throw new ArgumentException($"Method {setup.MethodName} has {setup.Method.Branches.Count} branches but {setup.Samplers.Count} samplers were given.", nameof(setup));
        this.setup = setup;
        this.options = options;
        this.train = train;
        this.test = test;
        this.validation = validation;
        this.identity = identity;
        Device = device;

        manual_seed(options.Seed);
        Network = NetworkFactory.Build(setup.Method, setup.Backbone.Build(train.Shape), train.ClassNames.Count, setup.Classifier);
        if (options.ClassifierInit == "zero") Network.ZeroClassifier();
        InitializeClassifierBias(setup.Loss);
        Network.to(device);
        Stages = setup.PlanStages(options, train.ClassCounts);
        augmenter = new BatchAugmenter(train.Normalization, train.Shape.Channels, device, options.CropPadding, options.HorizontalFlip);
        batches = TrainingBatches.Create(train, augmenter, options.BatchSize, options.Seed, device, this.parallel.Shard);
        Average = options.EmaDecay > 0 ? new WeightAverage(Network, options.EmaDecay) : null;
    }

    private void InitializeClassifierBias(ILoss stageLoss)
    {
        if (stageLoss.InitialClassifierBias(train.ClassNames.Count) is double bias) Network.FillClassifierBias(bias);
    }

    public BranchNetwork Network { get; }
    public TorchSharp.Modules.OptimizerHelper? Optimizer { get; private set; }
    public Device Device { get; }
    public TrainingOptions Options => options;

    /// <summary>The ranks this session trains with (one process: <see cref="Distributed.DataParallel.None"/>).</summary>
    public Distributed.DataParallel Parallel => parallel;
    public TrainingSetup Setup => setup;
    public IImageSet Train => train;

    /// <summary>The validation split, or null.</summary>
    public IImageSet? Validation => validation;
    public IReadOnlyList<TrainingStage> Stages { get; }

    /// <summary>The moving average of the weights (Bbn:Training:EmaDecay), or null.</summary>
    public WeightAverage? Average { get; }

    /// <summary>The stage the optimiser belongs to (from 1), 0 before the first.</summary>
    public int ActiveStage { get; private set; }

    public TrainingStage Stage(int stage) => Stages[stage - 1];
    public int TotalEpochs => Stages.Sum(s => s.Epochs);

    /// <summary>The epoch's number counted over every stage (metrics.jsonl, TensorBoard).</summary>
    public int RunEpoch(int stage, int epoch) => Stages.Take(stage - 1).Sum(s => s.Epochs) + epoch;

    /// <summary>
    /// Makes <paramref name="stage"/> the active one: its parameters train and the rest are frozen (their
    /// batch norms in evaluation mode where the stage says so), a new optimiser over what trains, and,
    /// when nothing of the stage has run yet, a re-initialised classifier if the stage asks for one.
    /// </summary>
    public void BeginStage(int stage, bool atStageStart)
    {
        var s = Stage(stage);
        if (atStageStart && s.ReinitializeClassifier)
        {
            // Seeded by the stage, so a run resumed at the stage's start draws the same classifier.
            manual_seed(SeedStreams.Derive(options.Seed, "classifier-init", stage));
            Network.ReinitializeClassifier();
            InitializeClassifierBias(s.Loss ?? setup.Loss);
        }
        var trainable = Network.ParametersOf(s.Trains).ToHashSet();
        foreach (var p in Network.parameters()) p.requires_grad = trainable.Contains(p);
        ActiveStage = stage;
        ApplyStageModes();
        Optimizer?.Dispose();
        var o = s.Optimizer;
        Optimizer = new SafeSgd(Network.parameters().Where(trainable.Contains), o.LearningRate, o.Momentum, o.WeightDecay, o.Nesterov && o.Momentum > 0);
        learningRates = LearningRateSchedule.For(o, s.Epochs, options.MinWarmupSteps);
        samplers = setup.Method.Branches.Select((b, i) => s.Samplers?.GetValueOrDefault(b.Name) ?? setup.Samplers[i]).ToArray();
        loss = s.Loss ?? setup.Loss;
        transform = s.Transform ?? setup.Transform;
        executor?.Dispose();
        executor = null;
    }

    /// <summary>Training mode, with the frozen parts' batch norms in evaluation mode where the stage freezes them.</summary>
    private void ApplyStageModes()
    {
        Network.train();
        var s = Stage(ActiveStage);
        if (!s.FreezeBatchNorm) return;
        var frozen = NetworkParts.All & ~s.Trains;
        foreach (var module in Network.ModulesOf(frozen))
            foreach (var norm in module.modules().OfType<TorchSharp.Modules.NormBase>())
                norm.eval();
    }

    public double LearningRate(int epoch) => learningRates.At(epoch);

    /// <summary>The rate of step <paramref name="step"/> (from 0) of <paramref name="epoch"/>, of <paramref name="stepsPerEpoch"/>: the epoch's, unless the warm-up runs per step (<see cref="TrainingOptions.MinWarmupSteps"/>).</summary>
    public double LearningRate(int epoch, int step, int stepsPerEpoch) => learningRates.At(epoch, step, stepsPerEpoch);

    /// <summary>The method's first-branch weight for an epoch of the active stage, as metrics report it.</summary>
    public double Alpha(int epoch) => setup.Method.ReportedAlpha(epoch, Stage(ActiveStage).Epochs);

    /// <summary>The active stage's index sequence per branch for <paramref name="epoch"/>, and the augmentation streams.</summary>
    public EpochPlan PlanEpoch(int epoch)
    {
        int stage = ActiveStage;
        var names = setup.BranchNames;
        var orders = samplers.Select((sampler, b) => sampler.Sample(new SamplingContext(train.LabelArray, train.ClassCounts, epoch, Stage(stage).Epochs,
            SeedStreams.Random(options.Seed, TrainingBatches.StageStream(stage, "sampler-" + names[b]), epoch)))).ToArray();
        return new EpochPlan(epoch, orders, names.Select(n => TrainingBatches.AugmentStream(stage, n)).ToArray());
    }

    public int StepsIn(EpochPlan plan)
    {
        int steps = plan.Orders.Min(o => o.Length) / options.BatchSize;
        return options.MaxStepsPerEpoch > 0 ? Math.Min(steps, options.MaxStepsPerEpoch) : steps;
    }

    public void BeginEpoch(EpochPlan plan, int firstStep, int steps) => batches.BeginEpoch(plan, firstStep, steps);

    /// <summary>Images a step forwards: every branch's batch.</summary>
    public int ImagesPerStep => options.BatchSize * setup.Method.Branches.Count;

    /// <summary>
    /// One optimiser step of the active stage (over <see cref="TrainingOptions.AccumulationSteps"/> micro-batches); returns the batch's loss.
    /// A non-finite loss or gradient skips the update and returns NaN while <see cref="TrainingOptions.SkipNonFiniteSteps"/> allows it, else throws <see cref="DivergenceException"/>.
    /// </summary>
    public double Step(EpochPlan plan, int step)
    {
        using var scope = NewDisposeScope();
        int stage = ActiveStage;
        var s = Stage(stage);
        var batch = batches.Take(plan, step);
        var names = setup.BranchNames;
        var images = new Tensor[names.Count];
        var targets = new BatchTargets[names.Count];
        for (int b = 0; b < names.Count; b++)
        {
            if (transform is null)
            {
                images[b] = batch.Images[b];
                targets[b] = new BatchTargets(batch.Labels[b]);
            }
            else
            {
                var random = SeedStreams.Random(options.Seed, TrainingBatches.StageStream(stage, "transform-" + names[b]), plan.Epoch, step);
                (images[b], targets[b]) = transform.Apply(batch.Images[b], batch.Labels[b], random);
            }
        }

        var lossContext = new LossContext(train.ClassCounts, plan.Epoch, s.Epochs);
        int parts = Math.Max(1, options.AccumulationSteps);
        int size = parallel.Shard.Length(options.BatchSize) / parts;
        double total = 0;
        for (int part = 0; part < parts; part++)
        {
            var partImages = parts == 1 ? images : images.Select(x => x.narrow(0, part * size, size)).ToArray();
            var partTargets = parts == 1 ? targets : targets.Select(t => Slice(t, part * size, size)).ToArray();
            var features = Executor().Forward(partImages);
            var outputs = new BranchOutputs(features, partTargets, Network.Classify, loss, lossContext);
            var position = new MethodStep(stage, plan.Epoch, s.Epochs, step,
                SeedStreams.Random(options.Seed, TrainingBatches.StageStream(stage, "adaptor"), plan.Epoch, step));
            var partLoss = setup.Method.Loss(outputs, position);
            using Scalar partCount = parts.ToScalar();
            if (parts > 1) partLoss = partLoss.div(partCount);
            if (part == 0) Optimizer!.zero_grad();
            Executor().Backward(partLoss);
            total += partLoss.item<float>();
        }
        // Every rank's mean over its share: the averages over the ranks are the global batch's gradient and loss.
        parallel.Gradients.Average(Optimizer!.parameters());
        total = parallel.Group.Average(total);
        // The global gradient norm, clipped to the stage's bound (an infinite bound leaves the gradients as they are).
        double gradientNorm = nn.utils.clip_grad_norm_(Optimizer!.parameters(), GradientNormBound(StepsIn(plan)));
        string? nonFinite = !double.IsFinite(total) ? "loss" : !double.IsFinite(gradientNorm) ? "gradient" : null;
        if (nonFinite is not null)
        {
            Optimizer.zero_grad();
            if (++skippedSteps > options.SkipNonFiniteSteps)
                throw new DivergenceException(stage, plan.Epoch, step, Optimizer.ParamGroups.First().LearningRate, nonFinite);
            return double.NaN;
        }
        Optimizer.step();
        if (s.AfterOptimizerStep is { } constraint)
        {
            using var _ = no_grad();
            constraint(Network.ClassifierTensors());
        }
        Average?.Update();
        return total;
    }

    /// <summary>ClipGradientNorm when set; else ShortWarmupClipNorm while the stage's warm-up is short (<see cref="TrainingOptions.MinWarmupSteps"/>); else none.</summary>
    public double GradientNormBound(int stepsPerEpoch)
    {
        if (options.ClipGradientNorm > 0) return options.ClipGradientNorm;
        if (options.ShortWarmupClipNorm > 0 && learningRates.IsShortWarmup(stepsPerEpoch)) return options.ShortWarmupClipNorm;
        return double.PositiveInfinity;
    }

    /// <summary>Whether the active stage's warm-up runs per step and clipped (shorter than <see cref="TrainingOptions.MinWarmupSteps"/> at <paramref name="stepsPerEpoch"/>).</summary>
    public bool IsShortWarmup(int stepsPerEpoch) => learningRates.IsShortWarmup(stepsPerEpoch);

    private static BatchTargets Slice(BatchTargets targets, int start, int length) =>
        new(targets.Labels.narrow(0, start, length), targets.Mixed?.narrow(0, start, length), targets.Lambda);

    /// <summary>Runs the stage's end-of-stage change on the classifier (tau-normalisation).</summary>
    public void EndStage(int stage)
    {
        if (Stage(stage).AtEnd is not { } atEnd) return;
        using var _ = no_grad();
        atEnd(Network.ClassifierTensors());
    }

    /// <summary>How the active stage runs its branch passes.</summary>
    public string BranchExecution => Executor().Description;

    /// <summary>
    /// The active stage's executor, created at its first step (after a resumed checkpoint is loaded):
    /// concurrent passes for two branches on the CPU when the trunk trains, else one after the other.
    /// </summary>
    private IBranchExecutor Executor()
    {
        if (executor is not null) return executor;
        if (setup.Method.Branches.Count == 1) return executor = new SequentialBranches(Network, "single branch");
        string? reason = null;
        if (setup.Method.Branches.Count > 2) reason = "more than two branches";
        else if (!options.ConcurrentBranches) reason = "Bbn:Training:ConcurrentBranches = false";
        else if (Device.type != DeviceType.CPU) reason = "not on the CPU";
        else if (get_num_threads() < 2) reason = "one intra-op thread";
        else if (!Stage(ActiveStage).Trains.HasFlag(NetworkParts.Trunk)) reason = "the trunk is frozen in this stage";
        else if (ConcurrentBranches.TryCreate(Network, () => setup.Backbone.Build(train.Shape).Trunk, out reason) is { } concurrent) return executor = concurrent;
        return executor = new SequentialBranches(Network, $"branch passes one after the other ({reason})");
    }

    /// <summary>Gives the executor's threads' free heap memory back.</summary>
    public void ReleaseMemory() => executor?.ReleaseMemory();

    /// <summary>The test set with the method's inference (the last stage's loss adjusts the logits, as post-hoc logit adjustment does).</summary>
    public EvaluationReport Evaluate() => Evaluate(test);

    /// <summary>The validation split as <see cref="Evaluate()"/> scores the test set; null without one.</summary>
    public EvaluationReport? EvaluateValidation() => validation is null ? null : Evaluate(validation);

    /// <summary>The test set with post-hoc <paramref name="settings"/> (<see cref="PostHocSettings.Identity"/>: as <see cref="Evaluate()"/>).</summary>
    public EvaluationReport Evaluate(PostHocSettings settings) => Evaluate(test, settings);

    private EvaluationReport Evaluate(IImageSet images, PostHocSettings? settings = null)
    {
        try
        {
            return Evaluator.Evaluate(Network, images, augmenter, options.EvaluationBatchSize, train.ClassCounts,
                new ShotThresholds(options.ManyShotThreshold, options.FewShotThreshold), InferenceAdjustment(), settings, parallel.Group);
        }
        finally
        {
            if (ActiveStage > 0) ApplyStageModes();
        }
    }

    /// <summary>The last stage's loss's adjustment of the logits at inference (post-hoc logit adjustment for the losses that ask for it).</summary>
    private Func<Tensor, Tensor> InferenceAdjustment()
    {
        var last = Stages[^1];
        var finalLoss = last.Loss ?? setup.Loss;
        var context = new LossContext(train.ClassCounts, last.Epochs, last.Epochs);
        return logits => finalLoss.AdjustForInference(logits, context);
    }

    /// <summary>The inference knobs tuned on the validation split that checkpoints record; null: none tuned.</summary>
    public PostHocSettings? Tuned { get; set; }

    /// <summary>Tunes the inference knobs on the validation split (<see cref="PostHocTuner"/>); null without a validation split.</summary>
    public PostHocTuning? TunePostHoc(string metric, PostHocOptions knobs)
    {
        if (validation is null) return null;
        try
        {
            return PostHocTuner.Tune(Network, new PostHocLogits(Network, train.ClassCounts, InferenceAdjustment()), validation, augmenter, options.EvaluationBatchSize,
                train.ClassCounts, new ShotThresholds(options.ManyShotThreshold, options.FewShotThreshold), metric, knobs);
        }
        finally
        {
            if (ActiveStage > 0) ApplyStageModes();
        }
    }

    /// <summary>The test set with the moving average's weights, or null without one.</summary>
    public EvaluationReport? EvaluateAverage() => Average?.WithAverage(() => Evaluate());

    public CheckpointHeader Header(TrainingPosition position, bool completed) => setup.Header(identity, options, train, Stages, position, completed) with { Tuned = Tuned };

    public void Save(string path, TrainingPosition position, bool completed) =>
        Checkpoint.Save(path, Header(position, completed), Network, Optimizer, Average);

    /// <summary>Loads a checkpoint into the network, the stage's optimiser and the average; returns where to continue.</summary>
    public TrainingPosition Restore(string checkpointPath)
    {
        var expected = Header(TrainingPosition.Start, false);
        var found = Checkpoint.ReadHeader(checkpointPath);
        if (found.Method != expected.Method || found.Backbone != expected.Backbone || found.ClassCount != expected.ClassCount || found.Dataset != expected.Dataset
            || found.Classifier != expected.Classifier)
            throw new InvalidDataException(
                $"Checkpoint {checkpointPath} was written by a {found.Method} run of {found.Backbone} with a {found.Classifier} classifier on {found.Dataset} ({found.ClassCount} classes); " +
                $"the configuration asks for {expected.Method} with {expected.Backbone} with a {expected.Classifier} classifier on {expected.Dataset} ({expected.ClassCount} classes). " +
                "Use the configuration of that run (Bbn:Method, Bbn:Backbone, Bbn:Training:Classifier, Bbn:Dataset).");
        if (found.Position.Stage > Stages.Count)
            throw new InvalidDataException($"Checkpoint {checkpointPath} stands in stage {found.Position.Stage}, but {expected.Method} with this configuration has {Stages.Count} stage(s).");
        return Checkpoint.Load(checkpointPath, Network, header =>
        {
            var position = header.Position;
            int stage = Math.Min(position.Stage, Stages.Count);
            BeginStage(stage, position.AtStageStart);
            // At the start of a later stage the saved optimiser state is the previous stage's.
            return position.AtStageStart && stage > 1 ? null : Optimizer;
        }, Average).Position;
    }

    public RunSummary Summarize(EvaluationReport report, TrainingPosition position, string? checkpoint) =>
        Summaries.Of(setup.MethodName, report, train.ClassNames, train.ClassCounts, TotalEpochs, position, options, checkpoint, train.SkippedImages + test.SkippedImages + (validation?.SkippedImages ?? 0));

    public void Dispose()
    {
        executor?.Dispose();
        Average?.Dispose();
        batches.Dispose();
        augmenter.Dispose();
        Optimizer?.Dispose();
        Network.Dispose();
    }
}

using System.Diagnostics;
using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Evaluation;
using Bbn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// The training loop of BBN (and of the single-branch baseline): per step, a conventional batch
/// from the conventional sampler and, for BBN, a re-balancing batch from the re-balancing sampler,
/// two forward passes, mixing with the epoch's alpha, one optimiser step. Every step runs in a
/// dispose scope; every random choice derives from (seed, epoch, step).
/// </summary>
public sealed class BbnTrainer : IDisposable
{
    private readonly TrainingComponents components;
    private readonly TrainingOptions options;
    private readonly IImageSet train;
    private readonly IImageSet test;
    private readonly RunIdentity identity;
    private readonly BatchAugmenter augmenter;
    private readonly ITrainingBatches batches;
    private readonly LearningRateSchedule learningRates;
    private readonly Runtime.HeapReleasePolicy heapRelease;

    private readonly TrainerInstruments instruments;
    private readonly bool ownsInstruments;
    private ConcurrentBranches? concurrentPasses;
    private string? concurrentUnavailable;

    public BbnTrainer(TrainingComponents components, TrainingOptions options, IImageSet train, IImageSet test, Device device, RunIdentity identity,
        TrainerInstruments? instruments = null)
    {
        ownsInstruments = instruments is null;
        this.instruments = instruments ?? new TrainerInstruments();
        this.components = components;
        this.options = options;
        this.train = train;
        this.test = test;
        this.identity = identity;
        Device = device;

        manual_seed(options.Seed);
        Network = new BilateralBranchNetwork(components.Backbone.Build(train.Shape), train.ClassNames.Count, components.IsBilateral, components.Classifier);
        Network.to(device);
        Optimizer = optim.SGD(Network.parameters(), options.LearningRate, options.Momentum, weight_decay: options.WeightDecay, nesterov: options.Nesterov);
        augmenter = new BatchAugmenter(train.Normalization, train.Shape.Channels, device, options.CropPadding, options.HorizontalFlip);
        batches = TrainingBatches.Create(train, augmenter, options.BatchSize, options.Seed, device);
        learningRates = new LearningRateSchedule(options.LearningRate, options.WarmupEpochs,
            LearningRateSchedule.MilestonesFromFractions(options.LrDecayAt, options.Epochs), options.LrDecayFactor);
        heapRelease = new Runtime.HeapReleasePolicy(options.MemoryGrowthTolerance);
    }

    public BilateralBranchNetwork Network { get; }
    public TorchSharp.Modules.OptimizerHelper Optimizer { get; }
    public Device Device { get; }
    public int BranchCount => components.IsBilateral ? 2 : 1;

    public double Alpha(int epoch) => components.Adaptor?.Alpha(epoch, options.Epochs) ?? 1.0;

    /// <summary>alpha for one step: the adaptor's per-step value (the epoch's value unless it varies within epochs).</summary>
    public double Alpha(int epoch, int step) => components.Adaptor?.Alpha(
        new AdaptorStep(epoch, options.Epochs, step, SeedStreams.Random(options.Seed, "adaptor", epoch, step))) ?? 1.0;

    public double LearningRate(int epoch) => learningRates.At(epoch);

    public CheckpointHeader Header(TrainingPosition position, bool completed) => new(
        Checkpoint.FormatVersion, components.Method.Name(), identity.Backbone, identity.Dataset,
        train.ClassNames.Count, options.Seed, options.Epochs, position, completed, components.Classifier.Name(),
        new TrainingData(train.ClassNames, train.ClassCounts, train.Shape, train.Normalization, (train as ImageFileSet)?.Recipe));

    /// <summary>Loads a checkpoint into the network and optimiser and returns where to continue.</summary>
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
        return Checkpoint.Load(checkpointPath, Network, Optimizer).Position;
    }

    /// <summary>The index sequences of an epoch: conventional, and re-balancing for BBN.</summary>
    public (int[] Conventional, int[]? Rebalancing) EpochOrder(int epoch)
    {
        int[] conventional = Sample(components.ConventionalSampler, "sampler-conventional", epoch);
        int[]? rebalancing = components.IsBilateral ? Sample(components.RebalancingSampler!, "sampler-rebalancing", epoch) : null;
        return (conventional, rebalancing);
    }

    public int StepsInEpoch(int[] conventional, int[]? rebalancing)
    {
        int steps = Math.Min(conventional.Length, rebalancing?.Length ?? int.MaxValue) / options.BatchSize;
        return options.MaxStepsPerEpoch > 0 ? Math.Min(steps, options.MaxStepsPerEpoch) : steps;
    }

    /// <summary>Runs from <paramref name="start"/> to the last epoch, or until cancellation (then checkpoints where it stands).</summary>
    public TrainingOutcome Run(RunDirectory run, TrainingPosition start, ITrainingObserver observer, CancellationToken cancellation)
    {
        var position = start;
        Network.train();
        var epochClock = new List<double>();
        EpochMetrics? lastMetrics = null;
        run.WriteStatus(Status(RunStatus.Running, position, lastMetrics, null));
        for (int epoch = position.Epoch; epoch <= options.Epochs; epoch++)
        {
            double lr = LearningRate(epoch);
            foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr;
            var (conventional, rebalancing) = EpochOrder(epoch);
            int steps = StepsInEpoch(conventional, rebalancing);
            batches.BeginEpoch(epoch, conventional, rebalancing, position.Step, steps);
            var lossContext = new LossContext(train.ClassCounts, epoch, options.Epochs);
            var epochWatch = Stopwatch.StartNew();
            long epochImages = 0;
            double epochTrainingSeconds = 0;
            int firstStep = position.Step;

            for (int step = position.Step; step < steps; step++)
            {
                if (cancellation.IsCancellationRequested)
                {
                    Checkpoint.Save(run.CheckpointPath, Header(position, completed: false), Network, Optimizer);
                    run.WriteStatus(Status(RunStatus.Stopped, position, lastMetrics, null));
                    return TrainingOutcome.Stopped;
                }
                var stepWatch = Stopwatch.StartNew();
                double alpha = Alpha(epoch, step);
                double loss = Step(epoch, step, conventional, rebalancing, alpha, lossContext);
                double seconds = stepWatch.Elapsed.TotalSeconds;
                int images = options.BatchSize * BranchCount;
                epochImages += images;
                epochTrainingSeconds += seconds;
                instruments.Steps.Add(1);
                instruments.Images.Add(images);
                instruments.Loss.Record(loss);
                position = position with
                {
                    Step = step + 1,
                    EpochLossSum = position.EpochLossSum + (loss * options.BatchSize),
                    EpochSamples = position.EpochSamples + options.BatchSize,
                    ImagesSeen = position.ImagesSeen + images,
                    TrainingSeconds = position.TrainingSeconds + seconds,
                };
                if ((step + 1) % Math.Max(1, options.LogEverySteps) == 0 || step + 1 == steps)
                {
                    double rate = epochImages / epochTrainingSeconds;
                    var remaining = TimeSpan.FromSeconds((steps - step - 1) * epochWatch.Elapsed.TotalSeconds / (step + 1 - firstStep));
                    observer.StepCompleted(new StepProgress(epoch, step + 1, steps, position.EpochLossSum / Math.Max(1, position.EpochSamples), rate, remaining));
                }
            }

            bool evaluate = epoch == options.Epochs || epoch % Math.Max(1, options.EvaluateEvery) == 0;
            EvaluationReport? report = evaluate ? Evaluate() : null;
            if (report is not null) observer.Evaluated(epoch, report);
            double epochSeconds = epochWatch.Elapsed.TotalSeconds;
            epochClock.Add(epochSeconds);
            instruments.EpochDuration.Record(epochSeconds);
            // The epoch-level alpha (for a schedule drawn per step, the distribution's mean).
            var metrics = new EpochMetrics(epoch, Alpha(epoch), lr, position.EpochLossSum / Math.Max(1, position.EpochSamples),
                report?.Top1, report?.Many, report?.Medium, report?.Few, epochImages / Math.Max(1e-9, epochTrainingSeconds), epochSeconds, steps);

            position = position with { Epoch = epoch + 1, Step = 0, EpochLossSum = 0, EpochSamples = 0 };
            bool final = epoch == options.Epochs;
            Checkpoint.Save(run.CheckpointPath, Header(position, completed: final), Network, Optimizer);
            Runtime.NativeHeap.CollectManagedGarbage();
            if (heapRelease.ShouldRelease())
            {
                long before = Environment.WorkingSet;
                Runtime.NativeHeap.Release();
                concurrentPasses?.ReleaseMemory();
                observer.HeapReleased(epoch, before, Environment.WorkingSet);
            }
            run.AppendMetrics(metrics);
            lastMetrics = metrics;
            double runRemaining = epochClock.Average() * (options.Epochs - epoch);
            if (final)
            {
                run.WriteSummary(Summarize(report!, position, run.CheckpointPath));
            }
            run.WriteStatus(Status(final ? RunStatus.Completed : RunStatus.Running, position, metrics, runRemaining));
            observer.EpochCompleted(metrics, TimeSpan.FromSeconds(runRemaining));
        }
        return TrainingOutcome.Completed;
    }

    private RunStatus Status(string state, TrainingPosition position, EpochMetrics? last, double? etaSeconds)
    {
        int epoch = Math.Min(position.Epoch, options.Epochs);
        return new RunStatus(state, epoch, position.Step, options.Epochs, Alpha(epoch), LearningRate(epoch), last, etaSeconds, DateTimeOffset.UtcNow);
    }

    /// <summary>One optimiser step; returns the batch's loss.</summary>
    internal double Step(int epoch, int step, int[] conventional, int[]? rebalancing, double alpha, LossContext lossContext)
    {
        using var scope = NewDisposeScope();
        var (xc, yc, xr, yr) = batches.Take(epoch, step, conventional, rebalancing);
        Tensor loss;
        if (xr is null || yr is null)
        {
            var logits = Network.Classify(Network.ConventionalFeatures(xc));
            loss = components.Loss.Compute(logits, yc, lossContext);
        }
        else if (ConcurrentPasses() is { } concurrent)
        {
            var (fc, fr) = concurrent.Forward(xc, xr);
            var fcLeaf = fc.detach().requires_grad_(true);
            var frLeaf = fr.detach().requires_grad_(true);
            var logits = Network.Classify(CumulativeLearning.MixFeatures(fcLeaf, frLeaf, alpha));
            loss = CumulativeLearning.MixLoss(components.Loss, logits, yc, yr, alpha, lossContext);
            Optimizer.zero_grad();
            concurrent.Backward(loss, fc, fcLeaf, fr, frLeaf);
            Optimizer.step();
            return loss.item<float>();
        }
        else
        {
            var fc = Network.ConventionalFeatures(xc);
            var fr = Network.RebalancingFeatures(xr);
            var logits = Network.Classify(CumulativeLearning.MixFeatures(fc, fr, alpha));
            loss = CumulativeLearning.MixLoss(components.Loss, logits, yc, yr, alpha, lossContext);
        }
        Optimizer.zero_grad();
        loss.backward();
        Optimizer.step();
        return loss.item<float>();
    }

    /// <summary>How a BBN step runs its two branch passes: concurrently (and why not, when not) or one after the other.</summary>
    public string BranchExecution
    {
        get
        {
            if (!components.IsBilateral) return "single branch";
            var concurrent = ConcurrentPasses();
            return concurrent is not null
                ? $"both branch passes at once, {ConcurrentBranches.ThreadsPerPass} thread(s) each"
                : $"branch passes one after the other ({concurrentUnavailable})";
        }
    }

    /// <summary>The concurrent branch passes, created at the first step (after a resumed checkpoint is loaded), or null.</summary>
    private ConcurrentBranches? ConcurrentPasses()
    {
        if (concurrentUnavailable is not null) return null;
        if (concurrentPasses is not null) return concurrentPasses;
        if (!options.ConcurrentBranches) concurrentUnavailable = "Bbn:Training:ConcurrentBranches = false";
        else if (Device.type != DeviceType.CPU) concurrentUnavailable = "not on the CPU";
        else if (get_num_threads() < 2) concurrentUnavailable = "one intra-op thread";
        else concurrentPasses = ConcurrentBranches.TryCreate(Network, () => components.Backbone.Build(train.Shape).Trunk, out concurrentUnavailable);
        return concurrentPasses;
    }

    public EvaluationReport Evaluate() =>
        Evaluator.Evaluate(Network, test, augmenter, options.EvaluationBatchSize, train.ClassCounts,
            new ShotThresholds(options.ManyShotThreshold, options.FewShotThreshold),
            logits => components.Loss.AdjustForInference(logits, new LossContext(train.ClassCounts, options.Epochs, options.Epochs)));

    public RunSummary Summarize(EvaluationReport report, TrainingPosition position, string? checkpoint) => new(
        components.Method.Name(), report.Top1, report.Many, report.Medium, report.Few, report.PerClass,
        train.ClassNames, train.ClassCounts, options.Epochs,
        position.TrainingSeconds > 0 ? position.ImagesSeen / position.TrainingSeconds : 0,
        position.TrainingSeconds, report.Samples, options.ManyShotThreshold, options.FewShotThreshold, checkpoint,
        report.ConfusionMatrix, report.ExpectedCalibrationError, report.ShotGroups, train.SkippedImages + test.SkippedImages);

    private int[] Sample(ISampler sampler, string stream, int epoch) =>
        sampler.Sample(new SamplingContext(train.LabelArray, train.ClassCounts, epoch, options.Epochs, SeedStreams.Random(options.Seed, stream, epoch)));

    public void Dispose()
    {
        if (ownsInstruments) instruments.Dispose();
        concurrentPasses?.Dispose();
        batches.Dispose();
        augmenter.Dispose();
        Optimizer.Dispose();
        Network.Dispose();
    }
}

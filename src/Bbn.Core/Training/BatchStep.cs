using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// One training step of the active stage: the step's batch per branch and view, the stage's transform, and the method's
/// <see cref="ITrainingMethod.TrainStep"/> over them, which forwards through the branch executor and updates through
/// <see cref="OptimizerStep"/>. Every tensor lives in the step's dispose scope.
/// </summary>
public sealed class BatchStep(TrainingSetup setup, TrainingOptions options, BranchNetwork network, IImageSet train, Device device,
    StageController stages, OptimizerStep optimization, ITrainingBatches batches, Distributed.DataParallel parallel) : IDisposable
{
    // Named for the nested Step, which cannot see the primary constructor's parameters.
    private readonly TrainingSetup setup = setup;
    private readonly TrainingOptions options = options;
    private readonly BranchNetwork network = network;
    private readonly IImageSet train = train;
    private readonly StageController stages = stages;
    private readonly OptimizerStep optimization = optimization;
    private readonly ITrainingBatches batches = batches;
    private readonly Distributed.DataParallel parallel = parallel;
    private IBranchExecutor? executor;

    /// <summary>Augmented views of each image a step draws (the method's).</summary>
    private int Views => Math.Max(1, setup.Method.Views);

    /// <summary>Images a step forwards: every branch's batch in every view.</summary>
    public int ImagesPerStep => options.BatchSize * setup.Method.Branches.Count * Views;

    public void BeginEpoch(EpochPlan plan, int firstStep, int steps) => batches.BeginEpoch(plan, firstStep, steps);

    /// <summary>A new stage: its executor is chosen at its first step (after a resumed checkpoint is loaded).</summary>
    public void StageChanged()
    {
        executor?.Dispose();
        executor = null;
    }

    /// <summary>
    /// One optimiser step (over <see cref="TrainingOptions.AccumulationSteps"/> micro-batches); returns the batch's loss,
    /// NaN for a skipped non-finite step (<see cref="OptimizerStep.Update"/>).
    /// </summary>
    public double Run(EpochPlan plan, int step)
    {
        using var scope = NewDisposeScope();
        return setup.Method.TrainStep(new Step(this, plan, step));
    }

    private static BatchTargets Slice(BatchTargets targets, int start, int length) =>
        new(targets.Labels.narrow(0, start, length), targets.Mixed?.narrow(0, start, length), targets.Lambda);

    /// <summary>How the active stage runs its branch passes.</summary>
    public string BranchExecution => Executor().Description;

    /// <summary>Concurrent passes for two branches on the CPU when the trunk trains, else one after the other.</summary>
    private IBranchExecutor Executor()
    {
        if (executor is not null) return executor;
        if (setup.Method.Branches.Count == 1) return executor = new SequentialBranches(network, "single branch");
        string? reason = null;
        if (setup.Method.Branches.Count > 2) reason = "more than two branches";
        else if (Views > 1) reason = "the method forwards several views of each image";
        else if (!options.ConcurrentBranches) reason = "Bbn:Training:ConcurrentBranches = false";
        else if (device.type != DeviceType.CPU) reason = "not on the CPU";
        else if (get_num_threads() < 2) reason = "one intra-op thread";
        else if (!stages[stages.Active].Trains.HasFlag(NetworkParts.Trunk)) reason = "the trunk is frozen in this stage";
        else if (setup.FineTune is { FreezeStages: > 0 } or { FreezeNorm: true }) reason = "Bbn:Backbone:FreezeStages or FreezeNorm keeps part of the trunk as pretrained";
        else if (ConcurrentBranches.TryCreate(network, () => setup.Backbone.Build(train.Shape).Trunk, out reason) is { } concurrent) return executor = concurrent;
        return executor = new SequentialBranches(network, $"branch passes one after the other ({reason})");
    }

    /// <summary>Gives the executor's threads' free heap memory back.</summary>
    public void ReleaseMemory() => executor?.ReleaseMemory();

    public void Dispose()
    {
        executor?.Dispose();
        batches.Dispose();
    }

    /// <summary>One step as the method sees it: the inputs of every branch and view (transformed), the passes and the update.</summary>
    private sealed class Step : ITrainingStep
    {
        private readonly BatchStep owner;
        private readonly EpochPlan plan;
        private readonly int step;
        private readonly int stage;
        private readonly TrainingStage active;
        private readonly Tensor[] images;
        private readonly BatchTargets[] targets;
        private readonly LossContext lossContext;

        public Step(BatchStep owner, EpochPlan plan, int step)
        {
            this.owner = owner;
            this.plan = plan;
            this.step = step;
            stage = owner.stages.Active;
            active = owner.stages[stage];
            var batch = owner.batches.Take(plan, step);
            var names = owner.setup.BranchNames;
            int views = owner.Views;
            images = new Tensor[batch.Images.Count];
            targets = new BatchTargets[batch.Images.Count];
            for (int input = 0; input < images.Length; input++)
            {
                if (owner.stages.Transform is not { } transform)
                {
                    images[input] = batch.Images[input];
                    targets[input] = new BatchTargets(batch.Labels[input]);
                    continue;
                }
                int view = input % views;
                string stream = "transform-" + names[input / views] + (view == 0 ? "" : $"-view{view + 1}");
                var random = SeedStreams.Random(owner.options.Seed, TrainingBatches.StageStream(stage, stream), plan.Epoch, step);
                (images[input], targets[input]) = transform.Apply(batch.Images[input], batch.Labels[input], random);
            }
            lossContext = new LossContext(owner.train.ClassCounts, plan.Epoch, active.Epochs);
        }

        public MethodStep Position => new(stage, plan.Epoch, active.Epochs, step,
            SeedStreams.Random(owner.options.Seed, TrainingBatches.StageStream(stage, "adaptor"), plan.Epoch, step));

        public int Parts => owner.optimization.Parts;

        public ClassifierParameters Classifier => owner.network.ClassifierTensors();

        public BranchOutputs Forward(int part, int view = 0)
        {
            int views = owner.Views;
            if ((uint)view >= (uint)views)
                throw new ArgumentOutOfRangeException(nameof(view), view, $"Method {owner.setup.MethodName} declares {views} view(s) of each image (ITrainingMethod.Views).");
            int parts = Parts;
            int size = owner.parallel.Shard.Length(owner.options.BatchSize) / parts;
            int branches = owner.setup.Method.Branches.Count;
            var partImages = new Tensor[branches];
            var partTargets = new BatchTargets[branches];
            for (int b = 0; b < branches; b++)
            {
                int input = (b * views) + view;
                partImages[b] = parts == 1 ? images[input] : images[input].narrow(0, part * size, size);
                partTargets[b] = parts == 1 ? targets[input] : Slice(targets[input], part * size, size);
            }
            var features = owner.Executor().Forward(partImages);
            return new BranchOutputs(features, partTargets, owner.network.Classify, owner.stages.Loss, lossContext);
        }

        public double Update(Func<int, Tensor> partLoss) =>
            owner.optimization.Update(partLoss, loss => owner.Executor().Backward(loss), owner.stages.GradientNormBound(owner.stages.StepsIn(plan)),
                owner.stages.HooksOf(stage), (stage, plan.Epoch, step));
    }
}

using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// One training step of the active stage: the step's batch per branch, the stage's transform, the branch passes, the
/// method's loss over them, and the update through <see cref="OptimizerStep"/>. Every tensor lives in the step's dispose scope.
/// </summary>
public sealed class BatchStep(TrainingSetup setup, TrainingOptions options, BranchNetwork network, IImageSet train, Device device,
    StageController stages, OptimizerStep optimization, ITrainingBatches batches, Distributed.DataParallel parallel) : IDisposable
{
    private IBranchExecutor? executor;

    /// <summary>Images a step forwards: every branch's batch.</summary>
    public int ImagesPerStep => options.BatchSize * setup.Method.Branches.Count;

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
        int stage = stages.Active;
        var s = stages[stage];
        var batch = batches.Take(plan, step);
        var names = setup.BranchNames;
        var images = new Tensor[names.Count];
        var targets = new BatchTargets[names.Count];
        for (int b = 0; b < names.Count; b++)
        {
            if (stages.Transform is not { } transform)
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
        int parts = optimization.Parts;
        int size = parallel.Shard.Length(options.BatchSize) / parts;
        Tensor PartLoss(int part)
        {
            var partImages = parts == 1 ? images : images.Select(x => x.narrow(0, part * size, size)).ToArray();
            var partTargets = parts == 1 ? targets : targets.Select(t => Slice(t, part * size, size)).ToArray();
            var features = Executor().Forward(partImages);
            var outputs = new BranchOutputs(features, partTargets, network.Classify, stages.Loss, lossContext);
            var position = new MethodStep(stage, plan.Epoch, s.Epochs, step,
                SeedStreams.Random(options.Seed, TrainingBatches.StageStream(stage, "adaptor"), plan.Epoch, step));
            return setup.Method.Loss(outputs, position);
        }
        return optimization.Update(PartLoss, loss => Executor().Backward(loss), stages.GradientNormBound(stages.StepsIn(plan)), s.AfterOptimizerStep,
            (stage, plan.Epoch, step));
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
}

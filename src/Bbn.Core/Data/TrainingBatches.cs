using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Core.Data;

/// <summary>One step's inputs on the training device: normalised images and int64 labels of each branch.</summary>
public sealed record StepBatches(Tensor Conventional, Tensor ConventionalLabels, Tensor? Rebalancing, Tensor? RebalancingLabels);

/// <summary>
/// Where the trainer's batches come from. Both branches' batches of a step are prepared together;
/// the seeds of every random choice derive from (seed, branch, epoch, step), so a step's batches
/// do not depend on the provider or on how far ahead it works.
/// </summary>
public interface ITrainingBatches : IDisposable
{
    /// <summary>
    /// Announces the epoch's index sequences and the steps <paramref name="firstStep"/>..<paramref name="steps"/>-1
    /// that will be taken, so that a provider can prepare them ahead. Optional: <see cref="Take"/> works without it.
    /// </summary>
    void BeginEpoch(int epoch, int[] conventional, int[]? rebalancing, int firstStep, int steps);

    /// <summary>The step's batches (created in the caller's dispose scope).</summary>
    StepBatches Take(int epoch, int stepInEpoch, int[] conventional, int[]? rebalancing);
}

/// <summary>Chooses the provider for a training set.</summary>
public static class TrainingBatches
{
    public const string ConventionalStream = "augment-conventional";
    public const string RebalancingStream = "augment-rebalancing";

    public static ITrainingBatches Create(IImageSet train, BatchAugmenter augmenter, int batchSize, int seed, Device device) => train switch
    {
        ImageSet set => new InMemoryBatches(set, augmenter, batchSize, seed),
        ImageFileSet files => new StreamingBatches(files, augmenter, batchSize, seed, device),
        _ => throw new ArgumentException($"No batch provider for {train.GetType().Name}.", nameof(train)),
    };
}

/// <summary>
/// Small datasets resident on the device: the batch is gathered, cropped, flipped and normalised in
/// a few tensor operations (<see cref="BatchAugmenter"/>), with no per-image managed loop.
/// </summary>
public sealed class InMemoryBatches(ImageSet train, BatchAugmenter augmenter, int batchSize, int seed) : ITrainingBatches
{
    public void BeginEpoch(int epoch, int[] conventional, int[]? rebalancing, int firstStep, int steps)
    {
        // Nothing to prepare: gathering from device memory is the fast path.
    }

    public StepBatches Take(int epoch, int stepInEpoch, int[] conventional, int[]? rebalancing)
    {
        var c = conventional.AsSpan(stepInEpoch * batchSize, batchSize);
        var xc = augmenter.Train(train, c, SeedStreams.Random(seed, TrainingBatches.ConventionalStream, epoch, stepInEpoch));
        var yc = BatchAugmenter.Labels(train, c);
        if (rebalancing is null) return new StepBatches(xc, yc, null, null);
        var r = rebalancing.AsSpan(stepInEpoch * batchSize, batchSize);
        var xr = augmenter.Train(train, r, SeedStreams.Random(seed, TrainingBatches.RebalancingStream, epoch, stepInEpoch));
        var yr = BatchAugmenter.Labels(train, r);
        return new StepBatches(xc, yc, xr, yr);
    }

    public void Dispose()
    {
        // The set and the augmenter belong to the trainer.
    }
}

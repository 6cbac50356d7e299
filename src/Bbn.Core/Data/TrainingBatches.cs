using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Core.Data;

/// <summary>One step's inputs on the training device: each branch's normalised images and int64 labels.</summary>
public sealed record StepBatches(IReadOnlyList<Tensor> Images, IReadOnlyList<Tensor> Labels);

/// <summary>
/// An epoch's index sequence per branch and the seed stream of each branch's augmentation
/// (<c>augment-</c> and the branch's name; stages after the first prefix <c>stage2-</c>).
/// </summary>
public sealed record EpochPlan(int Epoch, IReadOnlyList<int[]> Orders, IReadOnlyList<string> AugmentStreams);

/// <summary>
/// Where the trainer's batches come from. Every branch's batch of a step is prepared together;
/// the seeds of every random choice derive from (seed, stream, epoch, step), so a step's batches
/// do not depend on the provider or on how far ahead it works.
/// </summary>
public interface ITrainingBatches : IDisposable
{
    /// <summary>
    /// Announces the epoch and the steps <paramref name="firstStep"/>..<paramref name="steps"/>-1 that
    /// will be taken, so that a provider can prepare them ahead. Optional: <see cref="Take"/> works without it.
    /// </summary>
    void BeginEpoch(EpochPlan plan, int firstStep, int steps);

    /// <summary>The step's batches (created in the caller's dispose scope).</summary>
    StepBatches Take(EpochPlan plan, int stepInEpoch);
}

/// <summary>Chooses the provider for a training set.</summary>
public static class TrainingBatches
{
    /// <summary>The augmentation stream of a branch: <c>augment-NAME</c> in the first stage, <c>stage2-augment-NAME</c> after.</summary>
    public static string AugmentStream(int stage, string branch) => StageStream(stage, "augment-" + branch);

    /// <summary>A seed stream's name in <paramref name="stage"/>: as is in the first stage (today's runs), prefixed after it.</summary>
    public static string StageStream(int stage, string stream) => stage <= 1 ? stream : $"stage{stage}-{stream}";

    /// <summary>The provider of <paramref name="shard"/>'s part of every step's global batch of <paramref name="batchSize"/>.</summary>
    public static ITrainingBatches Create(IImageSet train, BatchAugmenter augmenter, int batchSize, int seed, Device device, Distributed.Shard shard) => train switch
    {
        ImageSet set => new InMemoryBatches(set, augmenter, batchSize, seed, shard),
        ImageFileSet files => new StreamingBatches(files, augmenter, batchSize, seed, device, shard),
        _ => throw new ArgumentException($"No batch provider for {train.GetType().Name}.", nameof(train)),
    };
}

/// <summary>
/// Small datasets resident on the device: the batch is gathered, cropped, flipped and normalised in
/// a few tensor operations (<see cref="BatchAugmenter"/>), with no per-image managed loop.
/// </summary>
public sealed class InMemoryBatches(ImageSet train, BatchAugmenter augmenter, int batchSize, int seed, Distributed.Shard shard) : ITrainingBatches
{
    public void BeginEpoch(EpochPlan plan, int firstStep, int steps)
    {
        // Nothing to prepare: gathering from device memory is the fast path.
    }

    public StepBatches Take(EpochPlan plan, int stepInEpoch)
    {
        var images = new Tensor[plan.Orders.Count];
        var labels = new Tensor[plan.Orders.Count];
        for (int b = 0; b < images.Length; b++)
        {
            var indices = plan.Orders[b].AsSpan(stepInEpoch * batchSize, batchSize);
            images[b] = augmenter.Train(train, indices, SeedStreams.Random(seed, plan.AugmentStreams[b], plan.Epoch, stepInEpoch), shard);
            labels[b] = BatchAugmenter.Labels(train, indices.Slice(shard.Offset(batchSize), shard.Length(batchSize)));
        }
        return new StepBatches(images, labels);
    }

    public void Dispose()
    {
        // The set and the augmenter belong to the trainer.
    }
}

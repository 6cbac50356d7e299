using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Core.Data;

/// <summary>
/// A training or test set as the trainer and the evaluator see it: decoded in memory
/// (<see cref="ImageSet"/>) or encoded files decoded while training (<see cref="ImageFileSet"/>).
/// </summary>
public interface IImageSet : IDisposable
{
    IReadOnlyList<string> ClassNames { get; }
    int[] LabelArray { get; }
    int[] ClassCounts { get; }
    ChannelNormalization Normalization { get; }
    ImageShape Shape { get; }
    int Count { get; }

    /// <summary>Images that could not be decoded and were skipped (Bbn:Dataset:OnBadImage = skip).</summary>
    long SkippedImages { get; }

    /// <summary>
    /// The test view of every image in order, as uint8 [B, C, H, W] on <paramref name="device"/> with
    /// the batch's labels. Images skipped as undecodable are left out. The caller disposes each batch.
    /// </summary>
    IEnumerable<LabelledBatch> InOrder(int batchSize, Device device) => InOrder(batchSize, device, Distributed.Shard.Whole);

    /// <summary>The batches of <see cref="InOrder(int, Device)"/> that <paramref name="shard"/> owns (every Count-th, from its Index); the others are not read.</summary>
    IEnumerable<LabelledBatch> InOrder(int batchSize, Device device, Distributed.Shard shard);
}

/// <summary>uint8 images and their labels; owns <see cref="Images"/>.</summary>
public sealed record LabelledBatch(Tensor Images, int[] Labels) : IDisposable
{
    public void Dispose() => Images.Dispose();
}

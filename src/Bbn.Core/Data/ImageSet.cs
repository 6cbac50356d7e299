using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Core.Data;

/// <summary>A set of images resident on the training device, with its per-class counts.</summary>
public sealed class ImageSet : IImageSet
{
    private ImageSet(Tensor images, Tensor labels, int[] labelArray, IReadOnlyList<string> classNames, ChannelNormalization normalization)
    {
        Images = images;
        Labels = labels;
        LabelArray = labelArray;
        ClassNames = classNames;
        Normalization = normalization;
        ClassCounts = new int[classNames.Count];
        foreach (int label in labelArray) ClassCounts[label]++;
    }

    /// <summary>uint8 [N, C, H, W] on the device.</summary>
    public Tensor Images { get; }

    /// <summary>int64 [N] on the device.</summary>
    public Tensor Labels { get; }

    public int[] LabelArray { get; }
    public int[] ClassCounts { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public ChannelNormalization Normalization { get; }
    public int Count => LabelArray.Length;
    public ImageShape Shape => new((int)Images.shape[1], (int)Images.shape[2], (int)Images.shape[3]);
    public long SkippedImages => 0;

    public IEnumerable<LabelledBatch> InOrder(int batchSize, Device device) => InOrder(batchSize, device, Distributed.Shard.Whole);

    public IEnumerable<LabelledBatch> InOrder(int batchSize, Device device, Distributed.Shard shard)
    {
        for (int start = shard.Index * batchSize; start < Count; start += batchSize * shard.Count)
        {
            int length = Math.Min(batchSize, Count - start);
            var slice = Images.narrow(0, start, length);
            if (slice.device_type != device.type || slice.device_index != device.index)
            {
                using var here = slice;
                slice = here.to(device);
            }
            yield return new LabelledBatch(slice, LabelArray[start..(start + length)]);
        }
    }

    /// <summary>Takes the whole set onto <paramref name="device"/>.</summary>
    public static ImageSet From(LabelledImages source, Device device) =>
        Subset(source, Enumerable.Range(0, source.Labels.Length).ToArray(), device);

    /// <summary>Takes the images at <paramref name="indices"/> onto <paramref name="device"/>.</summary>
    public static ImageSet Subset(LabelledImages source, int[] indices, Device device)
    {
        using var index = tensor(indices.Select(i => (long)i).ToArray());
        using var chosen = source.Images.index_select(0, index);
        int[] labels = indices.Select(i => source.Labels[i]).ToArray();
        var images = chosen.to(device);
        var labelTensor = tensor(labels.Select(l => (long)l).ToArray()).to(device);
        return new ImageSet(images, labelTensor, labels, source.ClassNames, source.Normalization);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

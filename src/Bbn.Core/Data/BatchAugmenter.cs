using TorchSharp;
using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Core.Data;

/// <summary>
/// Gathers a batch from an <see cref="ImageSet"/> and applies the CIFAR recipe on tensors: random
/// crop with zero padding, random horizontal flip, then per-channel normalisation. The random
/// choices come from a caller-seeded <see cref="Random"/>, so a step is reproducible.
/// </summary>
public sealed class BatchAugmenter : IDisposable
{
    private readonly Tensor mean;
    private readonly Tensor std;
    private readonly int padding;
    private readonly bool flip;

    public BatchAugmenter(ChannelNormalization normalization, int channels, Device device, int padding, bool flip)
    {
        if (normalization.Mean.Length != channels || normalization.Std.Length != channels)
            throw new ArgumentException($"Normalisation has {normalization.Mean.Length} means and {normalization.Std.Length} deviations for {channels} channels.");
        mean = tensor(normalization.Mean).reshape(1, channels, 1, 1).to(device);
        std = tensor(normalization.Std).reshape(1, channels, 1, 1).to(device);
        this.padding = padding;
        this.flip = flip;
    }

    /// <summary>The training view of the images at <paramref name="indices"/>: float [B, C, H, W].</summary>
    public Tensor Train(ImageSet set, ReadOnlySpan<int> indices, Random random) => Train(set, indices, random, Distributed.Shard.Whole);

    /// <summary>
    /// <paramref name="shard"/>'s part of the training view of the batch at <paramref name="indices"/>: the
    /// crops and flips are drawn for the whole batch, so a rank's images are exactly those a single process would make.
    /// </summary>
    public Tensor Train(ImageSet set, ReadOnlySpan<int> indices, Random random, Distributed.Shard shard)
    {
        int offset = shard.Offset(indices.Length), length = shard.Length(indices.Length);
        using var index = IndexTensor(indices.Slice(offset, length), set.Images.device);
        using var raw = set.Images.index_select(0, index);
        using var augmented = Augment(raw, random, offset);
        return Normalize(augmented);
    }

    /// <summary>The labels of the images at <paramref name="indices"/>.</summary>
    public static Tensor Labels(ImageSet set, ReadOnlySpan<int> indices)
    {
        using var index = IndexTensor(indices, set.Labels.device);
        return set.Labels.index_select(0, index);
    }

    /// <summary>Normalises uint8 images without augmentation (evaluation).</summary>
    public Tensor Normalize(Tensor images)
    {
        using Scalar levels = 255.0f.ToScalar();
        using var scaled = images.to(ScalarType.Float32).div_(levels);
        using var centred = scaled.sub_(mean);
        return centred.div(std);
    }

    internal Tensor Augment(Tensor images, Random random) => Augment(images, random, 0);

    /// <summary>Augments <paramref name="images"/>, images <paramref name="first"/>.. of a batch whose draws are taken in order (the earlier images' draws are skipped).</summary>
    private Tensor Augment(Tensor images, Random random, int first)
    {
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        var offsetsY = new long[n];
        var offsetsX = new long[n];
        var flips = new bool[n];
        for (int i = 0; i < first + n; i++)
        {
            long y = random.Next((2 * padding) + 1);
            long x = random.Next((2 * padding) + 1);
            bool f = flip && random.Next(2) == 1;
            if (i < first) continue;
            offsetsY[i - first] = y;
            offsetsX[i - first] = x;
            flips[i - first] = f;
        }
        var device = images.device;
        using var padded = nn.functional.pad(images, [padding, padding, padding, padding]);
        using var oy = tensor(offsetsY).to(device);
        using var ox = tensor(offsetsX).to(device);
        using Scalar height = h.ToScalar(), width = w.ToScalar();
        using var rowRange = arange(height, device: device);
        using var colRange = arange(width, device: device);
        using var rows = oy.unsqueeze(1).add(rowRange, Scalars.IntegerOne).view(n, 1, h, 1).expand(n, c, h, w + (2 * padding));
        using var cols = ox.unsqueeze(1).add(colRange, Scalars.IntegerOne).view(n, 1, 1, w).expand(n, c, h, w);
        using var cropRows = padded.gather(2, rows);
        using var cropped = cropRows.gather(3, cols);
        if (!flip) return cropped.alias();
        using var mask = tensor(flips).to(device).view(n, 1, 1, 1);
        using var mirrored = cropped.flip(3);
        return where(mask, mirrored, cropped);
    }

    private static Tensor IndexTensor(ReadOnlySpan<int> indices, Device device)
    {
        var values = new long[indices.Length];
        for (int i = 0; i < values.Length; i++) values[i] = indices[i];
        return tensor(values).to(device);
    }

    public void Dispose()
    {
        mean.Dispose();
        std.Dispose();
    }
}

using System.Collections.Concurrent;
using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Core.Data;

/// <summary>What to do with an image file that cannot be decoded (Bbn:Dataset:OnBadImage).</summary>
public enum BadImagePolicy
{
    /// <summary>Stop with an error naming the file.</summary>
    Fail,

    /// <summary>Skip it (in training, another image of its class takes its place), count it and report it.</summary>
    Skip,
}

/// <summary>How the encoded images are decoded: the bad-image policy, the worker count and how many steps are prepared ahead.</summary>
/// <param name="OnBadImage">The bad-image policy.</param>
/// <param name="Workers">Images decoded in parallel; 0: every core.</param>
/// <param name="Prefetch">Steps prepared ahead of the training step (memory: about Prefetch x both branches' uint8 batches).</param>
/// <param name="Skipped">Called once per skipped image with the file and the reason (for the log).</param>
public sealed record DecodeOptions(BadImagePolicy OnBadImage = BadImagePolicy.Fail, int Workers = 0, int Prefetch = 4, Action<ImageFile, string>? Skipped = null)
{
    public int EffectiveWorkers => Workers > 0 ? Workers : Environment.ProcessorCount;
}

/// <summary>
/// A set of encoded image files (iNaturalist, image folders) decoded on demand, in parallel, with
/// the recipe's training or test view. Holds only the file list: memory does not grow with the dataset.
/// </summary>
public sealed class ImageFileSet : IImageSet
{
    private readonly ImageFile[] files;
    private readonly int[][] membersByClass;
    private readonly int[] positionInClass;
    private readonly ConcurrentDictionary<string, string> skipped = new();

    public ImageFileSet(ImageFileList list, IReadOnlyList<int> indices, DecodeOptions options)
    {
        files = indices.Select(i => list.Files[i]).ToArray();
        ClassNames = list.ClassNames;
        Normalization = list.Normalization;
        Recipe = list.Recipe;
        Options = options;
        LabelArray = files.Select(f => f.Label).ToArray();
        ClassCounts = new int[ClassNames.Count];
        foreach (int label in LabelArray) ClassCounts[label]++;
        membersByClass = ClassCounts.Select(n => new int[n]).ToArray();
        positionInClass = new int[files.Length];
        var filled = new int[ClassNames.Count];
        for (int i = 0; i < files.Length; i++)
        {
            int label = LabelArray[i];
            positionInClass[i] = filled[label];
            membersByClass[label][filled[label]++] = i;
        }
    }

    public static ImageFileSet All(ImageFileList list, DecodeOptions options) => new(list, Enumerable.Range(0, list.Files.Count).ToArray(), options);

    public IReadOnlyList<ImageFile> Files => files;
    public IReadOnlyList<string> ClassNames { get; }
    public int[] LabelArray { get; }
    public int[] ClassCounts { get; }
    public ChannelNormalization Normalization { get; }
    public ImageRecipe Recipe { get; }
    public DecodeOptions Options { get; }
    public ImageShape Shape => new(3, Recipe.Size, Recipe.Size);
    public int Count => files.Length;
    public long SkippedImages => skipped.Count;
    public int ImageBytes => 3 * Recipe.Size * Recipe.Size;

    /// <summary>
    /// Writes the training view of image <paramref name="index"/> (seeded by <paramref name="seed"/>)
    /// into <paramref name="destination"/>; returns its label. Under the skip policy an undecodable
    /// image is replaced by the next decodable image of its class.
    /// </summary>
    public int RenderTrain(int index, int seed, Span<byte> destination)
    {
        int label = LabelArray[index];
        int[] members = membersByClass[label];
        int start = positionInClass[index];
        for (int k = 0; k < members.Length; k++)
        {
            var file = files[members[(start + k) % members.Length]];
            if (skipped.ContainsKey(file.Id)) continue;
            var random = new Random(seed);
            if (TryRender(file, (w, h) => ImageViews.Train(Recipe, w, h, random), destination)) return label;
        }
        throw new InvalidDataException(
            $"No image of class {label} ('{ClassNames[label]}') can be decoded: all {members.Length} were skipped as bad (first: {files[members[0]].Path}). Fix the files or remove the class.");
    }

    /// <summary>Writes the test view of image <paramref name="index"/>; false when it was skipped as undecodable.</summary>
    public bool RenderTest(int index, Span<byte> destination) =>
        !skipped.ContainsKey(files[index].Id) && TryRender(files[index], (w, h) => ImageViews.Test(Recipe, w, h), destination);

    private bool TryRender(ImageFile file, Func<int, int, ViewGeometry> view, Span<byte> destination)
    {
        try
        {
            ImageDecoder.Render(file.Path, Recipe.Size, view, destination);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            if (Options.OnBadImage == BadImagePolicy.Fail)
                throw new InvalidDataException(
                    $"Image {file.Path} cannot be read: {e.Message} Replace or remove the file, or set Bbn:Dataset:OnBadImage=skip " +
                    "to skip undecodable images (they are counted in summary.json as skipped_images).", e);
            if (skipped.TryAdd(file.Id, e.Message)) Options.Skipped?.Invoke(file, e.Message);
            return false;
        }
    }

    /// <summary>Test views in order; the next batch is decoded (in parallel) while the caller evaluates this one.</summary>
    public IEnumerable<LabelledBatch> InOrder(int batchSize, Device device) => InOrder(batchSize, device, Distributed.Shard.Whole);

    public IEnumerable<LabelledBatch> InOrder(int batchSize, Device device, Distributed.Shard shard)
    {
        int first = shard.Index * batchSize, stride = batchSize * shard.Count;
        Task<DecodedBatch>? next = first < Count ? Task.Run(() => DecodeTest(first, Math.Min(batchSize, Count - first))) : null;
        for (int start = first; start < Count; start += stride)
        {
            var decoded = next!.GetAwaiter().GetResult();
            int following = start + stride;
            next = following < Count ? Task.Run(() => DecodeTest(following, Math.Min(batchSize, Count - following))) : null;
            var (pixels, kept) = decoded;
            if (kept.Length == 0) continue;
            int length = pixels.Length / ImageBytes;
            using var all = tensor(pixels, [length, 3, Recipe.Size, Recipe.Size]);
            using var index = tensor(kept.Select(i => (long)i).ToArray());
            using var chosen = kept.Length == length ? all.alias() : all.index_select(0, index);
            using var moved = HostToDevice.Copy(chosen, device);
            yield return new LabelledBatch(moved.clone(), kept.Select(i => LabelArray[start + i]).ToArray()); // owns its memory, not the array's
        }
    }

    private DecodedBatch DecodeTest(int start, int length)
    {
        var pixels = new byte[(long)length * ImageBytes];
        var ok = new bool[length];
        Parallel.For(0, length, new ParallelOptions { MaxDegreeOfParallelism = Options.EffectiveWorkers },
            i => ok[i] = RenderTest(start + i, pixels.AsSpan(i * ImageBytes, ImageBytes)));
        return new DecodedBatch(pixels, Enumerable.Range(0, length).Where(i => ok[i]).ToArray());
    }

    private sealed record DecodedBatch(byte[] Pixels, int[] Kept);

    public void Dispose()
    {
        // Only a file list: nothing native to release.
    }
}

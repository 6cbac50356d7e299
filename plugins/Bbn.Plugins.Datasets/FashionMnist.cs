using Bbn.Abstractions;

namespace Bbn.Plugins.Datasets;

/// <summary>
/// Fashion-MNIST from its four IDX gzip files. Images are zero-padded from 28x28 to 32x32 (2 pixels
/// each side, Bbn:Dataset:Padding) so that the CIFAR ResNet-32 sees its native input size without
/// resampling; Padding 0 keeps the native 28x28, 1.31x fewer FLOPs a step (the global pooling adapts).
/// </summary>
public sealed class FashionMnist : IDatasetSource
{
    public const string DefaultRoot = "/usr/share/datasets/fashion-mnist";
    public const int DefaultPadding = 2;

    private static readonly string[] Classes =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    // mean/std of the 60,000 training images at 28x28 (pixel/255), measured with /usr/bin/python3.
    private const double NativeMean = 0.2860, NativeStd = 0.3530;

    private readonly string root;
    private readonly int padding;

    public FashionMnist(string root, int padding = DefaultPadding)
    {
        this.root = root;
        this.padding = padding;
    }

    public static FashionMnist Create(ComponentContext context)
    {
        string root = context.Get<string?>("Root", null) ?? DefaultRoot;
        return new FashionMnist(root, context.Bind<FashionMnistOptions>().Padding);
    }

    /// <summary>
    /// The statistics of the padded images, from the native ones: zeros scale the mean and the mean square by
    /// the image's share of the area (at padding 2: 0.2190 / 0.3317, as measured over the padded tensor).
    /// </summary>
    public static ChannelNormalization NormalizationFor(int padding)
    {
        double share = 28.0 * 28.0 / ((28 + (2 * padding)) * (28 + (2 * padding)));
        double mean = NativeMean * share;
        double meanSquare = ((NativeStd * NativeStd) + (NativeMean * NativeMean)) * share;
        return new([(float)mean], [(float)Math.Sqrt(meanSquare - (mean * mean))]);
    }

    public LabelledImages Load(DatasetSplit split)
    {
        string prefix = split == DatasetSplit.Train ? "train" : "t10k";
        string imagesFile = RequireFile($"{prefix}-images-idx3-ubyte.gz");
        string labelsFile = RequireFile($"{prefix}-labels-idx1-ubyte.gz");
        byte[] labels = IdxFile.ReadLabels(labelsFile);
        var (pixels, count, rows, cols) = IdxFile.ReadImages(imagesFile);
        if (count != labels.Length)
            throw new InvalidDataException($"{imagesFile} holds {count} images but {labelsFile} holds {labels.Length} labels.");

        int side = rows + (2 * padding);
        byte[] padded = new byte[(long)count * side * side];
        for (int n = 0; n < count; n++)
        {
            for (int r = 0; r < rows; r++)
            {
                Buffer.BlockCopy(pixels, (n * rows * cols) + (r * cols), padded, (n * side * side) + ((r + padding) * side) + padding, cols);
            }
        }
        int[] labelIndices = labels.Select(b => (int)b).ToArray();
        if (labelIndices.Any(l => l >= Classes.Length))
            throw new InvalidDataException($"{labelsFile} has a label outside 0..{Classes.Length - 1}.");
        var images = TorchSharp.torch.tensor(padded, [count, 1, side, side]);
        return new LabelledImages(images, labelIndices, Classes, NormalizationFor(padding));
    }

    private string RequireFile(string name)
    {
        string path = Path.Combine(root, name);
        if (File.Exists(path)) return path;
        throw new DatasetNotFoundException(
            $"Fashion-MNIST file {path} was not found. On Debian/Ubuntu run scripts/install-dataset.sh " +
            $"(it installs the dataset-fashion-mnist package into {DefaultRoot}); elsewhere download the four " +
            "*-ubyte.gz files of Fashion-MNIST into a folder and set Bbn:Dataset:Root to it " +
            "(--Bbn:Dataset:Root=<folder> or BBN__DATASET__ROOT).");
    }
}

/// <summary>Bbn:Dataset for fashion-mnist beside the long-tail profile: the padding that brings 28x28 to the networks' 32x32.</summary>
public sealed class FashionMnistOptions
{
    [System.ComponentModel.DataAnnotations.Range(0, 16)]
    public int Padding { get; set; } = FashionMnist.DefaultPadding;

    /// <summary>The folder of the four IDX files (read separately; bound here so that the section's keys are one class's).</summary>
    public string? Root { get; set; }
}

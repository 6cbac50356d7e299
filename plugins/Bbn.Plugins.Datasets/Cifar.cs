using Bbn.Abstractions;

namespace Bbn.Plugins.Datasets;

/// <summary>
/// CIFAR-10 and CIFAR-100 from their binary versions: records of label byte(s) then 3072 pixel
/// bytes (1024 red, 1024 green, 1024 blue, row-major), which is already [3, 32, 32]. The trainer
/// cuts the long-tailed profile (n_max 5000 / 500) from the full training split.
/// </summary>
public sealed class Cifar : IDatasetSource
{
    private const int PixelBytes = 3 * 32 * 32;

    // The normalisation of BBN's official CIFAR loaders (both CIFAR-10 and CIFAR-100).
    private static readonly ChannelNormalization Normalization = new([0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f]);

    private static readonly string[] Cifar10Classes =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private readonly CifarLayout layout;
    private readonly string root;

    private Cifar(CifarLayout layout, string root)
    {
        this.layout = layout;
        this.root = root;
    }

    public static Cifar Create10(ComponentContext context) => new(CifarLayout.Cifar10, Root(context, CifarLayout.Cifar10));

    public static Cifar Create100(ComponentContext context) => new(CifarLayout.Cifar100, Root(context, CifarLayout.Cifar100));

    private static string Root(ComponentContext context, CifarLayout layout) =>
        context.Get<string?>("Root", null) ?? Path.Combine("/usr/share/datasets", layout.Folder);

    public LabelledImages Load(DatasetSplit split)
    {
        string folder = Folder();
        string[] files = (split == DatasetSplit.Train ? layout.TrainFiles : layout.TestFiles).Select(f => Require(folder, f)).ToArray();
        string[] classes = ClassNames(folder);
        var records = files.Select(f => (Path: f, Bytes: File.ReadAllBytes(f))).ToArray();
        int recordSize = layout.LabelBytes + PixelBytes;
        foreach (var (path, bytes) in records)
        {
            if (bytes.Length == 0 || bytes.Length % recordSize != 0)
                throw new InvalidDataException(
                    $"{path} is truncated or corrupt: {bytes.Length} bytes is not a whole number of {layout.Name} records of {recordSize} bytes " +
                    $"({layout.LabelBytes} label byte(s) + {PixelBytes} pixels). Download the binary version again.");
        }

        int count = records.Sum(r => r.Bytes.Length / recordSize);
        var pixels = new byte[(long)count * PixelBytes];
        var labels = new int[count];
        int n = 0;
        foreach (var (path, bytes) in records)
        {
            for (int offset = 0; offset < bytes.Length; offset += recordSize, n++)
            {
                int label = bytes[offset + layout.LabelBytes - 1]; // CIFAR-100: coarse, then fine (used)
                if (label >= classes.Length)
                    throw new InvalidDataException(
                        $"{path} is corrupt: record {offset / recordSize} has label {label}, but {layout.Name} has {classes.Length} classes (0..{classes.Length - 1}). Download the binary version again.");
                labels[n] = label;
                Buffer.BlockCopy(bytes, offset + layout.LabelBytes, pixels, n * PixelBytes, PixelBytes);
            }
        }
        var images = TorchSharp.torch.tensor(pixels, [count, 3, 32, 32]);
        return new LabelledImages(images, labels, classes, Normalization);
    }

    /// <summary>Root, or its <c>cifar-10-batches-bin</c> / <c>cifar-100-binary</c> subfolder when the root is the archive's parent.</summary>
    private string Folder()
    {
        string nested = Path.Combine(root, layout.Folder);
        return !File.Exists(Path.Combine(root, layout.TestFiles[0])) && Directory.Exists(nested) ? nested : root;
    }

    private string[] ClassNames(string folder)
    {
        string path = Path.Combine(folder, layout.NamesFile);
        if (!File.Exists(path))
            return layout.LabelBytes == 1 ? Cifar10Classes : Enumerable.Range(0, 100).Select(i => $"class-{i:D2}").ToArray();
        string[] names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != layout.ClassCount)
            throw new InvalidDataException($"{path} names {names.Length} classes; {layout.Name} has {layout.ClassCount}. Fix or delete the file (then generic names are used).");
        return names;
    }

    private string Require(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        if (File.Exists(path)) return path;
        throw new DatasetNotFoundException(
            $"{layout.Name} file {path} was not found. Download the binary version ({layout.Archive}), unpack it and set " +
            $"Bbn:Dataset:Root to the {layout.Folder} folder (or its parent): --Bbn:Dataset:Root=<folder> or BBN__DATASET__ROOT.");
    }
}

/// <summary>The file layout of one CIFAR binary version.</summary>
internal sealed record CifarLayout(string Name, string Folder, string Archive, string[] TrainFiles, string[] TestFiles, int LabelBytes, int ClassCount, string NamesFile)
{
    public static readonly CifarLayout Cifar10 = new("CIFAR-10", "cifar-10-batches-bin", "cifar-10-binary.tar.gz",
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"], ["test_batch.bin"], 1, 10, "batches.meta.txt");

    public static readonly CifarLayout Cifar100 = new("CIFAR-100", "cifar-100-binary", "cifar-100-binary.tar.gz",
        ["train.bin"], ["test.bin"], 2, 100, "fine_label_names.txt");
}

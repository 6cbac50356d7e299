using System.Buffers.Binary;
using System.IO.Compression;

namespace Bbn.Framework.Tests;

/// <summary>
/// The real Fashion-MNIST files (installed by scripts/install-dataset.sh), and small copies of
/// them for fast end-to-end runs: the first N images of each split, written in the same IDX gzip format.
/// </summary>
internal static class FashionMnistFiles
{
    /// <summary>Debian's folder, or BBN_FASHION_MNIST (the GPU check carries the files elsewhere).</summary>
    public static string Root { get; } = Environment.GetEnvironmentVariable("BBN_FASHION_MNIST") ?? "/usr/share/datasets/fashion-mnist";

    public static string WriteSubset(string directory, int trainImages, int testImages)
    {
        Directory.CreateDirectory(directory);
        Copy("train", trainImages, directory);
        Copy("t10k", testImages, directory);
        return directory;
    }

    private static void Copy(string prefix, int count, string directory)
    {
        string images = Path.Combine(Root, $"{prefix}-images-idx3-ubyte.gz");
        string labels = Path.Combine(Root, $"{prefix}-labels-idx1-ubyte.gz");
        if (!File.Exists(images) || !File.Exists(labels))
            throw new FileNotFoundException($"Fashion-MNIST is missing from {Root}: run scripts/install-dataset.sh (as .ci/run does).", images);
        Write(Path.Combine(directory, Path.GetFileName(images)), Read(images).AsSpan(0, 16 + (count * 784)), count);
        Write(Path.Combine(directory, Path.GetFileName(labels)), Read(labels).AsSpan(0, 8 + count), count);
    }

    public static byte[] Read(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Writes IDX bytes with the item count in the header replaced by <paramref name="count"/>.</summary>
    public static void Write(string path, ReadOnlySpan<byte> idx, int count)
    {
        byte[] copy = idx.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(4), count);
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(copy);
    }
}

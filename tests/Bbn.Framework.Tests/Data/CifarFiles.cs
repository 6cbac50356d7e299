namespace Bbn.Framework.Tests;

/// <summary>Small CIFAR-10 / CIFAR-100 binary files in the real record format, with recognisable pixels.</summary>
internal static class CifarFiles
{
    public const int PixelBytes = 3072;

    /// <summary>The pixels of image <paramref name="n"/> of class <paramref name="label"/>: red = label * 20, green = n, blue = position.</summary>
    public static byte[] Pixels(int label, int n)
    {
        var pixels = new byte[PixelBytes];
        for (int p = 0; p < 1024; p++)
        {
            pixels[p] = (byte)(label * 20);
            pixels[1024 + p] = (byte)n;
            pixels[2048 + p] = (byte)p;
        }
        return pixels;
    }

    /// <summary>CIFAR-10: data_batch_1..5.bin share <paramref name="trainPerClass"/> images per class; test_batch.bin has <paramref name="testPerClass"/>.</summary>
    public static string WriteCifar10(string directory, int trainPerClass, int testPerClass, bool withNames = true)
    {
        Directory.CreateDirectory(directory);
        var train = Records(10, trainPerClass, coarse: false).ToList();
        for (int b = 0; b < 5; b++)
            File.WriteAllBytes(Path.Combine(directory, $"data_batch_{b + 1}.bin"), train.Where((_, i) => i % 5 == b).SelectMany(r => r).ToArray());
        File.WriteAllBytes(Path.Combine(directory, "test_batch.bin"), Records(10, testPerClass, coarse: false).SelectMany(r => r).ToArray());
        if (withNames)
            File.WriteAllLines(Path.Combine(directory, "batches.meta.txt"), Enumerable.Range(0, 10).Select(c => $"name-{c}").Append(""));
        return directory;
    }

    /// <summary>CIFAR-100: train.bin and test.bin with a coarse label (fine / 5) before the fine one.</summary>
    public static string WriteCifar100(string directory, int trainPerClass, int testPerClass)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "train.bin"), Records(100, trainPerClass, coarse: true).SelectMany(r => r).ToArray());
        File.WriteAllBytes(Path.Combine(directory, "test.bin"), Records(100, testPerClass, coarse: true).SelectMany(r => r).ToArray());
        File.WriteAllLines(Path.Combine(directory, "fine_label_names.txt"), Enumerable.Range(0, 100).Select(c => $"fine-{c}"));
        return directory;
    }

    private static IEnumerable<byte[]> Records(int classes, int perClass, bool coarse)
    {
        // Interleaved by class, as in the real files.
        for (int n = 0; n < perClass; n++)
        {
            for (int c = 0; c < classes; c++)
            {
                byte[] label = coarse ? [(byte)(c / 5), (byte)c] : [(byte)c];
                yield return [.. label, .. Pixels(c % 12, n)];
            }
        }
    }
}

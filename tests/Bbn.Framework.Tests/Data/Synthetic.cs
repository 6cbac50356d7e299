using Bbn.Abstractions;
using Bbn.Core.Data;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Small labelled image sets made in memory for fast trainer tests.</summary>
internal static class Synthetic
{
    public static LabelledImages Images(int[] countsPerClass, int channels = 1, int side = 32, int seed = 1, int stripe = 160)
    {
        var random = new Random(seed);
        int total = countsPerClass.Sum();
        var pixels = new byte[total * channels * side * side];
        var labels = new int[total];
        int n = 0;
        for (int c = 0; c < countsPerClass.Length; c++)
        {
            for (int i = 0; i < countsPerClass[c]; i++, n++)
            {
                labels[n] = c;
                for (int p = 0; p < channels * side * side; p++)
                {
                    // A class-dependent stripe pattern plus noise: learnable, not trivial.
                    int row = p / side % side;
                    int signal = row % countsPerClass.Length == c ? stripe : 40;
                    pixels[(n * channels * side * side) + p] = (byte)Math.Clamp(signal + random.Next(-40, 40), 0, 255);
                }
            }
        }
        var names = Enumerable.Range(0, countsPerClass.Length).Select(c => $"class-{c}").ToArray();
        var normalization = new ChannelNormalization(Enumerable.Repeat(0.3f, channels).ToArray(), Enumerable.Repeat(0.3f, channels).ToArray());
        return new LabelledImages(tensor(pixels, [total, channels, side, side]), labels, names, normalization);
    }

    /// <summary>An in-memory set of <see cref="Images"/>; <paramref name="stripe"/> is the brightness of a class's rows against 40 for the others, each pixel ±40 of noise: lower is harder.</summary>
    public static ImageSet Set(int[] countsPerClass, int seed = 1, int side = 32, int stripe = 160, Device? device = null)
    {
        using var images = Images(countsPerClass, side: side, seed: seed, stripe: stripe);
        return ImageSet.From(images, device ?? CPU);
    }
}

using TorchSharp;
using System.ComponentModel.DataAnnotations;
using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Plugins.Transforms;

/// <summary>Batch transforms any method's stage can use, or Bbn:BatchTransform:Name for every stage.</summary>
public sealed class TransformsRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<IBatchTransform>("mixup", c => new Mixup(c.Bind<MixingOptions>().Alpha),
            "mixup (Zhang et al. 2018): x = lambda x_i + (1 - lambda) x_j, lambda ~ Beta(Alpha, Alpha), Alpha default 1");
        components.Add<IBatchTransform>("cutmix", c => new CutMix(c.Bind<MixingOptions>().Alpha),
            "CutMix (Yun et al. 2019): a box of x_j pasted into x_i, lambda = 1 - box area, box area ~ 1 - Beta(Alpha, Alpha)");
    }
}

public sealed class MixingOptions
{
    /// <summary>The Beta distribution's parameter (MiSLAS and the mixup paper: 1 for CIFAR).</summary>
    [Range(1e-3, 100)]
    public double Alpha { get; set; } = 1;
}

/// <summary>mixup: each image blended with the image of a random permutation of the batch, one lambda per batch.</summary>
public sealed class Mixup(double alpha) : IBatchTransform
{
    public (Tensor Images, BatchTargets Targets) Apply(Tensor images, Tensor labels, Random random)
    {
        double lambda = BetaSample.Draw(random, alpha);
        using var permutation = Permutation.Of(random, (int)images.shape[0], images.device);
        using var partner = images.index_select(0, permutation);
        using Scalar kept = lambda.ToScalar(), mixedIn = (1 - lambda).ToScalar();
        using var weighted = images.mul(kept);
        var mixed = weighted.add(partner, alpha: mixedIn);
        return (mixed, new BatchTargets(labels, labels.index_select(0, permutation), lambda));
    }
}

/// <summary>CutMix: a box of the permuted batch's images pasted in; lambda is the share of the image left.</summary>
public sealed class CutMix(double alpha) : IBatchTransform
{
    public (Tensor Images, BatchTargets Targets) Apply(Tensor images, Tensor labels, Random random)
    {
        double lambda = BetaSample.Draw(random, alpha);
        int height = (int)images.shape[2], width = (int)images.shape[3];
        double cut = Math.Sqrt(1 - lambda);
        int boxHeight = (int)(height * cut), boxWidth = (int)(width * cut);
        int centreY = random.Next(height), centreX = random.Next(width);
        int top = Math.Clamp(centreY - (boxHeight / 2), 0, height), bottom = Math.Clamp(centreY + (boxHeight / 2), 0, height);
        int left = Math.Clamp(centreX - (boxWidth / 2), 0, width), right = Math.Clamp(centreX + (boxWidth / 2), 0, width);
        using var permutation = Permutation.Of(random, (int)images.shape[0], images.device);
        var mixed = images.clone();
        if (bottom > top && right > left)
        {
            using var partner = images.index_select(0, permutation);
            using var box = partner[.., .., top..bottom, left..right];
            mixed[.., .., top..bottom, left..right] = box;
        }
        double kept = 1 - ((bottom - top) * (right - left) / (double)(height * width));
        return (mixed, new BatchTargets(labels, labels.index_select(0, permutation), kept));
    }
}

/// <summary>A random permutation drawn from the step's generator (Fisher-Yates), as an int64 tensor.</summary>
internal static class Permutation
{
    public static Tensor Of(Random random, int length, Device device)
    {
        long[] order = Enumerable.Range(0, length).Select(i => (long)i).ToArray();
        for (int i = length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return tensor(order, device: device);
    }
}

/// <summary>Beta(a, a) from two Gamma(a) draws (Marsaglia and Tsang 2000, with the a &lt; 1 boost).</summary>
public static class BetaSample
{
    public static double Draw(Random random, double a)
    {
        double x = Gamma(random, a), y = Gamma(random, a);
        return x + y == 0 ? 0.5 : x / (x + y);
    }

    private static double Gamma(Random random, double shape)
    {
        if (shape < 1) return Gamma(random, shape + 1) * Math.Pow(random.NextDouble(), 1 / shape);
        double d = shape - (1.0 / 3), c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(random);
                v = 1 + (c * x);
            }
            while (v <= 0);
            v = v * v * v;
            double u = random.NextDouble();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v)))) return d * v;
        }
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

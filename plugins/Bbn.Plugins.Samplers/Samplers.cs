using Bbn.Abstractions;

namespace Bbn.Plugins.Samplers;

public sealed class SamplersRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<ISampler>("uniform", _ => new UniformSampler(), "every image once per epoch, shuffled (instance-balanced)");
        components.Add<ISampler>("reversed", _ => new ClassWeightedSampler(ClassWeights.Reversed), "class i with probability proportional to N_max/N_i, then an image of it uniformly, with replacement (BBN)");
        components.Add<ISampler>("class-balanced", _ => new ClassWeightedSampler(ClassWeights.Balanced), "every class equally likely, then an image of it uniformly, with replacement");
        components.Add<ISampler>("square-root", _ => new ClassWeightedSampler(ClassWeights.SquareRoot), "class i with probability proportional to sqrt(N_i), then an image of it uniformly");
        components.Add<ISampler>("progressive", _ => new ClassWeightedSampler(ClassWeights.Progressive), "instance-balanced at the first epoch to class-balanced at the last, linearly (Kang et al. 2020)");
    }
}

/// <summary>A fresh permutation of all images each epoch.</summary>
public sealed class UniformSampler : ISampler
{
    public int[] Sample(SamplingContext context)
    {
        int[] order = Enumerable.Range(0, context.Labels.Count).ToArray();
        context.Random.Shuffle(order);
        return order;
    }
}

/// <summary>Class-level sampling probabilities (unnormalised) for an epoch.</summary>
public static class ClassWeights
{
    /// <summary>BBN's reversed sampler (paper section 3.2): w_i = N_max / N_i.</summary>
    public static double[] Reversed(SamplingContext context)
    {
        int maxCount = context.ClassCounts.Max();
        return context.ClassCounts.Select(n => n == 0 ? 0.0 : maxCount / (double)n).ToArray();
    }

    public static double[] Balanced(SamplingContext context) => context.ClassCounts.Select(n => n == 0 ? 0.0 : 1.0).ToArray();

    public static double[] SquareRoot(SamplingContext context) => context.ClassCounts.Select(n => Math.Sqrt(n)).ToArray();

    /// <summary>p_i(t) = (1 - t) N_i / N + t / C with t = (e - 1) / (E - 1).</summary>
    public static double[] Progressive(SamplingContext context)
    {
        double t = context.TotalEpochs <= 1 ? 1 : (context.Epoch - 1) / (double)(context.TotalEpochs - 1);
        double total = context.ClassCounts.Sum();
        int present = context.ClassCounts.Count(n => n > 0);
        return context.ClassCounts.Select(n => n == 0 ? 0.0 : ((1 - t) * n / total) + (t / present)).ToArray();
    }
}

/// <summary>Draws a class by its weight, then one of its images uniformly, with replacement; as many draws as images.</summary>
public sealed class ClassWeightedSampler(Func<SamplingContext, double[]> weights) : ISampler
{
    public int[] Sample(SamplingContext context)
    {
        double[] classWeights = weights(context);
        int[][] imagesOfClass = ImagesByClass(context.Labels, context.ClassCounts.Count);
        var classes = Enumerable.Range(0, classWeights.Length).Where(c => imagesOfClass[c].Length > 0 && classWeights[c] > 0).ToArray();
        if (classes.Length == 0) throw new InvalidOperationException("No class with images has a positive sampling weight.");
        double[] cumulative = new double[classes.Length];
        double total = 0;
        for (int k = 0; k < classes.Length; k++)
        {
            total += classWeights[classes[k]];
            cumulative[k] = total;
        }

        int[] result = new int[context.Labels.Count];
        for (int i = 0; i < result.Length; i++)
        {
            double u = context.Random.NextDouble() * total;
            int k = Array.BinarySearch(cumulative, u);
            k = Math.Min(k < 0 ? ~k : k + 1, classes.Length - 1);
            int[] members = imagesOfClass[classes[k]];
            result[i] = members[context.Random.Next(members.Length)];
        }
        return result;
    }

    private static int[][] ImagesByClass(IReadOnlyList<int> labels, int classCount)
    {
        var lists = new List<int>[classCount];
        for (int c = 0; c < classCount; c++) lists[c] = [];
        for (int i = 0; i < labels.Count; i++) lists[labels[i]].Add(i);
        return lists.Select(l => l.ToArray()).ToArray();
    }
}

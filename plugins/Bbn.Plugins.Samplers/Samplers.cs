using Bbn.Abstractions;

namespace Bbn.Plugins.Samplers;

public sealed class SamplersRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<ISampler>("uniform", _ => new UniformSampler(), "every image once per epoch, shuffled (instance-balanced)");
        components.Add<ISampler>("reversed", _ => new ReversedSampler(), "class i with probability proportional to N_max/N_i, then an image of it uniformly, with replacement");
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

/// <summary>BBN's reversed sampler (paper section 3.2): w_i = N_max / N_i.</summary>
public sealed class ReversedSampler : ISampler
{
    public int[] Sample(SamplingContext context)
    {
        int maxCount = context.ClassCounts.Max();
        double[] weights = context.ClassCounts.Select(n => n == 0 ? 0.0 : maxCount / (double)n).ToArray();
        return ClassWeightedDraw.Draw(context, weights);
    }
}

/// <summary>Draws a class by weight, then one of its images uniformly, with replacement.</summary>
public static class ClassWeightedDraw
{
    public static int[] Draw(SamplingContext context, IReadOnlyList<double> classWeights)
    {
        int[][] imagesOfClass = ImagesByClass(context.Labels, context.ClassCounts.Count);
        double[] cumulative = new double[classWeights.Count];
        double total = 0;
        for (int c = 0; c < classWeights.Count; c++)
        {
            total += imagesOfClass[c].Length == 0 ? 0 : classWeights[c];
            cumulative[c] = total;
        }
        if (total <= 0) throw new InvalidOperationException("No class with images has a positive sampling weight.");

        int[] result = new int[context.Labels.Count];
        for (int i = 0; i < result.Length; i++)
        {
            double u = context.Random.NextDouble() * total;
            int c = Array.BinarySearch(cumulative, u);
            c = c < 0 ? ~c : c + 1;
            c = Math.Min(c, cumulative.Length - 1);
            while (imagesOfClass[c].Length == 0) c--;
            int[] members = imagesOfClass[c];
            result[i] = members[context.Random.Next(members.Length)];
        }
        return result;
    }

    private static int[][] ImagesByClass(IReadOnlyList<int> labels, int classCount)
    {
        var lists = new List<int>[classCount];
        for (int c = 0; c < classCount; c++) lists[c] = new List<int>();
        for (int i = 0; i < labels.Count; i++) lists[labels[i]].Add(i);
        return lists.Select(l => l.ToArray()).ToArray();
    }
}

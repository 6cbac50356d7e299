using Bbn.Abstractions;

namespace Bbn.Samples.Plugin;

/// <summary>Milder than BBN's reversed sampler: p_i proportional to 1/sqrt(N_i).</summary>
public sealed class InverseSquareRootSampler : ISampler
{
    public int[] Sample(SamplingContext context)
    {
        var byClass = Enumerable.Range(0, context.ClassCounts.Count)
            .Select(c => Enumerable.Range(0, context.Labels.Count).Where(i => context.Labels[i] == c).ToArray())
            .ToArray();
        double[] weights = byClass.Select(members => members.Length == 0 ? 0 : 1 / Math.Sqrt(members.Length)).ToArray();
        double total = weights.Sum();
        var result = new int[context.Labels.Count];
        for (int i = 0; i < result.Length; i++)
        {
            double u = context.Random.NextDouble() * total;
            int c = 0;
            while (c < weights.Length - 1 && (u -= weights[c]) >= 0) c++;
            while (byClass[c].Length == 0) c--;
            result[i] = byClass[c][context.Random.Next(byClass[c].Length)];
        }
        return result;
    }
}

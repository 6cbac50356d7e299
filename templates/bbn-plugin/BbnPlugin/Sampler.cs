using System.ComponentModel.DataAnnotations;
using Bbn.Abstractions;

namespace BbnPlugin;

/// <summary>Settings of the sampler, bound from its section (for example Bbn:Method:Samplers:Rebalancing) and validated at start.</summary>
public sealed class SamplerOptions
{
    /// <summary>0 draws classes as often as they have images (uniform over images); 1 draws every class equally often.</summary>
    [Range(0.0, 2.0)]
    public double Power { get; set; } = 0.5;
}

/// <summary>Draws a class with probability proportional to N_i^-Power, then one of its images uniformly.</summary>
public sealed class Sampler(SamplerOptions options) : ISampler
{
    public int[] Sample(SamplingContext context)
    {
        var byClass = Enumerable.Range(0, context.ClassCounts.Count)
            .Select(c => Enumerable.Range(0, context.Labels.Count).Where(i => context.Labels[i] == c).ToArray())
            .ToArray();
        double[] cumulative = new double[byClass.Length];
        double total = 0;
        for (int c = 0; c < byClass.Length; c++)
        {
            // A class's total weight: its size times N_i^-Power per image.
            total += byClass[c].Length == 0 ? 0 : Math.Pow(byClass[c].Length, 1 - options.Power);
            cumulative[c] = total;
        }
        var indices = new int[context.Labels.Count];
        for (int i = 0; i < indices.Length; i++)
        {
            int c = Array.BinarySearch(cumulative, context.Random.NextDouble() * total);
            c = c < 0 ? ~c : c;
            while (byClass[c].Length == 0) c++;
            indices[i] = byClass[c][context.Random.Next(byClass[c].Length)];
        }
        return indices;
    }
}

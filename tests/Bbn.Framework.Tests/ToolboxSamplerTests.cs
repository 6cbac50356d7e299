using Bbn.Abstractions;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>Class frequencies of the re-balancing samplers against their formulas, within 5 standard errors.</summary>
public sealed class ToolboxSamplerTests
{
    private static readonly int[] Counts = [400, 100, 25, 4];
    private static readonly int[] Labels = Counts.SelectMany((n, c) => Enumerable.Repeat(c, n)).ToArray();

    private static double[] Frequencies(string sampler, int epoch, int totalEpochs, int repeats = 60)
    {
        var component = BuiltInComponents.Create<ISampler>(sampler);
        var drawn = new double[Counts.Length];
        for (int r = 0; r < repeats; r++)
            foreach (int i in component.Sample(new SamplingContext(Labels, Counts, epoch, totalEpochs, new Random((r * 1000) + epoch))))
                drawn[Labels[i]]++;
        double total = drawn.Sum();
        return drawn.Select(d => d / total).ToArray();
    }

    private static void ShouldMatch(double[] actual, double[] weights)
    {
        double n = Labels.Length * 60.0;
        double sum = weights.Sum();
        for (int c = 0; c < weights.Length; c++)
        {
            double p = weights[c] / sum;
            actual[c].Should().BeApproximately(p, 5 * Math.Sqrt(p * (1 - p) / n), $"class {c}");
        }
    }

    [Fact]
    public void Class_balanced_draws_every_class_equally()
    {
        ShouldMatch(Frequencies("class-balanced", 1, 1), [1, 1, 1, 1]);
    }

    [Fact]
    public void Square_root_draws_classes_in_proportion_to_the_root_of_their_size()
    {
        ShouldMatch(Frequencies("square-root", 1, 1), [20, 10, 5, 2]);
    }

    [Fact]
    public void Progressive_moves_from_instance_balanced_to_class_balanced()
    {
        ShouldMatch(Frequencies("progressive", 1, 5), [400, 100, 25, 4]);
        ShouldMatch(Frequencies("progressive", 5, 5), [1, 1, 1, 1]);
        // Halfway (t = 0.5): 0.5 * n_i / 529 + 0.5 / 4.
        ShouldMatch(Frequencies("progressive", 3, 5), Counts.Select(n => (0.5 * n / 529.0) + 0.125).ToArray());
    }
}

using Bbn.Abstractions;
using FluentAssertions;

namespace Bbn.Framework.Tests;

public sealed class SamplerTests
{
    private static int[] Labels(params int[] counts) =>
        counts.SelectMany((n, c) => Enumerable.Repeat(c, n)).ToArray();

    [Fact]
    public void Reversed_sampler_class_frequencies_match_the_inverse_count_weights()
    {
        int[] counts = [500, 100, 50, 10];
        int[] labels = Labels(counts);
        var sampler = BuiltInComponents.Create<ISampler>("reversed");
        var drawn = new long[counts.Length];
        const int epochs = 40;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            foreach (int index in sampler.Sample(new SamplingContext(labels, counts, epoch, epochs, new Random(epoch))))
                drawn[labels[index]]++;
        }

        // w_i = N_max / N_i = 1, 5, 10, 50; p_i = w_i / 66.
        double[] expected = [1 / 66.0, 5 / 66.0, 10 / 66.0, 50 / 66.0];
        long total = drawn.Sum();
        total.Should().Be(labels.Length * epochs);
        for (int c = 0; c < counts.Length; c++)
        {
            double frequency = drawn[c] / (double)total;
            double bound = 5 * Math.Sqrt(expected[c] * (1 - expected[c]) / total); // 5 standard errors
            frequency.Should().BeApproximately(expected[c], bound, $"class {c} has weight {counts[0] / counts[c]}");
        }
    }

    [Fact]
    public void Reversed_sampler_draws_images_of_a_class_uniformly()
    {
        int[] counts = [300, 4];
        int[] labels = Labels(counts);
        var sampler = BuiltInComponents.Create<ISampler>("reversed");

        var tailDraws = sampler.Sample(new SamplingContext(labels, counts, 1, 1, new Random(5)))
            .Where(i => labels[i] == 1).GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());

        tailDraws.Keys.Should().BeEquivalentTo([300, 301, 302, 303]);
        int tailTotal = tailDraws.Values.Sum();
        tailDraws.Values.Should().OnlyContain(n => Math.Abs(n - (tailTotal / 4.0)) < 5 * Math.Sqrt(tailTotal * 0.25 * 0.75));
    }

    [Fact]
    public void Uniform_sampler_gives_a_fresh_permutation_each_epoch()
    {
        int[] counts = [40, 20, 5];
        int[] labels = Labels(counts);
        var sampler = BuiltInComponents.Create<ISampler>("uniform");

        int[] first = sampler.Sample(new SamplingContext(labels, counts, 1, 2, new Random(1)));
        int[] second = sampler.Sample(new SamplingContext(labels, counts, 2, 2, new Random(2)));

        first.Should().BeEquivalentTo(Enumerable.Range(0, labels.Length));
        second.Should().BeEquivalentTo(Enumerable.Range(0, labels.Length));
        first.Should().NotEqual(second);
        first.Should().NotEqual(Enumerable.Range(0, labels.Length), "the order is shuffled");
    }

    [Fact]
    public void Samplers_are_reproducible_from_their_seeded_generator()
    {
        int[] counts = [30, 3];
        int[] labels = Labels(counts);
        foreach (string name in new[] { "uniform", "reversed" })
        {
            var sampler = BuiltInComponents.Create<ISampler>(name);
            sampler.Sample(new SamplingContext(labels, counts, 1, 1, new Random(9)))
                .Should().Equal(sampler.Sample(new SamplingContext(labels, counts, 1, 1, new Random(9))), name);
        }
    }
}


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

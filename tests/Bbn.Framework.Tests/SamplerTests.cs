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

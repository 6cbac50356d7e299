using Bbn.Core.Data;
using FluentAssertions;

namespace Bbn.Framework.Tests;

public sealed class LongTailTests
{
    [Fact]
    public void Fashion_mnist_profile_at_imbalance_100_matches_the_hand_computation()
    {
        // floor(6000 * 0.01^(i/9)), i = 0..9, computed independently with python3 (math.floor).
        LongTailProfile.ClassCounts(6000, 100, 10).Should().Equal(6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60);
    }

    [Theory]
    [InlineData(10, 600)]
    [InlineData(50, 120)]
    [InlineData(100, 60)]
    public void Counts_fall_exponentially_from_n_max_to_n_max_over_the_ratio(double ratio, int tail)
    {
        int[] counts = LongTailProfile.ClassCounts(6000, ratio, 10);

        counts[0].Should().Be(6000);
        counts[^1].Should().Be(tail);
        counts.Should().BeInDescendingOrder();
        for (int i = 0; i < counts.Length; i++)
            counts[i].Should().Be((int)Math.Floor(6000 * Math.Pow(1 / ratio, i / 9.0)));
    }

    [Fact]
    public void Cifar100_profile_keeps_500_to_5_at_imbalance_100()
    {
        int[] counts = LongTailProfile.ClassCounts(500, 100, 100);

        counts[0].Should().Be(500);
        counts[^1].Should().Be(5);
        counts.Sum().Should().Be(10847); // the CIFAR-100-LT IR100 training-set size reported by LDAM-DRW and BBN
    }

    [Theory]
    [InlineData(5000, 10, 100, 12406)] // CIFAR-10-LT, the official totals (LDAM-DRW, BBN)
    [InlineData(5000, 10, 50, 13996)]
    [InlineData(5000, 10, 10, 20431)]
    [InlineData(500, 100, 100, 10847)] // CIFAR-100-LT
    [InlineData(500, 100, 50, 12608)]
    [InlineData(500, 100, 10, 19573)]
    public void Cifar_long_tailed_training_sets_have_the_official_sizes(int maxPerClass, int classes, double ratio, int total)
    {
        LongTailProfile.ClassCounts(maxPerClass, ratio, classes).Sum().Should().Be(total);
    }

    [Fact]
    public void The_subset_is_seeded_and_keeps_the_profile_per_class()
    {
        int[] labels = Enumerable.Range(0, 300).Select(i => i % 3).ToArray();
        int[] keep = [100, 30, 7];

        int[] first = LongTailProfile.SelectSubset(labels, keep, seed: 4);
        int[] again = LongTailProfile.SelectSubset(labels, keep, seed: 4);
        int[] other = LongTailProfile.SelectSubset(labels, keep, seed: 5);

        first.Should().Equal(again);
        first.Should().NotEqual(other);
        first.Should().OnlyHaveUniqueItems();
        first.GroupBy(i => labels[i]).ToDictionary(g => g.Key, g => g.Count())
            .Should().BeEquivalentTo(new Dictionary<int, int> { [0] = 100, [1] = 30, [2] = 7 });
    }

    [Fact]
    public void A_maximum_per_class_makes_a_small_profile_of_a_large_split()
    {
        // Fashion-MNIST's 6000 images a class cut to issue 22's shape: 134 down to 13.
        int[] labels = Enumerable.Range(0, 60_000).Select(i => i % 10).ToArray();

        int[] subset = LongTailProfile.Select(labels, 10, 10.3, seed: 0, maxPerClass: 134);

        subset.GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.Count()).Should().Equal(134, 103, 79, 61, 47, 36, 28, 21, 16, 13);
        LongTailProfile.Select(labels, 10, 10.3, seed: 0).Length.Should().BeGreaterThan(subset.Length * 40, "0 keeps the split's largest class as n_max");
    }

    [Fact]
    public void An_imbalance_ratio_below_one_is_refused()
    {
        var act = () => LongTailProfile.ClassCounts(100, 0.5, 10);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}

using Bbn.Core.Data;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>The validation split: held out of training, class-balanced from what the profile leaves out, stratified otherwise, reproducible by its seed.</summary>
public sealed class ValidationSplitTests
{
    // 3 classes of 50 images each, interleaved.
    private static readonly int[] Labels = [.. Enumerable.Range(0, 150).Select(i => i % 3)];

    [Fact]
    public void From_the_left_out_images_it_is_balanced_disjoint_from_training_and_keeps_the_subset()
    {
        // The profile's subset: all 50 of class 0, 20 of class 1, 5 of class 2.
        int[] train = LongTailProfile.SelectSubset(Labels, [50, 20, 5], seed: 0);

        var draw = ValidationSplit.FromLeftOut(Labels, 3, train, perClass: 10, maxFraction: 0.25, seed: 0);

        draw.Validation.Should().NotIntersectWith(draw.Train);
        draw.ValidationCounts(Labels, 3).Should().Equal(10, 10, 10);
        draw.HeldFromTrain.Should().Equal(new[] { 10, 0, 0 }, "only the head class, which the profile keeps whole, gives training images");
        draw.Train.Should().HaveCount(train.Length - 10);
        draw.Train.Should().BeSubsetOf(train).And.ContainInOrder(train.Where(i => Labels[i] != 0));
        draw.Validation.Where(i => Labels[i] != 0).Should().NotIntersectWith(train, "the tail classes' validation images are ones the subset left out");
        draw.Source.Should().Be(ValidationDraw.LeftOut);
    }

    [Fact]
    public void A_class_gives_at_most_the_fraction_of_its_training_images_and_never_its_last()
    {
        int[] labels = [.. Enumerable.Repeat(0, 3), 1, .. Enumerable.Repeat(2, 40)];
        var draw = ValidationSplit.FromLeftOut(labels, 3, [.. Enumerable.Range(0, labels.Length)], perClass: 5, maxFraction: 0.9, seed: 0);
        var capped = ValidationSplit.FromLeftOut(labels, 3, [.. Enumerable.Range(0, labels.Length)], perClass: 5, maxFraction: 0.1, seed: 0);

        draw.HeldFromTrain.Should().Equal(2, 0, 5);
        capped.HeldFromTrain.Should().Equal(0, 0, 4);
        draw.Train.Select(i => labels[i]).Distinct().Should().BeEquivalentTo([0, 1, 2]);
    }

    [Fact]
    public void The_seed_chooses_the_images_and_the_same_seed_the_same_ones()
    {
        int[] train = LongTailProfile.SelectSubset(Labels, [50, 20, 5], seed: 0);

        var a = ValidationSplit.FromLeftOut(Labels, 3, train, 10, 0.25, seed: 1);
        var b = ValidationSplit.FromLeftOut(Labels, 3, train, 10, 0.25, seed: 1);
        var c = ValidationSplit.FromLeftOut(Labels, 3, train, 10, 0.25, seed: 2);

        a.Validation.Should().Equal(b.Validation);
        c.Validation.Should().NotEqual(a.Validation);
    }

    [Fact]
    public void Stratified_holds_out_the_fraction_of_each_class_and_leaves_every_class_in_training()
    {
        int[] labels = [.. Enumerable.Repeat(0, 40), .. Enumerable.Repeat(1, 10), .. Enumerable.Repeat(2, 2), 3];
        int[] all = [.. Enumerable.Range(0, labels.Length)];

        var draw = ValidationSplit.Stratified(labels, 4, all, fraction: 0.25, seed: 0);

        draw.ValidationCounts(labels, 4).Should().Equal(new[] { 10, 3, 1, 0 }, "a quarter, rounded, at least one where there are two, none of a single image");
        draw.Train.Select(i => labels[i]).Distinct().Should().HaveCount(4);
        draw.Train.Concat(draw.Validation).Order().Should().Equal(all);
    }
}

using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>
/// Issue 22: on a few hundred long-tailed images the default BBN composition learns about as well as
/// CE at the same budget, while the official per-epoch warm-up (MinWarmupSteps 0), whose 20 warm-up steps
/// are too short for BBN's doubled first logits, collapses onto the head classes.
/// </summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class SmallDataTests(ITestOutputHelper output)
{
    // 256 training images in 8 classes, 80 down to 8 (imbalance 10): 4 steps an epoch at batch 64.
    private static readonly int[] LongTail = [80, 56, 40, 28, 20, 14, 10, 8];
    private const int Side = 16;
    // Stripes of 60 against 40 under ±40 of noise: hard enough that CE ends near 93 %, not 100 % (at 160 every run,
    // the collapsing one included, reaches 100 % and the test could not fail; at 52 CE ends near 65 %).
    private const int Stripe = 60;

    /// <summary>The defaults but for this set's batch and crop; <paramref name="minWarmupSteps"/> 0 is the official per-epoch warm-up.</summary>
    private static TrainingOptions Defaults(int? minWarmupSteps = null)
    {
        var options = new TrainingOptions
        {
            Epochs = 30,
            BatchSize = 64,
            LrDecayAt = [0.6, 0.8], // the official milestones, as appsettings.json sets them
            CropPadding = 0, // the classes are row stripes: a shifted crop would move them onto another class's rows
            EvaluationBatchSize = 200,
            EvaluateEvery = 30,
            Seed = 5,
        };
        if (minWarmupSteps is { } steps) options.MinWarmupSteps = steps;
        return options;
    }

    private double TestTop1(string method, TrainingOptions options)
    {
        using var train = Synthetic.Set(LongTail, seed: 11, side: Side, stripe: Stripe);
        using var test = Synthetic.Set([.. Enumerable.Repeat(25, LongTail.Length)], seed: 12, side: Side, stripe: Stripe);
        using var session = Sessions.Create(method, options, train, test: test);
        TrainingLoop.Run(session, TrainingPosition.Start, [], CancellationToken.None).Should().Be(TrainingOutcome.Completed);
        var report = session.Evaluation.Test();
        output.WriteLine($"{method} MinWarmupSteps {options.MinWarmupSteps}: top-1 {report.Top1:P1}");
        return report.Top1;
    }

    [Fact]
    public void The_default_bbn_composition_reaches_ce_within_a_few_points_where_the_official_warm_up_collapses()
    {
        double ce = TestTop1("single-branch", Defaults());
        double bbn = TestTop1("bbn", Defaults());
        double official = TestTop1("bbn", Defaults(minWarmupSteps: 0));

        // The figures and the margins' reasoning: docs/investigations/bbn-small-data.md, docs/investigations/processor-independence.md.
        ce.Should().BeGreaterThan(0.8, "the classes are learnable at this budget");
        bbn.Should().BeGreaterThanOrEqualTo(ce - 0.05, "the default BBN composition learns on small data");
        official.Should().BeLessThan(ce - 0.25, "the official schedule's 20 warm-up steps are what the defaults fix");
    }
}

using Bbn.Abstractions;
using Bbn.Abstractions.Optimizers;
using Bbn.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>
/// bal-bce, a method whose loss, optimiser (AdamW) and rate shape all come from its own plugin (plugins/Bbn.Plugins.BalancedBce):
/// the formula by hand, the shape's warm-up and decay, and a session that trains with them, the same twice.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BalancedBceTests
{
    private static readonly StagePlan Plan = new(10, new StageOptimizer(0.1, 0.9, 2e-4, true, LearningRateShape.WarmupMultiStep, 5, [0.6, 0.8], 0.01), [30, 10]);

    [Fact]
    public void The_loss_is_the_binary_cross_entropy_of_the_logits_shifted_by_the_log_prior_summed_over_classes()
    {
        var stage = BuiltInComponents.Create<ITrainingMethod>("bal-bce").Stages(Plan).Single();
        using var z = tensor(new float[] { 0.5f, -1f, 2f, 0.25f }).reshape(2, 2);
        using var y = tensor(new long[] { 0, 1 });

        using var loss = stage.Loss!.Compute(z, y, new LossContext([30, 10], 1, 1));

        double[] logPrior = [Math.Log(0.75), Math.Log(0.25)];
        static double Bce(double logit, double target) => -((target * Math.Log(1 / (1 + Math.Exp(-logit)))) + ((1 - target) * Math.Log(1 - (1 / (1 + Math.Exp(-logit))))));
        double first = Bce(0.5 + logPrior[0], 1) + Bce(-1 + logPrior[1], 0);
        double second = Bce(2 + logPrior[0], 0) + Bce(0.25 + logPrior[1], 1);
        loss.item<float>().Should().BeApproximately((float)((first + second) / 2), 1e-5f);
    }

    [Fact]
    public void Its_stage_brings_adamw_at_its_own_rate_and_a_warm_up_then_cosine_shape()
    {
        var stage = BuiltInComponents.Create<ITrainingMethod>("bal-bce", new() { ["LearningRate"] = "0.002", ["WarmupEpochs"] = "2" }).Stages(Plan).Single();

        stage.Optimizer.LearningRate.Should().Be(0.002);
        stage.Optimizer.WeightDecay.Should().Be(0.05);
        stage.Epochs.Should().Be(10, "the epochs are Bbn:Training's");
        var shape = stage.RateShape!;
        double[] rates = [.. Enumerable.Range(0, 100).Select(i => shape.Rate(0.002, new RatePosition(1 + (i / 10), i % 10, 10, 10)))];
        rates[0].Should().BeGreaterThan(0).And.BeLessThan(0.0002, "the first step starts low");
        rates.Take(20).Should().BeInAscendingOrder("the warm-up rises over its two epochs");
        rates[20].Should().BeApproximately(0.002, 1e-12, "the peak is the base rate");
        rates.Skip(20).Should().BeInDescendingOrder("then the cosine falls");
        rates[^1].Should().BeLessThan(0.002 * 0.01);
    }

    [Fact]
    [Trait(Speed.Name, Speed.Slow)]
    public void A_session_trains_with_the_method_s_adamw_and_shape_the_same_twice()
    {
        using var train = Synthetic.Set([40, 16, 8]);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 8, Seed = 4, LogEverySteps = 100, EvaluationBatchSize = 32 };
        double[] Run(out TrainingSession kept)
        {
            var session = Sessions.Create("bal-bce", options, train);
            session.BeginStage(1, atStageStart: true);
            var plan = session.Stages.PlanEpoch(1);
            int steps = session.Stages.StepsIn(plan);
            var losses = Enumerable.Range(0, 3).Select(s =>
            {
                session.Optimization.LearningRate = session.Stages.LearningRate(1, s, steps);
                return session.Step(plan, s);
            }).ToArray();
            kept = session;
            return losses;
        }

        double[] first = Run(out var a);
        double[] second = Run(out var b);
        using (a)
        using (b)
        {
            a.Optimization.Optimizer.Should().BeOfType<SafeAdamW>();
            a.Optimization.LearningRate.Should().BeLessThan(1e-3, "the warm-up has only begun");
        }
        first.Should().Equal(second);
        first.Should().OnlyContain(l => double.IsFinite(l) && l > 0);
    }
}

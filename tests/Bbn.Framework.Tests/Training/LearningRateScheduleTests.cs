using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

public sealed class LearningRateScheduleTests
{
    // The official WarmupMultiStepLR: warmup factor 1/3 -> 1 over 5 epochs, x0.01 at 120 and 160.
    [Theory]
    [InlineData(1, 0.1 * ((1 / 3.0 * 0.8) + 0.2))]
    [InlineData(4, 0.1 * ((1 / 3.0 * 0.2) + 0.8))]
    [InlineData(5, 0.1)]
    [InlineData(119, 0.1)]
    [InlineData(120, 0.001)]
    [InlineData(159, 0.001)]
    [InlineData(160, 0.00001)]
    [InlineData(200, 0.00001)]
    public void Learning_rate_follows_the_official_warmup_multistep_schedule(int epoch, double expected)
    {
        var schedule = new LearningRateSchedule(0.1, 5, LearningRateSchedule.MilestonesFromFractions([0.6, 0.8], 200), 0.01);

        schedule.At(epoch).Should().BeApproximately(expected, 1e-12);
    }

    [Fact]
    public void Fractions_scale_the_milestones_with_the_run_length()
    {
        LearningRateSchedule.MilestonesFromFractions([0.6, 0.8], 30).Should().Equal(18, 24);
    }

    private static readonly Bbn.Abstractions.StageOptimizer Recipe = new(0.1, 0.9, 2e-4, true, Bbn.Abstractions.LearningRateShape.WarmupMultiStep, 5, [0.6, 0.8], 0.01);

    [Fact]
    public void A_warm_up_of_at_least_the_minimum_steps_stays_per_epoch()
    {
        // CIFAR-10-LT at batch 128: 97 steps an epoch, 485 warm-up steps >= 100.
        var schedule = LearningRateSchedule.For(Recipe, 200, minWarmupSteps: 100);
        foreach (int epoch in new[] { 1, 3, 5, 120, 160 })
        {
            foreach (int step in new[] { 0, 50, 96 }) schedule.At(epoch, step, 97).Should().Be(schedule.At(epoch));
        }
    }

    [Theory]
    [InlineData(1, 0, 0.1 / 60)] // 4 steps an epoch over 30 epochs: the warm-up is min(100, 120 / 2) = 60 steps from 0
    [InlineData(1, 3, 0.1 * 4 / 60)]
    [InlineData(8, 1, 0.1 * 30 / 60)]
    [InlineData(15, 3, 0.1)]
    [InlineData(16, 0, 0.1)]
    [InlineData(18, 0, 0.001)] // the milestones stay: 0.6 of 30 epochs
    public void A_shorter_warm_up_runs_per_step_from_zero_over_the_minimum_at_most_half_the_stage(int epoch, int step, double expected)
    {
        var schedule = LearningRateSchedule.For(Recipe, 30, minWarmupSteps: 100);

        schedule.At(epoch, step, 4).Should().BeApproximately(expected, 1e-12);
    }

    [Fact]
    public void The_default_settings_keep_the_official_schedule_and_no_clipping_at_the_cifar_lt_recipe()
    {
        // CIFAR-10-LT (IR 100): 12406 images, batch 128: 96 full steps an epoch, 200 epochs, 5 warm-up epochs.
        var defaults = new TrainingOptions { Epochs = 200, LrDecayAt = [0.6, 0.8] };
        var official = new LearningRateSchedule(0.1, 5, LearningRateSchedule.MilestonesFromFractions([0.6, 0.8], 200), 0.01);
        var schedule = LearningRateSchedule.For(defaults.Recipe(), defaults.Epochs, defaults.MinWarmupSteps);

        schedule.IsShortWarmup(12406 / 128).Should().BeFalse("480 warm-up steps are more than the default minimum");
        for (int epoch = 1; epoch <= 200; epoch++)
        {
            foreach (int step in new[] { 0, 47, 95 }) schedule.At(epoch, step, 96).Should().Be(official.At(epoch));
        }
        schedule.IsShortWarmup(4).Should().BeTrue("4 steps an epoch make a 20-step warm-up");
    }

    // kaiming/LDAM-DRW cifar_train.py adjust_learning_rate over 1-based e: lr e / 5 for e <= 5,
    // x0.01 for e > 160, x0.0001 for e > 180.
    [Theory]
    [InlineData(1, 0.02)]
    [InlineData(5, 0.1)]
    [InlineData(6, 0.1)]
    [InlineData(160, 0.1)]
    [InlineData(161, 0.001)]
    [InlineData(180, 0.001)]
    [InlineData(181, 0.00001)]
    [InlineData(200, 0.00001)]
    public void The_ldam_drw_schedule_follows_its_official_code(int epoch, double expected)
    {
        var options = new TrainingOptions { LrSchedule = "ldam-drw", LrDecayAt = [0.8, 0.9], LrDecayFactor = 0.01, WarmupEpochs = 5 };

        LearningRateSchedule.For(options.Recipe(), 200).At(epoch).Should().BeApproximately(expected, 1e-12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_one_or_two_epoch_run_has_no_milestone_and_ends_its_warm_up_at_the_base_rate(int epochs)
    {
        var options = new TrainingOptions { Epochs = epochs, LrDecayAt = [0.6, 0.8], WarmupEpochs = 5 };

        LearningRateSchedule.MilestonesFromFractions(options.LrDecayAt, epochs, options.WarmupEpochs).Should().BeEmpty();
        var schedule = LearningRateSchedule.For(options.Recipe(), epochs);
        schedule.At(1).Should().BeApproximately(0.1 * ((1 / 3.0 * 0.8) + 0.2), 1e-12, "the warm-up's first epoch, not lr x 1e-4");
    }

    [Fact]
    public void A_milestone_never_falls_on_the_first_epoch_or_inside_the_warm_up()
    {
        LearningRateSchedule.MilestonesFromFractions([0.1, 0.6], 10, warmupEpochs: 5).Should().Equal(new[] { 5, 6 }, "0.1 of 10 is epoch 1, inside the warm-up; it moves to its end");
        LearningRateSchedule.MilestonesFromFractions([0.1, 0.6], 10, warmupEpochs: 0).Should().Equal(2, 6);
        LearningRateSchedule.MilestonesFromFractions([0.6, 0.8], 200, warmupEpochs: 5).Should().Equal(120, 160);
    }

    [Fact]
    public void An_unknown_schedule_name_is_refused_with_the_choices()
    {
        var act = () => new TrainingOptions { LrSchedule = "step" }.Recipe();

        act.Should().Throw<ArgumentException>().WithMessage("*LrSchedule = 'step'*warmup-multistep, ldam-drw, cosine, constant*");
    }
}

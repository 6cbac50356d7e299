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
}

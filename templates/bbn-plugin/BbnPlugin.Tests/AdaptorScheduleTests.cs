using BbnPlugin;
using Xunit;

namespace BbnPlugin.Tests;

public sealed class AdaptorScheduleTests
{
    [Theory]
    [InlineData(1.0, 6, 0.5)]
    [InlineData(2.0, 6, 0.75)]
    public void Alpha_falls_from_one_by_the_power(double power, int epoch, double expected)
    {
        var schedule = new AdaptorSchedule(new AdaptorScheduleOptions { Power = power });
        Assert.Equal(1.0, schedule.Weight(1, 10), 12);
        Assert.Equal(expected, schedule.Weight(epoch, 10), 12);
    }
}

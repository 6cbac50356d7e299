using Bbn.Abstractions;
using FluentAssertions;

namespace Bbn.Framework.Tests;

public sealed class AdaptorScheduleTests
{
    // Hand-computed with E = 10: t = (e - 1) / 10.
    [Theory]
    [InlineData("parabolic", 1, 1.0)]
    [InlineData("parabolic", 2, 0.99)]
    [InlineData("parabolic", 6, 0.75)]
    [InlineData("parabolic", 10, 0.19)]
    [InlineData("linear", 1, 1.0)]
    [InlineData("linear", 4, 0.7)]
    [InlineData("linear", 10, 0.1)]
    [InlineData("cosine", 1, 1.0)]
    [InlineData("cosine", 6, 0.70710678118654757)] // cos(pi/4)
    [InlineData("cosine", 10, 0.15643446504023087)] // cos(0.9 * pi/2)
    public void Alpha_matches_the_hand_computation(string schedule, int epoch, double expected)
    {
        var adaptor = BuiltInComponents.Create<IAdaptorSchedule>(schedule);

        adaptor.Alpha(epoch, 10).Should().BeApproximately(expected, 1e-12);
    }

    [Fact]
    public void Parabolic_alpha_falls_from_one_towards_zero_over_the_run()
    {
        var adaptor = BuiltInComponents.Create<IAdaptorSchedule>("parabolic");

        var alphas = Enumerable.Range(1, 200).Select(e => adaptor.Alpha(e, 200)).ToArray();

        alphas.Should().BeInDescendingOrder();
        alphas[0].Should().Be(1);
        alphas[^1].Should().BeApproximately(1 - Math.Pow(199 / 200.0, 2), 1e-12);
    }

    // The official combiner's div_epoch: 100 (E div 100 + 1) for 90 and 180 epochs, E otherwise.
    [Theory]
    [InlineData("parabolic", 180, 0.19897500000000002)] // 1 - (179/200)^2
    [InlineData("parabolic", 90, 0.20789999999999997)] // 1 - (89/100)^2
    [InlineData("parabolic", 200, 0.009975000000000001)] // 1 - (199/200)^2
    [InlineData("linear", 180, 0.10499999999999998)] // 1 - 179/200
    [InlineData("parabolic-increment", 180, 0.801025)] // (179/200)^2
    public void The_last_alpha_divides_by_the_official_div_epoch(string schedule, int epochs, double expected)
    {
        var adaptor = BuiltInComponents.Create<IAdaptorSchedule>(schedule);

        adaptor.Alpha(epochs, epochs).Should().BeApproximately(expected, 1e-12);
    }

    [Fact]
    public void Without_the_official_divisor_a_180_epoch_run_divides_by_its_length()
    {
        var adaptor = BuiltInComponents.Create<IAdaptorSchedule>("parabolic", new Dictionary<string, string?> { ["OfficialDivisor"] = "false" });

        adaptor.Alpha(180, 180).Should().BeApproximately(1 - Math.Pow(179 / 180.0, 2), 1e-12);
    }

    [Fact]
    public void An_epoch_outside_the_run_is_refused()
    {
        var adaptor = BuiltInComponents.Create<IAdaptorSchedule>("linear");

        var act = () => adaptor.Alpha(11, 10);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}

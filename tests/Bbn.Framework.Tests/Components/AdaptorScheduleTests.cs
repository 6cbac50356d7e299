using Bbn.Abstractions;
using Bbn.Core.Data;
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
        var adaptor = BuiltInComponents.Create<IWeightSchedule>(schedule);

        adaptor.Weight(epoch, 10).Should().BeApproximately(expected, 1e-12);
    }

    [Fact]
    public void Parabolic_alpha_falls_from_one_towards_zero_over_the_run()
    {
        var adaptor = BuiltInComponents.Create<IWeightSchedule>("parabolic");

        var alphas = Enumerable.Range(1, 200).Select(e => adaptor.Weight(e, 200)).ToArray();

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
        var adaptor = BuiltInComponents.Create<IWeightSchedule>(schedule);

        adaptor.Weight(epochs, epochs).Should().BeApproximately(expected, 1e-12);
    }

    [Fact]
    public void Without_the_official_divisor_a_180_epoch_run_divides_by_its_length()
    {
        var adaptor = BuiltInComponents.Create<IWeightSchedule>("parabolic", new Dictionary<string, string?> { ["OfficialDivisor"] = "false" });

        adaptor.Weight(180, 180).Should().BeApproximately(1 - Math.Pow(179 / 180.0, 2), 1e-12);
    }

    [Fact]
    public void An_epoch_outside_the_run_is_refused()
    {
        var adaptor = BuiltInComponents.Create<IWeightSchedule>("linear");

        var act = () => adaptor.Weight(11, 10);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}


public sealed class ToolboxScheduleTests
{
    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(6, 0.25)]
    [InlineData(10, 0.81)]
    public void Parabolic_increment_is_the_square_of_the_progress(int epoch, double expected)
    {
        BuiltInComponents.Create<IWeightSchedule>("parabolic-increment").Weight(epoch, 10).Should().BeApproximately(expected, 1e-12);
    }

    [Fact]
    public void Fixed_returns_its_value_and_step_switches_at_its_fraction()
    {
        var fixedAlpha = BuiltInComponents.Create<IWeightSchedule>("fixed", new Dictionary<string, string?> { ["Value"] = "0.3" });
        var step = BuiltInComponents.Create<IWeightSchedule>("step", new Dictionary<string, string?> { ["SwitchAt"] = "0.5" });

        Enumerable.Range(1, 10).Select(e => fixedAlpha.Weight(e, 10)).Should().AllBeEquivalentTo(0.3);
        Enumerable.Range(1, 10).Select(e => step.Weight(e, 10)).Should().Equal(1, 1, 1, 1, 1, 0, 0, 0, 0, 0);
        var byDefault = BuiltInComponents.Create<IWeightSchedule>("step");
        Enumerable.Range(1, 200).Count(e => byDefault.Weight(e, 200) == 1).Should().Be(120, "the official combiner: l = 1 if epoch <= 120 else 0");
        byDefault.Weight(121, 200).Should().Be(0);
        var byEpoch = BuiltInComponents.Create<IWeightSchedule>("step", new Dictionary<string, string?> { ["SwitchEpoch"] = "3" });
        Enumerable.Range(1, 5).Select(e => byEpoch.Weight(e, 5)).Should().Equal(1, 1, 0, 0, 0);
    }

    [Fact]
    public void Beta_draws_per_step_with_the_mean_and_variance_of_beta_a_a()
    {
        const double a = 0.2;
        var beta = BuiltInComponents.Create<IWeightSchedule>("beta", new Dictionary<string, string?> { ["Concentration"] = "0.2" });

        double[] draws = Enumerable.Range(0, 20000).Select(s => beta.Weight(new ScheduleStep(1, 2, s, SeedStreams.Random(1, "adaptor", 1, s)))).ToArray();

        draws.Should().OnlyContain(x => x >= 0 && x <= 1);
        double mean = draws.Average();
        double variance = draws.Select(x => (x - mean) * (x - mean)).Average();
        double expectedVariance = 1 / (4 * ((2 * a) + 1)); // a^2 / ((2a)^2 (2a + 1))
        mean.Should().BeApproximately(0.5, 5 * Math.Sqrt(expectedVariance / draws.Length));
        variance.Should().BeApproximately(expectedVariance, 0.01);
        beta.Weight(new ScheduleStep(1, 2, 7, new Random(3))).Should().Be(beta.Weight(new ScheduleStep(1, 2, 7, new Random(3))));
        beta.Weight(1, 2).Should().Be(0.5, "the epoch-level value is the distribution's mean");
    }

    [Fact]
    public void Per_epoch_schedules_give_the_same_alpha_for_every_step()
    {
        var parabolic = BuiltInComponents.Create<IWeightSchedule>("parabolic");

        parabolic.Weight(new ScheduleStep(3, 10, 17, new Random(1))).Should().Be(parabolic.Weight(3, 10));
    }

    [Fact]
    public void A_schedule_option_out_of_range_names_the_setting_value_and_range()
    {
        var act = () => BuiltInComponents.Create<IWeightSchedule>("fixed", new Dictionary<string, string?> { ["Value"] = "1.5" });

        act.Should().Throw<ComponentConfigurationException>()
            .WithMessage("Setting Test:Component:Value = '1.5' is invalid: expected a number from 0 to 1.*");
    }
}

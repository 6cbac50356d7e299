using Bbn.Core.Evaluation;
using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>When a run trains again on its validation images (Bbn:Validation:Refit), and the reason the log gives.</summary>
public sealed class RefitPolicyTests
{
    [Theory]
    [InlineData(RefitMode.Auto, 54, 538, 1, true)]       // a tenth of a small folder without val/
    [InlineData(RefitMode.Auto, 20, 12_000, 1, false)]   // the left-out draw of a long-tailed profile: 20 head images of 12,000
    [InlineData(RefitMode.Always, 20, 12_000, 1, true)]
    [InlineData(RefitMode.Never, 54, 538, 1, false)]
    [InlineData(RefitMode.Always, 0, 538, 1, false)]     // a dataset's own split takes no training image: nothing to give back
    [InlineData(RefitMode.Auto, 54, 538, 2, false)]      // not under mpirun yet
    public void The_decision_follows_the_setting_and_the_share_of_training_images_held_out(RefitMode setting, int held, int subset, int ranks, bool expected)
    {
        var (refit, reason) = RefitPolicy.Decide(setting, held, subset, ranks);

        refit.Should().Be(expected);
        reason.Should().StartWith(expected ? "refit:" : "no refit");
        if (held > 0) reason.Should().Contain($"{held} of the {subset} training images");
    }

    [Fact]
    public void Auto_refits_just_above_its_share_and_not_at_it()
    {
        RefitPolicy.Decide(RefitMode.Auto, 21, 1000, 1).Refit.Should().BeTrue();
        RefitPolicy.Decide(RefitMode.Auto, 20, 1000, 1).Refit.Should().BeFalse();
    }
}

using Bbn.Hosting.Verbs;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>How a verb's positional arguments and flags become its settings, and what it refuses.</summary>
public sealed class VerbArgumentTests
{
    [Theory]
    [InlineData("predict", new[] { "runs/a", "x.png", "folder", "--top", "3", "--json", "--Bbn:Training:Device=cpu" },
        new[] { "--Bbn:Predict:Checkpoint=runs/a", "--Bbn:Predict:Inputs:0=x.png", "--Bbn:Predict:Inputs:1=folder", "--Bbn:Predict:Top=3", "--Bbn:Predict:Json=true", "--Bbn:Training:Device=cpu" })]
    [InlineData("export", new[] { "runs/a", "out.pth" }, new[] { "--Bbn:Export:Checkpoint=runs/a", "--Bbn:Export:Output=out.pth" })]
    [InlineData("evaluate", new[] { "--Bbn:Training:Seed", "3", "runs/a" }, new[] { "--Bbn:Training:Seed", "3", "--Bbn:Evaluate:Checkpoint=runs/a" })]
    public void Positional_arguments_and_flags_become_the_verbs_settings(string verb, string[] args, string[] settings) =>
        VerbArguments.ToSettings(verb, args).Should().Equal(settings);

    [Fact]
    public async Task An_argument_a_verb_does_not_take_is_refused_with_its_usage()
    {
        var (code, _, error) = await AppRunner.Run("export", "runs/a", "out.pth", "extra.pth");

        code.Should().Be(2);
        error.Should().Contain("'extra.pth' is not understood by export. Usage: export <run directory | checkpoint.bbn> <output.pth>");
    }
}

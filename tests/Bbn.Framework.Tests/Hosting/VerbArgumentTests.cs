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

/// <summary>A verb's failure is one line on stderr naming the verb and the cause; --verbose adds the stack trace.</summary>
public sealed class VerbFailureTests
{
    [Fact]
    public async Task A_failing_verb_prints_one_line_naming_it_and_the_cause_once()
    {
        var (code, _, error) = await AppRunner.Run("evaluate", "/nonexistent/run");

        code.Should().Be(1);
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle().Which.Should().StartWith("evaluate failed: ").And.Contain("/nonexistent/run");
    }

    [Fact]
    public async Task Verbose_adds_the_stack_trace_after_that_line()
    {
        var (code, _, error) = await AppRunner.Run("evaluate", "/nonexistent/run", "--verbose");

        code.Should().Be(1);
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().StartWith("evaluate failed: ");
        lines.Should().Contain(l => l.TrimStart().StartsWith("at Bbn.", StringComparison.Ordinal), "the stack trace follows");
    }
}

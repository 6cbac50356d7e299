using Bbn.Core.Runs;
using Bbn.Core.Training;
using Bbn.Hosting;
using Bbn.Hosting.Console;
using Bbn.Hosting.Verbs;
using FluentAssertions;
using Spectre.Console;

namespace Bbn.Framework.Tests;

public sealed class ConsoleOutputTests
{
    private static IAnsiConsole Console(StringWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = interactive ? new TerminalOutput(writer) : new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Yes : AnsiSupport.No,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return console;
    }

    [Fact]
    public void A_terminal_gets_a_live_progress_display_with_step_loss_speed_and_eta()
    {
        using var writer = new StringWriter();
        var console = Console(writer, interactive: true);
        TerminalProgress.IsAvailable(console).Should().BeTrue();

        int result = TerminalProgress.Run(console, epochs: 2, observer =>
        {
            observer.StepCompleted(new StepProgress(1, 5, 10, 0.6931, 321, TimeSpan.FromSeconds(75)));
            observer.EpochCompleted(new EpochMetrics(1, 0.1, 0.5, 0.8123, null, null, null, 320, 30, 10), TimeSpan.FromMinutes(2));
            observer.StepCompleted(new StepProgress(2, 10, 10, 0.4321, 330, TimeSpan.Zero));
            return 42;
        });

        result.Should().Be(42);
        string raw = writer.ToString();
        raw.Should().Contain("\u001b[", "a live display redraws with ANSI escape codes");
        string shown = System.Text.RegularExpressions.Regex.Replace(raw, @"\u001b\[[0-9;?]*[A-Za-z]", "");
        shown.Should().Contain("epoch 2/2 step 10/10 loss 0.4321 330 img/s, epoch ETA 0m00s").And.Contain("run: epoch 1/2 done, top-1 81.23 %, run ETA 2m00s");
    }

    [Fact]
    public void Redirected_output_gets_no_live_display()
    {
        using var writer = new StringWriter();
        TerminalProgress.IsAvailable(Console(writer, interactive: false)).Should().BeFalse();
    }
}

/// <summary>A terminal as Spectre.Console sees one, writing into a test's writer.</summary>
internal sealed class TerminalOutput(TextWriter writer) : IAnsiConsoleOutput
{
    public TextWriter Writer => writer;
    public bool IsTerminal => true;
    public int Width => 200;
    public int Height => 50;

    public void SetEncoding(System.Text.Encoding encoding)
    {
    }
}

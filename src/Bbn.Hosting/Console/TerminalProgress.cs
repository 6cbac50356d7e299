using Bbn.Core.Runs;
using System.Globalization;
using Bbn.Core.Training;
using Spectre.Console;
using static Bbn.Hosting.Console.TextFormat;

namespace Bbn.Hosting.Console;

/// <summary>
/// A live progress display on an interactive terminal (Spectre.Console): one bar for the run and
/// one for the current epoch (step, loss, images/s, ETA of the epoch and of the run). Where output is
/// redirected (CI, a log file, a service) the trainer logs plain lines instead.
/// </summary>
public static class TerminalProgress
{
    /// <summary>True where a live display works: an interactive terminal that understands ANSI codes.</summary>
    public static bool IsAvailable(IAnsiConsole console) =>
        console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;

    /// <summary>Runs <paramref name="body"/> with an observer that drives the display; returns its result.</summary>
    public static T Run<T>(IAnsiConsole console, int epochs, Func<ITrainingObserver, T> body)
    {
        T result = default!;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var observer = new ProgressObserver(context, epochs);
                result = body(observer);
            });
        return result;
    }

    /// <summary>Two bars: the run (epochs) and the current epoch (steps), each with its own ETA in the description.</summary>
    private sealed class ProgressObserver(ProgressContext context, int epochs) : ITrainingObserver
    {
        private readonly ProgressTask run = context.AddTask($"run: epoch 1/{epochs}", maxValue: epochs);
        private readonly ProgressTask epoch = context.AddTask("epoch 1: starting", maxValue: 1);

        public void StepCompleted(StepProgress progress)
        {
            epoch.MaxValue = progress.StepsInEpoch;
            epoch.Value = progress.Step;
            epoch.Description = string.Create(CultureInfo.InvariantCulture,
                $"epoch {progress.Epoch}/{epochs} step {progress.Step}/{progress.StepsInEpoch} loss {progress.MeanLoss:0.0000} {progress.ImagesPerSecond:0} img/s, epoch ETA {Duration(progress.EpochRemaining)}");
            run.Value = progress.Epoch - 1 + (progress.Step / (double)progress.StepsInEpoch);
        }

        public void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining)
        {
            epoch.Value = epoch.MaxValue;
            run.Value = metrics.Epoch;
            run.Description = string.Create(CultureInfo.InvariantCulture,
                $"run: epoch {metrics.Epoch}/{epochs} done, top-1 {Percent(metrics.Top1)}, run ETA {Duration(runRemaining)}");
        }
    }
}

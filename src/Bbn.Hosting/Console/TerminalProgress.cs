using System.Globalization;
using Bbn.Core;
using Bbn.Core.Training;
using Spectre.Console;

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
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => result = body(new ProgressObserver(context, epochs)));
        return result;
    }

    private sealed class ProgressObserver(ProgressContext context, int epochs) : ITrainingObserver
    {
        private readonly ProgressTask run = context.AddTask($"run: epoch 1/{epochs}", maxValue: epochs);
        private ProgressTask? epoch;
        private int epochNumber;

        public void StepCompleted(StepProgress progress)
        {
            if (epoch is null || epochNumber != progress.Epoch)
            {
                epoch?.StopTask();
                epoch = context.AddTask($"epoch {progress.Epoch}", maxValue: progress.StepsInEpoch);
                epochNumber = progress.Epoch;
            }
            epoch.Value = progress.Step;
            epoch.Description = string.Create(CultureInfo.InvariantCulture,
                $"epoch {progress.Epoch}/{epochs} step {progress.Step}/{progress.StepsInEpoch} loss {progress.MeanLoss:0.0000} {progress.ImagesPerSecond:0} img/s, epoch ETA {Duration(progress.EpochRemaining)}");
            run.Value = progress.Epoch - 1 + (progress.Step / (double)progress.StepsInEpoch);
        }

        public void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining)
        {
            if (epoch is not null)
            {
                epoch.Value = epoch.MaxValue;
                epoch.StopTask();
                epoch = null;
            }
            run.Value = metrics.Epoch;
            string top1 = metrics.Top1 is { } t ? t.ToString("P2", CultureInfo.InvariantCulture) : "-";
            run.Description = string.Create(CultureInfo.InvariantCulture,
                $"run: epoch {metrics.Epoch}/{epochs} done, top-1 {top1}, run ETA {Duration(runRemaining)}");
        }

        private static string Duration(TimeSpan span) =>
            span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m" : $"{span.Minutes}m{span.Seconds:00}s";
    }
}

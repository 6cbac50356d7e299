using Bbn.Core.Runs;
using System.Globalization;
using Bbn.Core.Training;
using Microsoft.Extensions.Logging;
using static Bbn.Hosting.Console.TextFormat;

namespace Bbn.Hosting.Verbs;

/// <summary>One log line per progress report (unless a live display shows them) and per epoch.</summary>
internal sealed class LoggingObserver(ILogger logger, int epochs, bool stepLines = true) : ITrainingObserver
{
    public void StageStarted(int stage, int stages, string name, string branchExecution) =>
        TrainLog.StageStarted(logger, stage, stages, name, branchExecution);

    public void StepCompleted(StepProgress p)
    {
        if (stepLines) TrainLog.Progress(logger, p.Epoch, p.Step, p.StepsInEpoch, p.MeanLoss, p.ImagesPerSecond, Duration(p.EpochRemaining));
    }

    public void EpochCompleted(EpochMetrics m, TimeSpan runRemaining) =>
        TrainLog.Epoch(logger, m.Epoch, epochs, MethodFigures(m.Method), m.Lr, m.TrainLoss, Percent(m.Top1), Percent(m.Many), Percent(m.Medium), Percent(m.Few), Percent(m.ValidationTop1),
            m.ImagesPerSecond, m.EpochSeconds, Duration(runRemaining));

    /// <summary>" name 0.1234" for each figure the method reports, in its order.</summary>
    private static string MethodFigures(IReadOnlyDictionary<string, double>? method) =>
        method is null ? "" : string.Concat(method.Select(f => string.Create(System.Globalization.CultureInfo.InvariantCulture, $" {f.Key} {f.Value:F4}")));

    public void HeapReleased(int epoch, long residentBytesBefore, long residentBytesAfter) =>
        TrainLog.HeapReleased(logger, epoch, residentBytesBefore >> 20, residentBytesAfter >> 20);

    public void Warned(RunWarning warning) => TrainLog.NotLearning(logger, warning.Message);

    public void Estimated(TimeSpan training, int remainingSteps, int measuredSteps) =>
        TrainLog.Estimated(logger, Duration(training), remainingSteps, measuredSteps);
}

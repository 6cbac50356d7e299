using Bbn.Core.Runs;
using Bbn.Core.Evaluation;

namespace Bbn.Core.Training;

/// <summary>summary.json from an evaluation: the one place a run's and the evaluate verb's summaries are made.</summary>
public static class Summaries
{
    public static RunSummary Of(string method, EvaluationReport report, IReadOnlyList<string> classNames, int[] classCounts, int epochs,
        TrainingPosition position, TrainingOptions options, string? checkpoint, long skippedImages) => new(
        method, report.Top1, report.Many, report.Medium, report.Few, report.PerClass,
        classNames, classCounts, epochs,
        position.TrainingSeconds > 0 ? position.ImagesSeen / position.TrainingSeconds : 0,
        position.TrainingSeconds, report.Samples, options.ManyShotThreshold, options.FewShotThreshold, checkpoint,
        report.ConfusionMatrix, report.ExpectedCalibrationError, report.ShotGroups, skippedImages);
}

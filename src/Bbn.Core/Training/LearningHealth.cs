using System.Globalization;
using Bbn.Core.Evaluation;

namespace Bbn.Core.Training;

/// <summary>A sign that a run is not learning, raised once per kind; status.json and summary.json carry it.</summary>
/// <param name="Kind">loss-at-chance or collapsed-predictions.</param>
/// <param name="Epoch">The epoch (counted over every stage) at which it was first seen.</param>
/// <param name="Message">What was seen and which settings to look at.</param>
public sealed record RunWarning(string Kind, int Epoch, string Message);

/// <summary>
/// The two signs of a run that does not learn, checked after a stage's warm-up: a training loss that
/// has not fallen below chance level ln C (a network that predicts the uniform distribution scores
/// exactly ln C), and predictions collapsed onto a few classes, seen as nearly empty columns of the
/// confusion matrix: at least half of the classes predicted for under a tenth of their test images.
/// </summary>
public static class LearningHealth
{
    public const string LossAtChance = "loss-at-chance";
    public const string CollapsedPredictions = "collapsed-predictions";

    /// <summary>A column holding fewer predictions than this fraction of its class's test images is nearly empty.</summary>
    public const double NearlyEmptyShare = 0.1;

    private const string Settings = "look at Bbn:Training:LearningRate, Bbn:Training:WarmupEpochs (and MinWarmupSteps), Bbn:Backbone:ZeroInitResidual and the batch size";

    public static RunWarning? CheckLoss(int epoch, double trainLoss, int classCount)
    {
        double chance = Math.Log(classCount);
        if (classCount < 2 || (double.IsFinite(trainLoss) && trainLoss < chance)) return null;
        return new RunWarning(LossAtChance, epoch, string.Create(CultureInfo.InvariantCulture,
            $"Epoch {epoch}: the training loss {trainLoss:F3} has not fallen below chance level ln {classCount} = {chance:F3} after the warm-up; the run is not learning: {Settings}."));
    }

    public static RunWarning? CheckPredictions(int epoch, EvaluationReport report, IReadOnlyList<string> classNames)
    {
        var confusion = report.ConfusionMatrix;
        int classes = confusion.Length;
        if (classes < 3) return null;
        long[] tested = confusion.Select(row => row.Sum()).ToArray();
        long[] predicted = Enumerable.Range(0, classes).Select(c => confusion.Sum(row => row[c])).ToArray();
        long total = tested.Sum();
        if (total == 0) return null;
        int[] empty = Enumerable.Range(0, classes).Where(c => tested[c] > 0 && predicted[c] < NearlyEmptyShare * tested[c]).ToArray();
        if (empty.Length * 2 < classes) return null;
        string top = string.Join(", ", Enumerable.Range(0, classes).OrderByDescending(c => predicted[c]).Take(3)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{classNames[c]} {100.0 * predicted[c] / total:F0} %")));
        return new RunWarning(CollapsedPredictions, epoch, string.Create(CultureInfo.InvariantCulture,
            $"Epoch {epoch}: the predictions have collapsed: {empty.Length} of {classes} classes get under a tenth of their test images (most predicted: {top}; top-1 {100 * report.Top1:F1} %): {Settings}."));
    }
}

using Bbn.Core.Data;
using Bbn.Core.Model;
using static TorchSharp.torch;

namespace Bbn.Core.Evaluation;

/// <summary>Top-1 accuracy overall, per class and per shot group (BBN inference: alpha = 0.5).</summary>
public static class Evaluator
{
    public static EvaluationReport Evaluate(BilateralBranchNetwork network, ImageSet test, BatchAugmenter preprocessing,
        int batchSize, IReadOnlyList<int> trainingClassCounts, ShotThresholds thresholds, Func<Tensor, Tensor>? adjustLogits = null)
    {
        int classCount = test.ClassNames.Count;
        var correct = new long[classCount];
        var seen = new long[classCount];
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < test.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int length = Math.Min(batchSize, test.Count - start);
                var images = test.Images.narrow(0, start, length);
                var inputs = preprocessing.Normalize(images);
                var logits = network.call(inputs);
                if (adjustLogits is not null) logits = adjustLogits(logits);
                var predicted = logits.argmax(1).cpu().data<long>().ToArray();
                for (int i = 0; i < length; i++)
                {
                    int label = test.LabelArray[start + i];
                    seen[label]++;
                    if (predicted[i] == label) correct[label]++;
                }
            }
        }
        finally
        {
            network.train(wasTraining);
        }
        return EvaluationReport.From(correct, seen, trainingClassCounts, thresholds);
    }
}

/// <summary>Many-shot: more than <paramref name="Many"/> training images; few-shot: fewer than <paramref name="Few"/>.</summary>
public sealed record ShotThresholds(int Many, int Few);

public sealed record EvaluationReport(double Top1, double? Many, double? Medium, double? Few, double?[] PerClass, long Samples)
{
    public static EvaluationReport From(long[] correct, long[] seen, IReadOnlyList<int> trainingClassCounts, ShotThresholds thresholds)
    {
        double?[] perClass = correct.Zip(seen, (c, n) => n == 0 ? (double?)null : c / (double)n).ToArray();
        long total = seen.Sum();
        double top1 = total == 0 ? 0 : correct.Sum() / (double)total;
        return new EvaluationReport(
            top1,
            GroupAccuracy(perClass, trainingClassCounts, n => n > thresholds.Many),
            GroupAccuracy(perClass, trainingClassCounts, n => n <= thresholds.Many && n >= thresholds.Few),
            GroupAccuracy(perClass, trainingClassCounts, n => n < thresholds.Few),
            perClass,
            total);
    }

    // Mean of the group's per-class accuracies (the usual many/medium/few definition); null when the group is empty.
    private static double? GroupAccuracy(double?[] perClass, IReadOnlyList<int> counts, Func<int, bool> inGroup)
    {
        var members = perClass.Where((accuracy, c) => accuracy.HasValue && inGroup(counts[c])).Select(a => a!.Value).ToArray();
        return members.Length == 0 ? null : members.Average();
    }
}

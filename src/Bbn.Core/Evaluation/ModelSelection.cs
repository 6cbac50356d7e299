
namespace Bbn.Core.Evaluation;

/// <summary>The validation metrics a run is selected by.</summary>
public static class ModelSelection
{
    /// <summary>
    /// Below this many validation images, one image moves an accuracy by more than a point and the chosen epoch and knobs are
    /// mostly noise: the log and compare's table warn, and likewise wherever one image moves the selection score by more than a point.
    /// </summary>
    public const int FewValidationImages = 100;

    /// <summary>Whether one validation image moves the selection score by more than a point (<paramref name="scoreStep"/> a fraction).</summary>
    public static bool TooCoarse(double scoreStep) => scoreStep > 1.0 / FewValidationImages;

    /// <summary>
    /// The most one validation image moves <paramref name="metric"/>'s score: 1/images for top1; for balanced-top1 and
    /// group-mean, an image of the class with the fewest images, weighted as the metric weighs it.
    /// </summary>
    public static double OneImage(EvaluationReport report, string metric)
    {
        long[] seen = Seen(report);
        double[] weights = ClassWeights(report, metric, seen);
        return Enumerable.Range(0, seen.Length).Where(c => seen[c] > 0).Select(c => weights[c] / seen[c]).DefaultIfEmpty(1).Max();
    }

    /// <summary>
    /// The score's standard error: every metric is a weighted sum of the classes' accuracies, each a binomial proportion over
    /// the class's images, so its variance is the sum of weight^2 x p(1 - p) / images, with p pooled as the score itself (a
    /// class's own accuracy of 0 or 1, as an epoch that answers one class gives, would claim no error at all).
    /// </summary>
    public static double StandardError(EvaluationReport report, string metric)
    {
        long[] seen = Seen(report);
        double[] weights = ClassWeights(report, metric, seen);
        double p = Score(report, metric);
        double sum = 0;
        for (int c = 0; c < seen.Length; c++)
            if (seen[c] > 0) sum += weights[c] * weights[c] / seen[c];
        return Math.Sqrt(Math.Max(0, p * (1 - p)) * sum);
    }

    private static long[] Seen(EvaluationReport report) => report.ConfusionMatrix.Select(row => row.Sum()).ToArray();

    // What each class's accuracy counts for in the metric (zero for a class without validation images).
    private static double[] ClassWeights(EvaluationReport report, string metric, long[] seen)
    {
        long total = seen.Sum();
        int present = seen.Count(n => n > 0);
        var weights = new double[seen.Length];
        var groups = new[] { report.ShotGroups.ManyClasses, report.ShotGroups.MediumClasses, report.ShotGroups.FewClasses }
            .Select(g => g.Where(c => seen[c] > 0).ToArray()).Where(g => g.Length > 0).ToArray();
        if (metric == ValidationOptions.ByGroupMean && groups.Length > 0)
            foreach (var g in groups) foreach (int c in g) weights[c] = 1.0 / (groups.Length * g.Length);
        else if (metric == ValidationOptions.ByBalancedTop1 && present > 0)
            for (int c = 0; c < seen.Length; c++) weights[c] = seen[c] > 0 ? 1.0 / present : 0;
        else
            for (int c = 0; c < seen.Length; c++) weights[c] = total == 0 ? 0 : seen[c] / (double)total;
        return weights;
    }

    /// <summary>
    /// top1; balanced-top1, the mean of the accuracies of the classes the split has images of; or the mean of the
    /// many/medium/few accuracies that have classes (group-mean).
    /// </summary>
    public static double Score(EvaluationReport report, string metric) => metric switch
    {
        ValidationOptions.ByGroupMean => new[] { report.ShotGroups.Many, report.ShotGroups.Medium, report.ShotGroups.Few }
            .Where(g => g.HasValue).Select(g => g!.Value).DefaultIfEmpty(report.Top1).Average(),
        ValidationOptions.ByBalancedTop1 => BalancedTop1(report),
        _ => report.Top1,
    };

    /// <summary>
    /// The mean per-class accuracy. Where every class present has as many images it is top-1 itself, returned as such so that
    /// a balanced split (the paper's profiles, a balanced val/ folder) selects exactly as top1 did, ties included.
    /// </summary>
    public static double BalancedTop1(EvaluationReport report)
    {
        long[] seen = Seen(report).Where(n => n > 0).ToArray();
        if (seen.Length == 0 || seen.All(n => n == seen[0])) return report.Top1;
        return report.PerClass.Where(a => a.HasValue).Average(a => a!.Value);
    }
}

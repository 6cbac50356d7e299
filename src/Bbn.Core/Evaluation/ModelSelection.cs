
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
        long[] seen = report.ConfusionMatrix.Select(row => row.Sum()).ToArray();
        if (metric == ValidationOptions.ByTop1 || seen.Sum() == 0) return 1.0 / Math.Max(1, seen.Sum());
        if (metric == ValidationOptions.ByBalancedTop1)
        {
            var present = seen.Where(n => n > 0).ToArray();
            return present.All(n => n == present[0]) ? 1.0 / present.Sum() : 1.0 / (present.Length * (double)present.Min());
        }
        var groups = new[] { report.ShotGroups.ManyClasses, report.ShotGroups.MediumClasses, report.ShotGroups.FewClasses }
            .Select(g => g.Where(c => seen[c] > 0).ToArray()).Where(g => g.Length > 0).ToArray();
        if (groups.Length == 0) return 1.0 / seen.Sum();
        return groups.Max(g => 1.0 / (groups.Length * (double)g.Length * g.Min(c => seen[c])));
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
        long[] seen = report.ConfusionMatrix.Select(row => row.Sum()).Where(n => n > 0).ToArray();
        if (seen.Length == 0 || seen.All(n => n == seen[0])) return report.Top1;
        return report.PerClass.Where(a => a.HasValue).Average(a => a!.Value);
    }
}

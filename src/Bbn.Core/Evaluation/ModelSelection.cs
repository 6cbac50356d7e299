
namespace Bbn.Core.Evaluation;

/// <summary>The validation metrics a run is selected by.</summary>
public static class ModelSelection
{
    /// <summary>
    /// Below this many validation images, one image moves an accuracy by more than a point and the chosen epoch and knobs are
    /// mostly noise: the log and compare's table warn.
    /// </summary>
    public const int FewValidationImages = 100;

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


namespace Bbn.Core.Evaluation;

/// <summary>The validation metrics a run is selected by.</summary>
public static class ModelSelection
{
    /// <summary>
    /// Below this many validation images, one image moves an accuracy by more than a point and the chosen epoch and knobs are
    /// mostly noise: the log and compare's table warn.
    /// </summary>
    public const int FewValidationImages = 100;

    /// <summary>top1, or the mean of the many/medium/few accuracies that have classes (group-mean).</summary>
    public static double Score(EvaluationReport report, string metric) => metric switch
    {
        ValidationOptions.ByGroupMean => new[] { report.ShotGroups.Many, report.ShotGroups.Medium, report.ShotGroups.Few }
            .Where(g => g.HasValue).Select(g => g!.Value).DefaultIfEmpty(report.Top1).Average(),
        _ => report.Top1,
    };
}

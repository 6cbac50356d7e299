
namespace Bbn.Core.Evaluation;

/// <summary>The validation metrics a run is selected by.</summary>
public static class ModelSelection
{
    /// <summary>top1, or the mean of the many/medium/few accuracies that have classes (group-mean).</summary>
    public static double Score(EvaluationReport report, string metric) => metric switch
    {
        ValidationOptions.ByGroupMean => new[] { report.ShotGroups.Many, report.ShotGroups.Medium, report.ShotGroups.Few }
            .Where(g => g.HasValue).Select(g => g!.Value).DefaultIfEmpty(report.Top1).Average(),
        _ => report.Top1,
    };
}

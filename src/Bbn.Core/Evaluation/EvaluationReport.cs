namespace Bbn.Core.Evaluation;

/// <summary>Many-shot: more than <paramref name="Many"/> training images; few-shot: fewer than <paramref name="Few"/>.</summary>
public sealed record ShotThresholds(int Many, int Few);

/// <summary>
/// The shot groups used for a summary: the fixed thresholds when every group has a class, else
/// thirds of the classes ranked by training count (the rule says which).
/// </summary>
public sealed record ShotGroups(string Rule, double? Many, double? Medium, double? Few, int[] ManyClasses, int[] MediumClasses, int[] FewClasses);

public sealed record EvaluationReport(
    double Top1, double? Many, double? Medium, double? Few, double?[] PerClass, long Samples,
    long[][] ConfusionMatrix, double ExpectedCalibrationError, ShotGroups ShotGroups)
{
    public static EvaluationReport From(long[][] confusion, double ece, IReadOnlyList<int> trainingClassCounts, ShotThresholds thresholds)
    {
        int classes = confusion.Length;
        long[] seen = confusion.Select(row => row.Sum()).ToArray();
        long[] correct = Enumerable.Range(0, classes).Select(c => confusion[c][c]).ToArray();
        double?[] perClass = correct.Zip(seen, (c, n) => n == 0 ? (double?)null : c / (double)n).ToArray();
        long total = seen.Sum();
        double top1 = total == 0 ? 0 : correct.Sum() / (double)total;

        int[] many = Members(classes, c => trainingClassCounts[c] > thresholds.Many);
        int[] few = Members(classes, c => trainingClassCounts[c] < thresholds.Few);
        int[] medium = Members(classes, c => !many.Contains(c) && !few.Contains(c));
        var fixedGroups = new ShotGroups($"thresholds: many > {thresholds.Many}, few < {thresholds.Few} training images",
            Mean(perClass, many), Mean(perClass, medium), Mean(perClass, few), many, medium, few);
        var groups = many.Length > 0 && medium.Length > 0 && few.Length > 0 ? fixedGroups : Thirds(perClass, trainingClassCounts, fixedGroups);
        return new EvaluationReport(top1, fixedGroups.Many, fixedGroups.Medium, fixedGroups.Few, perClass, total, confusion, ece, groups);
    }

    private static ShotGroups Thirds(double?[] perClass, IReadOnlyList<int> counts, ShotGroups fixedGroups)
    {
        int[] ranked = Enumerable.Range(0, counts.Count).OrderByDescending(c => counts[c]).ThenBy(c => c).ToArray();
        int third = counts.Count / 3;
        int[] few = ranked[^third..];
        int[] medium = ranked[^(2 * third)..^third];
        int[] many = ranked[..^(2 * third)];
        string empty = string.Join(" and ", new[] { ("many", fixedGroups.ManyClasses), ("medium", fixedGroups.MediumClasses), ("few", fixedGroups.FewClasses) }
            .Where(g => g.Item2.Length == 0).Select(g => g.Item1));
        return new ShotGroups($"thirds of the classes ranked by training count ({fixedGroups.Rule} left {empty} empty)",
            Mean(perClass, many), Mean(perClass, medium), Mean(perClass, few), many, medium, few);
    }

    private static int[] Members(int classes, Func<int, bool> inGroup) => Enumerable.Range(0, classes).Where(inGroup).ToArray();

    // Mean of the group's per-class accuracies (the usual many/medium/few definition); null when the group is empty.
    private static double? Mean(double?[] perClass, int[] members)
    {
        var values = members.Where(c => perClass[c].HasValue).Select(c => perClass[c]!.Value).ToArray();
        return values.Length == 0 ? null : values.Average();
    }
}

using Bbn.Core.Runs;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Bbn.Hosting.Comparison;

/// <summary>Mean and sample standard deviation (n - 1; 0 for one value) of a figure over seeds.</summary>
public sealed record Spread(double Mean, double StandardDeviation, int Count)
{
    public static Spread? Of(IEnumerable<double?> values)
    {
        double[] v = [.. values.Where(x => x.HasValue).Select(x => x!.Value)];
        if (v.Length == 0) return null;
        double mean = v.Average();
        double sd = v.Length < 2 ? 0 : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return new Spread(mean, sd, v.Length);
    }

    /// <summary>"71.90 ± 1.20" in percent.</summary>
    public string Percent() => string.Create(CultureInfo.InvariantCulture, $"{100 * Mean:0.00} ± {100 * StandardDeviation:0.00}");
}

/// <summary>Test top-1 and the shot groups of one epoch choice (selected, last or tuned), over seeds.</summary>
public sealed record GroupFigures(Spread? Top1, Spread? Many, Spread? Medium, Spread? Few);

/// <summary>A composition's row: its runs' seeds and the figures at the selected epoch, the last epoch and with the tuned knobs.</summary>
public sealed record CompositionRow(string Name, int[] Seeds, GroupFigures Selected, GroupFigures Last, GroupFigures Tuned);

/// <summary>A composition minus the baseline, seed by seed (the same seeds only), then mean and spread.</summary>
public sealed record PairedDifference(string Name, string Baseline, int[] Seeds, Spread? SelectedTop1, Spread? LastTop1, Spread? SelectedFew, Spread? TunedTop1);

/// <summary>The comparison: one row per composition and the paired differences to the baseline.</summary>
public sealed record ComparisonTable(IReadOnlyList<CompositionRow> Rows, IReadOnlyList<PairedDifference> Differences, string Baseline)
{
    /// <summary>The fewest validation images a run's selection and tuning rested on; null without a validation split.</summary>
    public long? ValidationImages { get; init; }

    /// <summary>The most one validation image moved a run's selection score (a fraction); null without a validation split.</summary>
    public double? OneValidationImage { get; init; }

    /// <summary>The fewest test images a run's figures rested on.</summary>
    public long TestImages { get; init; }

    /// <summary>Below this many validation images the table warns that the selected and tuned figures rest on too few.</summary>
    public const int FewValidationImages = Bbn.Core.Evaluation.ModelSelection.FewValidationImages;

    /// <summary>
    /// Two binomial standard errors of a seed-averaged difference of two accuracies on <see cref="TestImages"/> images each, at their
    /// widest (accuracies near 50 %): 2 sqrt(2 x 0.25 / (M k)). A paired difference smaller than this is within the test set's own noise.
    /// </summary>
    public double ResolvableDifference(int seeds) => 2 * Math.Sqrt(2 * 0.25 / Math.Max(1, TestImages * (double)Math.Max(1, seeds)));

    public const string MarkdownFile = "table.md";
    public const string JsonFile = "table.json";

    /// <summary>The table of the runs' summaries: per composition, the summary of each seed that has one.</summary>
    public static ComparisonTable Of(ComparePlan plan, IReadOnlyDictionary<(string Composition, int Seed), RunSummary> summaries)
    {
        var rows = new List<CompositionRow>();
        foreach (var c in plan.Compositions)
        {
            var runs = Enumerable.Range(0, plan.Seeds).Where(s => summaries.ContainsKey((c.Name, s))).Select(s => (Seed: s, Summary: summaries[(c.Name, s)])).ToArray();
            rows.Add(new CompositionRow(c.Name, [.. runs.Select(r => r.Seed)],
                new GroupFigures(Spread.Of(runs.Select(r => r.Summary.Selection?.Top1)), Spread.Of(runs.Select(r => r.Summary.Selection?.Many)),
                    Spread.Of(runs.Select(r => r.Summary.Selection?.Medium)), Spread.Of(runs.Select(r => r.Summary.Selection?.Few))),
                new GroupFigures(Spread.Of(runs.Select(r => (double?)r.Summary.Top1)), Spread.Of(runs.Select(r => r.Summary.Many)),
                    Spread.Of(runs.Select(r => r.Summary.Medium)), Spread.Of(runs.Select(r => r.Summary.Few))),
                new GroupFigures(Spread.Of(runs.Select(r => r.Summary.PostHoc?.TestAfter?.Top1)), Spread.Of(runs.Select(r => r.Summary.PostHoc?.TestAfter?.Many)),
                    Spread.Of(runs.Select(r => r.Summary.PostHoc?.TestAfter?.Medium)), Spread.Of(runs.Select(r => r.Summary.PostHoc?.TestAfter?.Few)))));
        }

        string baseline = plan.Baseline!;
        var differences = new List<PairedDifference>();
        foreach (var c in plan.Compositions.Where(c => c.Name != baseline))
        {
            int[] seeds = [.. Enumerable.Range(0, plan.Seeds).Where(s => summaries.ContainsKey((c.Name, s)) && summaries.ContainsKey((baseline, s)))];
            Spread? Paired(Func<RunSummary, double?> figure) => Spread.Of(seeds.Select(s =>
                figure(summaries[(c.Name, s)]) is { } a && figure(summaries[(baseline, s)]) is { } b ? a - b : (double?)null));
            differences.Add(new PairedDifference(c.Name, baseline, seeds, Paired(r => r.Selection?.Top1), Paired(r => r.Top1),
                Paired(r => r.Selection?.Few), Paired(r => r.PostHoc?.TestAfter?.Top1)));
        }
        var all = summaries.Values.ToArray();
        return new ComparisonTable(rows, differences, baseline)
        {
            ValidationImages = all.Select(s => s.Selection?.ValidationImages).Where(v => v.HasValue).DefaultIfEmpty().Min(),
            OneValidationImage = all.Select(s => s.Selection?.ScoreStep).Where(v => v.HasValue).DefaultIfEmpty().Max(),
            TestImages = all.Length == 0 ? 0 : all.Min(s => s.TestImages),
        };
    }

    public string ToMarkdown()
    {
        static string P(Spread? s) => s?.Percent() ?? "-";
        var md = new StringBuilder();
        md.AppendLine("Test accuracy (%), mean ± standard deviation over seeds. Selected: the epoch the validation split chose; last: the last epoch; tuned: the last epoch with the post-hoc knobs tuned on validation.");
        md.AppendLine();
        md.AppendLine("| composition | seeds | selected top-1 | many | medium | few | last top-1 | many | medium | few | tuned top-1 |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in Rows)
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Seeds.Length} | {P(r.Selected.Top1)} | {P(r.Selected.Many)} | {P(r.Selected.Medium)} | {P(r.Selected.Few)} | {P(r.Last.Top1)} | {P(r.Last.Many)} | {P(r.Last.Medium)} | {P(r.Last.Few)} | {P(r.Tuned.Top1)} |");
        if (Differences.Count > 0)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Paired difference to {Baseline} (points, seed by seed on the same seeds, mean ± standard deviation):");
            md.AppendLine();
            md.AppendLine("| composition | seeds | Δ selected top-1 | Δ last top-1 | Δ selected few | Δ tuned top-1 |");
            md.AppendLine("|---|---|---|---|---|---|");
            foreach (var d in Differences)
                md.AppendLine(CultureInfo.InvariantCulture, $"| {d.Name} | {d.Seeds.Length} | {P(d.SelectedTop1)} | {P(d.LastTop1)} | {P(d.SelectedFew)} | {P(d.TunedTop1)} |");
        }
        md.AppendLine();
        foreach (string line in Resolution()) md.AppendLine(line);
        return md.ToString();
    }

    /// <summary>How many images the figures rest on, and a warning for each difference or selection they cannot carry.</summary>
    public IReadOnlyList<string> Resolution()
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(inv, $"The test figures rest on {TestImages} images a run; ") + (ValidationImages is { } v
                ? string.Create(inv, $"the selection and the tuning on {v} validation images a run (one image: up to {100 * Step(v):0.##} points of the selection score).")
                : "no run had a validation split (no selection, no tuning)."),
        };
        if (ValidationImages is { } few && Bbn.Core.Evaluation.ModelSelection.TooCoarse(Step(few)))
            lines.Add(string.Create(inv, $"Warning: {few} validation images are too few to choose an epoch or tune a knob reliably (one image moves the selection score by up to {100 * Step(few):0.##} points, more than 1): read the last-epoch figures first, or give the data set a larger val/ folder."));
        foreach (var d in Differences)
        {
            double bound = ResolvableDifference(d.Seeds.Length);
            foreach (var (what, spread) in new[] { ("last top-1", d.LastTop1), ("selected top-1", d.SelectedTop1) })
                if (spread is { } s && Math.Abs(s.Mean) < bound)
                    lines.Add(string.Create(inv, $"Warning: {d.Name} − {d.Baseline}, {what}: {100 * s.Mean:0.00} points is within two standard errors of a difference of accuracies on {TestImages} test images over {d.Seeds.Length} seeds ({100 * bound:0.00} points); more test images or seeds would resolve it."));
        }
        return lines;
    }

    // Tables made before OneValidationImage was kept: one image of a top-1.
    private double Step(long validationImages) => OneValidationImage ?? 1.0 / Math.Max(1, validationImages);

    public string ToJson() => JsonSerializer.Serialize(this, RunJson.Indented);
}

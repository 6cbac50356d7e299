using ScottPlot;

namespace Bbn.Hosting.Comparison;

/// <summary>shot-groups.png: per composition, bars of test top-1 and many/medium/few at the selected epoch, with the seeds' standard deviation as error bars.</summary>
public static class ComparisonPlot
{
    public const string File = "shot-groups.png";

    public static string Write(ComparisonTable table, string path)
    {
        Fonts.Default = "DejaVu Sans";
        string[] groups = ["top-1", "many", "medium", "few"];
        var palette = new ScottPlot.Palettes.Category10();
        var plot = new Plot();
        int width = table.Rows.Count + 1;
        for (int r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            // The selected epoch where a validation split chose one, else the last.
            var figures = row.Selected.Top1 is null ? row.Last : row.Selected;
            Spread?[] values = [figures.Top1, figures.Many, figures.Medium, figures.Few];
            var bars = new List<Bar>();
            for (int g = 0; g < groups.Length; g++)
            {
                if (values[g] is not { } s) continue;
                bars.Add(new Bar
                {
                    Position = (g * width) + r,
                    Value = 100 * s.Mean,
                    Error = 100 * s.StandardDeviation,
                    FillColor = palette.GetColor(r),
                });
            }
            var added = plot.Add.Bars(bars);
            added.LegendText = $"{row.Name} ({row.Seeds.Length} seeds)";
        }
        double[] ticks = [.. Enumerable.Range(0, groups.Length).Select(g => (g * width) + ((table.Rows.Count - 1) / 2.0))];
        plot.Axes.Bottom.SetTicks(ticks, groups);
        plot.Axes.SetLimitsY(0, 105);
        plot.Title("Test accuracy by shot group at the selected epoch (mean ± standard deviation over seeds)");
        plot.YLabel("test accuracy (%)");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1000, 600);
        return path;
    }
}

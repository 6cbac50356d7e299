using Bbn.Core.Runs;
using System.Globalization;
using ScottPlot;

namespace Bbn.Hosting.Reports;

/// <summary>
/// PNG plots of a run (ScottPlot, headless): training curves, per-class accuracy against the
/// training-set class size (head to tail), and the confusion matrix as a heat map.
/// </summary>
public static class RunPlots
{
    public const string TrainingCurvesFile = "training-curves.png";
    public const string PerClassAccuracyFile = "per-class-accuracy.png";
    public const string ConfusionMatrixFile = "confusion-matrix.png";

    // ScottPlot picks a serif face by default; DejaVu Sans (fonts-dejavu-core) is on every Debian machine.
    private const string FontName = "DejaVu Sans";

    /// <summary>Writes the plots into <paramref name="folder"/> and returns their paths; the curves need <paramref name="metrics"/>.</summary>
    public static IReadOnlyList<string> Write(string folder, RunSummary summary, IReadOnlyList<EpochMetrics>? metrics)
    {
        Fonts.Default = FontName;
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        if (metrics is { Count: > 0 }) written.Add(TrainingCurves(metrics, Path.Combine(folder, TrainingCurvesFile)));
        written.Add(PerClassAccuracy(summary, Path.Combine(folder, PerClassAccuracyFile)));
        written.Add(ConfusionMatrix(summary, Path.Combine(folder, ConfusionMatrixFile)));
        return written;
    }

    public static string TrainingCurves(IReadOnlyList<EpochMetrics> metrics, string path)
    {
        var plot = new Plot();
        double[] epochs = metrics.Select(m => (double)m.Epoch).ToArray();
        var loss = plot.Add.Scatter(epochs, metrics.Select(m => m.TrainLoss).ToArray());
        loss.LegendText = "train loss";
        var evaluated = metrics.Where(m => m.Top1 is not null).ToArray();
        if (evaluated.Length > 0)
        {
            var top1 = plot.Add.Scatter(evaluated.Select(m => (double)m.Epoch).ToArray(), evaluated.Select(m => m.Top1!.Value).ToArray());
            top1.LegendText = "test top-1";
        }
        // Each figure the method reports on the right axis, over the epochs that have it.
        string[] names = [.. metrics.SelectMany(m => m.Method?.Keys ?? Enumerable.Empty<string>()).Distinct()];
        foreach (var name in names)
        {
            var reported = metrics.Where(m => m.Method?.ContainsKey(name) == true).ToArray();
            var figure = plot.Add.Scatter(reported.Select(m => (double)m.Epoch).ToArray(), reported.Select(m => m.Method![name]).ToArray());
            figure.LegendText = $"{name} (right axis)";
            figure.Axes.YAxis = plot.Axes.Right;
            figure.LinePattern = LinePattern.Dashed;
        }
        var lr = plot.Add.Scatter(epochs, metrics.Select(m => m.Lr).ToArray());
        lr.LegendText = "learning rate (right axis)";
        lr.Axes.YAxis = plot.Axes.Right;
        lr.LinePattern = LinePattern.Dotted;

        Label(plot, "Training curves", "epoch", "train loss / test top-1 (fraction)", names.Length == 0 ? "learning rate" : $"{string.Join(" / ", names)} / learning rate");
        plot.SavePng(path, 1000, 600);
        return path;
    }

    public static string PerClassAccuracy(RunSummary summary, string path)
    {
        int[] order = Enumerable.Range(0, summary.ClassNames.Count).OrderByDescending(c => summary.ClassCounts[c]).ThenBy(c => c).ToArray();
        double[] positions = Enumerable.Range(0, order.Length).Select(i => (double)i).ToArray();
        var plot = new Plot();
        var bars = plot.Add.Bars(positions, order.Select(c => 100 * (summary.PerClass[c] ?? 0)).ToArray());
        bars.LegendText = "test accuracy (%)";
        for (int i = 0; i < order.Length; i++)
            bars.Bars[i].Label = summary.PerClass[order[i]] is { } a ? (100 * a).ToString("0.0", CultureInfo.InvariantCulture) : "-";
        bars.ValueLabelStyle.FontSize = 11;
        var sizes = plot.Add.Scatter(positions, order.Select(c => (double)summary.ClassCounts[c]).ToArray());
        sizes.LegendText = "training images (right axis)";
        sizes.Axes.YAxis = plot.Axes.Right;
        sizes.MarkerSize = 7;

        ClassNamesBelow(plot, positions, order.Select(c => summary.ClassNames[c]).ToArray());
        plot.Axes.SetLimitsY(0, 110, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, summary.ClassCounts.Max() * 1.1, plot.Axes.Right);
        Label(plot, "Per-class accuracy against training-set size (classes from head to tail)", "class", "test accuracy (%)", "training images");
        plot.SavePng(path, 1100, 650);
        return path;
    }

    public static string ConfusionMatrix(RunSummary summary, string path)
    {
        int k = summary.ClassNames.Count;
        // Rows: the true class from top to bottom; each row as fractions of that class's test images.
        var fractions = new double[k, k];
        for (int t = 0; t < k; t++)
        {
            double total = Math.Max(1, summary.ConfusionMatrix[t].Sum());
            for (int p = 0; p < k; p++) fractions[t, p] = summary.ConfusionMatrix[t][p] / total;
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(fractions);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Extent = new CoordinateRect(-0.5, k - 0.5, -0.5, k - 0.5);
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "fraction of the true class";
        if (k <= 20)
        {
            for (int t = 0; t < k; t++)
                for (int p = 0; p < k; p++)
                {
                    var text = plot.Add.Text(fractions[t, p].ToString("0.00", CultureInfo.InvariantCulture), p, k - 1 - t);
                    text.LabelFontSize = 10;
                    text.LabelAlignment = Alignment.MiddleCenter;
                    text.LabelFontColor = fractions[t, p] > 0.5 ? Colors.Black : Colors.White;
                }
        }
        double[] ticks = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        ClassNamesBelow(plot, ticks, summary.ClassNames.ToArray());
        plot.Axes.Left.SetTicks(ticks.Select(y => k - 1 - y).ToArray(), summary.ClassNames.ToArray());
        plot.Title("Confusion matrix (rows: true class, columns: predicted)");
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.SavePng(path, 900, 800);
        return path;
    }

    /// <summary>Class names as the bottom axis's ticks, turned 45 degrees so that long names fit.</summary>
    private static void ClassNamesBelow(Plot plot, double[] positions, string[] names)
    {
        plot.Axes.Bottom.SetTicks(positions, names);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 110;
    }

    /// <summary>Title, axis labels (the right axis's too) and the legend.</summary>
    private static void Label(Plot plot, string title, string x, string left, string right)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(left);
        plot.Axes.Right.Label.Text = right;
        plot.ShowLegend(Alignment.UpperRight);
    }
}

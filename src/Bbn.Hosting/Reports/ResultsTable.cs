using Bbn.Core.Runs;
using System.Globalization;
using Spectre.Console;
using static Bbn.Hosting.Console.TextFormat;

namespace Bbn.Hosting.Reports;

/// <summary>The results of summary.json as text tables: the headline figures, then one row per class.</summary>
public static class ResultsTable
{
    public static void Write(RunSummary s, TextWriter output)
    {
        var console = PlainConsole(output, width: 100);

        var headline = new Table().Title("Results").AddColumns("top-1", "many", "medium", "few", "ECE (15 bins)", "test images", "method", "epochs");
        headline.AddRow(Percent(s.Top1), Percent(s.Many), Percent(s.Medium), Percent(s.Few),
            s.ExpectedCalibrationError.ToString("0.0000", CultureInfo.InvariantCulture),
            s.TestImages.ToString(CultureInfo.InvariantCulture), s.Method, s.Epochs.ToString(CultureInfo.InvariantCulture));
        console.Write(headline);
        var g = s.ShotGroups;
        console.WriteLine($"Shot groups ({g.Rule}): many {Percent(g.Many)}, medium {Percent(g.Medium)}, few {Percent(g.Few)}");

        var perClass = new Table().Title("Per class (head to tail)").AddColumns("class", "name", "training images", "group", "accuracy");
        foreach (int c in Enumerable.Range(0, s.ClassNames.Count).OrderByDescending(c => s.ClassCounts[c]))
            perClass.AddRow(c.ToString(CultureInfo.InvariantCulture), Markup.Escape(s.ClassNames[c]),
                s.ClassCounts[c].ToString(CultureInfo.InvariantCulture), GroupOf(s, c), Percent(s.PerClass[c]));
        console.Write(perClass);
    }

    private static string GroupOf(RunSummary s, int c) =>
        s.ShotGroups.ManyClasses.Contains(c) ? "many" : s.ShotGroups.MediumClasses.Contains(c) ? "medium" : s.ShotGroups.FewClasses.Contains(c) ? "few" : "-";
}

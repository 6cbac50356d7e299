using Bbn.Core.Runs;
using System.Text.Json;

namespace Bbn.Hosting.Comparison;

/// <summary>
/// The compare verb: runs a plan's compositions over its seeds one run after another (seed by seed, so
/// that a partial comparison is already paired), through the train verb in this process. A run with a
/// summary.json is kept and not redone; one with a checkpoint resumes; so a stopped or killed compare
/// continues where it was when the same command runs again. Then the table, its JSON and the plot.
/// </summary>
public static class CompareRunner
{
    public static async Task<int> RunAsync(string[] settings, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        ComparePlan plan;
        try
        {
            plan = ComparePlan.From(settings);
            Claim(plan);
        }
        catch (CompareException e)
        {
            await error.WriteLineAsync(e.Message);
            return BbnApplication.ExitBadInput;
        }

        var summaries = new Dictionary<(string, int), RunSummary>();
        int total = plan.Seeds * plan.Compositions.Count, index = 0;
        for (int seed = 0; seed < plan.Seeds; seed++)
        {
            foreach (var composition in plan.Compositions)
            {
                index++;
                string name = ComparePlan.RunName(composition.Name, seed);
                var run = new RunDirectory(Path.Combine(plan.RunsDirectory, name));
                if (!File.Exists(run.SummaryPath))
                {
                    bool resume = run.HasCheckpoint;
                    await output.WriteLineAsync($"compare [{index}/{total}] {name}: {(resume ? "resuming its checkpoint" : "training")}");
                    string[] args = ["train", .. plan.RunSettings(composition, seed), .. resume ? new[] { "--Bbn:Training:Resume=true" } : []];
                    int code = await BbnApplication.RunAsync(args, output, error, cancellation);
                    if (code != BbnApplication.ExitOk)
                    {
                        await error.WriteLineAsync($"Compare stopped: run {name} failed (exit {code}); the finished runs stay in {plan.RunsDirectory}. Fix the cause and run the same compare command again to continue.");
                        return code;
                    }
                    if (!File.Exists(run.SummaryPath))
                    {
                        await error.WriteLineAsync(cancellation.IsCancellationRequested || !resume
                            ? $"Compare stopped during {name}; run the same compare command again to continue where it was."
                            : $"Compare stopped: {run.Path} holds a finished checkpoint but no summary.json; evaluate it, or delete the directory to train it again.");
                        return BbnApplication.ExitOk;
                    }
                }
                else
                {
                    await output.WriteLineAsync($"compare [{index}/{total}] {name}: finished earlier, kept");
                }
                summaries[(composition.Name, seed)] = JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(run.SummaryPath), RunJson.Options)!;
            }
        }

        var table = ComparisonTable.Of(plan, summaries);
        string markdown = table.ToMarkdown();
        AtomicFile.WriteAllText(Path.Combine(plan.Output, ComparisonTable.MarkdownFile), markdown);
        AtomicFile.WriteAllText(Path.Combine(plan.Output, ComparisonTable.JsonFile), table.ToJson());
        string plot = ComparisonPlot.Write(table, Path.Combine(plan.Output, ComparisonPlot.File));
        await output.WriteLineAsync();
        await output.WriteAsync(markdown);
        await output.WriteLineAsync($"Comparison of {summaries.Count} runs in {plan.Output}: {ComparisonTable.MarkdownFile}, {ComparisonTable.JsonFile}, {Path.GetFileName(plot)}");
        return BbnApplication.ExitOk;
    }

    /// <summary>Records the plan in the comparison directory, or refuses a directory that holds another plan's runs.</summary>
    private static void Claim(ComparePlan plan)
    {
        Directory.CreateDirectory(plan.Output);
        string path = Path.Combine(plan.Output, ComparePlan.PlanFile);
        string json = plan.ToJson();
        if (File.Exists(path))
        {
            using var found = JsonDocument.Parse(File.ReadAllText(path));
            using var wanted = JsonDocument.Parse(json);
            bool same = found.RootElement.GetProperty("compositions").GetRawText() == wanted.RootElement.GetProperty("compositions").GetRawText()
                && found.RootElement.GetProperty("common").GetRawText() == wanted.RootElement.GetProperty("common").GetRawText();
            if (!same)
                throw new CompareException($"Compare error: {plan.Output} holds the runs of another plan ({path}: other compositions or common settings). Choose another --Bbn:Compare:Output, or delete that directory.");
        }
        AtomicFile.WriteAllText(path, json);
    }
}

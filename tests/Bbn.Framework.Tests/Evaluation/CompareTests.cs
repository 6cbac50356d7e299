using Bbn.Core.Runs;
using System.Text.Json;
using Bbn.Hosting;
using Bbn.Hosting.Comparison;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>The compare verb: compositions over seeds, a table of means and spreads with paired differences, a plot; resumable, never redoing a finished run.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class CompareTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-compare-").FullName;
    private readonly string data;

    public CompareTests()
    {
        data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 2000, testImages: 300);
    }

    private string[] Common(string output, int epochs) =>
    [
        $"--Bbn:Dataset:Root={data}", $"--Bbn:Compare:Output={output}", $"--Bbn:Training:Epochs={epochs}", "--Bbn:Training:BatchSize=16",
        "--Bbn:Training:MaxStepsPerEpoch=2", "--Bbn:Training:WarmupEpochs=1", "--Bbn:Training:LogEverySteps=100",
    ];

    [Fact]
    public async Task Two_compositions_over_two_seeds_give_a_table_of_means_paired_differences_and_a_plot_and_a_rerun_redoes_nothing()
    {
        string output = Path.Combine(root, "ce-vs-bbn");
        string[] args = ["compare", .. Common(output, epochs: 1), "--seeds", "2", "--baseline", "ce",
            "--Bbn:Compare:Compositions:ce=--Bbn:Method=single-branch", "--Bbn:Compare:Compositions:bbn="];

        var (code, printed, error) = await AppRunner.Run(args);

        error.Should().BeEmpty();
        code.Should().Be(0);
        RunSummary Summary(string run) => JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(Path.Combine(output, "runs", run, "summary.json")), RunJson.Options)!;
        string[] runs = ["ce-seed0", "bbn-seed0", "ce-seed1", "bbn-seed1"];
        var summaries = runs.ToDictionary(r => r, Summary);
        summaries["ce-seed0"].Method.Should().Be("single-branch");
        summaries["bbn-seed1"].Method.Should().Be("bbn");
        Bbn.Core.Training.Checkpoint.ReadHeader(Path.Combine(output, "runs", "bbn-seed1", "checkpoint.bbn")).Seed.Should().Be(1);

        var table = JsonSerializer.Deserialize<ComparisonTable>(File.ReadAllText(Path.Combine(output, ComparisonTable.JsonFile)), RunJson.Options)!;
        var ce = table.Rows.Single(r => r.Name == "ce");
        var bbn = table.Rows.Single(r => r.Name == "bbn");
        bbn.Seeds.Should().Equal(0, 1);
        double[] last = [summaries["bbn-seed0"].Top1, summaries["bbn-seed1"].Top1];
        bbn.Last.Top1!.Mean.Should().BeApproximately(last.Average(), 1e-12);
        bbn.Last.Top1.StandardDeviation.Should().BeApproximately(Math.Abs(last[0] - last[1]) / Math.Sqrt(2), 1e-12, "the sample standard deviation of two");
        ce.Selected.Top1!.Mean.Should().BeApproximately(new[] { summaries["ce-seed0"].Selection!.Top1, summaries["ce-seed1"].Selection!.Top1 }.Average(), 1e-12);
        var difference = table.Differences.Single();
        difference.Name.Should().Be("bbn");
        difference.Baseline.Should().Be("ce");
        difference.LastTop1!.Mean.Should().BeApproximately(
            ((summaries["bbn-seed0"].Top1 - summaries["ce-seed0"].Top1) + (summaries["bbn-seed1"].Top1 - summaries["ce-seed1"].Top1)) / 2, 1e-12, "seed by seed");
        string markdown = File.ReadAllText(Path.Combine(output, ComparisonTable.MarkdownFile));
        markdown.Should().Contain("| ce | 2 |").And.Contain("| bbn | 2 |").And.Contain(bbn.Last.Top1.Percent()).And.Contain("Paired difference to ce");
        printed.Should().Contain(markdown.Split('\n')[2], "the table is printed too");
        table.TestImages.Should().Be(summaries["ce-seed0"].TestImages);
        table.ValidationImages.Should().Be(summaries.Values.Min(s => s.Selection!.ValidationImages));
        markdown.Should().Contain($"The test figures rest on {table.TestImages} images a run; the selection and the tuning on {table.ValidationImages} validation images a run");
        Plots.ShouldBeARealPicture(Path.Combine(output, ComparisonPlot.File));

        var written = runs.ToDictionary(r => r, r => File.GetLastWriteTimeUtc(Path.Combine(output, "runs", r, "summary.json")));
        (code, printed, error) = await AppRunner.Run(args);

        code.Should().Be(0);
        error.Should().BeEmpty();
        printed.Should().Contain("compare [4/4] bbn-seed1: finished earlier, kept");
        runs.Should().OnlyContain(r => File.GetLastWriteTimeUtc(Path.Combine(output, "runs", r, "summary.json")) == written[r], "no finished run is redone");
    }

    [Fact]
    public async Task A_stopped_compare_continues_where_it_was()
    {
        string output = Path.Combine(root, "stopped");
        string[] args = ["compare", .. Common(output, epochs: 3), "--seeds", "1", "--Bbn:Compare:Compositions:bbn="];
        string checkpoint = Path.Combine(output, "runs", "bbn-seed0", "checkpoint.bbn");
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!File.Exists(checkpoint) && !stop.IsCancellationRequested) await Task.Delay(20);
            await stop.CancelAsync();
        });

        var (code, _, error) = await AppRunner.Run(stop.Token, args);
        await watcher;

        code.Should().Be(0);
        error.Should().Contain("Compare stopped during bbn-seed0; run the same compare command again");
        File.Exists(Path.Combine(output, "runs", "bbn-seed0", "summary.json")).Should().BeFalse();

        (code, var printed, error) = await AppRunner.Run(args);

        error.Should().BeEmpty();
        code.Should().Be(0);
        printed.Should().Contain("bbn-seed0: resuming its checkpoint");
        new RunDirectory(Path.Combine(output, "runs", "bbn-seed0")).ReadMetrics().Select(m => m.Epoch).Should().Equal(1, 2, 3);
        File.Exists(Path.Combine(output, ComparisonTable.MarkdownFile)).Should().BeTrue();
    }

    [Fact]
    public async Task A_bad_plan_is_one_line_and_a_directory_of_another_plan_is_refused()
    {
        string output = Path.Combine(root, "bad");
        var (code, _, error) = await AppRunner.Run(["compare", .. Common(output, 1), "--baseline", "ce", "--Bbn:Compare:Compositions:bbn="]);
        code.Should().Be(BbnApplication.ExitBadInput);
        error.Trim().Should().NotContain("\n").And.Contain("Bbn:Compare:Baseline = 'ce' is not a composition");

        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, ComparePlan.PlanFile), "{\"compositions\": {\"x\": []}, \"common\": []}");
        (code, _, error) = await AppRunner.Run(["compare", .. Common(output, 1), "--Bbn:Compare:Compositions:bbn="]);
        code.Should().Be(BbnApplication.ExitBadInput);
        error.Should().Contain("holds the runs of another plan");

        string plan = Path.Combine(root, "plan.json");
        File.WriteAllText(plan, "{ \"Bbn\": { \"Compare\": { \"Compositions\": { \"ce\": [\"--Bbn:Method=single-branch\"] }, } ");
        (code, _, error) = await AppRunner.Run("compare", plan);
        code.Should().Be(BbnApplication.ExitBadInput);
        error.Should().Contain(plan).And.Contain("does not parse at line 1");
    }

    [Fact]
    public void The_table_warns_of_too_few_validation_images_and_of_differences_within_the_test_set_s_noise()
    {
        var row = new CompositionRow("x", [0, 1, 2], new GroupFigures(null, null, null, null), new GroupFigures(null, null, null, null), new GroupFigures(null, null, null, null));
        PairedDifference Difference(string name, double last) => new(name, "ce", [0, 1, 2], null, new Spread(last, 0.01, 3), null, null);
        var table = new ComparisonTable([row], [Difference("small", 0.03), Difference("large", -0.2)], "ce") { ValidationImages = 54, TestImages = 400 };

        // Two standard errors of a difference of accuracies on 400 images over 3 seeds, at their widest: 2 sqrt(0.5 / 1200).
        table.ResolvableDifference(3).Should().BeApproximately(2 * Math.Sqrt(0.5 / 1200), 1e-15);
        var lines = table.Resolution();

        lines[0].Should().Be("The test figures rest on 400 images a run; the selection and the tuning on 54 validation images a run (one image: up to 1.85 points of the selection score).");
        lines.Should().Contain(l => l.StartsWith("Warning: 54 validation images are too few"));
        lines.Should().ContainSingle(l => l.Contains("small − ce, last top-1: 3.00 points is within two standard errors") && l.Contains("(4.08 points)"));
        lines.Should().NotContain(l => l.Contains("large − ce"), "20 points is well outside the noise");
        (table with { ValidationImages = 500 }).Resolution().Should().NotContain(l => l.Contains("too few"));

        // Balanced top-1 on a long-tailed split of 500 images whose smallest class has 2 of 10 classes: one image is 5 points.
        var balanced = table with { ValidationImages = 500, OneValidationImage = 1 / (10 * 2.0) };
        balanced.Resolution()[0].Should().EndWith("(one image: up to 5 points of the selection score).");
        balanced.Resolution().Should().Contain(l => l.StartsWith("Warning: 500 validation images are too few") && l.Contains("by up to 5 points"));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}

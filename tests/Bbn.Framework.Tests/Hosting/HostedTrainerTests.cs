using Bbn.Core.Runs;
using System.Text.Json;
using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>
/// The hosted trainer end to end, in-process, on real Fashion-MNIST images (the first 2,000 training
/// and 500 test images, rewritten as IDX files so that a run takes seconds).
/// </summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class HostedTrainerTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-hosted-").FullName;
    private readonly string data;

    public HostedTrainerTests()
    {
        data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 2000, testImages: 500);
    }

    private string[] Settings(string runName, int epochs, params string[] extra) =>
    [
        $"--Bbn:Dataset:Root={data}",
        $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}",
        $"--Bbn:Training:RunName={runName}",
        $"--Bbn:Training:Epochs={epochs}",
        "--Bbn:Training:BatchSize=16",
        "--Bbn:Training:MaxStepsPerEpoch=4",
        "--Bbn:Training:WarmupEpochs=1",
        "--Bbn:Training:LogEverySteps=2",
        .. extra,
    ];

    private RunDirectory RunDirectory(string name) => new(Path.Combine(root, "runs", name));

    [Fact]
    public async Task A_validation_split_from_the_left_out_images_selects_an_epoch_and_keeps_its_weights()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("selected", epochs: 3, "--Bbn:Validation:PerClass=10")]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = RunDirectory("selected");
        var manifest = Bbn.Core.Data.SubsetManifest.Read(run.ManifestPath);
        manifest.ValidationSource.Should().Be(Bbn.Core.Data.ValidationDraw.LeftOut);
        manifest.Validation!.Select(c => c.Count).Should().OnlyContain(n => n == 10, "class-balanced");
        manifest.Images.SelectMany(c => c).Should().NotIntersectWith(manifest.Validation!.SelectMany(c => c));
        manifest.ValidationRule.Should().Contain("Bbn:Validation:PerClass").And.Contain("out of training", "the head class keeps all its images, so it gives some");

        var metrics = run.ReadMetrics();
        metrics.Should().OnlyContain(m => m.ValidationTop1 != null && m.ValidationScore == m.ValidationTop1);
        // 10 classes of 10 images, each weighed 1/10: the binomial error of 100 images.
        metrics.Should().OnlyContain(m => Math.Abs(m.ValidationStandardError!.Value - Math.Sqrt(m.ValidationScore!.Value * (1 - m.ValidationScore.Value) / 100)) < 1e-12);
        var highest = metrics.First(m => m.ValidationScore == metrics.Max(x => x.ValidationScore));
        var best = metrics.Last(m => m.ValidationScore >= highest.ValidationScore - highest.ValidationStandardError);
        var summary = JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(run.SummaryPath), RunJson.Options)!;
        summary.Selection!.Epoch.Should().Be(best.Epoch, "the latest epoch within one standard error of the highest validation score");
        (summary.Selection.Rule, summary.Selection.HighestEpoch, summary.Selection.HighestScore).Should().Be(("one-standard-error", highest.Epoch, highest.ValidationScore));
        summary.Selection.Metric.Should().Be("balanced-top1", "the default; on this class-balanced split it scores as top1 does");
        summary.Selection.Top1.Should().Be(best.Top1!.Value, "the test figure of the selected epoch, not of the last");
        summary.Selection.ValidationImages.Should().Be(100);
        summary.ValidationTop1.Should().Be(metrics[^1].ValidationTop1);
        summary.Top1.Should().Be(metrics[^1].Top1!.Value);
        File.Exists(run.BestCheckpointPath).Should().BeTrue();

        // best.bbn holds that epoch's weights: evaluate reproduces its test top-1.
        string output = Path.Combine(root, "best-evaluation.json");
        var (evalCode, _, evalError) = await AppRunner.Run(["evaluate", run.BestCheckpointPath, .. Settings("selected", epochs: 3, "--Bbn:Validation:PerClass=10"), $"--Bbn:Evaluate:Output={output}"]);
        evalError.Should().BeEmpty();
        evalCode.Should().Be(0);
        using var evaluation = JsonDocument.Parse(File.ReadAllText(output));
        evaluation.RootElement.GetProperty("top1").GetDouble().Should().Be(summary.Selection.Top1);
    }

    [Fact]
    public async Task The_knobs_tuned_on_validation_are_in_the_summary_and_the_checkpoint_and_evaluate_applies_them()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("tuned", epochs: 2)]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = RunDirectory("tuned");
        var summary = JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(run.SummaryPath), RunJson.Options)!;
        var tuning = summary.PostHoc!;
        tuning.Searches.Select(s => s.Knob).Should().Equal("alpha", "tau-norm", "logit-adjustment", "temperature");
        tuning.Searches.Should().OnlyContain(s => s.Grid.Count == 21 && s.Grid.Any(p => p.Value == s.Chosen));
        tuning.ValidationScoreAfter.Should().BeGreaterThanOrEqualTo(tuning.ValidationScoreBefore);
        tuning.TestBefore!.Top1.Should().Be(summary.Top1, "before tuning: the last epoch as trained");
        // The method's knob is recorded where it beat its neutral value (BBN's alpha 0.5), else left to the method.
        tuning.Settings.Should().Be(new Bbn.Core.Evaluation.PostHocSettings(
            tuning.Searches[0].Chosen == 0.5 ? null : new Bbn.Core.Evaluation.MethodKnobValue("alpha", tuning.Searches[0].Chosen),
            tuning.Searches[1].Chosen, tuning.Searches[2].Chosen, tuning.Searches[3].Chosen));
        Checkpoint.ReadHeader(run.CheckpointPath).Tuned.Should().Be(tuning.Settings);

        string applied = Path.Combine(root, "applied.json"), plain = Path.Combine(root, "plain.json");
        (code, _, error) = await AppRunner.Run(["evaluate", run.Path, .. Settings("tuned", epochs: 2), $"--Bbn:Evaluate:Output={applied}"]);
        error.Should().BeEmpty();
        code.Should().Be(0);
        (code, _, error) = await AppRunner.Run(["evaluate", run.Path, .. Settings("tuned", epochs: 2), $"--Bbn:Evaluate:Output={plain}", "--Bbn:PostHoc:Apply=false"]);
        error.Should().BeEmpty();
        code.Should().Be(0);
        var withKnobs = JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(applied), RunJson.Options)!;
        withKnobs.Top1.Should().Be(tuning.TestAfter!.Top1);
        withKnobs.ExpectedCalibrationError.Should().BeApproximately(tuning.TestAfter.ExpectedCalibrationError, 1e-9);
        withKnobs.Applied.Should().Be(tuning.Settings);
        JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(plain), RunJson.Options)!.Top1.Should().Be(summary.Top1);
    }

    [Fact]
    public async Task Group_mean_selection_and_no_validation_split_are_settings()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("group-mean", epochs: 2, "--Bbn:Validation:SelectBy=group-mean", "--Bbn:Validation:SelectRule=highest", "--Bbn:Validation:Refit=never")]);
        error.Should().BeEmpty();
        code.Should().Be(0);
        var metrics = RunDirectory("group-mean").ReadMetrics();
        metrics.Should().OnlyContain(m => m.ValidationScore != null);
        var summary = JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(RunDirectory("group-mean").SummaryPath), RunJson.Options)!;
        summary.Selection!.Metric.Should().Be("group-mean");
        summary.Selection.Score.Should().Be(metrics.Max(m => m.ValidationScore!.Value));
        summary.Selection.Epoch.Should().Be(metrics.First(m => m.ValidationScore == summary.Selection.Score).Epoch, "highest: the first epoch of the highest score");
        summary.Selection.Rule.Should().Be("highest");

        (code, _, error) = await AppRunner.Run(["train", .. Settings("none", epochs: 1, "--Bbn:Validation:Split=none")]);
        error.Should().BeEmpty();
        code.Should().Be(0);
        var none = JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(RunDirectory("none").SummaryPath), RunJson.Options)!;
        none.Selection.Should().BeNull();
        File.Exists(RunDirectory("none").BestCheckpointPath).Should().BeFalse();
        Bbn.Core.Data.SubsetManifest.Read(RunDirectory("none").ManifestPath).Validation.Should().BeNull();

        (code, _, error) = await AppRunner.Run(["train", .. Settings("bad", epochs: 1, "--Bbn:Validation:SelectBy=test")]);
        code.Should().Be(Bbn.Hosting.BbnApplication.ExitBadInput);
        error.Should().Contain("Bbn:Validation:SelectBy = 'test' is invalid");
    }

    [Fact]
    public async Task Training_through_the_host_writes_config_metrics_summary_and_a_checkpoint_that_evaluate_reproduces()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("bbn", epochs: 2)]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = RunDirectory("bbn");
        File.ReadAllText(run.ConfigPath).Should().Contain("\"Name\": \"fashion-mnist\"").And.Contain("\"Epochs\": \"2\"");
        var metrics = run.ReadMetrics();
        metrics.Select(m => (m.Epoch, m.Method!["alpha"])).Should().Equal((1, 1.0), (2, 0.75));
        metrics.Should().OnlyContain(m => m.Steps == 4 && m.Top1 != null && double.IsFinite(m.TrainLoss) && m.ImagesPerSecond > 0);

        using var summary = JsonDocument.Parse(File.ReadAllText(run.SummaryPath));
        var s = summary.RootElement;
        s.GetProperty("method").GetString().Should().Be("bbn");
        s.GetProperty("epochs").GetInt32().Should().Be(2);
        s.GetProperty("top1").GetDouble().Should().BeInRange(0, 1);
        s.GetProperty("per_class").GetArrayLength().Should().Be(10);
        s.GetProperty("images_per_second").GetDouble().Should().BePositive();
        s.GetProperty("test_images").GetInt64().Should().Be(500);
        int[] counts = s.GetProperty("class_counts").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        counts.Should().HaveCount(10).And.BeInDescendingOrder();
        (counts[0] / (double)counts[^1]).Should().BeApproximately(100, 15, "the long-tailed profile has imbalance ratio 100");
        foreach (string group in new[] { "many", "medium", "few" })
            s.GetProperty(group).ValueKind.Should().BeOneOf(JsonValueKind.Number, JsonValueKind.Null);
        s.GetProperty("many").ValueKind.Should().Be(JsonValueKind.Number, "the head classes keep over 100 images");
        s.GetProperty("few").ValueKind.Should().Be(JsonValueKind.Number, "the tail classes keep under 20 images");

        var (evalCode, evalOutput, evalError) = await AppRunner.Run(["evaluate", run.Path, .. Settings("bbn", epochs: 2), "--Bbn:PostHoc:Apply=false"]);

        evalError.Should().BeEmpty();
        evalCode.Should().Be(0);
        using var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Path, "evaluation", "summary.json")));
        evaluation.RootElement.GetProperty("top1").GetDouble().Should().Be(s.GetProperty("top1").GetDouble());
        evaluation.RootElement.GetProperty("per_class").ToString().Should().Be(s.GetProperty("per_class").ToString());
        evalOutput.Should().Contain("top-1").And.Contain("Ankle boot").And.Contain((s.GetProperty("top1").GetDouble()).ToString("P2", System.Globalization.CultureInfo.InvariantCulture),
            "evaluate prints the results that summary.json holds");
        foreach (string plot in new[] { "training-curves.png", "per-class-accuracy.png", "confusion-matrix.png" })
            Plots.ShouldBeARealPicture(Path.Combine(run.Path, "evaluation", plot));
    }

    [Fact]
    public async Task A_run_leaves_tensorboard_events_and_plots()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("reports", epochs: 2, "--Bbn:Training:LogEverySteps=2")]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = RunDirectory("reports");
        var scalars = TensorBoardEvents.ReadScalars(Path.Combine(run.Path, "tensorboard"));
        var metrics = run.ReadMetrics();
        foreach (var m in metrics)
        {
            scalars.Should().ContainSingle(e => e.Tag == "method/alpha" && e.Step == m.Epoch).Which.Value.Should().BeApproximately((float)m.Method!["alpha"], 1e-6f);
            scalars.Should().ContainSingle(e => e.Tag == "schedule/lr" && e.Step == m.Epoch).Which.Value.Should().BeApproximately((float)m.Lr, 1e-6f);
            scalars.Should().ContainSingle(e => e.Tag == "train/loss" && e.Step == m.Epoch).Which.Value.Should().BeApproximately((float)m.TrainLoss, 1e-5f);
            scalars.Should().ContainSingle(e => e.Tag == "test/top1" && e.Step == m.Epoch).Which.Value.Should().BeApproximately((float)m.Top1!.Value, 1e-6f);
        }
        scalars.Where(e => e.Tag.StartsWith("per_class/", StringComparison.Ordinal) && e.Step == 2).Select(e => e.Tag)
            .Should().HaveCount(10).And.Contain("per_class/09_Ankle boot");
        scalars.Where(e => e.Tag == "train/running_loss").Select(e => e.Step).Should().Equal([2L, 4L, 6L, 8L], "a point per progress report, 4 steps per epoch");
        foreach (string plot in new[] { "training-curves.png", "per-class-accuracy.png", "confusion-matrix.png" })
            Plots.ShouldBeARealPicture(Path.Combine(run.Path, plot));
    }

    [Fact]
    public async Task A_stop_request_checkpoints_and_exits_cleanly_and_resume_finishes_the_run()
    {
        var run = RunDirectory("stopped");
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!File.Exists(run.MetricsPath)) await Task.Delay(50);
            await stop.CancelAsync();
        });

        var (code, _, error) = await AppRunner.Run(stop.Token, ["train", .. Settings("stopped", epochs: 3, "--Bbn:Training:MaxStepsPerEpoch=40")]);
        await watcher;

        error.Should().BeEmpty();
        code.Should().Be(0);
        var header = Checkpoint.ReadHeader(run.CheckpointPath);
        header.Completed.Should().BeFalse();
        header.Position.Epoch.Should().Be(2);
        header.Position.Step.Should().BeInRange(0, 39);
        File.Exists(run.SummaryPath).Should().BeFalse();

        var (resumeCode, _, resumeError) = await AppRunner.Run(["train", .. Settings("stopped", epochs: 3, "--Bbn:Training:MaxStepsPerEpoch=40", "--Bbn:Training:Resume=true")]);

        resumeError.Should().BeEmpty();
        resumeCode.Should().Be(0);
        run.ReadMetrics().Select(m => m.Epoch).Should().Equal(1, 2, 3);
        Checkpoint.ReadHeader(run.CheckpointPath).Completed.Should().BeTrue();
        File.Exists(run.SummaryPath).Should().BeTrue();
    }

    [Theory]
    [InlineData("bbn", 1)]
    [InlineData("crt", 2)]
    [InlineData("lws", 2)]
    [InlineData("tau-norm", 1)]
    [InlineData("weight-balancing", 2)]
    [InlineData("mislas", 2)]
    public async Task Every_method_trains_through_the_host_stage_by_stage(string method, int stages)
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("method-" + method, epochs: 1,
            $"--Bbn:Method:Name={method}", stages > 1 ? "--Bbn:Method:ClassifierEpochs=1" : "--Bbn:Method:Name=" + method, "--Bbn:Training:MaxStepsPerEpoch=2")]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = RunDirectory("method-" + method);
        run.ReadMetrics().Select(m => (m.Epoch, m.Stage)).Should().Equal(Enumerable.Range(1, stages).Select(s => (s, s)));
        run.ReadMetrics().Should().OnlyContain(m => double.IsFinite(m.TrainLoss) && m.Top1 != null);
        var header = Checkpoint.ReadHeader(run.CheckpointPath);
        header.Method.Should().Be(method);
        header.Completed.Should().BeTrue();
        header.Stages.Should().HaveCount(stages);
        header.Loss.Should().Be("cross-entropy");
        using var summary = JsonDocument.Parse(File.ReadAllText(run.SummaryPath));
        summary.RootElement.GetProperty("method").GetString().Should().Be(method);
        summary.RootElement.GetProperty("epochs").GetInt32().Should().Be(stages);
    }

    [Fact]
    public async Task The_single_branch_baseline_is_a_composition_too()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("baseline", epochs: 1, "--Bbn:Method=single-branch", "--Bbn:Samplers:Conventional:Name=reversed")]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = RunDirectory("baseline");
        run.ReadMetrics().Single().Method.Should().BeNull("one branch reports no figure of its own");
        Checkpoint.ReadHeader(run.CheckpointPath).Method.Should().Be("single-branch");
    }

    [Fact]
    public async Task Ldam_gets_the_cosine_classifier_it_asks_for_and_a_checkpoint_refuses_the_other_head()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("ldam", epochs: 1, "--Bbn:Method=single-branch", "--Bbn:Loss:Name=ldam")]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = RunDirectory("ldam");
        Checkpoint.ReadHeader(run.CheckpointPath).Classifier.Should().Be("cosine", "Bbn:Training:Classifier = auto takes the loss's preference");

        // evaluate takes the head from the checkpoint, whatever the configuration says; resuming refuses the other head.
        var (evalCode, _, evalError) = await AppRunner.Run(["evaluate", .. Settings("ldam", epochs: 1, "--Bbn:Method=single-branch", "--Bbn:Loss:Name=ldam",
            "--Bbn:Training:Classifier=linear"), $"--Bbn:Evaluate:Checkpoint={run.Path}"]);
        evalError.Should().BeEmpty();
        evalCode.Should().Be(0);

        var (resumeCode, _, resumeError) = await AppRunner.Run(["train", .. Settings("ldam", epochs: 2, "--Bbn:Method=single-branch", "--Bbn:Loss:Name=ldam",
            "--Bbn:Training:Classifier=linear", "--Bbn:Training:Resume=true")]);
        resumeCode.Should().Be(1);
        resumeError.Should().Contain("with a cosine classifier").And.Contain("with a linear classifier").And.Contain("Bbn:Training:Classifier");
    }

    [Fact]
    public async Task A_missing_dataset_fails_with_exit_code_1_and_keeps_nothing_half_written()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("nodata", epochs: 1), $"--Bbn:Dataset:Root={Path.Combine(root, "absent")}"]);

        code.Should().Be(1);
        error.Should().Contain("train failed: Fashion-MNIST file").And.Contain("scripts/install-dataset.sh");
        Directory.Exists(RunDirectory("nodata").Path).Should().BeFalse("the run directory is created only once the data are loaded");
    }

    [Fact]
    public async Task Resuming_without_a_checkpoint_says_what_to_do()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("never-ran", epochs: 1, "--Bbn:Training:Resume=true")]);

        code.Should().Be(1);
        error.Should().Contain("Bbn:Training:Resume is true but").And.Contain("never-ran").And.Contain("drop Resume to start a new run");
    }

    [Fact]
    public async Task Resuming_with_a_damaged_newest_checkpoint_continues_from_the_previous_one()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. Settings("damaged", epochs: 2, "--Bbn:Method:Name=single-branch")]);
        code.Should().Be(0, error);
        var run = RunDirectory("damaged");
        byte[] newest = File.ReadAllBytes(run.CheckpointPath);
        File.WriteAllBytes(run.CheckpointPath, newest[..(newest.Length / 2)]);

        var (resumed, _, resumeError) = await AppRunner.Run(["train", .. Settings("damaged", epochs: 2, "--Bbn:Method:Name=single-branch", "--Bbn:Training:Resume=true")]);

        resumed.Should().Be(0, resumeError);
        var header = Bbn.Core.Training.Checkpoint.ReadHeader(run.CheckpointPath);
        header.Completed.Should().BeTrue("the run went on from the epoch-1 checkpoint and finished epoch 2");
        Bbn.Core.Training.Checkpoint.Verify(run.CheckpointPath);
        run.ReadMetrics().Select(m => m.Epoch).Should().Equal(1, 2);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}

/// <summary>The plugin author's path: the sample plugin, built out of tree, trains through the host.</summary>
[Collection(PluginFixturesCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class SamplePluginTests(PluginFixtures fixtures) : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-sample-").FullName;

    [Fact]
    public async Task The_sample_sampler_and_backbone_train_a_few_steps_in_the_re_balancing_branch()
    {
        string data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 1000, testImages: 200);
        var (listCode, listing, _) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.Sample)]);
        listCode.Should().Be(0);
        listing.Should().MatchRegex(@"sampler\s+inverse-square-root\s+Bbn\.Samples\.Plugin").And.MatchRegex(@"backbone\s+tiny-cnn\s+Bbn\.Samples\.Plugin");

        var (code, _, error) = await AppRunner.Run([
            "train", .. AppRunner.PluginDirectories(fixtures.Sample),
            $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={root}", "--Bbn:Training:RunName=sample",
            "--Bbn:Backbone:Name=tiny-cnn", "--Bbn:Backbone:Width=8", "--Bbn:Samplers:Rebalancing:Name=inverse-square-root",
            "--Bbn:Training:Epochs=2", "--Bbn:Training:BatchSize=16", "--Bbn:Training:MaxStepsPerEpoch=3"]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = new RunDirectory(Path.Combine(root, "sample"));
        Checkpoint.ReadHeader(run.CheckpointPath).Backbone.Should().Be("tiny-cnn");
        run.ReadMetrics().Should().HaveCount(2).And.OnlyContain(m => m.Steps == 3 && double.IsFinite(m.TrainLoss));
    }

    [Fact]
    public async Task The_sample_backbone_options_are_validated_at_start()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. AppRunner.PluginDirectories(fixtures.Sample), "--Bbn:Backbone:Name=tiny-cnn", "--Bbn:Backbone:Width=1000"]);

        code.Should().Be(2);
        error.Should().Contain("Setting Bbn:Backbone:Width = '1000' is invalid: expected a number from 4 to 256.");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}

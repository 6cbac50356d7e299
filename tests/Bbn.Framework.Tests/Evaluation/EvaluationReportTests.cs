using Bbn.Core.Evaluation;
using FluentAssertions;

namespace Bbn.Framework.Tests;

public sealed class EvaluationReportTests
{
    [Fact]
    public void Expected_calibration_error_weights_each_bins_accuracy_gap_by_its_share()
    {
        var tally = new EvaluationTally(2);
        tally.Add(0, 0, 0.9);
        tally.Add(0, 1, 0.9);
        tally.Add(1, 1, 0.5);

        var report = tally.Report([10, 10], new ShotThresholds(100, 20));

        // Bin (13/15, 14/15]: accuracy 1/2, confidence 0.9; bin (7/15, 8/15]: accuracy 1, confidence 0.5.
        report.ExpectedCalibrationError.Should().BeApproximately((2 / 3.0 * 0.4) + (1 / 3.0 * 0.5), 1e-12);
        report.ConfusionMatrix.Should().BeEquivalentTo(new[] { new long[] { 1, 1 }, new long[] { 0, 1 } }, o => o.WithStrictOrdering());
        report.PerClass.Should().Equal(0.5, 1.0);
        report.Top1.Should().BeApproximately(2 / 3.0, 1e-12);
    }

    [Fact]
    public void Fixed_thresholds_are_used_when_every_group_has_a_class()
    {
        long[][] confusion = [[8, 2, 0], [0, 5, 5], [0, 0, 10]];

        var report = EvaluationReport.From(confusion, 0, [500, 50, 5], new ShotThresholds(100, 20));

        report.ShotGroups.Rule.Should().Be("thresholds: many > 100, few < 20 training images");
        (report.ShotGroups.Many, report.ShotGroups.Medium, report.ShotGroups.Few).Should().Be((0.8, 0.5, 1.0));
        (report.Many, report.Medium, report.Few).Should().Be((0.8, 0.5, 1.0));
    }

    [Fact]
    public void Thirds_by_training_count_replace_the_thresholds_when_a_group_is_empty_and_the_rule_says_so()
    {
        int[] counts = [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60];
        long[][] confusion = Enumerable.Range(0, 10).Select(c => Enumerable.Range(0, 10).Select(p => p == c ? (long)(c + 1) : (p == 0 ? 10L - (c + 1) : 0)).ToArray()).ToArray();

        var report = EvaluationReport.From(confusion, 0, counts, new ShotThresholds(100, 20));

        report.Few.Should().BeNull("no class has fewer than 20 training images");
        report.ShotGroups.Rule.Should().Contain("thirds of the classes ranked by training count").And.Contain("left few empty");
        report.ShotGroups.ManyClasses.Should().Equal(0, 1, 2, 3);
        report.ShotGroups.MediumClasses.Should().Equal(4, 5, 6);
        report.ShotGroups.FewClasses.Should().Equal(7, 8, 9);
        report.ShotGroups.Few.Should().BeApproximately((0.8 + 0.9 + 1.0) / 3, 1e-12);
    }

    [Fact]
    public void On_a_long_tailed_split_balanced_top1_scores_the_head_only_model_at_one_class_s_share_where_top1_prefers_it()
    {
        // A stratified tenth of a 120/40/20/8/6-image folder: 12, 4, 2, 1, 1 validation images.
        long[][] headOnly = [[12, 0, 0, 0, 0], [4, 0, 0, 0, 0], [2, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0]];
        long[][] learned = [[5, 7, 0, 0, 0], [1, 3, 0, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]];
        int[] counts = [120, 40, 20, 8, 6];
        var thresholds = new ShotThresholds(100, 20);
        var head = EvaluationReport.From(headOnly, 0, counts, thresholds);
        var model = EvaluationReport.From(learned, 0, counts, thresholds);

        ModelSelection.Score(head, ValidationOptions.ByTop1).Should().BeGreaterThan(ModelSelection.Score(model, ValidationOptions.ByTop1));
        ModelSelection.Score(head, ValidationOptions.ByBalancedTop1).Should().Be(0.2);
        ModelSelection.Score(model, ValidationOptions.ByBalancedTop1).Should().BeApproximately((5 / 12.0 + 0.75 + 0.5 + 1 + 1) / 5, 1e-12);

        // One image of a one-image class is a fifth of the balanced score; of a top-1, a twentieth.
        ModelSelection.OneImage(model, ValidationOptions.ByBalancedTop1).Should().Be(0.2);
        ModelSelection.OneImage(model, ValidationOptions.ByTop1).Should().Be(1 / 20.0);
        ModelSelection.TooCoarse(ModelSelection.OneImage(model, ValidationOptions.ByBalancedTop1)).Should().BeTrue();

        // The balanced score's error: sqrt(s(1 - s) x sum over classes of (1/5)^2 / images), images 12, 4, 2, 1, 1.
        double s = ModelSelection.Score(model, ValidationOptions.ByBalancedTop1);
        ModelSelection.StandardError(model, ValidationOptions.ByBalancedTop1).Should().BeApproximately(Math.Sqrt(s * (1 - s) * (1 / 12.0 + 1 / 4.0 + 1 / 2.0 + 1 + 1) / 25), 1e-12);
        ModelSelection.StandardError(model, ValidationOptions.ByTop1).Should().BeApproximately(Math.Sqrt(0.55 * 0.45 / 20), 1e-12);
        ModelSelection.StandardError(head, ValidationOptions.ByBalancedTop1).Should().BeGreaterThan(0, "an epoch answering one class is not certain");
        new ValidationOptions().SelectBy.Should().Be(ValidationOptions.ByBalancedTop1);
    }

    [Fact]
    public void Where_every_class_has_as_many_validation_images_balanced_top1_is_top1_to_the_last_bit()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            int classes = random.Next(2, 12), each = random.Next(1, 30);
            long[][] confusion = Enumerable.Range(0, classes).Select(_ => new long[classes]).ToArray();
            for (int c = 0; c < classes; c++)
                for (int i = 0; i < each; i++) confusion[c][random.Next(classes)]++;
            var report = EvaluationReport.From(confusion, 0, Enumerable.Repeat(10, classes).ToArray(), new ShotThresholds(100, 20));

            // Equal scores must stay equal, so that a balanced split (the paper's profiles) selects the same epoch as top1.
            ModelSelection.Score(report, ValidationOptions.ByBalancedTop1).Should().Be(report.Top1);
            ModelSelection.OneImage(report, ValidationOptions.ByBalancedTop1).Should().Be(ModelSelection.OneImage(report, ValidationOptions.ByTop1));
        }
    }

    [Fact]
    public void A_resumed_run_goes_on_selecting_by_the_metric_its_best_epoch_was_scored_by()
    {
        var run = new Bbn.Core.Runs.RunDirectory(Path.Combine(Path.GetTempPath(), "bbn-selection-" + Guid.NewGuid().ToString("N")));
        var fresh = new Bbn.Core.Training.Hooks.SelectionHook(run, ValidationOptions.ByBalancedTop1, null!);
        fresh.Metric.Should().Be(ValidationOptions.ByBalancedTop1);

        var resumed = new Bbn.Core.Training.Hooks.SelectionHook(run, ValidationOptions.ByBalancedTop1, null!);
        var best = new Bbn.Core.Runs.SelectedEpoch(ValidationOptions.ByTop1, 3, 0.6, 0.5, null, null, null, "best.bbn", 20);
        resumed.LoadState(System.Text.Json.JsonSerializer.SerializeToElement(best, Bbn.Core.Runs.RunJson.Options));

        resumed.Metric.Should().Be(ValidationOptions.ByTop1, "its best score of 0.6 is a top-1, which a balanced top-1 must not be compared with");
        resumed.Best.Should().Be(best);
    }

    [Theory]
    [InlineData("one-standard-error", 5, 2)]
    [InlineData("highest", 2, 2)]
    public void One_standard_error_keeps_the_latest_epoch_within_the_highest_s_error_and_highest_the_first_highest(string rule, int expected, int highestEpoch)
    {
        // Scores of epochs 1-5 with their standard errors: epoch 2 is highest (0.70 ± 0.05); epochs 3 and 5 are within 0.65, epoch 4 is not.
        (double Score, double Error)[] epochs = [(0.50, 0.05), (0.70, 0.05), (0.68, 0.05), (0.60, 0.05), (0.66, 0.05)];
        Bbn.Core.Runs.SelectedEpoch? chosen = null;
        for (int e = 1; e <= epochs.Length; e++)
        {
            var (score, error) = epochs[e - 1];
            if (Bbn.Core.Training.Hooks.SelectionHook.Choose(chosen, e, score, error, rule) is not { } highest) continue;
            chosen = new Bbn.Core.Runs.SelectedEpoch("balanced-top1", e, score, 0, null, null, null, "best.bbn", 100, null, rule,
                highest.Epoch, highest.Score, highest.StandardError);
        }

        chosen!.Epoch.Should().Be(expected);
        chosen.HighestEpoch.Should().Be(highestEpoch);
        (chosen.HighestScore, chosen.HighestStandardError).Should().Be((0.70, 0.05));
        Bbn.Core.Training.Hooks.SelectionHook.Choose(chosen, 6, 0.70, 0.05, ValidationOptions.Highest).Should().BeNull("under highest, the first of equal scores stays");
    }
}

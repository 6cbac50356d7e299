using Bbn.Core.Runs;
using Bbn.Core.Evaluation;
using Bbn.Core.Training;
using Bbn.Core.Training.Hooks;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>A run that is not learning says so: loss at chance level, predictions collapsed onto a few classes.</summary>
public sealed class LearningHealthTests
{
    private static readonly string[] Names = ["a", "b", "c", "d"];

    [Theory]
    [InlineData(1.40, true)] // ln 4 = 1.386: not below chance
    [InlineData(1.38, false)]
    [InlineData(double.NaN, true)]
    [InlineData(double.PositiveInfinity, true)]
    public void A_training_loss_not_below_ln_c_is_a_warning(double loss, bool warned)
    {
        var warning = LearningHealth.CheckLoss(7, loss, classCount: 4);
        (warning is not null).Should().Be(warned);
        if (warning is not null)
            warning.Message.Should().Contain("Epoch 7").And.Contain("ln 4 = 1.386").And.Contain("Bbn:Training:LearningRate");
    }

    [Fact]
    public void Predictions_on_two_of_four_classes_are_a_collapse()
    {
        // Rows: true class; columns: predicted. Classes c and d get no predictions for their 10 test images each.
        long[][] confusion = [[9, 1, 0, 0], [3, 7, 0, 0], [6, 4, 0, 0], [5, 5, 0, 0]];
        var warning = LearningHealth.CheckPredictions(30, Report(confusion), Names);
        warning.Should().NotBeNull();
        warning!.Kind.Should().Be(LearningHealth.CollapsedPredictions);
        warning.Message.Should().Contain("2 of 4 classes").And.Contain("a 58 %").And.Contain("b 42 %");
    }

    [Fact]
    public void A_weak_model_that_predicts_every_class_is_not_a_collapse()
    {
        // Column d has 2 predictions for 10 images (over a tenth): only column c is nearly empty.
        long[][] confusion = [[5, 3, 0, 2], [3, 5, 1, 1], [4, 3, 0, 3], [3, 3, 0, 4]];
        LearningHealth.CheckPredictions(30, Report(confusion), Names).Should().BeNull();
    }

    private static EvaluationReport Report(long[][] confusion) =>
        EvaluationReport.From(confusion, 0, [100, 50, 20, 10], new ShotThresholds(60, 15));
}

/// <summary>The warning through the loop: a run built to collapse (a learning rate far too high) logs it once and records it.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class LearningHealthRunTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-health-").FullName;

    [Fact]
    public void A_run_with_a_learning_rate_far_too_high_warns_and_its_status_and_summary_carry_the_warning()
    {
        using var train = Synthetic.Set([40, 16, 8]);
        var options = new TrainingOptions { Epochs = 3, BatchSize = 8, WarmupEpochs = 1, LearningRate = 50, EvaluationBatchSize = 64, Seed = 3 };
        var run = RunDirectory.ForNewRun(root, "collapse", "h", DateTimeOffset.UnixEpoch);
        var observer = new RecordingObserver();
        using var session = Sessions.Create("single-branch", options, train);

        TrainingLoop.Run(session, run, TrainingPosition.Start, observer, CancellationToken.None);

        observer.Warnings.Select(w => w.Kind).Should().Contain(LearningHealth.LossAtChance).And.OnlyHaveUniqueItems("each kind is raised once");
        observer.Warnings.Should().OnlyContain(w => w.Epoch >= 2, "nothing is checked during the warm-up");
        string summary = File.ReadAllText(run.SummaryPath);
        summary.Should().Contain(LearningHealth.LossAtChance);
        File.ReadAllText(run.StatusPath).Should().Contain(LearningHealth.LossAtChance);
    }

    [Fact]
    public void A_run_stopped_after_its_warning_and_resumed_neither_loses_nor_repeats_it()
    {
        using var train = Synthetic.Set([40, 16, 8]);
        var options = new TrainingOptions { Epochs = 4, BatchSize = 8, WarmupEpochs = 1, LearningRate = 50, EvaluationBatchSize = 64, Seed = 3, LogEverySteps = 1 };
        var straight = RunDirectory.ForNewRun(root, "straight", "h", DateTimeOffset.UnixEpoch);
        var uninterrupted = new RecordingObserver();
        using (var session = Sessions.Create("single-branch", options, train))
            TrainingLoop.Run(session, straight, TrainingPosition.Start, uninterrupted, CancellationToken.None);
        uninterrupted.Warnings.Should().Contain(w => w.Epoch <= 2, "the run is built to warn before the stop below");

        var stopped = RunDirectory.ForNewRun(root, "stopped", "h", DateTimeOffset.UnixEpoch);
        using var cancel = new CancellationTokenSource();
        var before = new RecordingObserver { OnStep = p => { if (p.Epoch == 3 && p.Step == 1) cancel.Cancel(); } };
        using (var session = Sessions.Create("single-branch", options, train))
        {
            TrainingLoop.Run(session, stopped, TrainingPosition.Start, before, cancel.Token).Should().Be(TrainingOutcome.Stopped);
        }
        var after = new RecordingObserver();
        using (var session = Sessions.Create("single-branch", options, train))
        {
            var position = session.Checkpoints.Restore(stopped.CheckpointPath);
            TrainingLoop.Run(session, stopped, position, after, CancellationToken.None).Should().Be(TrainingOutcome.Completed);
        }

        before.Warnings.Should().NotBeEmpty("the stop comes after the first warning");
        before.Warnings.Concat(after.Warnings).Should().BeEquivalentTo(uninterrupted.Warnings, o => o.WithStrictOrdering(), "each warning is raised once over the two processes");
        File.ReadAllText(stopped.SummaryPath).Should().Contain("\"warnings\"");
        Warnings(stopped.SummaryPath).Should().Be(Warnings(straight.SummaryPath), "the resumed run's summary carries the warnings of the first process");
    }

    private static string Warnings(string summaryPath) =>
        System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(summaryPath))!["warnings"]!.ToJsonString();

    public void Dispose() => Directory.Delete(root, recursive: true);
}

/// <summary>A diverging run stops at the step with a message that names it, and keeps the last good checkpoint.</summary>
[Collection(TorchCollection.Name)]
public sealed class DivergenceTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-diverge-").FullName;

    [Fact]
    public void A_non_finite_loss_stops_the_run_at_that_step_and_the_checkpoint_of_the_last_epoch_stays()
    {
        using var train = Synthetic.Set([16, 8, 8]);
        var options = new TrainingOptions { Epochs = 3, BatchSize = 8, WarmupEpochs = 0, LearningRate = 0.05, EvaluationBatchSize = 64, Seed = 3 };
        var run = RunDirectory.ForNewRun(root, "diverges", "d", DateTimeOffset.UnixEpoch);
        using var session = Sessions.Create("single-branch", options, train);
        var poison = new PoisonAfter(session, epoch: 2, step: 1);

        var act = () => TrainingLoop.Run(session, TrainingPosition.Start, [.. TrainingHooks.Standard(session, run, new RecordingObserver(), null), poison], CancellationToken.None);

        act.Should().Throw<DivergenceException>()
            .WithMessage("The run diverged at stage 1, epoch 2, step 3 (learning rate 0.05): the loss is not finite.*Bbn:Training:LearningRate*Bbn:Training:SkipNonFiniteSteps*");
        var header = Checkpoint.ReadHeader(run.CheckpointPath);
        header.Position.Epoch.Should().Be(2, "the checkpoint of epoch 1 is the last good one");
        header.Position.Step.Should().Be(0);
    }

    [Fact]
    public void Skipped_non_finite_steps_leave_the_weights_alone_up_to_the_allowed_count()
    {
        using var train = Synthetic.Set([16, 8, 8]);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 8, WarmupEpochs = 0, LearningRate = 0.05, Seed = 3, SkipNonFiniteSteps = 1 };
        using var session = Sessions.Create("single-branch", options, train);
        session.BeginStage(1, atStageStart: true);
        var plan = session.Stages.PlanEpoch(1);
        var weight = session.Network.ClassifierTensors().Weight;
        using var before = weight.detach().clone();

        PoisonAfter.Poison(session);

        double.IsNaN(session.Step(plan, 0)).Should().BeTrue("the first non-finite step is skipped");
        weight.allclose(before, rtol: 0, atol: 0).Should().BeTrue("a skipped step does not update");
        var second = () => session.Step(plan, 1);
        second.Should().Throw<DivergenceException>().WithMessage("*epoch 1, step 2*");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}

/// <summary>Makes the classifier's bias NaN after step <c>step</c> (from 0) of epoch <c>epoch</c>, so that the next step's loss is NaN.</summary>
internal sealed class PoisonAfter(TrainingSession session, int epoch, int step) : ITrainingHook
{
    public void StepCompleted(StepRecord completed)
    {
        if (completed.RunEpoch == epoch && completed.Step == step + 1) Poison(session);
    }

    public static void Poison(TrainingSession session)
    {
        using var noGrad = TorchSharp.torch.no_grad();
        session.Network.ClassifierTensors().Bias!.fill_(double.NaN);
    }
}

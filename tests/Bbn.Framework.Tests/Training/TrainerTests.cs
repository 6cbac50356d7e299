using Bbn.Core.Runs;
using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Training;
using Bbn.Core.Training.Hooks;
using FluentAssertions;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>The trainer loop on a small synthetic set: seeding, stop and resume, checkpoints.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class TrainerTests : IDisposable
{
    private static readonly int[] Counts = [40, 16, 8];
    private readonly string root = Directory.CreateTempSubdirectory("bbn-trainer-").FullName;

    private static TrainingOptions Options(int epochs = 2) => new()
    {
        Epochs = epochs,
        BatchSize = 8,
        WarmupEpochs = 1,
        LrDecayAt = [0.5],
        EvaluationBatchSize = 32,
        Seed = 5,
        LogEverySteps = 1,
    };

    private static TrainingSession Trainer(TrainingOptions options, ImageSet train, string method = "bbn") => Sessions.Create(method, options, train);

    private RunDirectory Run(string name) => RunDirectory.ForNewRun(root, name, "test", DateTimeOffset.UnixEpoch);

    [Fact]
    public void The_same_seed_gives_the_same_first_epoch_losses()
    {
        using var train = Synthetic.Set(Counts);
        var losses = new List<double[]>();
        for (int attempt = 0; attempt < 2; attempt++)
        {
            using var trainer = Trainer(Options(), train);
            losses.Add(Sessions.FirstSteps(trainer, epoch: 1, steps: 3));
        }

        losses[0].Should().Equal(losses[1]);
        losses[0].Should().OnlyContain(l => double.IsFinite(l) && l > 0);
    }

    [Fact]
    public void The_run_s_training_time_is_estimated_once_after_its_first_steps()
    {
        using var train = Synthetic.Set(Counts);
        var options = Options(epochs: 3);
        using var trainer = Trainer(options, train);
        var observer = new RecordingObserver();
        TrainingLoop.Run(trainer, Run("estimated"), TrainingPosition.Start, observer, CancellationToken.None).Should().Be(TrainingOutcome.Completed);

        int steps = observer.Epochs[0].Steps;
        int measured = Math.Min(Bbn.Core.Training.Hooks.ObserverHook.EstimateAfterSteps, steps);
        observer.Estimates.Should().ContainSingle();
        var (training, remaining, measuredSteps) = observer.Estimates[0];
        measuredSteps.Should().Be(measured);
        remaining.Should().Be((3 * steps) - measured, "every later step of the run is counted");
        training.Should().BePositive();
    }

    [Fact]
    public void Stopping_and_resuming_reaches_the_same_weights_as_an_uninterrupted_run()
    {
        using var train = Synthetic.Set(Counts);
        var options = Options(epochs: 2);

        var straight = Run("straight");
        using (var trainer = Trainer(options, train))
        {
            TrainingLoop.Run(trainer, straight, TrainingPosition.Start, new RecordingObserver(), CancellationToken.None).Should().Be(TrainingOutcome.Completed);
        }

        var interrupted = Run("interrupted");
        using (var cancel = new CancellationTokenSource())
        using (var trainer = Trainer(options, train))
        {
            var observer = new RecordingObserver { OnStep = p => { if (p.Epoch == 1 && p.Step == 3) cancel.Cancel(); } };
            TrainingLoop.Run(trainer, interrupted, TrainingPosition.Start, observer, cancel.Token).Should().Be(TrainingOutcome.Stopped);
            Checkpoint.ReadHeader(interrupted.CheckpointPath).Position.Should().Match<TrainingPosition>(p => p.Epoch == 1 && p.Step == 3);
            File.ReadAllText(interrupted.StatusPath).Should().Contain("\"state\": \"stopped\"").And.Contain("\"step\": 3");
        }
        using (var resumed = Trainer(options, train))
        {
            var position = resumed.Checkpoints.Restore(interrupted.CheckpointPath);
            TrainingLoop.Run(resumed, interrupted, position, new RecordingObserver(), CancellationToken.None).Should().Be(TrainingOutcome.Completed);
        }

        SameWeights(options, train, straight, interrupted);
        interrupted.ReadMetrics().Select(m => m.TrainLoss).Should().Equal(straight.ReadMetrics().Select(m => m.TrainLoss),
            (x, y) => Math.Abs(x - y) < 1e-4);
    }

    [Fact]
    public void A_stop_requested_while_the_epoch_checkpoint_is_written_lets_the_write_finish_and_resumes_exactly()
    {
        using var train = Synthetic.Set(Counts);
        var options = Options(epochs: 2);
        var straight = Run("straight-write");
        using (var trainer = Trainer(options, train))
            TrainingLoop.Run(trainer, straight, TrainingPosition.Start, new RecordingObserver(), CancellationToken.None).Should().Be(TrainingOutcome.Completed);

        var interrupted = Run("stopped-in-write");
        using (var cancel = new CancellationTokenSource())
        using (var trainer = Trainer(options, train))
        {
            // The stop arrives as epoch 1's checkpoint is about to be written (this hook runs before the checkpoint hook).
            ITrainingHook[] hooks = [new StopAtEpochEnd(cancel, epoch: 1), .. TrainingHooks.Standard(trainer, interrupted, new RecordingObserver(), null)];
            TrainingLoop.Run(trainer, TrainingPosition.Start, hooks, cancel.Token).Should().Be(TrainingOutcome.Stopped);
            Checkpoint.Verify(interrupted.CheckpointPath);
            Checkpoint.ReadHeader(interrupted.CheckpointPath).Position.Epoch.Should().Be(2, "the write finished, and the run stopped before epoch 2's first step");
            Directory.GetFiles(interrupted.Path, "*.tmp").Should().BeEmpty();
        }
        using (var resumed = Trainer(options, train))
        {
            var position = resumed.Checkpoints.Restore(interrupted.CheckpointPath);
            TrainingLoop.Run(resumed, interrupted, position, new RecordingObserver(), CancellationToken.None).Should().Be(TrainingOutcome.Completed);
        }

        SameWeights(options, train, straight, interrupted);
    }

    /// <summary>The final checkpoints of an uninterrupted and an interrupted-then-resumed run hold the same tensors.</summary>
    private static void SameWeights(TrainingOptions options, ImageSet train, RunDirectory straight, RunDirectory interrupted)
    {
        using var a = Trainer(options, train);
        using var b = Trainer(options, train);
        a.Checkpoints.Restore(straight.CheckpointPath);
        b.Checkpoints.Restore(interrupted.CheckpointPath);
        var expected = a.Network.state_dict();
        var actual = b.Network.state_dict();
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, value) in expected)
            actual[name].allclose(value, rtol: 1e-5, atol: 1e-6).Should().BeTrue($"{name} must match the uninterrupted run");
    }

    private sealed class StopAtEpochEnd(CancellationTokenSource cancel, int epoch) : ITrainingHook
    {
        public void EpochCompleted(EpochEnd end)
        {
            if (end.RunEpoch == epoch) cancel.Cancel();
        }
    }

    [Fact]
    public void A_two_stage_run_stopped_in_stage_two_resumes_there_and_ends_with_the_weights_of_an_uninterrupted_run()
    {
        using var train = Synthetic.Set(Counts);
        var options = Options(epochs: 1);
        var settings = new Dictionary<string, string?> { ["ClassifierEpochs"] = "2" };
        TrainingSession Crt() => Sessions.Create("crt", options, train, settings);

        var straight = Run("crt-straight");
        using (var session = Crt())
            TrainingLoop.Run(session, straight, TrainingPosition.Start, new RecordingObserver(), CancellationToken.None).Should().Be(TrainingOutcome.Completed);

        var interrupted = Run("crt-interrupted");
        using (var cancel = new CancellationTokenSource())
        using (var session = Crt())
        {
            var observer = new RecordingObserver { OnStep = p => { if (p.Stage == 2 && p.Epoch == 2 && p.Step == 3) cancel.Cancel(); } };
            TrainingLoop.Run(session, interrupted, TrainingPosition.Start, observer, cancel.Token).Should().Be(TrainingOutcome.Stopped);
            Checkpoint.ReadHeader(interrupted.CheckpointPath).Position.Should().Match<TrainingPosition>(p => p.Stage == 2 && p.Epoch == 1 && p.Step == 3);
        }
        using (var resumed = Crt())
        {
            var position = resumed.Checkpoints.Restore(interrupted.CheckpointPath);
            position.Stage.Should().Be(2);
            resumed.Stages.Active.Should().Be(2);
            TrainingLoop.Run(resumed, interrupted, position, new RecordingObserver(), CancellationToken.None).Should().Be(TrainingOutcome.Completed);
        }

        using var a = Crt();
        using var b = Crt();
        a.Checkpoints.Restore(straight.CheckpointPath);
        b.Checkpoints.Restore(interrupted.CheckpointPath);
        foreach (var (name, value) in a.Network.state_dict())
            b.Network.state_dict()[name].allclose(value, rtol: 1e-5, atol: 1e-6).Should().BeTrue($"{name} must match the uninterrupted run");
        interrupted.ReadMetrics().Select(m => (m.Epoch, m.Stage)).Should().Equal((1, 1), (2, 2), (3, 2));
        interrupted.ReadMetrics().Select(m => m.TrainLoss).Should().Equal(straight.ReadMetrics().Select(m => m.TrainLoss), (x, y) => Math.Abs(x - y) < 1e-4);
    }

    [Fact]
    public void A_frozen_stage_changes_only_what_it_trains_and_keeps_the_frozen_batch_norm_statistics()
    {
        using var train = Synthetic.Set(Counts);
        using var session = Sessions.Create("crt", Options(epochs: 1), train, new() { ["ClassifierEpochs"] = "1" });
        var run = Run("crt-frozen");
        Dictionary<string, Tensor>? afterStageOne = null;
        var observer = new RecordingObserver
        {
            OnStep = p =>
            {
                if (p.Stage == 1 && p.Step == p.StepsInEpoch) afterStageOne = session.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            },
        };

        TrainingLoop.Run(session, run, TrainingPosition.Start, observer, CancellationToken.None);

        var final = session.Network.state_dict();
        foreach (var (name, before) in afterStageOne!)
        {
            bool same = final[name].allclose(before, 0, 0);
            if (name.StartsWith("classifier.", StringComparison.Ordinal)) same.Should().BeFalse($"{name} is re-initialised and trained in stage 2");
            else if (!name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) same.Should().BeTrue($"{name} is frozen in stage 2, batch-norm statistics included");
        }
    }

    [Fact]
    public void A_completed_run_leaves_config_metrics_summary_and_a_checkpoint_with_nulls_for_empty_groups()
    {
        using var train = Synthetic.Set(Counts);
        var run = Run("complete");
        var observer = new RecordingObserver();
        using var trainer = Trainer(Options(epochs: 2), train, "single-branch");

        TrainingLoop.Run(trainer, run, TrainingPosition.Start, observer, CancellationToken.None);

        var metrics = run.ReadMetrics();
        metrics.Select(m => m.Epoch).Should().Equal(1, 2);
        metrics.Should().OnlyContain(m => m.Method == null && m.Steps == 8 && m.Top1 != null);
        observer.Epochs.Should().HaveCount(2);
        string summary = File.ReadAllText(run.SummaryPath);
        summary.Should().Contain("\"many\": null").And.Contain("\"class_counts\": [").And.NotContain("NaN")
            .And.Contain("\"confusion_matrix\": [").And.Contain("\"expected_calibration_error\":").And.Contain("\"rule\": \"thirds of the classes");
        File.ReadAllText(run.StatusPath).Should().Contain("\"state\": \"completed\"").And.Contain("\"epoch\": 2");
        var header = Checkpoint.ReadHeader(run.CheckpointPath);
        header.Completed.Should().BeTrue();
        header.Method.Should().Be("single-branch");
        Directory.GetFiles(run.Path, "*.tmp").Should().BeEmpty();
    }

    [Fact]
    public void Steps_images_loss_and_epoch_time_are_published_as_metrics()
    {
        using var train = Synthetic.Set(Counts);
        using var instruments = new TrainerInstruments();
        using var steps = new MetricCollector<long>(instruments.Steps);
        using var images = new MetricCollector<long>(instruments.Images);
        using var loss = new MetricCollector<double>(instruments.Loss);
        using var epochs = new MetricCollector<double>(instruments.EpochDuration);
        using var trainer = Trainer(Options(epochs: 2), train);

        TrainingLoop.Run(trainer, Run("metered"), TrainingPosition.Start, new RecordingObserver(), CancellationToken.None, instruments);

        steps.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(16);
        images.GetMeasurementSnapshot().Sum(m => m.Value).Should().Be(16 * 8 * 2, "both branches' images count");
        loss.GetMeasurementSnapshot().Should().HaveCount(16).And.OnlyContain(m => double.IsFinite(m.Value) && m.Value > 0);
        epochs.GetMeasurementSnapshot().Should().HaveCount(2);
        TrainerInstruments.MeterName.Should().Be("Bbn.Trainer");
    }

    [Fact]
    public void A_checkpoint_of_another_composition_is_refused_with_both_descriptions()
    {
        using var train = Synthetic.Set(Counts);
        var run = Run("single");
        using (var single = Trainer(Options(epochs: 1), train, "single-branch"))
        {
            single.Checkpoints.Save(run.CheckpointPath, TrainingPosition.Start, completed: false);
        }
        using var bilateral = Trainer(Options(epochs: 1), train);

        var act = () => bilateral.Checkpoints.Restore(run.CheckpointPath);

        act.Should().Throw<InvalidDataException>().WithMessage("*single-branch run of resnet32*asks for bbn*");
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_refused_by_name()
    {
        string path = Path.Combine(root, "bogus.bbn");
        File.WriteAllText(path, "not a checkpoint");

        var act = () => Checkpoint.ReadHeader(path);

        act.Should().Throw<InvalidDataException>().WithMessage($"{path} is not a Bbn.Framework checkpoint*");
    }

    [Fact]
    public void A_new_run_never_overwrites_an_existing_one()
    {
        var first = Run("taken");
        File.WriteAllText(first.SummaryPath, "{}");

        var act = () => Run("taken");

        act.Should().Throw<RunDirectoryException>().WithMessage("*already holds a run*Resume=true*nothing was overwritten*");
        File.ReadAllText(first.SummaryPath).Should().Be("{}");
    }

    [Fact]
    public void With_no_memory_growth_tolerance_the_heap_is_given_back_after_every_epoch_and_the_observer_told()
    {
        using var train = Synthetic.Set(Counts);
        var options = Options(epochs: 2);
        options.MemoryGrowthTolerance = 0;
        using var trainer = Trainer(options, train);
        var observer = new RecordingObserver();

        TrainingLoop.Run(trainer, Run("released"), TrainingPosition.Start, observer, CancellationToken.None);

        observer.HeapReleases.Select(r => r.Epoch).Should().Equal(1, 2);
        observer.HeapReleases.Should().OnlyContain(r => r.ResidentBytesBefore > 0 && r.ResidentBytesAfter > 0);
    }

    [Fact]
    public void A_zero_classifier_init_starts_every_logit_at_zero_and_the_default_does_not()
    {
        using var train = Synthetic.Set(Counts);
        using var plain = Trainer(Options(epochs: 1), train);
        var options = Options(epochs: 1);
        options.ClassifierInit = ClassifierInit.Zero;
        using var zeroed = Trainer(options, train);
        using var images = TorchSharp.torch.rand(4, 1, 32, 32);

        zeroed.Network.eval();
        plain.Network.eval();
        using var logits = zeroed.Network.call(images);
        using var defaultLogits = plain.Network.call(images);

        logits.abs().max().item<float>().Should().Be(0);
        defaultLogits.abs().max().item<float>().Should().BeGreaterThan(0);
    }

    [Fact]
    public void A_sigmoid_class_balanced_loss_starts_the_classifier_biases_at_minus_log_c_minus_1()
    {
        using var train = Synthetic.Set(Counts);
        var settings = new Dictionary<string, string?> { ["Base"] = "sigmoid" };
        var method = BuiltInComponents.Create<ITrainingMethod>("bbn");
        var samplers = method.Branches.Select(b => BuiltInComponents.Create<ISampler>(b.DefaultSampler)).ToArray();
        var setup = new TrainingSetup("bbn", method, BuiltInComponents.Create<IBackbone>("resnet32"), samplers, BuiltInComponents.Create<ILoss>("class-balanced", settings), null);
        using var session = new TrainingSession(setup, Options(epochs: 1), train, train, TorchSharp.torch.CPU, new RunIdentity("resnet32", "synthetic", "class-balanced"));
        using var plain = Trainer(Options(epochs: 1), train);

        double expected = -Math.Log(Counts.Length - 1);
        session.Network.ClassifierTensors().Bias!.data<float>().ToArray().Should().OnlyContain(b => Math.Abs(b - expected) < 1e-6);
        plain.Network.ClassifierTensors().Bias!.data<float>().ToArray().Should().NotContain(b => Math.Abs(b - expected) < 1e-6);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}

internal sealed class RecordingObserver : ITrainingObserver
{
    public Action<StepProgress>? OnStep { get; init; }
    public List<StepProgress> Steps { get; } = [];
    public List<EpochMetrics> Epochs { get; } = [];

    public void StepCompleted(StepProgress progress)
    {
        Steps.Add(progress);
        OnStep?.Invoke(progress);
    }

    public void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining) => Epochs.Add(metrics);

    public List<(int Epoch, long ResidentBytesBefore, long ResidentBytesAfter)> HeapReleases { get; } = [];

    public void HeapReleased(int epoch, long residentBytesBefore, long residentBytesAfter) => HeapReleases.Add((epoch, residentBytesBefore, residentBytesAfter));

    public List<RunWarning> Warnings { get; } = [];

    public void Warned(RunWarning warning) => Warnings.Add(warning);

    public List<(TimeSpan Training, int RemainingSteps, int MeasuredSteps)> Estimates { get; } = [];

    public void Estimated(TimeSpan training, int remainingSteps, int measuredSteps) => Estimates.Add((training, remainingSteps, measuredSteps));
}

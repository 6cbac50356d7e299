using Bbn.Core.Runs;
using Bbn.Core.Data;
using Bbn.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Bbn:Training:AccumulationSteps, ClipGradientNorm and EmaDecay: what users of Lightning or MMEngine expect of a loop.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class LoopSettingsTests : IDisposable
{
    private static readonly int[] Counts = [40, 16, 8];
    private readonly string root = Directory.CreateTempSubdirectory("bbn-loop-").FullName;

    private static TrainingOptions Options(int accumulation = 1, double clip = 0, double ema = 0, double weightDecay = 2e-4) => new()
    {
        Epochs = 1, BatchSize = 8, WarmupEpochs = 0, Seed = 9, LogEverySteps = 1, EvaluationBatchSize = 32,
        AccumulationSteps = accumulation, ClipGradientNorm = clip, EmaDecay = ema, WeightDecay = weightDecay,
    };

    /// <summary>cRT's classifier stage: the trunk's batch norms are frozen (evaluation mode), so the network has no batch statistics.</summary>
    private static Dictionary<string, Tensor> ClassifierSteps(ImageSet train, TrainingOptions options, int steps, out double[] losses)
    {
        using var session = Sessions.Create("crt", options, train, new() { ["ClassifierEpochs"] = "1" });
        session.BeginStage(2, atStageStart: true);
        foreach (var group in session.Optimization.Optimizer!.ParamGroups) group.LearningRate = 0.5;
        var plan = session.Stages.PlanEpoch(1);
        losses = Enumerable.Range(0, steps).Select(s => session.Step(plan, s)).ToArray();
        return session.Network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
    }

    [Fact]
    public void Without_batch_statistics_four_micro_batches_equal_one_batch_four_times_larger()
    {
        using var train = Synthetic.Set(Counts);
        var whole = ClassifierSteps(train, Options(), 3, out var wholeLosses);
        var parts = ClassifierSteps(train, Options(accumulation: 4), 3, out var partLosses);

        partLosses.Should().Equal(wholeLosses, (a, b) => Math.Abs(a - b) <= 1e-5 * Math.Abs(b));
        foreach (var (name, value) in whole)
            parts[name].allclose(value, rtol: 1e-5, atol: 1e-6).Should().BeTrue($"{name} after accumulated steps");
        whole["classifier.weight"].allclose(ClassifierSteps(train, Options(), 0, out _)["classifier.weight"]).Should().BeFalse("the steps train the classifier");
    }

    [Fact]
    public void Clipping_the_gradient_norm_bounds_the_update()
    {
        using var train = Synthetic.Set(Counts);
        var start = ClassifierSteps(train, Options(weightDecay: 0), 0, out _);
        var clipped = ClassifierSteps(train, Options(clip: 1e-9, weightDecay: 0), 1, out _);
        var free = ClassifierSteps(train, Options(weightDecay: 0), 1, out _);

        double Moved(Dictionary<string, Tensor> state) => (state["classifier.weight"] - start["classifier.weight"]).abs().max().item<float>();
        Moved(clipped).Should().BeLessThan(1e-8);
        Moved(free).Should().BeGreaterThan(1e-4);
    }

    [Fact]
    public void The_weight_average_follows_its_decay_and_swaps_in_for_evaluation_only()
    {
        using var network = TinyNetwork.Create(bilateral: false, classes: 3);
        using var average = new WeightAverage(network, 0.9);
        var parameter = network.named_parameters().First(p => p.name == "classifier.bias").parameter;
        using var before = parameter.detach().clone();
        using (no_grad()) parameter.add_(1);

        average.Update();

        average.WithAverage(() => parameter.detach().clone()).allclose(before + 0.1, rtol: 1e-5, atol: 1e-6).Should().BeTrue("avg = 0.9 w0 + 0.1 (w0 + 1)");
        parameter.allclose(before + 1).Should().BeTrue("the raw weights come back after the average's evaluation");
    }

    [Fact]
    public void In_a_run_the_average_moves_once_after_every_update_as_the_decay_says()
    {
        using var train = Synthetic.Set(Counts);
        var options = Options(ema: 0.5);
        var run = RunDirectory.ForNewRun(root, "ema-steps", "t", DateTimeOffset.UnixEpoch);
        using var session = Sessions.Create("single-branch", options, train);
        var bias = session.Network.named_parameters().First(p => p.name == "classifier.bias").parameter;
        var start = bias.detach().clone().data<float>().ToArray();
        var afterEachStep = new List<float[]>();
        var observer = new RecordingObserver { OnStep = _ => afterEachStep.Add(bias.detach().clone().data<float>().ToArray()) };

        TrainingLoop.Run(session, run, TrainingPosition.Start, observer, CancellationToken.None);

        // avg_0 = w_0 (the average starts at the initial weights); avg_t = 0.5 avg_(t-1) + 0.5 w_t after every step.
        afterEachStep.Should().NotBeEmpty();
        double[] expected = [.. start.Select(v => (double)v)];
        foreach (var weights in afterEachStep)
            for (int i = 0; i < expected.Length; i++) expected[i] = (0.5 * expected[i]) + (0.5 * weights[i]);
        var averaged = session.Average!.WithAverage(() => bias.detach().clone()).data<float>().ToArray();
        averaged.Should().Equal(expected, (a, e) => Math.Abs(a - e) < 1e-5);
    }

    [Fact]
    public void A_run_with_a_weight_average_reports_it_and_resumes_it_from_the_checkpoint()
    {
        using var train = Synthetic.Set(Counts);
        var options = Options(ema: 0.5);
        options.Epochs = 2;
        var run = RunDirectory.ForNewRun(root, "ema", "t", DateTimeOffset.UnixEpoch);
        using (var session = Sessions.Create("single-branch", options, train))
            TrainingLoop.Run(session, run, TrainingPosition.Start, new RecordingObserver(), CancellationToken.None);

        run.ReadMetrics().Should().OnlyContain(m => m.EmaTop1 != null && m.EmaTop1 >= 0 && m.EmaTop1 <= 1);
        File.ReadAllText(run.SummaryPath).Should().Contain("\"ema_top1\":");
        Checkpoint.ReadHeader(run.CheckpointPath).HasAverage.Should().BeTrue();
        using var restored = Sessions.Create("single-branch", options, train);
        restored.Checkpoints.Restore(run.CheckpointPath);
        restored.Evaluation.Average()!.Top1.Should().Be(run.ReadMetrics()[^1].EmaTop1!.Value, "the average saved beside the raw weights is the one evaluated");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}

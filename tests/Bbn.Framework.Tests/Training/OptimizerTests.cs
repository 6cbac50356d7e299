using Bbn.Abstractions;
using Bbn.Abstractions.Optimizers;
using Bbn.Core.Data;
using Bbn.Core.Runs;
using Bbn.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Bbn:Optimizer: the sgd component is the kernel's SGD, AdamW trains and resumes exactly, groups keep their rate scales.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class OptimizerTests : IDisposable
{
    private static readonly int[] Counts = [40, 16, 8];
    private readonly string root = Directory.CreateTempSubdirectory("bbn-optimizer-").FullName;

    private static TrainingOptions Options(int epochs = 2, double learningRate = 0.1) => new()
    {
        Epochs = epochs,
        BatchSize = 8,
        WarmupEpochs = 1,
        LrDecayAt = [0.5],
        EvaluationBatchSize = 32,
        Seed = 5,
        LogEverySteps = 1,
        LearningRate = learningRate,
        WeightDecay = 0.01,
    };

    private RunDirectory Run(string name) => RunDirectory.ForNewRun(root, name, "test", DateTimeOffset.UnixEpoch);

    [Fact]
    public void The_sgd_component_gives_the_losses_of_the_kernel_s_own_sgd()
    {
        using var train = Synthetic.Set(Counts);
        using var kernel = Sessions.Create("bbn", Options(), train);
        using var component = Sessions.Create("bbn", Options(), train, optimizer: BuiltInComponents.Create<IOptimizerFactory>("sgd"));

        double[] expected = Sessions.FirstSteps(kernel, epoch: 2, steps: 4);
        double[] actual = Sessions.FirstSteps(component, epoch: 2, steps: 4);

        component.Optimization.Optimizer.Should().BeOfType<SafeSgd>();
        actual.Should().Equal(expected);
    }

    [Fact]
    public void Adamw_takes_different_steps_from_sgd_and_its_settings_reach_the_optimiser()
    {
        using var train = Synthetic.Set(Counts);
        var adamw = BuiltInComponents.Create<IOptimizerFactory>("adamw", new() { ["Beta1"] = "0.8", ["Eps"] = "1e-6" });
        using var sgd = Sessions.Create("bbn", Options(learningRate: 0.001), train);
        using var adam = Sessions.Create("bbn", Options(learningRate: 0.001), train, optimizer: adamw);

        double[] sgdLosses = Sessions.FirstSteps(sgd, epoch: 2, steps: 4);
        double[] adamLosses = Sessions.FirstSteps(adam, epoch: 2, steps: 4);

        var options = ((TorchSharp.Modules.AdamW)adam.Optimization.Optimizer!).ParamGroups.Cast<TorchSharp.Modules.AdamW.ParamGroup>().Single().Options;
        options.beta1.Should().Be(0.8);
        options.eps.Should().Be(1e-6);
        options.weight_decay.Should().Be(0.01, "the decay is Bbn:Training:WeightDecay");
        adamLosses[0].Should().Be(sgdLosses[0], "the first loss comes before any update");
        adamLosses.Skip(1).Should().NotEqual(sgdLosses.Skip(1));
        adamLosses.Should().OnlyContain(l => double.IsFinite(l));
    }

    [Fact]
    public void An_adamw_run_stopped_and_resumed_ends_with_the_weights_of_an_uninterrupted_one()
    {
        using var train = Synthetic.Set(Counts);
        var options = Options(epochs: 2, learningRate: 0.001);
        IOptimizerFactory AdamW() => BuiltInComponents.Create<IOptimizerFactory>("adamw");

        var straight = Run("straight");
        using (var session = Sessions.Create("bbn", options, train, optimizer: AdamW()))
            TrainingLoop.Run(session, straight, TrainingPosition.Start, new RecordingObserver(), CancellationToken.None).Should().Be(TrainingOutcome.Completed);

        var interrupted = Run("interrupted");
        using (var cancel = new CancellationTokenSource())
        using (var session = Sessions.Create("bbn", options, train, optimizer: AdamW()))
        {
            var observer = new RecordingObserver { OnStep = p => { if (p.Epoch == 1 && p.Step == 3) cancel.Cancel(); } };
            TrainingLoop.Run(session, interrupted, TrainingPosition.Start, observer, cancel.Token).Should().Be(TrainingOutcome.Stopped);
        }
        using (var resumed = Sessions.Create("bbn", options, train, optimizer: AdamW()))
        {
            var position = resumed.Checkpoints.Restore(interrupted.CheckpointPath);
            TrainingLoop.Run(resumed, interrupted, position, new RecordingObserver(), CancellationToken.None).Should().Be(TrainingOutcome.Completed);
        }

        using var a = Sessions.Create("bbn", options, train, optimizer: AdamW());
        using var b = Sessions.Create("bbn", options, train, optimizer: AdamW());
        a.Checkpoints.Restore(straight.CheckpointPath);
        b.Checkpoints.Restore(interrupted.CheckpointPath);
        var expected = a.Network.state_dict();
        var actual = b.Network.state_dict();
        foreach (var (name, value) in expected)
            actual[name].allclose(value, rtol: 1e-5, atol: 1e-6).Should().BeTrue($"{name} must match the uninterrupted run");
    }

    [Fact]
    public void A_checkpoint_of_one_optimiser_is_refused_by_a_run_of_another_with_the_setting_to_use()
    {
        using var train = Synthetic.Set(Counts);
        var run = Run("adamw");
        using (var adam = Sessions.Create("bbn", Options(epochs: 1), train, optimizer: BuiltInComponents.Create<IOptimizerFactory>("adamw")))
        {
            adam.BeginStage(1, atStageStart: true);
            adam.Checkpoints.Save(run.CheckpointPath, TrainingPosition.Start, completed: false);
        }
        using var sgd = Sessions.Create("bbn", Options(epochs: 1), train);

        var act = () => sgd.Checkpoints.Restore(run.CheckpointPath);

        act.Should().Throw<InvalidDataException>().WithMessage("*SafeAdamW*SafeSgd*Bbn:Optimizer*");
    }

    [Fact]
    public void Each_group_starts_at_the_base_rate_times_its_scale_in_both_optimisers()
    {
        using var a = zeros(3).requires_grad_();
        using var b = zeros(2).requires_grad_();
        OptimizerGroup[] groups = [new([new TorchSharp.Modules.Parameter(a)]), new([new TorchSharp.Modules.Parameter(b)], LearningRateScale: 0.1)];
        var settings = new StageOptimizer(0.5, 0.9, 0, true, LearningRateShape.Constant, 0, [], 0.1);

        foreach (var name in new[] { "sgd", "adamw" })
        {
            using var optimizer = BuiltInComponents.Create<IOptimizerFactory>(name).Create(groups, settings);
            optimizer.ParamGroups.Select(g => g.LearningRate).Should().Equal([0.5, 0.05], $"{name} keeps each group's scale");
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { }
    }
}

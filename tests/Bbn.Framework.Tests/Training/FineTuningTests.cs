using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Model;
using Bbn.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Bbn:Backbone's fine-tuning controls: frozen stages stay as they are, the trunk trains at its scaled rate, batch norm keeps its statistics.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class FineTuningTests
{
    private static readonly int[] Counts = [24, 12, 6];

    private static TrainingSession Session(ImageSet train, FineTuning? fineTune)
    {
        var method = BuiltInComponents.Create<ITrainingMethod>("bbn");
        var samplers = method.Branches.Select(b => BuiltInComponents.Create<ISampler>(b.DefaultSampler)).ToArray();
        var setup = new TrainingSetup("bbn", method, BuiltInComponents.Create<IBackbone>("resnet18"), samplers, BuiltInComponents.Create<ILoss>("cross-entropy"),
            FineTune: fineTune);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 8, WarmupEpochs = 1, Seed = 3, LogEverySteps = 100, EvaluationBatchSize = 32 };
        return new TrainingSession(setup, options, train, train, CPU, new RunIdentity("resnet18", "synthetic"));
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    private static void Train(TrainingSession session, int steps)
    {
        session.BeginStage(1, atStageStart: true);
        session.Optimization.LearningRate = 0.05;
        var plan = session.Stages.PlanEpoch(1);
        for (int s = 0; s < steps; s++) session.Step(plan, s);
    }

    [Fact]
    public void Frozen_stages_and_frozen_norms_keep_their_tensors_while_the_rest_trains_and_the_trunk_runs_at_its_scale()
    {
        using var train = Synthetic.Set(Counts);
        using var session = Session(train, new FineTuning(FreezeStages: 2, TrunkLearningRateScale: 0.1, FreezeNorm: true));
        var trunkBefore = Snapshot(session.Network.Trunk);
        var branchBefore = Snapshot(session.Network.Branch(0));

        Train(session, steps: 3);

        var trunkAfter = session.Network.Trunk.state_dict();
        foreach (var (name, before) in trunkBefore)
        {
            bool frozenStage = name.StartsWith("stem.", StringComparison.Ordinal) || name.StartsWith("layers.layer1_", StringComparison.Ordinal) || name.StartsWith("layers.layer2_", StringComparison.Ordinal);
            bool statistic = name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith("running_var", StringComparison.Ordinal) || name.EndsWith("num_batches_tracked", StringComparison.Ordinal);
            bool same = trunkAfter[name].allclose(before, rtol: 0, atol: 0);
            if (frozenStage || statistic) same.Should().BeTrue($"{name} is frozen (stages 0-2, or a batch-norm statistic under FreezeNorm)");
        }
        trunkAfter.Where(kv => kv.Key.StartsWith("layers.layer3_", StringComparison.Ordinal) && kv.Key.EndsWith("conv1.weight", StringComparison.Ordinal))
            .Should().OnlyContain(kv => !kv.Value.allclose(trunkBefore[kv.Key], rtol: 0, atol: 0), "layer3 trains");
        session.Network.Branch(0).state_dict().Where(kv => kv.Key.EndsWith("running_mean", StringComparison.Ordinal))
            .Should().OnlyContain(kv => !kv.Value.allclose(branchBefore[kv.Key], rtol: 0, atol: 0), "the branches' own batch norms are not the trunk's and keep learning");
        var rates = session.Optimization.Optimizer!.ParamGroups.Select(g => g.LearningRate).ToArray();
        rates.Should().HaveCount(2);
        rates[0].Should().BeApproximately(0.005, 1e-15, "the trunk's group runs at a tenth of the schedule's rate");
        rates[1].Should().Be(0.05);
        session.Optimization.LearningRate.Should().Be(0.05, "the schedule's rate reads back unscaled");
    }

    [Fact]
    public void Without_fine_tuning_settings_the_first_losses_are_those_of_a_plain_session()
    {
        using var train = Synthetic.Set(Counts);
        using var plain = Session(train, null);
        using var neutral = Session(train, new FineTuning());

        Train(plain, steps: 2);
        Train(neutral, steps: 2);

        var a = plain.Network.state_dict();
        foreach (var (name, value) in neutral.Network.state_dict())
            value.allclose(a[name], rtol: 0, atol: 0).Should().BeTrue($"{name}: a neutral FineTuning changes nothing");
    }
}

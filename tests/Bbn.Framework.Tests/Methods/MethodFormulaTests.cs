using Bbn.Abstractions;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Each method's formula against a hand computation on small tensors, and the stages it declares.</summary>
[Collection(TorchCollection.Name)]
public sealed class MethodFormulaTests
{
    private static readonly StagePlan Plan = new(20, new StageOptimizer(0.1, 0.9, 2e-4, true, LearningRateShape.WarmupMultiStep, 5, [0.6, 0.8], 0.01), [100, 10, 1]);

    private static IReadOnlyList<TrainingStage> StagesOf(string method, Dictionary<string, string?>? settings = null) =>
        BuiltInComponents.Create<ITrainingMethod>(method, settings).Stages(Plan);

    [Fact]
    public void Single_branch_is_the_loss_of_the_classifier_on_the_one_branch()
    {
        var method = BuiltInComponents.Create<ITrainingMethod>("single-branch");
        using var f = tensor(new float[] { 1, 2, -1, 0 }).reshape(2, 2);
        using var y = tensor(new long[] { 1, 0 });
        var outputs = new BranchOutputs([f], [new BatchTargets(y)], x => x * 1, BuiltInComponents.Create<ILoss>("cross-entropy"), new LossContext([1, 1], 1, 1));

        using var loss = method.Loss(outputs, new MethodStep(1, 1, 1, 0, new Random(0)));

        double expected = ((Math.Log(Math.Exp(1) + Math.Exp(2)) - 2) + (Math.Log(Math.Exp(-1) + 1) + 1)) / 2;
        loss.item<float>().Should().BeApproximately((float)expected, 1e-5f);
        method.Branches.Select(b => b.Name).Should().Equal("conventional");
    }

    [Fact]
    public void Crt_retrains_a_reinitialised_classifier_on_class_balanced_batches_with_the_representation_frozen()
    {
        var stages = StagesOf("crt", new() { ["ClassifierEpochs"] = "3", ["ClassifierLearningRate"] = "0.2" });

        stages.Should().HaveCount(2);
        stages[0].Should().Match<TrainingStage>(s => s.Epochs == 20 && s.Trains == NetworkParts.All && s.Optimizer == Plan.Optimizer && s.Hooks == null);
        var second = stages[1];
        second.Trains.Should().Be(NetworkParts.Classifier);
        using var network = new RecordingStageNetwork();
        foreach (var hook in second.Hooks!) { hook.StageStarting(network, atStageStart: false); hook.ModesSet(network); }
        network.Reinitialized.Should().Be(0, "a run resumed mid-stage keeps the classifier its checkpoint holds");
        foreach (var hook in second.Hooks!) hook.StageStarting(network, atStageStart: true);
        network.Reinitialized.Should().Be(1);
        network.Norm.training.Should().BeFalse("the frozen representation's batch norms keep their statistics");
        second.Epochs.Should().Be(3);
        second.Optimizer.LearningRate.Should().Be(0.2);
        second.Optimizer.Schedule.Should().Be(LearningRateShape.Cosine);
        second.Samplers!["conventional"].GetType().Name.Should().Be("ClassWeightedSampler");
    }

    [Fact]
    public void Lws_trains_only_a_per_class_scale_of_the_logits_in_its_second_stage()
    {
        var method = BuiltInComponents.Create<ITrainingMethod>("lws");
        method.LogitScale.Should().BeTrue();
        var stages = method.Stages(Plan);
        stages[1].Trains.Should().Be(NetworkParts.LogitScale);
        stages[1].Optimizer.WeightDecay.Should().Be(0);
        stages[0].Trains.HasFlag(NetworkParts.LogitScale).Should().BeFalse("the scale stays 1 while the representation learns");

        // z_i = f_i (w_i . x + b_i) through the network's own classifier.
        using var withScale = new Bbn.Core.Model.BranchNetwork(BuiltInComponents.Create<IBackbone>("resnet32").Build(new ImageShape(1, 32, 32)), 3, ["conventional"], logitScale: true);
        using (no_grad()) withScale.LogitScale!.copy_(tensor(new float[] { 2, 0.5f, -1 }));
        using var x = randn(4, 64);
        using var plain = withScale.Classifier.call(x);
        using var scaled = withScale.Classify(x);
        scaled.allclose(plain * tensor(new float[] { 2, 0.5f, -1 })).Should().BeTrue();
    }

    [Fact]
    public void Tau_norm_divides_each_class_weight_by_its_norm_to_the_power_tau_and_drops_the_bias()
    {
        var stages = StagesOf("tau-norm", new() { ["Tau"] = "0.5" });
        using var weight = tensor(new float[] { 3, 4, 0, 2 }).reshape(2, 2);
        using var bias = tensor(new float[] { 1, -1 });

        stages.Should().ContainSingle();
        using (no_grad()) stages[0].Hooks!.OfType<IStageEndHook>().Single().StageEnding(new ClassifierParameters(weight, bias, null));

        // ||(3, 4)|| = 5, ||(0, 2)|| = 2.
        double[] expected = [3 / Math.Sqrt(5), 4 / Math.Sqrt(5), 0, 2 / Math.Sqrt(2)];
        weight.data<float>().ToArray().Should().Equal(expected, (actual, hand) => Math.Abs(actual - hand) < 1e-5);
        bias.data<float>().ToArray().Should().Equal(0, 0);
    }

    [Fact]
    public void Weight_balancing_trains_with_its_weight_decay_then_projects_the_class_weights_into_the_max_norm_ball()
    {
        var stages = StagesOf("weight-balancing", new() { ["MaxNorm"] = "1", ["WeightDecay"] = "0.005" });
        using var weight = tensor(new float[] { 3, 4, 0.3f, 0.4f }).reshape(2, 2);

        stages[0].Optimizer.WeightDecay.Should().Be(0.005);
        stages[1].Trains.Should().Be(NetworkParts.Classifier);
        stages[1].Loss!.GetType().Name.Should().Be("ClassBalancedLoss");
        using (no_grad()) foreach (var hook in stages[1].Hooks!) hook.AfterOptimizerStep(new ClassifierParameters(weight, null, null));

        // (3, 4) has norm 5 > 1: scaled to norm 1; (0.3, 0.4) has norm 0.5: unchanged.
        weight.data<float>().ToArray().Should().Equal([0.6f, 0.8f, 0.3f, 0.4f], (actual, hand) => Math.Abs(actual - hand) < 1e-6);
    }

    [Fact]
    public void Mislas_mixes_in_stage_one_and_retrains_the_classifier_with_label_aware_smoothing_and_shifting_batch_norms()
    {
        var stages = StagesOf("mislas", new() { ["SmoothHead"] = "0.4", ["SmoothTail"] = "0.1" });
        stages[0].Transform!.GetType().Name.Should().Be("Mixup");
        stages[1].Trains.Should().Be(NetworkParts.Classifier);
        using (var network = new RecordingStageNetwork())
        {
            foreach (var hook in stages[1].Hooks!) hook.ModesSet(network);
            network.Norm.training.Should().BeTrue("MiSLAS lets the batch norms re-estimate their statistics on balanced batches");
            network.NormsAsked.Should().Equal(NetworkParts.Representation);
        }

        // Counts 100, 10, 1: eps_y = 0.1 + 0.3 sin(pi (n_y - 1) / (2 * 99)).
        using var logits = tensor(new float[] { 2, 0, -1, 0, 1, 0 }).reshape(2, 3);
        using var y = tensor(new long[] { 0, 2 });
        using var loss = stages[1].Loss!.Compute(logits, y, new LossContext([100, 10, 1], 1, 10));

        double Eps(int n) => 0.1 + (0.3 * Math.Sin(Math.PI * (n - 1) / 198.0));
        double Row(double[] z, int target, double eps)
        {
            double lse = Math.Log(z.Sum(Math.Exp));
            double[] logP = z.Select(v => v - lse).ToArray();
            return ((1 - eps) * -logP[target]) + (eps * -logP.Average());
        }
        double expected = (Row([2, 0, -1], 0, Eps(100)) + Row([0, 1, 0], 2, Eps(1))) / 2;
        loss.item<float>().Should().BeApproximately((float)expected, 1e-5f);
    }

    [Fact]
    public void Mixup_blends_each_image_with_a_partner_and_the_loss_weighs_both_labels_by_lambda()
    {
        var mixup = BuiltInComponents.Create<IBatchTransform>("mixup", new() { ["Alpha"] = "0.4" });
        using var images = arange(4 * 2, ScalarType.Float32).reshape(4, 1, 1, 2);
        using var labels = tensor(new long[] { 0, 1, 2, 3 });

        var (mixed, targets) = mixup.Apply(images, labels, new Random(11));

        targets.Lambda.Should().BeInRange(0, 1);
        long[] partner = targets.Mixed!.data<long>().ToArray();
        partner.Should().BeEquivalentTo(new long[] { 0, 1, 2, 3 }, "the partners are a permutation of the batch");
        for (int i = 0; i < 4; i++)
            for (int p = 0; p < 2; p++)
                mixed[i, 0, 0, p].item<float>().Should().BeApproximately((float)((targets.Lambda * ((i * 2) + p)) + ((1 - targets.Lambda) * ((partner[i] * 2) + p))), 1e-4f);

        using var logits = tensor(new float[] { 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4 }).reshape(4, 4);
        var crossEntropy = BuiltInComponents.Create<ILoss>("cross-entropy");
        var outputs = new BranchOutputs([logits], [targets], x => x, crossEntropy, new LossContext([1, 1, 1, 1], 1, 1));
        using var loss = outputs.LossOf(logits, 0);
        using var first = crossEntropy.Compute(logits, labels, outputs.LossContext);
        using var second = crossEntropy.Compute(logits, targets.Mixed!, outputs.LossContext);
        loss.item<float>().Should().BeApproximately((float)((targets.Lambda * first.item<float>()) + ((1 - targets.Lambda) * second.item<float>())), 1e-5f);
    }

    [Fact]
    public void Cutmix_pastes_a_box_of_the_partner_and_lambda_is_the_share_of_the_image_kept()
    {
        var cutmix = BuiltInComponents.Create<IBatchTransform>("cutmix");
        using var images = cat([zeros(1, 1, 8, 8), ones(1, 1, 8, 8)], 0);
        using var labels = tensor(new long[] { 0, 1 });
        for (int seed = 0; seed < 5; seed++)
        {
            var (mixed, targets) = cutmix.Apply(images, labels, new Random(seed));
            long[] partner = targets.Mixed!.data<long>().ToArray();
            for (int i = 0; i < 2; i++)
            {
                using var image = mixed[i];
                double fromPartner = partner[i] == i ? 0 : image.sub(i).abs().sum().item<float>() / 64.0;
                if (partner[i] != i) targets.Lambda.Should().BeApproximately(1 - fromPartner, 1e-9, "lambda is the area left of the image");
            }
        }
    }
}

/// <summary>An <see cref="IStageNetwork"/> that records what a stage hook asks of it; its one batch norm starts in evaluation mode.</summary>
internal sealed class RecordingStageNetwork : IStageNetwork, IDisposable
{
    public Bbn.Abstractions.Modules.SafeBatchNorm2d Norm { get; } = new(2);
    public int Reinitialized { get; private set; }
    public List<NetworkParts> NormsAsked { get; } = [];

    public RecordingStageNetwork() => Norm.eval();

    public ClassifierParameters Classifier => throw new InvalidOperationException("not used by these hooks");
    public void ReinitializeClassifier() => Reinitialized++;

    public IReadOnlyList<nn.Module> NormsOf(NetworkParts parts)
    {
        NormsAsked.Add(parts);
        return [Norm];
    }

    public void Dispose() => Norm.Dispose();
}

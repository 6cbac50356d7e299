using Bbn.Abstractions;
using Bbn.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>
/// bal-scl, a method with a step of its own over two views of each image (plugins/Bbn.Plugins.BalancedContrastive): the kernel
/// gives a method its views (same images and labels, another augmentation; the first view is the one-view batch), BCL's
/// balanced contrastive loss against a loop over its definition, and a session that trains with it, the same twice.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BalancedContrastiveTests
{
    [Fact]
    public void Its_step_is_the_weighted_logit_adjusted_cross_entropy_plus_the_balanced_contrastive_loss_computed_term_by_term()
    {
        float[,] a = { { 0.6f, 0.8f }, { 1, 0 }, { 0, 1 } };
        float[,] b = { { 0.8f, 0.6f }, { 0.6f, -0.8f }, { -0.28f, 0.96f } };
        float[,] w = { { 1, 0 }, { 0, 1 } };
        long[] labels = [0, 0, 1];
        int[] counts = [30, 10];
        const double t = 0.5, ceWeight = 2, sclWeight = 0.6;
        var method = BuiltInComponents.Create<ITrainingMethod>("bal-scl", new() { ["Temperature"] = "0.5", ["CrossEntropyWeight"] = "2", ["ContrastiveWeight"] = "0.6" });
        var stage = method.Stages(new StagePlan(1, new StageOptimizer(0.1, 0.9, 0, false, LearningRateShape.Constant, 0, [], 0.1), counts)).Single();
        using var z1 = tensor(a);
        using var z2 = tensor(b);
        using var weight = tensor(w);
        using var y = tensor(labels);
        var step = new FixedStep([z1, z2], weight, y, stage.Loss!, counts);

        method.TrainStep(step);

        // Logit-adjusted cross-entropy of the first view: z = W a + log(prior).
        double crossEntropy = Enumerable.Range(0, 3).Average(i =>
        {
            double[] z = [.. Enumerable.Range(0, 2).Select(k => (a[i, 0] * w[k, 0]) + (a[i, 1] * w[k, 1]) + Math.Log(counts[k] / 40.0))];
            return Math.Log(z.Sum(Math.Exp)) - z[labels[i]];
        });
        // BalSCL: the contrast set is view 1, view 2, one prototype per class; the anchors its first six rows.
        var rows = new List<(double[] Z, long Label)>();
        for (int i = 0; i < 3; i++) rows.Add(([a[i, 0], a[i, 1]], labels[i]));
        for (int i = 0; i < 3; i++) rows.Add(([b[i, 0], b[i, 1]], labels[i]));
        for (int k = 0; k < 2; k++) rows.Add(([w[k, 0], w[k, 1]], k));
        double contrastive = 0;
        for (int i = 0; i < 6; i++)
        {
            double Logit(int j) => ((rows[i].Z[0] * rows[j].Z[0]) + (rows[i].Z[1] * rows[j].Z[1])) / t;
            double denominator = 0;
            for (int j = 0; j < rows.Count; j++)
            {
                if (j == i) continue;
                int sameClass = rows.Count(r => r.Label == rows[j].Label);
                int less = rows[j].Label == rows[i].Label ? 1 : 0;
                denominator += Math.Exp(Logit(j)) / (sameClass - less);
            }
            var positives = Enumerable.Range(0, rows.Count).Where(j => j != i && rows[j].Label == rows[i].Label).ToArray();
            contrastive -= positives.Average(j => Logit(j) - Math.Log(denominator)) / 6;
        }
        step.Loss.Should().BeApproximately((ceWeight * crossEntropy) + (sclWeight * contrastive), 1e-5);
        contrastive.Should().BeGreaterThan(0);
    }

    /// <summary>A step of one micro-batch whose views' features are given; the classifier is z = W f (no bias); Update records the loss.</summary>
    private sealed class FixedStep(Tensor[] views, Tensor weight, Tensor labels, ILoss loss, int[] counts) : ITrainingStep
    {
        public double Loss { get; private set; } = double.NaN;
        public MethodStep Position => new(1, 1, 1, 0, new Random(1));
        public int Parts => 1;
        public ClassifierParameters Classifier => new(weight, null, null);

        public BranchOutputs Forward(int part, int view = 0) =>
            new([views[view]], [new BatchTargets(labels)], x => x.matmul(weight.t()), loss, new LossContext(counts, 1, 1));

        public double Update(Func<int, Tensor> partLoss)
        {
            using var value = partLoss(0);
            return Loss = value.item<float>();
        }
    }

    [Fact]
    [Trait(Speed.Name, Speed.Slow)]
    public void A_method_of_two_views_gets_the_same_images_augmented_twice_and_its_first_view_is_the_one_view_batch()
    {
        using var train = Synthetic.Set([24, 8]);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 8, Seed = 9, LogEverySteps = 100, EvaluationBatchSize = 32 };
        var twoViews = new ViewProbe(views: 2);
        var oneView = new ViewProbe(views: 1);
        foreach (var probe in new[] { twoViews, oneView })
        {
            using var session = Session(probe, options, train);
            session.BeginStage(1, atStageStart: true);
            session.Stages.PlanEpoch(1).Orders.Should().HaveCount(probe.Views);
            session.ImagesPerStep.Should().Be(8 * probe.Views);
            double loss = session.Step(session.Stages.PlanEpoch(1), 0);
            double.IsFinite(loss).Should().BeTrue();
        }

        twoViews.Labels[0].Should().Equal(twoViews.Labels[1], "both views are of the same images");
        twoViews.Features[0].Should().NotEqual(twoViews.Features[1], "each view has its own crop and flip");
        twoViews.Features[0].Should().Equal(oneView.Features[0], "the first view is the batch a one-view method gets");
        twoViews.Labels[0].Should().Equal(oneView.Labels[0]);
    }

    [Fact]
    [Trait(Speed.Name, Speed.Slow)]
    public void A_session_trains_with_both_views_the_same_twice()
    {
        using var train = Synthetic.Set([40, 16, 8]);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 8, Seed = 4, LogEverySteps = 100, EvaluationBatchSize = 32 };
        double[] Run()
        {
            using var session = Sessions.Create("bal-scl", options, train);
            session.Setup.Method.Views.Should().Be(2);
            return Sessions.FirstSteps(session, 1, 3);
        }

        double[] first = Run();
        double[] second = Run();
        first.Should().Equal(second);
        first.Should().OnlyContain(l => double.IsFinite(l) && l > 0);
    }

    private static TrainingSession Session(ITrainingMethod method, TrainingOptions options, Bbn.Core.Data.ImageSet train)
    {
        var setup = new TrainingSetup("view-probe", method, BuiltInComponents.Create<IBackbone>("resnet32"), [BuiltInComponents.Create<ISampler>("uniform")],
            BuiltInComponents.Create<ILoss>("cross-entropy"));
        return new TrainingSession(setup, options, train, train, CPU, new RunIdentity("resnet32", "synthetic", "cross-entropy"));
    }

    /// <summary>A one-branch method that records every view's features and labels of its first step, then trains on the first view.</summary>
    private sealed class ViewProbe(int views) : ITrainingMethod
    {
        public List<float[]> Features { get; } = [];
        public List<long[]> Labels { get; } = [];
        public IReadOnlyList<MethodBranch> Branches { get; } = [new("conventional", "Bbn:Method:Sampler", "uniform")];
        public int Views => views;

        public Tensor Loss(BranchOutputs outputs, MethodStep position)
        {
            using var logits = outputs.Classify(outputs.Features[0]);
            return outputs.LossOf(logits, 0);
        }

        public double TrainStep(ITrainingStep training) => training.Update(part =>
        {
            for (int view = 0; view < views; view++)
            {
                var outputs = training.Forward(part, view);
                Features.Add(outputs.Features[0].detach().data<float>().ToArray());
                Labels.Add(outputs.Targets[0].Labels.data<long>().ToArray());
            }
            return Loss(training.Forward(part, 0), training.Position);
        });

        public IReadOnlyList<TrainingStage> Stages(StagePlan plan) => [new("probe", plan.Epochs, NetworkParts.All, plan.Optimizer)];
    }
}

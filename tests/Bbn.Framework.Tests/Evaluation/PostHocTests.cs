using Bbn.Core.Evaluation;
using Bbn.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Post-hoc inference knobs: each formula as published, neutral values leave the network as trained, and tuning on validation never does worse there.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class PostHocTests
{
    private static readonly int[] Counts = [40, 16, 8];

    private static TrainingOptions Options(int epochs = 2) => new() { Epochs = epochs, BatchSize = 8, WarmupEpochs = 1, EvaluationBatchSize = 16, Seed = 3, LogEverySteps = 100, MinWarmupSteps = 0, CropPadding = 0 }; // the stripes are rows: a shifted crop would change the class

    [Fact]
    public void A_checkpoint_header_of_before_2_0_has_its_tuned_alpha_read_as_the_method_s_knob()
    {
        const string old = """{"format_version":3,"tuned":{"alpha":0.8,"tau_norm":0.5,"logit_adjustment":0,"temperature":1.2}}""";
        const string neutral = """{"format_version":3,"tuned":{"alpha":0.5,"tau_norm":0,"logit_adjustment":0.3,"temperature":1}}""";
        const string current = """{"format_version":3,"tuned":{"method":{"name":"alpha","value":0.7},"tau_norm":0,"logit_adjustment":0,"temperature":1}}""";

        PostHocSettings Tuned(string json) =>
            System.Text.Json.JsonSerializer.Deserialize<PostHocSettings>(System.Text.Json.Nodes.JsonNode.Parse(Bbn.Core.Training.TunedKnobUpgrade.Apply(json))!["tuned"], Bbn.Core.Runs.RunJson.Options)!;

        Tuned(old).Should().Be(new PostHocSettings(new MethodKnobValue("alpha", 0.8), 0.5, 0, 1.2));
        Tuned(neutral).Should().Be(new PostHocSettings(null, 0, 0.3, 1), "alpha 0.5 is BBN's own inference");
        Bbn.Core.Training.TunedKnobUpgrade.Apply(current).Should().Be(current, "a header of this version is read as written");
    }

    [Fact]
    public void Each_knob_is_its_formula_and_the_neutral_values_are_the_network_as_trained()
    {
        using var train = Synthetic.Set(Counts);
        using var session = Sessions.Create("bbn", Options(), train);
        var network = session.Network;
        network.eval();
        using var inference = inference_mode();
        using var images = randn(4, 1, 32, 32);
        var logits = new PostHocLogits(network, Counts, adjust: null);
        var features = network.BranchFeatures(images);
        using var asTrained = network.call(images);

        logits.Knob!.Name.Should().Be("alpha", "BBN brings its inference alpha as its knob");
        logits.Knob.Neutral.Should().Be(0.5);
        logits.Knob.Grid.Should().HaveCount(21).And.StartWith(0.0).And.EndWith(1.0);
        allclose(logits.FromFeatures(features, PostHocSettings.Identity with { Temperature = 1.0000001 }), asTrained, rtol: 1e-4, atol: 1e-5).Should().BeTrue("alpha 0.5 is cat(f_c, f_r)");

        var c = network.ClassifierTensors();
        using var alpha = logits.FromFeatures(features, new PostHocSettings(Method: new MethodKnobValue("alpha", 0.8)));
        using var expectedAlpha = nn.functional.linear(cat([features[0].mul(1.6), features[1].mul(0.4)], 1), c.Weight, c.Bias);
        allclose(alpha, expectedAlpha, rtol: 1e-4, atol: 1e-5).Should().BeTrue("2 cat(alpha f_c, (1 - alpha) f_r)");

        using var tau = logits.FromFeatures(features, new PostHocSettings(TauNorm: 1));
        using var expectedTau = nn.functional.linear(network.Combine(features), c.Weight.div(c.Weight.norm(1, keepdim: true)), c.Bias);
        allclose(tau, expectedTau, rtol: 1e-4, atol: 1e-5).Should().BeTrue("w_c / ||w_c||^tau");

        using var adjusted = logits.FromFeatures(features, new PostHocSettings(LogitAdjustment: 2));
        double[] logPrior = [.. Counts.Select(n => Math.Log(n / 64.0))];
        using var expectedAdjusted = asTrained.sub(tensor(logPrior).to_type(ScalarType.Float32).mul(2));
        allclose(adjusted, expectedAdjusted, rtol: 1e-4, atol: 1e-5).Should().BeTrue("logits - tau log prior");

        using var hot = logits.FromFeatures(features, new PostHocSettings(Temperature: 2));
        allclose(hot, asTrained.div(2), rtol: 1e-4, atol: 1e-5).Should().BeTrue("logits / T");
    }

    [Fact]
    public void Tuning_on_validation_undoes_a_head_bias_and_never_scores_below_the_network_as_trained()
    {
        using var train = Synthetic.Set(Counts);
        using var validation = Synthetic.Set([12, 12, 12], seed: 7);
        using var session = Sessions.Create("bbn", Options(epochs: 6), train, validation: validation);
        TrainingLoop.Run(session, TrainingPosition.Start, [], CancellationToken.None);
        session.Evaluation.Validation()!.Top1.Should().BeGreaterThan(0.6, "the network learned the classes");
        // A classifier pushed towards the head classes by 1.5 log(prior): logit adjustment at tau 1.5 undoes it exactly.
        // The classifier is first scaled by 1/1024 (a power of two: the same predictions, exactly), so that its margins are
        // far below the push and the push moves the predictions on every processor (unscaled, a confident network on
        // AMD Zen 1 kept them, and tuning had nothing to undo).
        using (no_grad())
        {
            var classifier = session.Network.ClassifierTensors();
            using var shrink = TorchSharp.ScalarExtensionMethods.ToScalar(1.0 / 1024);
            classifier.Weight.mul_(shrink);
            classifier.Bias!.mul_(shrink);
            classifier.Bias!.add_(tensor(Counts.Select(n => (float)(1.5 * Math.Log(n / 64.0))).ToArray()), Bbn.Abstractions.Scalars.One);
        }

        var tuning = session.Evaluation.TunePostHoc(ValidationOptions.ByTop1, new PostHocOptions())!;

        tuning.ValidationScoreAfter.Should().BeGreaterThan(tuning.ValidationScoreBefore);
        tuning.Searches.Select(s => s.Knob).Should().Equal("alpha", "tau-norm", "logit-adjustment", "temperature");
        tuning.Searches.Single(s => s.Knob == "alpha").Grid.Should().HaveCount(21);
        tuning.Searches.Single(s => s.Knob == "temperature").Grid.Select(p => p.Value).Should().Contain(1.0).And.BeInAscendingOrder();
        var onlyAdjustment = session.Evaluation.TunePostHoc(ValidationOptions.ByTop1, new PostHocOptions { MethodKnob = false, TauNorm = false, Temperature = false })!;
        var adjustment = onlyAdjustment.Searches.Single();
        adjustment.Chosen.Should().BeGreaterThan(0, "the head bias is what logit adjustment removes");
        onlyAdjustment.ValidationScoreAfter.Should().BeGreaterThan(onlyAdjustment.ValidationScoreBefore);
        adjustment.Grid.Max(p => p.Score).Should().Be(onlyAdjustment.ValidationScoreAfter, "the score kept is the grid's best");
        adjustment.Grid.First(p => p.Value == adjustment.Chosen).Score.Should().Be(onlyAdjustment.ValidationScoreAfter, "the first value of the best score");
        var before = session.Evaluation.Test(PostHocSettings.Identity);
        session.Evaluation.Test(tuning.Settings with { Temperature = 1 }).Top1.Should().Be(session.Evaluation.Test(tuning.Settings).Top1, "temperature changes no prediction");
        before.Top1.Should().Be(session.Evaluation.Test().Top1, "the identity is the network as trained");

        var none = session.Evaluation.TunePostHoc(ValidationOptions.ByTop1, new PostHocOptions { MethodKnob = false, TauNorm = false, LogitAdjustment = false, Temperature = false })!;
        none.Settings.IsIdentity.Should().BeTrue();
        none.Searches.Should().BeEmpty();
    }
}

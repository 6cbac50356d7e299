using Bbn.Abstractions;
using Bbn.Core.Model;
using Bbn.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
public sealed class CumulativeLearningTests
{
    private static readonly LossContext NoContext = new([1, 1, 1], 1, 1);

    [Fact]
    public void Mixed_features_are_twice_the_weighted_concatenation()
    {
        using var fc = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var fr = tensor(new float[] { 10, 20, 30, 40 }).reshape(2, 2);

        using var mixed = TinyNetwork.Mix(fc, fr, 0.75);

        mixed.data<float>().ToArray().Should().Equal(1.5f, 3f, 5f, 10f, 4.5f, 6f, 15f, 20f);
    }

    [Fact]
    public void Mixed_logits_equal_the_explicit_sum_of_the_two_weighted_classifier_halves()
    {
        manual_seed(3);
        using var classifier = nn.Linear(4, 3, hasBias: true);
        using var fc = randn(5, 2);
        using var fr = randn(5, 2);
        const double alpha = 0.3;

        using var mixed = TinyNetwork.Mix(fc, fr, alpha);
        using var logits = classifier.call(mixed);

        float[] w = classifier.weight!.data<float>().ToArray();
        float[] b = classifier.bias!.data<float>().ToArray();
        float[] c = fc.data<float>().ToArray();
        float[] r = fr.data<float>().ToArray();
        float[] actual = logits.data<float>().ToArray();
        for (int n = 0; n < 5; n++)
        {
            for (int k = 0; k < 3; k++)
            {
                double expected = b[k]
                    + (2 * alpha * ((w[(k * 4) + 0] * c[(n * 2) + 0]) + (w[(k * 4) + 1] * c[(n * 2) + 1])))
                    + (2 * (1 - alpha) * ((w[(k * 4) + 2] * r[(n * 2) + 0]) + (w[(k * 4) + 3] * r[(n * 2) + 1])));
                actual[(n * 3) + k].Should().BeApproximately((float)expected, 1e-5f);
            }
        }
    }

    [Fact]
    public void The_bbn_loss_is_alpha_times_the_conventional_loss_plus_the_rest_times_the_rebalancing_loss_of_the_mixed_logits()
    {
        var bbn = BuiltInComponents.Create<ITrainingMethod>("bbn");
        var crossEntropy = BuiltInComponents.Create<ILoss>("cross-entropy");
        using var fc = tensor(new float[] { 1, 0, 0, 2 }).reshape(2, 2);
        using var fr = tensor(new float[] { 0, 1, 1, 1 }).reshape(2, 2);
        using var yc = tensor(new long[] { 0, 2 });
        using var yr = tensor(new long[] { 1, 1 });
        // A classifier of 3 classes over the 4 mixed features: z_k = sum_j W[k, j] f_j + b_k.
        float[,] w = { { 1, 0, 0.5f, 0 }, { 0, 1, 0, -1 }, { -1, 0.5f, 1, 0 } };
        float[] bias = [0.1f, -0.2f, 0];
        using var weight = tensor(new float[] { 1, 0, 0.5f, 0, 0, 1, 0, -1, -1, 0.5f, 1, 0 }).reshape(3, 4);
        using var b = tensor(bias);
        var outputs = new BranchOutputs([fc, fr], [new BatchTargets(yc), new BatchTargets(yr)], f => f.matmul(weight.t()).add(b), crossEntropy, NoContext);

        // Epoch 2 of 2 with the default parabolic adaptor: alpha = 1 - (1/2)^2.
        using var loss = bbn.Loss(outputs, new MethodStep(1, 2, 2, 0, new Random(0)));

        const double alpha = 0.75;
        double[][] c = [[1, 0], [0, 2]], r = [[0, 1], [1, 1]];
        long[] targetsC = [0, 2], targetsR = [1, 1];
        double expected = 0;
        for (int n = 0; n < 2; n++)
        {
            double[] f = [2 * alpha * c[n][0], 2 * alpha * c[n][1], 2 * (1 - alpha) * r[n][0], 2 * (1 - alpha) * r[n][1]];
            double[] z = Enumerable.Range(0, 3).Select(k => bias[k] + Enumerable.Range(0, 4).Sum(j => w[k, j] * f[j])).ToArray();
            double lse = Math.Log(z.Sum(Math.Exp));
            expected += ((alpha * (lse - z[targetsC[n]])) + ((1 - alpha) * (lse - z[targetsR[n]]))) / 2;
        }
        loss.item<float>().Should().BeApproximately((float)expected, 1e-5f);
        bbn.ReportedMetrics(2, 2).Should().Equal(new Dictionary<string, double> { ["alpha"] = alpha });
    }

    [Fact]
    public void Inference_equals_mixing_with_alpha_one_half()
    {
        using var network = TinyNetwork.Create(bilateral: true, classes: 4);
        network.eval();
        using var images = rand(3, 1, 32, 32);

        using var direct = network.call(images);
        using var fc = network.Features(0, images);
        using var fr = network.Features(1, images);
        using var mixed = TinyNetwork.Mix(fc, fr, 0.5);
        using var viaMixing = network.Classify(mixed);

        direct.allclose(viaMixing, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }
}

internal static class TinyNetwork
{
    /// <summary>BBN's branches, as its method names them.</summary>
    public static readonly string[] Bilateral = ["conventional", "rebalancing"];

    public static BranchNetwork Create(bool bilateral, int classes, int seed = 7, ClassifierHead head = ClassifierHead.Linear)
    {
        manual_seed(seed);
        var backbone = BuiltInComponents.Create<IBackbone>("resnet32");
        return new BranchNetwork(backbone.Build(new ImageShape(1, 32, 32)), classes, bilateral ? Bilateral : ["conventional"], head);
    }

    /// <summary>2 * cat(alpha f_c, (1 - alpha) f_r), written out for the tests.</summary>
    public static Tensor Mix(Tensor conventional, Tensor rebalancing, double alpha) => cat([conventional * (2 * alpha), rebalancing * (2 * (1 - alpha))], 1);
}

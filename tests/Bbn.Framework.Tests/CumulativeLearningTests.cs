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

        using var mixed = CumulativeLearning.MixFeatures(fc, fr, 0.75);

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

        using var mixed = CumulativeLearning.MixFeatures(fc, fr, alpha);
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
    public void Mixed_loss_is_alpha_times_the_conventional_loss_plus_the_rest_times_the_rebalancing_loss()
    {
        var crossEntropy = BuiltInComponents.Create<ILoss>("cross-entropy");
        using var logits = tensor(new float[] { 2, 0, -1, 0.5f, 0.5f, 3 }).reshape(2, 3);
        using var yc = tensor(new long[] { 0, 2 });
        using var yr = tensor(new long[] { 1, 1 });
        const double alpha = 0.6;

        using var loss = CumulativeLearning.MixLoss(crossEntropy, logits, yc, yr, alpha, NoContext);

        // Hand computation: CE(z, y) = mean over rows of log(sum exp z) - z_y.
        double Lse(params double[] z) => Math.Log(z.Sum(Math.Exp));
        double row0 = Lse(2, 0, -1), row1 = Lse(0.5, 0.5, 3);
        double ceC = ((row0 - 2) + (row1 - 3)) / 2;
        double ceR = ((row0 - 0) + (row1 - 0.5)) / 2;
        loss.item<float>().Should().BeApproximately((float)((alpha * ceC) + ((1 - alpha) * ceR)), 1e-5f);
    }

    [Fact]
    public void Inference_equals_mixing_with_alpha_one_half()
    {
        using var network = TinyNetwork.Create(bilateral: true, classes: 4);
        network.eval();
        using var images = rand(3, 1, 32, 32);

        using var direct = network.call(images);
        using var fc = network.ConventionalFeatures(images);
        using var fr = network.RebalancingFeatures(images);
        using var mixed = CumulativeLearning.MixFeatures(fc, fr, 0.5);
        using var viaMixing = network.Classify(mixed);

        direct.allclose(viaMixing, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }
}

internal static class TinyNetwork
{
    public static BilateralBranchNetwork Create(bool bilateral, int classes, int seed = 7, ClassifierHead head = ClassifierHead.Linear)
    {
        manual_seed(seed);
        var backbone = BuiltInComponents.Create<IBackbone>("resnet32");
        return new BilateralBranchNetwork(backbone.Build(new ImageShape(1, 32, 32)), classes, bilateral, head);
    }
}

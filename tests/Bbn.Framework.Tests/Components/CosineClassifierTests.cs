using Bbn.Abstractions;
using Bbn.Core.Model;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
public sealed class CosineClassifierTests
{
    [Fact]
    public void Logits_are_the_cosines_between_features_and_class_weights()
    {
        manual_seed(3);
        using var classifier = new CosineClassifier(4, 3);
        float[] x = [1, 2, -1, 0.5f, -3, 0, 1, 2];
        using var features = tensor(x).reshape(2, 4);

        using var logits = classifier.call(features);

        float[] w = classifier.Weight.data<float>().ToArray(); // [4, 3], row-major
        var actual = logits.data<float>().ToArray();
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 3; k++)
            {
                double dot = 0, xx = 0, ww = 0;
                for (int i = 0; i < 4; i++)
                {
                    dot += x[(n * 4) + i] * w[(i * 3) + k];
                    xx += x[(n * 4) + i] * x[(n * 4) + i];
                    ww += w[(i * 3) + k] * w[(i * 3) + k];
                }
                actual[(n * 3) + k].Should().BeApproximately((float)(dot / Math.Sqrt(xx * ww)), 1e-5f);
            }
        logits.shape.Should().Equal(2, 3);
    }

    [Fact]
    public void The_network_takes_the_head_it_is_given_and_learns_through_it()
    {
        using var network = TinyNetwork.Create(bilateral: true, classes: 5, head: ClassifierHead.Cosine);
        network.Classifier.Should().BeOfType<CosineClassifier>();
        network.Head.Should().Be(ClassifierHead.Cosine);

        using var images = randn(4, 1, 32, 32);
        using var logits = network.call(images);
        logits.abs().max().item<float>().Should().BeLessThanOrEqualTo(1.0001f, "cosine logits lie in [-1, 1]");
        using var loss = logits.sum();
        loss.backward();
        ((CosineClassifier)network.Classifier).Weight.grad.Should().NotBeNull();
    }
}

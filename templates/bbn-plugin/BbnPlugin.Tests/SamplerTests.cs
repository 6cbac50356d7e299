using Bbn.Abstractions;
using BbnPlugin;
using Xunit;

namespace BbnPlugin.Tests;

public sealed class SamplerTests
{
    // 100 images of class 0, 10 of class 1, 1 of class 2.
    private static readonly int[] Labels = [.. Enumerable.Repeat(0, 100), .. Enumerable.Repeat(1, 10), 2];

    [Fact]
    public void Power_one_draws_every_class_about_equally_often()
    {
        var context = new SamplingContext(Labels, [100, 10, 1], Epoch: 1, TotalEpochs: 1, new Random(1));
        var drawn = Enumerable.Range(0, 30).SelectMany(_ => new Sampler(new SamplerOptions { Power = 1 }).Sample(context)).Select(i => Labels[i]).ToArray();
        for (int c = 0; c < 3; c++)
            Assert.InRange(drawn.Count(l => l == c) / (double)drawn.Length, 0.28, 0.39);
    }

    [Fact]
    public void The_same_seed_gives_the_same_epoch()
    {
        var sampler = new Sampler(new SamplerOptions());
        Assert.Equal(sampler.Sample(new SamplingContext(Labels, [100, 10, 1], 1, 1, new Random(7))),
                     sampler.Sample(new SamplingContext(Labels, [100, 10, 1], 1, 1, new Random(7))));
    }
}

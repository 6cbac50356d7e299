using Bbn.Abstractions.Optimizers;
using Bbn.Core.Training;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>
/// No native object is used after it can be freed: the optimiser and the training step run while another
/// thread forces garbage collections and finalizers as fast as it can, and give the numbers of the same
/// work without that pressure. TorchSharp's own SGD under the same pressure failed with "Unknown scalar
/// type" (docs/investigations/native-lifetimes.md).
/// </summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class NativeLifetimeTests
{
    [Fact]
    public void SafeSgd_updates_as_TorchSharps_SGD_does_with_momentum_nesterov_and_weight_decay()
    {
        foreach (var (momentum, decay, nesterov) in new[] { (0.9, 5e-4, false), (0.9, 2e-4, true), (0.0, 0.0, false), (0.5, 0.0, false) })
        {
            using var expected = Parameters(seed: 3);
            using var actual = Parameters(seed: 3);
            using (var reference = optim.SGD(expected.Values, 0.05, momentum, weight_decay: decay, nesterov: nesterov))
            using (var safe = new SafeSgd(actual.Values, 0.05, momentum, decay, nesterov))
            {
                for (int step = 0; step < 5; step++)
                {
                    expected.SetGradients(step);
                    actual.SetGradients(step);
                    reference.step();
                    safe.step();
                }
            }
            for (int i = 0; i < expected.Values.Count; i++)
                actual.Values[i].allclose(expected.Values[i], rtol: 0, atol: 0).Should().BeTrue($"parameter {i} after 5 steps (momentum {momentum}, decay {decay}, Nesterov {nesterov}) is TorchSharp's, bit for bit");
        }
    }

    [Fact]
    public void SafeAdamW_updates_as_TorchSharps_AdamW_does()
    {
        foreach (var (decay, beta2) in new[] { (0.01, 0.999), (0.05, 0.95), (0.0, 0.999) })
        {
            using var expected = Parameters(seed: 5);
            using var actual = Parameters(seed: 5);
            using (var reference = optim.AdamW(expected.Values, 1e-3, 0.9, beta2, 1e-8, weight_decay: decay))
            using (var safe = new SafeAdamW(actual.Values, 1e-3, 0.9, beta2, 1e-8, decay))
            {
                for (int step = 0; step < 5; step++)
                {
                    expected.SetGradients(step);
                    actual.SetGradients(step);
                    reference.step();
                    safe.step();
                }
            }
            for (int i = 0; i < expected.Values.Count; i++)
                actual.Values[i].allclose(expected.Values[i], rtol: 0, atol: 0).Should().BeTrue($"parameter {i} after 5 steps (decay {decay}, beta2 {beta2}) is TorchSharp's, bit for bit");
        }
    }

    [Fact]
    public void SafeAdamW_under_forced_collections_gives_the_parameters_of_a_quiet_run()
    {
        using var quiet = Parameters(seed: 9, size: 1 << 18);
        using var pressed = Parameters(seed: 9, size: 1 << 18);
        Run(quiet, steps: 300);
        using (new CollectionPressure()) Run(pressed, steps: 300);
        for (int i = 0; i < quiet.Values.Count; i++)
            pressed.Values[i].allclose(quiet.Values[i], rtol: 0, atol: 0).Should().BeTrue($"parameter {i} is the same with collections running beside the steps");

        static void Run(ParameterSet set, int steps)
        {
            using var adamw = new SafeAdamW(set.Values, 1e-3, weightDecay: 0.05);
            for (int step = 0; step < steps; step++)
            {
                set.SetGradients(step);
                adamw.step();
            }
        }
    }

    [Fact]
    public void SafeSgd_under_forced_collections_gives_the_parameters_of_a_quiet_run()
    {
        using var quiet = Parameters(seed: 7, size: 1 << 20);
        using var pressed = Parameters(seed: 7, size: 1 << 20);
        Run(quiet, steps: 400);
        using (new CollectionPressure()) Run(pressed, steps: 400);
        for (int i = 0; i < quiet.Values.Count; i++)
            pressed.Values[i].allclose(quiet.Values[i], rtol: 0, atol: 0).Should().BeTrue($"parameter {i} is the same with collections running beside the steps");

        static void Run(ParameterSet set, int steps)
        {
            using var sgd = new SafeSgd(set.Values, 0.01, 0.9, 5e-4, nesterov: true);
            for (int step = 0; step < steps; step++)
            {
                set.SetGradients(step);
                sgd.step();
            }
        }
    }

    [Fact]
    public void Bbn_training_steps_with_concurrent_branches_under_forced_collections_give_the_losses_and_weights_of_a_quiet_run()
    {
        using var train = Synthetic.Set([40, 16, 8]);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 8, WarmupEpochs = 1, Seed = 11, ConcurrentBranches = true, MinWarmupSteps = 0 };
        using var quiet = Sessions.Create("bbn", options, train);
        double[] quietLosses = Sessions.FirstSteps(quiet, epoch: 1, steps: 6);
        using var pressed = Sessions.Create("bbn", options, train);
        double[] pressedLosses;
        using (new CollectionPressure()) pressedLosses = Sessions.FirstSteps(pressed, epoch: 1, steps: 6);

        pressedLosses.Should().Equal(quietLosses);
        var a = quiet.Network.state_dict();
        var b = pressed.Network.state_dict();
        foreach (var (name, value) in a)
            b[name].allclose(value, rtol: 0, atol: 0).Should().BeTrue($"{name} (running statistics included) is the same with collections running beside the steps");
    }

    /// <summary>Another thread collecting and running finalizers without pause until disposed.</summary>
    internal sealed class CollectionPressure : IDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private readonly Thread thread;

        public CollectionPressure()
        {
            thread = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }) { IsBackground = true };
            thread.Start();
        }

        public void Dispose()
        {
            stop.Cancel();
            thread.Join();
            stop.Dispose();
        }
    }

    /// <summary>A few parameters of different shapes with gradients drawn from (seed, step).</summary>
    private sealed class ParameterSet : IDisposable
    {
        private readonly int seed;

        public ParameterSet(int seed, int size)
        {
            this.seed = seed;
            var generator = new Generator((ulong)seed);
            Values = [.. new long[][] { [size], [64, 32], [7] }.Select(shape => new TorchSharp.Modules.Parameter(randn(shape, generator: generator)))];
        }

        public List<TorchSharp.Modules.Parameter> Values { get; }

        public void SetGradients(int step)
        {
            var generator = new Generator((ulong)(seed * 1000 + step));
            foreach (var p in Values) p.grad = randn(p.shape, generator: generator);
        }

        public void Dispose()
        {
            foreach (var p in Values) p.Dispose();
        }
    }

    private static ParameterSet Parameters(int seed, int size = 300) => new(seed, size);
}

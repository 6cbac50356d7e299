using TorchSharp;
using Bbn.Abstractions;
using static TorchSharp.torch;

/// <summary>
/// `Bbn.Bench --memory=nchw|channels-last [--steps=N]`: resident memory (VmRSS) and its peak (VmHWM)
/// after the forward and after the backward of BBN training steps, the two passes in turn: how much
/// a step's activations and gradients take, and whether the heap keeps growing from step to step.
/// </summary>
internal static class StepMemory
{
    public static void Print(Bbn.Core.Model.BranchNetwork network, bool channelsLast, int batch, int steps)
    {
        network.ChannelsLast = channelsLast;
        network.train();
        manual_seed(0);
        using var xc = randn(batch, 3, 32, 32);
        using var xr = randn(batch, 3, 32, 32);
        using var yc = randint(0, 10, batch);
        Console.WriteLine($"start: {Line()}");
        for (int step = 1; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            using Scalar alpha = 0.7.ToScalar(), rest = 0.3.ToScalar(), two = 2.ToScalar();
            var features = cat([network.Features(0, xc).mul(alpha), network.Features(1, xr).mul(rest)], 1).mul(two);
            Console.WriteLine($"step {step} after forward: {Line()}");
            var loss = nn.functional.cross_entropy(network.Classify(features), yc);
            network.zero_grad();
            loss.backward();
            Console.WriteLine($"step {step} after backward: {Line()}");
        }
    }

    private static string Line() => $"resident {ProcessStatus.Mib("VmRSS"):F0} MiB, peak {ProcessStatus.Mib("VmHWM"):F0} MiB";
}

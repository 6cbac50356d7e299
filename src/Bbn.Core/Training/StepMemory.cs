using Bbn.Abstractions;
using Bbn.Core.Model;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// What one training step will need, estimated before the first one: the outputs of every leaf module
/// for one image (what autograd keeps for the backward pass), times the images of a step, plus the
/// weights, their gradients and momentum. The outputs alone came to 0.6 GiB for BBN's ResNet-32 on
/// 32x32 images at batch 128, whose live peak was measured at about 1.0 GB (docs/performance.md): the
/// backward pass's own buffers, hence <see cref="BackwardFactor"/>.
/// </summary>
public static class StepMemory
{
    public const double BackwardFactor = 1.7;

    public static long Estimate(BranchNetwork network, ImageShape input, int imagesPerStep, Device device)
    {
        long perImage = 0;
        var hooks = new List<nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover>();
        foreach (var module in network.modules())
        {
            if (module is nn.Module<Tensor, Tensor> leaf && !module.children().Any())
                hooks.Add(leaf.register_forward_hook((_, _, output) =>
                {
                    perImage += output.NumberOfElements * output.ElementSize;
                    return null!;
                }));
        }
        bool training = network.training;
        network.eval(); // batch norm's running statistics stay as they are
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            network.call(zeros(1, input.Channels, input.Height, input.Width, device: device));
        }
        finally
        {
            foreach (var hook in hooks) hook.remove();
            if (training) network.train();
        }
        long weights = network.parameters().Sum(p => p.NumberOfElements * p.ElementSize);
        return (long)(BackwardFactor * perImage * imagesPerStep) + (3 * weights);
    }

    /// <summary>The memory the system can give this process now (MemAvailable), or null where it cannot tell.</summary>
    public static long? Available()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/meminfo")) return null;
        string? line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}

/// <summary>A step that would not fit in memory, refused before the first one (exit 2); the message gives the estimate, what is available and what to change.</summary>
public sealed class StepDoesNotFitException(string message) : Exception(message);

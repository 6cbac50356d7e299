using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bbn.Abstractions.Modules;

/// <summary>
/// Batch normalisation over (N, C, H, W): TorchSharp's <see cref="BatchNorm2d"/> forward, op for op, with the running
/// count's Scalars held until the native call returns. Same parameters, buffers and state-dict names, so checkpoints and
/// PyTorch files read back unchanged.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's forward counts a batch with <c>num_batches_tracked.add_(1)</c>, which passes two Scalars made
/// implicitly from ints to native code with nothing keeping them alive: a finalizer freed one mid-call and libtorch read
/// another Scalar's double ("For integral input tensors, argument alpha must not be a floating point number", a BBN run
/// on the small-data benchmark at epoch 21; docs/investigations/native-lifetimes.md).
/// </remarks>
public sealed class SafeBatchNorm2d(long features, double eps = 1e-05, double momentum = 0.1)
    : BatchNorm(features, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, name: nameof(BatchNorm2d))
{
    /// <summary>Normalises <paramref name="input"/> [N, C, H, W]; while training, counts the batch and updates the running statistics.</summary>
    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        double averageFactor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is not null)
        {
            num_batches_tracked.add_(Scalars.IntegerOne, Scalars.IntegerOne);
            if (momentum is null) averageFactor = 1.0 / num_batches_tracked.item<long>();
        }

        // TorchSharp's (and PyTorch's) choice: batch statistics while training, or where there are no running ones.
        bool batchStatistics = training || (running_mean is null && running_var is null);
        bool passRunning = !training || track_running_stats;
        return nn.functional.batch_norm(input, passRunning ? running_mean : null, passRunning ? running_var : null, weight, bias, batchStatistics, averageFactor, eps);
    }

    /// <summary>Refuses an input that is not [N, C, H, W].</summary>
    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.ndim != 4) throw new ArgumentException($"expected 4D input, but got {input.ndim}D input.");
    }
}

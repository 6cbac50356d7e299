using static TorchSharp.torch;

namespace Bbn.Abstractions;

/// <summary>
/// Changes a training batch after augmentation (component kind "batch-transform": mixup, CutMix):
/// any method's stage may name one, or Bbn:BatchTransform:Name sets one for every stage that names
/// none. (Contracts 1.3.)
/// </summary>
public interface IBatchTransform
{
    /// <summary>
    /// The transformed images [N, C, H, W] and their targets. All randomness comes from
    /// <paramref name="random"/>, seeded from the run's seed, the branch, the epoch and the step.
    /// </summary>
    (Tensor Images, BatchTargets Targets) Apply(Tensor images, Tensor labels, Random random);
}

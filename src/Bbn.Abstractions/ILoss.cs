using static TorchSharp.torch;

namespace Bbn.Abstractions;

/// <summary>A classification loss.</summary>
public interface ILoss
{
    /// <summary>The mean loss (a scalar tensor) of <paramref name="logits"/> [N, K] against class indices <paramref name="targets"/> [N] (int64).</summary>
    Tensor Compute(Tensor logits, Tensor targets, LossContext context);

    /// <summary>
    /// The logits used for prediction at evaluation; the default leaves them as they are. Post-hoc
    /// methods (logit adjustment) override it. Returns a new tensor. (Contracts 1.1.)
    /// </summary>
    Tensor AdjustForInference(Tensor logits, LossContext context) => logits.alias();

    /// <summary>
    /// The classifier this loss is designed for, used when Bbn:Training:Classifier is "auto" (the
    /// default). LDAM scales cosine logits, so it asks for <see cref="ClassifierHead.Cosine"/>. (Contracts 1.2.)
    /// </summary>
    ClassifierHead PreferredClassifier => ClassifierHead.Linear;

    /// <summary>
    /// The value every bias of a fresh linear classifier over <paramref name="classCount"/> classes starts
    /// at, or null for the layer's own initialisation. Sigmoid-based losses start at -log(C - 1), the
    /// prior p = 1/C of each one-vs-all output (Cui et al. 2019, section 4). (Contracts 1.4.)
    /// </summary>
    double? InitialClassifierBias(int classCount) => null;
}

/// <summary>What a loss may need beyond the batch.</summary>
/// <param name="ClassCounts">How many training images each class has.</param>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="TotalEpochs">The number of epochs of the run.</param>
public sealed record LossContext(IReadOnlyList<int> ClassCounts, int Epoch, int TotalEpochs);

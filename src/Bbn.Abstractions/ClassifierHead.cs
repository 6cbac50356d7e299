namespace Bbn.Abstractions;

/// <summary>The network's last layer. (Contracts 1.2.)</summary>
public enum ClassifierHead
{
    /// <summary>A linear layer with bias: the logits BBN's official code uses.</summary>
    Linear,

    /// <summary>
    /// Cosine similarity between L2-normalised features and L2-normalised class weights, no bias
    /// (the NormedLinear of the LDAM-DRW code): logits in [-1, 1], for losses that scale them.
    /// </summary>
    Cosine,
}

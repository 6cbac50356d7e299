namespace Bbn.Abstractions;

/// <summary>Chooses which training images a branch sees in one epoch.</summary>
public interface ISampler
{
    /// <summary>
    /// Returns the epoch's sequence of training-image indices (usually as many as there are
    /// images). The trainer cuts it into batches and drops the last incomplete one. All
    /// randomness must come from <see cref="SamplingContext.Random"/>, which the trainer seeds.
    /// </summary>
    int[] Sample(SamplingContext context);
}

/// <summary>What a sampler knows about the training set and the epoch.</summary>
/// <param name="Labels">The class of every training image.</param>
/// <param name="ClassCounts">How many training images each class has.</param>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="TotalEpochs">The number of epochs of the run.</param>
/// <param name="Random">A generator seeded from the run's seed, the epoch and the branch.</param>
public sealed record SamplingContext(IReadOnlyList<int> Labels, IReadOnlyList<int> ClassCounts, int Epoch, int TotalEpochs, Random Random);

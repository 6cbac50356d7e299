namespace Bbn.Core.Distributed;

/// <summary>
/// Rank <see cref="Index"/> of <see cref="Count"/>: its contiguous share of every step's batch (the
/// same share of the same global batch a single process would take, augmentation draws included)
/// and every <see cref="Count"/>-th evaluation batch.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    public static Shard Whole { get; } = new(0, 1);

    public static Shard Of(IProcessGroup group) => new(group.Rank, group.Size);

    public bool IsWhole => Count == 1;

    /// <summary>This rank's images of a global batch of <paramref name="batchSize"/>.</summary>
    public int Length(int batchSize) => batchSize / Count;

    /// <summary>Where this rank's images start in a global batch of <paramref name="batchSize"/>.</summary>
    public int Offset(int batchSize) => Index * Length(batchSize);

    /// <summary>Whether evaluation batch <paramref name="batchIndex"/> (from 0) is this rank's.</summary>
    public bool Owns(int batchIndex) => batchIndex % Count == Index;
}

namespace Bbn.Core.Data;

/// <summary>
/// The exponential long-tailed profile of Cao et al. (LDAM-DRW) used by BBN:
/// class i keeps n_i = floor(n_max * (1/IR)^(i/(C-1))) images.
/// </summary>
public static class LongTailProfile
{
    public static int[] ClassCounts(int maxPerClass, double imbalanceRatio, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imbalanceRatio, 1.0);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (classCount == 1) return [maxPerClass];
        return Enumerable.Range(0, classCount)
            .Select(i => (int)Math.Floor(maxPerClass * Math.Pow(1.0 / imbalanceRatio, i / (double)(classCount - 1))))
            .ToArray();
    }

    /// <summary>The long-tailed subset of a split with <paramref name="labels"/>: n_max is <paramref name="maxPerClass"/>, or (0) the split's largest class.</summary>
    public static int[] Select(IReadOnlyList<int> labels, int classCount, double imbalanceRatio, int seed, int maxPerClass = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPerClass);
        int[] available = new int[classCount];
        foreach (int label in labels) available[label]++;
        int[] keep = ClassCounts(maxPerClass > 0 ? maxPerClass : available.Max(), imbalanceRatio, classCount);
        return SelectSubset(labels, keep, seed);
    }

    /// <summary>
    /// Chooses the images to keep, as the official code does: per class in order, shuffle that
    /// class's images with the seeded generator and keep the first n_i (all, when it has fewer).
    /// Returns indices into <paramref name="labels"/>, grouped by class.
    /// </summary>
    public static int[] SelectSubset(IReadOnlyList<int> labels, IReadOnlyList<int> keepPerClass, int seed)
    {
        var random = new Random(seed);
        var byClass = new List<int>[keepPerClass.Count];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = new List<int>();
        for (int i = 0; i < labels.Count; i++) byClass[labels[i]].Add(i);

        var kept = new List<int>();
        for (int c = 0; c < byClass.Length; c++)
        {
            int[] members = byClass[c].ToArray();
            random.Shuffle(members);
            kept.AddRange(members.Take(keepPerClass[c]));
        }
        return kept.ToArray();
    }
}

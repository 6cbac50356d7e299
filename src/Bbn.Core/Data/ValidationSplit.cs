namespace Bbn.Core.Data;

/// <summary>
/// A validation split held out of training, never the test set: the images to validate on, the
/// training images that remain, and per class how many had to come out of the training subset.
/// </summary>
/// <param name="Train">The training indices, in their order, without the validation images.</param>
/// <param name="Validation">The validation indices, grouped by class.</param>
/// <param name="HeldFromTrain">Per class, the validation images taken from the training subset (not from images it left out).</param>
/// <param name="Source">How it was drawn: left-out, stratified, or the dataset's own split.</param>
public sealed record ValidationDraw(int[] Train, int[] Validation, int[] HeldFromTrain, string Source)
{
    public const string LeftOut = "left-out";
    public const string StratifiedSource = "stratified";
    public const string DatasetSource = "dataset";

    /// <summary>Per class, the validation images.</summary>
    public int[] ValidationCounts(IReadOnlyList<int> labels, int classCount)
    {
        int[] counts = new int[classCount];
        foreach (int i in Validation) counts[labels[i]]++;
        return counts;
    }
}

/// <summary>How a validation split is drawn from a training split's labels and the training subset chosen from it.</summary>
public static class ValidationSplit
{
    /// <summary>
    /// A class-balanced split of <paramref name="perClass"/> images per class from the images the
    /// training subset leaves out (a long-tailed profile leaves most of the tail classes' images),
    /// so the training subset stays as drawn. A class with fewer left out (the head class of a
    /// profile, which keeps all its images) gives the rest from its training images, at most
    /// <paramref name="maxFraction"/> of them and never its last one.
    /// </summary>
    public static ValidationDraw FromLeftOut(IReadOnlyList<int> labels, int classCount, IReadOnlyList<int> train, int perClass, double maxFraction, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perClass, 1);
        var inTrain = new HashSet<int>(train);
        var random = new Random(seed);
        var leftOut = ByClass(Enumerable.Range(0, labels.Count).Where(i => !inTrain.Contains(i)), labels, classCount);
        var trainByClass = ByClass(train, labels, classCount);
        var validation = new List<int>();
        var removed = new HashSet<int>();
        int[] held = new int[classCount];
        for (int c = 0; c < classCount; c++)
        {
            int[] candidates = [.. leftOut[c]];
            random.Shuffle(candidates);
            var taken = candidates.Take(perClass).ToList();
            int missing = perClass - taken.Count;
            if (missing > 0)
            {
                int[] members = [.. trainByClass[c]];
                random.Shuffle(members);
                held[c] = Math.Max(0, Math.Min(missing, Math.Min(members.Length - 1, (int)Math.Round(maxFraction * members.Length, MidpointRounding.AwayFromZero))));
                foreach (int i in members.Take(held[c])) { taken.Add(i); removed.Add(i); }
            }
            validation.AddRange(taken.Order());
        }
        return new ValidationDraw([.. train.Where(i => !removed.Contains(i))], [.. validation], held, ValidationDraw.LeftOut);
    }

    /// <summary>
    /// A stratified <paramref name="fraction"/> of each class's training images (at least one where a
    /// class has two or more; at least one stays in training), for data with nothing left out.
    /// </summary>
    public static ValidationDraw Stratified(IReadOnlyList<int> labels, int classCount, IReadOnlyList<int> train, double fraction, int seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a fraction between 0 and 1");
        var random = new Random(seed);
        var trainByClass = ByClass(train, labels, classCount);
        var validation = new List<int>();
        int[] held = new int[classCount];
        for (int c = 0; c < classCount; c++)
        {
            int[] members = [.. trainByClass[c]];
            if (members.Length < 2) continue;
            random.Shuffle(members);
            held[c] = Math.Clamp((int)Math.Round(fraction * members.Length, MidpointRounding.AwayFromZero), 1, members.Length - 1);
            validation.AddRange(members.Take(held[c]).Order());
        }
        var removed = new HashSet<int>(validation);
        return new ValidationDraw([.. train.Where(i => !removed.Contains(i))], [.. validation], held, ValidationDraw.StratifiedSource);
    }

    private static List<int>[] ByClass(IEnumerable<int> indices, IReadOnlyList<int> labels, int classCount)
    {
        var byClass = new List<int>[classCount];
        for (int c = 0; c < classCount; c++) byClass[c] = [];
        foreach (int i in indices) byClass[labels[i]].Add(i);
        return byClass;
    }
}

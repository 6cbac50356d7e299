namespace Bbn.Core.Evaluation;

/// <summary>Accumulates predictions: the confusion matrix and the calibration bins.</summary>
public sealed class EvaluationTally
{
    public const int CalibrationBins = 15;
    private readonly long[][] confusion;
    private readonly long[] binCount = new long[CalibrationBins];
    private readonly long[] binCorrect = new long[CalibrationBins];
    private readonly double[] binConfidence = new double[CalibrationBins];

    public EvaluationTally(int classCount)
    {
        confusion = Enumerable.Range(0, classCount).Select(_ => new long[classCount]).ToArray();
    }

    public void Add(int label, int predicted, double confidence)
    {
        confusion[label][predicted]++;
        // Bins (k/15, (k+1)/15], as Guo et al. 2017.
        int bin = Math.Clamp((int)Math.Ceiling(confidence * CalibrationBins) - 1, 0, CalibrationBins - 1);
        binCount[bin]++;
        binConfidence[bin] += confidence;
        if (label == predicted) binCorrect[bin]++;
    }

    /// <summary>Sums the tallies of every rank (each evaluated its own batches) into this one.</summary>
    public void SumOver(Distributed.IProcessGroup group)
    {
        if (group.Size == 1) return;
        int classes = confusion.Length;
        var vector = new double[(classes * classes) + (3 * CalibrationBins)];
        for (int i = 0; i < classes; i++)
            for (int j = 0; j < classes; j++) vector[(i * classes) + j] = confusion[i][j];
        int at = classes * classes;
        for (int b = 0; b < CalibrationBins; b++)
        {
            vector[at + b] = binCount[b];
            vector[at + CalibrationBins + b] = binCorrect[b];
            vector[at + (2 * CalibrationBins) + b] = binConfidence[b];
        }
        group.AllReduceSum(vector); // counts below 2^53 are exact in doubles
        for (int i = 0; i < classes; i++)
            for (int j = 0; j < classes; j++) confusion[i][j] = (long)vector[(i * classes) + j];
        for (int b = 0; b < CalibrationBins; b++)
        {
            binCount[b] = (long)vector[at + b];
            binCorrect[b] = (long)vector[at + CalibrationBins + b];
            binConfidence[b] = vector[at + (2 * CalibrationBins) + b];
        }
    }

    public EvaluationReport Report(IReadOnlyList<int> trainingClassCounts, ShotThresholds thresholds)
    {
        long total = binCount.Sum();
        double ece = 0;
        for (int b = 0; b < CalibrationBins; b++)
        {
            if (binCount[b] == 0) continue;
            double accuracy = binCorrect[b] / (double)binCount[b];
            double meanConfidence = binConfidence[b] / binCount[b];
            ece += binCount[b] / (double)total * Math.Abs(accuracy - meanConfidence);
        }
        return EvaluationReport.From(confusion, ece, trainingClassCounts, thresholds);
    }
}
